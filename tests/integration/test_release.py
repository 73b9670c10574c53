"""`./pants release` on a copy of the example against real registries on 127.0.0.1, real builders.

Two `docker-registry` instances are started per module: `plain` (plain HTTP, no auth, reached
through a proxy that can kill it at the first blob upload) and `auth` (htpasswd, under the path
prefix `team`). Everything is read back from the registries themselves (tag lists, raw
manifests, the registry's own log of completed blob uploads), not from what `release` printed.
The tests run in order and share the registries: each starts from the state the previous left.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import subprocess
import tempfile
import threading
import uuid
from pathlib import Path
from typing import Iterator

import pytest

from shipyard.helm.rendered_images import rendered_images
from shipyard.image_ref import ImageRef
from tests.e2e.conftest import PantsRepo, copy_repo, init_git
from tests.integration.registry_server import KillingProxy, RegistryServer
from tests.integration.test_helm_charts import helm_python, run_driver

pytestmark = [pytest.mark.integration, pytest.mark.slow]

IMAGES = {
    "dockerfiles:python-base": "tinyolly/python-base",
    "dockerfiles:ui": "tinyolly/ui",
    "dockerfiles:receiver": "tinyolly/receiver",
    "apps/opamp-server:opamp-server": "tinyolly/opamp-server",
    "apps/webui:webui": "tinyolly/webui",
    "apps/demo:demo": "tinyolly/demo",
}
CHARTS = {
    "charts/tinyolly:tinyolly": "tinyolly",
    "charts/tinyolly-demos:tinyolly-demos": "tinyolly-demos",
    "charts/common:common": "common",
}
# The repo images each chart's default render deploys.
CHART_IMAGES = {
    "charts/tinyolly:tinyolly": {"dockerfiles:ui", "dockerfiles:receiver", "apps/opamp-server:opamp-server", "apps/webui:webui"},
    "charts/tinyolly-demos:tinyolly-demos": {"apps/demo:demo"},
    "charts/common:common": set(),
}
USER = "ci-bot"
PASSWORD = f"pw-{uuid.uuid4().hex}"  # unique per run: found anywhere, it came from this run


class Setup:
    def __init__(self, repo: PantsRepo, plain: RegistryServer, proxy: KillingProxy, auth: RegistryServer) -> None:
        self.repo, self.plain, self.proxy, self.auth = repo, plain, proxy, auth

    def registries(self) -> dict[str, tuple[RegistryServer, str]]:
        """alias → (server, repository prefix in it)."""
        return {"plain": (self.plain, ""), "auth": (self.auth, "team/")}

    def release(self, *args: str, env: dict | None = None, check: bool = True, timeout: float = 3600):
        runner = PantsRepo(self.repo.root, {**self.repo.env, **(env or {})})
        return runner.run("release", *args, check=check, timeout=timeout)

    def record(self) -> dict:
        return json.loads((self.repo.root / "dist" / "release.json").read_text())

    def uploads(self) -> int:
        return self.plain.blob_uploads() + self.auth.blob_uploads()

    def image_uploads(self) -> int:
        """Blob uploads to image repositories (not to the charts' ones)."""
        repositories = self.plain.blob_upload_repositories() + self.auth.blob_upload_repositories()
        return sum("charts/" not in r for r in repositories)

    def chart_tags(self) -> dict[tuple[str, str], set[str]]:
        return {
            (alias, f"{prefix}charts/{name}"): server.tags(f"{prefix}charts/{name}")
            for alias, (server, prefix) in self.registries().items()
            for name in CHARTS.values()
        }

    def sha(self) -> str:
        return self.repo.git("rev-parse", "HEAD").strip()


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory, machine_environ: dict) -> Iterator[Setup]:
    base = tmp_path_factory.mktemp("release")
    root = base / "repo"
    copy_repo(root)
    init_git(root)
    plain = RegistryServer(base / "plain")
    auth = RegistryServer(base / "auth", (USER, PASSWORD))
    plain.start()
    auth.start()
    proxy = KillingProxy(plain)
    env = dict(machine_environ)
    env["PANTS_OCI_BUILDER"] = "buildah"
    # Pants reads dict options as Python literals.
    env["PANTS_OCI_REGISTRIES"] = repr(
        {
            "plain": {"address": proxy.address, "insecure": True},
            "auth": {
                "address": f"{auth.address}/team",
                "insecure": True,
                "username_env": "REG_USER",
                "password_env": "REG_PASS",
            },
        }
    )
    env["PANTS_OCI_DEFAULT_REGISTRIES"] = '["plain", "auth"]'
    env["REG_USER"] = USER
    env["REG_PASS"] = PASSWORD
    repo = PantsRepo(root, env)
    try:
        yield Setup(repo, plain, proxy, auth)
    finally:
        repo.stop_pantsd()
        proxy.close()
        plain.stop()
        auth.stop()


def index_platforms(raw: bytes) -> set[tuple[str, str]]:
    index = json.loads(raw)
    assert index["mediaType"] == "application/vnd.oci.image.index.v1+json"
    return {(m["platform"]["os"], m["platform"]["architecture"]) for m in index["manifests"]}


def test_release_publishes_every_image_with_both_platforms_and_exactly_the_expected_tags(setup: Setup) -> None:
    setup.release("::")
    record = setup.record()
    assert record["status"] == "succeeded"
    by_address = {image["address"]: image for image in record["images"]}
    assert set(by_address) == set(IMAGES)
    sha7 = setup.sha()[:7]
    for address, repository in IMAGES.items():
        image = by_address[address]
        expected = {"dev", f"sha-{sha7}", f"inputs-{image['key']}"}
        # Besides, the record of the image's key inputs, named after its digest.
        record_tag = image["index_digest"].replace(":", "-") + ".inputs"
        for alias, (server, prefix) in setup.registries().items():
            name = prefix + repository
            assert server.tags(name) == expected | {record_tag}, (alias, name)
            inputs = json.loads(server.manifest(name, record_tag))
            assert inputs["artifactType"] == "application/vnd.shipyard.key-inputs.v1+json"
            digests = {"sha256:" + hashlib.sha256(server.manifest(name, t)).hexdigest() for t in expected}
            assert digests == {image["index_digest"]}, (alias, name, "every tag names the same index")
            assert index_platforms(server.manifest(name, "dev")) == {("linux", "amd64"), ("linux", "arm64")}
        assert set(image["platforms"]) == {"linux/amd64", "linux/arm64"}
    # Bases first: python-base's index was complete in the registry before ui's and receiver's
    # (the example's names sort that way too; tests/unit/publish/test_plan.py checks the order).
    order = setup.auth.manifest_order()
    for app in ("team/tinyolly/ui", "team/tinyolly/receiver"):
        assert order.index("team/tinyolly/python-base") < order.index(app)
    # Charts after every image.
    assert max(order.index(f"team/{r}") for r in IMAGES.values()) < min(order.index(f"team/charts/{c}") for c in CHARTS.values())


def test_charts_are_pushed_to_every_registry_stamped_with_the_digests_in_that_registry(setup: Setup, tmp_path: Path) -> None:
    record = setup.record()
    digests = {image["address"]: image["index_digest"] for image in record["images"]}
    charts = {(c["address"], c["registry"]): c for c in record["charts"]}
    assert set(charts) == {(address, alias) for address in CHARTS for alias in setup.registries()}
    for (address, alias), chart in charts.items():
        server, prefix = setup.registries()[alias]
        name = f"{prefix}charts/{CHARTS[address]}"
        assert chart["status"] == "pushed"
        assert server.tags(name) == {"0.1.0", f"inputs-{chart['key']}"}, (alias, name)
        for tag in ("0.1.0", f"inputs-{chart['key']}"):
            assert "sha256:" + hashlib.sha256(server.manifest(name, tag)).hexdigest() == chart["digest"]
        assert set(chart["images"]) == CHART_IMAGES[address]

    # Pull each chart from the plain registry and render it with Helm's SDK: every repo image it
    # deploys names, in that registry, the digest published for it.
    python = helm_python()
    for address, name in CHARTS.items():
        reference = f"oci://{setup.proxy.address}/charts/{name}:0.1.0"
        pulled = run_driver(python, tmp_path, {"command": "pull", "reference": reference, "plain_http": True, "output_dir": name})
        rendered = run_driver(python, tmp_path / name, {"command": "render", "archive": pulled["archive"]})["rendered"]
        ours = {}
        for image in rendered_images(rendered):
            ref = ImageRef.parse(image.reference)
            owner = next((a for a, r in IMAGES.items() if ref.repository.endswith(r)), None)
            if owner is not None:
                assert ref.registry == setup.proxy.address, image
                ours.setdefault(owner, set()).add(ref.digest)
        assert ours == {a: {digests[a]} for a in CHART_IMAGES[address]}, name


def test_second_release_builds_nothing_and_pushes_no_blob(setup: Setup) -> None:
    before = setup.uploads()
    result = setup.release("::")
    assert setup.uploads() == before
    assert ": building" not in result.stderr
    assert "Building " not in result.stderr  # no builder process ran either
    statuses = {r["status"] for image in setup.record()["images"] for r in image["registries"]}
    assert statuses == {"present"}
    assert {c["status"] for c in setup.record()["charts"]} == {"present"}


def test_a_new_machine_finds_everything_published_without_a_builder_or_helm(setup: Setup, tmp_path: Path) -> None:
    """A CI machine with an empty Pants store: image keys come from the inputs and chart keys from
    the stamped files, so with every key in the registries neither a builder nor Helm runs."""
    before = setup.uploads()
    result = setup.release("::", "--no-pantsd", f"--local-store-dir={tmp_path / 'store'}", "-ldebug")
    assert setup.uploads() == before
    # Both rules log their completion at debug level: the second shows that such lines are logged.
    assert "Completed: Run Helm" not in result.stderr
    assert "Completed: Compute a Helm chart's release key" in result.stderr
    assert "Completed: Building " not in result.stderr  # no image, nor Helm's PEX
    assert {c["status"] for c in setup.record()["charts"]} == {"present"}
    assert {c["version"] for c in setup.record()["charts"]} == {"0.1.0"}


def test_a_chart_deploying_an_unpinned_image_is_refused_before_anything_is_pushed(setup: Setup) -> None:
    template = setup.repo.root / "charts/tinyolly-demos/templates/frontend.yaml"
    original = template.read_text()
    # A sidecar written literally in the template: values stamping cannot reach it.
    sidecar = "        - name: sidecar\n          image: tinyolly/ui:latest\n"
    marker = "      containers:\n"
    assert marker in original
    template.write_text(original.replace(marker, marker + sidecar, 1))
    uploads, tags = setup.uploads(), all_tags(setup)
    try:
        result = setup.release("::", check=False)
    finally:
        template.write_text(original)
    assert result.returncode != 0
    failures = [l for l in result.stderr.splitlines() if l.startswith("release failed:")]
    assert failures and all("charts/tinyolly-demos/templates/frontend.yaml:" in f for f in failures), result.stderr
    assert "tinyolly/ui:latest" in failures[0] and "values.yaml" in failures[0]
    assert "Nothing was pushed" in result.stderr and "Traceback" not in result.stderr
    assert setup.uploads() == uploads and all_tags(setup) == tags


def test_every_chart_helm_refuses_is_named_and_nothing_is_pushed(setup: Setup) -> None:
    paths = [setup.repo.root / f"charts/{name}/Chart.yaml" for name in ("tinyolly", "tinyolly-demos")]
    originals = [p.read_text() for p in paths]
    for path, text in zip(paths, originals):
        # `file://../common` is 0.1.0: Helm's dependency update refuses the chart.
        path.write_text(text.replace("  - name: common\n    version: 0.1.0", "  - name: common\n    version: 2.0.0"))
    uploads, tags = setup.uploads(), all_tags(setup)
    try:
        result = setup.release("::", check=False)
    finally:
        for path, text in zip(paths, originals):
            path.write_text(text)
    assert result.returncode != 0
    failures = [l for l in result.stderr.splitlines() if l.startswith("release failed:")]
    for name in ("tinyolly", "tinyolly-demos"):
        assert any(f"charts/{name}/Chart.yaml:" in f and f"Helm cannot package the chart charts/{name}" in f for f in failures), result.stderr
    assert "Nothing was pushed" in result.stderr and "Traceback" not in result.stderr
    assert setup.uploads() == uploads and all_tags(setup) == tags


def add_tiny_image(setup: Setup, text: str) -> None:
    """A quick image (no RUN step) to change between runs, committed so HEAD's sha moves."""
    setup.repo.write("apps/tiny/Dockerfile", "FROM busybox:1.35\nCOPY hello.txt /hello.txt\n")
    setup.repo.write("apps/tiny/hello.txt", text)
    setup.repo.write("apps/tiny/BUILD", 'oci_image(name="tiny", repository="tinyolly/tiny")\n\nfiles(name="files", sources=["hello.txt"])\n')
    setup.repo.git("add", "-A")
    setup.repo.git("commit", "-q", "-m", f"tiny: {text.strip()}")


def all_tags(setup: Setup) -> dict[tuple[str, str], set[str]]:
    return {
        (alias, prefix + repository): server.tags(prefix + repository)
        for alias, (server, prefix) in setup.registries().items()
        for repository in [*IMAGES.values(), "tinyolly/tiny"]
    }


def test_dry_run_shows_what_would_happen_and_pushes_nothing(setup: Setup) -> None:
    add_tiny_image(setup, "hello 1\n")
    tags_before, uploads_before = all_tags(setup), setup.uploads()
    result = setup.release("--dry-run", "::")
    sha7 = setup.sha()[:7]
    lines = result.stdout.splitlines()
    tiny = lines.index(next(l for l in lines if l.startswith("apps/tiny:tiny ")))
    assert "plain: missing: would build and push" in lines[tiny + 1]
    assert f"would tag {setup.proxy.address}/tinyolly/tiny:dev, {setup.proxy.address}/tinyolly/tiny:sha-{sha7}" in "\n".join(lines)
    assert sum("present as" in l for l in lines) == 2 * len(IMAGES)
    assert all_tags(setup) == tags_before
    assert setup.uploads() == uploads_before
    assert "Building " not in result.stderr


def test_registry_killed_mid_run_moves_no_tag_and_rerun_completes(setup: Setup) -> None:
    tags_before = all_tags(setup)
    sha7 = setup.sha()[:7]
    setup.proxy.armed = True
    try:
        result = setup.release("::", check=False)
    finally:
        setup.proxy.armed = False
    assert setup.proxy.killed.is_set(), "the registry was not killed: nothing was pushed?"
    setup.plain.start()
    assert result.returncode != 0
    assert "registry `plain`" in result.stderr
    assert "pushing" in result.stderr and "tinyolly/tiny" in result.stderr
    assert "Traceback" not in result.stderr
    assert all_tags(setup) == tags_before, "a tag moved although a push failed"
    assert not any(f"sha-{sha7}" in tags for tags in all_tags(setup).values())

    setup.release("::")
    after = all_tags(setup)
    for (alias, name), tags in after.items():
        assert f"sha-{sha7}" in tags and "dev" in tags, (alias, name)
    tiny = next(i for i in setup.record()["images"] if i["address"] == "apps/tiny:tiny")
    for alias, (server, prefix) in setup.registries().items():
        raw = server.manifest(prefix + "tinyolly/tiny", "dev")
        assert "sha256:" + hashlib.sha256(raw).hexdigest() == tiny["index_digest"]
        assert index_platforms(raw) == {("linux", "amd64"), ("linux", "arm64")}


def test_a_refused_repository_fails_the_run_naming_it_and_moves_no_tag(setup: Setup) -> None:
    add_tiny_image(setup, "hello 3\n")
    tags_before = all_tags(setup)
    setup.proxy.refused = "tinyolly/tiny"
    try:
        result = setup.release("::", check=False)
    finally:
        setup.proxy.refused = None
    assert result.returncode != 0
    failures = [l for l in result.stderr.splitlines() if l.startswith("release failed:")]
    assert len(failures) == 1, result.stderr
    assert "registry `plain`" in failures[0] and "403" in failures[0] and "tinyolly/tiny" in failures[0]
    assert all_tags(setup) == tags_before
    setup.release("::")
    sha7 = setup.sha()[:7]
    assert all(f"sha-{sha7}" in tags for tags in all_tags(setup).values())


def test_wrong_credentials_give_one_clear_message(setup: Setup) -> None:
    tags_before = all_tags(setup)
    result = setup.release("::", env={"REG_PASS": "not-the-password"}, check=False)
    assert result.returncode != 0
    failures = [l for l in result.stderr.splitlines() if l.startswith("release failed:")]
    assert len(failures) == 1, result.stderr
    assert "registry `auth`" in failures[0] and "401" in failures[0] and "REG_USER and REG_PASS" in failures[0]
    assert "Traceback" not in result.stderr
    assert all_tags(setup) == tags_before


def test_unset_credential_variables_are_named(setup: Setup) -> None:
    env = {k: v for k, v in setup.repo.env.items() if k != "REG_PASS"}
    result = PantsRepo(setup.repo.root, env).run("release", "::", check=False)
    assert result.returncode != 0
    assert "REG_PASS is not set" in result.stderr


def test_a_branch_tag_no_registry_accepts_stops_the_run_before_anything_is_pushed(setup: Setup) -> None:
    tags, uploads = all_tags(setup), setup.uploads()
    result = setup.release("--release-branch-tag=release/next", "::", check=False)
    assert result.returncode == 1
    assert "the branch tag 'release/next' (`[release].branch_tag`) cannot be an image tag" in result.stderr
    assert "Nothing was pushed, and no tag was moved." in result.stderr
    assert "Traceback" not in result.stderr
    assert (all_tags(setup), setup.uploads()) == (tags, uploads)


def test_names_no_registry_accepts_stop_the_run_before_anything_is_pushed(setup: Setup) -> None:
    """Helm allows a chart name, and Pants a repository, that are not OCI repository names."""
    chart_yaml, build = setup.repo.root / "charts/tinyolly-demos/Chart.yaml", setup.repo.root / "apps/demo/BUILD"
    texts = {chart_yaml: chart_yaml.read_text(), build: build.read_text()}
    chart_yaml.write_text(texts[chart_yaml].replace("name: tinyolly-demos", "name: TinyollyDemos", 1))
    build.write_text(texts[build].replace('repository="tinyolly/demo"', 'repository="TinyOlly/demo"', 1))
    tags, uploads = all_tags(setup), setup.uploads()
    try:
        result = setup.release("::", check=False)
    finally:
        for path, text in texts.items():
            path.write_text(text)
    assert result.returncode == 1
    assert "charts/tinyolly-demos:tinyolly-demos: chart 'TinyollyDemos' cannot be pushed to oci://" in result.stderr
    assert f"apps/demo:demo: cannot be pushed to {setup.proxy.address}/TinyOlly/demo: repository 'TinyOlly/demo' must be lower-case" in result.stderr
    assert '`repository="tinyolly/demo"`' in result.stderr
    assert "Nothing was pushed, and no tag was moved." in result.stderr
    assert (all_tags(setup), setup.uploads()) == (tags, uploads)


def test_version_tag_moves_semver_tags_and_latest(setup: Setup) -> None:
    setup.repo.git("tag", "v1.2.0")
    uploads = setup.image_uploads()
    setup.release("::")
    assert setup.image_uploads() == uploads
    for (alias, name), tags in all_tags(setup).items():
        assert {"v1.2.0", "v1.2", "v1", "latest"} <= tags, (alias, name)
    # Charts are published as the version without the `v`, besides the Chart.yaml one.
    for (alias, name), tags in setup.chart_tags().items():
        assert {"0.1.0", "1.2.0"} <= tags, (alias, name)
    assert {c["version"] for c in setup.record()["charts"]} == {"1.2.0"}


def test_build_metadata_in_a_version_tag_is_published_as_helm_stores_it(setup: Setup) -> None:
    """`+` is not allowed in an OCI tag: SemVer build metadata is stored after a `_`, as Helm
    stores a chart version's, for images and charts alike, and every tag of the run moves. With
    `v1.2.0` at HEAD too, images get both versions' tags, charts the highest version."""
    setup.repo.git("tag", "v1.2.1+build.7")
    try:
        setup.release("::")
        for (alias, name), tags in all_tags(setup).items():
            if not tags:
                continue  # a repository no release has pushed to (yet)
            assert {"v1.2.0", "v1.2.1_build.7", "v1.2", "v1", "latest"} <= tags, (alias, name)
            server = setup.plain if alias == "plain" else setup.auth
            assert server.manifest(name, "v1.2.1_build.7") == server.manifest(name, "latest"), (alias, name)
        for (alias, name), tags in setup.chart_tags().items():
            assert "1.2.1_build.7" in tags, (alias, name)
        assert {c["version"] for c in setup.record()["charts"]} == {"1.2.1+build.7"}
        images = setup.record()["images"]
        assert all("v1.2.1_build.7" in i["tags"] for i in images), images
    finally:
        setup.repo.git("tag", "-d", "v1.2.1+build.7")


def test_changed_since_publishes_exactly_what_a_change_affects(setup: Setup) -> None:
    """An app edit republishes that app and the chart deploying it; the chart's other images are
    stamped from the registry and keep their tags; a README edit publishes nothing."""
    before_tags, before_charts = all_tags(setup), setup.chart_tags()
    setup.repo.write("apps/webui/src/render.ts", (setup.repo.root / "apps/webui/src/render.ts").read_text() + "\n// edited\n")
    setup.repo.git("commit", "-qam", "webui: edit")
    sha7 = setup.sha()[:7]
    runner = PantsRepo(setup.repo.root, setup.repo.env)
    # Why webui is rebuilt, answered by the registry: the inputs record stored with the digest
    # its `dev` tag names, diffed with the new key's inputs, names exactly the edited file.
    published = "sha256:" + hashlib.sha256(setup.plain.manifest("tinyolly/webui", "dev")).hexdigest()
    preview = runner.run("--changed-since=HEAD~1", "release", "--dry-run").stdout.splitlines()
    why = preview.index(f"  why: its inputs differ from {setup.proxy.address}/tinyolly/webui@{published}'s:")
    assert preview[why - 1] == "apps/webui:webui: would be built"
    assert [l for l in preview[why + 1 :] if l.startswith("    ")] == ["    file changed: apps/webui/src/render.ts"]
    runner.run("--changed-since=HEAD~1", "release")
    record = setup.record()
    webui_why = next(i for i in record["images"] if i["address"] == "apps/webui:webui")["why"]
    assert webui_why["changes"] == ["file changed: apps/webui/src/render.ts"]
    pushed = {i["address"] for i in record["images"] if {r["status"] for r in i["registries"]} == {"pushed"}}
    assert pushed == {"apps/webui:webui"}
    # The chart's other images joined the run only to stamp it: present, and not retagged.
    assert {i["address"] for i in record["images"]} == CHART_IMAGES["charts/tinyolly:tinyolly"]
    assert {(c["address"], c["status"]) for c in record["charts"]} == {("charts/tinyolly:tinyolly", "pushed")}
    webui = next(i for i in record["images"] if i["address"] == "apps/webui:webui")
    for (alias, name), tags in all_tags(setup).items():
        if name.endswith("tinyolly/webui"):
            assert f"sha-{sha7}" in tags and "dev" in tags
        else:
            assert tags == before_tags[(alias, name)], (alias, name)
    for chart in record["charts"]:
        assert chart["images"]["apps/webui:webui"].endswith(webui["index_digest"])
    after_charts = setup.chart_tags()
    assert {k for k in after_charts if after_charts[k] != before_charts[k]} == {
        (alias, f"{prefix}charts/tinyolly") for alias, (_, prefix) in setup.registries().items()
    }

    uploads = setup.uploads()
    setup.repo.write("README.md", (setup.repo.root / "README.md").read_text() + "\nEdited.\n")
    setup.repo.git("commit", "-qam", "docs: edit")
    result = runner.run("--changed-since=HEAD~1", "release")
    assert "no image or chart to publish" in result.stderr
    assert setup.uploads() == uploads

    # A values tag: only the chart is republished; its image is stamped from the registry.
    tags, charts = all_tags(setup), setup.chart_tags()
    values = setup.repo.root / "charts/tinyolly-demos/values.yaml"
    values.write_text(values.read_text().replace("tag: latest", "tag: stable", 1))
    setup.repo.git("commit", "-qam", "demos: tag stable")
    runner.run("--changed-since=HEAD~1", "release")
    record = setup.record()
    assert [(i["address"], {r["status"] for r in i["registries"]}) for i in record["images"]] == [("apps/demo:demo", {"present"})]
    assert {(c["address"], c["status"]) for c in record["charts"]} == {("charts/tinyolly-demos:tinyolly-demos", "pushed")}
    assert all_tags(setup) == tags
    after = setup.chart_tags()
    assert {k for k in after if after[k] != charts[k]} == {
        (alias, f"{prefix}charts/tinyolly-demos") for alias, (_, prefix) in setup.registries().items()
    }


def pushed(record: dict) -> tuple[set[str], set[str]]:
    """(images, charts) the release pushed to every registry."""
    images = {i["address"] for i in record["images"] if {r["status"] for r in i["registries"]} == {"pushed"}}
    chart_statuses: dict[str, set[str]] = {}
    for chart in record["charts"]:
        chart_statuses.setdefault(chart["address"], set()).add(chart["status"])
    return images, {a for a, statuses in chart_statuses.items() if statuses == {"pushed"}}


def test_a_shared_library_edit_republishes_the_base_the_images_on_it_and_their_chart(setup: Setup) -> None:
    lib = setup.repo.root / "libs/tinyolly_common/models.py"
    lib.write_text(lib.read_text() + "\n# edited\n")
    setup.repo.git("commit", "-qam", "lib: edit")
    PantsRepo(setup.repo.root, setup.repo.env).run("--changed-since=HEAD~1", "release")
    record = setup.record()
    assert pushed(record) == ({"dockerfiles:python-base", "dockerfiles:ui", "dockerfiles:receiver"}, {"charts/tinyolly:tinyolly"})
    why = {i["address"]: i["why"]["changes"] for i in record["images"] if "why" in i}
    assert why["dockerfiles:python-base"] == ["file changed: libs/tinyolly_common/models.py"]
    assert why["dockerfiles:ui"] == ["repo base dockerfiles:python-base changed (its own inputs did)"]


def test_a_deleted_copied_file_is_republished_by_release_all(setup: Setup) -> None:
    """`--changed-since` cannot see a deletion (Pants 2.17); `release ::` can: the key decides."""
    setup.repo.git("rm", "-q", "apps/webui/public/styles.css")
    setup.repo.git("commit", "-qm", "webui: drop the stylesheet")
    setup.release("::")
    record = setup.record()
    assert pushed(record) == ({"apps/webui:webui"}, {"charts/tinyolly:tinyolly"})
    webui = next(i for i in record["images"] if i["address"] == "apps/webui:webui")
    assert webui["why"]["changes"] == ["file removed: apps/webui/public/styles.css"]


def test_a_new_registry_gets_the_published_digests_without_a_build(setup: Setup, tmp_path: Path) -> None:
    extra = RegistryServer(tmp_path / "extra")
    extra.start()
    try:
        registries = ast.literal_eval(setup.repo.env["PANTS_OCI_REGISTRIES"])
        registries["extra"] = {"address": extra.address, "insecure": True}
        result = setup.release(
            "::",
            env={"PANTS_OCI_REGISTRIES": repr(registries), "PANTS_OCI_DEFAULT_REGISTRIES": '["plain", "auth", "extra"]'},
        )
        assert ": building" not in result.stderr and "Building " not in result.stderr
        for image in setup.record()["images"]:
            name = IMAGES.get(image["address"], "tinyolly/tiny")
            raw = extra.manifest(name, f"inputs-{image['key']}")
            assert "sha256:" + hashlib.sha256(raw).hexdigest() == image["index_digest"]
            assert "sha256:" + hashlib.sha256(setup.plain.manifest(name, "dev")).hexdigest() == image["index_digest"]
            assert index_platforms(raw) == {("linux", "amd64"), ("linux", "arm64")}
    finally:
        extra.stop()


def test_password_appears_in_no_log_argv_environment_dist_or_cache(setup: Setup) -> None:
    # Something to push, through the auth registry too: an image, and a chart (pushed by Helm).
    values = setup.repo.root / "charts/tinyolly-demos/values.yaml"
    values.write_text(values.read_text().replace("replicas: 1", "replicas: 2", 1))
    add_tiny_image(setup, "hello 2\n")
    cmdlines: set[bytes] = set()
    # The environments of the processes Pants starts to talk to registries (the image pusher and
    # the Helm driver); Pants itself was started with the password in its environment.
    environments: dict[bytes, bytes] = {}
    done = threading.Event()

    def capture() -> None:
        while not done.is_set():
            for proc in Path("/proc").iterdir():
                try:
                    cmdline = (proc / "cmdline").read_bytes()
                    cmdlines.add(cmdline)
                    if b"pusher.py" in cmdline or b"__shipyard_helm_request.json" in cmdline:
                        environments[cmdline] = (proc / "environ").read_bytes()
                except OSError:
                    pass
            done.wait(0.02)

    logins_before = set(Path(tempfile.gettempdir()).glob("shipyard-login-*"))
    thread = threading.Thread(target=capture, daemon=True)
    thread.start()
    try:
        # Without pantsd and at debug level, Pants logs each Process it starts, environment
        # included, to the console and to .pants.d.
        result = setup.release("::", "--no-pantsd", "-ldebug")
    finally:
        done.set()
        thread.join()
    assert any(b"skopeo" in c for c in cmdlines), "no push was captured"
    assert any(b"skopeo" in c and b"copy" in c for c in cmdlines)
    # A login file's path: the pusher's (SHIPYARD_REGISTRY_LOGIN_FILE) or the Helm driver's.
    logins = [e for e in environments.values() if b"SHIPYARD_HELM_REGISTRY_CREDENTIALS=" in e or b"SHIPYARD_REGISTRY_LOGIN_FILE=" in e]
    assert logins, f"no login was captured among {len(environments)} registry processes"
    demos = [c for c in setup.record()["charts"] if c["chart"] == "tinyolly-demos"]
    assert {c["registry"]: c["status"] for c in demos} == {"plain": "pushed", "auth": "pushed"}
    secret = PASSWORD.encode()
    assert secret not in (result.stdout + result.stderr).encode()
    assert not [c for c in cmdlines if secret in c]
    assert not [c for c, e in environments.items() if secret in e]
    assert set(Path(tempfile.gettempdir()).glob("shipyard-login-*")) <= logins_before  # each login file is gone
    found = []
    home = Path(os.path.expanduser("~"))
    for directory in (setup.repo.root / "dist", setup.repo.root / ".pants.d", home / ".cache" / "pants"):
        if directory.exists():
            grep = subprocess.run(["grep", "-rlaF", PASSWORD, str(directory)], capture_output=True, text=True)
            found += grep.stdout.split()
    assert found == []
