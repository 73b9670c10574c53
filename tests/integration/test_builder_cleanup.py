"""What a buildah build leaves behind in container storage: nothing but images and their layers
(the cache), whether the build succeeds, fails, is interrupted or is killed (issue 9, item 16).

The driver runs exactly as Pants runs it (`python3 driver.py request.json` in a sandbox-shaped
directory), with real buildah, against a private storage so other builds on the machine are not
touched. Images are built `FROM scratch` with the host's static busybox: no registry needed.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, List

import pytest

DRIVER = Path(__file__).resolve().parents[2] / "pants-plugins/shipyard/builders/driver.py"

pytestmark = pytest.mark.slow


@pytest.fixture
def buildah_env(tmp_path: Path) -> Dict[str, str]:
    buildah = shutil.which("buildah", path="/usr/bin:/bin")
    busybox = shutil.which("busybox", path="/bin:/usr/bin")
    if not buildah or not busybox:
        message = "buildah and busybox-static are needed (tools/setup-machine installs them)"
        if os.environ.get("CI") == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    storage = tmp_path / "storage"
    (tmp_path / "tmp").mkdir()
    conf = tmp_path / "storage.conf"
    conf.write_text(
        f'[storage]\ndriver = "vfs"\ngraphroot = "{storage}/root"\nrunroot = "{storage}/run"\n'
    )
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "CONTAINERS_STORAGE_CONF": str(conf),
        "BUILDAH_ISOLATION": "chroot",
        "TMPDIR": str(tmp_path / "tmp"),
    }
    yield env
    subprocess.run([buildah, "rm", "--all"], env=env, capture_output=True)
    subprocess.run([buildah, "rmi", "--all", "--force"], env=env, capture_output=True)


def sandbox(root: Path, name: str, dockerfile: str, bases: List[dict] = ()) -> Path:
    """A directory shaped like the Pants sandbox image_build.py gives the driver."""
    work = root / name
    (work / "__shipyard").mkdir(parents=True)
    (work / "context").mkdir()
    shutil.copy(shutil.which("busybox", path="/bin:/usr/bin"), work / "context/busybox")
    (work / "__shipyard/Dockerfile").write_text(dockerfile)
    request = {
        "builder": "buildah",
        "executables": {"buildah": shutil.which("buildah", path="/usr/bin:/bin")},
        "image": f"test:{name}",
        "platform": "linux/amd64",
        "dockerfile": "__shipyard/Dockerfile",
        "context": "context",
        "build_args": {},
        "target_stage": None,
        "bases": list(bases),
        "output": "__shipyard/out",
    }
    (work / "request.json").write_text(json.dumps(request))
    return work


def start(work: Path, env: Dict[str, str]) -> subprocess.Popen:
    # Its own process group, as Pants runs processes (and signals them).
    return subprocess.Popen(
        [sys.executable, str(DRIVER), "request.json"], cwd=work, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
    )


def containers(env: Dict[str, str]) -> List[str]:
    listed = subprocess.run(["buildah", "containers", "--all", "--json"], env=env, capture_output=True, check=True)
    return [c["containername"] for c in json.loads(listed.stdout or b"null") or []]


def image_names(env: Dict[str, str]) -> List[str]:
    listed = subprocess.run(["buildah", "images", "--format", "{{.Name}}:{{.Tag}}"], env=env, capture_output=True, check=True)
    return listed.stdout.decode().split()


def wait_for_container(env: Dict[str, str], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if containers(env):
            return
        time.sleep(0.2)
    pytest.fail("the build never created its working container")


BUSYBOX = "FROM scratch\nCOPY busybox /bin/busybox\n"
SLEEP = BUSYBOX + 'RUN ["/bin/busybox", "sleep", "60"]\n'


def test_a_failed_step_leaves_no_working_container(tmp_path: Path, buildah_env: Dict[str, str]) -> None:
    work = sandbox(tmp_path, "fails", BUSYBOX + 'RUN ["/bin/busybox", "false"]\n')
    process = start(work, buildah_env)
    _, stderr = process.communicate(timeout=300)
    assert process.returncode == 1
    assert 'shipyard-failed-step: RUN ["/bin/busybox", "false"]' in stderr.decode()
    assert containers(buildah_env) == []


def test_a_repo_base_leaves_no_layout_name(tmp_path: Path, buildah_env: Dict[str, str]) -> None:
    base = sandbox(tmp_path, "base", BUSYBOX)
    assert start(base, buildah_env).wait(timeout=300) == 0
    app = sandbox(
        tmp_path, "app", "FROM shipyard-base-placeholder-1\nRUN [\"/bin/busybox\", \"true\"]\n",
        bases=[{"placeholder": "shipyard-base-placeholder-1", "layout": "base-layout"}],
    )
    shutil.copytree(base / "__shipyard/out", app / "base-layout")
    process = start(app, buildah_env)
    _, stderr = process.communicate(timeout=300)
    assert process.returncode == 0, stderr.decode()
    names = image_names(buildah_env)
    assert not [n for n in names if "shipyard-layout-" in n], names
    assert [n for n in names if n.startswith("localhost/shipyard-base/")], names  # the cache name stays
    assert containers(buildah_env) == []


def test_an_interrupted_build_leaves_no_working_container(tmp_path: Path, buildah_env: Dict[str, str]) -> None:
    work = sandbox(tmp_path, "interrupted", SLEEP)
    process = start(work, buildah_env)
    wait_for_container(buildah_env)
    time.sleep(1)  # the RUN step is under way
    os.killpg(process.pid, signal.SIGINT)  # what Pants does when a run is cancelled
    process.communicate(timeout=30)
    assert process.returncode != 0
    assert containers(buildah_env) == []


def test_what_a_killed_build_left_is_swept_by_the_next_build(tmp_path: Path, buildah_env: Dict[str, str]) -> None:
    work = sandbox(tmp_path, "killed", SLEEP)
    process = start(work, buildah_env)
    wait_for_container(buildah_env)
    time.sleep(1)
    os.killpg(process.pid, signal.SIGKILL)  # Pants' last resort after its grace period
    process.communicate(timeout=30)
    assert containers(buildah_env), "nothing was left behind: the test shows nothing"
    after = sandbox(tmp_path, "after", BUSYBOX)
    assert start(after, buildah_env).wait(timeout=300) == 0
    assert containers(buildah_env) == []
