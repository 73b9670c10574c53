"""`./pants package` and image names (issue 8): an image built FROM another name (an alias) of a repo
image is built on that image as built in the same run, never pulled (`FROM team/python-base:latest`
in compose-era app Dockerfiles, the base published as `tinyolly/python-base`); two images building
one repository are both packaged."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import PantsRepo
from tests.integration.test_package import Layout, builds, both, layout, repo  # noqa: F401 (fixture)

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def replace(repo: PantsRepo, path: str, old: str, new: str) -> None:
    text = (repo.root / path).read_text()
    assert old in text, f"{path} no longer contains {old!r}"
    (repo.root / path).write_text(text.replace(old, new, 1))


def test_image_from_an_alias_is_built_on_this_runs_base(repo: PantsRepo) -> None:  # noqa: F811
    replace(repo, "dockerfiles/BUILD", 'repository="tinyolly/python-base",', 'repository="tinyolly/python-base",\n    aliases=["team/python-base"],')
    replace(repo, "dockerfiles/Dockerfile.ui", "FROM tinyolly/python-base:latest", "FROM team/python-base:latest")
    try:
        repo.run("package", "dockerfiles:ui", "dockerfiles:python-base", timeout=1800)
        assert both("dockerfiles:ui") <= builds(repo)
        for arch in ("amd64", "arm64"):
            base = layout(repo, "tinyolly/python-base").config(arch)["rootfs"]["diff_ids"]
            ui = layout(repo, "tinyolly/ui").config(arch)["rootfs"]["diff_ids"]
            assert len(ui) > len(base) and ui[: len(base)] == base, f"ui/{arch} is not built on this run's base"
    finally:
        repo.git("checkout", "-q", "--", ".")


def test_two_images_with_one_repository_are_both_packaged(repo: PantsRepo) -> None:  # noqa: F811
    for flavour in ("compose", "k8s"):
        repo.write(f"deploy/{flavour}/BUILD", 'oci_image(name="frontend", repository="demo-frontend")\n')
        repo.write(f"deploy/{flavour}/Dockerfile", f"FROM busybox:1.35\nLABEL flavour={flavour}\n")
    try:
        repo.run("package", "deploy::", timeout=1800)
        for flavour in ("compose", "k8s"):
            image = Layout(repo.root / "dist/images/demo-frontend" / f"deploy.{flavour}.frontend" / "oci")
            for arch in ("amd64", "arm64"):
                assert image.config(arch)["config"]["Labels"]["flavour"] == flavour
    finally:
        repo.git("clean", "-fdq", "deploy")
