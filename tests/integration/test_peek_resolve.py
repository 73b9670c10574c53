"""`oci-peek --oci-peek-resolve` against the real registry and builder: base digests per platform
and the content key are the ones `package` builds with and records."""

from __future__ import annotations

import json
import re
from typing import Iterator

import pytest

from tests.e2e.conftest import PantsRepo, copy_repo, init_git

pytestmark = [pytest.mark.integration, pytest.mark.slow]

WEBUI = "apps/webui:webui"
DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory, machine_environ: dict) -> Iterator[PantsRepo]:
    root = tmp_path_factory.mktemp("peek") / "repo"
    copy_repo(root)
    init_git(root)
    pants_repo = PantsRepo(root, dict(machine_environ))
    try:
        yield pants_repo
    finally:
        pants_repo.stop_pantsd()


def test_resolved_peek_matches_what_package_records(repo: PantsRepo) -> None:
    (peeked,) = json.loads(repo.run("oci-peek", "--oci-peek-resolve", WEBUI, timeout=1800).stdout)
    bases = {b["reference"]: b["digests"] for b in peeked["bases"]}
    assert set(bases) == {"node:18-bookworm-slim", "busybox:1.35"}
    for digests in bases.values():
        assert set(digests) == {"linux/amd64", "linux/arm64"}
        assert all(DIGEST.match(d) for d in digests.values())
    # `FROM --platform=$BUILDPLATFORM node...`: both targets build on the build machine's node.
    assert bases["node:18-bookworm-slim"]["linux/amd64"] == bases["node:18-bookworm-slim"]["linux/arm64"]
    # `FROM busybox:1.35`: each target platform pulls its own manifest.
    assert bases["busybox:1.35"]["linux/amd64"] != bases["busybox:1.35"]["linux/arm64"]

    repo.run("package", WEBUI, timeout=1800)
    recorded = json.loads((repo.root / "dist/images/tinyolly/webui/image.json").read_text())
    assert peeked["content_key"] == recorded["inputs_hash"]
    assert peeked["platforms"] == recorded["platforms"]
    assert peeked["index_digest"] == recorded["index_digest"]
