"""The zip downloads are made of (stream-zip), read back by zipfile and Info-ZIP's unzip."""

import io
import subprocess
import tracemalloc
import zipfile
import zlib
from pathlib import Path

import pytest

from annotator.exports.records import ZIP_DATE_TIME
from annotator.exports.zipstream import ZipEntry, file_entry, zip_stream

ENTRIES = [
    ("annotation.conf", b"[entities]\nclaim\n"),
    ("1.txt", "Zoë 🎉 said.\n".encode()),
    ("1.ann", b""),
    ("données/é.txt", "ﾟ…".encode()),
    ("big.txt", b"the minister said " * 20_000),
]


def written(
    entries: list[tuple[str, bytes]], *, compress: bool = True, pieces: bool = False
) -> bytes:
    """The zip of ``entries``, their content as bytes or, with ``pieces``, in pieces."""
    made = []
    for name, data in entries:
        if not pieces:
            made.append(ZipEntry(name, data, compress))
        elif compress:
            made.append(ZipEntry(name, iter([data[:7], data[7:]])))
        else:
            made.append(ZipEntry(name, iter([data]), False, len(data), zlib.crc32(data)))
    return b"".join(zip_stream(made))


@pytest.mark.parametrize("pieces", [False, True])
@pytest.mark.parametrize("compress", [True, False])
def test_entries_read_back_with_their_names_data_and_metadata(compress: bool, pieces: bool) -> None:
    archive = zipfile.ZipFile(io.BytesIO(written(ENTRIES, compress=compress, pieces=pieces)))

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
    assert written(ENTRIES, pieces=True) == written(ENTRIES, pieces=True)
    assert written(ENTRIES) != written(changed)


def test_a_stored_entry_in_pieces_needs_its_size_and_crc() -> None:
    with pytest.raises(ValueError, match="size and CRC-32"):
        b"".join(zip_stream([ZipEntry("a.spacy", iter([b"x"]), compress=False)]))


def test_a_file_entry_is_read_in_pieces(tmp_path: Path) -> None:
    path = tmp_path / "train-00000-of-00001.parquet"
    path.write_bytes(bytes(range(256)) * 5000)

    data = b"".join(zip_stream([file_entry("hf/x.parquet", path, compress=False)]))

    archive = zipfile.ZipFile(io.BytesIO(data))
    assert archive.read("hf/x.parquet") == path.read_bytes()
    assert archive.getinfo("hf/x.parquet").compress_type == zipfile.ZIP_STORED


def test_empty_archive_is_a_valid_zip() -> None:
    assert zipfile.ZipFile(io.BytesIO(written([]))).namelist() == []


def test_more_entries_than_a_plain_zip_holds_get_zip64_records() -> None:
    entries = [(f"{n}.ann", b"") for n in range(0xFFFF + 10)]

    data = written(entries)
    archive = zipfile.ZipFile(io.BytesIO(data))

    assert len(archive.infolist()) == 0xFFFF + 10
    assert archive.namelist()[-1] == f"{0xFFFF + 9}.ann"
    assert b"PK\x06\x06" in data[-200:]


@pytest.mark.parametrize("pieces", [False, True])
def test_info_zip_unzip_accepts_the_archive(tmp_path: Path, pieces: bool) -> None:
    path = tmp_path / "brat.zip"
    path.write_bytes(written(ENTRIES, pieces=pieces))

    # Installed by `make test` (Makefile, system-packages).
    result = subprocess.run(["unzip", "-t", str(path)], capture_output=True, text=True)  # noqa: S603, S607

    assert result.returncode == 0, result.stdout + result.stderr
    assert "No errors detected" in result.stdout


def test_an_error_in_an_entry_writes_no_end_records() -> None:
    def failing():
        yield b"text " * 20_000
        raise RuntimeError("reader failed")

    received = bytearray()
    with pytest.raises(RuntimeError, match="reader failed"):
        for piece in zip_stream([ZipEntry("1.txt", b"first"), ZipEntry("2.txt", failing())]):
            received += piece

    assert b"PK\x05\x06" not in received
    with pytest.raises(zipfile.BadZipFile):
        zipfile.ZipFile(io.BytesIO(bytes(received)))


def test_memory_per_entry_is_a_directory_record() -> None:
    """stream-zip keeps each entry's central directory record until the end: a few hundred
    bytes an entry (zipfile.ZipFile kept about 450), never the entries' data."""

    def peak_bytes(count: int) -> int:
        tracemalloc.start()
        entries = (ZipEntry(f"train/{n}.txt", b"Short text." * 30) for n in range(count))
        for _ in zip_stream(entries):
            pass
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return peak

    growth = peak_bytes(40_000) - peak_bytes(4_000)
    assert growth / 36_000 < 400


def test_pieces_are_bounded() -> None:
    pieces = list(zip_stream(ZipEntry(f"{n}.txt", b"Short text." * 50) for n in range(5000)))

    assert len(pieces) > 3
    assert max(map(len, pieces)) <= 64 * 1024
    archive = zipfile.ZipFile(io.BytesIO(b"".join(pieces)))
    assert len(archive.namelist()) == 5000
    assert archive.testzip() is None
