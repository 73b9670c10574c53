"""A `--from` naming no stage is an image for BuildKit; one that can only be a misspelt stage is an
error here (issue 9: `COPY --from=biuld` silently dropped the `build` stage from the graph)."""

from __future__ import annotations

import textwrap
from typing import Optional

import pytest

from shipyard.dockerfile.instructions import DockerfileError
from shipyard.dockerfile.parser import parse_dockerfile
from shipyard.dockerfile.resolver import resolve_dockerfile
from shipyard.dockerfile.stage_typos import edit_distance, misspelt_stage

STAGES = ("build", "builder-cache", "test")


@pytest.mark.parametrize(
    "value, expected",
    [
        pytest.param("biuld", "build", id="swapped-letters"),
        pytest.param("buld", "build", id="missing-letter"),
        pytest.param("buildd", "build", id="extra-letter"),
        pytest.param("BIULD", "build", id="case-insensitive-like-stage-names"),
        pytest.param("bulder-cahce", "builder-cache", id="two-edits-in-a-long-name"),
        pytest.param("tset", "test", id="short-name-one-swap"),
        pytest.param("golang", None, id="an-image-far-from-every-stage"),
        pytest.param("biuld:latest", None, id="a-tag-makes-it-an-image"),
        pytest.param("acme/biuld", None, id="a-path-makes-it-an-image"),
        pytest.param("ghcr.io/build", None, id="a-registry-makes-it-an-image"),
        pytest.param("biuld@sha256:" + "a" * 64, None, id="a-digest-makes-it-an-image"),
        pytest.param("bxyld", None, id="two-edits-in-a-short-name"),
        pytest.param("tst", "test", id="three-letters-is-enough"),
        pytest.param("te", None, id="too-short-to-judge"),
    ],
)
def test_misspelt_stage(value: str, expected: Optional[str]) -> None:
    assert misspelt_stage(value, STAGES) == expected


@pytest.mark.parametrize(
    "a, b, distance",
    [
        ("build", "build", 0),
        ("biuld", "build", 1),
        ("build", "buil", 1),
        ("build", "bxild", 1),
        ("ca", "abc", 3),  # a swapped pair is not edited again (optimal string alignment)
        ("", "abc", 3),
    ],
)
def test_edit_distance(a: str, b: str, distance: int) -> None:
    assert edit_distance(a, b) == distance


def resolve(dockerfile: str):
    parsed = parse_dockerfile(textwrap.dedent(dockerfile).lstrip("\n"), "app/Dockerfile")
    return resolve_dockerfile(parsed, context_files=["src/main.go"], context_dir_label="app")


@pytest.mark.parametrize(
    "dockerfile, line, message",
    [
        pytest.param(
            """\
            FROM golang:1.21 AS build
            COPY src/ /src/
            FROM scratch
            COPY --from=biuld /src/app /app
            """,
            4,
            "--from 'biuld' names no stage; did you mean the stage 'build' (line 1)?",
            id="copy-from",
        ),
        pytest.param(
            """\
            FROM golang:1.21 AS build
            COPY src/ /src/
            FROM scratch
            RUN --mount=from=buidl,target=/b true
            """,
            4,
            "--mount from 'buidl' names no stage; did you mean the stage 'build' (line 1)?",
            id="mount-from",
        ),
    ],
)
def test_misspelt_stage_in_from_is_an_error_with_a_hint(dockerfile: str, line: int, message: str) -> None:
    with pytest.raises(DockerfileError) as caught:
        resolve(dockerfile)
    assert caught.value.line == line
    assert message in caught.value.message
    assert "write build" in caught.value.hint and ":latest" in caught.value.hint


@pytest.mark.parametrize(
    "from_value, reference",
    [
        pytest.param("biuld:latest", "biuld:latest", id="tagged-image"),
        pytest.param("busybox", "busybox", id="image-far-from-the-stage-names"),
    ],
)
def test_images_in_copy_from_stay_images(from_value: str, reference: str) -> None:
    result = resolve(
        f"FROM golang:1.21 AS build\nCOPY src/ /src/\nFROM scratch\nCOPY --from={from_value} /x /x\n"
    )
    assert (reference, "copy_from") in {(r.reference, r.kind) for r in result.image_refs}
