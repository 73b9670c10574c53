"""The delivery graph as plain data: files, images, base images and charts, joined by edges that
each say why (the reason) and where (the file and line that makes the edge).

An edge points the way a change travels: from what is read to what reads it (a file to the image
copying it, a base image to the image built FROM it, an image to the chart naming it). The Pants
rules fill the graph; this module answers questions about it without knowing Pants.
"""

from __future__ import annotations

import posixpath
from collections import deque
from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Mapping, Optional, Sequence, Set, Tuple

# Node kinds.
FILE = "file"
DIRECTORY = "directory"
TARGET = "target"  # any other Pants target (python_sources, files, ...)
IMAGE = "oci_image"
CHART = "helm_chart"
EXTERNAL = "external_image"

ARTIFACT_KINDS = (IMAGE, CHART)


@dataclass(frozen=True)
class Node:
    """A vertex: `id` is unique (a path for files, an address spec for targets, the reference for
    an external image); `label` is what a reader sees."""

    id: str
    kind: str
    label: str


@dataclass(frozen=True)
class Edge:
    """`source` is read by `target`: a change to `source` affects `target`.

    `reason` is a short verb phrase read between the two ("copied by", "FROM in", "named by"),
    `location` the `path:line` that makes the edge (None when the edge has no single line), and
    `quote` the text at that line.
    """

    source: str
    target: str
    reason: str
    location: Optional[str] = None
    quote: Optional[str] = None

    def describe(self) -> str:
        """The edge as one step of a chain: `copied by Dockerfile.ui:10 (COPY a/ /b/)`."""
        text = self.reason
        if self.location:
            text += f" {self.location}"
        if self.quote:
            text += f" ({self.quote})"
        return text


@dataclass(frozen=True)
class Chain:
    """The shortest way a change reaches an artifact: the nodes in order and the edges between."""

    nodes: Tuple[Node, ...]
    edges: Tuple[Edge, ...]

    @property
    def start(self) -> Node:
        return self.nodes[0]

    @property
    def end(self) -> Node:
        return self.nodes[-1]

    def steps(self) -> List[str]:
        """The chain as alternating node labels and edge descriptions, as printed."""
        out = [self.nodes[0].label]
        for edge, node in zip(self.edges, self.nodes[1:]):
            out.append(edge.describe())
            out.append(node.label)
        return out

    def text(self) -> str:
        return " → ".join(self.steps())


@dataclass
class DeliveryGraph:
    """Nodes by id and edges by source; edges are kept in insertion order, the first edge between
    two nodes wins (so the caller adds the most telling reason first)."""

    nodes: Dict[str, Node] = field(default_factory=dict)
    _out: Dict[str, Dict[str, Edge]] = field(default_factory=dict)

    def add_node(self, node: Node) -> None:
        self.nodes.setdefault(node.id, node)

    def add_edge(self, edge: Edge) -> None:
        if edge.source == edge.target:
            return
        self._out.setdefault(edge.source, {}).setdefault(edge.target, edge)

    @property
    def edges(self) -> List[Edge]:
        return [e for targets in self._out.values() for e in targets.values()]

    def readers(self, node_id: str) -> List[Edge]:
        """The edges from `node_id` to what reads it: to images and charts first, then by id."""
        return sorted(
            self._out.get(node_id, {}).values(),
            key=lambda e: (self.nodes[e.target].kind not in ARTIFACT_KINDS if e.target in self.nodes else True, e.target),
        )

    def reachable(self, starts: Iterable[str]) -> Set[str]:
        """Every node a change to any of `starts` reaches, the starts included."""
        seen = set(starts)
        pending = list(seen)
        while pending:
            for edge in self.readers(pending.pop()):
                if edge.target not in seen:
                    seen.add(edge.target)
                    pending.append(edge.target)
        return seen

    def shortest_chains(self, starts: Sequence[str]) -> Dict[str, Chain]:
        """For every image and chart reachable from `starts`, the shortest chain reaching it.

        Breadth-first from all starts at once, so a chain never passes through a node a shorter
        chain reaches; ties go to the start listed first, then to an image or chart over another
        node (a copy over an import), then to the smaller node id.
        """
        parent: Dict[str, Optional[Edge]] = {}
        queue: deque[str] = deque()
        for start in starts:
            if start in self.nodes and start not in parent:
                parent[start] = None
                queue.append(start)
        while queue:
            current = queue.popleft()
            for edge in self.readers(current):
                if edge.target not in parent:
                    parent[edge.target] = edge
                    queue.append(edge.target)
        chains = {}
        for node_id, edge in parent.items():
            if self.nodes[node_id].kind not in ARTIFACT_KINDS:
                continue
            edges: List[Edge] = []
            cursor: Optional[Edge] = edge
            while cursor is not None:
                edges.append(cursor)
                cursor = parent[cursor.source]
            edges.reverse()
            path = [edges[0].source] if edges else [node_id]
            path.extend(e.target for e in edges)
            chains[node_id] = Chain(tuple(self.nodes[n] for n in path), tuple(edges))
        return chains

    def neighbourhood(self, center: str, radius: int) -> DeliveryGraph:
        """The subgraph within `radius` edges of `center`, in either direction."""
        incoming: Dict[str, List[str]] = {}
        for edge in self.edges:
            incoming.setdefault(edge.target, []).append(edge.source)
        keep = {center}
        frontier = {center}
        for _ in range(radius):
            nxt: Set[str] = set()
            for node_id in frontier:
                nxt.update(e.target for e in self.readers(node_id))
                nxt.update(incoming.get(node_id, ()))
            frontier = nxt - keep
            keep |= nxt
        return self.subgraph(keep)

    def subgraph(self, keep: Set[str]) -> DeliveryGraph:
        out = DeliveryGraph()
        for node_id in sorted(keep):
            if node_id in self.nodes:
                out.add_node(self.nodes[node_id])
        for edge in self.edges:
            if edge.source in keep and edge.target in keep:
                out.add_edge(edge)
        return out

    def collapse_files(self, depth: Optional[int] = None) -> DeliveryGraph:
        """Replaces file nodes by their directories (cut to `depth` path components when given);
        the edges of a directory are those of its files, without lines (a directory has many)."""
        rename: Dict[str, str] = {}
        out = DeliveryGraph()
        for node in self.nodes.values():
            if node.kind == FILE:
                rename[node.id] = directory_of(node.id, depth)
                out.add_node(Node(rename[node.id], DIRECTORY, rename[node.id]))
            else:
                out.add_node(node)
        directories = set(rename.values())
        for edge in self.edges:
            source = rename.get(edge.source, edge.source)
            target = rename.get(edge.target, edge.target)
            if source in directories or target in directories:
                out.add_edge(Edge(source, target, edge.reason))
            else:
                out.add_edge(edge)
        return out

    def without_kinds(self, kinds: Iterable[str]) -> DeliveryGraph:
        drop = set(kinds)
        return self.subgraph({n.id for n in self.nodes.values() if n.kind not in drop})


def directory_of(path: str, depth: Optional[int] = None) -> str:
    """The directory node id of a file: `apps/ui/x/y.py` → `apps/ui/x/`, or `apps/ui/` at depth 2."""
    directory = posixpath.dirname(path) or "."
    if depth and directory != ".":
        directory = "/".join(directory.split("/")[:depth])
    return f"{directory}/"


def sorted_chains(chains: Mapping[str, Chain]) -> List[Chain]:
    """Images first, then charts, each by address."""
    order = {IMAGE: 0, CHART: 1}
    return sorted(chains.values(), key=lambda c: (order.get(c.end.kind, 2), c.end.id))
