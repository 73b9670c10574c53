"""Fixtures for integration tests that need the machine set up by tools/setup-machine."""

import os
import shlex
import urllib.request
from pathlib import Path

import pytest


def machine_dir() -> Path:
    return Path(os.environ.get("SHIPYARD_MACHINE_DIR", "/var/lib/shipyard-machine"))


def parse_env_sh(path: Path) -> dict:
    """The `export NAME="value"` lines written by tools/setup-machine, as a dict."""
    env = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line.startswith("export "):
            continue
        name, sep, value = line[len("export "):].partition("=")
        if not sep:
            continue
        words = shlex.split(value)
        env[name.strip()] = words[0] if words else ""
    return env


@pytest.fixture(scope="session")
def machine_env() -> dict:
    """Variables from ${SHIPYARD_MACHINE_DIR:-/var/lib/shipyard-machine}/env.sh.

    Skips when the machine is not set up, except under CI=true, where that is a failure.
    Fails when it is set up but its registry does not answer (re-run tools/setup-machine).
    """
    env_file = machine_dir() / "env.sh"
    if not env_file.is_file():
        msg = f"machine not set up: {env_file} is missing (run: sudo tools/setup-machine)"
        if os.environ.get("CI") == "true":
            pytest.fail(msg, pytrace=False)
        pytest.skip(msg)
    env = parse_env_sh(env_file)
    for required in ("SHIPYARD_REGISTRY", "DOCKER_HOST", "CONTAINERS_STORAGE_CONF", "CONTAINERS_REGISTRIES_CONF"):
        if not env.get(required):
            pytest.fail(f"{env_file} does not export {required}; re-run tools/setup-machine", pytrace=False)
    url = f"http://{env['SHIPYARD_REGISTRY']}/v2/"
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        opener.open(url, timeout=10).close()
    except OSError as e:
        pytest.fail(f"registry {url} does not answer ({e}); re-run tools/setup-machine", pytrace=False)
    return env


@pytest.fixture(scope="session")
def machine_environ(machine_env) -> dict:
    """os.environ with the machine's variables applied: pass as env= to subprocesses."""
    return {**os.environ, **machine_env}
