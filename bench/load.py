"""Saving spans under load, optionally with faults, then a check against the database.

Starts the app under gunicorn (gthread, sized for 2 cores) on 127.0.0.1 and a
free port, with DEBUG off. A second process (this file with ``--client``) runs an
asyncio client on httpx: U annotators, each with their own session (created
directly in the session table, with a CSRF secret sent as cookie and header),
each creating or deleting one of their spans every 1-2 s for D seconds through
the JSON API. Every create carries a client_id; a failed request (transport
error, 5xx, 408, 429) is retried with the same body, with backoff, for at most
30 s; a 404 on a retried delete means the first attempt got through.

Afterwards the database is checked: every acknowledged create exists exactly
once (by client_id and id), every acknowledged delete is gone, no span exists
that the client never sent, and every Assignment.span_count equals its spans.

``--faults`` also SIGKILLs one gunicorn worker at 30% of the run and restarts
PostgreSQL at 55% (``--restart-command``), then checks that the app still
serves every annotator without having been restarted.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/annotator_bench \\
        .venv/bin/python bench/load.py --users 50 --duration 60
    ... bench/load.py --users 50 --duration 60 --faults

Exit status 1 when the verdict fails (anything lost, duplicated or unexpected;
with ``--faults`` also when the app does not serve afterwards).
"""

import argparse
import asyncio
import collections
import json
import os
import random
import re
import secrets
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
from timing import percentile, print_table

ROOT = Path(__file__).resolve().parent.parent
RETRY_WINDOW_S = 30.0
MAX_ATTEMPTS = 40
REQUEST_TIMEOUT_S = 10.0
RETRIED_STATUSES = {408, 429, 500, 502, 503, 504}
DEFAULT_RESTART = "pg_ctlcluster --skip-systemctl-redirect {version} main restart"


# --------------------------------------------------------------------------- client


class Record:
    def __init__(self) -> None:
        self.latencies_ms: list[float] = []
        self.errors: collections.Counter = collections.Counter()
        self.attempts = 0
        self.creates_sent: list[str] = []
        self.creates_acked: list[dict] = []
        self.creates_given_up: list[str] = []
        self.deletes_acked: list[int] = []
        self.deletes_given_up: list[int] = []
        self.refused: list[dict] = []


async def _send(http, record: Record, method: str, url: str, body: dict | None, ok: set[int]):
    """Send until an ``ok`` answer, a refusal or the retry window closes; return the response,
    ``"gone"`` for a 404 on a retried delete, or None."""
    give_up_at = time.monotonic() + RETRY_WINDOW_S
    for attempt in range(1, MAX_ATTEMPTS + 1):
        record.attempts += 1
        started = time.perf_counter()
        try:
            response = await http.request(method, url, json=body)
        except httpx.TransportError as error:
            record.errors[type(error).__name__] += 1
        else:
            record.latencies_ms.append((time.perf_counter() - started) * 1000)
            if response.status_code in ok:
                return response
            if method == "DELETE" and response.status_code == 404 and attempt > 1:
                return "gone"
            record.errors[f"HTTP {response.status_code}"] += 1
            if response.status_code not in RETRIED_STATUSES:
                refusal = {"method": method, "url": url, "status": response.status_code}
                record.refused.append({**refusal, "body": response.text[:300]})
                return None
        if time.monotonic() > give_up_at:
            return None
        await asyncio.sleep(min(2.0, 0.1 * 2 ** (attempt - 1)) * random.uniform(0.5, 1.0))
    return None


def _word_ranges(text: str) -> list[tuple[int, int]]:
    ranges = []
    for match in re.finditer(r"\S+", text):
        start, end = match.span()
        while end > start and text[end - 1] in ".,":
            end -= 1
        if end > start:
            ranges.append((start, end))
    return ranges


async def _annotator(user: dict, plan: dict, record: Record, deadline: float) -> None:
    rng = random.Random(f"{plan['seed']}-{user['id']}")
    documents = [(doc["id"], doc["text"], _word_ranges(doc["text"])) for doc in user["documents"]]
    mine: list[int] = []
    used: set[tuple] = set()
    async with httpx.AsyncClient(
        base_url=plan["base_url"],
        cookies={"sessionid": user["session"], "csrftoken": user["csrf"]},
        headers={"X-CSRFToken": user["csrf"]},
        timeout=REQUEST_TIMEOUT_S,
    ) as http:
        await asyncio.sleep(rng.uniform(0, 1))
        while time.monotonic() < deadline:
            await asyncio.sleep(rng.uniform(1, 2))
            if time.monotonic() >= deadline:
                break
            if mine and rng.random() < 0.4:
                span_id = mine.pop(rng.randrange(len(mine)))
                answer = await _send(
                    http, record, "DELETE", f"/api/v1/spans/{span_id}/", None, {204}
                )
                if answer is None:
                    record.deletes_given_up.append(span_id)
                else:
                    record.deletes_acked.append(span_id)
                continue
            for _ in range(20):
                document_id, text, words = rng.choice(documents)
                first = rng.randrange(len(words))
                last = min(len(words) - 1, first + rng.randint(0, 2))
                start, end = words[first][0], words[last][1]
                label = rng.choice(user["labels"])
                if (document_id, label, start, end) not in used:
                    break
            used.add((document_id, label, start, end))
            client_id = str(uuid.uuid4())
            record.creates_sent.append(client_id)
            body = {"label": label, "start": start, "end": end, "text": text[start:end],
                    "client_id": client_id}  # fmt: skip
            url = f"/api/v1/documents/{document_id}/spans/"
            answer = await _send(http, record, "POST", url, body, {200, 201})
            if answer is None:
                record.creates_given_up.append(client_id)
                continue
            span = answer.json()
            record.creates_acked.append({"client_id": client_id, "id": span["id"]})
            mine.append(span["id"])


async def _drive(plan: dict) -> dict:
    record = Record()
    started = time.monotonic()
    deadline = started + plan["duration"]
    tasks = [_annotator(user, plan, record, deadline) for user in plan["users"]]
    # Bounded: the run, then at most one retry window for the last requests.
    await asyncio.wait_for(asyncio.gather(*tasks), plan["duration"] + RETRY_WINDOW_S + 30)
    elapsed = time.monotonic() - started
    return {
        "elapsed": elapsed,
        "attempts": record.attempts,
        "latencies_ms": record.latencies_ms,
        "errors": dict(record.errors),
        "creates_sent": record.creates_sent,
        "creates_acked": record.creates_acked,
        "creates_given_up": record.creates_given_up,
        "deletes_acked": record.deletes_acked,
        "deletes_given_up": record.deletes_given_up,
        "refused": record.refused[:20],
    }


def run_client(plan_path: str, out_path: str) -> None:
    plan = json.loads(Path(plan_path).read_text())
    result = asyncio.run(_drive(plan))
    Path(out_path).write_text(json.dumps(result))


# --------------------------------------------------------------------------- server side


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def prepare(bench, documents: int, per_user: int, seed: int) -> tuple[list[dict], list[str]]:
    """Documents, sessions and CSRF secrets for every annotator of ``bench``."""
    import corpus
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.utils.crypto import get_random_string

    from annotator.models import Document

    ids = corpus.add_documents(bench, documents=documents, spans=0, seed=seed)
    texts = dict(Document.objects.filter(pk__in=ids).values_list("pk", "text"))
    rng = random.Random(seed)
    users, session_keys = [], []
    for user in bench.annotators:
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        session_keys.append(session.session_key)
        chosen = rng.sample(ids, min(per_user, len(ids)))
        users.append(
            {
                "id": user.pk,
                "session": session.session_key,
                "csrf": get_random_string(32),
                "documents": [{"id": pk, "text": texts[pk]} for pk in chosen],
                "labels": [label.pk for label in bench.labels],
            }
        )
    return users, session_keys


def start_gunicorn(port: int, workers: int, threads: int, log_path: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": os.environ["SECRET_KEY"],
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "SECURE_HSTS_SECONDS": "0",
    }
    command = [
        sys.executable, "-m", "gunicorn", "project.wsgi:application",
        "--bind", f"127.0.0.1:{port}", "--chdir", str(ROOT),
        "--worker-class", "gthread", "--workers", str(workers), "--threads", str(threads),
        "--keep-alive", "5", "--timeout", "30", "--graceful-timeout", "5",
        "--log-level", "warning",
    ]  # fmt: skip
    log = log_path.open("w")
    # Fixed argument list, our own interpreter, no shell.
    server = subprocess.Popen(command, env=env, stdout=log, stderr=log, start_new_session=True)  # noqa: S603
    base = f"http://127.0.0.1:{port}"
    for _ in range(150):  # up to 30 s
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited with {server.returncode}; see {log_path}")
        try:
            httpx.get(f"{base}/api/v1/spans/0/", timeout=2)
            return server
        except httpx.TransportError:
            time.sleep(0.2)
    stop_gunicorn(server)
    raise SystemExit(f"gunicorn did not answer within 30 s; see {log_path}")


def stop_gunicorn(server: subprocess.Popen) -> None:
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)  # the session we started for it
            server.wait(timeout=5)


def worker_pids(master: int) -> list[int]:
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == master:
            pids.append(int(stat.parent.name))
    return sorted(pids)


def pg_ready(timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        # Fixed arguments, no shell.
        command = ["pg_isready", "-q", "-h", "127.0.0.1"]
        ready = subprocess.run(command, check=False, timeout=10)  # noqa: S603
        if ready.returncode == 0:
            return True
        time.sleep(0.5)
    return False


def restart_postgresql(command: str) -> str:
    version = (
        next(iter(sorted(os.listdir("/etc/postgresql"))), "") if "{version}" in command else ""
    )
    argv = shlex.split(command.format(version=version))
    # The operator's own command (default pg_ctlcluster), split without a shell.
    done = subprocess.run(argv, check=False, timeout=90, capture_output=True, text=True)  # noqa: S603
    ready = pg_ready(60)
    return f"`{' '.join(argv)}` exit {done.returncode}, pg_isready {'ok' if ready else 'FAILED'}"


def inject_faults(server: subprocess.Popen, client, duration: float, restart: str) -> list[str]:
    """SIGKILL one worker at 30% of the run, restart PostgreSQL at 55%."""
    from django.db import connection

    vendor = connection.vendor
    events = []
    started = time.monotonic()
    plan = [(0.30 * duration, "kill"), (0.55 * duration, "restart")]
    for at, action in plan:
        while time.monotonic() - started < at and client.poll() is None:
            time.sleep(0.1)
        moment = time.monotonic() - started
        if action == "kill":
            workers = worker_pids(server.pid)
            if workers:
                os.kill(workers[0], signal.SIGKILL)
                events.append(f"{moment:5.1f} s  SIGKILL gunicorn worker {workers[0]}")
            else:
                events.append(f"{moment:5.1f} s  no gunicorn worker found to kill")
        elif vendor != "postgresql":
            events.append(f"{moment:5.1f} s  database restart not applicable on {vendor}")
        else:
            outcome = restart_postgresql(restart)
            events.append(f"{moment:5.1f} s  PostgreSQL restart: {outcome}")
    return events


def serves_again(base_url: str, users: list[dict]) -> tuple[int, int]:
    """Each annotator lists their spans once; return (answered 200, asked)."""
    answered = 0
    for user in users:
        cookies = {"sessionid": user["session"], "csrftoken": user["csrf"]}
        url = f"{base_url}/api/v1/documents/{user['documents'][0]['id']}/spans/"
        try:
            if httpx.get(url, cookies=cookies, timeout=REQUEST_TIMEOUT_S).status_code == 200:
                answered += 1
        except httpx.TransportError:
            pass
    return answered, len(users)


def verify(bench, result: dict) -> dict:
    from django.db.models import Count

    from annotator.models import Assignment, Span

    stored = dict(
        Span.objects.filter(document__project=bench.project).values_list("client_id", "id")
    )
    stored = {str(client_id): pk for client_id, pk in stored.items()}
    stored_ids = set(stored.values())
    deleted = set(result["deletes_acked"])
    lost = wrong_id = 0
    for create in result["creates_acked"]:
        if create["id"] in deleted:
            continue
        if create["client_id"] not in stored:
            lost += 1
        elif stored[create["client_id"]] != create["id"]:
            wrong_id += 1
    duplicates = sum(
        1
        for row in Span.objects.filter(document__project=bench.project)
        .values("document", "annotator", "label", "start", "end")
        .annotate(copies=Count("id"))
        if row["copies"] > 1
    )
    sent = set(result["creates_sent"])
    unexpected = sum(1 for client_id in stored if client_id not in sent)
    given_up_stored = sum(1 for client_id in result["creates_given_up"] if client_id in stored)
    counts = collections.Counter(
        Span.objects.filter(document__project=bench.project).values_list("document", "annotator")
    )
    miscounted = sum(
        1
        for document, annotator, span_count in Assignment.objects.filter(
            document__project=bench.project
        ).values_list("document", "annotator", "span_count")
        if counts.get((document, annotator), 0) != span_count
    )
    return {
        "spans stored": len(stored),
        "acknowledged creates": len(result["creates_acked"]),
        "acknowledged deletes": len(deleted),
        "lost (acked create missing)": lost,
        "acked create with another id": wrong_id,
        "duplicated": duplicates,
        "resurrected (acked delete present)": len(deleted & stored_ids),
        "unexpected (client_id never sent)": unexpected,
        "span_count mismatches": miscounted,
        "creates given up": len(result["creates_given_up"]),
        "  of which stored anyway": given_up_stored,
        "deletes given up": len(result["deletes_given_up"]),
    }


FAILING = (
    "lost (acked create missing)",
    "acked create with another id",
    "duplicated",
    "resurrected (acked delete present)",
    "unexpected (client_id never sent)",
    "span_count mismatches",
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--duration", type=float, default=60, help="seconds of load")
    parser.add_argument("--documents", type=int, default=100, help="documents in the project")
    parser.add_argument("--per-user", type=int, default=3, help="documents each annotator uses")
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--faults", action="store_true", help="kill a worker, restart PostgreSQL")
    parser.add_argument("--restart-command", default=DEFAULT_RESTART)
    parser.add_argument("--keep", action="store_true", help="keep the project and its users")
    parser.add_argument("--client", nargs=2, metavar=("PLAN", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.client:
        run_client(*args.client)
        return
    if args.duration > 600 or args.users > 500:
        parser.error("keep runs bounded: at most 600 s and 500 users")

    import corpus

    # Sessions are signed: this process writes them, gunicorn reads them.
    os.environ["SECRET_KEY"] = secrets.token_urlsafe(40)
    corpus.setup_django()
    from django.contrib.sessions.models import Session
    from django.db import connections

    bench = corpus.create_project(annotators=args.users, prefix="bench-load")
    session_keys: list[str] = []
    server = None
    passed = False
    try:
        users, session_keys = prepare(bench, args.documents, args.per_user, args.seed)
        port = _free_port()
        workdir = Path(tempfile.mkdtemp(prefix="bench-load-"))
        server = start_gunicorn(port, args.workers, args.threads, workdir / "gunicorn.log")
        plan = {"base_url": f"http://127.0.0.1:{port}", "duration": args.duration,
                "seed": args.seed, "users": users}  # fmt: skip
        (workdir / "plan.json").write_text(json.dumps(plan))
        mode = "with faults" if args.faults else "no faults"
        print(
            f"Load on {corpus.database_label()}, {mode}: {args.users} annotators for "
            f"{args.duration:g} s against gunicorn gthread {args.workers} workers x "
            f"{args.threads} threads on 127.0.0.1:{port}, httpx {httpx.__version__}"
        )
        client_command = [sys.executable, __file__, "--client",
                          str(workdir / "plan.json"), str(workdir / "result.json")]  # fmt: skip
        client = subprocess.Popen(client_command)  # noqa: S603 - this file, our interpreter
        events = []
        if args.faults:
            events = inject_faults(server, client, args.duration, args.restart_command)
        client.wait(timeout=args.duration + RETRY_WINDOW_S + 90)
        if client.returncode != 0:
            raise SystemExit(f"the load client failed with {client.returncode}")
        result = json.loads((workdir / "result.json").read_text())
        answered = serves_again(plan["base_url"], users) if args.faults else None
        gunicorn_alive = server.poll() is None
        connections.close_all()  # our own connection did not survive a restart
        checks = verify(bench, result)

        latencies = result["latencies_ms"]
        print_table(
            ["requests", "req/s", "p50 ms", "p95 ms", "p99 ms", "max ms", "errors"],
            [[
                len(latencies), len(latencies) / result["elapsed"], percentile(latencies, 50),
                percentile(latencies, 95), percentile(latencies, 99), max(latencies, default=0.0),
                sum(result["errors"].values()),
            ]],
        )  # fmt: skip
        if result["errors"]:
            print("errors by kind: " + ", ".join(f"{k} {v}" for k, v in result["errors"].items()))
        for refused in result["refused"][:5]:
            print(f"refused: {refused}")
        for event in events:
            print(f"fault at {event}")
        print()
        print_table(["check", "count"], list(checks.items()))
        passed = all(checks[name] == 0 for name in FAILING) and checks["acknowledged creates"] > 0
        if args.faults:
            served = answered[0] == answered[1] and gunicorn_alive
            print(f"after the faults: {answered[0]}/{answered[1]} annotators served, "
                  f"gunicorn master {'still running' if gunicorn_alive else 'GONE'}, "
                  f"PostgreSQL {'ready' if pg_ready(5) else 'NOT READY'}")  # fmt: skip
            passed = passed and served
        print(f"VERDICT: {'PASS' if passed else 'FAIL'} - nothing acknowledged lost or duplicated"
              if passed else "VERDICT: FAIL")  # fmt: skip
    finally:
        if server is not None:
            stop_gunicorn(server)
        connections.close_all()
        if not pg_ready(60):
            print("WARNING: PostgreSQL is not ready", file=sys.stderr)
        Session.objects.filter(session_key__in=session_keys).delete()
        if args.keep:
            print(f"kept project {bench.project.slug}")
        else:
            corpus.remove_project(bench)
    if not passed:
        sys.exit(1)


if __name__ == "__main__":
    main()
