"""`pants tailor ::` creates image and chart targets, and owners for the files they use."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import PantsRepo

pytestmark = pytest.mark.slow


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
