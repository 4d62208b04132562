import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import boto3
import pytest
from django.contrib.auth.models import User

from annotator.annotation.spans import span_create
from annotator.models import Document, Label, Membership, Project, Role, Span


@pytest.fixture
def project(db) -> Project:
    project = Project.objects.create(name="Talks", slug="talks", guidelines="# Rules")
    for hotkey, (name, colour) in enumerate(
        [
            ("claim", "#fde68a"),
            ("threat", "#fca5a5"),
            ("proposal", "#a7f3d0"),
            ("actor", "#bfdbfe"),
        ],
        start=1,
    ):
        Label.objects.create(project=project, name=name, colour=colour, hotkey=str(hotkey))
    return project


@pytest.fixture
def labels(project) -> dict[str, Label]:
    return {label.name: label for label in project.labels.all()}


@pytest.fixture
def document(project) -> Document:
    return Document.objects.create(
        project=project,
        title="Talks in January",
        text="Talks in January\n\nSergey Lavrov said 🎉 NATO will meet in January.\n",
    )


def _member(project: Project, username: str, role: str) -> User:
    user = User.objects.create_user(username, password="password")
    Membership.objects.create(project=project, user=user, role=role)
    return user


@pytest.fixture
def alice(project) -> User:
    """Annotator of the project; owns the spans in most tests."""
    return _member(project, "alice", Role.ANNOTATOR)


@pytest.fixture
def bob(project) -> User:
    """Another annotator of the same project."""
    return _member(project, "bob", Role.ANNOTATOR)


@pytest.fixture
def manager(project) -> User:
    return _member(project, "mona", Role.MANAGER)


@pytest.fixture
def curator(project) -> User:
    return _member(project, "cora", Role.CURATOR)


@pytest.fixture
def charlie(db) -> User:
    """Member of another project only: an outsider here."""
    other = Project.objects.create(name="Other", slug="other")
    user = User.objects.create_user("charlie", password="password")
    Membership.objects.create(project=other, user=user, role=Role.MANAGER)
    return user


@pytest.fixture
def alice_span(alice, document, labels) -> Span:
    """Alice's actor span on "Sergey Lavrov", made through the service."""
    start = document.text.find("Sergey Lavrov")
    span, _ = span_create(
        document=document,
        annotator=alice,
        label=labels["actor"],
        start=start,
        end=start + len("Sergey Lavrov"),
    )
    return span


@pytest.fixture(autouse=True)
def fast_password_hashing(settings) -> None:
    """Tests create many users; the production hasher is slow on purpose."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def s3_server() -> Iterator[str]:
    """A real S3-compatible HTTP server (moto's) on 127.0.0.1, for the run; its URL."""
    port = free_port()
    server = subprocess.Popen(  # noqa: S603 - a fixed command
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("moto's S3 server did not start") from None
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=10)


@dataclass(frozen=True)
class Bucket:
    name: str
    client: object  # boto3's S3 client, to read the bucket independently of the app

    def keys(self) -> list[str]:
        listing = self.client.list_objects_v2(Bucket=self.name)
        return [item["Key"] for item in listing.get("Contents", [])]

    def read(self, key: str) -> bytes:
        return self.client.get_object(Bucket=self.name, Key=key)["Body"].read()


@pytest.fixture
def use_s3_storage(settings, monkeypatch) -> Callable[[str, str], None]:
    """Make the default storage a bucket on an S3 server, as STORAGE_BACKEND=s3 and the S3_*
    variables would (project/settings.py): ``use_s3_storage(endpoint_url, bucket)``."""
    from project.settings import s3_storage_options

    def use(endpoint_url: str, bucket: str) -> None:
        for variable, value in {
            "S3_ACCESS_KEY_ID": "test",
            "S3_SECRET_ACCESS_KEY": "test",
            "S3_REGION": "us-east-1",
            "S3_BUCKET": bucket,
            "S3_ENDPOINT_URL": endpoint_url,
        }.items():
            monkeypatch.setenv(variable, value)
        settings.STORAGES = {
            **settings.STORAGES,
            "default": {
                "BACKEND": "storages.backends.s3.S3Storage",
                "OPTIONS": s3_storage_options(),
            },
        }

    return use


@pytest.fixture
def s3_bucket(s3_server, use_s3_storage) -> Bucket:
    """A new, empty bucket on the S3 server, made the default storage."""
    name = f"releases-{uuid.uuid4().hex[:12]}"
    client = boto3.client(
        "s3",
        endpoint_url=s3_server,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        region_name="us-east-1",
    )
    client.create_bucket(Bucket=name)
    use_s3_storage(s3_server, name)
    return Bucket(name, client)


@pytest.fixture(autouse=True)
def fresh_phrase_automata() -> None:
    """Tests reuse project ids and counter values; a process never sees that happen."""
    from annotator.annotation.string_match import clear_cache

    clear_cache()
