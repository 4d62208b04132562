"""Export benchmark: time every format over a generated corpus and report peak memory.

Fills the database directly (bulk inserts) with a fresh project of N gold documents
(default 10,000) of about 3,000 characters and 10 accepted gold spans each,
exports it in every format through the reader (source "gold"), one subprocess
per format and way so that memory peaks do not mix, then times a release of every
format (into a temporary MEDIA_ROOT), prints a table, and deletes the project,
its releases and its user at the end::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/annotator .venv/bin/python bench/export.py 10000

With ``--relations`` the project also has the default relation types and stance, and
each gold claim, threat and proposal is linked to the nearest gold actor (claimant or
addressee, alternately) and holds a stance: 8 relations and 8 values per
document, read through the reader's joined query.

Every format is measured the two ways a user waits for it: "download", the zip the
Export page and the API stream (``stream_export``, written here to ``/dev/null``),
and "folder", the folder of files by split that the ``export_dataset`` command
writes (``write_export``; see ``annotator/exports/formats.py``). The release
writes every format into its zip as a download does, so "download" is also what a
format costs inside a release.

Peak RSS is the subprocess's high-water mark (VmHWM): Django, and spaCy or pyarrow for
their formats included. "baseline" is the RSS after Django has started and the
writer has exported one tiny document (so its imports are loaded), before the
export. "cpu s" is the exporting process's own CPU time (the database server's
work is not in it): on a shared machine it shows how much of "seconds" was
waiting for a core or for the database.
"""

import argparse
import json
import os
import random
import resource
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

from django.contrib.auth.models import User  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from annotator.exports.formats import (  # noqa: E402
    FORMATS,
    get_format,
    stream_export,
    write_export,
)
from annotator.exports.reader import Selection, export_labels, read_documents  # noqa: E402
from annotator.exports.records import ExportDocument  # noqa: E402
from annotator.exports.releases import release_create  # noqa: E402
from annotator.models import (  # noqa: E402
    Document,
    GoldOrigin,
    GoldRelation,
    GoldSpan,
    GoldSpanAttribute,
    GoldSpanStatus,
    GoldStatus,
    Label,
    LabelAttribute,
    Membership,
    Project,
    Release,
    Role,
    text_digest,
)
from annotator.projects.setup import add_default_relations  # noqa: E402

LABELS = [
    ("claim", "#fde68a"),
    ("threat", "#fca5a5"),
    ("proposal", "#a7f3d0"),
    ("actor", "#bfdbfe"),
]
TARGET_SPANS_PER_SECOND = {"jsonl": 100_000}
DEFAULT_TARGET = 25_000
TARGET_PEAK_MB = 200
#: The two ways a format is exported (see the module docstring).
WAYS = ("download", "folder")
# Below this, start-up costs swamp the rate (the CI smoke run exports 30 documents).
JUDGED_FROM_DOCUMENTS = 1000
SPANS_PER_DOCUMENT = 10
DOCUMENT_CHARACTERS = 3000
BATCH = 1000
WORDS = [
    "the",
    "minister",
    "said",
    "that",
    "talks",
    "on",
    "security",
    "would",
    "resume",
    "in",
    "January",
    "while",
    "officials",
    "warned",
    "of",
    "sanctions",
    "if",
    "the",
    "border",
    "stayed",
    "closed",
    "NATO",
    "Moscow",
    "Geneva",
    "council",
    "envoy",
    "proposed",
    "a",
    "draft",
    "treaty",
    "and",
    "the",
    "alliance",
    "rejected",
    "claims",
    "about",
    "troops",
    "near",
    "the",
    "river",
    "Zoë",
    "Genève",
    "café",
    "🎉",
    "délégation",
]


def peak_rss_mb() -> float:
    """This process's peak RSS: VmHWM where Linux has it, else ``ru_maxrss``.

    ``ru_maxrss`` survives ``exec``, so in a subprocess it would report the
    parent's peak (the bulk insert) whenever that is higher.
    """
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def current_rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def document_text(rng: random.Random) -> tuple[str, list[tuple[int, int]]]:
    """About 3,000 characters of sentences, and the word ranges (code points) in it."""
    parts: list[str] = []
    words: list[tuple[int, int]] = []
    length = 0
    while length < DOCUMENT_CHARACTERS:
        sentence = rng.choices(WORDS, k=rng.randint(8, 20))
        for index, word in enumerate(sentence):
            words.append((length, length + len(word)))
            parts.append(word)
            length += len(word)
            separator = ".\n" if index == len(sentence) - 1 else " "
            parts.append(separator)
            length += len(separator)
    return "".join(parts), words


def span_ranges(rng: random.Random, words: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Ten word-aligned spans of 1-6 words, one in each tenth of the document."""
    ranges = []
    step = len(words) // SPANS_PER_DOCUMENT
    for part in range(SPANS_PER_DOCUMENT):
        first = part * step + rng.randrange(step - 6)
        ranges.append((words[first][0], words[first + rng.randint(0, 5)][1]))
    return ranges


def add_gold_relations(project: Project, created: list, curator: User) -> None:
    """Per document, each accepted gold statement (claim, threat, proposal) linked to the
    nearest gold actor, alternately as claimant and addressee, with a stance on it."""
    types = list(project.relation_types.order_by("name"))
    stances = {
        attribute.label_id: attribute
        for attribute in LabelAttribute.objects.filter(label__project=project, name="stance")
    }
    gold = GoldSpan.objects.filter(document__in=created).select_related("label")
    by_document: dict[int, list] = {}
    for span in gold:
        by_document.setdefault(span.document_id, []).append(span)
    relations, values = [], []
    for spans in by_document.values():
        actors = [span for span in spans if span.label.name == "actor"]
        for number, statement in enumerate(s for s in spans if s.label.name != "actor"):
            if actors:
                actor = min(actors, key=lambda a: abs(a.start - statement.start))
                relations.append(
                    GoldRelation(
                        type=types[number % len(types)],
                        document_id=statement.document_id,
                        source=statement,
                        target=actor,
                        status=GoldSpanStatus.ACCEPTED,
                        origin=GoldOrigin.CURATOR,
                        curator=curator,
                    )
                )
            attribute = stances[statement.label_id]
            values.append(
                GoldSpanAttribute(
                    gold_span=statement,
                    attribute=attribute,
                    value=attribute.allowed_values[number % len(attribute.allowed_values)],
                    origin=GoldOrigin.CURATOR,
                    curator=curator,
                )
            )
    GoldRelation.objects.bulk_create(relations)
    GoldSpanAttribute.objects.bulk_create(values)


def fill(documents: int, *, relations: bool = False) -> Project:
    rng = random.Random(4)
    suffix = uuid.uuid4().hex[:8]
    with transaction.atomic():
        project = Project.objects.create(name=f"Export bench {suffix}", slug=f"bench-{suffix}")
        labels = [
            Label.objects.create(project=project, name=name, colour=colour, hotkey=str(n))
            for n, (name, colour) in enumerate(LABELS, start=1)
        ]
        curator = User.objects.create_user(f"bench-{suffix}")
        Membership.objects.create(project=project, user=curator, role=Role.CURATOR)
        if relations:
            add_default_relations(project)
    for batch_start in range(0, documents, BATCH):
        generated = [document_text(rng) for _ in range(min(BATCH, documents - batch_start))]
        with transaction.atomic():
            # bulk_create skips the pre_save signal, so the digest is set here;
            # the generated text is NFC with LF line breaks already.
            created = Document.objects.bulk_create(
                Document(
                    project=project,
                    title=f"Document {batch_start + n}",
                    text=text,
                    text_sha256=text_digest(text),
                    metadata={"bench": True},
                    gold_status=GoldStatus.GOLD,
                )
                for n, (text, _) in enumerate(generated)
            )
            GoldSpan.objects.bulk_create(
                GoldSpan(
                    document=document,
                    label=labels[index % len(labels)],
                    start=start,
                    end=end,
                    status=GoldSpanStatus.ACCEPTED,
                    origin=GoldOrigin.CURATOR,
                    curator=curator,
                    guidelines_version=1,
                )
                for document, (_, words) in zip(created, generated, strict=True)
                for index, (start, end) in enumerate(span_ranges(rng, words))
            )
            if relations:
                add_gold_relations(project, created, curator)
        print(f"filled {batch_start + len(generated)}/{documents} documents", file=sys.stderr)
    if connection.vendor == "postgresql":
        # What autovacuum does to a live database sooner or later. Without it the planner
        # thinks the new project has one document, pages the export through the
        # (project, gold_status) index and sorts every remaining document for each chunk.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE annotator_document")
            cursor.execute("ANALYZE annotator_goldspan")
            cursor.execute("ANALYZE annotator_goldrelation")
            cursor.execute("ANALYZE annotator_goldspanattribute")
    return project


def cleanup(project: Project) -> None:
    """Delete the project, its releases, documents, gold spans and labels, and its curator."""
    users = list(User.objects.filter(memberships__project=project))
    with transaction.atomic():
        # Releases protect the project, and labels are protected while gold spans use them.
        Release.objects.filter(project=project).delete()
        GoldSpan.objects.filter(document__project=project).delete()
        project.delete()
        for user in users:
            user.delete()


def _download(export_format, documents, labels, stem: str) -> tuple[int, int]:
    """Stream the download's zip to ``/dev/null``; return the documents and spans read."""
    read = [0, 0]

    def counted(documents):
        for document in documents:
            read[0] += 1
            read[1] += len(document.spans)
            yield document

    with open(os.devnull, "wb") as sink:
        for piece in stream_export(export_format, counted(documents), labels, stem=stem):
            sink.write(piece)
    return read[0], read[1]


def measure(slug: str, format_name: str, way: str) -> dict:
    """Export one format one way (in this process) and return its figures."""
    export_format = get_format(format_name)
    project = Project.objects.get(slug=slug)
    labels = export_labels(project)
    with tempfile.TemporaryDirectory() as scratch:
        # An export of one tiny document first: the writer's imports (spaCy;
        # pyarrow, which imports pandas on its first conversion) land in the
        # baseline, so the growth is the export's alone.
        warm_up = ExportDocument(0, "", "Warm up.", "", {}, ())
        if way == "download":
            _download(export_format, [warm_up], labels, "warm-up")
        else:
            write_export(export_format, [warm_up], labels, Path(scratch) / "warm-up")
        baseline = current_rss_mb()
        began, began_cpu = time.perf_counter(), time.process_time()
        documents = read_documents(Selection(project, "gold"))
        if way == "download":
            document_count, spans = _download(export_format, documents, labels, slug)
        else:
            counts = write_export(export_format, documents, labels, Path(scratch) / "export")
            document_count, spans = counts.documents, counts.spans
        seconds = time.perf_counter() - began
        cpu_seconds = time.process_time() - began_cpu
    return {
        "format": f"{format_name} {way}",
        "documents": document_count,
        "spans": spans,
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "baseline_mb": baseline,
        "peak_mb": peak_rss_mb(),
    }


def measure_release(slug: str) -> dict:
    """Create a release of every format (in this process) and return its figures."""
    project = Project.objects.get(slug=slug)
    author = User.objects.get(memberships__project=project)
    baseline = current_rss_mb()
    began, began_cpu = time.perf_counter(), time.process_time()
    release = release_create(project=project, author=author, languages=["en"])
    seconds = time.perf_counter() - began
    cpu_seconds = time.process_time() - began_cpu
    return {
        "format": f"release ({len(release.formats)})",
        "documents": len(release.document_ids),
        "spans": sum(release.counts["labels"].values()),
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "baseline_mb": baseline,
        "peak_mb": peak_rss_mb(),
    }


def run(documents: int, *, relations: bool = False) -> None:
    began = time.perf_counter()
    project = fill(documents, relations=relations)
    print(f"filled in {time.perf_counter() - began:.1f} s", file=sys.stderr)
    try:
        with tempfile.TemporaryDirectory() as media_root:
            results = []
            runs = [["--measure", project.slug, name, way] for name in FORMATS for way in WAYS]
            runs.append(["--release", project.slug])
            for arguments in runs:
                # A subprocess per run: ru_maxrss is a high-water mark, it never goes down.
                child = subprocess.run(  # noqa: S603 - this interpreter on this script
                    [sys.executable, __file__, *arguments],
                    check=True,
                    capture_output=True,
                    text=True,
                    env=os.environ | {"MEDIA_ROOT": media_root},
                )
                results.append(json.loads(child.stdout))
    finally:
        cleanup(project)
    print_table(documents, results)


def print_table(documents: int, results: list[dict]) -> None:
    print(f"\nExport of {documents} documents ({os.environ.get('DATABASE_URL', 'sqlite')})")
    header = (
        f"{'format':<26}{'documents':>10}{'spans':>10}{'seconds':>9}{'cpu s':>8}{'spans/s':>10}"
        f"{'per cpu s':>11}{'baseline MB':>13}{'peak MB':>9}  target"
    )
    print(header)
    print("-" * len(header))
    for row in results:
        rate = row["spans"] / row["seconds"] if row["seconds"] else float("inf")
        # Spans per second of this process's CPU: what the rate would be on an idle
        # machine, give or take the database's share.
        cpu_rate = row["spans"] / row["cpu_seconds"] if row["cpu_seconds"] else float("inf")
        line = (
            f"{row['format']:<26}{row['documents']:>10}{row['spans']:>10}"
            f"{row['seconds']:>9.2f}{row['cpu_seconds']:>8.2f}{rate:>10.0f}{cpu_rate:>11.0f}"
            f"{row['baseline_mb']:>13.0f}{row['peak_mb']:>9.0f}"
        )
        if documents < JUDGED_FROM_DOCUMENTS:
            line += "  (too few documents to judge)"
        elif row["format"].split()[0] in FORMATS:
            target = TARGET_SPANS_PER_SECOND.get(row["format"].split()[0], DEFAULT_TARGET)
            met = rate >= target and row["peak_mb"] < TARGET_PEAK_MB
            line += f"  {'met' if met else 'MISSED'} (>= {target} spans/s, < {TARGET_PEAK_MB} MB)"
        else:
            # A release writes every format, so its rate is per span of the corpus, not
            # per span written; only its memory has a target.
            line += f"  {'met' if row['peak_mb'] < TARGET_PEAK_MB else 'MISSED'} (< 200 MB)"
        print(line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("documents", nargs="?", type=int, default=10_000)
    parser.add_argument(
        "--measure", nargs=3, metavar=("SLUG", "FORMAT", "WAY"), help=argparse.SUPPRESS
    )
    parser.add_argument("--release", metavar="SLUG", help=argparse.SUPPRESS)
    parser.add_argument(
        "--relations",
        action="store_true",
        help="give each document gold relations (claimant, addressee) and stance values",
    )
    arguments = parser.parse_args()
    if arguments.measure:
        print(json.dumps(measure(*arguments.measure)))
    elif arguments.release:
        print(json.dumps(measure_release(arguments.release)))
    else:
        run(arguments.documents, relations=arguments.relations)


if __name__ == "__main__":
    main()
