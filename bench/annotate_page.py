"""Server time, query count and HTML size of the annotate page by number of spans.

One document per size, all spans by one annotator, served in-process through
``django.test.Client`` with DEBUG off for the timed requests (no query log).
Documents are at least 3,000 characters and grow to 15 characters per span,
so 5,000 spans are a long article rather than 5,000 marks stacked on one
paragraph. Spans are one to four words, placed at random, so many nest and cross.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/annotator_bench \\
        .venv/bin/python bench/annotate_page.py --sizes 10 100 1000 5000 --repeat 50

``--profile N`` prints the top functions of cProfile for the page with N spans.
"""

import argparse
import cProfile
import pstats
import warnings

import corpus
from timing import print_table, summary, timed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 100, 1000, 5000])
    parser.add_argument("--repeat", type=int, default=50, help="timed requests per size")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--profile", type=int, metavar="SPANS", help="cProfile this size")
    parser.add_argument("--keep", action="store_true", help="keep the project and its users")
    args = parser.parse_args()

    # WhiteNoise warns about the missing collectstatic folder on every client.
    warnings.filterwarnings("ignore", "No directory at", UserWarning)
    corpus.setup_django()
    from django.conf import settings
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, override_settings
    from django.urls import reverse

    sizes = sorted(set(args.sizes) | ({args.profile} if args.profile else set()))
    bench = corpus.create_project(annotators=1)
    annotator = bench.annotators[0]
    rows = []
    try:
        documents = {}
        for size in sizes:
            length = max(3000, 15 * size)
            (documents[size],) = corpus.add_documents(
                bench, documents=1, spans=size, length=length, seed=size
            )
        client = Client()
        client.force_login(annotator)
        hosts = [*settings.ALLOWED_HOSTS, "testserver"]
        print(f"Annotate page on {corpus.database_label()}, {args.repeat} requests per size")
        for size in sizes:
            url = reverse("annotate", args=[bench.project.slug, documents[size]])
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
                if size == args.profile:
                    profile(client, url)
            from annotator.models import Document, Span

            stored = Span.objects.filter(document_id=documents[size]).count()
            text_length = len(Document.objects.get(pk=documents[size]).text)
            median, p95 = summary(times)
            rows.append([stored, text_length, len(captured), median, p95, len(response.content)])
    finally:
        if args.keep:
            print(f"kept project {bench.project.slug}")
        else:
            corpus.remove_project(bench)

    for previous, row in zip([None, *rows], rows, strict=False):
        if previous is None:
            row.append("")
        else:
            row.append(f"{(row[5] - previous[5]) / max(1, row[0] - previous[0]):,.0f}")
    print_table(
        ["spans", "text chars", "queries", "median ms", "p95 ms", "HTML bytes", "bytes/added span"],
        rows,
    )


def profile(client, url: str) -> None:
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(10):
        client.get(url)
    profiler.disable()
    print(f"\ncProfile of 10 requests to {url}, top 25 by cumulative time:")
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)


if __name__ == "__main__":
    main()
