"""Where in the repository a Helm message points: Helm names files inside the chart as it loaded
them (`tinyolly/templates/ui.yaml:12`, `Chart.yaml: ... yaml: line 4`); this maps them to
build-root paths (`charts/tinyolly/templates/ui.yaml:12`) so errors read like ours.

Plain Python: no Pants, no Helm.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from typing import Mapping, Optional

# `parse error at (tinyolly/templates/x.yaml:5)`, `execution error at (c/templates/x.yaml:5:10)`,
# `template: c/templates/x.yaml:3:7: executing ...`.
_TEMPLATE_AT = re.compile(r"\(([^\s()]+?):(\d+)(?::\d+)?\)")
_TEMPLATE_PREFIX = re.compile(r"template: ([^\s:]+):(\d+)(?::\d+)?:")
# `cannot load Chart.yaml: error converting YAML to JSON: yaml: line 4: ...`
_CHART_FILE = re.compile(
    r"(?<![\w/.-])(Chart\.yaml|Chart\.lock|values\.yaml|requirements\.yaml|requirements\.lock)\b"
)
_YAML_LINE = re.compile(r"\byaml: line (\d+):")


@dataclass(frozen=True)
class Location:
    """A build-root path and, when Helm gave one, a 1-based line."""

    path: str
    line: Optional[int]

    def __str__(self) -> str:
        return f"{self.path}:{self.line}" if self.line else self.path


def _in_repo(loaded_path: str, chart_name: str, chart_dir: str, dependency_dirs: Mapping[str, str]) -> str:
    """`<chart>/templates/x.yaml` → `<chart_dir>/templates/x.yaml`; a subchart's file maps to the
    `file://` dependency's directory when known."""
    parts = loaded_path.split("/")
    if parts and parts[0] == chart_name:
        parts = parts[1:]
    if len(parts) >= 3 and parts[0] == "charts" and parts[1] in dependency_dirs:
        return posixpath.join(dependency_dirs[parts[1]], *parts[2:])
    return posixpath.join(chart_dir, *parts) if parts else chart_dir


def locate(
    message: str,
    *,
    chart_name: str,
    chart_dir: str,
    reported_path: str = "",
    dependency_lines: Mapping[str, int] = {},
    dependency_dirs: Mapping[str, str] = {},
) -> Location:
    """The file and line `message` is about.

    `reported_path` is the chart-relative path Helm's lint attaches to a finding (`Chart.yaml`,
    `templates/`); `dependency_lines` maps each Chart.yaml dependency name to its line, for
    messages that name a dependency.
    """
    for pattern in (_TEMPLATE_AT, _TEMPLATE_PREFIX):
        match = pattern.search(message)
        if match:
            return Location(
                _in_repo(match.group(1), chart_name, chart_dir, dependency_dirs), int(match.group(2))
            )
    yaml_line = _YAML_LINE.search(message)
    named = _CHART_FILE.search(message)
    reported = reported_path.strip()
    if yaml_line and (named or reported):
        return Location(
            posixpath.join(chart_dir, named.group(1) if named else reported), int(yaml_line.group(1))
        )
    chart_yaml = posixpath.join(chart_dir, "Chart.yaml")
    for name, line in dependency_lines.items():
        if re.search(rf"(?<![\w.-]){re.escape(name)}(?![\w.-])", message):
            return Location(chart_yaml, line)
    if named:
        return Location(posixpath.join(chart_dir, named.group(1)), None)
    if reported and not posixpath.isabs(reported):
        return Location(
            posixpath.join(chart_dir, reported.rstrip("/")) + ("/" if reported.endswith("/") else ""),
            None,
        )
    return Location(chart_dir, None)


def one_line(message: str) -> str:
    """Helm's multi-line messages (`unable to load chart\\n\\tcannot load ...`) on one line."""
    return " ".join(part.strip() for part in message.splitlines() if part.strip())
