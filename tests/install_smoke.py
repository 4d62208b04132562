"""The app as a user installs it: run by .ci/run with a virtualenv built from requirements.txt
alone, as a plain script (pytest is not installed there, and this file is not a test module).

    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install -r requirements.txt
    /tmp/venv/bin/python tests/install_smoke.py          # SQLite in a temporary folder
    DATABASE_URL=postgres://... /tmp/venv/bin/python tests/install_smoke.py

On a fresh database it runs what README tells a user to run: ``migrate``, the demo
fixtures, ``refresh_agreement``, ``create_demo_users``, ``collectstatic``; marks one
document gold and queues a release of every format; writes every export format with
``export_dataset`` and builds the release with ``release_worker --once``. Then it
starts gunicorn (DEBUG off, as in production) on a free port, logs in through the
login form as each demo user, and GETs every URL of the resolver as each of them
and anonymously, filling ids and slugs from the demo data, plus every export
download as the curator. It prints a table of the answers and exits 1 when any is
a 5xx (or a command fails): 200, 3xx, 400, 401, 403, 404 and 405 are what roles
and methods allow.
"""

import argparse
import http.cookiejar
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SLUG = "security-talks"
ROLES = ["anonymous", "manager", "curator", "annotator", "annotator2"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def manage(*arguments: str, env: dict[str, str]) -> str:
    """Run a management command as a user would; stop the smoke when it fails."""
    print(f"== manage.py {' '.join(arguments)}", flush=True)
    # Our own interpreter and manage.py, fixed arguments, no shell.
    finished = subprocess.run(  # noqa: S603
        [sys.executable, str(ROOT / "manage.py"), *arguments],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if finished.returncode != 0:
        print(finished.stdout[-3000:], finished.stderr[-3000:], sep="\n")
        raise SystemExit(f"manage.py {' '.join(arguments)} failed ({finished.returncode})")
    return finished.stdout


# --------------------------------------------------------------------------- the world


def prepare() -> dict:
    """Gold data, a queued release and one API token per demo user; ids for the URL walk."""
    from django.contrib.auth.models import User

    from annotator.api_tokens import token_create
    from annotator.curation.gold import gold_accept_all, gold_premerge, gold_status_set
    from annotator.exports.formats import FORMATS
    from annotator.exports.release_jobs import request_release
    from annotator.models import Document, GoldStatus, Label, Project, Suggestion

    project = Project.objects.get(slug=SLUG)
    curator = User.objects.get(username="curator")
    disputed = Document.objects.get(project=project, title__startswith="Russia & US Agree")
    gold_premerge(document=disputed, curator=curator)
    gold_accept_all(document=disputed, curator=curator)
    gold_status_set(document=disputed, status=GoldStatus.GOLD, confirm=True)
    job = request_release(project=project, requested_by=curator, formats=list(FORMATS))
    suggestion = Suggestion.objects.create(
        document=disputed, label=Label.objects.get(project=project, name="actor"), start=0, end=6,
        source="import:smoke",
    )  # fmt: skip
    relation = _a_relation(project)
    tokens = {
        user.username: token_create(user=user, name="smoke")[0].pk
        for user in User.objects.filter(username__in=ROLES)
    }
    return {
        "formats": list(FORMATS),
        "project": project,
        "document": disputed,
        "label": Label.objects.filter(project=project).order_by("pk").first(),
        "job": job,
        "tokens": tokens,
        "suggestion": suggestion,
        "relation": relation,
    }


def _a_relation(project) -> object | None:
    """A claimant relation between two spans of one demo annotator, written as stored
    rows (their documents are submitted, so the service would refuse): the relation
    pages and API need one to show."""
    from annotator.models import Relation, RelationType, Span

    claimant = RelationType.objects.get(project=project, name="claimant")
    statements = Span.objects.filter(
        document__project=project, label__in=claimant.source_labels.all()
    ).order_by("pk")
    for source in statements:
        target = (
            Span.objects.filter(
                document=source.document, annotator=source.annotator, label__name="actor"
            )
            .order_by("pk")
            .first()
        )
        if target is not None:
            return Relation.objects.create(
                type=claimant, document=source.document, annotator=source.annotator,
                source=source, target=target,
            )  # fmt: skip
    return None


def url_values(world: dict, role: str) -> dict[str, object]:
    """A value for every URL keyword argument, as ``role`` would use it."""
    from django.contrib.auth.models import User
    from django.contrib.contenttypes.models import ContentType

    from annotator.models import (
        Assignment,
        GoldRelation,
        GoldSpan,
        LabelAttribute,
        Membership,
        RelationType,
        Release,
        Span,
    )

    user = User.objects.filter(username=role).first()
    own_spans = Span.objects.filter(annotator=user) if user else Span.objects.none()
    span = own_spans.order_by("pk").first() or Span.objects.order_by("pk").first()
    token = world["tokens"].get(role) or next(iter(world["tokens"].values()))
    return {
        "slug": SLUG,
        "document_id": world["document"].pk,
        "span_id": span.pk,
        "gold_id": GoldSpan.objects.order_by("pk").first().pk,
        "assignment_id": Assignment.objects.order_by("pk").first().pk,
        "label_id": world["label"].pk,
        "version": Release.objects.get(project=world["project"]).version,
        "job_id": world["job"].pk,
        "token_id": token,
        "membership_id": Membership.objects.filter(project=world["project"]).order_by("pk")[0].pk,
        "suggestion_id": world["suggestion"].pk,
        # No relation among the demo's spans: a missing one must be a 404, not a 500.
        "relation_id": world["relation"].pk if world["relation"] else 2**31 - 1,
        # No gold relation in the demo: a missing one must be a 404, not a 500.
        "gold_relation_id": getattr(GoldRelation.objects.order_by("pk").first(), "pk", 2**31 - 1),
        "attribute_id": LabelAttribute.objects.filter(label__project=world["project"])
        .order_by("pk")[0]
        .pk,
        "relation_type_id": RelationType.objects.filter(project=world["project"])
        .order_by("pk")[0]
        .pk,
        "app_label": "annotator",
        "content_type_id": ContentType.objects.get_for_model(world["document"]).pk,
        "object_id": world["document"].pk,
        "id": (user or User.objects.order_by("pk").first()).pk,  # the admin's user pages
        # A password reset link that is not valid: the page must say so, not fail.
        "uidb64": "MQ",
        "token": "set-password",
    }


def routes() -> Iterator[tuple[str, tuple[str, ...]]]:
    """Every named URL pattern of the resolver: its name and the keyword arguments it takes."""
    from django.urls import URLPattern, URLResolver, get_resolver

    def walk(patterns, namespace: str, names: tuple[str, ...]):
        for pattern in patterns:
            taken = (*names, *pattern.pattern.regex.groupindex)
            if isinstance(pattern, URLResolver):
                inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                yield from walk(pattern.url_patterns, inner, taken)
            elif isinstance(pattern, URLPattern) and pattern.name:
                yield f"{namespace}{pattern.name}", taken

    yield from walk(get_resolver().url_patterns, "", ())


def admin_object_id(name: str, world: dict) -> object | None:
    """The id an admin URL such as ``admin:annotator_span_change`` needs: one of that model."""
    from django.apps import apps

    match = re.fullmatch(r"admin:([a-z]+)_([a-z]+)_(change|delete|history)", name)
    if not match:
        return None
    try:
        model = apps.get_model(match[1], match[2])
    except LookupError:
        return None
    row = model._default_manager.order_by("pk").first()
    return row.pk if row is not None else 1


def url_of(name: str, kwargs: tuple[str, ...], world: dict, role: str) -> str:
    from django.urls import reverse

    values = url_values(world, role)
    missing = [kwarg for kwarg in kwargs if kwarg not in values]
    if missing:
        raise SystemExit(f"{name}: give the URL keyword arguments {missing} a value in url_values")
    chosen = {kwarg: values[kwarg] for kwarg in kwargs}
    if "object_id" in chosen and name != "admin:view_on_site":
        chosen["object_id"] = admin_object_id(name, world) or chosen["object_id"]
    return reverse(name, kwargs=chosen)


# --------------------------------------------------------------------------- HTTP


class NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a 3xx is an answer to record, not to follow


def client() -> urllib.request.OpenerDirector:
    return urllib.request.build_opener(
        NoRedirects, urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    )


def get(opener: urllib.request.OpenerDirector, url: str) -> int:
    try:
        with opener.open(url, timeout=120) as response:
            response.read()  # downloads are streamed: read them to the end
            return response.status
    except urllib.error.HTTPError as error:
        error.read()
        return error.code


def log_in(base: str, username: str, password: str) -> urllib.request.OpenerDirector:
    opener = client()
    page = opener.open(f"{base}/accounts/login/", timeout=60).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)[1]
    form = urllib.parse.urlencode(
        {"username": username, "password": password, "csrfmiddlewaretoken": token}
    ).encode()
    # base is our own http://127.0.0.1 server.
    request = urllib.request.Request(  # noqa: S310
        f"{base}/accounts/login/", data=form, headers={"Referer": f"{base}/accounts/login/"}
    )
    try:
        opener.open(request, timeout=60)
    except urllib.error.HTTPError as error:
        if error.code != 302 or "/accounts/login/" in error.headers.get("Location", ""):
            raise SystemExit(f"{username} could not log in ({error.code})") from None
    else:
        raise SystemExit(f"{username} could not log in: the form came back")
    return opener


def start_server(port: int, env: dict[str, str], log: Path) -> subprocess.Popen:
    command = [
        sys.executable, "-m", "gunicorn", "project.wsgi:application",
        "--bind", f"127.0.0.1:{port}", "--workers", "2", "--timeout", "120",
    ]  # fmt: skip
    # Our own interpreter, fixed arguments, no shell.
    server = subprocess.Popen(  # noqa: S603
        command, cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT
    )
    for _ in range(150):
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited with {server.returncode}:\n{log.read_text()}")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=2)
            return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit(f"gunicorn did not answer within 30 s:\n{log.read_text()}")


# --------------------------------------------------------------------------- the smoke


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=0, help="default: a free port")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="install-smoke-"))
    env = {
        **os.environ,
        "DATABASE_URL": os.environ.get("DATABASE_URL") or f"sqlite:///{folder / 'db.sqlite3'}",
        "MEDIA_ROOT": str(folder / "media"),
        "STATIC_ROOT": str(folder / "static"),
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        # Plain HTTP on 127.0.0.1: no TLS redirect, cookies sent without TLS.
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "SECURE_HSTS_SECONDS": "0",
    }
    print(f"python {sys.version.split()[0]} at {sys.executable}; database {env['DATABASE_URL']}")
    manage("migrate", "--noinput", env=env)
    manage("loaddata", "fixtures/demo.json", "fixtures/demo_agreement.json", env=env)
    manage("refresh_agreement", env=env)
    manage("create_demo_users", env={**env, "DEBUG": "true"})  # refused with DEBUG off
    manage("collectstatic", "--noinput", "-v0", env=env)

    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.db import connections

    from annotator.management.commands.create_demo_users import DEMO_USERS
    from annotator.models import ReleaseJob, ReleaseJobStatus

    world = prepare()
    for export_format in world["formats"]:
        out = folder / f"export-{export_format}"
        manage(
            "export_dataset", "--project", SLUG, "--format", export_format, "--out", str(out),
            env=env,
        )  # fmt: skip
    manage("release_worker", "--once", env=env)
    job = ReleaseJob.objects.get(pk=world["job"].pk)
    if job.status != ReleaseJobStatus.DONE:
        raise SystemExit(f"the release job ended {job.status}: {job.message}")
    connections.close_all()

    port = args.port or _free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_server(port, env, folder / "gunicorn.log")
    answers: dict[str, dict[str, int]] = {}
    try:
        passwords = {username: password for username, password, _ in DEMO_USERS}
        openers = {
            role: client() if role == "anonymous" else log_in(base, role, passwords[role])
            for role in ROLES
        }
        for name, kwargs in sorted(routes()):
            if name == "admin:logout":
                continue  # would end the session the rest of the walk uses
            for role in ROLES:
                answers.setdefault(name, {})[role] = get(
                    openers[role], base + url_of(name, kwargs, world, role)
                )
        query = "source=gold&train=0.8&validation=0.1&test=0.1&seed=0&format="
        for export_format in world["formats"]:
            url = f"{base}/projects/{SLUG}/export/download/?{query}{export_format}"
            answers[f"export download {export_format}"] = {"curator": get(openers["curator"], url)}
        connections.close_all()
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)

    width = max(len(name) for name in answers)
    print(f"\n{'URL name':<{width}}  " + "  ".join(f"{role:>10}" for role in ROLES))
    for name, by_role in answers.items():
        cells = "  ".join(f"{by_role.get(role, ''):>10}" for role in ROLES)
        print(f"{name:<{width}}  {cells}")
    errors = [
        (name, role, status)
        for name, by_role in answers.items()
        for role, status in by_role.items()
        if status >= 500
    ]
    if errors:
        print((folder / "gunicorn.log").read_text()[-5000:])
        raise SystemExit(f"{len(errors)} server errors: {errors}")
    print(f"\nno server error in {sum(len(row) for row in answers.values())} requests")


if __name__ == "__main__":
    main()
