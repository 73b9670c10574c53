"""Reading YAML as PyYAML node trees, so every value keeps its line number.

Shared by the Chart.yaml and values readers. Errors become `ChartError`s at the line PyYAML reports.

PyYAML composes an alias as a second reference to the anchored node, so a small document can stand
for an enormous tree ("billion laughs"), and every walk over it expands the aliases again. The
loader here counts, while composing, how many nodes the aliases stand for and refuses a document
the way Helm's YAML reader (go-yaml) does: "excessive aliasing", and an anchor containing itself.
"""

from __future__ import annotations

from typing import Dict, Iterator, List, Optional, Tuple

import yaml
from yaml.events import AliasEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from shipyard.chart.errors import ChartError

STR_TAG = "tag:yaml.org,2002:str"
NULL_TAG = "tag:yaml.org,2002:null"
MERGE_TAG = "tag:yaml.org,2002:merge"


class ExcessiveAliasingError(yaml.YAMLError):
    """An alias expands to more nodes than a data file may hold, or to a node containing it."""

    def __init__(self, problem: str, problem_mark: yaml.Mark) -> None:
        super().__init__(problem)
        self.problem = problem
        self.problem_mark = problem_mark


def allowed_alias_ratio(decoded: int) -> float:
    """The share of decoded nodes go-yaml lets come from alias expansion: 99% up to 400,000
    nodes, falling linearly to 10% at 4,000,000 and beyond."""
    low, high = 400_000, 4_000_000
    if decoded <= low:
        return 0.99
    if decoded >= high:
        return 0.10
    return 0.99 - 0.89 * (decoded - low) / (high - low)


class _BoundedAliasLoader(yaml.SafeLoader):
    """A SafeLoader whose composer keeps the expanded size of every node it builds and stops at
    the first alias that makes the document excessive by go-yaml's rule (more than 100 nodes from
    aliases, more than 1000 in all, and a share of aliased nodes above `allowed_alias_ratio`)."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._expanded_size: Dict[int, int] = {}
        self._decoded = 0
        self._from_aliases = 0

    def compose_node(self, parent: Optional[Node], index: object) -> Node:  # type: ignore[override]
        if self.check_event(AliasEvent):
            event = self.peek_event()
            node = super().compose_node(parent, index)  # the anchored node, or an error
            size = self._expanded_size.get(id(node))
            if size is None:
                raise ExcessiveAliasingError(
                    f"the anchor {event.anchor!r} contains an alias of itself", event.start_mark
                )
            self._from_aliases += size
            self._decoded += size
            if (
                self._from_aliases > 100
                and self._decoded > 1000
                and self._from_aliases / self._decoded > allowed_alias_ratio(self._decoded)
            ):
                raise ExcessiveAliasingError(
                    f"excessive aliasing: the alias *{event.anchor} takes the document to "
                    f"{self._decoded:,} nodes, {self._from_aliases:,} of them from aliases",
                    event.start_mark,
                )
            return node
        self._decoded += 1
        node = super().compose_node(parent, index)
        if isinstance(node, SequenceNode):
            children = list(node.value)
        elif isinstance(node, MappingNode):
            children = [part for pair in node.value for part in pair]
        else:
            children = []
        self._expanded_size[id(node)] = 1 + sum(self._expanded_size.get(id(c), 1) for c in children)
        return node


def line_of(node: Node) -> int:
    """The 1-based line a node starts on."""
    return node.start_mark.line + 1


def _yaml_error(text: str, path: str, error: yaml.YAMLError, what: str) -> ChartError:
    line = _error_line(text, error)
    problem = getattr(error, "problem", None) or str(error)
    context = getattr(error, "context", None)
    if isinstance(error, ExcessiveAliasingError):
        return ChartError(
            path,
            line,
            f"{what} is refused: {problem}",
            "a chart file is data, not a program: write the values out instead of nesting aliases "
            "(Helm refuses this document too)",
        )
    message = f"{what} is not valid YAML: {problem}"
    if context:
        message += f" ({context})"
    return ChartError(
        path, line, message, "fix the YAML syntax at that line (check indentation and quoting)"
    )


def _error_line(text: str, error: yaml.YAMLError) -> Optional[int]:
    """The line PyYAML blames. When that is the end of the text (an unclosed bracket or quote),
    the line where the unclosed construct started is more useful."""
    problem = getattr(error, "problem_mark", None)
    context = getattr(error, "context_mark", None)
    last_line = max(1, len(text.splitlines()))
    if problem is not None and problem.line + 1 <= last_line:
        return problem.line + 1
    if context is not None:
        return context.line + 1
    return last_line if problem is not None else None


def compose_one(text: str, path: str, what: str) -> Optional[Node]:
    """The single document of `text` as a node tree, None if the document is empty."""
    try:
        return yaml.compose(text, Loader=_BoundedAliasLoader)
    except yaml.YAMLError as e:
        raise _yaml_error(text, path, e, what) from e


def compose_all(text: str, path: str, what: str) -> List[Node]:
    """Every non-empty document of `text` as node trees."""
    try:
        return [doc for doc in yaml.compose_all(text, Loader=_BoundedAliasLoader) if doc is not None]
    except yaml.YAMLError as e:
        raise _yaml_error(text, path, e, what) from e


def mapping_items(node: MappingNode) -> List[Tuple[Node, Node]]:
    """The key/value pairs of a mapping with YAML merge keys (`<<: *base`) applied.

    A repeated key keeps its last value (as Helm's YAML reader does); the mapping's own keys win
    over merged ones, and earlier merged mappings win over later ones.
    """
    own: Dict[object, Tuple[Node, Node]] = {}
    merged: List[Tuple[Node, Node]] = []
    for key, value in node.value:
        if key.tag == MERGE_TAG:
            sources = value.value if isinstance(value, SequenceNode) else [value]
            for source in sources:
                if isinstance(source, MappingNode):
                    merged.extend(mapping_items(source))
        else:
            own.pop(_key_identity(key), None)
            own[_key_identity(key)] = (key, value)
    result = dict(own)
    for key, value in merged:
        result.setdefault(_key_identity(key), (key, value))
    return list(result.values())


def _key_identity(key: Node) -> object:
    return key.value if isinstance(key, ScalarNode) else id(key)


def scalar_text(node: Node) -> Optional[str]:
    """The text of a scalar as written (so `tag: 1.10` stays `1.10`); None for nulls and
    non-scalars."""
    if not isinstance(node, ScalarNode) or node.tag == NULL_TAG:
        return None
    return node.value


def iter_scalar_keys(node: MappingNode) -> Iterator[Tuple[str, Node, Node]]:
    """(key text, key node, value node) for every scalar key of a mapping, merges applied."""
    for key, value in mapping_items(node):
        if isinstance(key, ScalarNode):
            yield key.value, key, value
