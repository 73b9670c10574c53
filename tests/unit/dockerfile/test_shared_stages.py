"""Stages every target platform's build runs with the same steps (run once, then cached), from
BuildKit's documented platform semantics: `FROM --platform=$BUILDPLATFORM` pins a stage to the
build platform, and the automatic `TARGET*` args reach a stage only through its own `ARG`."""

from __future__ import annotations

import textwrap
from typing import Sequence

from shipyard.dockerfile.parser import parse_dockerfile
from shipyard.dockerfile.resolver import resolve_dockerfile
from shipyard.dockerfile.shared_stages import stages_shared_by_platforms

BOTH = ("linux/amd64", "linux/arm64")


def shared(dockerfile: str, platforms: Sequence[str] = BOTH, *, target: str | None = None) -> tuple[int, ...]:
    parsed = parse_dockerfile(textwrap.dedent(dockerfile).lstrip("\n"), "app/Dockerfile")
    resolved = resolve_dockerfile(
        parsed, context_files=["main.go", "src/index.ts"], platforms=platforms, target_stage=target,
        build_platform="linux/amd64",
    )
    return stages_shared_by_platforms(parsed, resolved.image_refs, platforms)


def test_a_stage_on_the_build_platform_is_shared() -> None:
    assert shared("""
        FROM --platform=$BUILDPLATFORM node:18 AS build
        COPY src/ src/
        RUN npm run build
        FROM busybox:1.35
        COPY --from=build /dist /www
    """) == (1,)


def test_a_literal_platform_pins_the_stage_too() -> None:
    assert shared("""
        FROM --platform=linux/amd64 node:18 AS build
        RUN npm run build
        FROM busybox:1.35
        COPY --from=build /dist /www
    """) == (1,)


def test_a_stage_declaring_targetarch_cross_compiles_and_is_not_shared() -> None:
    assert shared("""
        FROM --platform=$BUILDPLATFORM golang:1.19 AS build
        ARG TARGETOS TARGETARCH
        COPY main.go .
        RUN GOOS=$TARGETOS GOARCH=$TARGETARCH go build -o /app
        FROM scratch
        COPY --from=build /app /app
    """) == ()


def test_each_target_arg_counts_and_a_default_does_not_change_that() -> None:
    for arg in ("TARGETPLATFORM", "TARGETOS", "TARGETVARIANT", "TARGETARCH=amd64"):
        assert shared(f"""
            FROM --platform=$BUILDPLATFORM golang:1.19 AS build
            RUN true
            ARG {arg}
            RUN echo $TARGETARCH
            FROM scratch
            COPY --from=build /app /app
        """) == (), arg


def test_arg_names_are_case_sensitive() -> None:
    assert shared("""
        FROM --platform=$BUILDPLATFORM node:18 AS build
        ARG targetarch
        RUN npm run build
        FROM busybox:1.35
        COPY --from=build /dist /www
    """) == (1,)


def test_build_platform_args_and_a_global_targetarch_leave_the_stage_shared() -> None:
    # A global ARG is visible to FROM lines only; the stage does not see TARGETARCH.
    assert shared("""
        ARG TARGETARCH
        FROM --platform=$BUILDPLATFORM node:18 AS build
        ARG BUILDPLATFORM BUILDARCH
        RUN npm run build
        FROM busybox:1.35
        COPY --from=build /dist /www
    """) == (2,)


def test_a_target_arg_in_a_later_stage_does_not_unshare_an_earlier_one() -> None:
    assert shared("""
        FROM --platform=$BUILDPLATFORM node:18 AS build
        RUN npm run build
        FROM busybox:1.35
        ARG TARGETARCH
        COPY --from=build /dist /www
    """) == (1,)


def test_a_stage_on_the_target_platform_differs_per_platform() -> None:
    assert shared("""
        FROM --platform=$TARGETPLATFORM node:18 AS build
        RUN npm run build
        FROM busybox:1.35
        COPY --from=build /dist /www
    """) == ()


def test_no_platform_flag_no_shared_stage() -> None:
    assert shared("""
        FROM python:3.11-slim
        RUN pip install flask
    """) == ()


def test_a_pinned_stage_the_build_skips_is_not_shared() -> None:
    assert shared("""
        FROM --platform=$BUILDPLATFORM node:18 AS unused
        RUN npm run build
        FROM busybox:1.35 AS final
        RUN true
    """, target="final") == ()


def test_one_platform_alone_shares_with_itself() -> None:
    assert shared("""
        FROM --platform=$BUILDPLATFORM node:18 AS build
        RUN npm run build
        FROM busybox:1.35
        COPY --from=build /dist /www
    """, platforms=("linux/arm64",)) == (1,)
