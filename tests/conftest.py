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


@pytest.fixture(autouse=True)
def fresh_phrase_automata() -> None:
    """Tests reuse project ids and counter values; a process never sees that happen."""
    from annotator.annotation.string_match import clear_cache

    clear_cache()
