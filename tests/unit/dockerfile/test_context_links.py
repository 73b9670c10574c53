"""Symlinks in a build context: Docker resolves them inside the context, so those that lead out of
it are reported (see dockerfile/context_links.py)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Dict, List, Tuple

import pytest

from shipyard.dockerfile.context_links import links_leaving_context

# Each case: symlinks to create (path -> target as written), the copied file, and the expected
# (link, resolved) pairs; regular files README.md, apps/x/real.md and shared/lib.md always exist.
CASES = [
    pytest.param({}, "apps/x/real.md", [], id="regular-file"),
    pytest.param({"apps/x/inner.md": "real.md"}, "apps/x/inner.md", [], id="link-inside-context"),
    pytest.param(
        {"apps/x/public/notes.md": "../../../README.md"},
        "apps/x/public/notes.md",
        [("apps/x/public/notes.md", "README.md")],
        id="file-link-to-repo-root",
    ),
    pytest.param(
        {"apps/x/lib": "../../shared"},
        "apps/x/lib/lib.md",
        [("apps/x/lib", "shared/lib.md")],
        id="directory-link-out-of-context",
    ),
    pytest.param(
        {"apps/x/sub/up.md": "../real.md"},
        "apps/x/sub/up.md",
        [],
        id="link-up-but-still-inside",
    ),
]


@pytest.mark.parametrize("links, copied, expected", CASES)
def test_links_leaving_context(
    tmp_path: Path, links: Dict[str, str], copied: str, expected: List[Tuple[str, str]]
) -> None:
    for name in ("README.md", "apps/x/real.md", "shared/lib.md"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(name)
    for link, target in links.items():
        (tmp_path / link).parent.mkdir(parents=True, exist_ok=True)
        os.symlink(target, tmp_path / link)
    found = links_leaving_context(str(tmp_path), "apps/x", [copied])
    assert [(f.link, f.resolved) for f in found] == expected
    assert all(f.path == copied for f in found)


def test_the_context_reached_through_a_link_is_not_blamed(tmp_path: Path) -> None:
    (tmp_path / "real-app").mkdir()
    (tmp_path / "real-app" / "a.txt").write_text("a")
    os.symlink("real-app", tmp_path / "app")
    assert links_leaving_context(str(tmp_path), "app", ["app/a.txt"]) == []
