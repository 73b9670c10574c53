"""The stand-in Docker Hub base images built by tools/base-images/build (via tools/setup-machine).

Checks what the registry holds (indexes, platforms, configs) and that unchanged Dockerfiles
`FROM <docker hub name>` build with buildah (multi-arch) and with dockerd's BuildKit (per platform),
with no network, getting the right architecture's variant.
"""

import gzip
import hashlib
import io
import json
import os
import shutil
import subprocess
import tarfile
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.slow]

REPO_ROOT = Path(__file__).resolve().parents[2]
BASE_IMAGES_DIR = REPO_ROOT / "tools" / "base-images"
HOST_ARCH = {"x86_64": "amd64", "aarch64": "arm64"}[os.uname().machine]
UNAME = {"amd64": "x86_64", "arm64": "aarch64"}

# name -> (repository, tag, platforms "os/arch[/variant]")
STAND_INS = {
    "python": ("library/python", "3.11-slim-bookworm", {"linux/amd64", "linux/arm64/v8"}),
    "golang": ("library/golang", "1.19-bookworm", {f"linux/{HOST_ARCH}"}),
    "node": ("library/node", "18-bookworm-slim", {f"linux/{HOST_ARCH}"}),
    "busybox": ("library/busybox", "1.35", {"linux/amd64", "linux/arm64/v8"}),
}
DOCKERHUB_NAME = {name: f"{repo.split('/', 1)[1]}:{tag}" for name, (repo, tag, _) in STAND_INS.items()}

MT_INDEX = "application/vnd.oci.image.index.v1+json"
MT_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MT_DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
MT_DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
ACCEPT = ", ".join([MT_INDEX, MT_DOCKER_LIST, MT_MANIFEST, MT_DOCKER_MANIFEST])


# ------------------------------------------------------------------------------------------------
# Registry over plain HTTP
# ------------------------------------------------------------------------------------------------
class Registry:
    def __init__(self, host):
        self.base = f"http://{host}"
        self.host = host
        self.opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def _open(self, method, path, headers=None):
        req = urllib.request.Request(self.base + path, method=method, headers=headers or {})
        return self.opener.open(req, timeout=120)

    def manifest(self, repo, ref):
        """(parsed JSON, media type, digest) of a manifest or index."""
        with self._open("GET", f"/v2/{repo}/manifests/{ref}", {"Accept": ACCEPT}) as r:
            body = r.read()
            media_type = r.headers.get("Content-Type", "").split(";")[0]
        digest = "sha256:" + hashlib.sha256(body).hexdigest()
        if ref.startswith("sha256:"):
            assert digest == ref, f"{repo}@{ref}: body digest is {digest}"
        return json.loads(body), media_type, digest

    def blob(self, repo, digest):
        with self._open("GET", f"/v2/{repo}/blobs/{digest}") as r:
            body = r.read()
        assert "sha256:" + hashlib.sha256(body).hexdigest() == digest, f"{repo} blob {digest} is corrupt"
        return body

    def delete_manifest(self, repo, digest):
        try:
            self._open("DELETE", f"/v2/{repo}/manifests/{digest}").close()
        except urllib.error.HTTPError:
            pass


def platform_str(p):
    s = f"{p['os']}/{p['architecture']}"
    return s + (f"/{p['variant']}" if p.get("variant") else "")


def read_file_from_image(reg, repo, manifest, path):
    """Text of `path` in an image, from its layers in the registry (topmost layer first)."""
    return read_bytes_from_image(reg, repo, manifest, path).decode()


def read_bytes_from_image(reg, repo, manifest, path):
    wanted = path.lstrip("/")
    for layer in reversed(manifest["layers"]):
        data = reg.blob(repo, layer["digest"])
        if data[:2] == b"\x1f\x8b":
            data = gzip.decompress(data)
        with tarfile.open(fileobj=io.BytesIO(data)) as tar:
            for member in tar.getmembers():
                name = member.name[2:] if member.name.startswith("./") else member.name
                if name == wanted and member.isfile():
                    return tar.extractfile(member).read()
    raise AssertionError(f"{path} not found in any layer of {repo}")


def manifests_by_platform(reg, repo, ref):
    index, media_type, index_digest = reg.manifest(repo, ref)
    assert media_type in (MT_INDEX, MT_DOCKER_LIST), f"{repo}:{ref} is {media_type}, not an index"
    out = {}
    for entry in index["manifests"]:
        manifest, _, _ = reg.manifest(repo, entry["digest"])
        out[platform_str(entry["platform"])] = manifest
    return out, index_digest


# ------------------------------------------------------------------------------------------------
# Helpers
# ------------------------------------------------------------------------------------------------
def run(cmd, env, cwd=None, timeout=900):
    p = subprocess.run([str(c) for c in cmd], env=env, cwd=cwd, timeout=timeout, stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert p.returncode == 0, f"{' '.join(map(str, cmd))} failed ({p.returncode}):\n{p.stdout[-6000:]}"
    return p.stdout


def listed_files(config_env, default):
    """Files listed in a tools/base-images config (as tools/base-images/build reads it)."""
    config = Path(os.environ.get(config_env, default))
    out = []
    for raw in config.read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if line:
            p = (config.parent / line).resolve()
            assert p.is_file(), f"{config} lists {line}, which does not exist"
            out.append(p)
    return out


@pytest.fixture(scope="module")
def reg(machine_env):
    return Registry(machine_env["SHIPYARD_REGISTRY"])


@pytest.fixture
def test_repo(reg):
    """A unique repository name; manifests pushed to it are deleted afterwards."""
    repo = f"shipyard-test/base-images-{uuid.uuid4().hex[:10]}"
    yield repo
    for tag in ("multi", "amd64", "arm64"):
        try:
            index, _, digest = reg.manifest(repo, tag)
        except urllib.error.HTTPError:
            continue
        for entry in index.get("manifests", []):
            reg.delete_manifest(repo, entry["digest"])
        reg.delete_manifest(repo, digest)


@pytest.fixture
def buildah(machine_environ):
    exe = shutil.which("buildah", path="/usr/bin:/usr/local/bin")
    assert exe, "buildah is not installed; run tools/setup-machine"
    created = []  # manifest lists / images to remove afterwards

    def b(*args, **kw):
        return run([exe, *args], machine_environ, **kw)

    b.created = created
    yield b
    for name in reversed(created):
        # the per-platform images a `build --manifest` made, then the list itself
        p = subprocess.run([exe, "manifest", "inspect", name], env=machine_environ, capture_output=True, text=True)
        digests = {m["digest"] for m in json.loads(p.stdout).get("manifests", [])} if p.returncode == 0 else set()
        p = subprocess.run([exe, "images", "--all", "--json"], env=machine_environ, capture_output=True, text=True)
        images = json.loads(p.stdout or "[]") if p.returncode == 0 else []
        ids = [i["id"] for i in images if digests & ({i.get("digest")} | set(i.get("digests") or []))]
        subprocess.run([exe, "manifest", "rm", name], env=machine_environ, capture_output=True)
        if ids:
            subprocess.run([exe, "rmi", "-f", *ids], env=machine_environ, capture_output=True)


@pytest.fixture
def docker(machine_env, machine_environ):
    exe = machine_env.get("SHIPYARD_DOCKER_CLI", "/usr/bin/docker")
    env = {**machine_environ, "DOCKER_BUILDKIT": "1"}
    tags = []

    def d(*args, **kw):
        return run([exe, *args], env, **kw)

    d.tags = tags
    run([exe, "info", "--format", "{{.ServerVersion}}"], env, timeout=30)
    yield d
    if tags:
        subprocess.run([exe, "rmi", "-f", *tags], env=env, capture_output=True)


# ------------------------------------------------------------------------------------------------
# What the registry holds
# ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(STAND_INS))
def test_index_platforms_and_configs(reg, name):
    repo, tag, platforms = STAND_INS[name]
    index, media_type, _ = reg.manifest(repo, tag)
    assert media_type == MT_INDEX
    assert index["mediaType"] == MT_INDEX
    entries = index["manifests"]
    assert sorted(platform_str(m["platform"]) for m in entries) == sorted(platforms)
    inputs = index.get("annotations", {}).get("org.shipyard.base-image.inputs")
    assert inputs, "index lacks the inputs-hash annotation"
    for entry in entries:
        manifest, mt, digest = reg.manifest(repo, entry["digest"])
        assert mt == MT_MANIFEST and digest == entry["digest"]
        assert manifest["layers"], f"{name} {entry['platform']} has no layers"
        config = json.loads(reg.blob(repo, manifest["config"]["digest"]))
        p = entry["platform"]
        assert config["architecture"] == p["architecture"]
        assert config["os"] == p["os"]
        assert config.get("variant") == p.get("variant")
        assert len(config["rootfs"]["diff_ids"]) == len(manifest["layers"])
        assert config["config"]["Labels"]["org.shipyard.base-image.inputs"] == inputs
        assert config["config"]["Cmd"], f"{name} has no Cmd"


# ------------------------------------------------------------------------------------------------
# buildah: one multi-arch build, pushed as an index, /arch read back from the pushed layers
# ------------------------------------------------------------------------------------------------
PYTHON_DOCKERFILE = """\
FROM python:3.11-slim-bookworm
COPY reqs/ /reqs/
RUN uname -m > /arch
RUN python -c "import sys; print(sys.version)" > /pyversion
# one wheel from the wheelhouse by name (pip.conf: no index, find-links), then the listed requirement files
RUN set -e; w=$(ls /opt/wheelhouse/*.whl | head -n 1); n=$(basename "$w" | cut -d- -f1); \\
    pip install "$n"; pip show "$n" | sed -n 's/^Name: //p' > /pip-installed; \\
    for r in /reqs/*.txt; do pip install -r "$r"; done
"""

BUSYBOX_DOCKERFILE = """\
FROM busybox:1.35
RUN uname -m > /arch && which httpd sh wget > /applets
"""


def python_context(tmp_path):
    reqs = tmp_path / "reqs"
    reqs.mkdir()
    files = listed_files("SHIPYARD_WHEELHOUSE_CONFIG", BASE_IMAGES_DIR / "wheelhouse-requirements.txt")
    for i, f in enumerate(files):
        shutil.copyfile(f, reqs / f"{i}.txt")
    (tmp_path / "Dockerfile").write_text(PYTHON_DOCKERFILE)


def busybox_context(tmp_path):
    (tmp_path / "Dockerfile").write_text(BUSYBOX_DOCKERFILE)


CONTEXTS = {"python": python_context, "busybox": busybox_context}


def check_built(reg, repo, manifest, name, arch):
    assert read_file_from_image(reg, repo, manifest, "/arch").strip() == UNAME[arch]
    if name == "python":
        assert read_file_from_image(reg, repo, manifest, "/pyversion").startswith("3.11.")
        assert read_file_from_image(reg, repo, manifest, "/pip-installed").strip()
    if name == "busybox":
        applets = read_file_from_image(reg, repo, manifest, "/applets").split()
        assert len(applets) == 3, applets


@pytest.mark.parametrize("name", ["python", "busybox"])
def test_buildah_multiarch_build(reg, buildah, test_repo, tmp_path, name):
    CONTEXTS[name](tmp_path)
    listname = f"shipyard-test-{uuid.uuid4().hex[:10]}"
    buildah.created.append(listname)
    buildah("build", "--network", "none", "--platform", "linux/amd64,linux/arm64", "--manifest", listname,
            "-f", tmp_path / "Dockerfile", tmp_path)
    buildah("manifest", "push", "--all", "--tls-verify=false", "--format", "oci", listname,
            f"docker://{reg.host}/{test_repo}:multi")
    by_platform, _ = manifests_by_platform(reg, test_repo, "multi")
    assert {p.rsplit("/v8", 1)[0] for p in by_platform} == {"linux/amd64", "linux/arm64"}
    for platform, manifest in by_platform.items():
        check_built(reg, test_repo, manifest, name, platform.split("/")[1])


# ------------------------------------------------------------------------------------------------
# dockerd (BuildKit, one platform per build; Docker Hub names through --registry-mirror)
# ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("arch", ["amd64", "arm64"])
@pytest.mark.parametrize("name", ["python", "busybox"])
def test_docker_build_per_platform(reg, docker, test_repo, tmp_path, name, arch):
    CONTEXTS[name](tmp_path)
    ref = f"{reg.host}/{test_repo}:{arch}"
    docker.tags.append(ref)
    docker("build", "--progress=plain", "--no-cache", "--network=none", "--platform", f"linux/{arch}", "-t", ref, tmp_path)
    docker("push", ref)
    manifest, _, _ = reg.manifest(test_repo, arch)
    config = json.loads(reg.blob(test_repo, manifest["config"]["digest"]))
    assert config["architecture"] == arch
    check_built(reg, test_repo, manifest, name, arch)


# ------------------------------------------------------------------------------------------------
# golang: cross-compile for arm64 in the (build-platform) stand-in
# ------------------------------------------------------------------------------------------------
GO_DOCKERFILE = """\
FROM --platform=$BUILDPLATFORM golang:1.19-bookworm AS build
ARG TARGETOS TARGETARCH
WORKDIR /src
COPY go.mod main.go ./
RUN CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH go build -trimpath -o /out/hello . && go version > /out/go-version
FROM scratch
COPY --from=build /out/ /
"""

GO_MAIN = """\
package main

import (
	"fmt"
	"net/http"
	"runtime"
)

func main() { fmt.Println("hello", runtime.GOARCH, http.StatusOK) }
"""

EM_AARCH64 = 183
EM_X86_64 = 62


def elf_machine(path_or_bytes):
    data = path_or_bytes if isinstance(path_or_bytes, bytes) else Path(path_or_bytes).read_bytes()
    head = data[:20]
    assert head[:4] == b"\x7fELF", "not an ELF file"
    assert head[5] == 1, "not little-endian"
    return int.from_bytes(head[18:20], "little")


def test_golang_cross_compiles_for_arm64(docker, tmp_path):
    (tmp_path / "go.mod").write_text("module example.com/hello\n\ngo 1.19\n")
    (tmp_path / "main.go").write_text(GO_MAIN)
    (tmp_path / "Dockerfile").write_text(GO_DOCKERFILE)
    out = tmp_path / "out"
    docker("build", "--progress=plain", "--no-cache", "--network=none", "--platform", "linux/arm64",
           "--output", f"type=local,dest={out}", tmp_path)
    assert (out / "go-version").read_text().startswith("go version go1.19")
    binary = out / "hello"
    assert elf_machine(binary) == EM_AARCH64
    # and it runs (through qemu-aarch64 binfmt)
    binary.chmod(0o755)
    assert subprocess.run([str(binary)], capture_output=True, text=True, timeout=60).stdout.strip() == "hello arm64 200"


def test_golang_buildplatform_stage_with_buildah(reg, buildah, test_repo, tmp_path):
    """buildah 1.28 leaves $BUILDPLATFORM in `FROM --platform=$BUILDPLATFORM` empty (the stage then
    asks for the *target* platform, which the build-platform-only stand-in does not have) unless it
    is passed as a build argument. With it, each target gets a natively cross-compiled binary."""
    (tmp_path / "go.mod").write_text("module example.com/hello\n\ngo 1.19\n")
    (tmp_path / "main.go").write_text(GO_MAIN)
    (tmp_path / "Dockerfile").write_text(GO_DOCKERFILE)
    listname = f"shipyard-test-{uuid.uuid4().hex[:10]}"
    buildah.created.append(listname)
    buildah("build", "--network", "none", "--platform", "linux/amd64,linux/arm64",
            "--build-arg", f"BUILDPLATFORM=linux/{HOST_ARCH}", "--manifest", listname,
            "-f", tmp_path / "Dockerfile", tmp_path)
    buildah("manifest", "push", "--all", "--tls-verify=false", "--format", "oci", listname,
            f"docker://{reg.host}/{test_repo}:multi")
    by_platform, _ = manifests_by_platform(reg, test_repo, "multi")
    machines = {p.split("/")[1]: elf_machine(read_bytes_from_image(reg, test_repo, m, "/hello"))
                for p, m in by_platform.items()}
    assert machines == {"amd64": EM_X86_64, "arm64": EM_AARCH64}


# ------------------------------------------------------------------------------------------------
# node: `npm ci` of the webui lock, offline, in the stand-in
# ------------------------------------------------------------------------------------------------
NODE_DOCKERFILE = """\
FROM node:18-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json versions.cjs ./
RUN npm ci && node versions.cjs > /versions.json
FROM scratch
COPY --from=build /versions.json /
"""

VERSIONS_JS = """\
const fs = require("fs");
const lock = JSON.parse(fs.readFileSync("package-lock.json"));
const out = {};
for (const p of Object.keys(lock.packages || {})) {
  if (!p.startsWith("node_modules/")) continue;
  if (fs.existsSync(p + "/package.json")) out[p] = JSON.parse(fs.readFileSync(p + "/package.json")).version;
}
console.log(JSON.stringify(out));
"""


def package_json_for(lock_path):
    sibling = lock_path.parent / "package.json"
    if sibling.is_file():
        return sibling.read_text()
    root = json.loads(lock_path.read_text())["packages"][""]
    keys = ("name", "version", "dependencies", "devDependencies", "optionalDependencies")
    return json.dumps({k: root[k] for k in keys if k in root})


def test_node_npm_ci_offline(docker, tmp_path):
    locks = listed_files("SHIPYARD_NPM_LOCKS_CONFIG", BASE_IMAGES_DIR / "npm-locks.txt")
    webui = [p for p in locks if p.parent.name == "webui"] or locks
    lock_path = webui[0]
    lock = json.loads(lock_path.read_text())
    (tmp_path / "package-lock.json").write_text(lock_path.read_text())
    (tmp_path / "package.json").write_text(package_json_for(lock_path))
    (tmp_path / "versions.cjs").write_text(VERSIONS_JS)
    (tmp_path / "Dockerfile").write_text(NODE_DOCKERFILE)
    out = tmp_path / "out"
    docker("build", "--progress=plain", "--no-cache", "--network=none", "--output", f"type=local,dest={out}", tmp_path)
    installed = json.loads((out / "versions.json").read_text())
    locked = {p: meta for p, meta in lock["packages"].items() if p.startswith("node_modules/") and "version" in meta}
    assert locked, f"{lock_path} locks no packages"
    # optional packages for other platforms are legitimately absent
    required = {p: meta["version"] for p, meta in locked.items() if not meta.get("optional")}
    assert {p: v for p, v in installed.items() if p in required} == required
    assert all(installed[p] == locked[p]["version"] for p in installed if p in locked)
    if "node_modules/typescript" in lock["packages"]:
        assert installed["node_modules/typescript"] == lock["packages"]["node_modules/typescript"]["version"]
