"""The ./pants launcher: bootstrap from nothing, the warm path, and its errors."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from tests.e2e.conftest import PantsRepo

pytestmark = pytest.mark.slow


def test_cold_bootstrap_then_warm_run_print_the_pinned_version(pants_repo: PantsRepo, tmp_path: Path) -> None:
    home = tmp_path / "pants-home"
    pants_repo.env["SHIPYARD_PANTS_HOME"] = str(home)

    started = time.monotonic()
    cold = pants_repo.run("--version")
    cold_s = time.monotonic() - started
    started = time.monotonic()
    warm = pants_repo.run("--version")
    warm_s = time.monotonic() - started

    assert cold.stdout.strip() == "2.17.1"
    assert warm.stdout.strip() == "2.17.1"
    assert "bootstrapping Pants 2.17.1" in cold.stderr
    assert "bootstrapping" not in warm.stderr  # the warm path does no install work
    # The pex tool was built from PyPI and its hash recorded for pants.toml's [pex-cli].
    (env_file,) = home.glob("tools/pex-v2.1.137.pex.env")
    assert "SHIPYARD_PEX_SHA256=" in env_file.read_text()
    print(f"\n./pants --version: cold {cold_s:.1f} s, warm {warm_s:.2f} s")


def test_runs_go_through_pants_native_client_and_fall_back_to_the_python_client(pants_repo: PantsRepo) -> None:
    """As scie-pants runs Pants 2.17: the wheel's native client serves a run while pantsd is up,
    and execs the Python client (which starts pantsd) when it is not, or with --no-pantsd."""
    def with_env(**extra: str) -> PantsRepo:
        return PantsRepo(pants_repo.root, {**pants_repo.env, **extra})

    venv = Path(with_env(SHIPYARD_PANTS_VENV_ONLY="1").run("--version").stdout.strip())
    client = venv / "bin" / "pants-native-client"
    client.unlink(missing_ok=True)  # the launcher installs it again, from the wheel

    started = pants_repo.run("list", "apps/webui:webui")  # no pantsd yet: the Python client starts it
    assert client.is_file() and os.access(client, os.X_OK)
    assert started.stdout.split() == ["apps/webui:webui"]
    served = pants_repo.run("list", "apps/webui:webui")  # pantsd up: the native client alone
    assert served.stdout.split() == ["apps/webui:webui"]
    assert pants_repo.run("--no-pantsd", "list", "apps/webui:webui").stdout.split() == ["apps/webui:webui"]
    python_only = with_env(PANTS_NO_NATIVE_CLIENT="1").run("list", "apps/webui:webui")
    assert python_only.stdout.split() == ["apps/webui:webui"]
    # A user's mistake is still Pants' error, whichever client runs it.
    wrong = pants_repo.run("list", "apps/no-such-dir:", check=False)
    assert wrong.returncode != 0
    assert "apps/no-such-dir" in wrong.stderr


def test_a_python_that_is_not_3_9_is_refused_with_what_to_do(pants_repo: PantsRepo, tmp_path: Path) -> None:
    pants_repo.env["SHIPYARD_PANTS_HOME"] = str(tmp_path / "empty-home")
    pants_repo.env["SHIPYARD_PYTHON39"] = shutil.which("python3") or "/usr/bin/python3"
    result = pants_repo.run("--version", check=False)
    assert result.returncode != 0
    assert "is not CPython 3.9" in result.stderr
    assert "SHIPYARD_PYTHON39" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_missing_interpreter_is_named(pants_repo: PantsRepo, tmp_path: Path) -> None:
    pants_repo.env["SHIPYARD_PANTS_HOME"] = str(tmp_path / "empty-home")
    pants_repo.env["SHIPYARD_PYTHON39"] = str(tmp_path / "no-such-python")
    result = pants_repo.run("--version", check=False)
    assert result.returncode != 0
    assert "no-such-python is not an executable file" in result.stderr


def test_pants_toml_needs_nothing_from_github() -> None:
    pants_toml = (Path(__file__).resolve().parents[2] / "pants.toml").read_text()
    assert "github.com" not in pants_toml
    assert 'url_template = "file://' in pants_toml
