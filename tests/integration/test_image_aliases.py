"""`./pants package` of an image built FROM another name (an alias) of a repo image: it is built on
that image as built in the same run, never pulled (issue 8: `FROM team/python-base:latest` in
compose-era app Dockerfiles, the base published as `tinyolly/python-base`)."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import PantsRepo
from tests.integration.test_package import builds, both, layout, repo  # noqa: F401 (fixture)

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
