"""Rule tests (Pants' RuleRunner, a real git repository) for deleted files in `--changed-since` runs.

Pants 2.17 maps a deleted file only to its target generator, so an image or chart that copied or
packaged it must depend on that generator in such a run, and only then.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from pants.core.target_types import FilesGeneratorTarget, FileTarget
from pants.engine.addresses import Address
from pants.engine.target import InferredDependencies
from pants.testutil.rule_runner import QueryRule, RuleRunner

from shipyard import register
from shipyard.dependency_inference.chart_dependencies import InferHelmChartDependencies
from shipyard.dependency_inference.image_dependencies import InferOciImageDependencies
from shipyard.util_rules.chart_resolution import HelmChartFieldSet
from shipyard.util_rules.deleted_files import DeletedChangedFiles
from shipyard.util_rules.image_resolution import OciImageFieldSet

APP = Address("app", target_name="app")
CHART = Address("chart", target_name="chart")
FILES = 'files(name="files", sources=["**/*", "!BUILD", "!Dockerfile"])\n'


@pytest.fixture
def rule_runner() -> RuleRunner:
    runner = RuleRunner(
        rules=[
            *register.rules(),
            QueryRule(InferredDependencies, [InferOciImageDependencies]),
            QueryRule(InferredDependencies, [InferHelmChartDependencies]),
            QueryRule(DeletedChangedFiles, []),
        ],
        target_types=[*register.target_types(), FilesGeneratorTarget, FileTarget],
    )
    runner.write_files(
        {
            "app/BUILD": 'oci_image(name="app")\n' + FILES,
            "app/Dockerfile": "FROM scratch\nCOPY src/ /app/src/\n",
            "app/.dockerignore": "src/*.tmp\n",
            "app/src/main.py": "",
            "app/src/util.py": "def util() -> int:\n    return 1\n",
            "app/src/scratch.tmp": "",
            "app/README.md": "",
            "other/BUILD": 'oci_image(name="other")\n' + FILES,
            "other/Dockerfile": "FROM scratch\nCOPY . /srv/\n",
            "other/data.txt": "",
            "chart/BUILD": 'helm_chart(name="chart")\nfiles(name="chart-files", sources=["**/*", "!BUILD", "!Chart.yaml"])\n',
            "chart/Chart.yaml": "apiVersion: v2\nname: chart\nversion: 0.1.0\n",
            "chart/values.yaml": "replicas: 1\n",
            "chart/templates/deployment.yaml": "kind: Deployment\n",
            "chart/.helmignore": "ci/\n",
            "chart/ci/ci-values.yaml": "replicas: 2\n",
        }
    )
    git(runner, "init", "-q")
    git(runner, "add", "-A")
    git(runner, "commit", "-q", "-m", "base")
    return runner


def git(rule_runner: RuleRunner, *args: str) -> None:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
    }
    subprocess.run(["git", *args], cwd=rule_runner.build_root, env=env, check=True)


def delete(rule_runner: RuleRunner, *paths: str) -> None:
    for path in paths:
        Path(rule_runner.build_root, path).unlink()


def image_dependencies(rule_runner: RuleRunner, *options: str, address: Address = APP) -> set[str]:
    rule_runner.set_options(list(options))
    target = rule_runner.get_target(address)
    result = rule_runner.request(InferredDependencies, [InferOciImageDependencies(OciImageFieldSet.create(target))])
    return {a.spec for a in result.include}


def chart_dependencies(rule_runner: RuleRunner, *options: str) -> set[str]:
    rule_runner.set_options(list(options))
    target = rule_runner.get_target(CHART)
    result = rule_runner.request(InferredDependencies, [InferHelmChartDependencies(HelmChartFieldSet.create(target))])
    return {a.spec for a in result.include}


def test_a_deleted_copied_file_makes_the_image_depend_on_its_generator(rule_runner: RuleRunner) -> None:
    delete(rule_runner, "app/src/util.py")
    assert "app:files" in image_dependencies(rule_runner, "--changed-since=HEAD")


def test_without_changed_since_the_generator_is_not_a_dependency(rule_runner: RuleRunner) -> None:
    delete(rule_runner, "app/src/util.py")
    assert image_dependencies(rule_runner) == {"app/src/main.py:../files", "app/.dockerignore:files"}


def test_a_deleted_file_the_dockerfile_does_not_copy_adds_nothing(rule_runner: RuleRunner) -> None:
    delete(rule_runner, "app/README.md")
    assert image_dependencies(rule_runner, "--changed-since=HEAD") == {
        "app/src/main.py:../files",
        "app/src/util.py:../files",
        "app/.dockerignore:files",
    }


def test_a_deleted_file_the_dockerignore_excluded_adds_nothing(rule_runner: RuleRunner) -> None:
    delete(rule_runner, "app/src/scratch.tmp")
    assert "app:files" not in image_dependencies(rule_runner, "--changed-since=HEAD")


def test_a_deleted_dockerignore_makes_the_image_depend_on_its_generator(rule_runner: RuleRunner) -> None:
    delete(rule_runner, "app/.dockerignore")
    assert "app:files" in image_dependencies(rule_runner, "--changed-since=HEAD")


def test_a_deletion_in_another_build_context_adds_nothing(rule_runner: RuleRunner) -> None:
    delete(rule_runner, "other/data.txt")
    assert "app:files" not in image_dependencies(rule_runner, "--changed-since=HEAD")
    assert "other:files" in image_dependencies(rule_runner, "--changed-since=HEAD", address=Address("other", target_name="other"))


def test_a_committed_deletion_counts_against_the_base_commit(rule_runner: RuleRunner) -> None:
    delete(rule_runner, "app/src/util.py")
    git(rule_runner, "commit", "-q", "-a", "-m", "delete util.py")
    assert "app:files" not in image_dependencies(rule_runner, "--changed-since=HEAD")
    assert "app:files" in image_dependencies(rule_runner, "--changed-since=HEAD~1")
    assert "app:files" in image_dependencies(rule_runner, "--changed-diffspec=HEAD")


def test_only_files_gone_from_disk_count_as_deleted(rule_runner: RuleRunner) -> None:
    delete(rule_runner, "app/README.md", "chart/ci/ci-values.yaml")
    Path(rule_runner.build_root, "app/src/main.py").write_text("edited\n")
    Path(rule_runner.build_root, "app/new.txt").write_text("")
    rule_runner.set_options(["--changed-since=HEAD"])
    assert rule_runner.request(DeletedChangedFiles, []).paths == ("app/README.md", "chart/ci/ci-values.yaml")
    rule_runner.set_options([])
    assert rule_runner.request(DeletedChangedFiles, []).paths == ()


def test_a_deleted_packaged_chart_file_makes_the_chart_depend_on_its_generator(rule_runner: RuleRunner) -> None:
    delete(rule_runner, "chart/templates/deployment.yaml")
    assert "chart:chart-files" in chart_dependencies(rule_runner, "--changed-since=HEAD")
    assert "chart:chart-files" not in chart_dependencies(rule_runner)


def test_a_deleted_helmignored_chart_file_adds_nothing(rule_runner: RuleRunner) -> None:
    delete(rule_runner, "chart/ci/ci-values.yaml")
    assert "chart:chart-files" not in chart_dependencies(rule_runner, "--changed-since=HEAD")


def test_a_copied_file_renamed_out_of_the_copy_makes_the_image_depend_on_the_new_paths_owner(
    rule_runner: RuleRunner,
) -> None:
    # git reports a rename, and Pants' `--changed-since` sees only the new path.
    git(rule_runner, "mv", "app/src/util.py", "app/util.py")
    git(rule_runner, "commit", "-q", "-m", "move util.py out of src/")
    assert "app/util.py:files" in image_dependencies(rule_runner, "--changed-since=HEAD~1")
    # `git diff-tree` (what Pants runs for `--changed-diffspec`) detects no renames: a deletion.
    assert "app:files" in image_dependencies(rule_runner, "--changed-diffspec=HEAD")
    assert "app/util.py:files" not in image_dependencies(rule_runner)


def test_a_staged_rename_counts_too(rule_runner: RuleRunner) -> None:
    git(rule_runner, "mv", "app/src/util.py", "app/util.py")
    rule_runner.set_options(["--changed-since=HEAD"])
    deleted = rule_runner.request(DeletedChangedFiles, [])
    assert deleted.paths == ("app/src/util.py",)
    assert dict(deleted.renamed_to) == {"app/src/util.py": "app/util.py"}
    assert "app/util.py:files" in image_dependencies(rule_runner, "--changed-since=HEAD")


def test_an_image_its_deleted_files_leave_unresolvable_still_depends_on_their_new_owners(
    rule_runner: RuleRunner,
) -> None:
    # Every file of the copied src/ is moved to other/ or removed: `COPY src/` now fails, so the
    # image counts as changed by anything in its context, and by the moved files' new owners.
    git(rule_runner, "mv", "app/src/util.py", "other/util.py")
    git(rule_runner, "rm", "-q", "app/src/main.py", "app/src/scratch.tmp")
    git(rule_runner, "commit", "-q", "-m", "move src/ away")
    dependencies = image_dependencies(rule_runner, "--changed-since=HEAD~1")
    assert "other/util.py:files" in dependencies
    assert "app:files" in dependencies


def test_the_resolution_with_deleted_files_assumed_present_repeats_no_warning(
    rule_runner: RuleRunner, caplog: pytest.LogCaptureFixture
) -> None:
    # The what-if resolution is for inference only: its warnings are the real resolution's again.
    rule_runner.write_files({"app/Dockerfile": "FROM scratch\nCOPY src/ /app/src/\nCOPY *.none /x/\n"})
    git(rule_runner, "commit", "-q", "-a", "-m", "copy a glob that matches nothing")
    delete(rule_runner, "app/src/util.py")
    assert "app:files" in image_dependencies(rule_runner, "--changed-since=HEAD")
    warnings = [r.getMessage() for r in caplog.records if "matched no files" in r.getMessage()]
    assert len(warnings) == 1, warnings
    assert warnings[0].startswith("app/Dockerfile:3: COPY source '*.none' matched no files")


def test_a_new_run_reads_git_again_though_no_file_changed(rule_runner: RuleRunner) -> None:
    # Committing the deletion changes git's answer and no file Pants watches: a value reused from
    # the run before would still list the file.
    delete(rule_runner, "app/src/util.py")
    rule_runner.set_options(["--changed-since=HEAD"])
    assert rule_runner.request(DeletedChangedFiles, []).paths == ("app/src/util.py",)
    git(rule_runner, "commit", "-q", "-a", "-m", "delete util.py")
    rule_runner.set_options(["--changed-since=HEAD"])  # a new session on the same graph: a new run
    assert rule_runner.request(DeletedChangedFiles, []).paths == ()
