"""An image that cannot be resolved is reported, and stops neither other images nor tailor; its
own `package` fails with the error. After a deletion, `oci-peek` shows the copy set as it is now."""

from __future__ import annotations

import json

import pytest

from tests.e2e.conftest import PantsRepo

pytestmark = pytest.mark.slow


def copied_files(repo: PantsRepo, address: str) -> set[str]:
    (entry,) = json.loads(repo.run("oci-peek", address).stdout)
    return {f["path"] for f in entry["copied_files"]}


def test_peek_after_a_copied_file_is_deleted_shows_the_copy_set_as_it_is_now(pants_repo: PantsRepo) -> None:
    assert "apps/webui/public/styles.css" in copied_files(pants_repo, "apps/webui:webui")
    (pants_repo.root / "apps/webui/public/styles.css").unlink()
    # The same pantsd, so a memoized copy set would show here.
    after = copied_files(pants_repo, "apps/webui:webui")
    assert "apps/webui/public/styles.css" not in after
    assert "apps/webui/public/index.html" in after


def test_image_whose_copy_source_moved_away_is_reported_and_the_others_go_on(pants_repo: PantsRepo) -> None:
    (pants_repo.root / "apps/webui/public").rename(pants_repo.root / "apps/demo/public")

    deps = pants_repo.run("dependencies", "apps/webui:webui", "apps/demo:demo")
    assert "apps/webui/Dockerfile:" in deps.stderr and "COPY public/" in deps.stderr
    assert "apps/webui:webui cannot be resolved" in deps.stderr
    listed = set(deps.stdout.split())
    # demo's COPY . . takes the moved files.
    assert any(d.startswith("apps/demo/public/index.html:") for d in listed)
    # webui depends on every target of its context, conservatively: `dependencies` shows the
    # generator `apps/webui:files` as its file targets, the README among them.
    assert "apps/webui/README.md:files" in listed

    package = pants_repo.run("package", "apps/webui:webui", check=False)
    assert package.returncode != 0
    assert "COPY source 'public/' was not found" in package.stderr


def test_oci_peek_shows_every_other_target_when_one_cannot_be_resolved(pants_repo: PantsRepo) -> None:
    dockerfile = pants_repo.root / "apps/demo/Dockerfile"
    original = dockerfile.read_text()
    dockerfile.write_text("FROM\n" + original)  # Docker: FROM requires an argument
    try:
        result = pants_repo.run("oci-peek", "::", check=False)
    finally:
        dockerfile.write_text(original)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and "Engine traceback" not in result.stderr
    entries = {e["address"]: e for e in json.loads(result.stdout)}
    assert set(entries["apps/demo:demo"]) == {"address", "error"}
    assert "apps/demo/Dockerfile:1" in entries["apps/demo:demo"]["error"]
    assert "apps/demo:demo: apps/demo/Dockerfile:1" in result.stderr
    # Every other image and chart is shown in full.
    assert {"apps/webui:webui", "dockerfiles:ui", "dockerfiles:python-base", "charts/tinyolly:tinyolly"} <= set(entries)
    assert entries["apps/webui:webui"]["copied_files"]
    assert entries["charts/tinyolly:tinyolly"]["images"]
