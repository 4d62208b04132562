"""Two web nodes and two release workers sharing PostgreSQL, an S3 server and Redis.

Starts, on 127.0.0.1, moto's S3 server (``moto[server]``) with a bucket of its
own, two gunicorn instances (nodes A and B, 2 gthread workers each, DEBUG off,
behind a pretend TLS proxy) and two ``release_worker`` processes, all with the
environment a deployment on several machines uses: ``DATABASE_URL`` (PostgreSQL),
``STORAGE_BACKEND=s3`` and ``S3_*``, ``REDIS_URL``. Releases go to the bucket,
never to a node's disk (each node gets an empty MEDIA_ROOT of its own, checked
empty at the end). Then it checks, printing each outcome:

1. readiness: ``/readyz`` of both nodes is 200, database, storage and cache ok;
   ``check --deploy`` has no shared-cache warning with ``REDIS_URL`` set.
2. release: queued through node A's API and polled through node B's; the worker
   building it is killed with SIGKILL; the other worker requeues it once its
   heartbeat is ``RELEASE_JOB_STALE_MINUTES`` old (0.1 here: 6 s) and builds it;
   exactly one release exists; node B downloads it byte-identical to its
   ``archive_sha256``, and every file in it matches ``release.json``.
3. throttle: one user's API requests alternate between the nodes; exactly the
   rate (``API_THROTTLE_USER``) is served, then both nodes answer 429. Counted
   per process, four processes would each serve the rate.
4. sessions: logged in on A, the session works on B; logged out on B, A refuses it.
5. lockout: failed logins alternate between the nodes; after ``AXES_FAILURE_LIMIT``
   in all, the right password is refused on both.

Prints a verdict; exits 1 if any check failed. Needs PostgreSQL and a Redis
server running (``.ci/run`` starts both); the data it makes goes at the end::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/annotator_bench \\
    REDIS_URL=redis://127.0.0.1:6379/0 .venv/bin/python bench/multinode.py
"""

import argparse
import hashlib
import io
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
import zipfile
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
STALE_MINUTES = "0.1"
THROTTLE_RATE = 100
FAILURE_LIMIT = 5
PASSWORD = "multinode-" + secrets.token_urlsafe(12)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Verdict:
    failures: list[str] = field(default_factory=list)

    def check(self, passed: bool, what: str, detail: str = "") -> bool:
        print(f"  {'ok    ' if passed else 'FAILED'} {what}{f': {detail}' if detail else ''}")
        if not passed:
            self.failures.append(what)
        return passed


@dataclass
class Processes:
    """Everything this run started, stopped at the end whatever happens."""

    workdir: Path
    running: dict[str, subprocess.Popen] = field(default_factory=dict)

    def start(self, name: str, command: list[str], env: dict[str, str]) -> subprocess.Popen:
        log = (self.workdir / f"{name}.log").open("w")
        # Our own interpreter and fixed arguments, no shell; a session of its own, so
        # that stopping it reaches its children (gunicorn's workers).
        process = subprocess.Popen(  # noqa: S603
            command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.running[name] = process
        return process

    def log(self, name: str) -> str:
        return (self.workdir / f"{name}.log").read_text(errors="replace")

    def stop_all(self) -> None:
        for process in self.running.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.running.values():
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=5)


def wait_until(condition, *, timeout: float, interval: float = 0.2, what: str):
    deadline = time.monotonic() + timeout
    while True:
        outcome = condition()
        if outcome:
            return outcome
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not within {timeout:g} s")
        time.sleep(interval)


def answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code in (200, 503)
    except httpx.TransportError:
        return False


class Node:
    """A web node, as a client behind a TLS-terminating balancer sees it."""

    def __init__(self, name: str, port: int) -> None:
        self.name = name
        self.base = f"http://127.0.0.1:{port}"
        self.origin = f"https://127.0.0.1:{port}"
        self.http = httpx.Client(base_url=self.base, timeout=30, follow_redirects=False)

    def request(self, method: str, path: str, *, cookies: dict | None = None, **kwargs):
        headers = {"X-Forwarded-Proto": "https", "Origin": self.origin, **kwargs.pop("headers", {})}
        # Secure cookies are kept by hand: the balancer's TLS is pretended.
        if cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in cookies.items())
        return self.http.request(method, path, headers=headers, **kwargs)

    def api(self, method: str, path: str, token: str, **kwargs) -> httpx.Response:
        return self.request(method, path, headers={"Authorization": f"Bearer {token}"}, **kwargs)


def set_cookies(response: httpx.Response) -> dict[str, str]:
    jar = SimpleCookie()
    for header in response.headers.get_list("set-cookie"):
        jar.load(header)
    return {name: morsel.value for name, morsel in jar.items()}


def login(node: Node, username: str, password: str) -> tuple[httpx.Response, dict[str, str]]:
    """Post the login form on ``node``; the response and the cookies it leaves."""
    page = node.request("GET", "/accounts/login/")
    cookies = set_cookies(page)
    token = page.text.split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]
    response = node.request(
        "POST",
        "/accounts/login/",
        cookies=cookies,
        data={"username": username, "password": password, "csrfmiddlewaretoken": token},
    )
    return response, {**cookies, **set_cookies(response)}


# --------------------------------------------------------------------------- the checks


def check_readiness(verdict: Verdict, nodes: list[Node], env: dict[str, str]) -> None:
    print("1. readiness")
    for node in nodes:
        response = node.request("GET", "/readyz")
        body = response.json()
        verdict.check(
            response.status_code == 200 and set(body["checks"].values()) == {"ok"},
            f"node {node.name} /readyz",
            f"{response.status_code} {body}",
        )
    # Our own interpreter on manage.py, no shell.
    deploy = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    verdict.check(
        deploy.returncode == 0 and "annotator.W150" not in deploy.stdout + deploy.stderr,
        "check --deploy: no shared-cache warning with REDIS_URL set",
        (deploy.stdout + deploy.stderr).strip().splitlines()[-1],
    )


def check_release(
    verdict: Verdict,
    a: Node,
    b: Node,
    processes: Processes,
    workers: dict[int, str],
    slug: str,
    token: str,
    bucket,
    env: dict[str, str],
) -> None:
    from annotator.models import Release, ReleaseJob, ReleaseWorker

    print("2. a release queued on A, its worker killed, built by the other, downloaded on B")
    queued = a.api("POST", f"/api/v1/projects/{slug}/releases/", token, json={"seed": "7"})
    if not verdict.check(queued.status_code == 202, "node A queues the release", queued.text[:200]):
        return
    job_path = httpx.URL(queued.json()["url"]).path
    started = time.monotonic()

    def building_worker() -> ReleaseWorker | None:
        """The worker building the job, once it has written part of a format."""
        polled = b.api("GET", job_path, token).json()
        progress = polled["progress"]
        if polled["status"] != "running" or not progress["format"]:
            return None
        if progress["documents_done"] == 0 and progress["format_number"] == 1:
            return None
        return ReleaseWorker.objects.filter(
            job_id=queued.json()["id"], stopped=None, pid__in=list(workers)
        ).first()

    worker = wait_until(building_worker, timeout=60, interval=0.2, what="a worker building it")
    victim = workers[worker.pid]
    progress = b.api("GET", job_path, token).json()["progress"]
    os.kill(worker.pid, signal.SIGKILL)
    processes.running[victim].wait(timeout=10)
    print(
        f"  SIGKILL {victim} (pid {worker.pid}) at {time.monotonic() - started:.1f} s, "
        f"writing {progress['format']} (format {progress['format_number']}) "
        f"({progress['documents_done']}/{progress['documents_total']} documents)"
    )

    def finished() -> dict | None:
        polled = b.api("GET", job_path, token).json()
        return polled if polled["status"] in ("done", "failed") else None

    job = wait_until(finished, timeout=180, interval=1.0, what="the release job to finish")
    print(f"  job {job['status']} at {time.monotonic() - started:.1f} s")
    survivor = next(name for name in workers.values() if name != victim)
    stored = ReleaseJob.objects.get(pk=job["id"])
    verdict.check(job["status"] == "done", "the job is done", job.get("message", ""))
    verdict.check(stored.attempts == 2, "it took two claims", f"attempts {stored.attempts}")
    verdict.check(
        "done, version 1." in processes.log(survivor),
        f"the other worker ({survivor}) built it",
    )
    releases = Release.objects.filter(project__slug=slug).count()
    verdict.check(releases == 1, "exactly one release exists", f"{releases}")
    status = subprocess.run(
        [sys.executable, "manage.py", "release_worker", "--status"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    print("  release_worker --status:")
    for line in status.stdout.splitlines():
        if f"pid {worker.pid}" in line or any(f"pid {pid}" in line for pid in workers):
            print(f"    {line}")
    verdict.check(
        f"pid {worker.pid}: silent for" in status.stdout,
        "--status shows the killed worker silent",
    )

    detail = b.api("GET", f"/api/v1/projects/{slug}/releases/1/", token).json()
    digest = hashlib.sha256()
    body = io.BytesIO()
    with b.http.stream(
        "GET",
        f"/api/v1/projects/{slug}/releases/1/download/",
        headers={"Authorization": f"Bearer {token}", "X-Forwarded-Proto": "https"},
    ) as download:
        for chunk in download.iter_bytes():
            digest.update(chunk)
            body.write(chunk)
    verdict.check(
        download.status_code == 200 and digest.hexdigest() == detail["archive_sha256"],
        "node B's download matches the release's sha256",
        f"{body.tell()} bytes, sha256 {digest.hexdigest()[:16]}…",
    )
    with zipfile.ZipFile(body) as archive:
        folder = f"{slug}-v1"
        manifest = json.loads(archive.read(f"{folder}/release.json"))
        mismatched = [
            path
            for path, sha256 in manifest["files"].items()
            if hashlib.sha256(archive.read(f"{folder}/{path}")).hexdigest() != sha256
        ]
    verdict.check(
        not mismatched and manifest["files"] == detail["files"],
        "every file in the zip matches release.json",
        f"{len(manifest['files'])} files",
    )
    keys = [item.key for item in bucket.objects.all()]
    stored_name = Release.objects.get(project__slug=slug).archive.name
    verdict.check(stored_name in keys, "the archive is in the bucket", ", ".join(keys))


def check_throttle(verdict: Verdict, nodes: list[Node], token: str) -> None:
    print(f"3. throttle: {THROTTLE_RATE}/minute for one user, across both nodes")
    statuses = []
    for number in range(THROTTLE_RATE + 4):
        node = nodes[number % 2]
        statuses.append((node.name, node.api("GET", "/api/v1/projects/", token).status_code))
    served = [status for _, status in statuses[:THROTTLE_RATE]]
    refused = statuses[THROTTLE_RATE:]
    verdict.check(
        served == [200] * THROTTLE_RATE,
        f"the first {THROTTLE_RATE} requests are served",
        f"{served.count(200)} served",
    )
    verdict.check(
        [status for _, status in refused] == [429] * len(refused),
        "the next ones are refused on both nodes",
        ", ".join(f"{name} {status}" for name, status in refused),
    )


def check_sessions(verdict: Verdict, a: Node, b: Node, username: str) -> None:
    print("4. sessions: log in on A, use on B, log out on B")
    response, cookies = login(a, username, PASSWORD)
    verdict.check(
        response.status_code == 302 and "sessionid" in cookies,
        "node A logs the user in",
        f"{response.status_code} to {response.headers.get('location')}",
    )
    on_b = b.request("GET", "/", cookies=cookies)
    verdict.check(on_b.status_code == 200, "node B serves the session", f"{on_b.status_code}")
    logout = b.request(
        "POST",
        "/accounts/logout/",
        cookies=cookies,
        data={"csrfmiddlewaretoken": cookies["csrftoken"]},
    )
    verdict.check(logout.status_code == 302, "node B logs it out", f"{logout.status_code}")
    on_a = a.request("GET", "/", cookies=cookies)
    verdict.check(
        on_a.status_code == 302 and "/accounts/login/" in on_a.headers.get("location", ""),
        "node A refuses the session afterwards",
        f"{on_a.status_code} to {on_a.headers.get('location')}",
    )


def check_lockout(verdict: Verdict, nodes: list[Node], username: str) -> None:
    print(f"5. lockout: {FAILURE_LIMIT} failed logins across both nodes")
    failures = [
        login(nodes[number % 2], username, "wrong password")[0].status_code
        for number in range(FAILURE_LIMIT)
    ]
    print(f"  failed logins answered {failures}")
    for node in nodes:
        response, cookies = login(node, username, PASSWORD)
        verdict.check(
            response.status_code != 302 and "sessionid" not in cookies,
            f"node {node.name} refuses the right password",
            f"{response.status_code}",
        )


# --------------------------------------------------------------------------- set-up


def make_data(documents: int):
    """The project (gold documents), its curator's token, and users for the checks."""
    import export
    from django.contrib.auth.models import User

    from annotator.api_tokens import token_create

    project = export.fill(documents)
    curator = User.objects.get(memberships__project=project)
    _, curator_token = token_create(user=curator, name="multinode")
    suffix = uuid.uuid4().hex[:8]
    throttled = User.objects.create_user(f"multinode-throttled-{suffix}")
    _, throttled_token = token_create(user=throttled, name="multinode")
    session_user = User.objects.create_user(f"multinode-session-{suffix}", password=PASSWORD)
    locked_user = User.objects.create_user(f"multinode-locked-{suffix}", password=PASSWORD)
    return project, curator_token, throttled_token, [throttled, session_user, locked_user]


def remove_data(project, users, worker_pids: list[int]) -> None:
    import export
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    from annotator.models import ReleaseJob, ReleaseWorker

    names = [user.username for user in users]
    for model in (AccessAttempt, AccessLog, AccessFailureLog):
        model.objects.filter(username__in=names).delete()
    ReleaseJob.objects.filter(project=project).delete()
    ReleaseWorker.objects.filter(pid__in=worker_pids, hostname=socket.gethostname()).delete()
    export.cleanup(project)
    for user in users:
        user.delete()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--documents", type=int, default=1500, help="gold documents to release")
    parser.add_argument("--ports", type=int, nargs=2, metavar=("A", "B"), help="nodes' ports")
    parser.add_argument("--s3-port", type=int, help="moto's port (default: a free one)")
    args = parser.parse_args()

    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url.startswith(("postgres://", "postgresql://")):
        raise SystemExit("bench/multinode.py needs DATABASE_URL=postgres://… (nodes share it)")
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    import redis

    try:
        redis.Redis.from_url(redis_url, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        raise SystemExit(f"bench/multinode.py needs a Redis at {redis_url}: {error}") from None

    workdir = Path(tempfile.mkdtemp(prefix="bench-multinode-"))
    s3_port = args.s3_port or free_port()
    port_a, port_b = args.ports or (free_port(), free_port())
    bucket_name = f"annotator-multinode-{uuid.uuid4().hex[:8]}"
    processes_env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_PROXY_SSL_HEADER": "true",
        "STORAGE_BACKEND": "s3",
        "S3_BUCKET": bucket_name,
        "S3_ENDPOINT_URL": f"http://127.0.0.1:{s3_port}",
        "S3_REGION": "us-east-1",
        "S3_ACCESS_KEY_ID": "multinode",
        "S3_SECRET_ACCESS_KEY": "multinode",
        "REDIS_URL": redis_url,
        "API_THROTTLE_USER": f"{THROTTLE_RATE}/minute",
        "AXES_FAILURE_LIMIT": str(FAILURE_LIMIT),
        "RELEASE_JOB_STALE_MINUTES": STALE_MINUTES,
        "WEB_CONCURRENCY": "2",
        # Collected here, not into the checkout's staticfiles/, which WhiteNoise would
        # then serve (stale) to the test suite's live server.
        "STATIC_ROOT": str(workdir / "static"),
    }
    os.environ.update(processes_env)
    sys.path[:0] = [str(ROOT), str(ROOT / "bench")]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
    import boto3
    import django

    django.setup()
    from annotator.models import ReleaseWorker

    print(
        f"Multi-node run: nodes A :{port_a} and B :{port_b} (gunicorn gthread 2x4 each), "
        f"2 release workers, PostgreSQL {database_url.rsplit('/', 1)[-1]}, Redis {redis_url}, "
        f"moto S3 :{s3_port}; logs in {workdir}"
    )
    processes = Processes(workdir)
    verdict = Verdict()
    project = users = None
    worker_pids: dict[int, str] = {}
    try:
        manage = [sys.executable, "manage.py"]
        for step in (["migrate", "--noinput", "-v0"], ["collectstatic", "--noinput", "-v0"]):
            # Once, before the nodes start: as a deployment does.
            subprocess.run([*manage, *step], cwd=ROOT, env=processes_env, check=True)  # noqa: S603
        processes.start(
            "s3",
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(s3_port)],
            processes_env,
        )
        wait_until(lambda: answers(f"http://127.0.0.1:{s3_port}/"), timeout=30, what="moto")
        bucket = boto3.resource(
            "s3",
            endpoint_url=processes_env["S3_ENDPOINT_URL"],
            aws_access_key_id=processes_env["S3_ACCESS_KEY_ID"],
            aws_secret_access_key=processes_env["S3_SECRET_ACCESS_KEY"],
            region_name="us-east-1",
        ).create_bucket(Bucket=bucket_name)

        began = time.monotonic()
        project, curator_token, throttled_token, users = make_data(args.documents)
        print(f"{args.documents} gold documents made in {time.monotonic() - began:.1f} s")

        media_roots = []
        for name, port in (("A", port_a), ("B", port_b)):
            media_root = workdir / f"media-{name}"
            media_roots.append(media_root)
            processes.start(
                f"node-{name}",
                [
                    *(sys.executable, "-m", "gunicorn", "project.wsgi:application"),
                    *("--bind", f"127.0.0.1:{port}", "--worker-class", "gthread"),
                    *("--workers", "2", "--threads", "4", "--timeout", "60"),
                    *("--log-level", "warning"),
                ],
                {**processes_env, "MEDIA_ROOT": str(media_root)},
            )
        for name in ("worker-1", "worker-2"):
            media_root = workdir / f"media-{name}"
            media_roots.append(media_root)
            worker = processes.start(
                name,
                [*manage, "release_worker", "--idle-seconds", "0.5"],
                {**processes_env, "MEDIA_ROOT": str(media_root), "PYTHONUNBUFFERED": "1"},
            )
            worker_pids[worker.pid] = name
        a, b = Node("A", port_a), Node("B", port_b)
        for node in (a, b):
            wait_until(lambda node=node: answers(f"{node.base}/healthz"), timeout=60, what="node")
        wait_until(
            lambda: (
                ReleaseWorker.objects.filter(pid__in=list(worker_pids), stopped=None).count() == 2
            ),
            timeout=60,
            what="both release workers",
        )

        check_readiness(verdict, [a, b], processes_env)
        check_release(
            verdict,
            a,
            b,
            processes,
            worker_pids,
            project.slug,
            curator_token,
            bucket,
            processes_env,
        )
        check_throttle(verdict, [a, b], throttled_token)
        check_sessions(verdict, a, b, users[1].username)
        check_lockout(verdict, [a, b], users[2].username)
        left_on_disk = [str(path) for root in media_roots for path in root.rglob("*")]
        verdict.check(
            not left_on_disk, "no node or worker wrote to its own disk", " ".join(left_on_disk)
        )
    except Exception as error:
        verdict.check(False, "the run completed", f"{type(error).__name__}: {error}")
    finally:
        processes.stop_all()
        if project is not None:
            remove_data(project, users, list(worker_pids))
    if verdict.failures:
        failed = "; ".join(verdict.failures)
        print(f"verdict: FAIL ({len(verdict.failures)}: {failed}); logs in {workdir}")
        sys.exit(1)
    shutil.rmtree(workdir, ignore_errors=True)
    print("verdict: PASS")


if __name__ == "__main__":
    main()
