"""Finds the line of a Python file that imports a given module, to show with an "imported by" edge.

Pants' dependency inference decides that the edge exists; this only points at the line, so it
reads `import` and `from ... import` statements line by line and never decides anything itself.
"""

from __future__ import annotations

import re
from typing import Iterator, List, Optional, Tuple

_FROM = re.compile(r"^\s*from\s+(\.*)([\w.]*)\s+import\s+(.*)$")
_IMPORT = re.compile(r"^\s*import\s+(.*)$")


def module_of(stripped_path: str) -> str:
    """The module a source-root-relative path defines: `pkg/mod.py` → `pkg.mod`,
    `pkg/__init__.py` → `pkg`."""
    parts = stripped_path[: -len(".py")].split("/") if stripped_path.endswith(".py") else stripped_path.split("/")
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _names(text: str) -> List[str]:
    text = text.split("#", 1)[0].strip().strip("()\\").strip()
    return [part.strip().split(" as ")[0].strip() for part in text.split(",") if part.strip()]


def _candidates(line: str, importer: str, importer_is_package: bool) -> Iterator[str]:
    """The dotted names a line imports (for `from X import a`: `X.a` and `X`)."""
    match = _FROM.match(line)
    if match:
        dots, base, rest = match.groups()
        if dots:
            package = importer.split(".") if importer_is_package else importer.split(".")[:-1]
            package = package[: len(package) - (len(dots) - 1)] if len(dots) > 1 else package
            base = ".".join(p for p in [*package, base] if p)
        for name in _names(rest):
            if name != "*":
                yield f"{base}.{name}"
        yield base
        return
    match = _IMPORT.match(line)
    if match:
        yield from _names(match.group(1))


def import_line(
    text: str, importer: str, imported: str, importer_is_package: bool = False
) -> Optional[Tuple[int, str]]:
    """The first (1-based line, stripped text) of `text` (module `importer`) importing module
    `imported` or a name in it; failing that, the first line importing its package (a
    parenthesised `from pkg import (...)` spread over lines); None when no line does."""
    fallback = None
    for number, line in enumerate(text.split("\n"), start=1):
        for name in _candidates(line, importer, importer_is_package):
            if name == imported or name.startswith(imported + "."):
                return number, line.strip()
            if fallback is None and imported.startswith(name + ".") and name:
                fallback = (number, line.strip())
    return fallback
