"""Rule tests: a COPY source that exists but Pants ignores ([GLOBAL].pants_ignore, .gitignore)
is reported as ignored, with the fix, not as missing (docker would copy it)."""

from __future__ import annotations

import pytest
from pants.core.target_types import FilesGeneratorTarget, FileTarget
from pants.engine.addresses import Address
from pants.engine.internals.scheduler import ExecutionError
from pants.testutil.rule_runner import QueryRule, RuleRunner, engine_error

from shipyard import register
from shipyard.util_rules.dockerfile_resolution import InvalidDockerfileError
from shipyard.util_rules.image_resolution import OciImageFieldSet, ResolvedOciImage

APP = Address("app", target_name="app")


@pytest.fixture
def rule_runner() -> RuleRunner:
    # The engine applies pants_ignore when it starts, so it is a bootstrap option here.
    return RuleRunner(
        rules=[*register.rules(), QueryRule(ResolvedOciImage, [OciImageFieldSet])],
        target_types=[*register.target_types(), FilesGeneratorTarget, FileTarget],
        bootstrap_args=["--pants-ignore=['/app/tools/']"],
    )


def resolve(rule_runner: RuleRunner) -> ResolvedOciImage:
    """Resolves the image as `package` does (inference reports the same error as a warning)."""
    return rule_runner.request(ResolvedOciImage, [OciImageFieldSet.create(rule_runner.get_target(APP))])


@pytest.mark.parametrize(
    "source,pattern",
    [("tools/build.sh", "!/app/tools/build.sh"), ("tools/", "!/app/tools/"), ("tools/*.sh", "!/app/tools/")],
    ids=["file", "directory", "wildcard"],
)
def test_copy_of_a_pants_ignored_path_says_so_and_how_to_fix_it(rule_runner: RuleRunner, source: str, pattern: str) -> None:
    rule_runner.write_files(
        {
            "app/BUILD": 'oci_image(name="app")\n',
            "app/Dockerfile": f"FROM scratch\nCOPY {source} /tools/\n",
            "app/tools/build.sh": "echo hi\n",
        }
    )
    with pytest.raises(ExecutionError) as caught:
        resolve(rule_runner)
    message = str(caught.value)
    assert "InvalidDockerfileError" in message and "app/Dockerfile:2: COPY source" in message
    assert "Pants ignores it ([GLOBAL].pants_ignore" in message
    assert f'pants_ignore.add = ["{pattern}"]' in message
    assert "was not found" not in message


def test_a_path_missing_on_disk_too_is_not_found(rule_runner: RuleRunner) -> None:
    rule_runner.write_files({"app/BUILD": 'oci_image(name="app")\n', "app/Dockerfile": "FROM scratch\nCOPY nothing.sh /\n"})
    with engine_error(InvalidDockerfileError, contains="'nothing.sh' was not found"):
        resolve(rule_runner)
