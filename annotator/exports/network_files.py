"""The discourse network's downloads: GraphML and CSV edge lists of both networks
(:mod:`annotator.curation.network`), for networkx, Gephi and spreadsheets.

GraphML: one undirected graph, nodes with ``label`` (the name shown), ``kind``
(``actor`` or the statement's label) and ``statements``; actor-statement edges with
``relation``, ``weight`` (statements) and ``stance``; actor-actor edges with
``congruence``, ``conflict``, ``weight`` (congruence - conflict) and ``kind``. Node ids
are ``actor:<normalised name>`` and ``<label>:<normalised text>``. Characters XML 1.0
cannot hold (control characters a document may contain) become U+FFFD.

CSV: Gephi's edge list columns (``Source``, ``Target``, ``Type``, ``Weight``, node ids
as in GraphML), then the edge's other attributes and both ends' labels. Actor-actor
files hold every pair with congruence or conflict. A text cell that a spreadsheet would
take for a formula (one starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return: an actor named ``=HYPERLINK(…)``) gets a leading ``'``, so it opens as text;
numbers are written as they are, a negative weight included.
"""

import csv
import io
import re
import xml.etree.ElementTree as ET

from annotator.curation.network import Networks

GRAPHML_NAMESPACE = "http://graphml.graphdrawing.org/xmlns"
NETWORKS = ("statements", "actors")
FORMATS = {"graphml": "application/graphml+xml", "csv": "text/csv"}
#: What makes a spreadsheet read a cell as a formula (OWASP, "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

NODE_KEYS = (("label", "string"), ("kind", "string"), ("statements", "int"))
EDGE_KEYS = {
    "statements": (("relation", "string"), ("weight", "int"), ("stance", "string")),
    "actors": (
        ("congruence", "int"),
        ("conflict", "int"),
        ("weight", "int"),
        ("kind", "string"),
    ),
}


def _xml_text(value: object) -> str:
    return _NOT_XML.sub("\ufffd", str(value))


def _spreadsheet_cell(value: object) -> object:
    """``value``, with a ``'`` before a text a spreadsheet would run as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _edges(networks: Networks, network: str) -> list[tuple[str, str, dict]]:
    if network == "statements":
        return [
            (
                edge.actor,
                edge.concept,
                {"relation": edge.relation, "weight": edge.weight, "stance": edge.stance},
            )
            for edge in networks.statement_edges
        ]
    return [
        (
            edge.source,
            edge.target,
            {
                "congruence": edge.congruence,
                "conflict": edge.conflict,
                "weight": edge.weight,
                "kind": edge.kind,
            },
        )
        for edge in networks.actor_edges
    ]


def network_graphml(networks: Networks, network: str) -> bytes:
    """``network`` (``"statements"`` or ``"actors"``) as a GraphML document."""
    root = ET.Element("graphml", xmlns=GRAPHML_NAMESPACE)
    for index, (name, kind) in enumerate(NODE_KEYS):
        ET.SubElement(
            root, "key", {"id": f"n{index}", "for": "node", "attr.name": name, "attr.type": kind}
        )
    edge_keys = EDGE_KEYS[network]
    for index, (name, kind) in enumerate(edge_keys):
        ET.SubElement(
            root, "key", {"id": f"e{index}", "for": "edge", "attr.name": name, "attr.type": kind}
        )
    graph = ET.SubElement(root, "graph", id=network, edgedefault="undirected")
    nodes = networks.actors if network == "actors" else networks.actors + networks.concepts
    for node in nodes:
        element = ET.SubElement(graph, "node", id=_xml_text(node.id))
        for index, value in enumerate((node.name, node.kind, node.statements)):
            ET.SubElement(element, "data", key=f"n{index}").text = _xml_text(value)
    for source, target, values in _edges(networks, network):
        element = ET.SubElement(graph, "edge", source=_xml_text(source), target=_xml_text(target))
        for index, (name, _) in enumerate(edge_keys):
            ET.SubElement(element, "data", key=f"e{index}").text = _xml_text(values[name])
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def network_csv(networks: Networks, network: str) -> bytes:
    """``network`` as a CSV edge list (UTF-8, with a header row)."""
    names = {node.id: node.name for node in networks.actors + networks.concepts}
    extra = [name for name, _ in EDGE_KEYS[network] if name != "weight"]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["Source", "Target", "Type", "Weight", *extra, "source_label", "target_label"])
    for source, target, values in _edges(networks, network):
        cells = [
            source,
            target,
            "Undirected",
            values["weight"],
            *(values[name] for name in extra),
            names[source],
            names[target],
        ]
        writer.writerow([_spreadsheet_cell(cell) for cell in cells])
    return out.getvalue().encode()
