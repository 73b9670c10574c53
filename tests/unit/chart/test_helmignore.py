from __future__ import annotations

import pytest

from shipyard.chart.errors import ChartError
from shipyard.chart.helmignore import HelmIgnore, chart_files

PATH = "charts/tinyolly/.helmignore"


@pytest.mark.parametrize(
    "rules, relpath, is_dir, ignored",
    [
        pytest.param("README.md", "README.md", False, True, id="exact-name"),
        pytest.param(
            "*.md", "docs/guide.md", False, True, id="no-slash-matches-basename-at-any-depth"
        ),
        pytest.param("*.md", "values.yaml", False, False, id="glob-does-not-match-other-extension"),
        pytest.param(
            "ci/*.yaml", "ci/test-values.yaml", False, True, id="slash-pattern-matches-path"
        ),
        pytest.param(
            "ci/*.yaml", "sub/ci/test-values.yaml", False, False, id="slash-pattern-not-at-depth"
        ),
        pytest.param("ci/*", "ci/a/b.yaml", False, False, id="star-does-not-cross-slash"),
        pytest.param("/ci.yaml", "ci.yaml", False, True, id="leading-slash-anchors-at-root"),
        pytest.param("/ci.yaml", "sub/ci.yaml", False, False, id="leading-slash-not-at-depth"),
        pytest.param("tests/", "tests", True, True, id="trailing-slash-matches-directory"),
        pytest.param("tests/", "tests", False, False, id="trailing-slash-skips-files"),
        pytest.param("values-?.yaml", "values-a.yaml", False, True, id="question-mark-one-char"),
        pytest.param(
            "values-?.yaml", "values-ab.yaml", False, False, id="question-mark-only-one-char"
        ),
        pytest.param("values-[a-c].yaml", "values-b.yaml", False, True, id="character-range"),
        pytest.param(
            "values-[^a-c].yaml", "values-b.yaml", False, False, id="negated-class-uses-caret"
        ),
        pytest.param(r"\*.txt", "*.txt", False, True, id="escaped-star-is-literal"),
        pytest.param(r"\*.txt", "a.txt", False, False, id="escaped-star-not-a-glob"),
        pytest.param(".*", ".git", True, True, id="dot-star-matches-dot-directory"),
        pytest.param(".*", ".", True, False, id="chart-root-never-ignored"),
        pytest.param("  *.bak  ", "x.bak", False, True, id="surrounding-whitespace-trimmed"),
        pytest.param("# *.md", "README.md", False, False, id="comment-line"),
        pytest.param(
            "!values.yaml", "values.yaml", False, False, id="negation-matching-path-not-ignored"
        ),
        pytest.param(
            "!values.yaml", "Chart.yaml", False, True, id="negation-ignores-every-other-path"
        ),
        pytest.param(
            "*.yaml\n!values.yaml", "values.yaml", False, True, id="negation-does-not-re-include"
        ),
        pytest.param(
            "!templates/", "values.yaml", False, True, id="negated-directory-rule-ignores-files"
        ),
        pytest.param(
            "", "templates/.gitkeep", False, True, id="default-ignores-dotfiles-in-templates"
        ),
        pytest.param("", "templates/sub/.gitkeep", False, False, id="default-only-direct-children"),
        pytest.param(
            "", "templates/_helpers.tpl", False, False, id="default-keeps-normal-templates"
        ),
        pytest.param("", ".helmignore", False, False, id="helmignore-itself-is-packaged"),
        pytest.param("foo\\/", "foo\\", True, False, id="escape-exposed-by-slash-never-matches"),
        # Go's filepath.Match, as Helm calls it: an inverted range is accepted and never matches,
        # a class may match "/" in a pattern with a slash.
        pytest.param("log[z-a].txt", "logb.txt", False, False, id="inverted-range-never-matches"),
        pytest.param("log[z-ab].txt", "logb.txt", False, True, id="inverted-range-beside-a-valid-one"),
        pytest.param("ci/a[^x]b", "ci/a/b", False, True, id="negated-class-matches-slash-like-go"),
        pytest.param("v[!x]", "v!", False, True, id="bang-is-literal-in-a-class"),
        pytest.param("cargo/", "cargo/", True, True, id="directory-given-with-trailing-slash"),
        pytest.param("cargo/", "sub/cargo/", True, True, id="nested-directory-with-trailing-slash"),
        pytest.param("cargo", "cargo/", True, True, id="plain-rule-directory-with-trailing-slash"),
        pytest.param("/cargo/", "cargo/", True, True, id="anchored-directory-with-trailing-slash"),
        pytest.param("ci/cargo/", "ci/cargo/", True, True, id="slash-rule-directory-with-trailing-slash"),
        pytest.param("cargo/", "cargo/", False, False, id="trailing-slash-path-that-is-a-file"),
        # Helm reads lines with bufio.Scanner (only "\n" ends one) and trims with strings.TrimSpace.
        pytest.param("a\x0cb", "a", False, False, id="form-feed-does-not-split-a-rule"),
        pytest.param("a\u2028b", "b", False, False, id="line-separator-does-not-split-a-rule"),
        pytest.param("a\rb", "a", False, False, id="lone-cr-does-not-split-a-rule"),
        pytest.param("*.md\r\n", "README.md", False, True, id="crlf-line-ending"),
        pytest.param("*.md\x0c", "README.md", False, True, id="form-feed-trimmed-like-go"),
        pytest.param("*.md\x1c", "README.md", False, False, id="file-separator-not-trimmed-like-go"),
    ],
)
def test_ignores(rules: str, relpath: str, is_dir: bool, ignored: bool) -> None:
    assert HelmIgnore.parse(rules, PATH).ignores(relpath, is_dir) is ignored


@pytest.mark.parametrize(
    "rules, line, message",
    [
        pytest.param("*.md\n**/*.txt\n", 2, "'**'", id="double-star-rejected-like-helm"),
        pytest.param("docs/**\n", 1, "'**'", id="trailing-double-star-rejected"),
        pytest.param("# fine\nvalues-[z-\n", 2, "not closed", id="unclosed-class"),
        pytest.param("[]a]\n", 1, "unexpected", id="empty-class"),
        pytest.param("[a-]\n", 1, "unexpected", id="open-range"),
        pytest.param("foo\\\n", 1, "lone", id="trailing-backslash"),
        pytest.param("# a\x0cb\n[\n", 2, "not closed", id="line-after-form-feed-counted-once"),
        pytest.param("# a\u2028b\u2029c\x85d\n**\n", 2, "'**'", id="line-after-unicode-separators"),
    ],
)
def test_invalid_patterns(rules: str, line: int, message: str) -> None:
    with pytest.raises(ChartError) as error:
        HelmIgnore.parse(rules, PATH)
    assert (error.value.path, error.value.line) == (PATH, line)
    assert message in error.value.message
    assert error.value.hint


TINYOLLY_FILES = [
    ".helmignore",
    "Chart.yaml",
    "values.yaml",
    "values.schema.json",
    "README.md",
    "templates/deployment.yaml",
    "templates/_helpers.tpl",
    "templates/.gitkeep",
    "templates/tests/test-connection.yaml",
    "ci/ct-values.yaml",
    ".git/HEAD",
    ".git/refs/heads/main",
    "charts/common-0.1.0.tgz",
    "docs/img/arch.png",
]


@pytest.mark.parametrize(
    "rules, expected",
    [
        pytest.param(
            None,
            set(TINYOLLY_FILES) - {"templates/.gitkeep"},
            id="no-helmignore-still-applies-default",
        ),
        pytest.param(
            ".git/\nci/\n*.md\n",
            {
                ".helmignore",
                "Chart.yaml",
                "values.yaml",
                "values.schema.json",
                "templates/deployment.yaml",
                "templates/_helpers.tpl",
                "templates/tests/test-connection.yaml",
                "charts/common-0.1.0.tgz",
                "docs/img/arch.png",
            },
            id="ignored-directories-drop-everything-below",
        ),
        pytest.param(
            "img\n",
            set(TINYOLLY_FILES) - {"templates/.gitkeep", "docs/img/arch.png"},
            id="nested-directory-by-basename",
        ),
        pytest.param(
            "tests/\n",
            set(TINYOLLY_FILES) - {"templates/.gitkeep", "templates/tests/test-connection.yaml"},
            id="directory-rule-at-depth",
        ),
        pytest.param(
            "!Chart.yaml\n",
            {"Chart.yaml"},
            id="negation-only-keeps-matching-top-level-paths",
        ),
        pytest.param(
            "/templates/*.tpl\n",
            set(TINYOLLY_FILES) - {"templates/.gitkeep", "templates/_helpers.tpl"},
            id="anchored-glob",
        ),
    ],
)
def test_chart_files(rules, expected) -> None:
    helmignore = None if rules is None else HelmIgnore.parse(rules, PATH)
    assert chart_files(TINYOLLY_FILES, helmignore) == frozenset(expected)


def test_chart_files_normalizes_paths() -> None:
    assert chart_files(["./Chart.yaml", "templates//a.yaml"], None) == {
        "Chart.yaml",
        "templates/a.yaml",
    }


@pytest.mark.parametrize(
    "bad", ["../common/Chart.yaml", "/etc/passwd"], ids=["parent-dir", "absolute"]
)
def test_chart_files_rejects_paths_outside_chart(bad: str) -> None:
    with pytest.raises(ValueError, match="not a path inside the chart directory"):
        chart_files([bad], None)
