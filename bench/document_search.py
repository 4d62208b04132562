"""Server time of the manager's document search, per query shape, on a large project.

Builds a corpus (``--documents``, default 100,000; no spans) unless ``--project``
names a kept one, then gives it some variety: every 50th document gold, one
annotator's assignment submitted on every 100th, every 200th document unassigned.
Each query shape is requested through ``django.test.Client`` as a manager of the
project with DEBUG off, and p50/p95 printed with the query count. On PostgreSQL
words go through the full-text index (annotator/projects/search.py); on SQLite
through a substring filter, so only PostgreSQL figures say anything about scale.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/annotator_bench \\
        .venv/bin/python bench/document_search.py --documents 100000 --repeat 30
"""

import argparse
import warnings
from urllib.parse import urlencode

import corpus
from lists import existing_project
from timing import print_table, summary, timed


def vary(bench: corpus.BenchProject) -> None:
    """Gold, submitted and unassigned documents, so every filter has rows to find."""
    from annotator.models import Assignment, AssignmentStatus, Document, GoldStatus

    ids = list(
        Document.objects.filter(project=bench.project).order_by("id").values_list("id", flat=True)
    )
    Document.objects.filter(id__in=ids[::50]).update(gold_status=GoldStatus.GOLD)
    Assignment.objects.filter(document_id__in=ids[::100], annotator=bench.annotators[0]).update(
        status=AssignmentStatus.SUBMITTED
    )
    Assignment.objects.filter(document_id__in=ids[5::200]).delete()


def shapes(bench: corpus.BenchProject) -> list[tuple[str, dict]]:
    """(name, query parameters) of every search measured."""
    from annotator.models import Document

    project = bench.project
    last_ids = Document.objects.filter(project=project).order_by("-id").values_list("id", flat=True)
    middle = Document.objects.filter(project=project).order_by("id").values_list("id", flat=True)
    count = project.documents.count()
    title_number = count // 2 + 1  # "Benchmark article <n>": a word in one title only
    annotator = bench.annotators[0].pk
    return [
        ("no filter, page 1", {}),
        ("common word", {"q": "treaty"}),
        ("common word, deep page", {"q": "treaty", "after": last_ids[60]}),
        ("word in one title", {"q": str(title_number)}),
        ("word in no document", {"q": "zeppelin"}),
        ("phrase", {"q": '"draft treaty"'}),
        # Every word of the bench vocabulary is in nearly every document, so these are
        # checked document by document until a page is full (see BENCHMARKS.md).
        ("3-word phrase of common words", {"q": '"the minister said"'}),
        ("two words, one excluded", {"q": "treaty -sanctions"}),
        ("word, common word excluded", {"q": "minister -treaty"}),
        ("gold status", {"gold_status": "gold"}),
        ("assignment status, 1 in 100", {"assignment_status": "submitted"}),
        ("not assigned, 1 in 200", {"assignment_status": "unassigned"}),
        ("assignee", {"assignee": annotator}),
        ("assignee, submitted", {"assignee": annotator, "assignment_status": "submitted"}),
        (
            "word + gold + assignee",
            {"q": "treaty", "gold_status": "gold", "assignee": annotator},
        ),
        ("assignee, deep page", {"assignee": annotator, "after": middle[count - 60]}),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--documents", type=int, default=100_000)
    parser.add_argument("--annotators", type=int, default=3)
    parser.add_argument("--project", metavar="SLUG", help="measure a kept bench project instead")
    parser.add_argument("--repeat", type=int, default=30, help="timed requests per query shape")
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--keep", action="store_true", help="keep the project and its users")
    args = parser.parse_args()

    warnings.filterwarnings("ignore", "No directory at", UserWarning)
    corpus.setup_django()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, override_settings
    from django.urls import reverse

    from annotator.models import Membership, Role

    if args.project:
        bench, created = existing_project(args.project), False
    else:
        bench = corpus.build(documents=args.documents, spans=0, annotators=args.annotators)
        created = True
    rows = []
    try:
        if created:
            vary(bench)
        manager, _ = get_user_model().objects.get_or_create(
            username=f"{bench.project.slug}-manager", defaults={"password": make_password(None)}
        )
        Membership.objects.get_or_create(
            project=bench.project, user=manager, defaults={"role": Role.MANAGER}
        )
        bench.curators.append(manager)  # removed with the project's users
        client = Client()
        client.force_login(manager)
        url = reverse("document-search", args=[bench.project.slug])
        hosts = [*settings.ALLOWED_HOSTS, "testserver"]
        print(
            f"Document search on {corpus.database_label()}: project {bench.project.slug} with "
            f"{bench.project.documents.count():,} documents, {args.repeat} requests per shape"
        )
        for name, parameters in shapes(bench):
            address = f"{url}?{urlencode(parameters)}"
            with override_settings(DEBUG=False, ALLOWED_HOSTS=hosts):
                for _ in range(args.warmup):
                    response = client.get(address)
                    if response.status_code != 200:
                        raise SystemExit(f"{address} answered {response.status_code}")
                reset_queries()
                with CaptureQueriesContext(connection) as queries:
                    response = client.get(address)
                query_count = len(queries.captured_queries)
                found = response.content.decode().count('<tr id="document-')
                times = timed(lambda address=address: client.get(address), args.repeat)
            median, p95 = summary(times)
            rows.append([name, found, query_count, median, p95])
    finally:
        if created and not args.keep:
            corpus.remove_project(bench)
        elif created:
            print(f"kept project {bench.project.slug}")
        else:
            Membership.objects.filter(project=bench.project, user__in=bench.curators).delete()
    print_table(["query", "rows on page", "queries", "p50 ms", "p95 ms"], rows)


if __name__ == "__main__":
    main()
