"""Rule tests (Pants' RuleRunner, real git) for the build root's git checkout and the git state
`release` tags from: found only inside a git work tree, and read again in every run."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from pants.testutil.rule_runner import QueryRule, RuleRunner

from shipyard import register
from shipyard.publish.tags import GitState, shallow_clone_warning
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


def test_a_shallow_tag_checkout_is_seen_and_warned_about(rule_runner: RuleRunner, tmp_path: Path) -> None:
    """As actions/checkout fetches a tag push by default (`fetch-depth: 1`): only that tag, so
    the higher release v1.3.0 is unknown and v1.2.5 would look like the highest."""
    origin = tmp_path / "origin"
    origin.mkdir()
    (origin / "app.txt").write_text("1\n")
    init_git(origin)
    git(origin, "tag", "v1.2.4")
    (origin / "app.txt").write_text("2\n")
    git(origin, "commit", "-qam", "next")
    git(origin, "tag", "v1.3.0")
    git(origin, "checkout", "-q", "-b", "backport", "v1.2.4")
    (origin / "app.txt").write_text("1 fixed\n")
    git(origin, "commit", "-qam", "fix")
    git(origin, "tag", "v1.2.5")
    root = Path(rule_runner.build_root)
    git(root, "init", "-q")
    git(root, "fetch", "-q", "--depth=1", f"file://{origin}", "+refs/tags/v1.2.5:refs/tags/v1.2.5")
    git(root, "checkout", "-q", "--detach", "v1.2.5")
    state = rule_runner.request(GitState, [GitStateRequest()])
    assert (state.shallow, state.tags_at_head, state.all_tags) == (True, ("v1.2.5",), ("v1.2.5",))
    warning = shallow_clone_warning(state)
    assert warning is not None and "v1.2.5" in warning and "git fetch --tags" in warning
    # Every tag fetched and the history complete: nothing to warn about.
    git(root, "fetch", "-q", "--unshallow", "--tags", f"file://{origin}")
    rule_runner.set_options([])
    state = rule_runner.request(GitState, [GitStateRequest()])
    assert not state.shallow and "v1.3.0" in state.all_tags
    assert shallow_clone_warning(state) is None
