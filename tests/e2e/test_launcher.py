"""The ./pants launcher: bootstrap from nothing, the warm path, and its errors."""

from __future__ import annotations

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
