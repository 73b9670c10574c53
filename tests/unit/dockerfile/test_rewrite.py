"""FROM rewriting keeps flags, stage names and line numbers."""

from __future__ import annotations

import pytest

from shipyard.dockerfile.instructions import DockerfileError
from shipyard.dockerfile.parser import parse_dockerfile
from shipyard.dockerfile.rewrite import FromRewrite, rewrite_from_lines


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
