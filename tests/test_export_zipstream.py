"""The streaming zip writer, read back by Python's zipfile and by Info-ZIP's unzip."""

import io
import subprocess
import tracemalloc
import zipfile
from pathlib import Path

import pytest

from annotator.exports.records import ZIP_DATE_TIME
from annotator.exports.zipstream import LIMIT_16, PIECE_SIZE, streaming_zip


class AppendOnly(io.RawIOBase):
    """A stream that cannot seek or tell, like a socket or a pipe."""

    def __init__(self) -> None:
        self.buffer = bytearray()

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:
        self.buffer += data
        return len(data)


def written(entries: list[tuple[str, bytes]], **options: bool) -> bytes:
    stream = AppendOnly()
    with streaming_zip(stream) as archive:
        for name, data in entries:
            archive.add(name, data, **options)
    return bytes(stream.buffer)


ENTRIES = [
    ("annotation.conf", b"[entities]\nclaim\n"),
    ("1.txt", "Zoë 🎉 said.\n".encode()),
    ("1.ann", b""),
    ("données/é.txt", "ﾟ…".encode()),
    ("big.txt", b"the minister said " * 20_000),
]


@pytest.mark.parametrize("compress", [True, False])
def test_entries_read_back_with_their_names_data_and_metadata(compress: bool) -> None:
    archive = zipfile.ZipFile(io.BytesIO(written(ENTRIES, compress=compress)))

    assert archive.testzip() is None
    assert [(info.filename, archive.read(info)) for info in archive.infolist()] == ENTRIES
    for info in archive.infolist():
        assert info.date_time == ZIP_DATE_TIME
        assert info.compress_type == (zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED)
        assert info.external_attr >> 16 == 0o100644


def test_compressed_entries_are_smaller() -> None:
    archive = zipfile.ZipFile(io.BytesIO(written(ENTRIES)))

    assert archive.getinfo("big.txt").compress_size < archive.getinfo("big.txt").file_size / 10


def test_same_entries_give_same_bytes_and_one_byte_changes_them() -> None:
    changed = [*ENTRIES[:-1], ("big.txt", b"the minister said " * 19_999 + b"the minister sad ")]

    assert written(ENTRIES) == written(ENTRIES)
    assert written(ENTRIES) != written(changed)


def test_empty_archive_is_a_valid_zip() -> None:
    assert zipfile.ZipFile(io.BytesIO(written([]))).namelist() == []


def test_more_entries_than_a_plain_zip_holds_get_zip64_records() -> None:
    entries = [(f"{n}.ann", b"") for n in range(LIMIT_16 + 10)]

    data = written(entries)
    archive = zipfile.ZipFile(io.BytesIO(data))

    assert len(archive.infolist()) == LIMIT_16 + 10
    assert archive.namelist()[-1] == f"{LIMIT_16 + 9}.ann"
    assert b"PK\x06\x06" in data[-200:]


def test_info_zip_unzip_accepts_the_archive(tmp_path: Path) -> None:
    path = tmp_path / "brat.zip"
    path.write_bytes(written(ENTRIES))

    # Installed by `make test` (Makefile, system-packages).
    result = subprocess.run(["unzip", "-t", str(path)], capture_output=True, text=True)  # noqa: S603, S607

    assert result.returncode == 0, result.stdout + result.stderr
    assert "No errors detected" in result.stdout


def test_an_error_inside_the_block_writes_no_end_records() -> None:
    stream = AppendOnly()

    with pytest.raises(RuntimeError), streaming_zip(stream) as archive:
        archive.add("1.txt", b"text")
        raise RuntimeError("reader failed")

    assert b"PK\x05\x06" not in stream.buffer


class Discard(AppendOnly):
    """Counts what is written and keeps none of it."""

    def write(self, data: bytes) -> int:
        return len(data)


def test_memory_does_not_grow_with_the_number_of_entries() -> None:
    def peak_bytes(count: int) -> int:
        tracemalloc.start()
        with streaming_zip(Discard()) as archive:
            for n in range(count):
                archive.add(f"{n}.txt", b"Short text.")
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return peak

    # zipfile.ZipFile kept about 450 bytes per entry: 16 MB more here.
    assert peak_bytes(40_000) - peak_bytes(4_000) < 1_000_000


def test_closing_pieces_hand_the_directory_over_in_bounded_pieces() -> None:
    stream = AppendOnly()

    with streaming_zip(stream) as archive:
        for n in range(5000):
            archive.add(f"{n}.txt", b"Short text.")
        pieces = list(archive.closing_pieces())

    assert len(pieces) > 3
    assert max(map(len, pieces)) <= PIECE_SIZE
    archive = zipfile.ZipFile(io.BytesIO(bytes(stream.buffer) + b"".join(pieces)))
    assert len(archive.namelist()) == 5000
    assert archive.testzip() is None
