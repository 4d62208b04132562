"""Where the annotate page's load goes, by the renderer's CPU time (a Chromium trace).

pages_in_chromium.py measures *when* the page becomes interactive; this says *what*
the renderer's main thread did until then. Same setup (one 30,000-character
document per size, gunicorn, Debian's Chromium through Playwright); each load is
traced (``Tracing.start`` over the DevTools protocol, ``devtools.timeline``) and
the main thread's CPU time (``tdur``, so time other processes take from it on a
shared machine is left out; a slice traced without it counts its wall time at
the CPU share of the slice around it) from navigation start until 1.5 s later is split by
what it was doing: each slice's own time goes to the innermost of style, layout,
paint, parse, garbage collection and script (by file, or by function for a
callback such as a DOMContentLoaded handler or an answered fetch). The server's
time to first byte, DOMContentLoaded and the first paint come from the page's
Navigation Timing. Figures are medians over the loads, printed, not asserted::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/annotator_bench \\
        .venv/bin/python bench/page_start.py --sizes 10 1000 --loads 5
"""

import argparse
import os
import secrets
import statistics
import tempfile
from collections import Counter, defaultdict
from pathlib import Path

import corpus
import pages_in_chromium
from timing import print_table

CATEGORIES = {
    "UpdateLayoutTree": "style",
    "ParseAuthorStyleSheet": "style",
    "Layout": "layout",
    "PrePaint": "paint",
    "Paint": "paint",
    "Layerize": "paint",
    "UpdateLayer": "paint",
    "ParseHTML": "HTML parse",
    "MinorGC": "garbage collection",
    "MajorGC": "garbage collection",
    "CommitLoad": "navigation commit",
}
# What no categorised slice holds: the tasks' own bookkeeping, navigation and frame set-up.
OTHER = "other (task overhead, frame set-up)"
TIMING = """async () => {
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const navigation = performance.getEntriesByType("navigation")[0];
  const paint = performance.getEntriesByName("first-contentful-paint")[0];
  return {
    ttfb: navigation.responseStart, dcl: navigation.domContentLoadedEventEnd,
    paint: paint ? paint.startTime : null,
  };
}"""


def _category(event: dict) -> str | None:
    name = event["name"]
    data = event.get("args", {}).get("data", {})
    if name == "EvaluateScript":
        return "script " + (data.get("url", "").rsplit("/", 1)[-1].split(".")[0] or "inline")
    if name == "FunctionCall":
        where = data.get("url", "").rsplit("/", 1)[-1].split(".")[0] or "inline"
        return f"callback {where} {data.get('functionName') or '(anonymous)'}"
    if name == "RunMicrotasks":
        return "promise callbacks"
    return CATEGORIES.get(name)


def split_main_thread(events: list, window_ms: float) -> Counter:
    """CPU ms of the page's main thread by category, ``window_ms`` from navigation start."""
    threads = {
        (event["pid"], event["tid"])
        for event in events
        if event.get("ph") == "M" and event["args"].get("name") == "CrRendererMain"
    }
    starts = [event for event in events if event.get("name") == "navigationStart"]
    main = (starts[-1]["pid"], starts[-1]["tid"])
    assert main in threads, "navigationStart not on a renderer's main thread"
    begin = starts[-1]["ts"]
    end = begin + window_ms * 1000
    slices = sorted(
        (
            event
            for event in events
            if (event["pid"], event["tid"]) == main
            and event.get("ph") == "X"
            and begin <= event["ts"] < end
        ),
        key=lambda event: (event["ts"], -event["dur"]),
    )
    # Own CPU time = the slice's minus its direct children's (slices nest, sorted
    # by start, outermost first); it goes to the innermost categorised slice. A
    # slice traced without CPU time (RunMicrotasks, where an awaited fetch's answer
    # is handled) gets its wall time at the CPU share of the slice around it.
    cpu = {}  # id(slice) -> CPU time
    children = defaultdict(float)  # id(slice) -> CPU time of its direct children
    stack = []
    for event in slices:
        while stack and event["ts"] >= stack[-1]["ts"] + stack[-1]["dur"]:
            stack.pop()
        if "tdur" in event:
            cpu[id(event)] = event["tdur"]
        else:
            share = cpu[id(stack[-1])] / max(stack[-1]["dur"], 1) if stack else 1.0
            cpu[id(event)] = event["dur"] * min(share, 1.0)
        if stack:
            children[id(stack[-1])] += cpu[id(event)]
        stack.append(event)
    totals = Counter()
    stack = []  # [(slice, its category or its nearest categorised ancestor's)]
    for event in slices:
        while stack and event["ts"] >= stack[-1][0]["ts"] + stack[-1][0]["dur"]:
            stack.pop()
        category = _category(event) or (stack[-1][1] if stack else None) or OTHER
        stack.append((event, category))
        totals[category] += max(0.0, cpu[id(event)] - children[id(event)]) / 1000
    return totals


def trace_load(page, url: str) -> tuple[dict, Counter]:
    session = page.context.new_cdp_session(page)
    events, finished = [], []
    session.on("Tracing.dataCollected", lambda message: events.extend(message["value"]))
    session.on("Tracing.tracingComplete", lambda message: finished.append(True))
    categories = [
        "devtools.timeline",
        "disabled-by-default-devtools.timeline",
        "v8",
        "blink.user_timing",
    ]
    session.send(
        "Tracing.start",
        {"traceConfig": {"includedCategories": categories}, "transferMode": "ReportEvents"},
    )
    page.goto(url, wait_until="load")
    timing = page.evaluate(TIMING)
    session.send("Tracing.end")
    while not finished:
        page.wait_for_timeout(50)
    session.detach()
    return timing, split_main_thread(events, 1500)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 1000])
    parser.add_argument("--loads", type=int, default=5, help="traced loads per size")
    parser.add_argument("--length", type=int, default=pages_in_chromium.LENGTH)
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    corpus.setup_django()
    from playwright.sync_api import sync_playwright

    bench = corpus.create_project(annotators=1)
    server = None
    try:
        documents = {
            size: corpus.add_documents(
                bench, documents=1, spans=size, length=args.length, seed=size
            )[0]
            for size in args.sizes
        }
        port = pages_in_chromium._free_port()
        log = Path(tempfile.gettempdir()) / f"page_start-{port}.log"
        server = pages_in_chromium.start_server(port, log)
        base = f"http://127.0.0.1:{port}"
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=pages_in_chromium.CHROMIUM,
                args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
            )
            for size in args.sizes:
                page = pages_in_chromium._page(browser, base, bench.annotators[0])
                url = f"{base}/projects/{bench.project.slug}/documents/{documents[size]}/"
                page.goto(url, wait_until="load")  # uncounted, as in pages_in_chromium
                loads = [trace_load(page, url) for _ in range(args.loads)]
                page.context.close()
                _report(size, loads)
            browser.close()
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=15)
        corpus.remove_project(bench)


def _report(size: int, loads: list) -> None:
    print(f"\nAnnotate page, {size:,} spans, {len(loads)} traced loads (ms, medians)")
    for name in ("ttfb", "dcl", "paint"):
        values = [timing[name] for timing, _ in loads if timing[name] is not None]
        print(f"  {name}: {statistics.median(values):.1f}" if values else f"  {name}: none")
    categories = Counter()
    for _, totals in loads:
        categories.update(totals)
    rows = [
        [category, statistics.median(totals.get(category, 0.0) for _, totals in loads)]
        for category, _ in categories.most_common()
    ]
    rows.append(["total", statistics.median(sum(totals.values()) for _, totals in loads)])
    print_table(["main thread, CPU", "ms"], [row for row in rows if row[1] >= 0.5])


if __name__ == "__main__":
    main()
