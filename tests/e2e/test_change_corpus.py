"""`pants --changed-since=HEAD list` names exactly the images and charts each edit affects.

The command is the one CI runs (`[changed].dependents = "transitive"` comes from pants.toml), on a
committed copy of this repository; each edit starts from a clean work tree. The corpus runs twice:
on the example's hand-written BUILD files, and on BUILD files whose owners `pants tailor ::` wrote
(only the `oci_image`/`helm_chart` declarations kept).
"""

from __future__ import annotations

import os
from typing import Iterator

import pytest

from tests.e2e.change_corpus import CORPUS, Edit, keep_only_user_declared_targets
from tests.e2e.conftest import PantsRepo, copy_repo, init_git

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module", params=["hand_written", "tailored"])
def corpus_repo(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[PantsRepo]:
    root = tmp_path_factory.mktemp(f"corpus-{request.param}") / "repo"
    copy_repo(root)
    repo = PantsRepo(root, dict(os.environ))
    try:
        if request.param == "tailored":
            keep_only_user_declared_targets(root)
            repo.run("tailor", "::")
        init_git(root)
        yield repo
    finally:
        repo.stop_pantsd()


def affected_images_and_charts(repo: PantsRepo) -> set[str]:
    result = repo.run(
        "--changed-since=HEAD", "--filter-target-type=oci_image,helm_chart", "list"
    )
    return set(result.stdout.split())


def test_the_corpus_is_large_and_varied() -> None:
    assert len(CORPUS) >= 25
    assert len({e.name for e in CORPUS}) == len(CORPUS)
    assert sum(1 for e in CORPUS if not e.affected) >= 8  # edits that must affect nothing


@pytest.mark.parametrize("edit", CORPUS, ids=[e.name for e in CORPUS])
def test_changed_since_names_exactly_the_affected_targets(corpus_repo: PantsRepo, edit: Edit) -> None:
    base = corpus_repo.git("rev-parse", "HEAD").strip()
    corpus_repo.git("reset", "-q", "--hard", base)
    corpus_repo.git("clean", "-fdq")
    try:
        if edit.setup is not None:
            edit.setup(corpus_repo.root)
            corpus_repo.git("add", "-A")
            corpus_repo.git("commit", "-q", "-m", f"setup for {edit.name}")
        edit.apply(corpus_repo.root)
        assert affected_images_and_charts(corpus_repo) == set(edit.affected), edit.why
    finally:
        corpus_repo.git("reset", "-q", "--hard", base)
        corpus_repo.git("clean", "-fdq")
