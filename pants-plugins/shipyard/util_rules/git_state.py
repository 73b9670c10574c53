"""Reads the git state the tag policy needs: HEAD's commit and branch, and the repository's tags.

Through Pants' own un-sandboxed git worktree (as `--changed-since` does), once per run: this is
not cached, since a new commit or tag changes the answer without changing any file Pants watches.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from pants.engine.rules import Get, Rule, collect_rules, rule
from pants.vcs.git import GitWorktreeRequest, MaybeGitWorktree

from shipyard.publish.tags import GitState


class NoGitRepositoryError(Exception):
    """Publishing needs git: tags come from HEAD's commit, branch and version tags."""


@dataclass(frozen=True)
class GitStateRequest:
    pass


@rule(desc="Read HEAD, its branch and the version tags from git")
async def read_git_state(_: GitStateRequest) -> GitState:
    """HEAD's commit and branch, the tags at HEAD and every tag, as the tag policy needs them."""
    maybe = await Get(MaybeGitWorktree, GitWorktreeRequest())
    worktree = maybe.git_worktree
    if worktree is None:
        raise NoGitRepositoryError(
            "`release` tags images from git (the commit, the branch, version tags), but this is "
            "not a git repository or git is not installed. Run it in a git checkout."
        )

    def git(*args: str) -> list[str]:
        output = worktree._git_binary._invoke_unsandboxed(worktree._create_git_cmdline(list(args)))
        return [line for line in output.splitlines() if line.strip()]

    return GitState(
        commit=worktree.commit_id,
        branch=worktree.branch_name,
        tags_at_head=tuple(git("tag", "--points-at", "HEAD")),
        all_tags=tuple(git("tag", "--list")),
    )


def rules() -> Iterable[Rule]:
    return collect_rules()
