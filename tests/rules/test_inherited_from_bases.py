"""Rule tests: an image built FROM a repo image inherits that image's ENV and runs its ONBUILD
triggers against its own context (Dockerfile reference: ENV, ONBUILD), so inference sees the
files those read."""

from __future__ import annotations

import pytest
from pants.core.target_types import FilesGeneratorTarget, FileTarget
from pants.engine.addresses import Address
from pants.engine.target import InferredDependencies
from pants.testutil.rule_runner import QueryRule, RuleRunner, engine_error

from shipyard import register
from shipyard.dependency_inference.image_dependencies import InferOciImageDependencies
from shipyard.util_rules.dockerfile_resolution import InvalidDockerfileError
from shipyard.util_rules.image_resolution import ImageExports, ImageExportsRequest, OciImageFieldSet, ResolvedOciImage

FILES = 'files(name="files", sources=["**/*", "!BUILD", "!Dockerfile*"])\n'
BASE = {
    "base/BUILD": 'oci_image(name="base", repository="acme/base")\n',
    "base/Dockerfile": "FROM python:3.11-slim\nARG NOT_KEPT=x\nENV APP_HOME=srv\nONBUILD COPY requirements.txt /req/\n",
}


@pytest.fixture
def rule_runner() -> RuleRunner:
    return RuleRunner(
        rules=[
            *register.rules(),
            QueryRule(InferredDependencies, [InferOciImageDependencies]),
            QueryRule(ImageExports, [ImageExportsRequest]),
            QueryRule(ResolvedOciImage, [OciImageFieldSet]),
        ],
        target_types=[*register.target_types(), FilesGeneratorTarget, FileTarget],
    )


def infer(rule_runner: RuleRunner, spec: str) -> set[str]:
    target = rule_runner.get_target(Address(spec, target_name=spec.rsplit("/", 1)[-1]))
    result = rule_runner.request(InferredDependencies, [InferOciImageDependencies(OciImageFieldSet.create(target))])
    return {a.spec for a in result.include}


def test_env_and_onbuild_of_a_repo_base_decide_the_childs_files(rule_runner: RuleRunner) -> None:
    rule_runner.write_files(
        {
            **BASE,
            "app/BUILD": 'oci_image(name="app")\n' + FILES,
            "app/Dockerfile": "FROM acme/base\nCOPY ${APP_HOME}/main.py ${NOT_KEPT}/\n",
            "app/srv/main.py": "",
            "app/main.py": "",
            "app/requirements.txt": "",
            "app/README.md": "",
        }
    )
    assert infer(rule_runner, "app") == {"base:base", "app/srv/main.py:../files", "app/requirements.txt:files"}


def test_env_reaches_through_a_chain_of_repo_images_but_onbuild_only_one_level(rule_runner: RuleRunner) -> None:
    rule_runner.write_files(
        {
            **BASE,
            "mid/BUILD": 'oci_image(name="mid", repository="acme/mid")\n' + FILES,
            "mid/Dockerfile": "FROM acme/base\nENV LIB=lib\n",
            "mid/requirements.txt": "",
            "app/BUILD": 'oci_image(name="app")\n' + FILES,
            "app/Dockerfile": "FROM acme/mid\nCOPY ${APP_HOME}/ ${LIB}/ /app/\n",
            "app/srv/a.py": "",
            "app/lib/b.py": "",
            "app/requirements.txt": "",
        }
    )
    assert infer(rule_runner, "mid") == {"base:base", "mid/requirements.txt:files"}
    assert infer(rule_runner, "app") == {"mid:mid", "app/srv/a.py:../files", "app/lib/b.py:../files"}


def test_a_failing_onbuild_trigger_names_the_childs_from_and_the_base_line(rule_runner: RuleRunner) -> None:
    rule_runner.write_files({**BASE, "app/BUILD": 'oci_image(name="app")\n', "app/Dockerfile": "# app\nFROM acme/base\n"})
    with engine_error(InvalidDockerfileError, contains="app/Dockerfile:2: COPY source 'requirements.txt' was not found"):
        target = rule_runner.get_target(Address("app", target_name="app"))
        rule_runner.request(ResolvedOciImage, [OciImageFieldSet.create(target)])



def test_a_base_that_cannot_be_resolved_hands_down_nothing(rule_runner: RuleRunner) -> None:
    # Its own inference and build report the error; asking for its exports does not fail again.
    rule_runner.write_files(
        {
            "base/BUILD": 'oci_image(name="base", repository="acme/base")\n',
            "base/Dockerfile": "FROM python:3.11-slim\nENV A=1\nCOPY missing.txt /\n",
        }
    )
    exports = rule_runner.request(ImageExports, [ImageExportsRequest(Address("base", target_name="base"), ("linux/amd64",))])
    assert exports.exports == ()
