"""What the person in front of Chromium waits for on the annotate and adjudicate pages.

For each size, one 30,000-character document; the app runs under gunicorn (DEBUG off,
static files collected) on 127.0.0.1, and Debian's Chromium drives it through Playwright:

* navigation -> interactive (after one uncounted load, see ``measure``): from
  navigation start to the end of the last long task (> 50 ms,
  ``PerformanceObserver('longtask')``) that follows DOMContentLoaded, or
  DOMContentLoaded when there is none: when the page first has its handlers and an
  idle main thread;
* hotkey -> painted: a word is selected, a label key pressed; from the ``keydown``
  event to the frame after the span first shows (a new ``<mark>`` or a new range in
  ``CSS.highlights``). "before answer" counts the creates painted before the
  server's answer arrived (the fetch's ``responseEnd``);
* long tasks and layout shift (``PerformanceObserver('layout-shift')``) from the key
  press until 500 ms after the answer: the shifts the standard leaves out as the
  effect of the key press itself (``hadRecentInput``, the first 500 ms) and all of them.

The annotate page is measured as the one annotator whose spans the document holds;
the adjudication page as a curator, with ``--annotators`` annotators who each
submitted ``--adjudication-spans`` spans, by adding gold spans with the same keys.
Words to label are picked on the server's text (code points) so no create is a
duplicate, then selected in the page in UTF-16. With ``--relations N`` each annotate
document also holds up to N of its annotator's relations (the default ``claimant``
and ``addressee`` types, from a claim, threat or proposal to the nearest actor),
listed in the page's Relations panel. Figures are printed, not asserted::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/annotator_bench \\
        .venv/bin/python bench/pages_in_chromium.py --sizes 10 1000 5000 --creates 20 --loads 5
    # issue 14's figure: 1,000 spans and 500 relations
        .venv/bin/python bench/pages_in_chromium.py --sizes 1000 --relations 500
"""

import argparse
import os
import random
import re
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import corpus
from timing import percentile, print_table

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
LENGTH = 30_000

# Installed before any page script: long tasks and layout shifts from the start.
INSTRUMENT = """
window.__bench = { longTasks: [], shifts: [] };
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    __bench.longTasks.push({ start: entry.startTime, duration: entry.duration });
  }
}).observe({ type: "longtask", buffered: true });
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    __bench.shifts.push(
      { start: entry.startTime, value: entry.value, input: entry.hadRecentInput });
  }
}).observe({ type: "layout-shift", buffered: true });
"""


# Selects [start, end) UTF-16 units of the editable text (not an annotator's lane).
SELECT = """([start, end]) => {
  const container = document.getElementById("document-text");
  const walker = document.createTreeWalker(container, NodeFilter.SHOW_TEXT, {
    acceptNode: (node) => node.parentElement.closest(".lane, .lane-text, [aria-hidden=true]")
      ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT,
  });
  const locate = (offset) => {
    let node;
    while ((node = walker.nextNode())) {
      const base = node.parentElement.closest("[data-offset]");
      if (base && base.dataset.offset !== undefined && base !== container) {
        // Paragraph blocks know their own UTF-16 offset into the document.
        const local = offset - Number(base.dataset.offset);
        if (local >= 0 && local <= node.length) { return [node, local]; }
        continue;
      }
      if (offset <= node.length) { return [node, offset]; }
      offset -= node.length;
    }
    throw new Error("offset out of range");
  };
  const [startNode, startOffset] = locate(start);
  walker.currentNode = container;
  const [endNode, endOffset] = locate(end);
  const range = document.createRange();
  range.setStart(startNode, startOffset);
  range.setEnd(endNode, endOffset);
  window.scrollBy(0, range.getBoundingClientRect().top - window.innerHeight / 2);
  window.getSelection().setBaseAndExtent(startNode, startOffset, endNode, endOffset);
}"""

# Resolves after the first frame in which more spans are painted than before.
# Spans shown in the document text count whichever way the page paints them;
# suggestions do not (a create of a suggested phrase takes its suggestion away).
WATCH = """() => {
  const count = () => {
    let painted = document.querySelectorAll("#document-text mark").length;
    if (window.CSS && CSS.highlights) {
      for (const [name, highlight] of CSS.highlights) {
        if (name !== "suggested") { painted += highlight.size; }
      }
    }
    return painted;
  };
  const before = count();
  window.__benchCreate = new Promise((resolve) => {
    let keyAt = null;
    document.addEventListener("keydown", (event) => { keyAt = event.timeStamp; },
                              { capture: true, once: true });
    const check = () => {
      if (keyAt !== null && count() > before) {
        const done = () => resolve({ keyAt, paintedAt: performance.now() });
        requestAnimationFrame(() => setTimeout(done, 0));
      } else {
        requestAnimationFrame(check);
      }
    };
    requestAnimationFrame(check);
  });
}"""

NEXT_FRAMES = """() => new Promise((resolve) =>
  requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(resolve, 0))))"""

SETTLE = """async ([keyAt, quietMs]) => {
  const after = () => performance.getEntriesByType("resource").filter(
    (entry) => entry.initiatorType === "fetch" || entry.initiatorType === "xmlhttprequest");
  const deadline = performance.now() + 15000;
  let answer = null;
  while (performance.now() < deadline) {
    answer = after().filter((entry) => entry.startTime >= keyAt - 1 && entry.responseEnd > 0)[0];
    if (answer) { break; }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const answeredAt = answer ? answer.responseEnd : null;
  await new Promise((resolve) => setTimeout(resolve, quietMs));
  const end = (answeredAt || performance.now()) + quietMs;
  const tasks = __bench.longTasks.filter((task) => task.start >= keyAt && task.start <= end);
  const shifts = __bench.shifts.filter((item) => item.start >= keyAt && item.start <= end);
  const sum = (items) => items.reduce((total, item) => total + item.value, 0);
  return {
    answeredAt, tasks: tasks.map((task) => task.duration),
    shift: sum(shifts), unexpected: sum(shifts.filter((item) => !item.input)),
  };
}"""

INTERACTIVE = """async () => {
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const navigation = performance.getEntriesByType("navigation")[0];
  let interactive = navigation.domContentLoadedEventEnd;
  for (const task of __bench.longTasks) {
    if (task.start + task.duration > interactive && task.start < interactive + 1000) {
      interactive = task.start + task.duration;
    }
  }
  return { interactive, bytes: navigation.transferSize || navigation.encodedBodySize };
}"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(port: int, log_path: Path) -> subprocess.Popen:
    import httpx

    env = {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": os.environ["SECRET_KEY"],
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "SECURE_HSTS_SECONDS": "0",
        # Collected outside the checkout: WhiteNoise serves a checkout's staticfiles/
        # before the app's own files, so a stale copy would reach the test suite too.
        "STATIC_ROOT": str(Path(tempfile.gettempdir()) / f"pages_in_chromium-static-{port}"),
    }
    # Fixed argument lists, our own interpreter, no shell.
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT, env=env, check=True,
    )  # fmt: skip
    command = [
        sys.executable, "-m", "gunicorn", "project.wsgi:application",
        "--bind", f"127.0.0.1:{port}", "--chdir", str(ROOT),
        "--worker-class", "gthread", "--workers", "2", "--threads", "4",
        "--timeout", "60", "--log-level", "warning",
    ]  # fmt: skip
    log = log_path.open("w")
    server = subprocess.Popen(command, env=env, stdout=log, stderr=log, start_new_session=True)  # noqa: S603
    for _ in range(150):
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited with {server.returncode}; see {log_path}")
        try:
            httpx.get(f"http://127.0.0.1:{port}/accounts/login/", timeout=2)
            return server
        except httpx.TransportError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit(f"gunicorn did not answer within 30 s; see {log_path}")


def session_for(user) -> str:
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return session.session_key


def utf16(text: str, offset: int) -> int:
    return len(text[:offset].encode("utf-16-le")) // 2


def pick_words(text: str, taken: set, hotkeys: dict, count: int, seed: int) -> list:
    """``count`` (hotkey, utf16 start, utf16 end) over words no span of that label holds."""
    rng = random.Random(seed)
    words = [match.span() for match in re.finditer(r"\w+", text)]
    picks = []
    while len(picks) < count:
        start, end = rng.choice(words)
        label_id, key = rng.choice(list(hotkeys.items()))
        if (label_id, start, end) in taken:
            continue
        taken.add((label_id, start, end))
        picks.append((key, utf16(text, start), utf16(text, end)))
    return picks


def measure(page, url: str, loads: int, picks: list) -> dict:
    # One load first, not counted: a gunicorn worker's first request imports the app's
    # views and compiles templates (1.7 s seen), which happens once per deployment, and a
    # person reaches a document from the project's pages, with the scripts in cache.
    page.goto(url, wait_until="load")
    interactive, sizes = [], []
    for _ in range(loads):
        page.goto(url, wait_until="load")
        figures = page.evaluate(INTERACTIVE)
        interactive.append(figures["interactive"])
        sizes.append(figures["bytes"])
    painted, answered, before_answer, task_counts, task_max, shifts = [], [], 0, [], [], []
    unpainted = 0
    unexpected = []
    for key, start, end in picks:
        page.evaluate(SELECT, [start, end])
        # The scroll moves the painter's window of ranges on its next frames; counted
        # before that, a move removing more ranges than the create adds looks unpainted.
        page.evaluate(NEXT_FRAMES)
        page.evaluate(WATCH)
        page.keyboard.press(key)
        # A create that shows nothing within 10 s counts as not painted.
        times = page.evaluate(
            """() => Promise.race([window.__benchCreate, new Promise((resolve) =>
                 setTimeout(() => resolve({ keyAt: null, paintedAt: null }), 10000))])"""
        )
        if times["keyAt"] is None:
            unpainted += 1
            continue
        settled = page.evaluate(SETTLE, [times["keyAt"], 500])
        painted.append(times["paintedAt"] - times["keyAt"])
        if settled["answeredAt"] is not None:
            answered.append(settled["answeredAt"] - times["keyAt"])
            before_answer += times["paintedAt"] <= settled["answeredAt"]
        task_counts.append(len(settled["tasks"]))
        task_max.append(max(settled["tasks"], default=0.0))
        shifts.append(settled["shift"])
        unexpected.append(settled["unexpected"])
    return {
        "html_kb": statistics.median(sizes) / 1024,
        "interactive": interactive,
        "painted": painted,
        "answered": answered,
        "before_answer": f"{before_answer}/{len(picks)}",
        "unpainted": unpainted,
        "long_tasks": sum(task_counts) / max(1, len(task_counts)),
        "longest": max(task_max, default=0.0),
        "shift": sum(shifts),
        "unexpected": sum(unexpected),
    }


def row(name: str, spans: str, figures: dict) -> list:
    return [
        name,
        spans,
        figures["html_kb"],
        statistics.median(figures["interactive"]),
        percentile(figures["interactive"], 95),
        statistics.median(figures["painted"]),
        percentile(figures["painted"], 95),
        figures["before_answer"],
        figures["unpainted"],
        percentile(figures["answered"], 95),
        figures["long_tasks"],
        figures["longest"],
        f"{figures['unexpected']:.3f}",
        f"{figures['shift']:.3f}",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 1000, 5000])
    parser.add_argument("--annotators", type=int, default=3, help="adjudication: annotators")
    parser.add_argument("--adjudication-spans", type=int, default=1000, help="spans each")
    parser.add_argument("--length", type=int, default=LENGTH, help="characters per document")
    parser.add_argument("--creates", type=int, default=20, help="hotkey creates per page")
    parser.add_argument("--loads", type=int, default=5, help="page loads per page")
    parser.add_argument(
        "--relations", type=int, default=0, help="annotate: relations per document, at most"
    )
    parser.add_argument("--keep", action="store_true", help="keep the projects and users")
    args = parser.parse_args()

    # Playwright's sync API runs an event loop in this thread; the ORM calls between
    # page actions are plain synchronous ones.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    # The sessions made here must verify in the server: one key for both.
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    corpus.setup_django()
    from playwright.sync_api import sync_playwright

    from annotator.models import Assignment, AssignmentStatus, Document, Span

    annotate = corpus.create_project(annotators=1)
    adjudicate = corpus.create_project(annotators=args.annotators)
    curator = corpus.add_curator(adjudicate)
    server = None
    rows = []
    try:
        documents = {
            size: corpus.add_documents(
                annotate, documents=1, spans=size, length=args.length, seed=size
            )[0]
            for size in args.sizes
        }
        (gold_document,) = corpus.add_documents(
            adjudicate, documents=1, spans=args.adjudication_spans, length=args.length, seed=7
        )
        Assignment.objects.filter(document_id=gold_document).update(
            status=AssignmentStatus.SUBMITTED
        )
        relations = {
            size: add_relations(annotate, documents[size], args.relations) for size in args.sizes
        }
        hotkeys = {label.pk: label.hotkey for label in annotate.labels}
        gold_hotkeys = {label.pk: label.hotkey for label in adjudicate.labels}
        port = _free_port()
        log = Path(tempfile.gettempdir()) / f"pages_in_chromium-{port}.log"
        server = start_server(port, log)
        base = f"http://127.0.0.1:{port}"
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM,
                args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
            )
            annotator = annotate.annotators[0]
            for size in args.sizes:
                text = Document.objects.get(pk=documents[size]).text
                taken = set(
                    Span.objects.filter(document_id=documents[size]).values_list(
                        "label_id", "start", "end"
                    )
                )
                picks = pick_words(text, taken, hotkeys, args.creates, seed=size)
                page = _page(browser, base, annotator)
                url = f"{base}/projects/{annotate.project.slug}/documents/{documents[size]}/"
                spans = f"{size:,}" + (f" + {relations[size]:,} rel." if relations[size] else "")
                rows.append(row("annotate", spans, measure(page, url, args.loads, picks)))
                page.context.close()
            text = Document.objects.get(pk=gold_document).text
            picks = pick_words(text, set(), gold_hotkeys, args.creates, seed=11)
            page = _page(browser, base, curator)
            url = f"{base}/projects/{adjudicate.project.slug}/documents/{gold_document}/adjudicate/"
            spans = f"{args.annotators} x {args.adjudication_spans:,}"
            rows.append(row("adjudicate", spans, measure(page, url, args.loads, picks)))
            page.context.close()
            browser.close()
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=15)
        if args.keep:
            print(f"kept projects {annotate.project.slug}, {adjudicate.project.slug}")
        else:
            corpus.remove_project(annotate)
            corpus.remove_project(adjudicate)

    print(
        f"Pages in Chromium on {corpus.database_label()}: {args.length:,}-character documents, "
        f"{args.loads} loads and {args.creates} hotkey creates per page (times in ms)"
    )
    print_table(
        [
            "page", "spans", "HTML KB", "interactive med", "interactive p95",
            "painted med", "painted p95", "before answer", "not painted", "answer p95",
            "long tasks/create", "longest task", "shift (no input)", "shift (all)",
        ],
        rows,
    )  # fmt: skip


def add_relations(bench, document_id: int, wanted: int) -> int:
    """Up to ``wanted`` relations between the annotator's spans of a document, alternately
    claimant and addressee, each from a statement to the nearest actor; returns how many."""
    from annotator.models import Relation, Span
    from annotator.projects.setup import add_default_relations

    project = bench.project
    if not wanted:
        return 0
    if not project.relation_types.exists():
        add_default_relations(project)
    types = list(project.relation_types.order_by("name"))
    spans = list(Span.objects.filter(document_id=document_id).select_related("label"))
    actors = sorted((s for s in spans if s.label.name == "actor"), key=lambda s: s.start)
    statements = [s for s in spans if s.label.name != "actor"]
    if not actors:
        return 0
    made = []
    for number, statement in enumerate(statements[:wanted]):
        actor = min(actors, key=lambda a: abs(a.start - statement.start))
        made.append(
            Relation(
                type=types[number % len(types)],
                document_id=document_id,
                annotator_id=statement.annotator_id,
                source=statement,
                target=actor,
            )
        )
    Relation.objects.bulk_create(made, ignore_conflicts=True)
    return Relation.objects.filter(document_id=document_id).count()


def _page(browser, base: str, user):
    context = browser.new_context(base_url=base, viewport={"width": 1280, "height": 900})
    context.add_cookies([{"name": "sessionid", "value": session_for(user), "url": base}])
    context.add_init_script(INSTRUMENT)
    page = context.new_page()
    page.set_default_timeout(60_000)
    return page


if __name__ == "__main__":
    main()
