"""`pants help` for everything the backend registers: the README tells users to run it."""

from __future__ import annotations

import json

import pytest

from tests.e2e.conftest import PantsRepo

pytestmark = pytest.mark.slow


def words(text: str) -> str:
    """Text without whitespace: help output is wrapped to the terminal, and Pants' wrapper also
    breaks after a hyphen (`[python-` / `bootstrap]`), so only the characters are compared."""
    return "".join(text.split())


def test_help_for_every_target_type_goal_and_subsystem(pants_repo: PantsRepo) -> None:
    everything = json.loads(pants_repo.run("help-all").stdout)
    target_types = sorted(
        name
        for name, info in everything["name_to_target_type_info"].items()
        if info.get("provider") == "shipyard"
    )
    scopes = sorted(
        scope
        for scope, info in everything["scope_to_help_info"].items()
        if scope and info.get("provider") == "shipyard"
    )
    # Without these the loop below could pass having checked nothing.
    assert {"oci_image", "helm_chart"} <= set(target_types)
    assert {"oci", "oci-peek"} <= set(scopes)

    for name in target_types:
        result = pants_repo.run("help", name, check=False)
        assert result.returncode == 0, f"`pants help {name}`:\n{result.stderr}"
        summary = everything["name_to_target_type_info"][name]["summary"]
        assert f"`{name}` target" in result.stdout and words(summary) in words(result.stdout)
        assert "[ERROR]" not in result.stderr and "Traceback" not in result.stderr
    for scope in scopes:
        result = pants_repo.run("help", scope, check=False)
        assert result.returncode == 0, f"`pants help {scope}`:\n{result.stderr}"
        description = everything["scope_to_help_info"][scope]["description"]
        assert words(description) in words(result.stdout)
        assert "[ERROR]" not in result.stderr and "Traceback" not in result.stderr
