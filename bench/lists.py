"""Server time and query count of the list pages on a large project.

Builds a corpus (``--documents``, default 100,000) unless ``--project`` names a
kept one, then times each page in-process through ``django.test.Client`` as an
annotator of the project (a member, not a superuser), with DEBUG off for the
timed requests. ``--explain`` prints EXPLAIN ANALYZE for the slowest query of
each page (PostgreSQL).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/annotator_bench \\
        .venv/bin/python bench/lists.py --documents 100000 --repeat 50
"""

import argparse
import math
import warnings

import corpus
from timing import print_table, summary, timed


def pages(bench, documents: int) -> list[tuple[str, str]]:
    """(name, url) of every page measured.

    Add the agreement dashboard here when it lands, e.g.
    ``("agreement dashboard", reverse("agreement", args=[slug]))``.
    """
    from django.urls import reverse

    slug = bench.project.slug
    last_page = max(1, math.ceil(documents / 50))  # views.DOCUMENTS_PER_PAGE
    return [
        ("project list", reverse("project-list")),
        ("document list, page 1", reverse("document-list", args=[slug])),
        (
            f"document list, page {last_page:,}",
            reverse("document-list", args=[slug]) + f"?page={last_page}",
        ),
    ]


def existing_project(slug: str) -> corpus.BenchProject:
    from django.contrib.auth import get_user_model

    from annotator.models import Project

    project = Project.objects.get(slug=slug)
    annotators = list(
        get_user_model().objects.filter(memberships__project=project).order_by("username")
    )
    return corpus.BenchProject(project, list(project.labels.all()), annotators)


def explain(captured: list[dict]) -> None:
    from django.db import connection

    slowest = max(captured, key=lambda query: float(query["time"]))
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + slowest["sql"])
        plan = "\n".join(f"    {row[0]}" for row in cursor.fetchall())
    print(f"  slowest query ({slowest['time']} s):\n    {slowest['sql']}\n{plan}\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--documents", type=int, default=100_000)
    parser.add_argument("--spans", type=int, default=10, help="spans per annotator per document")
    parser.add_argument("--annotators", type=int, default=3)
    parser.add_argument("--project", metavar="SLUG", help="measure a kept bench project instead")
    parser.add_argument("--repeat", type=int, default=50, help="timed requests per page")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE slowest queries")
    parser.add_argument("--keep", action="store_true", help="keep the project and its users")
    args = parser.parse_args()

    warnings.filterwarnings("ignore", "No directory at", UserWarning)
    corpus.setup_django()
    from django.conf import settings
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, override_settings

    from annotator.models import Document

    if args.project:
        bench, created = existing_project(args.project), False
    else:
        bench = corpus.build(documents=args.documents, spans=args.spans, annotators=args.annotators)
        created = True
    rows = []
    try:
        documents = Document.objects.filter(project=bench.project).count()
        client = Client()
        client.force_login(bench.annotators[0])
        hosts = [*settings.ALLOWED_HOSTS, "testserver"]
        print(
            f"List pages on {corpus.database_label()}: project {bench.project.slug} with "
            f"{documents:,} documents, {args.repeat} requests per page"
        )
        for name, url in pages(bench, documents):
            with override_settings(DEBUG=False, ALLOWED_HOSTS=hosts):
                for _ in range(args.warmup):
                    response = client.get(url)
                    if response.status_code != 200:
                        raise SystemExit(f"{url} answered {response.status_code}")
                reset_queries()  # the log is a bounded deque; a full one hides new queries
                with CaptureQueriesContext(connection) as queries:
                    response = client.get(url)
                # captured_queries reads the log lazily: copy it before more requests
                captured = list(queries.captured_queries)
                times = timed(lambda url=url: client.get(url), args.repeat)
            median, p95 = summary(times)
            rows.append([name, len(captured), median, p95, len(response.content)])
            if args.explain and connection.vendor == "postgresql":
                print(f"{name}:")
                explain(captured)
    finally:
        if created and not args.keep:
            corpus.remove_project(bench)
        elif created:
            print(f"kept project {bench.project.slug}")
    print_table(["page", "queries", "median ms", "p95 ms", "HTML bytes"], rows)


if __name__ == "__main__":
    main()
