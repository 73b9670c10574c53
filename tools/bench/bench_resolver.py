#!/usr/bin/env python3
"""Time the Dockerfile resolver on a synthetic 50,000-file build context.

Usage: python tools/bench/bench_resolver.py [--files N] [--repeat R]

Prints the best wall time of R runs for a few typical Dockerfiles (whole-context COPY with a
.dockerignore, targeted COPYs with wildcards, a multi-platform multi-stage build).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from typing import Callable, List

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "pants-plugins"))

from shipyard.dockerfile.dockerignore import DockerIgnore  # noqa: E402
from shipyard.dockerfile.parser import parse_dockerfile  # noqa: E402
from shipyard.dockerfile.resolver import resolve_dockerfile  # noqa: E402

IGNORE = """
**/__pycache__
**/*.pyc
node_modules
.git
docs/**/*.png
!docs/keep/**
services/*/tests
"""

DOCKERFILES = {
    "copy_whole_context": "FROM python:3.12\nCOPY . /app\n",
    "targeted_wildcards": (
        "FROM python:3.12\n"
        "COPY services/svc7/requirements*.txt /app/\n"
        "COPY services/svc7/src/ /app/src/\n"
        "COPY libs/*/pyproject.toml /libs/\n"
    ),
    "multistage_two_platforms": (
        "ARG PY=3.12\n"
        "FROM --platform=$BUILDPLATFORM python:${PY} AS build\n"
        "ARG TARGETARCH\n"
        "COPY services/ /src/services/\n"
        "COPY libs/ /src/libs/\n"
        "RUN --mount=type=bind,source=tools,target=/tools /tools/build.sh\n"
        "FROM gcr.io/distroless/python3 AS final\n"
        "COPY --from=build /out /app\n"
    ),
}


def synthetic_context(count: int) -> List[str]:
    files: List[str] = []
    i = 0
    while len(files) < count:
        svc = f"services/svc{i % 50}"
        files.append(f"{svc}/src/pkg{i % 13}/module_{i}.py")
        files.append(f"{svc}/src/pkg{i % 13}/__pycache__/module_{i}.cpython-312.pyc")
        files.append(f"{svc}/tests/test_{i}.py")
        files.append(f"libs/lib{i % 20}/src/mod_{i}.py")
        files.append(f"node_modules/pkg{i % 300}/lib/file_{i}.js")
        files.append(f"docs/img{i % 7}/shot_{i}.png")
        if i % 50 == 0:
            files.append(f"services/svc{i % 50}/requirements.txt")
            files.append(f"libs/lib{i % 20}/pyproject.toml")
            files.append(f"tools/build_{i}.sh")
        i += 1
    return files[:count]


def best_of(repeat: int, fn: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    files = synthetic_context(args.files)
    print(f"context: {len(files):,} files")
    for name, text in DOCKERFILES.items():
        platforms = ["linux/amd64", "linux/arm64"] if "platforms" in name else ["linux/amd64"]

        def run() -> object:
            parsed = parse_dockerfile(text, "Dockerfile")
            ignore = DockerIgnore.parse(IGNORE)  # fresh each run: no warm caches
            return resolve_dockerfile(parsed, context_files=files, platforms=platforms, dockerignore=ignore)

        result = run()
        seconds = best_of(args.repeat, run)
        print(f"{name:28s} {seconds * 1000:8.1f} ms   copied {len(result.copied_files):,} files")  # type: ignore[attr-defined]


if __name__ == "__main__":
    main()
