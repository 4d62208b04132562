"""A zip written front to back, through the ``stream-zip`` library.

A download is sent while it is written: each :class:`ZipEntry` is compressed
and handed on as its content comes, so memory holds one piece of an entry at
a time, plus ``stream-zip``'s record of each entry for the central directory
at the end (about 250 bytes an entry: 50 MB for the 200,000 files of a brat
export of 100,000 documents, see ``bench/zip_writers.py`` and BENCHMARKS.md).

An entry whose content is ``bytes`` has a known size and is written as Zip32
unless it needs Zip64; one whose content is an iterable of bytes (a file
written while documents are read) is always Zip64, with a data descriptor.
Entries are deflated, or stored on request (DocBin and Parquet are compressed
already; a stored entry must give its size and CRC-32 up front, which
:func:`file_entry` reads from the file). Every entry has the same fixed time
and mode, so the same entries in the same order give the same bytes.
"""

import stat
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from stream_zip import NO_COMPRESSION_64, ZIP_64, ZIP_AUTO, Method, stream_zip

from annotator.exports.records import ZIP_DATE_TIME

ENTRY_TIME = datetime(*ZIP_DATE_TIME)
ENTRY_MODE = stat.S_IFREG | 0o644
#: Deflating took a third of a download's CPU at zlib's default level 6 (level 9,
#: stream-zip's default, twice as long again for 2% less). On English prose level 4
#: takes a third of level 6's time for files 6% larger (level 1: a fifth, 22% larger).
#: Releases (``releases.ReleaseZip``) deflate at the same level.
COMPRESSION_LEVEL = 4
READ_SIZE = 1 << 20


@dataclass(frozen=True)
class ZipEntry:
    """One file of a zip: its name, its content, and whether to deflate it.

    ``content`` is the bytes, or an iterable that yields them in pieces. A
    stored (not deflated) entry of pieces must give ``size`` and ``crc32``.
    """

    name: str
    content: bytes | Iterable[bytes]
    compress: bool = True
    size: int | None = None
    crc32: int | None = None

    def method(self) -> Method:
        if isinstance(self.content, bytes):
            if self.compress:
                return ZIP_AUTO(len(self.content), level=COMPRESSION_LEVEL)
            return NO_COMPRESSION_64(len(self.content), zlib.crc32(self.content))
        if self.compress:
            return ZIP_64
        if self.size is None or self.crc32 is None:
            raise ValueError(f"{self.name}: a stored entry in pieces needs its size and CRC-32")
        return NO_COMPRESSION_64(self.size, self.crc32)

    def pieces(self) -> Iterable[bytes]:
        return (self.content,) if isinstance(self.content, bytes) else self.content


def _read(path: Path) -> Iterator[bytes]:
    with path.open("rb") as stream:
        while block := stream.read(READ_SIZE):
            yield block


def file_entry(name: str, path: Path, *, compress: bool) -> ZipEntry:
    """An entry read from ``path`` in pieces; a stored one has its CRC-32 read first."""
    if compress:
        return ZipEntry(name, _read(path))
    crc = 0
    for block in _read(path):
        crc = zlib.crc32(block, crc)
    return ZipEntry(name, _read(path), compress=False, size=path.stat().st_size, crc32=crc)


def zip_stream(entries: Iterable[ZipEntry]) -> Iterator[bytes]:
    """The zip of ``entries``, in pieces, taking each entry only when it is its turn."""
    members = (
        (
            entry.name,
            ENTRY_TIME,
            ENTRY_MODE,
            entry.method(),
            entry.pieces(),
        )
        for entry in entries
    )
    return stream_zip(
        members,
        get_compressobj=lambda: zlib.compressobj(COMPRESSION_LEVEL, zlib.DEFLATED, -zlib.MAX_WBITS),
        extended_timestamps=False,
    )
