"""Span import benchmark: 10,000 documents x 10 spans from one doccano JSON Lines file.

Writes a file of N documents (default 10,000) of about 3,000 characters with
10 labelled spans each, as our JSON Lines export writes them, then imports it
into a fresh project three ways, each in its own subprocess (so that peak
memory does not mix), timing the import service alone (Django's start-up is
left out):

1. "documents + spans": the documents do not exist yet; the import creates
   them and gives the spans to a pseudo-annotator. This is what Label Studio
   (10.7 s) and doccano (18.6 s) were timed doing with 10,000 annotated
   documents on this machine.
2. "spans of a member": the same spans again, as a named annotator's spans on
   the documents now present.
3. "suggestions": the same spans as suggestions to every annotator.

Every span is validated (offsets, label, duplicates) and recorded in the
audit log. The project, its users and spans are deleted at the end (audit
events are append-only and stay)::

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/annotator_bench
    .venv/bin/python bench/span_import.py 10000
"""

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth.models import User  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from export import LABELS, document_text, peak_rss_mb, span_ranges  # noqa: E402

from annotator.annotation.span_imports import (  # noqa: E402
    SpanImportTarget,
    SpanUpload,
    import_spans,
)
from annotator.models import Label, Membership, Project, Role, Span  # noqa: E402

PEERS_SECONDS = {"Label Studio": 10.7, "doccano": 18.6}
# Below this, start-up costs swamp the figure (the CI smoke run imports a few documents).
JUDGED_FROM_DOCUMENTS = 10_000
SCENARIOS = {
    "documents + spans": ("pseudo", True),
    "spans of a member": ("annotator", False),
    "suggestions": ("suggestions", False),
}


def write_file(path: Path, documents: int) -> int:
    """The file our doccano JSON Lines export would write; returns the number of spans."""
    rng = random.Random(16)
    names = [name for name, _ in LABELS]
    spans = 0
    with path.open("w", encoding="utf-8") as stream:
        for number in range(documents):
            text, words = document_text(rng)
            ranges = span_ranges(rng, words)
            # Two spans may come out the same; a file we export never repeats one.
            unique = sorted({(s, e, names[i % len(names)]) for i, (s, e) in enumerate(ranges)})
            label = [[start, end, name] for start, end, name in unique]
            spans += len(label)
            record = {
                "id": number + 1,
                "title": f"Document {number}",
                "text": text,
                "label": label,
                "meta": {"source": "bench"},
            }
            stream.write(json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n")
    return spans


def setup() -> Project:
    suffix = uuid.uuid4().hex[:8]
    with transaction.atomic():
        project = Project.objects.create(name=f"Span import bench {suffix}", slug=f"bench-{suffix}")
        for hotkey, (name, colour) in enumerate(LABELS, start=1):
            Label.objects.create(project=project, name=name, colour=colour, hotkey=str(hotkey))
        for role in (Role.MANAGER, Role.ANNOTATOR):
            user = User.objects.create_user(f"bench-{suffix}-{role}")
            Membership.objects.create(project=project, user=user, role=role)
    return project


def cleanup(project: Project) -> None:
    if connection.vendor == "postgresql":
        # Without statistics that know the new rows, the span triggers' joins read
        # every document per DELETE statement (0.3 s per 100 spans; autovacuum would
        # analyze soon after a real import).
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE annotator_document")
            cursor.execute("ANALYZE annotator_span")
            cursor.execute("ANALYZE annotator_suggestion")
    users = list(User.objects.filter(memberships__project=project))
    with transaction.atomic():
        # Labels are protected while spans use them.
        Span.objects.filter(document__project=project).delete()
        project.delete()
        for user in users:
            user.delete()


def measure(slug: str, scenario: str, path: str) -> dict:
    # As in production: with DEBUG on, Django keeps the text of every query.
    settings.DEBUG = False
    project = Project.objects.get(slug=slug)
    kind, create = SCENARIOS[scenario]
    name = {
        "pseudo": f"model:{slug}",
        "annotator": f"{slug}-annotator",
        "suggestions": "bench",
    }[kind]
    manager = User.objects.get(username=f"{slug}-manager")
    size = Path(path).stat().st_size
    with open(path, "rb") as stream:
        began, began_cpu = time.perf_counter(), time.process_time()
        result = import_spans(
            project=project,
            uploads=[SpanUpload(path, stream, size)],
            target=SpanImportTarget(kind, name),
            actor=manager,
            name="bench",
            create_documents=create,
        )
        seconds = time.perf_counter() - began
        cpu_seconds = time.process_time() - began_cpu
    return {
        "scenario": scenario,
        "documents": result.documents,
        "created": result.documents_created,
        "spans": result.spans_created + result.suggestions_created,
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "peak_mb": peak_rss_mb(),
    }


def run(documents: int) -> None:
    project = setup()
    results = []
    try:
        with tempfile.TemporaryDirectory() as scratch:
            path = Path(scratch) / "spans.jsonl"
            spans = write_file(path, documents)
            print(
                f"wrote {documents} documents, {spans} spans, {path.stat().st_size / 2**20:.1f} MB",
                file=sys.stderr,
            )
            for scenario in SCENARIOS:
                child = subprocess.run(  # noqa: S603 - this interpreter on this script
                    [sys.executable, __file__, "--measure", project.slug, scenario, str(path)],
                    check=True,
                    capture_output=True,
                    text=True,
                )
                results.append(json.loads(child.stdout))
    finally:
        cleanup(project)
    print(f"\nSpan import of {documents} documents ({connection.vendor})")
    header = (
        f"{'scenario':<20}{'documents':>10}{'created':>9}{'spans':>9}{'seconds':>9}"
        f"{'cpu s':>8}{'spans/s':>9}{'peak MB':>9}  against peers"
    )
    print(header)
    print("-" * len(header))
    for row in results:
        rate = row["spans"] / row["seconds"] if row["seconds"] else float("inf")
        line = (
            f"{row['scenario']:<20}{row['documents']:>10}{row['created']:>9}{row['spans']:>9}"
            f"{row['seconds']:>9.2f}{row['cpu_seconds']:>8.2f}{rate:>9.0f}{row['peak_mb']:>9.0f}"
        )
        if documents < JUDGED_FROM_DOCUMENTS:
            line += "  (judged at 10,000 documents)"
        else:
            line += "  " + ", ".join(
                f"{'faster' if row['seconds'] < seconds else 'SLOWER'} than {peer} ({seconds} s)"
                for peer, seconds in PEERS_SECONDS.items()
            )
        print(line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("documents", nargs="?", type=int, default=10_000)
    parser.add_argument(
        "--measure", nargs=3, metavar=("SLUG", "SCENARIO", "PATH"), help=argparse.SUPPRESS
    )
    arguments = parser.parse_args()
    if arguments.measure:
        print(json.dumps(measure(*arguments.measure)))
    else:
        run(arguments.documents)


if __name__ == "__main__":
    main()
