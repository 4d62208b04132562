"""The discourse network page: who may see it, what it draws from an annotator's
relations, escaping, the GraphML and CSV downloads read back by networkx, and the
actor aliases a curator merges and undoes."""

import csv
import io

import networkx as nx
import pytest

from annotator.annotation.relations import relation_create, span_attribute_set
from annotator.annotation.spans import span_create
from annotator.models import ActorAlias, AuditEvent, Document
from annotator.projects.setup import add_default_relations

URL = "/projects/talks/network/"
DOWNLOAD = "/projects/talks/network/download/"
TEXT = "Sergey Lavrov: NATO must leave. Lavrov and <script>alert(1)</script>: NATO must leave."


def _span(document, annotator, label, text: str, occurrence: int = 0):
    start = -1
    for _ in range(occurrence + 1):
        start = document.text.index(text, start + 1)
    span, _ = span_create(
        document=document, annotator=annotator, label=label, start=start, end=start + len(text)
    )
    return span


@pytest.fixture
def coded(project, labels, alice):
    """Alice: Sergey Lavrov supports "NATO must leave"; Lavrov and a hostile name oppose it."""
    add_default_relations(project)
    claimant = project.relation_types.get(name="claimant")
    stance = labels["claim"].attributes.get(name="stance")
    document = Document.objects.create(project=project, title="Talks", text=TEXT)
    for occurrence, value, actors in [
        (0, "support", ["Sergey Lavrov"]),
        (1, "oppose", ["Lavrov", "<script>alert(1)</script>"]),
    ]:
        claim = _span(document, alice, labels["claim"], "NATO must leave", occurrence)
        span_attribute_set(span=claim, attribute=stance, value=value)
        for name in actors:
            actor = _span(document, alice, labels["actor"], name, 1 if name == "Lavrov" else 0)
            relation_create(relation_type=claimant, source=claim, target=actor, annotator=alice)
    return document


ALICE = {"source": "annotator", "annotator": "alice"}


@pytest.mark.parametrize(
    ("who", "status"), [("alice", 403), ("curator", 200), ("manager", 200), ("charlie", 404)]
)
def test_roles(request, client, coded, who, status):
    """Annotators are refused (blind annotation: the network shows everyone's statements),
    an outsider does not learn the project exists."""
    client.force_login(request.getfixturevalue(who))
    assert client.get(URL, ALICE).status_code == status
    download = client.get(DOWNLOAD, {**ALICE, "network": "actors", "format": "csv"})
    assert download.status_code == status


def test_anonymous_is_sent_to_log_in(client, coded):
    response = client.get(URL)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_page_draws_an_annotators_network_with_escaped_names(client, coded, curator):
    client.force_login(curator)
    response = client.get(URL, ALICE)
    assert response.status_code == 200
    page = response.content.decode()
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert page.count('class="node-actor"') == 3 * 2  # both drawings
    assert page.count('class="node-statement"') == 1
    assert 'class="conflict"' in page and 'class="congruence"' in page
    assert "network-cut" not in page


def test_a_large_network_is_drawn_in_part_and_downloads_whole(
    client, project, labels, alice, curator
):
    """Forty-five co-claimants of one claim: 45 actors and 990 pairs, more than a page draws."""
    add_default_relations(project)
    claimant = project.relation_types.get(name="claimant")
    names = [f"Minister{number:02}" for number in range(45)]
    document = Document.objects.create(
        project=project, title="Many", text=" ".join(names) + ": talks now."
    )
    claim = _span(document, alice, labels["claim"], "talks now")
    for name in names:
        actor = _span(document, alice, labels["actor"], name)
        relation_create(relation_type=claimant, source=claim, target=actor, annotator=alice)
    client.force_login(curator)
    page = client.get(URL, ALICE).content.decode()
    assert "Showing 40 of 45 actors, 1 of 1 statements, 40 of 45 links and 300 of 990 pairs" in page
    assert page.count('class="node-actor"') == 40 * 2
    assert page.count('class="congruence"') == 300
    assert page.count("<tr><td>Minister") == 40 + 300 + 40  # links, pairs, actors
    download = client.get(DOWNLOAD, {**ALICE, "network": "actors", "format": "csv"})
    assert len(list(csv.DictReader(io.StringIO(download.content.decode())))) == 990
    graphml = client.get(DOWNLOAD, {**ALICE, "network": "actors", "format": "graphml"})
    assert nx.read_graphml(io.BytesIO(graphml.content)).number_of_nodes() == 45


def test_gold_by_default_is_empty_until_gold_has_relations(client, coded, curator):
    client.force_login(curator)
    response = client.get(URL)
    assert response.status_code == 200
    assert "0 actors, 0 statements" in response.content.decode()


def test_htmx_gets_the_network_partial(client, coded, curator):
    client.force_login(curator)
    response = client.get(URL, ALICE, headers={"HX-Request": "true"})
    page = response.content.decode()
    assert response.status_code == 200
    assert page.lstrip().startswith('<section id="network">') and "<html" not in page


@pytest.mark.parametrize(
    "query",
    [
        {"stance": "bogus"},
        {"label": "actor"},
        {"source": "annotator"},
        {"source": "everyone"},
        {"source": "annotator", "annotator": "nobody"},
    ],
)
def test_bad_filters_are_refused(client, coded, curator, query):
    client.force_login(curator)
    response = client.get(URL, query)
    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode()


def test_graphml_reads_back_in_networkx(client, coded, curator):
    client.force_login(curator)
    response = client.get(DOWNLOAD, {**ALICE, "network": "actors", "format": "graphml"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/graphml+xml")
    graph = nx.read_graphml(io.BytesIO(response.content))
    assert not graph.is_directed()
    assert dict(graph.nodes(data="label")) == {
        "actor:sergey lavrov": "Sergey Lavrov",
        "actor:lavrov": "Lavrov",
        "actor:<script>alert(1)</script>": "<script>alert(1)</script>",
    }
    edges = {frozenset((a, b)): data for a, b, data in graph.edges(data=True)}
    assert edges == {
        frozenset(("actor:<script>alert(1)</script>", "actor:lavrov")): {
            "congruence": 1,
            "conflict": 0,
            "weight": 1,
            "kind": "congruence",
        },
        frozenset(("actor:<script>alert(1)</script>", "actor:sergey lavrov")): {
            "congruence": 0,
            "conflict": 1,
            "weight": -1,
            "kind": "conflict",
        },
        frozenset(("actor:lavrov", "actor:sergey lavrov")): {
            "congruence": 0,
            "conflict": 1,
            "weight": -1,
            "kind": "conflict",
        },
    }


def test_statement_graphml_and_csv_agree_in_networkx(client, coded, curator):
    client.force_login(curator)
    query = {**ALICE, "network": "statements"}
    graphml = client.get(DOWNLOAD, {**query, "format": "graphml"})
    from_graphml = nx.read_graphml(io.BytesIO(graphml.content))
    assert from_graphml.nodes["claim:nato must leave"] == {
        "label": "NATO must leave",
        "kind": "claim",
        "statements": 2,
    }
    response = client.get(DOWNLOAD, {**query, "format": "csv"})
    assert response["Content-Disposition"] == 'attachment; filename="talks-statements-network.csv"'
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    from_csv = nx.Graph()
    from_csv.add_edges_from(
        (row["Source"], row["Target"], {"weight": int(row["Weight"]), "stance": row["stance"]})
        for row in rows
    )

    def edges(graph):
        return {
            frozenset((a, b)): (data["weight"], data["stance"])
            for a, b, data in graph.edges(data=True)
        }

    assert edges(from_csv) == edges(from_graphml)
    assert len(edges(from_csv)) == 3
    assert sorted((row["source_label"], row["relation"], row["stance"]) for row in rows) == [
        ("<script>alert(1)</script>", "claimant", "oppose"),
        ("Lavrov", "claimant", "oppose"),
        ("Sergey Lavrov", "claimant", "support"),
    ]


def test_download_needs_a_network_and_a_format(client, coded, curator):
    client.force_login(curator)
    assert client.get(DOWNLOAD, {**ALICE, "network": "both", "format": "csv"}).status_code == 400
    assert client.get(DOWNLOAD, {**ALICE, "network": "actors", "format": "gexf"}).status_code == 400


def test_curator_merges_a_variant_and_undoes_it(client, coded, curator):
    client.force_login(curator)
    response = client.post(
        "/projects/talks/network/aliases/", {"variant": " Lavrov,", "entity": "Sergey Lavrov"}
    )
    assert response.status_code == 302
    alias = ActorAlias.objects.get(project=coded.project)
    assert (alias.alias, alias.entity, alias.created_by) == ("lavrov", "Sergey Lavrov", curator)
    graph = nx.read_graphml(
        io.BytesIO(
            client.get(DOWNLOAD, {**ALICE, "network": "actors", "format": "graphml"}).content
        )
    )
    assert sorted(graph.nodes) == ["actor:<script>alert(1)</script>", "actor:sergey lavrov"]
    # Lavrov opposed, Sergey Lavrov supported: the merged entity is now on both sides.
    assert graph.nodes["actor:sergey lavrov"]["statements"] == 2
    assert "lavrov" in client.get(URL).content.decode()
    response = client.post("/projects/talks/network/aliases/undo/", {"alias": alias.pk})
    assert response.status_code == 302
    assert not ActorAlias.objects.exists()


def test_merges_and_undos_are_audited_for_the_whole_project(client, coded, curator, manager):
    client.force_login(curator)
    client.post("/projects/talks/network/aliases/", {"variant": "Lavrov", "entity": "S. Lavrov"})
    alias = ActorAlias.objects.get()
    client.post("/projects/talks/network/aliases/undo/", {"alias": alias.pk})
    again = client.post("/projects/talks/network/aliases/undo/", {"alias": alias.pk})
    assert again.status_code == 400
    events = AuditEvent.objects.filter(subject="actor_alias").order_by("id")
    assert [
        (e.action, e.actor_name, e.project_id, e.document_id, e.subject_id, e.before, e.after)
        for e in events
    ] == [
        ("created", curator.username, coded.project_id, None, alias.pk, None, ALIAS_STATE),
        ("deleted", curator.username, coded.project_id, None, alias.pk, ALIAS_STATE, None),
    ]
    client.force_login(manager)
    page = client.get("/projects/talks/audit/").content.decode()
    assert page.count("actor “lavrov” counts as “S. Lavrov”") == 2
    assert page.count("whole project") == 2


ALIAS_STATE = {"alias": "lavrov", "entity": "S. Lavrov"}


@pytest.mark.parametrize(
    ("variant", "entity", "reason"),
    [
        ("", "Sergey Lavrov", "Give both"),
        ("Lavrov", "  ", "Give both"),
        ("«Sergey  lavrov»", "Sergey Lavrov", "already is"),
        ("Lavrov", "x" * 201, "at most 200"),
    ],
)
def test_bad_merges_are_refused(client, coded, curator, variant, entity, reason):
    client.force_login(curator)
    response = client.post(
        "/projects/talks/network/aliases/", {"variant": variant, "entity": entity}
    )
    assert response.status_code == 400
    assert reason in response.content.decode()
    assert not ActorAlias.objects.exists()
    assert not AuditEvent.objects.filter(subject="actor_alias").exists()


def test_chains_and_repeats_are_refused(client, coded, curator):
    client.force_login(curator)
    post = lambda variant, entity: client.post(  # noqa: E731
        "/projects/talks/network/aliases/", {"variant": variant, "entity": entity}
    )
    assert post("Lavrov", "Sergey Lavrov").status_code == 302
    assert "already merged" in post("LAVROV", "Someone").content.decode()
    assert "merge into that entity" in post("Sergey Lavrov", "Lavrov").content.decode()
    assert "undo those first" in post("Sergey Lavrov", "S. Lavrov").content.decode()
    assert list(ActorAlias.objects.values_list("alias", "entity")) == [("lavrov", "Sergey Lavrov")]


def test_annotator_cannot_merge_or_undo(client, coded, alice, curator):
    alias = ActorAlias.objects.create(project=coded.project, alias="lavrov", entity="S")
    client.force_login(alice)
    assert (
        client.post(
            "/projects/talks/network/aliases/", {"variant": "Wang", "entity": "Wang Yi"}
        ).status_code
        == 403
    )
    assert (
        client.post("/projects/talks/network/aliases/undo/", {"alias": alias.pk}).status_code == 403
    )
    assert list(ActorAlias.objects.values_list("alias", flat=True)) == ["lavrov"]


def test_undo_of_another_projects_alias_is_refused(client, coded, curator, charlie):
    other = charlie.memberships.get().project
    alias = ActorAlias.objects.create(project=other, alias="lavrov", entity="S")
    client.force_login(curator)
    for posted in (alias.pk, "x", ""):
        response = client.post("/projects/talks/network/aliases/undo/", {"alias": posted})
        assert response.status_code == 400
        assert "no such merge" in response.content.decode()
    assert ActorAlias.objects.filter(pk=alias.pk).exists()
