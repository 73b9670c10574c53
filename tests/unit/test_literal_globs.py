"""Literal file paths as Pants globs: each matches exactly its own file (checked with the engine)."""

from __future__ import annotations

import pytest
from pants.engine.fs import GlobMatchErrorBehavior, PathGlobs, Snapshot
from pants.testutil.rule_runner import QueryRule, RuleRunner

from shipyard.util_rules.literal_globs import literal_glob

FILES = ["pages/[id].ts", "pages/i.ts", "pages/d.ts", "a/*.txt", "a/x.txt", "a/?.md", "a/b.md", "a/plain.txt", "a/]x"]


@pytest.mark.parametrize("path", FILES)
def test_literal_glob_matches_exactly_its_file(path: str) -> None:
    rule_runner = RuleRunner(rules=[QueryRule(Snapshot, [PathGlobs])])
    rule_runner.write_files({f: f for f in FILES})
    snapshot = rule_runner.request(
        Snapshot,
        [PathGlobs([literal_glob(path)], glob_match_error_behavior=GlobMatchErrorBehavior.error, description_of_origin="test")],
    )
    assert snapshot.files == (path,)


@pytest.mark.parametrize(
    "path, glob",
    [("a/plain.txt", "a/plain.txt"), ("pages/[id].ts", "pages/[[]id[]].ts"), ("a/*?.txt", "a/[*][?].txt")],
)
def test_literal_glob_text(path: str, glob: str) -> None:
    assert literal_glob(path) == glob
