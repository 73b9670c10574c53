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
