"""The glob owners `pants tailor` writes for the files images copy and charts package.

Cases come from what Pants does with these targets: a BUILD file (any `[GLOBAL].build_patterns`
name) is metadata, never a source; `files(sources=["**/*", ...])` also owns files added later;
Pants' Python tailor creates `python_sources`/`python_requirements` for `.py` and requirements files.
"""

from __future__ import annotations

import pytest
from pants.engine.internals.build_files import BuildFileOptions

from shipyard.goals.tailor import (
    PYTHON_TAILOR_GLOBS,
    glob_owner_sources,
    glob_owner_targets,
    owner_directories,
)

BUILD_OPTIONS = BuildFileOptions(patterns=("BUILD", "BUILD.*"))
RECURSIVE_EXCLUDES = ("!**/BUILD", "!**/BUILD.*", "!**/*.py", "!**/*.pyi", "!**/*requirements*.txt")


@pytest.mark.parametrize(
    "paths, expected",
    [
        (["app/a.txt"], {"app": ["app/a.txt"]}),
        # A copied directory's subdirectories are covered by the glob of the directory above.
        (["app/a.txt", "app/static/b.css", "app/static/img/c.png"],
         {"app": ["app/a.txt", "app/static/b.css", "app/static/img/c.png"]}),
        # Sibling directories with no used file above them get one owner each.
        (["app/src/a.ts", "app/public/b.html"],
         {"app/public": ["app/public/b.html"], "app/src": ["app/src/a.ts"]}),
        # The build root owns only its own files: a recursive glob there would own the repository.
        ([".dockerignore", "3rdparty/python/requirements.txt"],
         {"": [".dockerignore"], "3rdparty/python": ["3rdparty/python/requirements.txt"]}),
    ],
    ids=["one_directory", "nested_directories", "siblings", "build_root"],
)
def test_owner_directories(paths: list[str], expected: dict[str, list[str]]) -> None:
    assert owner_directories(paths) == expected


@pytest.mark.parametrize(
    "directory, listing, claimed, expected",
    [
        ("apps/webui", ["apps/webui/package.json", "apps/webui/src/main.ts"], set(), ("**/*", *RECURSIVE_EXCLUDES)),
        # The Dockerfile belongs to the image, so the glob leaves it out by name.
        ("apps/webui", ["apps/webui/Dockerfile", "apps/webui/package.json"], {"apps/webui/Dockerfile"},
         ("**/*", *RECURSIVE_EXCLUDES, "!Dockerfile")),
        # Files other targets own below the directory too.
        ("charts/c", ["charts/c/Chart.yaml", "charts/c/templates/x.yaml"], {"charts/c/templates/x.yaml"},
         ("**/*", *RECURSIVE_EXCLUDES, "!templates/x.yaml")),
        # A claimed .py file is already left out by the pattern: not named again.
        ("app", ["app/main.py", "app/x.txt"], {"app/main.py"}, ("**/*", *RECURSIVE_EXCLUDES)),
        # At the build root: only root files, and a claimed file in a subdirectory is not named.
        ("", ["pants.toml", ".dockerignore", "apps/x/Dockerfile"], {"pants.toml", "apps/x/Dockerfile"},
         ("*", "!BUILD", "!BUILD.*", "!*.py", "!*.pyi", "!*requirements*.txt", "!pants.toml")),
    ],
    ids=["nothing_claimed", "dockerfile_claimed", "claimed_in_subdirectory", "claimed_python", "build_root"],
)
def test_glob_owner_sources(directory: str, listing: list[str], claimed: set[str], expected: tuple[str, ...]) -> None:
    assert glob_owner_sources(directory, listing, claimed, BUILD_OPTIONS, PYTHON_TAILOR_GLOBS) == expected


def test_glob_owner_sources_without_python_tailor_leaves_python_files_in() -> None:
    assert glob_owner_sources("app", ["app/a.py"], set(), BUILD_OPTIONS, ()) == ("**/*", "!**/BUILD", "!**/BUILD.*")


@pytest.mark.parametrize(
    "used, claimed, expected_targets",
    [
        # `COPY static/ /app/static/` copies the BUILD file there too: it is never given an owner
        # (the bug: a second `tailor` run added files(sources=["BUILD"]), editing a BUILD file).
        (["app/static/BUILD", "app/static/BUILD.pants"], set(), {}),
        (["app/static/BUILD", "app/static/a.css"], set(), {"app/static": ("a.css",)}),
        # Owned already (e.g. by the glob of an earlier run): nothing to write.
        (["app/static/a.css"], {"app/static/a.css"}, {}),
        # Left to Pants' Python tailor.
        (["app/main.py", "app/requirements.txt"], set(), {}),
    ],
    ids=["build_files_only", "build_file_beside_a_file", "already_owned", "python_files"],
)
def test_glob_owner_targets_own_only_what_needs_an_owner(
    used: list[str], claimed: set[str], expected_targets: dict[str, tuple[str, ...]]
) -> None:
    listings = {d: list(used) for d in {p.rsplit("/", 1)[0] for p in used}}
    targets = glob_owner_targets(
        {p: "Copied." for p in used}, listings, claimed, BUILD_OPTIONS, PYTHON_TAILOR_GLOBS
    )
    assert {t.path: t.triggering_sources for t in targets} == expected_targets
    for t in targets:
        assert t.type_alias == "files"
        assert t.kwargs["sources"][0] == "**/*"
        assert t.owned_sources == t.kwargs["sources"]
