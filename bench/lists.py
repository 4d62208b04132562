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
import warnings

import corpus
from timing import print_table, summary, timed


def pages(bench) -> list[tuple[str, str, str]]:
    """(name, url, who) of every page measured; who is "annotator" or "curator"."""
    from django.urls import reverse

    from annotator.models import Document

    slug = bench.project.slug
    listing = reverse("document-list", args=[slug])
    # The document list pages by id (?after=); the last page starts after this id.
    last_page_after = (
        Document.objects.filter(project=bench.project)
        .order_by("-id")
        .values_list("id", flat=True)[50]
    )
    return [
        ("project list", reverse("project-list"), "annotator"),
        ("document list, page 1", listing, "annotator"),
        ("document list, last page", f"{listing}?after={last_page_after}", "annotator"),
        ("document list as curator", listing, "curator"),
        ("agreement dashboard", reverse("dashboard", args=[slug]), "curator"),
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

    if args.project:
        bench, created = existing_project(args.project), False
    else:
        bench = corpus.build(documents=args.documents, spans=args.spans, annotators=args.annotators)
        created = True
    rows = []
    try:
        documents = bench.project.documents.count()
        curator = corpus.add_curator(bench)
        clients = {"annotator": Client(), "curator": Client()}
        clients["annotator"].force_login(bench.annotators[0])
        clients["curator"].force_login(curator)
        hosts = [*settings.ALLOWED_HOSTS, "testserver"]
        print(
            f"List pages on {corpus.database_label()}: project {bench.project.slug} with "
            f"{documents:,} documents, {args.repeat} requests per page"
        )
        for name, url, who in pages(bench):
            client = clients[who]
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
                times = timed(lambda url=url, client=client: client.get(url), args.repeat)
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
