"""Reading a chart's Chart.yaml: its identity and its dependencies, each with a line number."""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from typing import Dict, Optional, Tuple

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from shipyard.chart.errors import ChartError
from shipyard.chart.yaml_nodes import (
    NULL_TAG,
    compose_one,
    iter_scalar_keys,
    line_of,
    scalar_text,
)

_API_VERSIONS = ("v1", "v2")
_CHART_TYPES = ("application", "library")
# The versions Helm accepts (Masterminds semver, lenient form: `1`, `1.2`, `v1.2.3-rc.1+build`).
_SEMVER = re.compile(
    r"v?[0-9]+(?:\.[0-9]+){0,2}"
    r"(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?"
    r"(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?"
)
_ALIAS = re.compile(r"[a-zA-Z0-9_-]+")
_FILE_SCHEME = "file://"


@dataclass(frozen=True)
class ChartDependency:
    """One entry of `dependencies:`; `line` is where its mapping starts."""

    name: str
    version: Optional[str]
    repository: Optional[str]
    alias: Optional[str]
    condition: Optional[str]
    line: int

    @property
    def is_local(self) -> bool:
        """True for `file://` dependencies, which live in this repo."""
        return self.repository is not None and self.repository.startswith(_FILE_SCHEME)

    def local_path(self, chart_dir: str) -> Optional[str]:
        """The directory of a `file://` dependency, resolved against `chart_dir` as Helm does and
        normalized (`file://../common` from `charts/tinyolly` is `charts/common`); None for
        dependencies fetched from an http(s) or oci repository."""
        if not self.is_local:
            return None
        assert self.repository is not None
        target = self.repository[len(_FILE_SCHEME) :]
        return posixpath.normpath(posixpath.join(chart_dir, target))


@dataclass(frozen=True)
class ChartMetadata:
    """The parts of Chart.yaml the backend uses. `type` is `application` when not written."""

    api_version: str
    name: str
    version: str
    app_version: Optional[str]
    type: str
    dependencies: Tuple[ChartDependency, ...]


def parse_chart_yaml(text: str, path: str) -> ChartMetadata:
    """Parse Chart.yaml `text` (read from `path`, used in errors); raise `ChartError` on problems
    `helm package` would also reject."""
    root = compose_one(text, path, "Chart.yaml")
    if root is None:
        raise ChartError(
            path, 1, "Chart.yaml is empty", "write at least apiVersion, name and version"
        )
    fields = _mapping_fields(
        root, path, "Chart.yaml must be a mapping of fields",
        "write fields like `apiVersion: v2`, `name: mychart`, `version: 0.1.0`",
    )

    api_version = _required(fields, "apiVersion", root, path, "apiVersion: v2")
    if api_version not in _API_VERSIONS:
        raise ChartError(
            path,
            line_of(fields["apiVersion"]),
            f"apiVersion {api_version!r} is not one Helm knows",
            "use `apiVersion: v2` (Helm 3) or `v1`",
        )
    name = _required(fields, "name", root, path, "name: mychart")
    if "/" in name or "\\" in name:
        raise ChartError(
            path,
            line_of(fields["name"]),
            f"chart name {name!r} must not contain path separators",
            "name the chart after its directory, e.g. `name: tinyolly`",
        )
    version = _required(fields, "version", root, path, "version: 0.1.0")
    if not _SEMVER.fullmatch(version):
        raise ChartError(
            path,
            line_of(fields["version"]),
            f"version {version!r} is not a semantic version",
            "use MAJOR.MINOR.PATCH, e.g. `version: 0.1.0`",
        )
    app_version = _optional(fields, "appVersion", path)
    chart_type = _optional(fields, "type", path) or "application"
    if chart_type not in _CHART_TYPES:
        raise ChartError(
            path,
            line_of(fields["type"]),
            f"chart type {chart_type!r} is not one Helm knows",
            "use `type: application` or `type: library`",
        )
    return ChartMetadata(
        api_version=api_version,
        name=name,
        version=version,
        app_version=app_version,
        type=chart_type,
        dependencies=_dependencies(fields.get("dependencies"), path),
    )


def parse_requirements_yaml(text: str, path: str) -> Tuple[ChartDependency, ...]:
    """The `dependencies:` of an apiVersion v1 chart's requirements.yaml (Helm 2's dependency
    file, which Helm still reads for v1 charts); raise `ChartError` on what Helm would reject."""
    root = compose_one(text, path, "requirements.yaml")
    if root is None:
        return ()
    fields = _mapping_fields(
        root, path, "requirements.yaml must be a mapping", "write `dependencies:` followed by `- name: ...` entries"
    )
    return _dependencies(fields.get("dependencies"), path)


def _mapping_fields(root: Node, path: str, what: str, hint: str) -> Dict[str, Node]:
    """The top-level fields of a YAML file Helm reads as a mapping; ChartError at its line otherwise."""
    if not isinstance(root, MappingNode):
        raise ChartError(path, line_of(root), f"{what}, found a {_kind(root)}", hint)
    return {key: value for key, _, value in iter_scalar_keys(root)}


def _kind(node: Node) -> str:
    if isinstance(node, MappingNode):
        return "mapping"
    if isinstance(node, SequenceNode):
        return "list"
    return "scalar"


def _optional(fields: Dict[str, Node], key: str, path: str) -> Optional[str]:
    node = fields.get(key)
    if node is None:
        return None
    if not isinstance(node, ScalarNode):
        raise ChartError(
            path,
            line_of(node),
            f"`{key}` must be a single value, found a {_kind(node)}",
            f"write it as `{key}: <text>`",
        )
    text = scalar_text(node)
    return text if text else None


def _required(fields: Dict[str, Node], key: str, where: Node, path: str, example: str) -> str:
    value = _optional(fields, key, path)
    if value is None:
        node = fields.get(key, where)
        raise ChartError(
            path,
            line_of(node),
            f"`{key}` is missing or empty",
            f"add `{example}`",
        )
    return value


def _dependencies(node: Optional[Node], path: str) -> Tuple[ChartDependency, ...]:
    if node is None or (isinstance(node, ScalarNode) and node.tag == NULL_TAG):
        return ()
    if not isinstance(node, SequenceNode):
        raise ChartError(
            path,
            line_of(node),
            f"`dependencies` must be a list, found a {_kind(node)}",
            "write `dependencies:` followed by `- name: ...` entries",
        )
    return tuple(_dependency(item, path) for item in node.value)


def _dependency(node: Node, path: str) -> ChartDependency:
    if not isinstance(node, MappingNode):
        raise ChartError(
            path,
            line_of(node),
            f"each dependency must be a mapping, found a {_kind(node)}",
            "write `- name: common` with `version:` and `repository:` under it",
        )
    fields = {key: value for key, _, value in iter_scalar_keys(node)}
    name = _optional(fields, "name", path)
    if name is None:
        raise ChartError(
            path,
            line_of(node),
            "a dependency has no `name`",
            "add `name: <chart name>` to the entry",
        )
    alias = _optional(fields, "alias", path)
    if alias is not None and not _ALIAS.fullmatch(alias):
        raise ChartError(
            path,
            line_of(fields["alias"]),
            f"dependency {name!r} has alias {alias!r}, which Helm rejects",
            "use only letters, digits, '_' and '-' in an alias",
        )
    return ChartDependency(
        name=name,
        version=_optional(fields, "version", path),
        repository=_optional(fields, "repository", path),
        alias=alias,
        condition=_optional(fields, "condition", path),
        line=line_of(node),
    )
