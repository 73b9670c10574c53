"""The benchmark repository generator (tools/bench/synth_repo.py): deterministic, and shaped as
the issue promises at size 10. Pure Python: nothing here runs Pants."""

from __future__ import annotations

import ast
import re

import pytest

from tools.bench.synth_repo import (
    BASE_ADDRESS,
    LIB_CHART,
    Model,
    convert_for_builtin,
    generate_model,
)


@pytest.fixture(scope="module")
def model() -> Model:
    return generate_model(10, seed=13)


def app_images(model: Model):
    return [i for i in model.images.values() if i.app_dir]


def test_same_seed_same_repository() -> None:
    a, b = generate_model(10, seed=13), generate_model(10, seed=13)
    assert a.files == b.files
    assert {k: vars(v) for k, v in a.images.items()} == {k: vars(v) for k, v in b.images.items()}


def test_another_seed_another_repository() -> None:
    assert generate_model(10, seed=13).files != generate_model(10, seed=14).files


def test_ten_apps_one_base_and_every_kind(model: Model) -> None:
    kinds = [i.kind for i in model.images.values()]
    assert kinds.count("base") == 1 and len(app_images(model)) == 10
    assert {"python-root", "python-app", "go", "node"} <= set(kinds)
    for image in app_images(model):
        if image.kind.startswith("python"):
            assert image.base == BASE_ADDRESS
            assert model.files[image.dockerfile].count("FROM bench/python-base:latest") >= 1


def test_charts_name_five_images_each_and_some_use_the_library_chart(model: Model) -> None:
    charts = [c for c in model.charts.values() if c.address != LIB_CHART]
    assert len(charts) == 10 // 5
    named = [i for c in charts for i in c.images]
    assert len(named) == len(set(named)) == 10
    for chart in charts:
        values = model.files[f"{chart.directory}/values.yaml"]
        for address in chart.images:
            assert model.images[address].repository in values
    with_lib = [c for c in charts if c.uses_lib]
    assert with_lib
    for chart in with_lib:
        assert 'repository: "file://../bench-lib"' in model.files[f"{chart.directory}/Chart.yaml"]


@pytest.mark.parametrize(
    "feature, pattern",
    [
        ("ARG in a COPY path", r"COPY apps/\$\{APP_DIR\}/"),
        ("a glob in a COPY source", r"COPY (\*\.go|package\*\.json|libs/\w+/\*\.py) "),
        ("multi-stage", r"(?s)FROM .* AS build\n.*\nFROM "),
        ("COPY --from a stage", r"COPY --from=build "),
        ("the whole context, filtered by .dockerignore", r"COPY \. \.\n"),
    ],
)
def test_dockerfiles_use_the_realistic_features(model: Model, feature: str, pattern: str) -> None:
    dockerfiles = [model.files[i.dockerfile] for i in model.images.values()]
    assert any(re.search(pattern, text) for text in dockerfiles), feature


def test_each_app_has_tests_and_docs_its_image_does_not_copy(model: Model) -> None:
    for image in app_images(model):
        beside = [p for p in model.files if p.startswith(image.app_dir + "/")]
        not_copied = [p for p in beside if re.search(r"(^|/)(tests?|docs)/|\.md$|_test\.go$", p)]
        assert not_copied, image.address
        assert not set(not_copied) & model.image_inputs(image)
        assert model.affected_by(not_copied) == frozenset()
        if image.dockerignore != ".dockerignore":  # app-directory contexts have their own
            assert image.dockerignore in model.files


def test_build_files_are_tailor_shaped(model: Model) -> None:
    builds = {p: t for p, t in model.files.items() if p.endswith("BUILD")}
    for path, text in builds.items():
        ast.parse(text, filename=path)  # valid BUILD syntax
    app_builds = [builds[f"{i.app_dir}/BUILD"] for i in app_images(model)]
    assert all('files(name="files", sources=["**/*", "!BUILD", "!**/*.py"])' in t for t in app_builds)
    package_dirs = {p.rsplit("/", 1)[0] for p in model.files if p.endswith(".py") and "/tests/" not in p}
    assert all(builds.get(f"{d}/BUILD", "").startswith("python_sources()") for d in package_dirs)


def test_ground_truth_follows_what_is_copied(model: Model) -> None:
    base_dockerfile = model.images[BASE_ADDRESS].dockerfile
    python = {i.address for i in model.images.values() if i.kind.startswith("python") or i.kind == "base"}
    affected = model.affected_by([base_dockerfile])
    assert python <= affected
    assert not {i.address for i in model.images.values() if i.kind in ("go", "node")} & affected


def test_builtin_flavour_has_docker_images_and_no_shipyard_targets(model: Model) -> None:
    files = convert_for_builtin(model.files)
    builds = "".join(t for p, t in files.items() if p.endswith("BUILD"))
    assert "oci_image(" not in builds
    assert builds.count("docker_image(") == len(model.images)


def test_size_1000_is_about_20000_files() -> None:
    assert 18_000 <= len(generate_model(1000, seed=13).files) <= 22_000
