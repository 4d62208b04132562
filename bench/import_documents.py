"""``manage.py import_documents`` on a generated JSON Lines corpus: time and peak memory.

Writes N documents of about ``--length`` code points (default 50,000 x 3,000,
about 150 MB) to a temporary ``.jsonl`` file, creates an empty project
``bench-<n>``, and runs the import command on it in a child process, as an
administrator would. Prints the file size, the wall time, documents and
megabytes a second, and the child's peak resident memory (``ru_maxrss`` of the
finished child), then checks that every document was stored.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/annotator_bench \\
        .venv/bin/python bench/import_documents.py --documents 50000

The project is deleted at the end unless ``--keep`` is given.
"""

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import corpus
from timing import print_table

ROOT = Path(__file__).resolve().parent.parent


def write_corpus(path: Path, documents: int, length: int, seed: int) -> None:
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8") as out:
        for number in range(documents):
            record = {
                "title": f"Story {number}",
                "text": f"Story {number}. {corpus.make_text(rng, length)}",
                "source": f"https://news.example/{number}",
                "meta": {"number": number, "desk": rng.choice(["world", "europe", "defence"])},
            }
            out.write(json.dumps(record, ensure_ascii=False) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--documents", type=int, default=50_000)
    parser.add_argument("--length", type=int, default=3000, help="code points per document")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", action="store_true", help="keep the project and its documents")
    args = parser.parse_args()

    corpus.setup_django()
    from annotator.models import Document

    with tempfile.TemporaryDirectory(prefix="import-bench-") as folder:
        path = Path(folder) / "corpus.jsonl"
        started = time.perf_counter()
        write_corpus(path, args.documents, args.length, args.seed)
        written_s = time.perf_counter() - started
        size_mb = path.stat().st_size / 1e6
        bench = corpus.create_project(annotators=0)
        try:
            started = time.perf_counter()
            # Our own interpreter and manage.py, fixed arguments, no shell.
            finished = subprocess.run(  # noqa: S603
                [
                    sys.executable,
                    str(ROOT / "manage.py"),
                    "import_documents",
                    str(path),
                    "--project",
                    bench.project.slug,
                ],
                cwd=ROOT,
                capture_output=True,
                text=True,
                check=False,
            )
            elapsed_s = time.perf_counter() - started
            peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
            if finished.returncode != 0:
                raise SystemExit(f"import_documents failed:\n{finished.stderr[-2000:]}")
            stored = Document.objects.filter(project=bench.project).count()
            if stored != args.documents:
                raise SystemExit(f"stored {stored} documents of {args.documents}")
        finally:
            if not args.keep:
                corpus.remove_project(bench)

    print(
        f"{corpus.database_label()}; {args.documents:,} documents of ~{args.length:,} code "
        f"points, written in {written_s:.1f} s"
    )
    print_table(
        ["documents", "file MB", "import s", "documents/s", "MB/s", "peak RSS MiB"],
        [
            [
                args.documents,
                size_mb,
                elapsed_s,
                args.documents / elapsed_s,
                size_mb / elapsed_s,
                peak_mib,
            ]
        ],
    )
    print(finished.stdout.strip())


if __name__ == "__main__":
    main()
