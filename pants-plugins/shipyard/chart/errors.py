"""The error every chart reader raises: where (`path:line`), what is wrong, and what to do."""

from __future__ import annotations

from typing import Optional

from shipyard.source_text import printable


class ChartError(Exception):
    """A problem in a chart file, located at `path:line` (line is 1-based, None when unknown).

    `str()` reads `charts/tinyolly/Chart.yaml:3: <message>` followed by an indented hint line.
    """

    def __init__(self, path: str, line: Optional[int], message: str, hint: str = "") -> None:
        super().__init__(path, line, message, hint)
        self.path = path
        self.line = line
        self.message = message
        self.hint = hint

    @property
    def location(self) -> str:
        """`path:line`, or just `path` when the line is unknown."""
        return f"{self.path}:{self.line}" if self.line is not None else self.path

    def __str__(self) -> str:
        text = f"{self.location}: {self.message}"
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return printable(text)  # a .helmignore line may hold bytes that are not UTF-8
