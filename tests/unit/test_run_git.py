"""`run_git`: git's output from the build root, and an error naming the command and git's message."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from shipyard.util_rules.git_checkout import GitCommandError, run_git

GIT = shutil.which("git") or "git"


def test_git_runs_from_the_given_directory_inside_the_work_tree(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / "sub").mkdir()
    assert run_git(GIT, str(tmp_path / "sub"), ["rev-parse", "--show-prefix"]).strip() == "sub/"


def test_a_failing_command_names_itself_the_directory_and_gits_message(tmp_path: Path) -> None:
    with pytest.raises(GitCommandError) as error:
        run_git(GIT, str(tmp_path), ["rev-parse", "HEAD"])
    message = str(error.value)
    assert "`git rev-parse HEAD`" in message and str(tmp_path) in message
    assert "not a git repository" in message
