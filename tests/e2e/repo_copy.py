"""Throwaway copies of this repository for running the real `./pants` on (tests and benchmarks).

Plain Python (no pytest), so the scripts under tools/bench/ share it with the test fixtures.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
_GIT_IDENTITY = ("-c", "user.email=copy@example.com", "-c", "user.name=copy")


def copy_repo(dest: Path) -> None:
    """Copies the files git would see (tracked + untracked, not ignored) into `dest`."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO_ROOT,
        check=True,
        capture_output=True,
    ).stdout.decode().split("\0")
    for rel in filter(None, listed):
        src = REPO_ROOT / rel
        if not src.exists():  # deleted in the work tree but still in the index
            continue
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, target)


def git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *_GIT_IDENTITY, *args], cwd=root, check=True, capture_output=True, text=True
    ).stdout


def init_git(root: Path) -> None:
    """Makes `root` a git repository on branch main with everything in one commit."""
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "base")


def stop_pantsd(root: Path, timeout: float = 15) -> None:
    """Stops the pantsd a copy started (its pid file), killing it if it does not exit in time."""
    for pid_file in root.glob(".pids/*/pantsd/pid"):
        try:
            pid = int(pid_file.read_text().strip())
            os.kill(pid, signal.SIGTERM)
        except (ValueError, OSError):
            continue
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and Path(f"/proc/{pid}").exists():
            time.sleep(0.2)
        if Path(f"/proc/{pid}").exists():
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
