"""Files with bytes that are not UTF-8 (issue 9 item 2): accepted where Docker and Helm accept
them, otherwise one error naming the file and line, never a bare UnicodeDecodeError.

What the tools do: BuildKit reads a Dockerfile as bytes and moby reads .dockerignore as bytes, so
any byte is accepted; Helm reads .helmignore and templates as bytes, but parses Chart.yaml and
the values.yaml of the chart and of its subcharts as YAML, which must be UTF-8 ("yaml: invalid
leading UTF-8 octet", checked with Helm's SDK); other values files are only packaged.
"""

from __future__ import annotations

from typing import Dict, Optional, Set, Union

import pytest
from pants.core.target_types import FilesGeneratorTarget, FileTarget
from pants.engine.addresses import Address
from pants.engine.target import InferredDependencies
from pants.testutil.rule_runner import QueryRule, RuleRunner, engine_error

from shipyard import register
from shipyard.dependency_inference.chart_dependencies import InferHelmChartDependencies
from shipyard.dependency_inference.image_dependencies import InferOciImageDependencies
from shipyard.util_rules.chart_resolution import HelmChartFieldSet, InvalidChartError
from shipyard.util_rules.dockerfile_resolution import InvalidDockerfileError
from shipyard.util_rules.image_resolution import OciImageFieldSet, ResolvedOciImage

Files = Dict[str, Union[str, bytes]]


@pytest.fixture
def rule_runner() -> RuleRunner:
    return RuleRunner(
        rules=[
            *register.rules(),
            QueryRule(InferredDependencies, [InferOciImageDependencies]),
            QueryRule(InferredDependencies, [InferHelmChartDependencies]),
            QueryRule(ResolvedOciImage, [OciImageFieldSet]),
        ],
        target_types=[*register.target_types(), FilesGeneratorTarget, FileTarget],
    )


IMAGE_BUILD = 'oci_image(name="app")\nfiles(name="files", sources=["**/*", "!BUILD", "!Dockerfile"])\n'


@pytest.mark.parametrize(
    "files, inferred, error",
    [
        pytest.param(
            {"app/Dockerfile": b"# caf\xe9\nFROM scratch\nCOPY main.py /app/\n"},
            {"app/main.py:files"},
            None,
            id="latin1-in-a-dockerfile-comment-is-accepted",
        ),
        pytest.param(
            {"app/Dockerfile": b"FROM scratch\nLABEL note=\"caf\xe9\"\nCOPY main.py /app/\n"},
            {"app/main.py:files"},
            None,
            id="latin1-in-an-instruction-is-accepted",
        ),
        pytest.param(
            {
                "app/Dockerfile": b"FROM scratch\nCOPY . /app/\n",
                "app/.dockerignore": b"# caf\xe9\nnotes.md\n",
                "app/notes.md": "",
            },
            {"app/main.py:files", "app/.dockerignore:files"},
            None,
            id="latin1-in-a-dockerignore-comment-is-accepted",
        ),
        pytest.param(
            {"app/Dockerfile": b"FROM scratch\r\n# \xff\r\nCOPY caf\xe9.txt /app/\r\n"},
            None,
            "app/Dockerfile:3",
            id="error-on-a-line-with-such-bytes-names-file-and-line",
        ),
    ],
)
def test_dockerfile_bytes(
    rule_runner: RuleRunner, files: Files, inferred: Optional[Set[str]], error: Optional[str]
) -> None:
    rule_runner.write_files({"app/BUILD": IMAGE_BUILD, "app/main.py": "", **files})
    target = rule_runner.get_target(Address("app", target_name="app"))
    request = InferOciImageDependencies(OciImageFieldSet.create(target))
    if error is None:
        result = rule_runner.request(InferredDependencies, [request])
        assert {a.spec for a in result.include} == inferred
        return
    # Inference reports it as a warning and goes on; resolving the image (as package does) fails.
    with engine_error(InvalidDockerfileError, contains=error):
        rule_runner.request(ResolvedOciImage, [OciImageFieldSet.create(target)])


CHART_BUILD = 'helm_chart(name="c")\nfiles(name="files", sources=["**/*", "!BUILD", "!Chart.yaml"])\n'
CHART_YAML = b"apiVersion: v2\nname: c\nversion: 0.1.0\n"
SUB_CHART_YAML = b"apiVersion: v2\nname: sub\nversion: 0.1.0\n"


@pytest.mark.parametrize(
    "files, error",
    [
        pytest.param(
            {"c/Chart.yaml": CHART_YAML + b"description: caf\xe9\n"},
            "c/Chart.yaml:4: byte 0xe9 at column 17 is not valid UTF-8",
            id="chart-yaml-description-is-refused-like-helm",
        ),
        pytest.param(
            {"c/Chart.yaml": (CHART_YAML.decode() + "description: café\n").encode("utf-16")},
            None,
            id="chart-yaml-in-utf16-with-bom-is-accepted-like-helm",
        ),
        pytest.param(
            {"c/Chart.yaml": CHART_YAML, "c/values.yaml": "image: x\n".encode("utf-16")},
            "c/values.yaml:1: byte 0xff at column 1 is not valid UTF-8",
            id="values-yaml-in-utf16-is-refused-like-helm",
        ),
        pytest.param(
            {"c/Chart.yaml": CHART_YAML, "c/values.yaml": b"a: 1\n# caf\xe9\n"},
            "c/values.yaml:2: byte 0xe9 at column 6 is not valid UTF-8",
            id="values-yaml-comment-is-refused-like-helm",
        ),
        pytest.param(
            {
                "c/Chart.yaml": CHART_YAML,
                "c/charts/sub/Chart.yaml": SUB_CHART_YAML,
                "c/charts/sub/values.yaml": b"a: caf\xe9\n",
            },
            "c/charts/sub/values.yaml:1:",
            id="subchart-values-yaml-is-refused-like-helm",
        ),
        pytest.param(
            {"c/Chart.yaml": CHART_YAML, "c/values-prod.yaml": b"a: caf\xe9\n"},
            None,
            id="other-values-file-is-accepted-like-helm",
        ),
        pytest.param(
            {"c/Chart.yaml": CHART_YAML, "c/sub/values.yaml": b"a: caf\xe9\n"},
            None,
            id="values-yaml-outside-a-subchart-is-accepted-like-helm",
        ),
        pytest.param(
            {"c/Chart.yaml": CHART_YAML, "c/templates/cm.yaml": b"kind: ConfigMap # caf\xe9\n"},
            None,
            id="template-is-accepted-like-helm",
        ),
        pytest.param(
            {"c/Chart.yaml": CHART_YAML, "c/.helmignore": b"# caf\xe9\n*.md\n"},
            None,
            id="helmignore-is-accepted-like-helm",
        ),
        pytest.param(
            {"c/Chart.yaml": CHART_YAML, "c/.helmignore": b"caf\xe9[\n"},
            "c/.helmignore:1: 'caf\\udce9[' is not a valid pattern",
            id="helmignore-error-on-a-line-with-such-bytes-names-file-and-line",
        ),
    ],
)
def test_chart_bytes(rule_runner: RuleRunner, files: Files, error: Optional[str]) -> None:
    rule_runner.write_files({"c/BUILD": CHART_BUILD, **files})
    target = rule_runner.get_target(Address("c", target_name="c"))
    request = InferHelmChartDependencies(HelmChartFieldSet.create(target))
    if error is None:
        rule_runner.request(InferredDependencies, [request])
        return
    with engine_error(InvalidChartError, contains=error):
        rule_runner.request(InferredDependencies, [request])
