"""The build driver's plain helpers: progress parsing, name qualification, platform annotation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shipyard.builders import driver


@pytest.mark.parametrize(
    "log, step",
    [
        (["[1/2] STEP 4/7: RUN make", "boom"], "RUN make"),
        (["STEP 2/3: COPY a b", "Error: x"], "COPY a b"),
        (["#8 [build 3/6] RUN npm ci", "#8 ERROR: exit 1"], "RUN npm ci"),
        (["#5 [stage-1 2/2] COPY --from=build /x /y"], "COPY --from=build /x /y"),
        (["[1/2] STEP 1/2: FROM a", "[1/2] STEP 2/2: RUN b", "b failed"], "RUN b"),
        (["no steps here"], None),
    ],
    ids=["buildah_stage_prefix", "buildah_plain", "buildkit", "buildkit_named_stage", "last_wins", "none"],
)
def test_last_step(log: list[str], step: str) -> None:
    assert driver.last_step(log) == step


@pytest.mark.parametrize(
    "reference, qualified",
    [
        ("python:3.11", "docker.io/library/python:3.11"),
        ("tinyolly/ui:v1", "docker.io/tinyolly/ui:v1"),
        ("ghcr.io/acme/ui:v1", "ghcr.io/acme/ui:v1"),
        ("localhost:5000/ui", "localhost:5000/ui"),
        ("localhost/ui", "localhost/ui"),
        ("MyReg/ui:v1", "MyReg/ui:v1"),
    ],
)
def test_docker_hub_qualified(reference: str, qualified: str) -> None:
    assert driver.docker_hub_qualified(reference) == qualified


def test_placeholders_are_replaced_whole(tmp_path: Path) -> None:
    (tmp_path / "__shipyard").mkdir()
    (tmp_path / "__shipyard/Dockerfile").write_text(
        "FROM shipyard-base-placeholder-1\nFROM shipyard-base-placeholder-10\n"
    )
    builder = driver.Builder({"dockerfile": "__shipyard/Dockerfile", "executables": {}, "platform": "linux/amd64", "image": "x"}, str(tmp_path))
    path = builder.write_dockerfile(
        {"shipyard-base-placeholder-1": "one", "shipyard-base-placeholder-10": "ten"}
    )
    assert Path(path).read_text() == "FROM one\nFROM ten\n"


def test_platform_is_annotated_on_the_single_manifest(tmp_path: Path) -> None:
    (tmp_path / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": [{"digest": "sha256:ab"}]}))
    driver.annotate_platform(str(tmp_path), "linux/arm64/v8")
    (descriptor,) = json.loads((tmp_path / "index.json").read_text())["manifests"]
    assert descriptor["platform"] == {"os": "linux", "architecture": "arm64", "variant": "v8"}


def test_a_layout_with_two_images_is_refused(tmp_path: Path) -> None:
    (tmp_path / "index.json").write_text(json.dumps({"manifests": [{}, {}]}))
    with pytest.raises(driver.BuildFailed, match="expected one image"):
        driver.annotate_platform(str(tmp_path), "linux/amd64")


def test_only_the_base_the_image_starts_with_has_its_registry_layers_fetched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A multi-stage build: node runs the build stage, busybox is the last stage's base.
    request = {
        "executables": {}, "platform": "linux/amd64", "image": "apps/webui:webui", "layer_cache": "cache",
        "bases": [
            {"placeholder": "shipyard-base-placeholder-0", "reference": "docker.io/library/node@sha256:aa", "platform": "linux/amd64"},
            {"placeholder": "shipyard-base-placeholder-1", "reference": "docker.io/library/busybox@sha256:bb", "platform": "linux/amd64", "image_root": True},
        ],
    }
    fetched: list[str] = []
    monkeypatch.setattr(driver.Builder, "registry_layers", lambda self, pinned, cache: fetched.append(pinned) or [])
    driver.Builder(request, str(tmp_path)).reusable_layers()
    assert fetched == ["docker.io/library/busybox@sha256:bb"]

    fetched.clear()
    driver.Builder({**request, "layer_cache": None}, str(tmp_path)).reusable_layers()
    assert fetched == []  # no machine cache to fetch into: the export compresses them itself
