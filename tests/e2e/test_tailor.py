"""`pants tailor ::` creates image and chart targets, and owners for the files they use."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import PantsRepo

pytestmark = pytest.mark.slow


def example_build_files(repo: PantsRepo) -> list[str]:
    return sorted(
        p.relative_to(repo.root).as_posix()
        for p in repo.root.glob("**/BUILD")
        if p.relative_to(repo.root).parts[0] not in ("pants-plugins", "tests", "tools", ".git")
    )


def test_tailor_recreates_targets_that_make_inference_exact(pants_repo: PantsRepo) -> None:
    for build in ("apps/webui/BUILD", "charts/tinyolly-demos/BUILD"):
        (pants_repo.root / build).unlink()
    pants_repo.write("dockerfiles/Dockerfile.extra", "FROM scratch\nCOPY extra.txt /\n")
    pants_repo.write("dockerfiles/extra.txt", "x\n")

    pants_repo.run("tailor", "::")

    listed = set(pants_repo.run("--filter-target-type=oci_image,helm_chart", "list", "::").stdout.split())
    assert {"apps/webui:webui", "charts/tinyolly-demos:tinyolly-demos", "dockerfiles:extra"} <= listed
    assert 'dockerfile="Dockerfile.extra"' in (pants_repo.root / "dockerfiles/BUILD").read_text()

    # Every file the images copy and the charts package now has an owner, so inference succeeds
    # and depends on exactly the used files.
    webui = set(pants_repo.run("dependencies", "apps/webui:webui").stdout.split())
    assert any(d.startswith("apps/webui/src/main.ts:") for d in webui)
    assert not any("README.md" in d for d in webui)
    extra = set(pants_repo.run("dependencies", "dockerfiles:extra").stdout.split())
    assert any(d.startswith("dockerfiles/extra.txt:") for d in extra)
    demos = set(pants_repo.run("dependencies", "charts/tinyolly-demos:tinyolly-demos").stdout.split())
    assert {"apps/demo:demo", "charts/common:common"} <= demos
    assert any(d.startswith("charts/tinyolly-demos/values.yaml") for d in demos)


@pytest.mark.parametrize("start", ["example", "no_build_files"])
def test_tailor_check_passes_right_after_tailor(pants_repo: PantsRepo, start: str) -> None:
    if start == "no_build_files":
        for build in example_build_files(pants_repo):
            (pants_repo.root / build).unlink()

    first = pants_repo.run("tailor", "::")
    pants_repo.run("tailor", "--check", "::")  # fails the test if a second run would edit a BUILD file

    if start == "no_build_files":
        # Dockerfiles under dockerfiles/ copy from the repository root, which tailor cannot guess:
        # each is named with the fix, and everything else is written.
        for image in ("Dockerfile.python-base", "Dockerfile.ui", "Dockerfile.receiver"):
            assert f"Skipping dockerfiles/{image}" in first.stderr
        assert "`context`" in first.stderr
        webui_build = (pants_repo.root / "apps/webui/BUILD").read_text()
        assert '"**/*"' in webui_build and '"!**/BUILD"' in webui_build and '"!Dockerfile"' in webui_build
        assert not (pants_repo.root / "apps/webui/public/BUILD").exists()  # one owner per copied tree

        # A file added later under a copied directory is owned without a BUILD edit; files under
        # the glob that the image does not copy are not its dependencies.
        pants_repo.write("apps/webui/src/widgets/chart.ts", "export {};\n")
        webui = set(pants_repo.run("dependencies", "apps/webui:webui").stdout.split())
        assert any(d.startswith("apps/webui/src/widgets/chart.ts:") for d in webui)
        assert not any("README.md" in d for d in webui)
        assert (pants_repo.root / "apps/webui/BUILD").read_text() == webui_build


def test_tailor_skips_a_stale_image_and_writes_everything_else(pants_repo: PantsRepo) -> None:
    (pants_repo.root / "apps/opamp-server/Dockerfile").unlink()  # the target stays: a stale target
    (pants_repo.root / "apps/webui/BUILD").unlink()
    # Owned by the glob `files` target of apps/demo, and still an image to create.
    pants_repo.write("apps/demo/Dockerfile.dev", "FROM scratch\n")

    result = pants_repo.run("tailor", "::")
    pants_repo.run("tailor", "--check", "::")
    assert 'oci_image(\n    name="dev",\n    dockerfile="Dockerfile.dev",\n)' in (pants_repo.root / "apps/demo/BUILD").read_text()

    assert "Skipping apps/opamp-server:opamp-server" in result.stderr
    assert "names apps/opamp-server/Dockerfile, which does not exist" in result.stderr
    assert "remove the target if its Dockerfile is gone" in result.stderr
    assert "oci_image" in (pants_repo.root / "apps/webui/BUILD").read_text()
