"""Fixtures that run the real `./pants` on a throwaway copy of this repository."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Iterator

import pytest

from tests.e2e.repo_copy import REPO_ROOT, copy_repo, git, init_git, stop_pantsd

__all__ = ["PantsRepo", "REPO_ROOT", "copy_repo", "init_git", "pants_repo"]


class PantsRepo:
    """A git-initialised copy of this repository's tracked and untracked (not ignored) files."""

    def __init__(self, root: Path, env: dict[str, str]) -> None:
        self.root = root
        self.env = env

    def run(self, *args: str, check: bool = True, timeout: float = 600) -> subprocess.CompletedProcess:
        """Runs `./pants ARGS` in the copy; with `check`, fails the test showing Pants' output."""
        result = subprocess.run(
            ["./pants", *args],
            cwd=self.root,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if check and result.returncode != 0:
            pytest.fail(
                f"./pants {' '.join(args)} exited {result.returncode}\n"
                f"--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
            )
        return result

    def git(self, *args: str) -> str:
        return git(self.root, *args)

    def write(self, relpath: str, content: str) -> None:
        path = self.root / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)

    def stop_pantsd(self) -> None:
        stop_pantsd(self.root)


@pytest.fixture
def pants_repo(tmp_path: Path) -> Iterator[PantsRepo]:
    """A fresh copy of the repo with a git history of one commit, sharing the bootstrapped venv."""
    root = tmp_path / "repo"
    copy_repo(root)
    init_git(root)
    repo = PantsRepo(root, dict(os.environ))
    try:
        yield repo
    finally:
        repo.stop_pantsd()
