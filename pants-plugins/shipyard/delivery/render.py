"""Writes a delivery graph as Graphviz DOT and as Mermaid, with affected nodes highlighted."""

from __future__ import annotations

import json
import re
from typing import AbstractSet, Dict, List

from shipyard.delivery.graph import CHART, DIRECTORY, EXTERNAL, FILE, IMAGE, DeliveryGraph, Node

# One look per kind, shared by both formats: (DOT shape, fill colour).
_STYLE: Dict[str, tuple] = {
    IMAGE: ("box", "#dbe9f6"),
    CHART: ("folder", "#e3f1dc"),
    EXTERNAL: ("box", "#eeeeee"),
    FILE: ("note", "#ffffff"),
    DIRECTORY: ("tab", "#ffffff"),
}
_DEFAULT_STYLE = ("ellipse", "#ffffff")
AFFECTED_FILL = "#ffcf99"
_KIND_TITLE = {IMAGE: "oci_image", CHART: "helm_chart", EXTERNAL: "external image"}


def _dot_quote(text: str) -> str:
    return json.dumps(text)  # DOT strings use C-like escapes, as JSON does


def _display(node: Node) -> str:
    title = _KIND_TITLE.get(node.kind)
    return f"{node.id}\n({title})" if title else node.label


def to_dot(graph: DeliveryGraph, affected: AbstractSet[str] = frozenset(), title: str = "delivery") -> str:
    """The graph in DOT, left to right from sources to charts; affected nodes are filled orange
    and drawn bold."""
    lines = [
        f"digraph {_dot_quote(title)} {{",
        "  rankdir=LR;",
        '  node [fontname="Helvetica", fontsize=10, style=filled];',
        '  edge [fontname="Helvetica", fontsize=8, color="#555555"];',
    ]
    for node in sorted(graph.nodes.values(), key=lambda n: n.id):
        shape, fill = _STYLE.get(node.kind, _DEFAULT_STYLE)
        extra = ""
        if node.id in affected:
            fill, extra = AFFECTED_FILL, ', penwidth=2, color="#c05000"'
        lines.append(
            f"  {_dot_quote(node.id)} [label={_dot_quote(_display(node))}, shape={shape}, "
            f'fillcolor="{fill}"{extra}];'
        )
    for edge in sorted(graph.edges, key=lambda e: (e.source, e.target)):
        label = edge.reason + (f"\n{edge.location}" if edge.location else "")
        bold = ", penwidth=2" if edge.source in affected and edge.target in affected else ""
        lines.append(
            f"  {_dot_quote(edge.source)} -> {_dot_quote(edge.target)} [label={_dot_quote(label)}{bold}];"
        )
    lines.append("}")
    return "\n".join(lines) + "\n"


_MERMAID_SHAPES = {IMAGE: ("[", "]"), CHART: ("[/", "/]"), EXTERNAL: ("([", "])"), FILE: ("[", "]"), DIRECTORY: ("[", "]")}


def _mermaid_text(text: str) -> str:
    # Mermaid labels are double-quoted; a quote inside is written as an HTML entity.
    return '"' + text.replace('"', "#quot;").replace("\n", "<br/>") + '"'


def to_mermaid(graph: DeliveryGraph, affected: AbstractSet[str] = frozenset()) -> str:
    """The graph as a Mermaid flowchart (renders in GitHub Markdown); affected nodes get the
    `affected` class."""
    ids: Dict[str, str] = {}
    for index, node_id in enumerate(sorted(graph.nodes)):
        ids[node_id] = f"n{index}_" + re.sub(r"[^A-Za-z0-9]", "_", node_id)[:40]
    lines: List[str] = ["flowchart LR"]
    for node_id in sorted(graph.nodes):
        node = graph.nodes[node_id]
        left, right = _MERMAID_SHAPES.get(node.kind, ("(", ")"))
        lines.append(f"  {ids[node_id]}{left}{_mermaid_text(_display(node))}{right}")
    for edge in sorted(graph.edges, key=lambda e: (e.source, e.target)):
        lines.append(f"  {ids[edge.source]} -->|{_mermaid_text(edge.reason)}| {ids[edge.target]}")
    lines.append(f"  classDef affected fill:{AFFECTED_FILL},stroke:#c05000,stroke-width:2px;")
    marked = sorted(ids[n] for n in affected if n in ids)
    if marked:
        lines.append(f"  class {','.join(marked)} affected;")
    return "\n".join(lines) + "\n"
