"""The API's span list of one long document: latency and the serving worker's memory.

Builds a project ``bench-<n>`` with one annotator and one document of about
``--length`` code points (default 30,000) holding ``--spans`` of the
annotator's spans (default 1,000), starts the app under gunicorn with ONE sync
worker on 127.0.0.1 (DEBUG off), then fetches the whole list
``GET /api/v1/documents/{id}/spans/`` ``--repeat`` times (default 20) with the
annotator's Bearer token, following ``next`` until the last page, as a script
would. It prints the latency of a whole list and of each request (median and
p95), the requests one list takes, and the worker's resident memory (VmRSS)
before and after, with its peak (VmHWM), read from /proc.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/annotator_bench \\
        .venv/bin/python bench/api_spans.py --port 8101

``--app-dir`` serves another checkout of the code (e.g. the code before a
change) against the same database. The project and its user are deleted at
the end unless ``--keep`` is given.
"""

import argparse
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import corpus
import httpx
from timing import percentile, print_table

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start(app_dir: Path, port: int, log_path: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "SECURE_HSTS_SECONDS": "0",
        "API_THROTTLE_USER": "1000000/minute",
    }
    command = [
        sys.executable, "-m", "gunicorn", "project.wsgi:application",
        "--bind", f"127.0.0.1:{port}", "--chdir", str(app_dir),
        "--workers", "1", "--timeout", "120", "--log-level", "warning",
    ]  # fmt: skip
    log = log_path.open("w")
    # Fixed argument list, our own interpreter, no shell.
    server = subprocess.Popen(command, env=env, stdout=log, stderr=log, start_new_session=True)  # noqa: S603
    for _ in range(150):  # up to 30 s
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited with {server.returncode}; see {log_path}")
        try:
            httpx.get(f"http://127.0.0.1:{port}/api/v1/projects/", timeout=2)
            return server
        except httpx.TransportError:
            time.sleep(0.2)
    _stop(server)
    raise SystemExit(f"gunicorn did not answer within 30 s; see {log_path}")


def _stop(server: subprocess.Popen) -> None:
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)  # the session we started for it
            server.wait(timeout=5)


def _worker(master: int) -> int:
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == master:
            return int(stat.parent.name)
    raise SystemExit("no gunicorn worker found")


def _memory_mib(pid: int) -> dict[str, float]:
    """VmRSS and VmHWM (peak resident) of a process, in MiB."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            values[name] = int(rest.split()[0]) / 1024
    return values


def _fetch_all(http: httpx.Client, url: str) -> tuple[int, list[float]]:
    """Every span of the list, following ``next``; returns the count and each request's ms."""
    count, times = 0, []
    while url:
        started = time.perf_counter()
        response = http.get(url)
        times.append((time.perf_counter() - started) * 1000)
        response.raise_for_status()
        body = response.json()
        count += len(body["results"])
        url = body["next"]
    return count, times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--spans", type=int, default=1000)
    parser.add_argument("--length", type=int, default=30_000, help="code points of the text")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--limit", type=int, default=None, help="?limit= (default: none sent)")
    parser.add_argument("--port", type=int, default=0, help="default: a free port")
    parser.add_argument("--app-dir", type=Path, default=ROOT, help="the code gunicorn serves")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()

    corpus.setup_django()
    from annotator.api_tokens import token_create
    from annotator.models import Span

    bench = corpus.create_project(annotators=1)
    server = None
    try:
        [document_id] = corpus.add_documents(
            bench, documents=1, spans=args.spans, length=args.length, seed=7
        )
        stored = Span.objects.filter(document_id=document_id).count()
        _, token = token_create(user=bench.annotators[0], name="bench")
        port = args.port or _free_port()
        log_path = Path(tempfile.gettempdir()) / f"api-spans-{port}.log"
        server = _start(args.app_dir, port, log_path)
        worker = _worker(server.pid)
        url = f"http://127.0.0.1:{port}/api/v1/documents/{document_id}/spans/"
        if args.limit:
            url += f"?limit={args.limit}"
        with httpx.Client(headers={"Authorization": f"Bearer {token}"}, timeout=120) as http:
            _fetch_all(http, url)  # warm-up: imports, connection, caches
            before = _memory_mib(worker)
            lists, requests = [], []
            for _ in range(args.repeat):
                started = time.perf_counter()
                count, times = _fetch_all(http, url)
                lists.append((time.perf_counter() - started) * 1000)
                requests.extend(times)
                if count != stored:
                    raise SystemExit(f"the list had {count} spans, the database {stored}")
            after = _memory_mib(worker)
    finally:
        if server is not None:
            _stop(server)
        if not args.keep:
            corpus.remove_project(bench)

    print(
        f"{corpus.database_label()}, code from {args.app_dir}; one document of "
        f"{args.length:,} code points with {stored:,} spans; {args.repeat} whole lists "
        "through one gunicorn sync worker"
    )
    print_table(
        ["requests/list", "list p50 ms", "list p95 ms", "request p95 ms"],
        [
            [
                len(requests) // args.repeat,
                percentile(lists, 50),
                percentile(lists, 95),
                percentile(requests, 95),
            ]
        ],
    )
    print_table(
        ["worker RSS before MiB", "after MiB", "growth MiB", "peak (VmHWM) MiB"],
        [[before["VmRSS"], after["VmRSS"], after["VmRSS"] - before["VmRSS"], after["VmHWM"]]],
    )


if __name__ == "__main__":
    main()
