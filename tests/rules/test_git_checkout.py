"""Rule tests (Pants' RuleRunner, real git) for the build root's git checkout and the git state
`release` tags from: found only inside a git work tree, and read again in every run."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from pants.testutil.rule_runner import QueryRule, RuleRunner

from shipyard import register
from shipyard.publish.tags import GitState
from shipyard.util_rules.git_checkout import GitCheckoutRequest, MaybeGitCheckout
from shipyard.util_rules.git_state import GitStateRequest
from tests.e2e.repo_copy import git, init_git


@pytest.fixture
def rule_runner() -> RuleRunner:
    runner = RuleRunner(
        rules=[
            *register.rules(),
            QueryRule(MaybeGitCheckout, [GitCheckoutRequest]),
            QueryRule(GitState, [GitStateRequest]),
        ],
        target_types=list(register.target_types()),
    )
    runner.write_files({"README.md": "hello\n"})
    return runner


def test_outside_a_git_work_tree_there_is_no_checkout(rule_runner: RuleRunner) -> None:
    assert rule_runner.request(MaybeGitCheckout, [GitCheckoutRequest()]).checkout is None


def test_the_checkout_runs_git_from_the_build_root(rule_runner: RuleRunner) -> None:
    init_git(Path(rule_runner.build_root))
    checkout = rule_runner.request(MaybeGitCheckout, [GitCheckoutRequest()]).checkout
    assert checkout is not None
    assert checkout.run("rev-parse", "--show-toplevel").strip() == os.path.realpath(rule_runner.build_root)


def test_the_git_state_is_read_again_in_each_run(rule_runner: RuleRunner) -> None:
    init_git(Path(rule_runner.build_root))
    first = rule_runner.request(GitState, [GitStateRequest()])
    assert (first.branch, first.tags_at_head, first.all_tags) == ("main", (), ())
    assert first.commit == git(Path(rule_runner.build_root), "rev-parse", "HEAD").strip()
    # A tag and a detached HEAD change no file Pants watches.
    git(Path(rule_runner.build_root), "tag", "v1.2.3")
    git(Path(rule_runner.build_root), "checkout", "-q", "--detach")
    rule_runner.set_options([])  # a new session on the same graph: a new run
    second = rule_runner.request(GitState, [GitStateRequest()])
    assert (second.branch, second.tags_at_head, second.all_tags) == (None, ("v1.2.3",), ("v1.2.3",))
