"""FROM rewriting keeps flags, stage names and line numbers."""

from __future__ import annotations

import pytest

from shipyard.dockerfile.instructions import DockerfileError
from shipyard.dockerfile.parser import parse_dockerfile
from shipyard.dockerfile.rewrite import FromRewrite, rewrite_from_lines
from shipyard.source_text import decode_lossless, encode_lossless


@pytest.mark.parametrize(
    "dockerfile, replacements, expected",
    [
        ("FROM acme/base:latest\nRUN true\n", {1: "local/base:1"}, "FROM local/base:1\nRUN true\n"),
        (
            "FROM --platform=$BUILDPLATFORM acme/base AS build\n",
            {1: FromRewrite("x", "linux/amd64")},
            "FROM --platform=linux/amd64 x AS build\n",
        ),
        ("FROM ${BASE} as b\n", {1: "x"}, "FROM x as b\n"),
        ("FROM \\\n  acme/base\nRUN a\n", {1: "x"}, "FROM x\n\nRUN a\n"),
        (
            "FROM a\nFROM acme/base\nCOPY --from=0 / /\n",
            {2: "x"},
            "FROM a\nFROM x\nCOPY --from=0 / /\n",
        ),
        ("FROM acme/base", {1: "x"}, "FROM x\n"),
    ],
    ids=["plain", "platform_flag_made_literal", "arg_reference", "continuation_keeps_lines", "second_stage_only", "no_trailing_newline"],
)
def test_rewrite(dockerfile: str, replacements: dict, expected: str) -> None:
    parsed = parse_dockerfile(dockerfile, "Dockerfile")
    rewrites = {k: v if isinstance(v, FromRewrite) else FromRewrite(v) for k, v in replacements.items()}
    rewritten = rewrite_from_lines(dockerfile, parsed, rewrites)
    assert rewritten == expected
    assert rewritten.count("\n") >= dockerfile.count("\n")


def test_rewriting_a_line_that_is_not_from_is_an_error() -> None:
    parsed = parse_dockerfile("FROM a\nRUN b\n", "Dockerfile")
    with pytest.raises(DockerfileError, match="Dockerfile:2"):
        rewrite_from_lines("FROM a\nRUN b\n", parsed, {2: FromRewrite("x")})


# Lines end at "\n" only, as BuildKit reads them: characters Python's splitlines() also breaks on
# are text, so the FROM named by the parser's line number is the line rewritten.
@pytest.mark.parametrize(
    "dockerfile, expected",
    [
        pytest.param("# a\x0cb\nFROM acme/base\n", "# a\x0cb\nFROM x\n", id="form-feed-in-comment"),
        pytest.param("# a\u2028b\nFROM acme/base\n", "# a\u2028b\nFROM x\n", id="line-separator-in-comment"),
        pytest.param("# a\rb\nFROM acme/base\n", "# a\rb\nFROM x\n", id="lone-cr-in-comment"),
        pytest.param("# a\x85\x1c\x0bb\nFROM acme/base\n", "# a\x85\x1c\x0bb\nFROM x\n", id="nel-separator-vtab"),
        pytest.param("# c\r\nFROM acme/base\r\nRUN a\r\n", "# c\r\nFROM x\nRUN a\r\n", id="crlf-file"),
        pytest.param(
            "FROM a AS one\nRUN echo \"\x0c\"\nFROM acme/base\n",
            "FROM a AS one\nRUN echo \"\x0c\"\nFROM x\n",
            id="form-feed-in-an-instruction",
        ),
    ],
)
def test_rewrite_lands_on_the_parsed_line(dockerfile: str, expected: str) -> None:
    parsed = parse_dockerfile(dockerfile, "Dockerfile")
    line = [i.line for i in parsed.instructions if i.keyword == "FROM"][-1]
    assert rewrite_from_lines(dockerfile, parsed, {line: FromRewrite("x")}) == expected


def test_rewrite_keeps_bytes_that_are_not_utf8() -> None:
    """BuildKit builds a Dockerfile as bytes: the rewritten file carries them unchanged."""
    data = b"# caf\xe9\nFROM acme/base\nRUN echo \xff\xfe > /f\n"
    text = decode_lossless(data)
    rewritten = rewrite_from_lines(text, parse_dockerfile(text, "Dockerfile"), {2: FromRewrite("x")})
    assert encode_lossless(rewritten) == b"# caf\xe9\nFROM x\nRUN echo \xff\xfe > /f\n"
