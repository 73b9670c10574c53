"""`./pants package` on a copy of the example with real builders, read back from dist/.

Checked by reading what was written (OCI index platforms, image configs, layer contents, the
packaged chart as Helm renders it), and builder runs are counted by a wrapper on the builder's
executable, not inferred from exit codes.
"""

from __future__ import annotations

import difflib
import gzip
import hashlib
import io
import json
import os
import re
import stat
import subprocess
import tarfile
from pathlib import Path
from typing import Iterator

import pytest

from tests.e2e.conftest import PantsRepo, copy_repo, init_git

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ELF_MACHINE = {"amd64": 62, "arm64": 183}
HELM_ORACLE = Path(__file__).resolve().parents[2] / "tools" / "helm-oracle"


class Layout:
    """An OCI image layout written by `package`, with its index and per-platform images."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def blob(self, digest: str) -> bytes:
        return (self.root / "blobs" / "sha256" / digest.split(":", 1)[1]).read_bytes()

    def json_blob(self, digest: str) -> dict:
        return json.loads(self.blob(digest))

    def index(self) -> dict:
        (descriptor,) = json.loads((self.root / "index.json").read_text())["manifests"]
        return self.json_blob(descriptor["digest"])

    def manifest(self, arch: str) -> dict:
        (descriptor,) = [m for m in self.index()["manifests"] if m["platform"]["architecture"] == arch]
        return self.json_blob(descriptor["digest"])

    def config(self, arch: str) -> dict:
        return self.json_blob(self.manifest(arch)["config"]["digest"])

    def file(self, arch: str, path: str) -> bytes:
        """A file's content from the image's layers (the topmost layer holding it)."""
        for layer in reversed(self.manifest(arch)["layers"]):
            data = self.blob(layer["digest"])
            with tarfile.open(fileobj=io.BytesIO(data)) as tar:
                for member in tar.getmembers():
                    if member.name.lstrip("./") == path.lstrip("/") and member.isfile():
                        extracted = tar.extractfile(member)
                        assert extracted is not None
                        return extracted.read()
        raise AssertionError(f"{path} is in no layer of the {arch} image")


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory, machine_environ: dict) -> Iterator[PantsRepo]:
    root = tmp_path_factory.mktemp("package") / "repo"
    copy_repo(root)
    init_git(root)
    # Count builder runs: a wrapper first on the search path runs buildah and logs each call that
    # completed (a build Pants cancels and restarts, e.g. when a file event arrives late, is not one).
    wrappers = root.parent / "wrappers"
    wrappers.mkdir()
    counter = root.parent / "buildah-calls.log"
    wrapper = wrappers / "buildah"
    wrapper.write_text(
        f'#!/bin/sh\n/usr/bin/buildah "$@"\nrc=$?\n'
        f'[ $rc -eq 0 ] && [ "$1" = build ] && echo "$SHIPYARD_BUILD" >> {counter}\nexit $rc\n'
    )
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR)
    env = dict(machine_environ)
    env["PANTS_OCI_EXECUTABLE_SEARCH_PATHS"] = json.dumps([str(wrappers), "/usr/bin", "/bin"])
    env["PANTS_OCI_BUILDER"] = "buildah"
    pants_repo = PantsRepo(root, env)
    pants_repo.counter = counter  # type: ignore[attr-defined]
    try:
        yield pants_repo
    finally:
        pants_repo.stop_pantsd()


def builds(repo: PantsRepo) -> set[tuple[str, str]]:
    """The (target, platform) pairs `buildah build` completed since the last call.

    A set: Pants may cancel an in-flight build and start it again in the same run, which is
    redundant work but not a rebuild of something unaffected.
    """
    counter: Path = repo.counter  # type: ignore[attr-defined]
    calls = counter.read_text().splitlines() if counter.exists() else []
    counter.unlink(missing_ok=True)
    return {tuple(c.split()) for c in calls}  # type: ignore[misc]


def both(*targets: str) -> set[tuple[str, str]]:
    return {(t, p) for t in targets for p in ("linux/amd64", "linux/arm64")}


def layout(repo: PantsRepo, repository: str) -> Layout:
    return Layout(repo.root / "dist" / "images" / repository / "oci")


def test_package_builds_every_image_and_chart_for_both_platforms(repo: PantsRepo) -> None:
    repo.run("package", "::", timeout=1800)
    assert builds(repo) == both(
        "dockerfiles:python-base",
        "dockerfiles:ui",
        "dockerfiles:receiver",
        "apps/opamp-server:opamp-server",
        "apps/webui:webui",
        "apps/demo:demo",
    )

    for repository in ("python-base", "ui", "receiver", "opamp-server", "webui", "demo"):
        image = layout(repo, f"tinyolly/{repository}")
        platforms = {(m["platform"]["os"], m["platform"]["architecture"]) for m in image.index()["manifests"]}
        assert platforms == {("linux", "amd64"), ("linux", "arm64")}, repository
        for arch in ("amd64", "arm64"):
            assert image.config(arch)["architecture"] == arch
        metadata = json.loads((repo.root / "dist/images/tinyolly" / repository / "image.json").read_text())
        assert metadata["repository"] == f"tinyolly/{repository}"
        assert set(metadata["platforms"]) == {"linux/amd64", "linux/arm64"}

    # The arm64 variants really hold arm64 code: the Go binary, and the Python interpreter that
    # python-base's RUN pip install ran under emulation.
    opamp = layout(repo, "tinyolly/opamp-server")
    for arch, machine in ELF_MACHINE.items():
        elf = opamp.file(arch, "opamp-server")
        assert int.from_bytes(elf[18:20], "little") == machine
        python = layout(repo, "tinyolly/python-base").file(arch, "usr/bin/python3.11")
        assert int.from_bytes(python[18:20], "little") == machine

    for chart in ("tinyolly-0.1.0.tgz", "tinyolly-demos-0.1.0.tgz", "common-0.1.0.tgz"):
        assert (repo.root / "dist" / chart).is_file()


def registry_layers(machine_environ: dict, reference: str, arch: str) -> list[dict]:
    """The layer descriptors of `reference` for linux/`arch` as the machine's registry serves them."""
    raw = subprocess.run(
        ["skopeo", "inspect", "--raw", "--override-os", "linux", "--override-arch", arch,
         "--registries-conf", machine_environ["CONTAINERS_REGISTRIES_CONF"], f"docker://{reference}"],
        check=True, capture_output=True, env=machine_environ,
    ).stdout
    document = json.loads(raw)
    if "manifests" in document:  # an index: the platform's manifest, by digest
        (entry,) = [m for m in document["manifests"] if m["platform"]["architecture"] == arch]
        name = reference.rsplit(":", 1)[0]
        return registry_layers(machine_environ, f"{name}@{entry['digest']}", arch)
    return document["layers"]


def blobs(layers: list[dict]) -> list[tuple[str, int]]:
    """The (digest, size) of each layer descriptor: which blob it is, whatever else it says."""
    return [(layer["digest"], layer["size"]) for layer in layers]


def test_images_take_base_layers_as_their_base_and_registry_hold_them(repo: PantsRepo, machine_environ: dict) -> None:
    """The export does not compress a base layer again: an app's base layers are python-base's
    blobs, and python-base's are the registry's own blobs of python:3.11-slim-bookworm, as
    webui's are busybox's."""
    repo.run("package", "::", timeout=1800)
    base, ui = layout(repo, "tinyolly/python-base"), layout(repo, "tinyolly/ui")
    webui = layout(repo, "tinyolly/webui")
    for arch in ("amd64", "arm64"):
        for image in (base, ui):
            for layer in image.manifest(arch)["layers"]:
                blob = image.blob(layer["digest"])
                assert "sha256:" + hashlib.sha256(blob).hexdigest() == layer["digest"] and len(blob) == layer["size"]
                assert layer["mediaType"] == "application/vnd.oci.image.layer.v1.tar+gzip"
        base_layers = base.manifest(arch)["layers"]
        assert ui.manifest(arch)["layers"][: len(base_layers)] == base_layers
        starts = {
            "docker.io/library/python:3.11-slim-bookworm": base_layers,
            # A multi-stage image starts with its last stage's base (busybox), not the build
            # stage's (node).
            "docker.io/library/busybox:1.35": webui.manifest(arch)["layers"],
        }
        for reference, layers in starts.items():
            upstream = blobs(registry_layers(machine_environ, reference, arch))
            assert blobs(layers[: len(upstream)]) == upstream, reference
        # Each layer is the tar its diff ID names.
        diff_ids = base.config(arch)["rootfs"]["diff_ids"]
        for layer, diff_id in zip(base_layers, diff_ids):
            tar = gzip.decompress(base.blob(layer["digest"]))
            assert "sha256:" + hashlib.sha256(tar).hexdigest() == diff_id


def test_second_package_runs_no_builder(repo: PantsRepo) -> None:
    repo.run("package", "::", timeout=1800)
    builds(repo)
    repo.run("package", "::")
    assert builds(repo) == set()


def test_app_image_is_built_on_this_runs_base(repo: PantsRepo) -> None:
    repo.run("package", "::", timeout=1800)
    before = layout(repo, "tinyolly/python-base").config("arm64")["rootfs"]["diff_ids"]
    builds(repo)
    with open(repo.root / "dockerfiles/Dockerfile.python-base", "a") as f:
        f.write("\nRUN echo rebuilt > /base-marker\n")
    try:
        repo.run("package", "::", timeout=1800)
        assert builds(repo) == both("dockerfiles:python-base", "dockerfiles:ui", "dockerfiles:receiver")

        for arch in ("amd64", "arm64"):
            base = layout(repo, "tinyolly/python-base").config(arch)["rootfs"]["diff_ids"]
            for app in ("ui", "receiver"):
                app_layers = layout(repo, f"tinyolly/{app}").config(arch)["rootfs"]["diff_ids"]
                assert app_layers[: len(base)] == base, f"{app}/{arch} is not built on this run's base"
            assert layout(repo, "tinyolly/python-base").file(arch, "base-marker") == b"rebuilt\n"
        assert base != before
    finally:
        repo.git("checkout", "-q", "--", ".")


def test_changing_one_app_file_rebuilds_only_that_image(repo: PantsRepo) -> None:
    repo.run("package", "::", timeout=1800)
    builds(repo)
    with open(repo.root / "apps/webui/src/main.ts", "a") as f:
        f.write("\n// edited\n")
    try:
        result = repo.run("package", "::", timeout=1800)
        assert builds(repo) == both("apps/webui:webui")
        assert "Building apps/webui:webui" in result.stderr
        assert "Building dockerfiles:ui" not in result.stderr
    finally:
        repo.git("checkout", "-q", "--", ".")


def test_failing_run_names_the_dockerfile_line(repo: PantsRepo) -> None:
    repo.write("apps/opamp-server/Dockerfile", (repo.root / "apps/opamp-server/Dockerfile").read_text().replace(
        "WORKDIR /src", "WORKDIR /src\nRUN echo about to fail && false", 1
    ))
    try:
        result = repo.run("package", "apps/opamp-server:opamp-server", check=False)
        assert result.returncode != 0
        line = next(
            n for n, text in enumerate((repo.root / "apps/opamp-server/Dockerfile").read_text().splitlines(), 1)
            if "false" in text
        )
        assert f"apps/opamp-server/Dockerfile:{line}: RUN echo about to fail && false" in result.stderr
        assert "about to fail" in result.stderr  # the builder's own last lines
        assert "Traceback" not in result.stderr
    finally:
        repo.git("checkout", "-q", "--", ".")


def test_chart_is_stamped_with_this_runs_images_and_renders(repo: PantsRepo) -> None:
    repo.run("package", "::", timeout=1800)
    ui_digest = json.loads((repo.root / "dist/images/tinyolly/ui/image.json").read_text())["index_digest"]
    webui_digest = json.loads((repo.root / "dist/images/tinyolly/webui/image.json").read_text())["index_digest"]
    venv = subprocess.run([str(HELM_ORACLE / "install")], check=True, capture_output=True, text=True).stdout.strip()
    python = Path(venv) / "bin" / "python"
    tgz = repo.root / "dist" / "tinyolly-0.1.0.tgz"

    lint = subprocess.run([str(python), str(HELM_ORACLE / "oracle.py"), "lint", str(tgz)], capture_output=True, text=True)
    assert lint.returncode == 0, lint.stdout + lint.stderr
    rendered = subprocess.run(
        [str(python), str(HELM_ORACLE / "oracle.py"), "template", str(tgz)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    images = set()
    for manifest in json.loads(rendered).values():
        for line in str(manifest).splitlines():
            if "image:" in line:
                images.add(line.split("image:", 1)[1].strip().strip('"'))
    assert any(ui_digest in image and "tinyolly/ui" in image for image in images), images
    assert any(webui_digest in image and "tinyolly/webui" in image for image in images), images
    assert "redis:7-alpine" in images

    # Helm packages the stamped values as they are: they differ from the source only in lines
    # that write an image's repository, tag or registry (stamping may add a `tag:`).
    with tarfile.open(tgz, "r:gz") as tar:
        member = tar.extractfile("tinyolly/values.yaml")
        assert member is not None
        packaged = member.read().decode()
    source = (repo.root / "charts/tinyolly/values.yaml").read_text()
    changed = [
        line for line in difflib.ndiff(source.splitlines(), packaged.splitlines())
        if line[:2] in ("- ", "+ ")
    ]
    assert changed, "nothing was stamped"
    assert all(re.match(r"[-+] \s*(repository|tag|registry|image):", line) for line in changed), changed


def test_docker_builder_builds_a_base_chain_for_both_platforms(repo: PantsRepo) -> None:
    env = dict(repo.env)
    env["PANTS_OCI_BUILDER"] = "docker"
    docker_repo = PantsRepo(repo.root, env)
    docker_repo.run(
        "package", "dockerfiles:python-base", "dockerfiles:ui", "apps/opamp-server:opamp-server", timeout=1800
    )
    ui = layout(repo, "tinyolly/ui")
    base = layout(repo, "tinyolly/python-base")
    for arch, machine in ELF_MACHINE.items():
        assert ui.config(arch)["architecture"] == arch
        assert ui.config(arch)["rootfs"]["diff_ids"][: len(base.config(arch)["rootfs"]["diff_ids"])] == base.config(arch)["rootfs"]["diff_ids"]
        # The base's layers are taken as the base's layout holds them, not compressed again.
        base_layers = base.manifest(arch)["layers"]
        assert ui.manifest(arch)["layers"][: len(base_layers)] == base_layers
        elf = layout(repo, "tinyolly/opamp-server").file(arch, "opamp-server")
        assert int.from_bytes(elf[18:20], "little") == machine


@pytest.mark.parametrize("builder", ["buildah", "docker"])
def test_run_steps_of_each_variant_run_that_platforms_code(repo: PantsRepo, builder: str) -> None:
    """A RUN step writes `uname -m` into the image: under emulation for arm64, natively for amd64."""
    repo.write("apps/archcheck/BUILD", 'oci_image(name="archcheck", repository="tinyolly/archcheck")\n')
    repo.write("apps/archcheck/Dockerfile", "FROM busybox:1.35\nRUN uname -m > /arch\n")
    env = dict(repo.env)
    env["PANTS_OCI_BUILDER"] = builder
    try:
        PantsRepo(repo.root, env).run("package", "apps/archcheck:archcheck", timeout=900)
        image = layout(repo, "tinyolly/archcheck")
        assert image.file("amd64", "arch") == b"x86_64\n"
        assert image.file("arm64", "arch") == b"aarch64\n"
    finally:
        repo.git("clean", "-fdq", "apps/archcheck")


def test_a_moved_external_tag_rebuilds_and_an_unmoved_one_does_not(repo: PantsRepo, machine_environ: dict) -> None:
    """External bases are pinned by digest each run: the cache follows the tag's content."""
    registry = machine_environ["SHIPYARD_REGISTRY"]
    base = f"{registry}/shipyard-test/moving-{os.getpid()}:v1"

    def point_tag_at(source: str) -> None:
        subprocess.run(
            ["skopeo", "copy", "--quiet", "--override-arch", "amd64", "--override-os", "linux",
             "--registries-conf", machine_environ["CONTAINERS_REGISTRIES_CONF"],
             "--src-tls-verify=false", "--dest-tls-verify=false",
             f"docker://{registry}/library/{source}", f"docker://{base}"],
            check=True, capture_output=True, env=machine_environ,
        )

    point_tag_at("busybox:1.35")
    builds(repo)  # forget earlier tests' builds
    repo.write("apps/moving/BUILD", 'oci_image(name="moving", repository="tinyolly/moving", platforms=["linux/amd64"])\n')
    repo.write("apps/moving/Dockerfile", f"FROM {base}\nRUN echo ok > /ok\n")
    try:
        repo.run("package", "apps/moving:moving", timeout=900)
        assert builds(repo) == {("apps/moving:moving", "linux/amd64")}
        first = layout(repo, "tinyolly/moving").config("amd64")["rootfs"]["diff_ids"]

        repo.run("package", "apps/moving:moving")
        assert builds(repo) == set()

        point_tag_at("python:3.11-slim-bookworm")
        repo.run("package", "apps/moving:moving", timeout=900)
        assert builds(repo) == {("apps/moving:moving", "linux/amd64")}
        moved = layout(repo, "tinyolly/moving").config("amd64")["rootfs"]["diff_ids"]
        assert moved[0] != first[0]
        assert layout(repo, "tinyolly/moving").file("amd64", "ok") == b"ok\n"
    finally:
        repo.git("clean", "-fdq", "apps/moving")


def test_a_moved_tag_of_a_copy_from_or_mount_from_image_rebuilds(repo: PantsRepo, machine_environ: dict) -> None:
    """`COPY --from=<image>` and `RUN --mount=from=<image>` are pinned by digest like FROM."""
    registry = machine_environ["SHIPYARD_REGISTRY"]
    source = f"{registry}/shipyard-test/copied-{os.getpid()}:v1"

    def point_tag_at(image: str) -> None:
        subprocess.run(
            ["skopeo", "copy", "--quiet", "--override-arch", "amd64", "--override-os", "linux",
             "--registries-conf", machine_environ["CONTAINERS_REGISTRIES_CONF"],
             "--src-tls-verify=false", "--dest-tls-verify=false",
             f"docker://{registry}/library/{image}", f"docker://{source}"],
            check=True, capture_output=True, env=machine_environ,
        )

    point_tag_at("busybox:1.35")
    builds(repo)  # forget earlier tests' builds
    repo.write("apps/copier/BUILD", 'oci_image(name="copier", repository="tinyolly/copier", platforms=["linux/amd64"])\n')
    repo.write(
        "apps/copier/Dockerfile",
        f"FROM {registry}/library/busybox:1.35\n"
        f"COPY --from={source} /etc/passwd /copied\n"
        f"RUN --mount=type=bind,from={source},target=/m cat /m/etc/passwd > /mounted\n",
    )
    try:
        repo.run("package", "apps/copier:copier", timeout=900)
        assert builds(repo) == {("apps/copier:copier", "linux/amd64")}
        first = layout(repo, "tinyolly/copier").file("amd64", "copied")

        repo.run("package", "apps/copier:copier")
        assert builds(repo) == set()

        point_tag_at("python:3.11-slim-bookworm")
        repo.run("package", "apps/copier:copier", timeout=900)
        assert builds(repo) == {("apps/copier:copier", "linux/amd64")}
        copied = layout(repo, "tinyolly/copier").file("amd64", "copied")
        assert copied != first
        assert layout(repo, "tinyolly/copier").file("amd64", "mounted") == copied
    finally:
        repo.git("clean", "-fdq", "apps/copier")


def test_a_single_platform_base_of_another_platform_is_an_error(repo: PantsRepo, machine_environ: dict) -> None:
    """An amd64-only base never silently becomes the base of an arm64 image."""
    registry = machine_environ["SHIPYARD_REGISTRY"]
    single = f"{registry}/shipyard-test/amd64-only-{os.getpid()}:v1"
    subprocess.run(
        ["skopeo", "copy", "--quiet", "--override-arch", "amd64", "--override-os", "linux",
         "--registries-conf", machine_environ["CONTAINERS_REGISTRIES_CONF"],
         "--src-tls-verify=false", "--dest-tls-verify=false",
         f"docker://{registry}/library/busybox:1.35", f"docker://{single}"],
        check=True, capture_output=True, env=machine_environ,
    )
    repo.write("apps/single/BUILD", 'oci_image(name="single", repository="tinyolly/single", platforms=["linux/arm64"])\n')
    repo.write("apps/single/Dockerfile", f"# amd64 only\nFROM {single}\nENV X=1\n")
    try:
        failed = repo.run("package", "apps/single:single", check=False, timeout=900)
        assert failed.returncode != 0
        assert "apps/single/Dockerfile:2" in failed.stderr
        assert "single-platform image for linux/amd64, not linux/arm64" in failed.stderr
        assert "Traceback" not in failed.stderr
        assert not builds(repo), "the error comes before any builder runs"

        repo.write("apps/single/BUILD", 'oci_image(name="single", repository="tinyolly/single", platforms=["linux/amd64"])\n')
        repo.run("package", "apps/single:single", timeout=900)
        assert builds(repo) == {("apps/single:single", "linux/amd64")}
    finally:
        repo.git("clean", "-fdq", "apps/single")


def test_onbuild_triggers_of_a_repo_base_run_in_the_child_build(repo: PantsRepo, machine_environ: dict) -> None:
    """ONBUILD of a repo base runs in its children, against the child's context, as in Docker
    (the OCI images the builders write cannot carry ONBUILD, so the child's build replays it)."""
    registry = machine_environ["SHIPYARD_REGISTRY"]
    repo.write("apps/obbase/BUILD", 'oci_image(name="obbase", repository="tinyolly/obbase", platforms=["linux/amd64"])\n')
    repo.write("apps/obbase/Dockerfile", f"FROM {registry}/library/busybox:1.35\nENV GREETING=hello\nONBUILD COPY marker.txt /marker\n")
    repo.write("apps/obchild/BUILD", 'oci_image(name="obchild", repository="tinyolly/obchild", platforms=["linux/amd64"])\nfiles(name="files", sources=["marker.txt"])\n')
    repo.write("apps/obchild/Dockerfile", "FROM tinyolly/obbase\nRUN echo $GREETING > /greeting\n")
    repo.write("apps/obchild/marker.txt", "from the child's context\n")
    try:
        deps = repo.run("dependencies", "apps/obchild:obchild").stdout.split()
        assert "apps/obchild/marker.txt:files" in deps and "apps/obbase:obbase" in deps
        repo.run("package", "apps/obchild:obchild", timeout=900)
        child = layout(repo, "tinyolly/obchild")
        assert child.file("amd64", "marker") == b"from the child's context\n"
        assert child.file("amd64", "greeting") == b"hello\n"
    finally:
        repo.git("clean", "-fdq", "apps/obbase", "apps/obchild")


def test_a_copied_directory_whose_files_are_all_ignored_is_built_empty(repo: PantsRepo, machine_environ: dict) -> None:
    """`.dockerignore` leaves the directory in the context, only its files out: BuildKit copies it
    (and its subdirectories) empty, and so does the sandboxed build."""
    registry = machine_environ["SHIPYARD_REGISTRY"]
    repo.write(
        "apps/emptydir/BUILD",
        'oci_image(name="emptydir", repository="tinyolly/emptydir", platforms=["linux/amd64"])\n'
        'files(name="files", sources=[".dockerignore", "internal/**"])\n',
    )
    repo.write(
        "apps/emptydir/Dockerfile",
        f"FROM {registry}/library/busybox:1.35\nCOPY internal/ /src/internal/\n"
        "RUN test -d /src/internal/handler && ls -A /src/internal/handler > /listing\n",
    )
    repo.write("apps/emptydir/.dockerignore", "**/*_test.go\n")
    repo.write("apps/emptydir/internal/handler/handler_test.go", "package handler\n")
    try:
        result = repo.run("package", "apps/emptydir:emptydir", timeout=900)
        assert "every file under it is excluded by apps/emptydir/.dockerignore" in result.stderr
        assert layout(repo, "tinyolly/emptydir").file("amd64", "listing") == b""
    finally:
        repo.git("clean", "-fdq", "apps/emptydir")


@pytest.mark.parametrize("builder", ["buildah", "docker"])
def test_a_rebuild_does_not_load_its_bases_again(repo: PantsRepo, tmp_path: Path, builder: str) -> None:
    """Bases are named in the builder's storage after their digest, so a rebuild finds them
    there: pulling a base again (a whole `docker load` per base and platform for dockerd, a few
    buildah calls under its pull lock) would change nothing."""
    wrappers = tmp_path / "wrappers"
    wrappers.mkdir()
    loads = tmp_path / "base-loads.log"
    # dockerd gets a base from skopeo (`docker-daemon:` destination); buildah pulls it itself.
    for tool, loading in (("skopeo", "*docker-daemon:shipyard-base/*"), ("buildah", "pull*")):
        wrapper = wrappers / tool
        wrapper.write_text(
            f'#!/bin/sh\ncase "$*" in {loading}) echo "$SHIPYARD_BUILD $*" >> {loads};; esac\n'
            f'exec /usr/bin/{tool} "$@"\n'
        )
        wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR)
    env = dict(repo.env)
    env["PANTS_OCI_BUILDER"] = builder
    env["PANTS_OCI_EXECUTABLE_SEARCH_PATHS"] = json.dumps(
        [str(wrappers), *json.loads(repo.env["PANTS_OCI_EXECUTABLE_SEARCH_PATHS"])]
    )
    builder_repo = PantsRepo(repo.root, env)
    repo.write("apps/chain/base/BUILD", 'oci_image(name="base", repository="tinyolly/chain-base")\n')
    repo.write("apps/chain/base/Dockerfile", "FROM busybox:1.35\nCOPY a /a\n")
    repo.write("apps/chain/base/a", "a\n")
    repo.write("apps/chain/app/BUILD", 'oci_image(name="app", repository="tinyolly/chain-app")\n')
    # A repo base (loaded from its layout) and an external one (pulled from the registry).
    repo.write(
        "apps/chain/app/Dockerfile",
        "FROM busybox:1.35 AS tools\nFROM tinyolly/chain-base\nCOPY --from=tools /bin/true /true\nCOPY stamp /stamp\n",
    )
    repo.write("apps/chain/app/stamp", "1\n")
    try:
        builder_repo.run("package", "apps/chain/app:app", timeout=900)
        loads.unlink(missing_ok=True)
        repo.write("apps/chain/app/stamp", "2\n")
        builder_repo.run("package", "apps/chain/app:app", timeout=900)
        app = layout(repo, "tinyolly/chain-app")
        assert app.file("amd64", "stamp") == app.file("arm64", "stamp") == b"2\n"
        assert app.file("arm64", "a") == b"a\n"
        assert app.file("arm64", "true")[:4] == b"\x7fELF"
        assert not loads.exists(), loads.read_text()
    finally:
        repo.git("clean", "-fdq", "apps/chain")
