"""FROM rewriting keeps flags, stage names and line numbers."""

from __future__ import annotations

import pytest

from shipyard.dockerfile.instructions import DockerfileError
from shipyard.dockerfile.parser import parse_dockerfile
from shipyard.dockerfile.rewrite import FromRewrite, insert_after_instructions, rewrite_from_flags, rewrite_from_lines
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


# COPY --from=<image> and RUN --mount=...,from=<image> name images the build must pin like FROM.
FLAG_CASES = [
    ("copy_from_image", "FROM a\nCOPY --from=nginx:1.25 /etc/nginx /etc/nginx\n", {2: {"nginx:1.25": "P0"}}, "FROM a\nCOPY --from=P0 /etc/nginx /etc/nginx\n"),
    ("copy_from_with_other_flags", "FROM a\nCOPY --chown=1:1 --from=reg.io/x@sha256:ab /a /b\n", {2: {"reg.io/x@sha256:ab": "P1"}}, "FROM a\nCOPY --chown=1:1 --from=P1 /a /b\n"),
    ("mount_from_keeps_other_fields", "FROM a\nRUN --mount=type=bind,from=tools:1,target=/t /t/run\n", {2: {"tools:1": "P0"}}, "FROM a\nRUN --mount=type=bind,from=P0,target=/t /t/run\n"),
    ("mount_from_first_field", "FROM a\nRUN --mount=from=tools:1,target=/t true\n", {2: {"tools:1": "P0"}}, "FROM a\nRUN --mount=from=P0,target=/t true\n"),
    ("two_mounts_one_image", "FROM a\nRUN --mount=from=x,target=/x --mount=type=cache,target=/c --mount=from=y,target=/y true\n", {2: {"y": "P3"}}, "FROM a\nRUN --mount=from=x,target=/x --mount=type=cache,target=/c --mount=from=P3,target=/y true\n"),
    ("continuation_lines_keep_their_numbers", "FROM a\nCOPY \\\n  --from=img:1 \\\n  /a /b\nRUN x\n", {2: {"img:1": "P0"}}, "FROM a\nCOPY \\\n  --from=P0 \\\n  /a /b\nRUN x\n"),
    ("command_text_is_not_a_flag", "FROM a\nRUN --mount=from=img,target=/i echo from=img\n", {2: {"img": "P0"}}, "FROM a\nRUN --mount=from=P0,target=/i echo from=img\n"),
    ("other_line_untouched", "FROM a\nCOPY --from=img / /\nCOPY --from=img / /\n", {3: {"img": "P0"}}, "FROM a\nCOPY --from=img / /\nCOPY --from=P0 / /\n"),
]


@pytest.mark.parametrize("dockerfile,rewrites,expected", [c[1:] for c in FLAG_CASES], ids=[c[0] for c in FLAG_CASES])
def test_rewrite_from_flags(dockerfile: str, rewrites: dict, expected: str) -> None:
    parsed = parse_dockerfile(dockerfile, "Dockerfile")
    assert rewrite_from_flags(dockerfile, parsed, rewrites) == expected


def test_rewriting_flags_of_a_from_line_is_an_error() -> None:
    parsed = parse_dockerfile("FROM a\n", "Dockerfile")
    with pytest.raises(DockerfileError, match="Dockerfile:1"):
        rewrite_from_flags("FROM a\n", parsed, {1: {"a": "x"}})


@pytest.mark.parametrize(
    "dockerfile,insertions,expected",
    [
        ("FROM base\nRUN x\n", {1: ["COPY a /a"]}, "FROM base\nCOPY a /a\nRUN x\n"),
        ("FROM \\\n  base\nRUN x\n", {1: ["COPY a /a", "ENV B=1"]}, "FROM \\\n  base\nCOPY a /a\nENV B=1\nRUN x\n"),
        ("FROM a\nFROM b", {1: ["RUN 1"], 2: ["RUN 2"]}, "FROM a\nRUN 1\nFROM b\nRUN 2\n"),
    ],
    ids=["after_from", "after_a_continued_from", "two_stages_and_no_final_newline"],
)
def test_insert_after_instructions(dockerfile: str, insertions: dict, expected: str) -> None:
    parsed = parse_dockerfile(dockerfile, "Dockerfile")
    assert insert_after_instructions(dockerfile, parsed, insertions) == expected


def test_flag_and_insert_rewrites_keep_lines_that_python_would_split() -> None:
    """A form feed inside a line is text to BuildKit: the rewritten instruction is the parsed one."""
    dockerfile = "FROM a\n# x\x0cy\nCOPY --from=img:1 /a /b\n"
    parsed = parse_dockerfile(dockerfile, "Dockerfile")
    assert rewrite_from_flags(dockerfile, parsed, {3: {"img:1": "P0"}}) == "FROM a\n# x\x0cy\nCOPY --from=P0 /a /b\n"
    assert insert_after_instructions(dockerfile, parsed, {1: ["ENV A=1"]}) == "FROM a\nENV A=1\n# x\x0cy\nCOPY --from=img:1 /a /b\n"
