"""A zip archive written front to back in memory that does not grow with its entry count.

``zipfile.ZipFile`` keeps a ``ZipInfo`` per entry until it writes the central
directory on close: about 450 bytes per entry, so a brat export of 100,000
documents (200,000 entries) held 85 MB of them. :class:`StreamingZip` instead
appends each entry's central directory record, as bytes, to a temporary file
and copies that file out at the end. Memory holds one entry's data at a time.

Entries are deflated (or stored, on request) with a fixed time, so the same
entries in the same order give the same bytes. Zip64 records are written when
the archive needs them (more than 65,535 entries, or offsets past 4 GiB); one
entry must be smaller than 4 GiB. The output stream is only ever appended to,
so it need not be seekable.
"""

import struct
import tempfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import BinaryIO

from annotator.exports.records import ZIP_DATE_TIME

LOCAL_HEADER = struct.Struct("<IHHHHHIIIHH")
CENTRAL_HEADER = struct.Struct("<IHHHHHHIIIHHHHHII")
END_OF_DIRECTORY = struct.Struct("<IHHHHIIH")
ZIP64_END_OF_DIRECTORY = struct.Struct("<IQHHIIQQQQ")
ZIP64_LOCATOR = struct.Struct("<IIQI")
ZIP64_OFFSET_EXTRA = struct.Struct("<HHQ")

LOCAL_SIGNATURE = 0x04034B50
CENTRAL_SIGNATURE = 0x02014B50
END_SIGNATURE = 0x06054B50
ZIP64_END_SIGNATURE = 0x06064B50
ZIP64_LOCATOR_SIGNATURE = 0x07064B50
ZIP64_EXTRA_ID = 0x0001

DEFLATED = 8
STORED = 0
VERSION = 20
ZIP64_VERSION = 45
# Made on Unix, so readers take the permissions from the external attributes.
MADE_BY_UNIX = 3 << 8
UTF8_NAME_FLAG = 0x800
FILE_ATTRIBUTES = 0o100644 << 16
PIECE_SIZE = 64 * 1024
LIMIT_32 = 0xFFFFFFFF
LIMIT_16 = 0xFFFF


def _dos_time(date_time: tuple[int, int, int, int, int, int]) -> tuple[int, int]:
    year, month, day, hour, minute, second = date_time
    return (hour << 11) | (minute << 5) | (second // 2), ((year - 1980) << 9) | (month << 5) | day


class Pieces:
    """A stream that keeps what is written until :meth:`drain` takes it.

    For sending a zip on while it is made: write the archive here and hand the
    drained bytes over after each batch of entries.
    """

    def __init__(self) -> None:
        self._pieces: list[bytes] = []

    def write(self, data: bytes) -> int:
        self._pieces.append(data)
        return len(data)

    def drain(self) -> bytes:
        data = b"".join(self._pieces)
        self._pieces.clear()
        return data


@contextmanager
def streaming_zip(stream: BinaryIO) -> Iterator["StreamingZip"]:
    """Yield a :class:`StreamingZip` on ``stream``, finished when the block ends without
    error unless the block took its :meth:`~StreamingZip.closing_pieces` itself."""
    with tempfile.TemporaryFile() as directory:
        archive = StreamingZip(stream, directory)
        yield archive
        if not archive.finished:
            archive.finish()


class StreamingZip:
    """A zip archive on ``stream``, its central directory spooled to ``directory``.

    Made by :func:`streaming_zip`: entries are added with :meth:`add`, and
    :meth:`finish` writes the directory and end records once.
    """

    def __init__(self, stream: BinaryIO, directory: BinaryIO) -> None:
        self._stream = stream
        self._directory = directory
        self._offset = 0
        self._entries = 0
        self._directory_size = 0
        self._time, self._date = _dos_time(ZIP_DATE_TIME)
        self.finished = False

    def add(self, name: str, data: bytes, *, compress: bool = True) -> None:
        """Append the entry ``name`` holding ``data``."""
        if len(data) >= LIMIT_32:
            raise ValueError(f"{name}: entries of 4 GiB or more are not supported")
        encoded_name = name.encode("utf-8")
        flags = 0 if name.isascii() else UTF8_NAME_FLAG
        crc = zlib.crc32(data)
        if compress:
            compressor = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15)
            payload = compressor.compress(data) + compressor.flush()
            method = DEFLATED
        else:
            payload, method = data, STORED
        self._stream.write(
            LOCAL_HEADER.pack(
                LOCAL_SIGNATURE,
                VERSION,
                flags,
                method,
                self._time,
                self._date,
                crc,
                len(payload),
                len(data),
                len(encoded_name),
                0,
            )
        )
        self._stream.write(encoded_name)
        self._stream.write(payload)
        if self._offset >= LIMIT_32:
            extra = ZIP64_OFFSET_EXTRA.pack(ZIP64_EXTRA_ID, 8, self._offset)
            offset_field, version = LIMIT_32, ZIP64_VERSION
        else:
            extra, offset_field, version = b"", self._offset, VERSION
        record = (
            CENTRAL_HEADER.pack(
                CENTRAL_SIGNATURE,
                MADE_BY_UNIX | version,
                version,
                flags,
                method,
                self._time,
                self._date,
                crc,
                len(payload),
                len(data),
                len(encoded_name),
                len(extra),
                0,
                0,
                0,
                FILE_ATTRIBUTES,
                offset_field,
            )
            + encoded_name
            + extra
        )
        self._directory.write(record)
        self._directory_size += len(record)
        self._offset += LOCAL_HEADER.size + len(encoded_name) + len(payload)
        self._entries += 1

    def closing_pieces(self) -> Iterator[bytes]:
        """The central directory and the end records, in pieces of at most ``PIECE_SIZE``.

        For a caller that sends the zip on as it is made: the directory holds
        about 60 bytes per entry, too much to hand over in one piece for a large
        archive. The archive is finished once they have all been taken.
        """
        if self.finished:
            raise RuntimeError("the archive is finished already")
        self.finished = True
        directory_offset = self._offset
        self._directory.seek(0)
        while piece := self._directory.read(PIECE_SIZE):
            yield piece
        needs_zip64 = (
            self._entries >= LIMIT_16
            or directory_offset >= LIMIT_32
            or self._directory_size >= LIMIT_32
        )
        if needs_zip64:
            zip64_end_offset = directory_offset + self._directory_size
            yield ZIP64_END_OF_DIRECTORY.pack(
                ZIP64_END_SIGNATURE,
                ZIP64_END_OF_DIRECTORY.size - 12,
                MADE_BY_UNIX | ZIP64_VERSION,
                ZIP64_VERSION,
                0,
                0,
                self._entries,
                self._entries,
                self._directory_size,
                directory_offset,
            )
            yield ZIP64_LOCATOR.pack(ZIP64_LOCATOR_SIGNATURE, 0, zip64_end_offset, 1)
        yield END_OF_DIRECTORY.pack(
            END_SIGNATURE,
            0,
            0,
            min(self._entries, LIMIT_16),
            min(self._entries, LIMIT_16),
            min(self._directory_size, LIMIT_32),
            min(directory_offset, LIMIT_32),
            0,
        )

    def finish(self) -> None:
        """Write the central directory and the end records; the stream stays open."""
        for piece in self.closing_pieces():
            self._stream.write(piece)
