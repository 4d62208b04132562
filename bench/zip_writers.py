"""Streaming zip writers compared: time and peak memory for a brat-sized archive.

Writes N documents as a brat export lays them out (``<id>.txt`` of ~3,000
characters and ``<id>.ann`` of ~300, deflated, so 2N entries) to ``/dev/null``
through each writer, one subprocess per writer so that memory peaks do not
mix, and prints seconds, CPU seconds and peak RSS (VmHWM) over the baseline::

    .venv/bin/python bench/zip_writers.py 100000

Writers: ``stream-zip`` (what ``annotator/exports/zipstream.py`` uses) and
``zipstream-ng``. Both keep each entry's central directory record in memory
until the end, which is what the figures measure.
"""

import argparse
import json
import os
import random
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime

WORDS = ["the", "minister", "said", "talks", "would", "resume", "in", "January", "after", "a"]
WRITERS = ("stream-zip", "zipstream-ng")


def peak_rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM")


def current_rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def entries(documents: int) -> Iterator[tuple[str, bytes]]:
    rng = random.Random(1)
    text = " ".join(rng.choices(WORDS, k=500)).encode()
    ann = "".join(f"T{n}\tclaim {n} {n + 5}\tthe m\n" for n in range(10)).encode()
    for number in range(documents):
        yield f"train/{number}.txt", text
        yield f"train/{number}.ann", ann


def stream_zip_chunks(documents: int) -> Iterator[bytes]:
    from stream_zip import ZIP_AUTO, stream_zip

    when = datetime(1980, 1, 1)
    members = (
        (name, when, 0o644, ZIP_AUTO(len(data), level=6), (data,))
        for name, data in entries(documents)
    )
    return stream_zip(members, extended_timestamps=False)


def zipstream_ng_chunks(documents: int) -> Iterator[bytes]:
    from zipstream import ZIP_DEFLATED, ZipStream

    archive = ZipStream(compress_type=ZIP_DEFLATED, compress_level=6)
    names = entries(documents)

    # Entries are added as the archive is read, as an export adds them while it reads documents.
    def generate() -> Iterator[bytes]:
        for name, data in names:
            archive.add(data, name)
            yield from archive.all_files()
        yield from archive.footer()

    return generate()


def measure(writer: str, documents: int) -> dict:
    chunks = stream_zip_chunks if writer == "stream-zip" else zipstream_ng_chunks
    baseline = current_rss_mb()
    began, began_cpu = time.perf_counter(), time.process_time()
    size = 0
    with open(os.devnull, "wb") as sink:
        for chunk in chunks(documents):
            size += len(chunk)
            sink.write(chunk)
    return {
        "writer": writer,
        "entries": 2 * documents,
        "bytes": size,
        "seconds": time.perf_counter() - began,
        "cpu_seconds": time.process_time() - began_cpu,
        "baseline_mb": baseline,
        "peak_mb": peak_rss_mb(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("documents", nargs="?", type=int, default=100_000)
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.measure:
        print(json.dumps(measure(arguments.measure, arguments.documents)))
        return
    print(
        f"{'writer':<14}{'entries':>9}{'MB':>8}{'seconds':>9}{'cpu s':>8}"
        f"{'base MB':>9}{'peak MB':>9}"
    )
    for writer in WRITERS:
        child = subprocess.run(  # noqa: S603 - this interpreter on this script
            [sys.executable, __file__, str(arguments.documents), "--measure", writer],
            check=True,
            capture_output=True,
            text=True,
        )
        row = json.loads(child.stdout)
        print(
            f"{row['writer']:<14}{row['entries']:>9}{row['bytes'] / 2**20:>8.1f}"
            f"{row['seconds']:>9.2f}{row['cpu_seconds']:>8.2f}{row['baseline_mb']:>9.0f}"
            f"{row['peak_mb']:>9.0f}"
        )


if __name__ == "__main__":
    main()
