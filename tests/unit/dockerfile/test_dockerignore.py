""".dockerignore matching with moby/patternmatcher semantics, one behaviour per case."""

from __future__ import annotations

from typing import Dict

import pytest

from shipyard.dockerfile.dockerignore import (
    DockerIgnore,
    dockerignore_candidates,
    select_dockerignore,
)
from shipyard.dockerfile.instructions import DockerfileError
from shipyard.dockerfile.paths import BadPattern, clean, context_relative, match_segment, split_wildcards

# (id, .dockerignore text, {path: excluded?}) -- every listed path is checked.
CASES = [
    ("exact_file", "secret.env\n", {"secret.env": True, "other.env": False, "sub/secret.env": False}),
    ("directory_excludes_everything_below", "build\n", {"build/x/y.o": True, "build": True, "builder/x": False}),
    ("leading_slash_is_dropped", "/dist\n", {"dist/app.js": True, "src/dist/app.js": False}),
    ("trailing_slash_is_cleaned", "node_modules/\n", {"node_modules/a/index.js": True}),
    ("dot_slash_and_dotdot_are_cleaned", "./a/../tmp\n", {"tmp/x": True, "a/tmp/x": False}),
    ("star_stays_in_one_segment", "*.md\n", {"README.md": True, "docs/guide.md": False}),
    ("star_in_directory_segment", "*/temp*\n", {"a/temporary.txt": True, "a/b/temp.txt": False, "temp.txt": False}),
    ("double_star_any_depth", "**/*.go\n", {"main.go": True, "a/b/c/x.go": True, "a/b/c/x.py": False}),
    ("double_star_leading_matches_root_entry", "**/__pycache__\n", {"__pycache__/m.pyc": True, "a/b/__pycache__/m.pyc": True}),
    ("double_star_trailing_matches_below_only", "logs/**\n", {"logs/a/b.log": True, "logs": False}),
    ("double_star_in_the_middle", "a/**/z\n", {"a/z": True, "a/b/c/z": True, "a/b/c/y": False}),
    ("double_star_suffix_matches_partial_name", "**foo\n", {"xfoo": True, "a/barfoo": True, "foo.txt": False}),
    ("question_mark_one_character", "file?.txt\n", {"file1.txt": True, "file12.txt": False, "file/.txt": False}),
    ("character_class", "log[0-9].txt\n", {"log5.txt": True, "logx.txt": False}),
    ("negated_character_class_uses_caret", "v[^0-9]\n", {"vx": True, "v1": False}),
    ("bang_inside_class_is_a_literal", "v[!x]\n", {"v!": True, "vy": False}),
    ("backslash_escapes_wildcard", "\\*.txt\n", {"*.txt": True, "a.txt": False}),
    ("comment_lines_are_ignored", "# build\nsrc\n", {"build/x": False, "src/x": True}),
    ("indented_hash_is_a_pattern_not_a_comment", "  #notes\n", {"#notes": True}),
    ("blank_and_whitespace_lines_are_ignored", "\n   \n\tdist\t\n", {"dist/x": True, "src/x": False}),
    ("exception_reincludes_one_file", "build\n!build/keep.txt\n", {"build/keep.txt": False, "build/drop.txt": True}),
    ("last_matching_pattern_wins", "*.log\n!important.log\nimportant.log\n", {"important.log": True, "a.log": True}),
    ("exception_with_wildcards_inside_excluded_dir", "docs\n!docs/**/*.md\n", {"docs/a/b.md": False, "docs/a/b.png": True}),
    ("exception_of_parent_directory_reincludes_children", "*\n!src\n", {"src/a/b.py": False, "README.md": True}),
    ("exception_without_earlier_match_changes_nothing", "!keep\n", {"keep": False, "other": False}),
    ("crlf_lines", "dist\r\n*.tmp\r\n", {"dist/a": True, "x.tmp": True}),
    ("byte_order_mark_on_first_line", "\ufeffsecret\n", {"secret": True}),
    ("dot_pattern_excludes_nothing_special", ".git\n", {".git/HEAD": True, ".gitignore": False}),
    # moby's reader: bufio.Scanner lines ("\n" only) trimmed with Go's strings.TrimSpace.
    ("form_feed_does_not_split_a_pattern", "a\x0cb\n", {"a": False, "b": False, "a\x0cb": True}),
    ("lone_cr_does_not_split_a_pattern", "a\rb\n", {"a": False, "b": False}),
    ("file_separator_is_not_trimmed", "secret\x1c\n", {"secret": False}),
    ("unicode_space_is_trimmed", "\u3000secret\xa0\n", {"secret": True}),
]


@pytest.mark.parametrize("text,expected", [(t, e) for _, t, e in CASES], ids=[i for i, *_ in CASES])
def test_excludes(text: str, expected: Dict[str, bool]) -> None:
    ignore = DockerIgnore.parse(text)
    assert {path: ignore.excludes(path) for path in expected} == expected


def test_context_root_is_never_excluded() -> None:
    assert DockerIgnore.parse("*\n").excludes(".") is False


def test_deciding_pattern_reports_line() -> None:
    ignore = DockerIgnore.parse("# c\nbuild\n!build/keep\n", "ctx/.dockerignore")
    decided = ignore.deciding_pattern("build/x")
    assert decided is not None and decided.line == 2 and decided.pattern == "build"


@pytest.mark.parametrize(
    "text,line,fragment",
    [("ok\n!\n", 2, "illegal exclusion pattern"), ("a\nsrc/[abc\n", 2, "bad .dockerignore pattern"), ("x\\\n", 1, "bad .dockerignore pattern")],
    ids=["lone_bang", "unclosed_bracket", "trailing_backslash"],
)
def test_parse_errors(text: str, line: int, fragment: str) -> None:
    with pytest.raises(DockerfileError) as caught:
        DockerIgnore.parse(text, "app/.dockerignore")
    assert caught.value.line == line and fragment in caught.value.message
    assert str(caught.value).startswith(f"app/.dockerignore:{line}:")


@pytest.mark.parametrize(
    "dockerfile,context,existing,expected",
    [
        ("apps/ui/Dockerfile", "apps/ui", ["apps/ui/Dockerfile.dockerignore", "apps/ui/.dockerignore"], "apps/ui/Dockerfile.dockerignore"),
        ("apps/ui/Dockerfile", "apps/ui", ["apps/ui/.dockerignore"], "apps/ui/.dockerignore"),
        ("docker/api.Dockerfile", ".", ["docker/api.Dockerfile.dockerignore", ".dockerignore"], "docker/api.Dockerfile.dockerignore"),
        ("docker/api.Dockerfile", ".", [".dockerignore"], ".dockerignore"),
        ("apps/ui/Dockerfile", "apps/ui", ["apps/.dockerignore"], None),
    ],
    ids=[
        "dockerfile_specific_wins",
        "context_root_file_is_the_fallback",
        "specific_file_beside_dockerfile_outside_context_dir",
        "repo_root_context",
        "ignore_file_outside_the_context_does_not_apply",
    ],
)
def test_select_dockerignore(dockerfile: str, context: str, existing: list, expected: object) -> None:
    assert select_dockerignore(dockerfile, context, existing) == expected


def test_candidates_are_most_specific_first() -> None:
    assert dockerignore_candidates("./apps/ui/Dockerfile", "apps/ui/") == ("apps/ui/Dockerfile.dockerignore", "apps/ui/.dockerignore")


# Go path/filepath helpers the matcher and resolver rely on.
@pytest.mark.parametrize(
    "path,expected",
    [("", "."), ("a//b/./c/", "a/b/c"), ("a/../../b", "../b"), ("/../x", "/x"), ("./", ".")],
    ids=["empty", "slashes_and_dots", "dotdot_kept_when_relative", "dotdot_dropped_at_root", "dot_slash"],
)
def test_go_clean(path: str, expected: str) -> None:
    assert clean(path) == expected


@pytest.mark.parametrize(
    "source,expected",
    [("./app.py", ("app.py", False)), ("/etc/app.conf", ("etc/app.conf", False)), (".", ("", False)), ("../x", ("../x", True)), ("a/../../x", ("../x", True))],
    ids=["dot_slash_prefix", "leading_slash_is_context_root", "dot_is_root", "dotdot_escapes", "nested_dotdot_escapes"],
)
def test_context_relative(source: str, expected: tuple) -> None:
    assert context_relative(source) == expected


@pytest.mark.parametrize(
    "pattern,name,expected",
    [("*.go", "main.go", True), ("*.go", ".hidden.go", True), ("[!a]", "!", True), ("[^a]", "b", True), ("\\*", "*", True), ("a?c", "abc", True)],
    ids=["star", "star_matches_dotfiles", "bang_is_literal_in_go_classes", "caret_negates", "escaped_star", "question_mark"],
)
def test_go_segment_match(pattern: str, name: str, expected: bool) -> None:
    assert match_segment(pattern, name) is expected


def test_go_match_rejects_unclosed_class() -> None:
    with pytest.raises(BadPattern):
        match_segment("[abc", "a")


def test_split_wildcards_keeps_fixed_prefix() -> None:
    assert split_wildcards("apps/*/src/*.py") == ("apps", ("*", "src", "*.py"))


def _by_definition(ignore: DockerIgnore, path: str) -> bool:
    """MatchesOrParentMatches written out: the last pattern matching the path or a parent wins."""
    parts = path.split("/")
    parents = ["/".join(parts[: i + 1]) for i in range(len(parts) - 1)]
    excluded = False
    for pattern in ignore.patterns:
        if pattern.match(path) or any(pattern.match(parent) for parent in parents):
            excluded = not pattern.exclusion
    return excluded


def test_fast_matching_agrees_with_the_definition() -> None:
    import random

    rng = random.Random(7)
    segments = ["a", "b", "ab", "x.go", "y.md", "node_modules", "keep", "tmp1", "__pycache__"]
    patterns = ["a", "b/**", "**/*.go", "*.md", "!keep", "!a/keep", "node_modules", "**", "!**/*.go", "a/*", "*/tmp?", "!b", "ab/**/x.go", "[ab]", "!*"]
    for _ in range(200):
        ignore = DockerIgnore.parse("\n".join(rng.choice(patterns) for _ in range(rng.randint(1, 6))))
        paths = sorted({"/".join(rng.choice(segments) for _ in range(rng.randint(1, 4))) for _ in range(30)})
        expected = {p: _by_definition(ignore, p) for p in paths}
        assert {p: ignore.excludes(p) for p in paths} == expected
        assert ignore.kept(paths) == [p for p in paths if not expected[p]]
