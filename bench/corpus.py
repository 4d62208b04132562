"""Bulk corpus for the benchmarks, written straight into the database.

Creates a fresh project ``bench-<n>`` with the four demo labels, a few annotators
(members of the project), N documents of about 3,000 characters and, for every
annotator, K spans on every document plus the Assignment row with its stored
``span_count``. On PostgreSQL rows go in through ``COPY`` (psycopg's
``cursor.copy``); elsewhere through ``bulk_create``. Spans are ``[start, end)`` in
code points over the normalised text, so the database triggers of migration 0002
accept them. Bulk inserts skip ``pre_save``, so the text is normalised and hashed
here.

Importable by the other scripts (``setup_django``, ``create_project``,
``add_documents``, ``add_annotators``, ``remove_project``) and runnable alone::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/annotator_bench \\
        .venv/bin/python bench/corpus.py --documents 100000 --spans 10

The project and its users are deleted at the end unless ``--keep`` is given.
"""

import argparse
import dataclasses
import json
import os
import random
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

LABELS = [
    ("claim", "#fde68a", "1"),
    ("threat", "#fca5a5", "2"),
    ("proposal", "#a7f3d0", "3"),
    ("actor", "#bfdbfe", "4"),
]

# News-like vocabulary with a few non-ASCII words, so offsets are code points.
WORDS = (
    "the minister said talks would resume in January after a draft treaty was rejected by "
    "Moscow and Washington officials who warned that sanctions could follow if troops crossed "
    "the border near Kyiv NATO allies proposed a ceasefire while the Kremlin accused the "
    "alliance of expanding eastward Lavrov told reporters in Genève that security guarantees "
    "were non-negotiable the Biden administration offered arms control measures and "
    "confidence building steps diplomats in Zürich described the meeting as frank but useful "
    "a spokesperson for the foreign ministry threatened a military technical response "
    "analysts in Kraków and São Paulo doubted the offer — which included inspections of "
    "missile sites — would satisfy either side the café near the embassy was closed for the "
    "summit and the naïve hope of an early deal faded"
)
VOCABULARY = tuple(WORDS.split())


def setup_django() -> None:
    """Put the repository on ``sys.path`` and set Django up from ``DATABASE_URL``."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
    import django

    django.setup()


def database_label() -> str:
    from django.db import connection

    settings = connection.settings_dict
    if connection.vendor == "postgresql":
        return f"PostgreSQL {connection.pg_version // 10000} ({settings['NAME']})"
    return f"{connection.vendor} ({settings['NAME']})"


@dataclass
class BenchProject:
    project: object
    labels: list
    annotators: list
    curators: list = dataclasses.field(default_factory=list)


def make_text(rng: random.Random, length: int) -> str:
    """About ``length`` code points of sentences and paragraphs, NFC, LF only."""
    sentences: list[str] = []
    size = 0
    while size < length:
        words = rng.choices(VOCABULARY, k=rng.randint(8, 22))
        sentence = " ".join(words)
        sentence = sentence[0].upper() + sentence[1:] + "."
        if sentences and rng.random() < 0.2:
            sentences.append("\n\n")
            size += 2
        elif sentences:
            sentences.append(" ")
            size += 1
        sentences.append(sentence)
        size += len(sentence)
    return "".join(sentences)


def pick_ranges(rng: random.Random, text: str, count: int) -> list[tuple[int, int]]:
    """``count`` distinct ranges of one to four words, never starting or ending in a space."""
    ranges: set[tuple[int, int]] = set()
    limit = len(text) - 1
    attempts = 0
    while len(ranges) < count and attempts < count * 20:
        attempts += 1
        space = text.find(" ", rng.randrange(limit))
        if space == -1 or space + 1 >= len(text) or text[space + 1].isspace():
            continue
        start = end = space + 1
        for _ in range(rng.randint(1, 4)):
            following = text.find(" ", end + 1)
            end = len(text) if following == -1 else following
        while end > start and text[end - 1] in " \n.,":
            end -= 1
        if end > start:
            ranges.add((start, end))
    return sorted(ranges)


def _next_slug(prefix: str) -> str:
    from annotator.models import Project

    numbers = [0]
    for slug in Project.objects.filter(slug__startswith=f"{prefix}-").values_list(
        "slug", flat=True
    ):
        tail = slug.rsplit("-", 1)[-1]
        if tail.isdigit():
            numbers.append(int(tail))
    return f"{prefix}-{max(numbers) + 1}"


def create_project(*, annotators: int = 3, prefix: str = "bench") -> BenchProject:
    """A fresh project ``<prefix>-<n>`` with the four labels and ``annotators`` members."""
    from django.db import IntegrityError, transaction

    from annotator.models import Label, Project

    for _ in range(5):
        slug = _next_slug(prefix)
        try:
            with transaction.atomic():
                project = Project.objects.create(name=f"Benchmark {slug}", slug=slug)
                labels = [
                    Label.objects.create(project=project, name=name, colour=colour, hotkey=key)
                    for name, colour, key in LABELS
                ]
        except IntegrityError:
            continue  # another script took the slug between our read and our insert
        bench = BenchProject(project=project, labels=labels, annotators=[])
        add_annotators(bench, annotators)
        return bench
    raise RuntimeError(f"could not find a free {prefix}-<n> slug")


def add_annotators(bench: BenchProject, count: int) -> list:
    """Create ``count`` users named ``<slug>-annotator-<i>`` as annotators of the project."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password

    from annotator.models import Membership, Role

    user_model = get_user_model()
    first = len(bench.annotators) + 1
    users = user_model.objects.bulk_create(
        [
            user_model(
                username=f"{bench.project.slug}-annotator-{number}",
                password=make_password(None),
            )
            for number in range(first, first + count)
        ]
    )
    if not all(user.pk for user in users):  # backends without RETURNING
        names = [user.username for user in users]
        users = list(user_model.objects.filter(username__in=names).order_by("pk"))
    Membership.objects.bulk_create(
        [Membership(project=bench.project, user=user, role=Role.ANNOTATOR) for user in users]
    )
    bench.annotators.extend(users)
    return users


def add_curator(bench: BenchProject):
    """A curator of the project, ``<slug>-curator``, for pages annotators may not see."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password

    from annotator.models import Membership, Role

    user, _ = get_user_model().objects.get_or_create(
        username=f"{bench.project.slug}-curator", defaults={"password": make_password(None)}
    )
    Membership.objects.get_or_create(
        project=bench.project, user=user, defaults={"role": Role.CURATOR}
    )
    bench.curators.append(user)
    return user


@dataclass
class _Batch:
    documents: list[tuple[str, str]]  # (title, text)
    spans: list[list[list[tuple[int, int, int]]]]  # per document, per annotator: (label, s, e)


def _make_batch(
    rng: random.Random, bench: BenchProject, first: int, count: int, spans: int, length: int
) -> _Batch:
    from annotator.models import normalize_text

    label_ids = [label.pk for label in bench.labels]
    documents = []
    document_spans = []
    for number in range(first, first + count):
        text = normalize_text(make_text(rng, length))
        documents.append((f"Benchmark article {number}", text))
        per_annotator = []
        for _ in bench.annotators:
            ranges = pick_ranges(rng, text, spans)
            per_annotator.append([(rng.choice(label_ids), s, e) for s, e in ranges])
        document_spans.append(per_annotator)
    return _Batch(documents, document_spans)


def _copy_statement(model, given: tuple[str, ...], now) -> tuple[str, tuple]:
    """``COPY`` into every concrete column of ``model``: ``given`` (attnames, in order) come
    from each row; the rest get the model's default, so columns added by later
    migrations (NOT NULL without a database default) are filled too."""
    from django.db import connection

    quote = connection.ops.quote_name
    others = [
        field
        for field in model._meta.concrete_fields
        if field.attname not in given and not field.primary_key
    ]
    defaults = []
    for field in others:
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            value = now
        else:
            value = field.get_default()
        prepared = field.get_db_prep_save(value, connection)
        if hasattr(prepared, "obj"):  # psycopg's Jsonb wrapper: COPY takes the JSON text
            prepared = json.dumps(prepared.obj)
        defaults.append(prepared)
    columns = [model._meta.get_field(name).column for name in given] + [f.column for f in others]
    table = quote(model._meta.db_table)
    statement = f"COPY {table} ({', '.join(quote(c) for c in columns)}) FROM STDIN"
    return statement, tuple(defaults)


def _statuses() -> tuple[str, str]:
    """The status of an assignment with spans, and the model's default for one without."""
    from annotator.models import Assignment, AssignmentStatus

    return AssignmentStatus.IN_PROGRESS, Assignment._meta.get_field("status").get_default()


def _copy_batch(bench: BenchProject, batch: _Batch, now) -> list[int]:
    """PostgreSQL: ids from the sequence, then one COPY per table."""
    from django.db import connection

    from annotator.models import Assignment, Document, Span, text_digest

    project_id = bench.project.pk
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence('annotator_document', 'id')) "
            "FROM generate_series(1, %s)",
            [len(batch.documents)],
        )
        ids = [row[0] for row in cursor.fetchall()]
        given = ("id", "project_id", "title", "source", "text", "text_sha256")
        statement, rest = _copy_statement(Document, given, now)
        with cursor.copy(statement) as copy:
            for document_id, (title, text) in zip(ids, batch.documents, strict=True):
                row = (document_id, project_id, title, "bench", text, text_digest(text))
                copy.write_row(row + rest)
        given = ("document_id", "annotator_id", "label_id", "start", "end", "client_id")
        statement, rest = _copy_statement(Span, given, now)
        with cursor.copy(statement) as copy:
            for document_id, per_annotator in zip(ids, batch.spans, strict=True):
                for user, spans in zip(bench.annotators, per_annotator, strict=True):
                    for label_id, start, end in spans:
                        row = (document_id, user.pk, label_id, start, end, uuid.uuid4())
                        copy.write_row(row + rest)
        given = ("document_id", "annotator_id", "status", "span_count")
        in_progress, untouched = _statuses()
        statement, rest = _copy_statement(Assignment, given, now)
        with cursor.copy(statement) as copy:
            for document_id, per_annotator in zip(ids, batch.spans, strict=True):
                for user, spans in zip(bench.annotators, per_annotator, strict=True):
                    status = in_progress if spans else untouched
                    copy.write_row((document_id, user.pk, status, len(spans), *rest))
    return ids


def _bulk_create_batch(bench: BenchProject, batch: _Batch, now) -> list[int]:
    from annotator.models import Assignment, Document, Span, text_digest

    in_progress, untouched = _statuses()
    documents = Document.objects.bulk_create(
        [
            Document(
                project=bench.project,
                title=title,
                source="bench",
                text=text,
                text_sha256=text_digest(text),
            )
            for title, text in batch.documents
        ],
        batch_size=500,
    )
    Span.objects.bulk_create(
        [
            Span(
                document=document,
                annotator=user,
                label_id=label_id,
                start=start,
                end=end,
                client_id=uuid.uuid4(),
            )
            for document, per_annotator in zip(documents, batch.spans, strict=True)
            for user, spans in zip(bench.annotators, per_annotator, strict=True)
            for label_id, start, end in spans
        ],
        batch_size=500,
    )
    Assignment.objects.bulk_create(
        [
            Assignment(
                document=document,
                annotator=user,
                status=in_progress if spans else untouched,
                span_count=len(spans),
            )
            for document, per_annotator in zip(documents, batch.spans, strict=True)
            for user, spans in zip(bench.annotators, per_annotator, strict=True)
        ],
        batch_size=500,
    )
    return [document.pk for document in documents]


def add_documents(
    bench: BenchProject,
    *,
    documents: int,
    spans: int,
    length: int = 3000,
    seed: int = 0,
    batch_size: int = 2000,
    progress: bool = False,
) -> list[int]:
    """Insert ``documents`` documents with ``spans`` spans per annotator each; return their ids."""
    from django.db import connection, transaction
    from django.utils import timezone

    rng = random.Random(seed)
    insert = _copy_batch if connection.vendor == "postgresql" else _bulk_create_batch
    now = timezone.now()
    ids: list[int] = []
    started = time.perf_counter()
    for first in range(0, documents, batch_size):
        count = min(batch_size, documents - first)
        batch = _make_batch(rng, bench, first + 1, count, spans, length)
        with transaction.atomic():
            ids.extend(insert(bench, batch, now))
        if progress:
            elapsed = time.perf_counter() - started
            print(f"  {len(ids):>9,} documents  {elapsed:7.1f} s", file=sys.stderr, flush=True)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE annotator_document, annotator_span, annotator_assignment")
    return ids


def _reverse_relations(model) -> list:
    return [
        field
        for field in model._meta.get_fields(include_hidden=True)
        if field.auto_created and not field.concrete and (field.one_to_many or field.one_to_one)
    ]


def _delete_rows(model, where: str, params: list, depth: int = 0) -> None:
    """Delete ``model`` rows matching ``where`` and, first, every row that points at them.

    Plain SQL with subqueries: the ORM's collector would load every one of a
    100,000-document project's ids into memory.
    """
    from django.db import connection

    if depth > 6:
        raise RuntimeError(f"relations nest too deep under {model.__name__}")
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    for relation in _reverse_relations(model):
        child = relation.related_model
        column = quote(relation.field.column)
        target = quote(relation.field.target_field.column)
        _delete_rows(
            child,
            f"{column} IN (SELECT {target} FROM {table} WHERE {where})",  # noqa: S608
            params,
            depth + 1,
        )
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE {where}", params)  # noqa: S608 - names are quoted model metadata; values are parameters


def remove_project(bench: BenchProject) -> None:
    """Delete the project, everything under it and its benchmark users."""
    from django.contrib.auth import get_user_model
    from django.db import transaction

    from annotator.models import Project

    with transaction.atomic():
        _delete_rows(Project, '"id" = %s', [bench.project.pk])
        user_ids = [user.pk for user in [*bench.annotators, *bench.curators]]
        if user_ids:
            marks = ", ".join(["%s"] * len(user_ids))
            _delete_rows(get_user_model(), f'"id" IN ({marks})', user_ids)


def build(
    *, documents: int, spans: int, annotators: int = 3, length: int = 3000, seed: int = 0
) -> BenchProject:
    bench = create_project(annotators=annotators)
    try:
        add_documents(
            bench, documents=documents, spans=spans, length=length, seed=seed, progress=True
        )
    except BaseException:
        remove_project(bench)
        raise
    return bench


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--documents", type=int, default=1000)
    parser.add_argument("--spans", type=int, default=10, help="spans per annotator per document")
    parser.add_argument("--annotators", type=int, default=3)
    parser.add_argument("--length", type=int, default=3000, help="characters per document")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", action="store_true", help="keep the project and its users")
    args = parser.parse_args()

    setup_django()
    from annotator.models import Assignment, Document, Span

    print(f"Corpus on {database_label()}")
    started = time.perf_counter()
    bench = build(
        documents=args.documents,
        spans=args.spans,
        annotators=args.annotators,
        length=args.length,
        seed=args.seed,
    )
    elapsed = time.perf_counter() - started
    try:
        project = bench.project
        document_count = Document.objects.filter(project=project).count()
        span_count = Span.objects.filter(document__project=project).count()
        assignment_count = Assignment.objects.filter(document__project=project).count()
        print(f"{'project':<12} {project.slug}")
        print(f"{'documents':<12} {document_count:>12,}")
        print(f"{'spans':<12} {span_count:>12,}")
        print(f"{'assignments':<12} {assignment_count:>12,}")
        print(f"{'seconds':<12} {elapsed:>12.1f}")
        print(f"{'documents/s':<12} {document_count / elapsed:>12,.0f}")
        print(f"{'spans/s':<12} {span_count / elapsed:>12,.0f}")
        expected = args.documents * args.annotators * args.spans
        if document_count != args.documents or span_count > expected:
            sys.exit(f"unexpected counts: wanted {args.documents} documents, <= {expected} spans")
    finally:
        if args.keep:
            print(f"kept project {bench.project.slug}")
        else:
            cleanup_started = time.perf_counter()
            remove_project(bench)
            print(f"{'cleanup s':<12} {time.perf_counter() - cleanup_started:>12.1f}")


if __name__ == "__main__":
    main()
