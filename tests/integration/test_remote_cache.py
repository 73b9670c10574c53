"""Two CI machines sharing a real remote cache (BuildGrid, a Remote Execution API server).

"Machine A" packages a copy of the example with an empty local store and empty named caches,
reading and writing the remote cache; "machine B" then packages a second copy of the same commit,
also starting from nothing local. B must run no builder at all (a wrapper on `buildah` logs every
call) and write byte-identical OCI layouts and charts to dist/.

The two machines run on this host, so they share the builder's environment ([oci].env_vars:
DOCKER_HOST, CONTAINERS_STORAGE_CONF, ...), which is part of every build's cache key, as CI
machines set up by tools/setup-machine share it. The wrapper sits at one path both use, since
the builder's path is part of the key too.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import socket
import stat
import subprocess
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest

from tests.e2e.conftest import PantsRepo, copy_repo, init_git

pytestmark = [pytest.mark.integration, pytest.mark.slow]

BUILDGRID_INSTALL = Path(__file__).resolve().parents[2] / "tools" / "buildgrid" / "install"
INSTANCE = "main"
# A CAS on disk and an action cache in memory, on loopback, no auth: the smallest server Pants'
# remote cache (ByteStream + CAS + ActionCache + Capabilities) works against. Its gRPC thread pool
# defaults to 5 per core and refuses RPCs beyond it ("Concurrent RPC limit exceeded"); Pants makes
# up to 128 store RPCs at once ([GLOBAL].remote_store_rpc_concurrency), so size it for that.
BUILDGRID_CONFIG = """\
thread-pool-size: 160
server:
  - !channel
    address: "127.0.0.1:{port}"
    insecure-mode: true
storages:
  - !disk-storage &cas
    path: {cas_dir}
caches:
  - !lru-action-cache &action-cache
    storage: *cas
    max-cached-refs: 100000
    allow-updates: true
    cache-failed-actions: false
instances:
  - name: {instance}
    services:
      - !cas
        storage: *cas
      - !bytestream
        storage: *cas
      - !action-cache
        cache: *action-cache
"""


def buildgrid_venv() -> Path:
    """BuildGrid's venv from tools/buildgrid/install; skips without it, but fails under CI=true."""
    result = subprocess.run([str(BUILDGRID_INSTALL)], capture_output=True, text=True)
    if result.returncode != 0:
        msg = f"tools/buildgrid/install failed (BuildGrid is needed for the remote cache test):\n{result.stderr}"
        if os.environ.get("CI") == "true":
            pytest.fail(msg, pytrace=False)
        pytest.skip(msg)
    return Path(result.stdout.strip())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


@dataclass(frozen=True)
class BuildGrid:
    address: str  # grpc://127.0.0.1:<port>
    cas_dir: Path  # where its CAS keeps blobs, one file each


@pytest.fixture(scope="module")
def buildgrid(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BuildGrid]:
    """A BuildGrid server on loopback for this module, with its CAS on disk."""
    bgd = buildgrid_venv() / "bin" / "bgd"
    work = tmp_path_factory.mktemp("buildgrid")
    (work / "cas").mkdir()
    port = free_port()
    config = work / "server.yml"
    config.write_text(BUILDGRID_CONFIG.format(port=port, cas_dir=work / "cas", instance=INSTANCE))
    log = work / "server.log"
    with open(log, "wb") as out:
        server = subprocess.Popen([str(bgd), "server", "start", str(config)], stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 90
        while not listening(port):
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"BuildGrid did not start on 127.0.0.1:{port}:\n{log.read_text()}", pytrace=False)
            time.sleep(0.5)
        yield BuildGrid(f"grpc://127.0.0.1:{port}", work / "cas")
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def counters(stderr: str) -> dict[str, int]:
    """The `Counters:` block `--stats-log` prints at the end of a run, as name -> count."""
    block = stderr.split("Counters:", 1)
    if len(block) < 2:
        return {}
    found = {}
    for line in block[1].splitlines()[1:]:
        match = re.fullmatch(r"\s+(\w+): (\d+)", line)
        if not match:
            break
        found[match.group(1)] = int(match.group(2))
    return found


def base_tags(registry: str) -> dict[str, str]:
    """`library/*` tags in the machine's registry (the stand-in Docker Hub bases) -> manifest digest."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    accept = ", ".join(
        [
            "application/vnd.oci.image.index.v1+json",
            "application/vnd.docker.distribution.manifest.list.v2+json",
            "application/vnd.oci.image.manifest.v1+json",
            "application/vnd.docker.distribution.manifest.v2+json",
        ]
    )
    digests = {}
    # The repositories tools/setup-machine (tools/base-images) fills.
    for repository in ("library/python", "library/golang", "library/node", "library/busybox"):
        with opener.open(f"http://{registry}/v2/{repository}/tags/list", timeout=30) as response:
            tags = json.load(response).get("tags") or []
        for tag in tags:
            request = urllib.request.Request(
                f"http://{registry}/v2/{repository}/manifests/{tag}", method="HEAD", headers={"Accept": accept}
            )
            with opener.open(request, timeout=30) as response:
                digests[f"{repository}:{tag}"] = response.headers["Docker-Content-Digest"]
    return digests


def file_bytes(root: Path) -> int:
    """Bytes in the files under `root`, as allocated on disk (LMDB's files are sparse)."""
    return sum(min(p.stat().st_size, p.stat().st_blocks * 512) for p in root.rglob("*") if p.is_file())


def tree_digests(root: Path) -> dict[str, str]:
    """Every file under `root` (relative path -> sha256), to compare two dist/ trees byte for byte."""
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def machine(root: Path, machine_environ: dict, tools: Path, remote: str) -> PantsRepo:
    """A fresh checkout of this commit with its own empty local store and named caches."""
    repo_dir = root / "repo"
    copy_repo(repo_dir)
    init_git(repo_dir)
    env = dict(machine_environ)
    env.update(
        {
            "PANTS_LOCAL_STORE_DIR": str(root / "lmdb_store"),
            "PANTS_NAMED_CACHES_DIR": str(root / "named_caches"),
            "PANTS_OCI_BUILDER": "buildah",
            "PANTS_OCI_EXECUTABLE_SEARCH_PATHS": json.dumps([str(tools), "/usr/bin", "/bin"]),
            # What a team's pants.toml says (README, "Sharing builds between CI machines").
            "PANTS_REMOTE_CACHE_READ": "true",
            "PANTS_REMOTE_CACHE_WRITE": "true",
            "PANTS_REMOTE_STORE_ADDRESS": remote,
            "PANTS_REMOTE_INSTANCE_NAME": INSTANCE,
            # BuildGrid is Python; on a busy machine a lookup can take longer than the 1.5 s default,
            # and a timed-out lookup runs the build locally.
            "PANTS_REMOTE_CACHE_RPC_TIMEOUT_MILLIS": "30000",
            # Uploads to the cache finish after the builds; by default Pants waits 3 s for them at the
            # end of a run and drops the rest (here: the last, largest layouts), so B would miss.
            "PANTS_SESSION_END_TASKS_TIMEOUT": "600",
        }
    )
    return PantsRepo(repo_dir, env)


def test_second_machine_packages_from_the_remote_cache_without_a_builder(
    tmp_path_factory: pytest.TempPathFactory, machine_environ: dict, buildgrid: BuildGrid
) -> None:
    work = tmp_path_factory.mktemp("remote-cache")
    # One buildah wrapper at one path for both machines: it logs every call but `--version`.
    tools = work / "tools"
    tools.mkdir()
    calls = work / "buildah-calls.log"
    wrapper = tools / "buildah"
    wrapper.write_text(
        f'#!/bin/sh\n[ "$1" = --version ] || echo "$SHIPYARD_BUILD: $1" >> {calls}\nexec /usr/bin/buildah "$@"\n'
    )
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR)

    bases_before = base_tags(machine_environ["SHIPYARD_REGISTRY"])
    a = machine(work / "a", machine_environ, tools, buildgrid.address)
    started = time.monotonic()
    a_result = a.run("--no-pantsd", "--stats-log", "package", "::", timeout=2400)
    (work / "a.stderr").write_text(a_result.stderr)
    a_seconds = time.monotonic() - started
    a_calls = calls.read_text().splitlines() if calls.exists() else []
    calls.unlink(missing_ok=True)
    assert any(c.endswith(": build") for c in a_calls), "machine A built nothing: the wrapper is not in use"

    b = machine(work / "b", machine_environ, tools, buildgrid.address)
    started = time.monotonic()
    b_result = b.run("--no-pantsd", "--stats-log", "package", "::", timeout=1200)
    b_seconds = time.monotonic() - started
    (work / "b.stderr").write_text(b_result.stderr)
    b_calls = calls.read_text().splitlines() if calls.exists() else []
    b_counters = counters(b_result.stderr)
    moved = {
        tag: (digest, now)
        for tag, now in base_tags(machine_environ["SHIPYARD_REGISTRY"]).items()
        if (digest := bases_before.get(tag)) and digest != now
    }
    # Builds pin their external bases by digest, so B rightly rebuilds what reads a moved tag.
    assert not moved, f"base image tags moved in the registry during the test (something pushed them): {moved}"

    warnings = [line for line in b_result.stderr.splitlines() if "WARN" in line or "ERROR" in line]
    assert b_calls == [], "machine B ran the builder:\n" + "\n".join(b_calls + warnings)
    built = {c.rsplit(":", 1)[0] for c in a_calls if c.endswith(": build")}
    assert b_counters.get("remote_cache_requests_cached", 0) >= len(built), b_counters
    assert tree_digests(b.root / "dist") == tree_digests(a.root / "dist")
    assert any((b.root / "dist" / "images").rglob("index.json"))
    assert any((b.root / "dist").glob("*.tgz"))

    a_counters = counters(a_result.stderr)
    # Pants 2.17 counts bytes moved only in histograms (hdrhistogram plugin): report what A
    # stored in the CAS (all B could fetch) and what B's empty local store holds afterwards.
    print(
        f"\nremote cache: machine A {a_seconds:.1f}s ({len(built)} builds), machine B {b_seconds:.1f}s "
        f"(0 builds); CAS {file_bytes(buildgrid.cas_dir)} bytes, B's local store "
        f"{file_bytes(b.root.parent / 'lmdb_store')} bytes, dist/ {file_bytes(b.root / 'dist')} bytes"
    )
    for name, found in (("A", a_counters), ("B", b_counters)):
        print(f"{name}'s counters: " + json.dumps({k: v for k, v in found.items() if k.startswith(("remote", "local_exec"))}))
