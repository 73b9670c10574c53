"""Reading YAML as PyYAML node trees, so every value keeps its line number.

Shared by the Chart.yaml and values readers. Errors become `ChartError`s at the line PyYAML reports.
"""

from __future__ import annotations

from typing import Dict, Iterator, List, Optional, Tuple

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from shipyard.chart.errors import ChartError

STR_TAG = "tag:yaml.org,2002:str"
NULL_TAG = "tag:yaml.org,2002:null"
MERGE_TAG = "tag:yaml.org,2002:merge"


def line_of(node: Node) -> int:
    """The 1-based line a node starts on."""
    return node.start_mark.line + 1


def _yaml_error(text: str, path: str, error: yaml.YAMLError, what: str) -> ChartError:
    line = _error_line(text, error)
    problem = getattr(error, "problem", None) or str(error)
    context = getattr(error, "context", None)
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
        return yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as e:
        raise _yaml_error(text, path, e, what) from e


def compose_all(text: str, path: str, what: str) -> List[Node]:
    """Every non-empty document of `text` as node trees."""
    try:
        return [doc for doc in yaml.compose_all(text, Loader=yaml.SafeLoader) if doc is not None]
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
