"""Every htmx write refuses a request without the CSRF token, and GET never writes.

The token is taken from the page, where htmx finds it (``hx-headers`` on
``<body>``), and sent as ``X-CSRFToken`` with ``HX-Request``, as htmx does.
"""

import json
import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.contrib.auth.models import Permission, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from test_permissions_walk import ROUTES

from annotator.annotation.assignments import assignment_submit, assignments_distribute
from annotator.annotation.relations import relation_create
from annotator.annotation.spans import span_create
from annotator.annotation.suggestions import suggestion_reject
from annotator.exports.splits import assign_split
from annotator.models import (
    ActorAlias,
    Assignment,
    AuditEvent,
    Distribution,
    Document,
    GoldOrigin,
    GoldRelation,
    GoldSpan,
    GoldSpanAttribute,
    Label,
    LabelAttribute,
    Membership,
    Project,
    Relation,
    RelationType,
    Role,
    Span,
    SpanAttribute,
    Suggestion,
    SuggestionDecision,
    TrainedModel,
)
from annotator.projects.setup import add_default_relations

READ_ONLY = {
    "project-list",
    "document-list",
    "guidelines",
    "annotate",
    "dashboard",
    "network",
    "network-download",
    "adjudicate",
    "document-search",
    "guidelines-preview",  # a POST (the Markdown can be long) that renders and stores nothing
}
# Write URLs whose GET shows the form they post to; every other write refuses GET.
FORM_PAGES = {
    "assignments",
    "project-create",
    "project-settings",
    "labels",
    "relation-settings",
    "members",
    "documents-upload",
    "span-import",
}


@dataclass
class Scene:
    alice: User
    manager: User
    document: Document
    alice_span: Span
    proposal: GoldSpan
    labels: dict


@pytest.fixture
def scene(project, labels, document, alice, bob, manager) -> Scene:
    """Alice and bob annotated and submitted; one gold proposal waits for a decision."""
    start = document.text.find("Sergey Lavrov")
    spans = {}
    for user in (alice, bob):
        spans[user.username], _ = span_create(
            document=document,
            annotator=user,
            label=labels["actor"],
            start=start,
            end=start + len("Sergey Lavrov"),
        )
    assignment_submit(document=document, annotator=bob)
    nato = document.text.find("NATO")
    proposal = GoldSpan.objects.create(
        document=document,
        label=labels["actor"],
        start=nato,
        end=nato + 4,
        origin=GoldOrigin.MERGE,
        merge_rule="exact match by at least 1 of 1 annotators",
        guidelines_version=1,
    )
    return Scene(alice, manager, document, spans["alice"], proposal, labels)


@dataclass(frozen=True)
class Write:
    name: str
    who: str  # "alice" or "manager"
    kwargs: Callable[[Scene], dict]
    data: Callable[[Scene], dict]
    prepare: Callable[[Scene], None] = lambda scene: None  # so that the write has work to do


def _document(scene: Scene) -> dict:
    return {"slug": scene.document.project.slug, "document_id": scene.document.pk}


def _gold(scene: Scene) -> dict:
    return {"slug": scene.document.project.slug, "gold_id": scene.proposal.pk}


def _project(scene: Scene) -> dict:
    return {"slug": scene.document.project.slug}


def _offsets(scene: Scene, phrase: str) -> dict:
    start = scene.document.text.find(phrase)
    return {"start": start, "end": start + len(phrase)}


def _nothing(scene: Scene) -> dict:
    return {}


def _may_create_projects(scene: Scene) -> None:
    scene.manager.user_permissions.add(Permission.objects.get(codename="add_project"))


def _newcomer(scene: Scene) -> User:
    return User.objects.get_or_create(username="nadia")[0]


def _newcomer_annotator(scene: Scene) -> None:
    Membership.objects.create(
        project=scene.document.project, user=_newcomer(scene), role=Role.ANNOTATOR
    )


def _label(scene: Scene, name: str) -> dict:
    return {**_project(scene), "label_id": scene.labels[name].pk}


def _membership(scene: Scene, username: str) -> dict:
    membership = Membership.objects.get(project=scene.document.project, user__username=username)
    return {**_project(scene), "membership_id": membership.pk}


def _gold_claim(scene: Scene) -> GoldSpan:
    """The relation types and stance of every project, an accepted gold claim, and the
    proposal (an actor span) accepted: what a gold relation or value needs."""
    add_default_relations(scene.document.project)
    GoldSpan.objects.filter(pk=scene.proposal.pk).update(status="accepted")
    start = scene.document.text.find("NATO will meet in January")
    return GoldSpan.objects.create(
        document=scene.document,
        label=scene.labels["claim"],
        start=start,
        end=start + len("NATO will meet in January"),
        status="accepted",
        origin=GoldOrigin.CURATOR,
        guidelines_version=1,
    )


def _gold_relation(scene: Scene) -> None:
    claim = _gold_claim(scene)
    GoldRelation.objects.create(
        type=scene.document.project.relation_types.get(name="claimant"),
        document=scene.document,
        source=claim,
        target=scene.proposal,
        origin=GoldOrigin.CURATOR,
    )


def _gold_relation_id(scene: Scene) -> dict:
    return {**_project(scene), "gold_relation_id": GoldRelation.objects.get().pk}


def _gold_relation_form(scene: Scene) -> dict:
    return {
        "type": scene.document.project.relation_types.get(name="claimant").pk,
        "source": GoldSpan.objects.get(label=scene.labels["claim"]).pk,
        "target": scene.proposal.pk,
    }


def _gold_attribute(scene: Scene) -> dict:
    claim = GoldSpan.objects.get(label=scene.labels["claim"])
    stance = LabelAttribute.objects.get(label=scene.labels["claim"], name="stance")
    return {**_project(scene), "gold_id": claim.pk, "attribute_id": stance.pk}


PROJECT_FORM = {
    "name": "Renamed",
    "description": "",
    "guidelines": "# New rules",
    "annotators_per_document": 1,
}


def _gold_in_the_train_split(scene: Scene) -> None:
    """A gold document to train on: ids decide the split, so add them until one trains."""
    while True:
        document = Document.objects.create(
            project=scene.document.project,
            title="Gold",
            text=f"Gold text {Document.objects.count()}.",
            gold_status="gold",
        )
        if assign_split(document.pk, "0") == "train":
            return


def _suggested(scene: Scene) -> None:
    """An imported suggestion for everyone: NATO as a claim."""
    Suggestion.objects.create(
        document=scene.document,
        label=scene.labels["claim"],
        source="import:csrf",
        **_offsets(scene, "NATO"),
    )


def _suggested_and_rejected(scene: Scene) -> None:
    _suggested(scene)
    suggestion_reject(suggestion=Suggestion.objects.get(), annotator=scene.alice)


def _suggestion(scene: Scene) -> dict:
    return {"suggestion_id": Suggestion.objects.get().pk}


def _alice_claim(scene: Scene) -> None:
    """The default relation types and stance, and alice's claim "NATO will meet"."""
    add_default_relations(scene.document.project)
    span_create(
        document=scene.document,
        annotator=scene.alice,
        label=scene.labels["claim"],
        **_offsets(scene, "NATO will meet"),
    )


def _claim(scene: Scene) -> Span:
    return Span.objects.get(annotator=scene.alice, label=scene.labels["claim"])


def _claimant(scene: Scene) -> dict:
    return {
        "type": scene.document.project.relation_types.get(name="claimant").pk,
        "source": _claim(scene).pk,
        "target": scene.alice_span.pk,
    }


def _alice_related(scene: Scene) -> None:
    _alice_claim(scene)
    relation_create(
        relation_type=scene.document.project.relation_types.get(name="claimant"),
        source=_claim(scene),
        target=scene.alice_span,
        annotator=scene.alice,
    )


def _defaults(scene: Scene) -> None:
    add_default_relations(scene.document.project)


def _relation_type(scene: Scene, name: str) -> dict:
    relation_type = scene.document.project.relation_types.get(name=name)
    return {**_project(scene), "relation_type_id": relation_type.pk}


def _stance_of(scene: Scene, label: str) -> dict:
    stance = LabelAttribute.objects.get(label=scene.labels[label], name="stance")
    return {**_project(scene), "attribute_id": stance.pk}


def _stance_of_claim(scene: Scene) -> dict:
    stance = LabelAttribute.objects.get(label=scene.labels["claim"], name="stance")
    return {"span_id": _claim(scene).pk, "attribute_id": stance.pk}


WRITES = [
    Write(
        "span-create",
        "alice",
        _document,
        lambda scene: {"label": scene.labels["claim"].pk, **_offsets(scene, "NATO")},
    ),
    Write("span-delete", "alice", lambda scene: {"span_id": scene.alice_span.pk}, _nothing),
    Write(
        "span-relabel",
        "alice",
        lambda scene: {"span_id": scene.alice_span.pk},
        lambda scene: {"label": scene.labels["claim"].pk},
    ),
    Write("document-status", "alice", _document, lambda scene: {"status": "submitted"}),
    # Listing stores the string matches it computes: alice's "Sergey Lavrov" is one.
    Write("relation-create", "alice", _document, _claimant, _alice_claim),
    Write(
        "relation-delete",
        "alice",
        lambda scene: {"relation_id": Relation.objects.get().pk},
        _nothing,
        _alice_related,
    ),
    Write(
        "span-attribute", "alice", _stance_of_claim, lambda scene: {"value": "oppose"}, _alice_claim
    ),
    Write("suggestions", "alice", _document, _nothing),
    Write("suggestion-accept", "alice", _suggestion, _nothing, _suggested),
    Write("suggestion-reject", "alice", _suggestion, _nothing, _suggested),
    Write("suggestion-undo", "alice", _suggestion, _nothing, _suggested_and_rejected),
    Write(
        "suggestions-accept-all",
        "alice",
        _document,
        lambda scene: {"label": scene.labels["claim"].pk},
        _suggested,
    ),
    Write(
        "assignments",
        "manager",
        _project,
        lambda scene: {"annotators_per_document": 1, "pool": [scene.alice.pk]},
    ),
    Write(
        "assignments-distribute",
        "manager",
        _project,
        _nothing,
        lambda scene: Document.objects.create(
            project=scene.document.project, title="New", text="Nobody has this one yet."
        ),
    ),
    Write(
        "assignments-distribute-undo",
        "manager",
        _project,
        lambda scene: {"distribution": Distribution.objects.get().pk},
        lambda scene: (
            Document.objects.create(
                project=scene.document.project, title="New", text="Nobody has this one yet."
            ),
            assignments_distribute(project=scene.document.project),
        ),
    ),
    Write(
        "assignment-reopen",
        "manager",
        lambda scene: {
            **_project(scene),
            "assignment_id": Assignment.objects.get(document=scene.document, status="submitted").pk,
        },
        _nothing,
    ),
    Write(
        "actor-alias-create",
        "manager",
        _project,
        lambda scene: {"variant": "Lavrov", "entity": "Sergey Lavrov"},
    ),
    Write(
        "actor-alias-delete",
        "manager",
        _project,
        lambda scene: {"alias": ActorAlias.objects.get().pk},
        lambda scene: ActorAlias.objects.create(
            project=scene.document.project, alias="lavrov", entity="Sergey Lavrov"
        ),
    ),
    Write("gold-premerge", "manager", _document, lambda scene: {"minimum": 1}),
    Write("gold-accept-all", "manager", _document, _nothing),
    Write(
        "gold-span-create",
        "manager",
        _document,
        lambda scene: {"label": scene.labels["claim"].pk, **_offsets(scene, "January")},
    ),
    Write(
        "gold-status",
        "manager",
        _document,
        lambda scene: {"status": "gold"},
        # Nothing left to decide, so no confirmation is needed: proposals accepted, work handed in.
        lambda scene: (
            GoldSpan.objects.update(status="accepted"),
            Assignment.objects.update(status="submitted"),
        ),
    ),
    Write(
        "gold-span-adopt",
        "manager",
        lambda scene: {**_project(scene), "span_id": scene.alice_span.pk},
        _nothing,
    ),
    Write("gold-span-accept", "manager", _gold, _nothing),
    Write("gold-revert", "manager", _document, lambda scene: {"delete": scene.proposal.pk}),
    Write("gold-span-delete", "manager", _gold, _nothing),
    Write("gold-span-relabel", "manager", _gold, lambda scene: {"label": scene.labels["claim"].pk}),
    Write("gold-span-resize", "manager", _gold, lambda scene: _offsets(scene, "NATO will")),
    Write("gold-relation-create", "manager", _document, _gold_relation_form, _gold_claim),
    Write("gold-relation-accept", "manager", _gold_relation_id, _nothing, _gold_relation),
    Write("gold-relation-delete", "manager", _gold_relation_id, _nothing, _gold_relation),
    Write(
        "gold-attribute", "manager", _gold_attribute, lambda scene: {"value": "oppose"}, _gold_claim
    ),
    Write(
        "project-create",
        "manager",
        lambda scene: {},
        lambda scene: {**PROJECT_FORM, "slug": "new-talks"},
        _may_create_projects,
    ),
    Write("project-settings", "manager", _project, lambda scene: PROJECT_FORM),
    Write(
        "labels",
        "manager",
        _project,
        lambda scene: {"new-name": "event", "new-colour": "#a5f3fc", "new-hotkey": "5"},
    ),
    Write(
        "label-edit",
        "manager",
        lambda scene: _label(scene, "claim"),
        lambda scene: {
            f"label-{scene.labels['claim'].pk}-{name}": value
            for name, value in {"name": "assertion", "colour": "#fde68a", "hotkey": "1"}.items()
        },
    ),
    Write("label-delete", "manager", lambda scene: _label(scene, "threat"), _nothing),
    Write(
        "relation-settings",
        "manager",
        _project,
        lambda scene: {"new-type-name": "ally", "new-type-key": "y"},
        _defaults,
    ),
    Write(
        "relation-type-edit",
        "manager",
        lambda scene: _relation_type(scene, "claimant"),
        lambda scene: {
            f"type-{_relation_type(scene, 'claimant')['relation_type_id']}-{name}": value
            for name, value in {"name": "speaker", "key": "c", "directed": "on"}.items()
        },
        _defaults,
    ),
    Write(
        "relation-type-delete",
        "manager",
        lambda scene: _relation_type(scene, "addressee"),
        _nothing,
        _defaults,
    ),
    Write(
        "attribute-add",
        "manager",
        _project,
        lambda scene: {
            "new-attribute-label": scene.labels["actor"].pk,
            "new-attribute-name": "kind",
            "new-attribute-allowed_values": "state\nperson",
        },
        _defaults,
    ),
    Write(
        "attribute-edit",
        "manager",
        lambda scene: _stance_of(scene, "claim"),
        lambda scene: {
            f"attribute-{_stance_of(scene, 'claim')['attribute_id']}-{name}": value
            for name, value in {"name": "position", "allowed_values": "for\nagainst"}.items()
        },
        _defaults,
    ),
    Write(
        "attribute-delete",
        "manager",
        lambda scene: _stance_of(scene, "threat"),
        _nothing,
        _defaults,
    ),
    Write(
        "members",
        "manager",
        _project,
        lambda scene: {"username": "nadia", "role": "curator"},
        _newcomer,
    ),
    Write(
        "member-edit",
        "manager",
        lambda scene: _membership(scene, "alice"),
        lambda scene: {"role": "curator", "in_pool": "on"},
    ),
    Write("member-remove", "manager", lambda scene: _membership(scene, "bob"), _nothing),
    Write(
        "documents-upload",
        "manager",
        _project,
        lambda scene: {"files": [SimpleUploadedFile("new.jsonl", '{"text": "New 🎉"}\n'.encode())]},
    ),
    Write(
        "document-assign",
        "manager",
        _document,
        lambda scene: {"annotator": _newcomer(scene).pk},
        _newcomer_annotator,
    ),
    Write(
        "model-train",
        "manager",
        _project,
        lambda scene: {"name": "spancat", "epochs": "2"},
        _gold_in_the_train_split,
    ),
    Write(
        "span-import",
        "manager",
        _project,
        lambda scene: {
            "file": SimpleUploadedFile(
                "spans.jsonl",
                json.dumps({"id": scene.document.pk, "label": [[0, 5, "claim"]]}).encode(),
            ),
            "target": "annotator",
            "annotator": "alice",
        },
    ),
]


def _state() -> list:
    """Everything a write of these views can change."""
    return [
        list(Span.objects.order_by("pk").values_list("pk", "label_id", "start", "end")),
        list(GoldSpan.objects.order_by("pk").values()),
        list(Assignment.objects.order_by("pk").values_list("pk", "status", "span_count")),
        list(Document.objects.order_by("pk").values_list("pk", "gold_status")),
        list(
            Project.objects.order_by("pk").values_list(
                "pk", "name", "annotators_per_document", "guidelines_version"
            )
        ),
        list(Label.objects.order_by("pk").values_list("pk", "name", "colour", "hotkey")),
        list(Membership.objects.order_by("pk").values_list("pk", "role", "in_pool")),
        AuditEvent.objects.count(),
        TrainedModel.objects.count(),
        list(Suggestion.objects.order_by("pk").values_list("pk", "label_id", "start", "end")),
        list(SuggestionDecision.objects.order_by("pk").values_list("pk", "status", "span_id")),
        list(
            Relation.objects.order_by("pk").values_list("pk", "type_id", "source_id", "target_id")
        ),
        list(SpanAttribute.objects.order_by("pk").values_list("pk", "attribute_id", "value")),
        list(ActorAlias.objects.order_by("pk").values_list("pk", "alias", "entity")),
        list(RelationType.objects.order_by("pk").values_list("pk", "name", "key", "directed")),
        list(LabelAttribute.objects.order_by("pk").values_list("pk", "name", "allowed_values")),
        list(GoldRelation.objects.order_by("pk").values_list("pk", "status")),
        list(GoldSpanAttribute.objects.order_by("pk").values_list("pk", "value")),
    ]


def _client(scene: Scene, write: Write) -> tuple[Client, str]:
    """A logged-in client that checks CSRF, and the token its pages carry."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(getattr(scene, write.who))
    page = client.get(reverse("project-list")).content.decode()
    headers = re.search(r"hx-headers='([^']+)'", page).group(1)
    return client, json.loads(headers)["X-CSRFToken"]


def _post(scene: Scene, write: Write, **headers: str):
    client, token = _client(scene, write)
    url = reverse(write.name, kwargs=write.kwargs(scene))
    return client.post(url, write.data(scene), HTTP_HX_REQUEST="true", **headers), token


@pytest.mark.parametrize("write", WRITES, ids=lambda write: write.name)
def test_write_without_the_token_is_refused_and_changes_nothing(scene, write):
    write.prepare(scene)
    before = _state()

    response, _ = _post(scene, write)

    assert response.status_code == 403
    assert _state() == before


@pytest.mark.parametrize("write", WRITES, ids=lambda write: write.name)
def test_write_with_a_wrong_token_is_refused(scene, write):
    write.prepare(scene)
    before = _state()

    response, _ = _post(scene, write, HTTP_X_CSRFTOKEN="x" * 64)

    assert response.status_code == 403
    assert _state() == before


@pytest.mark.parametrize("write", WRITES, ids=lambda write: write.name)
def test_write_with_the_token_succeeds(scene, write):
    write.prepare(scene)
    before = _state()
    client, token = _client(scene, write)
    url = reverse(write.name, kwargs=write.kwargs(scene))

    response = client.post(url, write.data(scene), HTTP_HX_REQUEST="true", HTTP_X_CSRFTOKEN=token)

    assert response.status_code in (200, 302), response.content.decode()[:300]
    assert _state() != before


@pytest.mark.parametrize("write", WRITES, ids=lambda write: write.name)
def test_get_on_a_write_url_changes_nothing(scene, write):
    write.prepare(scene)
    before = _state()
    client, _ = _client(scene, write)

    response = client.get(reverse(write.name, kwargs=write.kwargs(scene)), write.data(scene))

    assert response.status_code == (200 if write.name in FORM_PAGES else 405)
    assert _state() == before


def test_every_write_of_the_html_views_is_listed():
    modules = {
        "annotator.web.projects",
        "annotator.web.annotate",
        "annotator.web.curation",
        "annotator.web.adjudicate",
        "annotator.web.manage",
        "annotator.web.documents",
        "annotator.web.span_imports",
        "annotator.web.suggestions",
        "annotator.web.relations",
        "annotator.web.network",
    }
    routed = {route.name for route in ROUTES if route.view.__module__ in modules}

    assert routed - READ_ONLY == {write.name for write in WRITES}
