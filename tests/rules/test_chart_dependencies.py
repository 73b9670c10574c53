"""Rule tests (Pants' RuleRunner) for helm_chart dependency inference."""

from __future__ import annotations

from textwrap import dedent

import pytest
from pants.core.target_types import FilesGeneratorTarget, FileTarget
from pants.engine.addresses import Address
from pants.engine.internals.scheduler import ExecutionError
from pants.engine.target import InferredDependencies
from pants.testutil.rule_runner import QueryRule, RuleRunner, engine_error

from shipyard import register
from shipyard.dependency_inference.chart_dependencies import (
    ChartDependencyCycleError,
    InferHelmChartDependencies,
    MissingChartDependencyError,
)
from shipyard.util_rules.chart_resolution import HelmChartFieldSet, InvalidChartError
from shipyard.util_rules.file_owners import UnownedFilesError
from shipyard.util_rules.repositories import AmbiguousImageReferenceError


@pytest.fixture
def rule_runner() -> RuleRunner:
    runner = RuleRunner(
        rules=[*register.rules(), QueryRule(InferredDependencies, [InferHelmChartDependencies])],
        target_types=[*register.target_types(), FilesGeneratorTarget, FileTarget],
    )
    runner.set_options(['--oci-registries={"ghcr": "ghcr.io/acme"}'])
    return runner


CHART_FILES_BUILD = 'helm_chart(name="app")\nfiles(name="chart-files", sources=["**/*", "!BUILD", "!Chart.yaml"])\n'


def chart_yaml(name: str, deps: str = "") -> str:
    return f"apiVersion: v2\nname: {name}\nversion: 0.1.0\n{deps}"


def infer(rule_runner: RuleRunner, address: Address) -> set[str]:
    target = rule_runner.get_target(address)
    result = rule_runner.request(
        InferredDependencies, [InferHelmChartDependencies(HelmChartFieldSet.create(target))]
    )
    return {a.spec for a in result.include}


def write_images(rule_runner: RuleRunner) -> dict[str, str]:
    return {
        "images/BUILD": dedent(
            """\
            oci_image(name="ui", repository="tinyolly/ui")
            oci_image(name="receiver", repository="tinyolly/receiver")
            oci_image(name="webui", repository="tinyolly/webui")
            """
        ),
        "images/Dockerfile": "FROM scratch\n",
    }


def test_chart_depends_on_packaged_files_local_charts_and_named_images(rule_runner: RuleRunner) -> None:
    rule_runner.write_files(
        {
            **write_images(rule_runner),
            "charts/app/BUILD": CHART_FILES_BUILD,
            "charts/app/Chart.yaml": chart_yaml(
                "app", 'dependencies:\n  - name: common\n    version: 0.1.0\n    repository: "file://../common"\n'
            ),
            "charts/app/values.yaml": dedent(
                """\
                ui:
                  image: {repository: tinyolly/ui, tag: latest}
                receiver:
                  image:
                    registry: ghcr.io/acme
                    repository: tinyolly/receiver
                redis:
                  image: redis:7-alpine
                """
            ),
            "charts/app/templates/webui.yaml": "spec:\n  image: tinyolly/webui:v1\n",
            "charts/app/README.md": "not packaged\n",
            "charts/app/.helmignore": "README.md\n",
            "charts/common/BUILD": 'helm_chart(name="common")\n',
            "charts/common/Chart.yaml": chart_yaml("common") + "type: library\n",
        }
    )
    assert infer(rule_runner, Address("charts/app", target_name="app")) == {
        "charts/app/.helmignore:chart-files",
        "charts/app/values.yaml:chart-files",
        "charts/app/templates/webui.yaml:../chart-files",
        "charts/common:common",
        "images:ui",
        "images:receiver",
        "images:webui",
    }


def test_helmignored_file_is_not_a_dependency(rule_runner: RuleRunner) -> None:
    rule_runner.write_files(
        {
            "c/BUILD": CHART_FILES_BUILD.replace('"app"', '"c"'),
            "c/Chart.yaml": chart_yaml("c"),
            "c/.helmignore": "*.md\nci/\n",
            "c/notes.md": "x",
            "c/ci/test-values.yaml": "a: 1\n",
            "c/values.yaml": "a: 1\n",
        }
    )
    assert infer(rule_runner, Address("c", target_name="c")) == {
        "c/.helmignore:chart-files",
        "c/values.yaml:chart-files",
    }


def test_unowned_packaged_file_is_an_error_naming_it(rule_runner: RuleRunner) -> None:
    rule_runner.write_files(
        {
            "c/BUILD": 'helm_chart(name="c")\n',
            "c/Chart.yaml": chart_yaml("c"),
            "c/values.yaml": "a: 1\n",
        }
    )
    with engine_error(UnownedFilesError, contains="c/values.yaml"):
        infer(rule_runner, Address("c", target_name="c"))


def test_missing_local_chart_names_chart_yaml_line(rule_runner: RuleRunner) -> None:
    rule_runner.write_files(
        {
            "c/BUILD": 'helm_chart(name="c")\n',
            "c/Chart.yaml": chart_yaml(
                "c", "dependencies:\n  - name: lib\n    repository: file://../lib\n"
            ),
        }
    )
    with engine_error(MissingChartDependencyError, contains="c/Chart.yaml:5"):
        infer(rule_runner, Address("c", target_name="c"))


def test_malformed_values_names_file_and_line(rule_runner: RuleRunner) -> None:
    rule_runner.write_files(
        {
            "c/BUILD": CHART_FILES_BUILD.replace('"app"', '"c"'),
            "c/Chart.yaml": chart_yaml("c"),
            "c/values.yaml": "ui:\n  image: [unclosed\n",
        }
    )
    with engine_error(InvalidChartError, contains="c/values.yaml:"):
        infer(rule_runner, Address("c", target_name="c"))


def test_two_images_sharing_a_repository_fail_only_the_chart_naming_it(rule_runner: RuleRunner) -> None:
    rule_runner.write_files(
        {
            "a/BUILD": 'oci_image(name="x", repository="tinyolly/ui")\noci_image(name="y", repository="tinyolly/ui")\n',
            "a/Dockerfile": "FROM scratch\n",
            "c/BUILD": CHART_FILES_BUILD.replace('"app"', '"c"'),
            "c/Chart.yaml": chart_yaml("c"),
            "c/values.yaml": "image:\n  repository: busybox\n",
            "d/BUILD": CHART_FILES_BUILD.replace('"app"', '"d"'),
            "d/Chart.yaml": chart_yaml("d"),
            "d/values.yaml": "# the ui\nui:\n  image:\n    repository: tinyolly/ui\n",
        }
    )
    assert infer(rule_runner, Address("c", target_name="c")) == {"c/values.yaml:chart-files"}
    with engine_error(AmbiguousImageReferenceError, contains="d/values.yaml:4: "):
        infer(rule_runner, Address("d", target_name="d"))


def test_an_ambiguous_reference_names_both_images(rule_runner: RuleRunner) -> None:
    rule_runner.write_files(
        {
            "a/BUILD": 'oci_image(name="x", repository="tinyolly/ui")\noci_image(name="y", repository="tinyolly/ui")\n',
            "a/Dockerfile": "FROM scratch\n",
            "d/BUILD": CHART_FILES_BUILD.replace('"app"', '"d"'),
            "d/Chart.yaml": chart_yaml("d"),
            "d/values.yaml": "image: tinyolly/ui:1.0\n",
        }
    )
    with pytest.raises(Exception) as error:
        infer(rule_runner, Address("d", target_name="d"))
    assert "d/values.yaml:1: " in str(error.value)
    assert "a:x" in str(error.value) and "a:y" in str(error.value)


def test_a_values_reference_that_looks_first_party_but_matches_nothing_warns(
    rule_runner: RuleRunner, caplog: pytest.LogCaptureFixture
) -> None:
    rule_runner.write_files(
        {
            **write_images(rule_runner),
            "d/BUILD": CHART_FILES_BUILD.replace('"app"', '"d"'),
            "d/Chart.yaml": chart_yaml("d"),
            "d/values.yaml": "ui:\n  image:\n    repository: tinyolly/uii\nredis:\n  image: redis:7\n",
        }
    )
    assert "images:ui" not in infer(rule_runner, Address("d", target_name="d"))
    warnings = [r.getMessage() for r in caplog.records if r.name == "shipyard.util_rules.repositories"]
    assert len(warnings) == 1, warnings
    assert "d/values.yaml:3: 'tinyolly/uii' names no image of this repository" in warnings[0]
    assert "Did you mean 'tinyolly/ui' (images:ui)?" in warnings[0]


def file_dep(name: str) -> str:
    return f"  - name: {name}\n    version: 0.1.0\n    repository: file://../{name}\n"


@pytest.mark.parametrize(
    "graph, start, expected",
    [
        pytest.param({"a": ["b"], "b": ["a"]}, "a", ["a/Chart.yaml:5", "b/Chart.yaml:5"], id="two-charts"),
        pytest.param({"a": ["b"], "b": ["c"], "c": ["a"]}, "b", ["b/Chart.yaml:5", "c/Chart.yaml:5", "a/Chart.yaml:5"], id="three-charts"),
        pytest.param({"a": ["x", "a"], "x": []}, "a", ["a/Chart.yaml:8"], id="chart-depends-on-itself"),
    ],
)
def test_chart_dependency_cycle_names_each_chart_yaml_line(
    rule_runner: RuleRunner, graph: dict, start: str, expected: list
) -> None:
    files = {}
    for name, deps in graph.items():
        files[f"{name}/BUILD"] = f'helm_chart(name="{name}")\n'
        files[f"{name}/Chart.yaml"] = chart_yaml(name, "dependencies:\n" + "".join(file_dep(d) for d in deps) if deps else "")
    rule_runner.write_files(files)
    with pytest.raises(ExecutionError) as error:
        infer(rule_runner, Address(start, target_name=start))
    (underlying,) = error.value.wrapped_exceptions
    assert isinstance(underlying, ChartDependencyCycleError)
    message = str(underlying)
    assert message.startswith(f"{expected[0]}: ")
    for location in expected:
        assert location in message


def test_no_cycle_in_a_diamond(rule_runner: RuleRunner) -> None:
    files = {}
    for name, deps in {"top": ["left", "right"], "left": ["base"], "right": ["base"], "base": []}.items():
        files[f"{name}/BUILD"] = f'helm_chart(name="{name}")\n'
        files[f"{name}/Chart.yaml"] = chart_yaml(name, "dependencies:\n" + "".join(file_dep(d) for d in deps) if deps else "")
    rule_runner.write_files(files)
    assert {"left:left", "right:right"} <= infer(rule_runner, Address("top", target_name="top"))


@pytest.mark.parametrize(
    "build, files, expected",
    [
        pytest.param('helm_chart(name="c", chart="Chart.yml")\n', {"c/Chart.yaml": chart_yaml("c")},
                     ["c/BUILD: helm_chart `c:c`", "`chart` field names c/Chart.yml, which does not exist"], id="missing-file"),
        pytest.param('helm_chart(name="c")\n', {},
                     ["c/BUILD: helm_chart `c:c`", "c/Chart.yaml, which does not exist"], id="no-chart-yaml"),
        pytest.param('helm_chart(name="c", chart="meta.yaml")\n', {"c/meta.yaml": chart_yaml("c")},
                     ["c/BUILD: helm_chart `c:c`", "only from a file named Chart.yaml"], id="not-named-chart-yaml"),
    ],
)
def test_chart_field_errors_name_the_build_file(rule_runner: RuleRunner, build: str, files: dict, expected: list) -> None:
    rule_runner.write_files({"c/BUILD": build, **files})
    with pytest.raises(ExecutionError) as error:
        infer(rule_runner, Address("c", target_name="c"))
    (underlying,) = error.value.wrapped_exceptions
    assert isinstance(underlying, InvalidChartError)
    for text in expected:
        assert text in str(underlying)
