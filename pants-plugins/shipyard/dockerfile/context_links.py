"""Symlinks in a build context that lead out of it.

Pants' engine follows symlinks when it reads the workspace, so a copied `notes.md -> ../../README.md`
arrives as the README's content. Docker resolves a link inside the build context instead (the
context is the root: `..` stops there), so it would copy another file or fail. Such links are
refused with their path. This reads the file system directly: the engine has no view of links.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Iterable, List, Optional


@dataclass(frozen=True)
class EscapingLink:
    """`path` (a copied file, build-root relative) resolves outside the context through the
    symlink `link` (`path` itself or one of its directories) pointing at `target` as written."""

    path: str
    link: str
    target: str
    resolved: str  # where it leads, build-root relative (or absolute when outside the root)


def links_leaving_context(root: str, context_dir: str, files: Iterable[str]) -> List[EscapingLink]:
    """The files (build-root relative) under `context_dir` whose real path is outside it."""
    real_root = os.path.realpath(root)
    real_context = os.path.realpath(os.path.join(root, context_dir))
    found: List[EscapingLink] = []
    for path in files:
        real = os.path.realpath(os.path.join(root, path))
        if real == real_context or real.startswith(real_context + os.sep):
            continue
        link = _first_link(root, path)
        if link is None:  # the context itself is reached through a link: nothing to blame
            continue
        resolved = os.path.relpath(real, real_root) if real.startswith(real_root + os.sep) else real
        found.append(EscapingLink(path, link, os.readlink(os.path.join(root, link)), resolved))
    return found


def _first_link(root: str, path: str) -> Optional[str]:
    parts = path.split("/")
    for end in range(1, len(parts) + 1):
        prefix = "/".join(parts[:end])
        if os.path.islink(os.path.join(root, prefix)):
            return prefix
    return None
