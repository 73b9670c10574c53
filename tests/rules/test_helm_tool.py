"""Setting up Helm's tool: without a CPython >= 3.10 on [python-bootstrap].search_path, one
message says what to install (before PEX would list every interpreter it rejected)."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest
from pants.engine.internals.scheduler import ExecutionError
from pants.testutil.rule_runner import QueryRule, RuleRunner

from shipyard import register
from shipyard.util_rules.helm_tool import HelmTool, NoHelmInterpreterError


@pytest.fixture
def rule_runner() -> RuleRunner:
    return RuleRunner(
        rules=[*register.rules(), QueryRule(HelmTool, [])],
        target_types=register.target_types(),
    )


@pytest.mark.parametrize("interpreters", [[], ["python3.9"]], ids=["none", "only-3.9"])
def test_no_python_310_says_what_to_install(rule_runner: RuleRunner, tmp_path: Path, interpreters: list) -> None:
    search_dir = tmp_path / "bin"
    search_dir.mkdir()
    for name in interpreters:
        # The interpreter running these tests is Pants' CPython 3.9.
        assert sys.version_info[:2] == (3, 9)
        os.symlink(sys.executable, search_dir / "python3")
    rule_runner.set_options([f'--python-bootstrap-search-path=["{search_dir}"]'], env_inherit={"PATH"})
    with pytest.raises(ExecutionError) as error:
        rule_runner.request(HelmTool, [])
    message = str(error.value)
    assert NoHelmInterpreterError.__name__ in message
    assert "needs CPython 3.10 to 3.13" in message
    assert "[python-bootstrap].search_path" in message and str(search_dir) in message
    assert "pyenv install 3.11" in message
