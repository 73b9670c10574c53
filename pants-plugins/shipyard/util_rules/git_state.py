"""Reads the git state the tag policy needs: HEAD's commit and branch, and the repository's tags.

From the build root's git checkout (`git_checkout`), once per run: this is not cached, since a new
commit or tag changes the answer without changing any file Pants watches.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from pants.engine.rules import Get, Rule, collect_rules, rule

from shipyard.publish.tags import GitState
from shipyard.util_rules.git_checkout import GitCheckoutRequest, MaybeGitCheckout


class NoGitRepositoryError(Exception):
    """Publishing needs git: tags come from HEAD's commit, branch and version tags."""


@dataclass(frozen=True)
class GitStateRequest:
    pass


@rule(desc="Read HEAD, its branch and the version tags from git")
async def read_git_state(_: GitStateRequest) -> GitState:
    """HEAD's commit and branch, the tags at HEAD and every tag, and whether the clone is
    shallow, as the tag policy needs them."""
    checkout = (await Get(MaybeGitCheckout, GitCheckoutRequest())).checkout
    if checkout is None:
        raise NoGitRepositoryError(
            "`release` tags images from git (the commit, the branch, version tags), but this is "
            "not a git repository or git is not installed. Run it in a git checkout."
        )

    def git(*args: str) -> list[str]:
        return [line.strip() for line in checkout.run(*args).splitlines() if line.strip()]

    branch = git("rev-parse", "--abbrev-ref", "HEAD")[0]
    return GitState(
        commit=git("rev-parse", "HEAD")[0],
        branch=None if branch == "HEAD" else branch,
        tags_at_head=tuple(git("tag", "--points-at", "HEAD")),
        all_tags=tuple(git("tag", "--list")),
        shallow=git("rev-parse", "--is-shallow-repository") == ["true"],
    )


def rules() -> Iterable[Rule]:
    return collect_rules()
