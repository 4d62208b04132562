"""The discourse network builder on hand-worked documents: actors grouped by normalised
text and aliases, statements by label and text, congruence and conflict per pair of
actors, and the label and stance filters."""

import csv
import io

import networkx as nx

from annotator.curation.network import (
    ActorEdge,
    Networks,
    Node,
    StatementEdge,
    build_networks,
    busiest,
    circle_layout,
    normalise,
)
from annotator.exports.network_files import network_csv, network_graphml
from annotator.exports.records import ExportDocument, ExportRelation, ExportSpan


def _document(text: str, spans: list[tuple], relations: list[tuple]) -> ExportDocument:
    """Spans as ``(text, occurrence, label, stance)``: the n-th occurrence of ``text``."""
    made = []
    for piece, occurrence, label, stance in spans:
        start = -1
        for _ in range(occurrence + 1):
            start = text.index(piece, start + 1)
        attributes = (("stance", stance),) if stance else ()
        made.append(ExportSpan(start, start + len(piece), label, "alice", attributes))
    return ExportDocument(
        1, "t", text, "", {}, tuple(made), tuple(ExportRelation(*r) for r in relations)
    )


CLAIM = "NATO must leave Europe"
FIRST = _document(
    f"Sergey Lavrov and Wang Yi: {CLAIM}. Blinken: {CLAIM}!",
    [
        ("Sergey Lavrov", 0, "actor", None),
        ("Wang Yi", 0, "actor", None),
        (CLAIM, 0, "claim", "support"),
        ("Blinken", 0, "actor", None),
        (CLAIM, 1, "claim", "oppose"),
        ("NATO", 0, "actor", None),
    ],
    [
        (2, 0, "claimant"),
        (2, 1, "claimant"),
        (4, 3, "claimant"),
        (2, 5, "addressee"),
        (0, 1, "claimant"),  # actor to actor: not a statement, ignored
        (4, 0, "linked"),  # another relation type: ignored
    ],
)
SECOND = _document(
    "LAVROV: talks now. Blinken: talks   now.",
    [
        ("LAVROV", 0, "actor", None),
        ("talks now", 0, "proposal", "neutral"),
        ("Blinken", 0, "actor", None),
        ("talks   now", 0, "proposal", "neutral"),
    ],
    [(1, 0, "claimant"), (3, 2, "claimant")],
)
CONCEPT = "claim:nato must leave europe"


def test_normalise_folds_case_spacing_punctuation_and_composition():
    assert normalise("  «Lavrov», ") == "lavrov"
    assert normalise("Sergey\n\t Lavrov") == "sergey lavrov"
    assert normalise("STRAẞE") == "strasse"
    assert normalise("Jose\u0301 Borrell") == "jos\u00e9 borrell"
    assert normalise("U.S.") == "u.s"  # inner punctuation stays
    assert normalise("...") == ""


def test_actor_statement_network():
    networks = build_networks([FIRST, SECOND], {})
    assert [(node.id, node.name, node.statements) for node in networks.actors] == [
        ("actor:blinken", "Blinken", 2),
        ("actor:lavrov", "LAVROV", 1),
        ("actor:nato", "NATO", 1),
        ("actor:sergey lavrov", "Sergey Lavrov", 1),
        ("actor:wang yi", "Wang Yi", 1),
    ]
    assert [(node.id, node.kind, node.name, node.statements) for node in networks.concepts] == [
        (CONCEPT, "claim", CLAIM, 2),
        ("proposal:talks now", "proposal", "talks now", 2),
    ]
    assert networks.statement_edges == (
        StatementEdge("actor:blinken", CONCEPT, "claimant", 1, "oppose"),
        StatementEdge("actor:blinken", "proposal:talks now", "claimant", 1, "neutral"),
        StatementEdge("actor:lavrov", "proposal:talks now", "claimant", 1, "neutral"),
        StatementEdge("actor:nato", CONCEPT, "addressee", 1, "support"),
        StatementEdge("actor:sergey lavrov", CONCEPT, "claimant", 1, "support"),
        StatementEdge("actor:wang yi", CONCEPT, "claimant", 1, "support"),
    )


def test_actor_actor_congruence_and_conflict():
    edges = build_networks([FIRST, SECOND], {}).actor_edges
    # Wang Yi and Lavrov co-claim with one stance: one concept, counted once. NATO is
    # only addressed, so it agrees or conflicts with nobody.
    assert edges == (
        ActorEdge("actor:blinken", "actor:lavrov", congruence=1, conflict=0),
        ActorEdge("actor:blinken", "actor:sergey lavrov", congruence=0, conflict=1),
        ActorEdge("actor:blinken", "actor:wang yi", congruence=0, conflict=1),
        ActorEdge("actor:sergey lavrov", "actor:wang yi", congruence=1, conflict=0),
    )
    assert [(edge.weight, edge.kind) for edge in edges] == [
        (1, "congruence"),
        (-1, "conflict"),
        (-1, "conflict"),
        (1, "congruence"),
    ]


def test_alias_merges_variants_into_the_entity():
    networks = build_networks([FIRST, SECOND], {"lavrov": "Sergey Lavrov"})
    names = {node.id: (node.name, node.statements) for node in networks.actors}
    assert "actor:lavrov" not in names
    assert names["actor:sergey lavrov"] == ("Sergey Lavrov", 2)
    merged = [edge for edge in networks.actor_edges if edge.target == "actor:sergey lavrov"]
    # Agree on talks, conflict on NATO: both counted, weight 0.
    assert merged == [ActorEdge("actor:blinken", "actor:sergey lavrov", 1, 1)]
    assert merged[0].kind == "mixed" and merged[0].weight == 0


def test_alias_names_the_group_even_when_no_span_reads_the_entity():
    networks = build_networks([SECOND], {"lavrov": "Sergei Lavrov"})
    assert [(node.id, node.name) for node in networks.actors] == [
        ("actor:blinken", "Blinken"),
        ("actor:sergei lavrov", "Sergei Lavrov"),
    ]


def test_filters_keep_one_stance_or_one_label():
    support = build_networks([FIRST, SECOND], {}, stance="support")
    assert [node.id for node in support.actors] == [
        "actor:nato",
        "actor:sergey lavrov",
        "actor:wang yi",
    ]
    assert support.actor_edges == (ActorEdge("actor:sergey lavrov", "actor:wang yi", 1, 0),)
    proposals = build_networks([FIRST, SECOND], {}, label="proposal")
    assert [node.id for node in proposals.concepts] == ["proposal:talks now"]
    assert proposals.actor_edges == (ActorEdge("actor:blinken", "actor:lavrov", 1, 0),)
    assert build_networks([FIRST], {}, label="threat").actors == ()


def test_without_stance_only_co_claimants_agree():
    text = "Ann and Bo: stop it. Cy: stop it."
    document = _document(
        text,
        [
            ("Ann", 0, "actor", None),
            ("Bo", 0, "actor", None),
            ("stop it", 0, "claim", None),
            ("Cy", 0, "actor", None),
            ("stop it", 1, "claim", None),
        ],
        [(2, 0, "claimant"), (2, 1, "claimant"), (4, 3, "claimant")],
    )
    networks = build_networks([document], {})
    assert networks.actor_edges == (ActorEdge("actor:ann", "actor:bo", 1, 0),)
    assert {edge.stance for edge in networks.statement_edges} == {""}


def test_repeated_statements_weigh_the_link_and_mixed_stances_say_so():
    text = "Ann: stop it. Ann: stop it."
    document = _document(
        text,
        [
            ("Ann", 0, "actor", None),
            ("stop it", 0, "claim", "support"),
            ("Ann", 1, "actor", None),
            ("stop it", 1, "claim", "oppose"),
        ],
        [(1, 0, "claimant"), (3, 2, "claimant")],
    )
    networks = build_networks([document], {})
    assert networks.statement_edges == (
        StatementEdge("actor:ann", "claim:stop it", "claimant", 2, "mixed"),
    )
    assert networks.actor_edges == ()


def test_circle_layout_is_deterministic_and_starts_at_the_top():
    assert circle_layout(["a", "b", "c", "d"], centre=100, radius=50) == {
        "a": (100.0, 50.0),
        "b": (150.0, 100.0),
        "c": (100.0, 150.0),
        "d": (50.0, 100.0),
    }
    assert circle_layout(["a"], centre=100, radius=50) == {"a": (100, 100)}


def test_graphml_replaces_characters_xml_cannot_hold():
    document = _document(
        "Ann\x01 Lee and Bo: stop it.",
        [
            ("Ann\x01 Lee", 0, "actor", None),
            ("Bo", 0, "actor", None),
            ("stop it", 0, "claim", None),
        ],
        [(2, 0, "claimant"), (2, 1, "claimant")],
    )
    graph = nx.read_graphml(io.BytesIO(network_graphml(build_networks([document], {}), "actors")))
    assert dict(graph.nodes(data="label")) == {
        "actor:ann\ufffd lee": "Ann\ufffd Lee",
        "actor:bo": "Bo",
    }
    assert graph.edges["actor:ann\ufffd lee", "actor:bo"]["congruence"] == 1


def test_csv_cells_a_spreadsheet_would_run_open_as_text():
    """Names are the document's text: a CSV opened in a spreadsheet must not run them."""
    text = '=HYPERLINK("http://x") and @SUM(A1) and +1 say: -2+3 now. Bo says: -2+3 now.'
    document = _document(
        text,
        [
            ('=HYPERLINK("http://x")', 0, "actor", None),
            ("@SUM(A1)", 0, "actor", None),
            ("+1", 0, "actor", None),
            ("-2+3 now", 0, "claim", "support"),
            ("Bo", 0, "actor", None),
            ("-2+3 now", 1, "claim", "oppose"),
        ],
        [(3, 0, "claimant"), (3, 1, "claimant"), (3, 2, "claimant"), (5, 4, "claimant")],
    )
    networks = build_networks([document], {})
    statements = list(csv.DictReader(io.StringIO(network_csv(networks, "statements").decode())))
    assert sorted(row["source_label"] for row in statements) == [
        "'+1",
        '\'=HYPERLINK("http://x")',
        "'@SUM(A1)",
        "Bo",
    ]
    assert {row["target_label"] for row in statements} == {"'-2+3 now"}
    actors = list(csv.reader(io.StringIO(network_csv(networks, "actors").decode())))
    cells = [cell for row in actors for cell in row]
    assert not [cell for cell in cells if cell[:1] in ("=", "+", "@", "\t", "\r")]
    # Numbers stay numbers: Bo's conflicts weigh -1.
    assert sorted(row[3] for row in actors[1:]) == ["-1", "-1", "-1", "1", "1", "1"]


def test_busiest_keeps_the_most_linked_nodes_and_the_heaviest_edges_between_them():
    actors = tuple(Node(f"actor:{name}", "actor", name, 1) for name in "abcd")
    concepts = tuple(Node(f"claim:{name}", "claim", name, 1) for name in "xy")
    networks = Networks(
        actors,
        concepts,
        (
            StatementEdge("actor:a", "claim:x", "claimant", 1, ""),
            StatementEdge("actor:b", "claim:x", "claimant", 3, ""),
            StatementEdge("actor:c", "claim:x", "claimant", 2, ""),
            StatementEdge("actor:c", "claim:y", "claimant", 1, ""),
            StatementEdge("actor:d", "claim:y", "claimant", 1, ""),
        ),
        (
            ActorEdge("actor:a", "actor:b", 1, 0),
            ActorEdge("actor:a", "actor:c", 1, 0),
            ActorEdge("actor:b", "actor:c", 1, 1),
        ),
    )
    assert busiest(networks, nodes=4, edges=5) == networks
    shown = busiest(networks, nodes=2, edges=2)
    # Degrees: a 3, b 3, c 4, d 1; x 3, y 2. Kept in the network's order.
    assert [node.name for node in shown.actors] == ["a", "c"]
    assert [node.name for node in shown.concepts] == ["x", "y"]
    assert shown.statement_edges == (
        StatementEdge("actor:a", "claim:x", "claimant", 1, ""),
        StatementEdge("actor:c", "claim:x", "claimant", 2, ""),
    )
    assert shown.actor_edges == (ActorEdge("actor:a", "actor:c", 1, 0),)
    assert busiest(networks, nodes=4, edges=1).actor_edges == (
        ActorEdge("actor:b", "actor:c", 1, 1),
    )
