"""The discourse network: who makes which statements, and how actors align through them.

Pure functions over the export reader's documents (:mod:`annotator.exports.reader`,
any source: gold, every annotator, one annotator) and a project's alias table
(:class:`~annotator.models.ActorAlias`, as a dict); the page and its downloads
(``web/network.py``) read the documents, call :func:`build_networks` and draw or
write what it returns. Nothing here touches the database.

**Actors** are the spans of the actor layer (:data:`~annotator.exports.records.ACTOR_LABELS`),
grouped by :func:`normalise` of their text, then through the alias table: a variant
merged into an entity joins the entity's group (``"Lavrov"`` merged into ``"Sergey
Lavrov"`` is one node with ``"Sergey Lavrov"``). A group is named by its entity, or
else by its most frequent surface text.

**Statements** are the spans that a ``claimant`` or ``addressee`` relation links to an
actor (claims, threats and proposals by the project's defaults). Statements are grouped
into *concepts*: the statement's label and the normalised text of its span, the concept
of Leifeld's Discourse Network Analyzer for want of a coded one. A statement's *stance*
is its ``stance`` attribute value, or none.

Two networks come out:

- the **actor-statement** network (two-mode): an edge per actor, concept and relation
  type (``claimant``: the actor makes it; ``addressee``: it is aimed at the actor),
  weighted by how many statements it stands for, with their stance (``mixed`` when they
  differ, empty when none is set);
- the **actor-actor** network (one-mode, after Leifeld's congruence and conflict
  networks): through the statements they *make* (claimant relations only). For two
  actors, ``congruence`` counts the concepts on which both made a statement with the
  same stance, or on which they are claimants of one and the same statement (co-claimants
  agree whatever its stance); ``conflict`` counts the concepts on which one supports and
  the other opposes. ``neutral`` agrees with ``neutral`` only and conflicts with nothing;
  a statement without stance links only its own co-claimants. Each concept counts at
  most once per pair and kind, so an actor repeating a statement does not weigh more.
  An edge's ``weight`` is ``congruence - conflict`` (positive: they mostly agree).

Filters keep the statements of one label and of one stance before either network is
built, so with ``stance=oppose`` the actor-actor network shows who opposes the same things.
A page draws no more than :func:`busiest` keeps of a large network; downloads hold all.
"""

import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from itertools import combinations
from math import cos, pi, sin

from annotator.exports.records import ACTOR_LABELS, ExportDocument

CLAIMANT = "claimant"
ADDRESSEE = "addressee"
#: The relation types that link a statement to an actor, in the order edges are listed.
ACTOR_RELATIONS = (CLAIMANT, ADDRESSEE)
STANCE = "stance"
#: Stances that conflict with each other; any other pair of equal stances agrees.
OPPOSITE_STANCES = frozenset({("support", "oppose"), ("oppose", "support")})
MIXED = "mixed"


def normalise(text: str) -> str:
    """The text an actor is grouped by: NFC, case-folded (``casefold``, so "STRAẞE" and
    "strasse" meet), runs of whitespace collapsed to one space, and punctuation
    (Unicode categories P*) and whitespace stripped from both ends, so "«Lavrov»,"
    and "lavrov" are one actor. NFC is applied again after case folding, which can
    decompose."""
    folded = unicodedata.normalize("NFC", unicodedata.normalize("NFC", text).casefold())
    collapsed = " ".join(folded.split())
    start, end = 0, len(collapsed)
    while start < end and _is_trimmed(collapsed[start]):
        start += 1
    while end > start and _is_trimmed(collapsed[end - 1]):
        end -= 1
    return collapsed[start:end]


def _is_trimmed(character: str) -> bool:
    return character.isspace() or unicodedata.category(character).startswith("P")


@dataclass(frozen=True)
class Node:
    id: str
    kind: str  # "actor" or a statement label
    name: str
    #: Statements the node takes part in (as actor or concept), after filters.
    statements: int


@dataclass(frozen=True)
class StatementEdge:
    actor: str
    concept: str
    relation: str
    weight: int
    stance: str


@dataclass(frozen=True)
class ActorEdge:
    source: str
    target: str
    congruence: int
    conflict: int

    @property
    def weight(self) -> int:
        return self.congruence - self.conflict

    @property
    def kind(self) -> str:
        if self.congruence and self.conflict:
            return MIXED
        return "congruence" if self.congruence else "conflict"


@dataclass(frozen=True)
class Networks:
    actors: tuple[Node, ...]
    concepts: tuple[Node, ...]
    statement_edges: tuple[StatementEdge, ...]
    actor_edges: tuple[ActorEdge, ...]


@dataclass(frozen=True)
class _Link:
    """One statement-to-actor relation, resolved: who, which concept, how."""

    statement: tuple[int, int]  # (document position, span index): one statement
    actor: str
    concept: str
    relation: str
    stance: str | None


def actor_key(text: str, aliases: Mapping[str, str]) -> str:
    """The group of an actor span's text: its entity's normalised name if a curator merged
    it (``aliases`` maps a normalised variant to an entity name), else its own."""
    normalised = normalise(text)
    return normalise(aliases[normalised]) if normalised in aliases else normalised


def build_networks(
    documents: Iterable[ExportDocument],
    aliases: Mapping[str, str],
    *,
    label: str | None = None,
    stance: str | None = None,
) -> Networks:
    """Both networks of ``documents`` (see the module docstring), keeping only statements
    of ``label`` and of ``stance`` when given. Nodes are sorted by name, edges by ids."""
    links: list[_Link] = []
    actor_surfaces: dict[str, Counter] = defaultdict(Counter)
    concept_surfaces: dict[str, Counter] = defaultdict(Counter)
    concept_labels: dict[str, str] = {}
    for position, document in enumerate(documents):
        for relation in document.relations:
            if relation.type not in ACTOR_RELATIONS:
                continue
            statement = document.spans[relation.source]
            actor = document.spans[relation.target]
            if actor.label not in ACTOR_LABELS or statement.label in ACTOR_LABELS:
                continue
            statement_stance = dict(statement.attributes).get(STANCE)
            if label is not None and statement.label != label:
                continue
            if stance is not None and statement_stance != stance:
                continue
            actor_text = document.text[actor.start : actor.end]
            statement_text = document.text[statement.start : statement.end]
            key = actor_key(actor_text, aliases)
            concept = f"{statement.label}:{normalise(statement_text)}"
            actor_surfaces[key][actor_text] += 1
            concept_surfaces[concept][" ".join(statement_text.split())] += 1
            concept_labels[concept] = statement.label
            links.append(
                _Link((position, relation.source), key, concept, relation.type, statement_stance)
            )
    entity_names = {normalise(entity): entity for entity in aliases.values()}
    actor_statements: dict[str, set] = defaultdict(set)
    concept_statements: dict[str, set] = defaultdict(set)
    for link in links:
        actor_statements[link.actor].add(link.statement)
        concept_statements[link.concept].add(link.statement)
    actors = tuple(
        sorted(
            (
                Node(
                    f"actor:{key}",
                    "actor",
                    entity_names.get(key) or _most_frequent(surfaces),
                    len(actor_statements[key]),
                )
                for key, surfaces in actor_surfaces.items()
            ),
            key=lambda node: (node.name.casefold(), node.id),
        )
    )
    concepts = tuple(
        sorted(
            (
                Node(
                    concept,
                    concept_labels[concept],
                    _most_frequent(surfaces),
                    len(concept_statements[concept]),
                )
                for concept, surfaces in concept_surfaces.items()
            ),
            key=lambda node: (node.kind, node.name.casefold(), node.id),
        )
    )
    return Networks(actors, concepts, _statement_edges(links), _actor_edges(links))


def _most_frequent(surfaces: Counter) -> str:
    """The most frequent surface text; among equals, the first in code point order."""
    return min(surfaces, key=lambda text: (-surfaces[text], text))


def _statement_edges(links: list[_Link]) -> tuple[StatementEdge, ...]:
    grouped: dict[tuple[str, str, str], dict] = {}
    for link in links:
        edge = grouped.setdefault(
            (link.actor, link.concept, link.relation), {"statements": set(), "stances": set()}
        )
        edge["statements"].add(link.statement)
        edge["stances"].add(link.stance)
    edges = []
    for (actor, concept, relation), edge in sorted(grouped.items()):
        stances = edge["stances"] - {None}
        shown = MIXED if len(stances) > 1 else next(iter(stances), "")
        edges.append(
            StatementEdge(f"actor:{actor}", concept, relation, len(edge["statements"]), shown)
        )
    return tuple(edges)


def _actor_edges(links: list[_Link]) -> tuple[ActorEdge, ...]:
    """Congruence and conflict per pair of actors, counted in concepts (module docstring)."""
    # Per concept: each claimant's stances, and each statement's claimants.
    stances: dict[str, dict[str, set]] = defaultdict(lambda: defaultdict(set))
    claimants: dict[tuple[int, int], set[str]] = defaultdict(set)
    concept_of: dict[tuple[int, int], str] = {}
    for link in links:
        if link.relation != CLAIMANT:
            continue
        stances[link.concept][link.actor].add(link.stance)
        claimants[link.statement].add(link.actor)
        concept_of[link.statement] = link.concept
    congruent: set[tuple[str, str, str]] = set()
    conflicting: set[tuple[str, str, str]] = set()
    for concept, by_actor in stances.items():
        for first, second in combinations(sorted(by_actor), 2):
            pairs = {(a, b) for a in by_actor[first] for b in by_actor[second]}
            if any(a is not None and a == b for a, b in pairs):
                congruent.add((first, second, concept))
            if pairs & OPPOSITE_STANCES:
                conflicting.add((first, second, concept))
    for statement, actors in claimants.items():
        for first, second in combinations(sorted(actors), 2):
            congruent.add((first, second, concept_of[statement]))
    congruence = Counter((first, second) for first, second, _ in congruent)
    conflict = Counter((first, second) for first, second, _ in conflicting)
    return tuple(
        ActorEdge(
            f"actor:{first}", f"actor:{second}", congruence[first, second], conflict[first, second]
        )
        for first, second in sorted(congruence.keys() | conflict.keys())
    )


def busiest(networks: Networks, *, nodes: int, edges: int) -> Networks:
    """The part of ``networks`` a page can draw: the ``nodes`` actors and the ``nodes``
    concepts with the most edges in either network (ties: more statements, then the
    order of ``networks``), and of the edges between those, the ``edges`` heaviest of
    each network (statements for a link, concepts for a pair of actors). What is kept
    stays in the order of ``networks``; a network within the limits comes back whole."""
    degree: Counter = Counter()
    for edge in networks.statement_edges:
        degree.update((edge.actor, edge.concept))
    for edge in networks.actor_edges:
        degree.update((edge.source, edge.target))

    def top(items: tuple, count: int, rank) -> tuple:
        if len(items) <= count:
            return items
        kept = set(sorted(range(len(items)), key=lambda index: rank(items[index], index))[:count])
        return tuple(item for index, item in enumerate(items) if index in kept)

    def node_rank(node: Node, index: int) -> tuple:
        return (-degree[node.id], -node.statements, index)

    actors = top(networks.actors, nodes, node_rank)
    concepts = top(networks.concepts, nodes, node_rank)
    kept = {node.id for node in actors + concepts}
    statement_edges = top(
        tuple(e for e in networks.statement_edges if {e.actor, e.concept} <= kept),
        edges,
        lambda edge, index: (-edge.weight, index),
    )
    actor_edges = top(
        tuple(e for e in networks.actor_edges if {e.source, e.target} <= kept),
        edges,
        lambda edge, index: (-(edge.congruence + edge.conflict), index),
    )
    return Networks(actors, concepts, statement_edges, actor_edges)


def circle_layout(ids: Iterable[str], *, centre: float, radius: float) -> dict[str, tuple]:
    """Positions on a circle, in the order given, starting at the top and going clockwise:
    deterministic, so the same network is drawn the same way every time. One node sits
    at the centre."""
    ids = list(ids)
    if len(ids) == 1:
        return {ids[0]: (centre, centre)}
    return {
        node_id: (
            round(centre + radius * sin(2 * pi * index / len(ids)), 1),
            round(centre - radius * cos(2 * pi * index / len(ids)), 1),
        )
        for index, node_id in enumerate(ids)
    }
