"""Choosing the builder: what `auto` picks, and the error when nothing usable is installed."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from pants.engine.internals.scheduler import ExecutionError
from pants.testutil.rule_runner import QueryRule, RuleRunner

from shipyard import register
from shipyard.util_rules.builder import OciBuilder


@pytest.fixture
def rule_runner() -> RuleRunner:
    return RuleRunner(
        rules=[*register.rules(), QueryRule(OciBuilder, [])],
        target_types=register.target_types(),
    )


def search_dir_with(tmp_path: Path, *names: str) -> str:
    """A directory holding symlinks to the real executables named."""
    directory = tmp_path / "bin"
    directory.mkdir()
    for name in names:
        real = shutil.which(name, path="/usr/bin:/bin")
        assert real, f"{name} is not installed (tools/setup-machine installs it)"
        os.symlink(real, directory / name)
    return str(directory)


def choose(rule_runner: RuleRunner, search_dir: str, builder: str = "auto") -> OciBuilder:
    rule_runner.set_options(
        [f'--oci-executable-search-paths=["{search_dir}"]', f"--oci-builder={builder}"],
        env_inherit={"PATH"},
    )
    return rule_runner.request(OciBuilder, [])


@pytest.mark.integration
def test_auto_prefers_buildah(rule_runner: RuleRunner, tmp_path: Path) -> None:
    chosen = choose(rule_runner, search_dir_with(tmp_path, "python3", "buildah", "docker", "skopeo"))
    assert chosen.name == "buildah"
    assert chosen.executables["buildah"].endswith("/buildah")


@pytest.mark.integration
def test_auto_falls_back_to_docker_with_skopeo(rule_runner: RuleRunner, tmp_path: Path) -> None:
    chosen = choose(rule_runner, search_dir_with(tmp_path, "python3", "docker", "skopeo"))
    assert chosen.name == "docker"
    assert set(chosen.executables) == {"docker", "skopeo"}


def test_no_builder_says_what_to_install(rule_runner: RuleRunner, tmp_path: Path) -> None:
    with pytest.raises(ExecutionError) as error:
        choose(rule_runner, search_dir_with(tmp_path, "python3"))
    message = str(error.value)
    assert "NoBuilderError" in message
    assert "apt-get install buildah" in message
    assert "[oci].executable_search_paths" in message


@pytest.mark.integration
def test_an_explicit_builder_that_is_missing_names_what_is_missing(rule_runner: RuleRunner, tmp_path: Path) -> None:
    with pytest.raises(ExecutionError) as error:
        choose(rule_runner, search_dir_with(tmp_path, "python3", "docker"), builder="docker")
    assert "skopeo is not in [oci].executable_search_paths" in str(error.value)
