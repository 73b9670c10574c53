"""The git checkout Pants runs in, and git commands run in it from inside pantsd, once per run.

Pants' own `GitWorktree` runs git through `subprocess.Popen` with its defaults, and on the
CPython 3.9 that Pants 2.17 runs on that forks pantsd: every call then copies pantsd's page
tables, about 0.14 s when pantsd holds 5 GiB (a 1,000-image repository), and finding the worktree
alone makes two such calls. Started with `close_fds=False` and without `cwd` (git's own `-C`
instead), CPython spawns git with `posix_spawn`, which does not copy them: about 1.5 ms.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from typing import Iterable, Optional, Sequence

from pants.base.build_environment import get_buildroot
from pants.core.util_rules.system_binaries import MaybeGitBinary
from pants.engine.engine_aware import EngineAwareReturnType
from pants.engine.rules import Rule, collect_rules, rule


class GitCommandError(Exception):
    """A git command failed in the build root's checkout."""


def run_git(git: str, buildroot: str, args: Sequence[str]) -> str:
    """`git -C <buildroot> <args>`'s standard output; `GitCommandError` with git's message if it
    fails. `git` is an absolute path, which `posix_spawn` needs."""
    argv = [git, "-C", buildroot, *args]
    # `close_fds=False` and no `cwd` keep CPython on `posix_spawn` (see the module's docstring);
    # git then inherits pantsd's inheritable descriptors (its LMDB store files, the log), uses none
    # of them and closes them when it exits, at once.
    result = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, close_fds=False)
    if result.returncode != 0:
        message = result.stderr.decode(errors="replace").strip() or f"exit code {result.returncode}"
        raise GitCommandError(f"`git {' '.join(args)}` failed in {buildroot}: {message}")
    return result.stdout.decode(errors="surrogateescape")


@dataclass(frozen=True, eq=False)
class GitCheckout:
    """Git, and the build root inside a git work tree. Compared by identity, as Pants' own
    `GitWorktree` is, so that every rule reading git through it runs again in each run: a commit,
    a checkout or a new tag changes the answers without changing any file Pants watches."""

    git: str
    buildroot: str

    def run(self, *args: str) -> str:
        """`git <args>` run from the build root; see `run_git`."""
        return run_git(self.git, self.buildroot, args)


@dataclass(frozen=True)
class MaybeGitCheckout(EngineAwareReturnType):
    """The build root's git checkout, or None when git is missing or the build root is not in a
    git work tree."""

    checkout: Optional[GitCheckout] = None

    def cacheable(self) -> bool:
        return False


@dataclass(frozen=True)
class GitCheckoutRequest:
    """Asks for the build root's git checkout (a request, so that only rules that need git, and
    only when they do, depend on a result that is looked up again in every run)."""


@rule(desc="Find the git checkout of the build root")
async def find_git_checkout(_: GitCheckoutRequest, maybe_git: MaybeGitBinary) -> MaybeGitCheckout:
    """The build root's git checkout, looked up again in each run (it is not cacheable)."""
    if maybe_git.git_binary is None:
        return MaybeGitCheckout()
    buildroot = get_buildroot()
    try:
        run_git(maybe_git.git_binary.path, buildroot, ["rev-parse", "--is-inside-work-tree"])
    except GitCommandError:
        return MaybeGitCheckout()
    return MaybeGitCheckout(GitCheckout(maybe_git.git_binary.path, buildroot))


def rules() -> Iterable[Rule]:
    return collect_rules()
