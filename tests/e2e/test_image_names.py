"""How images are named and matched, as a user of `./pants` sees it on a copy of the example:
other names (`aliases`), two images with one repository, and references that look first-party but
match nothing."""

from __future__ import annotations

import json
import os
from typing import Iterator

import pytest

from tests.e2e.conftest import PantsRepo, copy_repo, init_git

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PantsRepo]:
    root = tmp_path_factory.mktemp("names") / "repo"
    copy_repo(root)
    init_git(root)
    pants_repo = PantsRepo(root, dict(os.environ))
    try:
        yield pants_repo
    finally:
        pants_repo.stop_pantsd()


@pytest.fixture
def clean(repo: PantsRepo) -> Iterator[PantsRepo]:
    """The module's copy, reset to its commit after the test."""
    try:
        yield repo
    finally:
        repo.git("checkout", "-q", "--", ".")
        repo.git("clean", "-fdq")


def replace(repo: PantsRepo, path: str, old: str, new: str) -> None:
    text = (repo.root / path).read_text()
    assert old in text, f"{path} no longer contains {old!r}"
    (repo.root / path).write_text(text.replace(old, new, 1))


def test_from_an_alias_depends_on_the_image(clean: PantsRepo) -> None:
    replace(clean, "dockerfiles/BUILD", 'repository="tinyolly/python-base",', 'repository="tinyolly/python-base",\n    aliases=["team/python-base"],')
    replace(clean, "dockerfiles/Dockerfile.ui", "FROM tinyolly/python-base:latest", "FROM team/python-base:latest")
    result = clean.run("dependencies", "dockerfiles:ui")
    assert "dockerfiles:python-base" in result.stdout.split()
    assert "names no image of this repository" not in result.stderr
    (ui,) = json.loads(clean.run("oci-peek", "dockerfiles:ui").stdout)
    assert ui["base_images"][0]["image"] == "dockerfiles:python-base"
    (base,) = json.loads(clean.run("oci-peek", "dockerfiles:python-base").stdout)
    assert base["aliases"] == ["team/python-base"]


def test_a_typo_in_a_from_warns_with_the_line_and_the_nearest_image(clean: PantsRepo) -> None:
    replace(clean, "dockerfiles/Dockerfile.receiver", "FROM tinyolly/python-base:latest", "FROM tinyolly/pyhton-base:latest")
    result = clean.run("dependencies", "dockerfiles:receiver")
    assert "dockerfiles:python-base" not in result.stdout.split()
    assert (
        "dockerfiles/Dockerfile.receiver:4: 'tinyolly/pyhton-base:latest' names no image of this "
        "repository" in result.stderr
    )
    assert "Did you mean 'tinyolly/python-base' (dockerfiles:python-base)?" in result.stderr
    (receiver,) = json.loads(clean.run("oci-peek", "dockerfiles:receiver").stdout)
    assert receiver["base_images"][0]["did_you_mean"] == {
        "image": "dockerfiles:python-base",
        "name": "tinyolly/python-base",
    }


def test_two_images_with_one_repository_fail_only_the_reference_naming_both(clean: PantsRepo) -> None:
    clean.write("deploy/compose/BUILD", 'oci_image(name="demo", repository="tinyolly/demo")\n')
    clean.write("deploy/compose/Dockerfile", "FROM busybox:1.36\n")
    listed = clean.run("list", "::")
    assert {"deploy/compose:demo", "apps/demo:demo"} <= set(listed.stdout.split())
    assert "dockerfiles:python-base" in clean.run("dependencies", "dockerfiles:ui").stdout.split()

    # charts/tinyolly-demos/values.yaml names tinyolly/demo, which both images build.
    failed = clean.run("dependencies", "charts/tinyolly-demos", check=False)
    assert failed.returncode != 0
    assert "Traceback" not in failed.stderr
    assert "charts/tinyolly-demos/values.yaml:3: the image reference 'tinyolly/demo:latest' is ambiguous" in failed.stderr
    assert "apps/demo:demo" in failed.stderr and "deploy/compose:demo" in failed.stderr


def test_an_empty_repository_is_an_error_naming_the_build_file(clean: PantsRepo) -> None:
    replace(clean, "apps/webui/BUILD", 'repository="tinyolly/webui"', 'repository=""')
    failed = clean.run("list", "::", check=False)
    assert failed.returncode != 0
    assert "Traceback" not in failed.stderr
    assert "apps/webui/BUILD:1: The `repository` field of apps/webui:webui is empty" in failed.stderr
