"""Which FROM line a built image's layers start with (`image_root_line`), as BuildKit builds it:
the target stage (`--target`, matched case-insensitively, else the last stage), followed back
through stages built FROM other stages. `COPY --from` adds new layers; it never makes another
stage's base part of the image. The driver reuses the registry's compressed layers of that one base.
"""

from __future__ import annotations

import textwrap
from typing import Optional

import pytest

from shipyard.dockerfile.parser import parse_dockerfile
from shipyard.dockerfile.resolver import resolve_dockerfile
from shipyard.dockerfile.stages import StageGraph
from shipyard.util_rules.image_build import image_root_line


def root_line(dockerfile: str, target: Optional[str] = None, build_args: Optional[dict] = None) -> Optional[int]:
    parsed = parse_dockerfile(textwrap.dedent(dockerfile).lstrip("\n"), "app/Dockerfile")
    resolved = resolve_dockerfile(
        parsed, context_files=["main.go", "app.py"], build_args=build_args or {}, target_stage=target
    )
    return image_root_line(resolved.stages, StageGraph(parsed).find_target(target))


def test_a_single_stage_starts_with_its_base() -> None:
    assert root_line("FROM python:3.11-slim\nCOPY app.py /app/\n") == 1


def test_the_last_stage_is_built_and_copy_from_does_not_make_the_builder_the_root() -> None:
    dockerfile = """
        FROM golang:1.21 AS build
        COPY main.go /src/
        RUN go build -o /out/app /src/main.go
        FROM alpine:3.19
        COPY --from=build /out/app /app
    """
    assert root_line(dockerfile) == 4


def test_a_stage_built_from_a_stage_goes_back_to_the_first_base() -> None:
    dockerfile = """
        FROM python:3.11-slim AS base
        RUN pip install uv
        FROM base AS deps
        COPY app.py /app/
        FROM deps
        CMD ["python", "/app/app.py"]
    """
    assert root_line(dockerfile) == 1


@pytest.mark.parametrize("target", ["build", "BUILD"])
def test_the_target_stage_is_the_one_built_matched_without_case(target: str) -> None:
    dockerfile = """
        FROM golang:1.21 AS build
        COPY main.go /src/
        FROM alpine:3.19 AS runtime
        COPY --from=build /src/main.go /app
    """
    assert root_line(dockerfile, target=target) == 1


def test_a_stage_named_by_an_arg_in_from_is_followed() -> None:
    dockerfile = """
        ARG FLAVOUR=slim
        FROM python:3.11-slim AS slim
        FROM python:3.11 AS full
        FROM ${FLAVOUR}
        COPY app.py /app/
    """
    assert root_line(dockerfile) == 2
    assert root_line(dockerfile, build_args={"FLAVOUR": "full"}) == 3


def test_an_image_from_scratch_starts_with_the_scratch_line() -> None:
    # No image is pulled for scratch, so no base's layers are reused for it.
    dockerfile = """
        FROM golang:1.21 AS build
        FROM scratch
        COPY --from=build /go/bin/app /app
    """
    assert root_line(dockerfile) == 2


def test_a_dockerfile_without_stages_has_no_root() -> None:
    assert image_root_line((), 0) is None
