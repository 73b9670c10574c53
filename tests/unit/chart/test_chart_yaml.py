from __future__ import annotations

from typing import Optional

import pytest

from shipyard.chart.chart_yaml import ChartDependency, ChartMetadata, parse_chart_yaml, parse_requirements_yaml
from shipyard.chart.errors import ChartError

PATH = "charts/tinyolly/Chart.yaml"

TINYOLLY = """\
apiVersion: v2
name: tinyolly
description: Observability for small clusters
type: application
version: 0.3.1
appVersion: "2.1.8"
dependencies:
  - name: common
    version: 0.1.0
    repository: "file://../common"
  - name: redis
    version: 18.x.x
    repository: oci://registry-1.docker.io/bitnamicharts
    alias: cache
    condition: cache.enabled
"""


def test_full_chart() -> None:
    assert parse_chart_yaml(TINYOLLY, PATH) == ChartMetadata(
        api_version="v2",
        name="tinyolly",
        version="0.3.1",
        app_version="2.1.8",
        type="application",
        dependencies=(
            ChartDependency("common", "0.1.0", "file://../common", None, None, line=8),
            ChartDependency(
                "redis",
                "18.x.x",
                "oci://registry-1.docker.io/bitnamicharts",
                "cache",
                "cache.enabled",
                line=11,
            ),
        ),
    )


@pytest.mark.parametrize(
    "text, attribute, expected",
    [
        pytest.param(
            "apiVersion: v2\nname: common\nversion: 0.1.0\n",
            "dependencies",
            (),
            id="no-dependencies",
        ),
        pytest.param(
            "apiVersion: v2\nname: c\nversion: 0.1.0\ndependencies:\n",
            "dependencies",
            (),
            id="null-dependencies",
        ),
        pytest.param(
            "apiVersion: v2\nname: c\nversion: 0.1.0\n",
            "type",
            "application",
            id="type-defaults-to-application",
        ),
        pytest.param(
            "apiVersion: v2\nname: c\nversion: 0.1.0\ntype: library\n",
            "type",
            "library",
            id="library-chart",
        ),
        pytest.param(
            "apiVersion: v2\nname: c\nversion: 0.1.0\nappVersion: 1.10\n",
            "app_version",
            "1.10",
            id="numeric-app-version-kept-as-written",
        ),
        pytest.param(
            "apiVersion: v2\nname: c\nversion: 0.1.0\n", "app_version", None, id="no-app-version"
        ),
        pytest.param(
            "apiVersion: v1\nname: c\nversion: 1.2.3-rc.1+build.5\n",
            "version",
            "1.2.3-rc.1+build.5",
            id="prerelease-and-build-version",
        ),
        pytest.param(
            "apiVersion: v2\nname: c\nversion: v1.2\n",
            "version",
            "v1.2",
            id="lenient-semver-like-helm",
        ),
        pytest.param(
            "\ufeffapiVersion: v2\nname: c\nversion: 0.1.0\n", "name", "c", id="byte-order-mark"
        ),
        pytest.param(
            "base: &b {version: 0.1.0}\napiVersion: v2\nname: c\n<<: *b\n",
            "version",
            "0.1.0",
            id="merge-key",
        ),
    ],
)
def test_fields(text: str, attribute: str, expected: object) -> None:
    assert getattr(parse_chart_yaml(text, PATH), attribute) == expected


@pytest.mark.parametrize(
    "text, line, message",
    [
        pytest.param("", 1, "empty", id="empty-file"),
        pytest.param(
            "apiVersion: v2\nname: [tinyolly\nversion: 0.1.0\n",
            3,
            "not valid YAML",
            id="malformed-yaml-line",
        ),
        pytest.param("apiVersion: v2\n\tname: x\n", 2, "not valid YAML", id="tab-indentation"),
        pytest.param("- apiVersion: v2\n", 1, "must be a mapping", id="document-is-a-list"),
        pytest.param("just text\n", 1, "must be a mapping", id="document-is-a-scalar"),
        pytest.param(
            "name: c\nversion: 0.1.0\n", 1, "`apiVersion` is missing", id="missing-api-version"
        ),
        pytest.param("apiVersion: v2\nversion: 0.1.0\n", 1, "`name` is missing", id="missing-name"),
        pytest.param("apiVersion: v2\nname: c\n", 1, "`version` is missing", id="missing-version"),
        pytest.param(
            'apiVersion: v2\nname: c\nversion: ""\n',
            3,
            "`version` is missing or empty",
            id="empty-version",
        ),
        pytest.param(
            "apiVersion: v3\nname: c\nversion: 0.1.0\n",
            1,
            "apiVersion 'v3'",
            id="unknown-api-version",
        ),
        pytest.param(
            "apiVersion: v2\nname: c\nversion: latest\n",
            3,
            "not a semantic version",
            id="non-semver-version",
        ),
        pytest.param(
            "apiVersion: v2\nname: a/b\nversion: 0.1.0\n",
            2,
            "path separators",
            id="name-with-slash",
        ),
        pytest.param(
            "apiVersion: v2\nname: c\nversion: 0.1.0\ntype: service\n",
            4,
            "chart type 'service'",
            id="unknown-type",
        ),
        pytest.param(
            "apiVersion: v2\nname: {a: b}\nversion: 0.1.0\n",
            2,
            "`name` must be a single value",
            id="name-not-scalar",
        ),
        pytest.param(
            "apiVersion: v2\nname: c\nversion: 0.1.0\ndependencies:\n"
            "  - version: 0.1.0\n    repository: file://../common\n",
            5,
            "no `name`",
            id="dependency-without-name",
        ),
        pytest.param(
            "apiVersion: v2\nname: c\nversion: 0.1.0\ndependencies:\n  name: common\n",
            5,
            "must be a list",
            id="dependencies-not-a-list",
        ),
        pytest.param(
            "apiVersion: v2\nname: c\nversion: 0.1.0\ndependencies:\n  - common\n",
            5,
            "must be a mapping",
            id="dependency-not-a-mapping",
        ),
        pytest.param(
            "apiVersion: v2\nname: c\nversion: 0.1.0\ndependencies:\n"
            "  - name: redis\n    alias: my.cache\n",
            6,
            "alias 'my.cache'",
            id="invalid-alias",
        ),
        pytest.param("apiVersion: v2\n---\nname: c\n", 2, "not valid YAML", id="two-documents"),
    ],
)
def test_errors(text: str, line: int, message: str) -> None:
    with pytest.raises(ChartError) as error:
        parse_chart_yaml(text, PATH)
    assert error.value.line == line
    assert error.value.path == PATH
    assert message in error.value.message
    assert error.value.hint


def test_error_string_has_location_message_and_hint() -> None:
    with pytest.raises(ChartError) as error:
        parse_chart_yaml("apiVersion: v2\nname: c\n", PATH)
    assert str(error.value) == (
        f"{PATH}:1: `version` is missing or empty\n  hint: add `version: 0.1.0`"
    )


@pytest.mark.parametrize(
    "repository, chart_dir, expected",
    [
        pytest.param("file://../common", "charts/tinyolly", "charts/common", id="sibling-chart"),
        pytest.param(
            "file://./subcharts/db",
            "charts/tinyolly",
            "charts/tinyolly/subcharts/db",
            id="inside-chart",
        ),
        pytest.param(
            "file://../../libs/common/",
            "charts/tinyolly",
            "libs/common",
            id="trailing-slash-normalized",
        ),
        pytest.param(
            "file:///opt/charts/common", "charts/tinyolly", "/opt/charts/common", id="absolute-path"
        ),
        pytest.param("file://../common", "", "../common", id="chart-at-repo-root"),
        pytest.param(
            "https://charts.bitnami.com/bitnami", "charts/tinyolly", None, id="http-repository"
        ),
        pytest.param("oci://ghcr.io/acme/charts", "charts/tinyolly", None, id="oci-repository"),
        pytest.param(None, "charts/tinyolly", None, id="no-repository"),
    ],
)
def test_local_path(repository: Optional[str], chart_dir: str, expected: Optional[str]) -> None:
    dependency = ChartDependency("common", "0.1.0", repository, None, None, line=1)
    assert dependency.local_path(chart_dir) == expected
    assert dependency.is_local == (expected is not None)


def test_alias_bomb_refused_at_once() -> None:
    text = "apiVersion: v2\nname: bomb\nversion: 0.1.0\n" + "".join(
        f"x{level}: &x{level} [" + ", ".join([f"*x{level - 1}"] * 9 if level else ['"lol"'] * 9) + "]\n"
        for level in range(9)
    )
    with pytest.raises(ChartError) as error:
        parse_chart_yaml(text, PATH)
    assert error.value.line == 7 and "excessive aliasing" in error.value.message


@pytest.mark.parametrize(
    "text, expected",
    [
        pytest.param(
            "dependencies:\n- name: lib\n  version: ~0.0.0\n  repository: file://../lib\n",
            [("lib", "~0.0.0", "file://../lib", 2)],
            id="file-dependency-with-line",
        ),
        pytest.param("", [], id="empty-file"),
        pytest.param("dependencies:\n", [], id="null-dependencies"),
    ],
)
def test_requirements_yaml_dependencies(text: str, expected: list) -> None:
    deps = parse_requirements_yaml(text, "c/requirements.yaml")
    assert [(d.name, d.version, d.repository, d.line) for d in deps] == expected


def test_requirements_yaml_that_is_not_a_mapping_is_an_error_at_its_line() -> None:
    with pytest.raises(ChartError) as error:
        parse_requirements_yaml("- name: lib\n", "c/requirements.yaml")
    assert error.value.location == "c/requirements.yaml:1"
