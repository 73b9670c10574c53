"""What a maintainer sees: `list`, `dependencies`, `dependents`, `peek` and `oci-peek` on the example."""

from __future__ import annotations

import json

import pytest

from tests.e2e.change_corpus import (
    ALL_IMAGES_AND_CHARTS,
    DEMO,
    PYTHON_BASE,
    RECEIVER,
    TINYOLLY,
    UI,
    WEBUI,
)
from tests.e2e.conftest import PantsRepo

pytestmark = pytest.mark.slow


def lines(text: str) -> set[str]:
    return set(text.split())


def test_the_example_monorepo_graph(pants_repo: PantsRepo) -> None:
    listed = lines(pants_repo.run("--filter-target-type=oci_image,helm_chart", "list", "::").stdout)
    assert listed == set(ALL_IMAGES_AND_CHARTS)
    everything = lines(pants_repo.run("list", "::").stdout)
    assert "libs/tinyolly_common/models.py:lib" in everything
    assert "3rdparty/python:reqs" in everything

    ui_deps = lines(pants_repo.run("dependencies", "--transitive", UI).stdout)
    assert {PYTHON_BASE, "libs/tinyolly_common/models.py:lib", "apps/ui/tinyolly_ui/server.py:../lib"} <= ui_deps
    assert not any(d.startswith("apps/ui/tests/") or d.startswith("apps/ui/README") for d in ui_deps)

    dependents = lines(pants_repo.run("dependents", "--transitive", "libs/tinyolly_common/models.py").stdout)
    assert {PYTHON_BASE, UI, RECEIVER, TINYOLLY} <= dependents
    assert WEBUI not in dependents and DEMO not in dependents

    (peeked,) = json.loads(pants_repo.run("peek", UI).stdout)
    assert PYTHON_BASE in peeked["dependencies"]
    assert peeked["build_args"] == {"APP_DIR": "ui"}


def test_oci_peek_shows_external_images_and_lines(pants_repo: PantsRepo) -> None:
    (webui,) = json.loads(pants_repo.run("oci-peek", WEBUI).stdout)
    bases = {(b["reference"], b["image"]) for b in webui["base_images"]}
    assert bases == {("node:18-bookworm-slim", None), ("busybox:1.35", None)}
    copied = {c["path"]: c["line"] for c in webui["copied_files"]}
    assert copied["apps/webui/src/main.ts"] > 1
    assert "apps/webui/README.md" not in copied

    (chart,) = json.loads(pants_repo.run("oci-peek", TINYOLLY).stdout)
    images = {i["reference"]: i["image"] for i in chart["images"]}
    assert images["redis:7-alpine"] is None
    assert images["tinyolly/webui:latest"] == WEBUI
    assert chart["chart_dependencies"] == [{"name": "common", "directory": "charts/common", "line": 11}]
