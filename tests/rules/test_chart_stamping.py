"""What `release` stamps into a chart: the references it publishes, in every values file the chart
ships that names a repo image (not only values.yaml), and in its `file://` charts; templates and
images of other repositories are left as written. No image is built: the references are given."""

from __future__ import annotations

from textwrap import dedent

import pytest
from pants.core.target_types import FilesGeneratorTarget, FileTarget
from pants.engine.addresses import Address
from pants.engine.fs import Digest, DigestContents
from pants.testutil.rule_runner import QueryRule, RuleRunner
from pants.util.frozendict import FrozenDict

from shipyard import register
from shipyard.util_rules.chart_package import ChartSources, ChartSourcesRequest

UI = Address("images", target_name="ui")
API = Address("images", target_name="api")
DIGEST = "sha256:" + "1" * 64
API_DIGEST = "sha256:" + "2" * 64
STAMPS = FrozenDict({UI: f"reg.example/tinyolly/ui@{DIGEST}", API: f"reg.example/tinyolly/api@{API_DIGEST}"})


@pytest.fixture
def rule_runner() -> RuleRunner:
    runner = RuleRunner(
        rules=[*register.rules(), QueryRule(ChartSources, [ChartSourcesRequest]), QueryRule(DigestContents, [Digest])],
        target_types=[*register.target_types(), FilesGeneratorTarget, FileTarget],
    )
    runner.write_files(
        {
            "images/BUILD": 'oci_image(name="ui", repository="tinyolly/ui")\noci_image(name="api", repository="tinyolly/api")\n',
            "images/Dockerfile": "FROM scratch\n",
            "charts/app/BUILD": 'helm_chart(name="app")\nfiles(name="files", sources=["**/*", "!BUILD", "!Chart.yaml"])\n',
            "charts/app/Chart.yaml": dedent(
                """\
                apiVersion: v2
                name: app
                version: 0.1.0
                dependencies:
                  - name: lib
                    version: 0.1.0
                    repository: file://../lib
                """
            ),
            "charts/app/values.yaml": "ui:\n  image:\n    repository: tinyolly/ui\n    tag: latest\nredis:\n  image: redis:7\n",
            "charts/app/values-prod.yaml": "ui:\n  image:\n    repository: tinyolly/ui\n    tag: \"1.0\"\n",
            "charts/app/templates/ui.yaml": "image: {{ .Values.ui.image.repository }}:{{ .Values.ui.image.tag }}\n",
            "charts/lib/BUILD": 'helm_chart(name="lib")\nfiles(name="files", sources=["**/*", "!BUILD", "!Chart.yaml"])\n',
            "charts/lib/Chart.yaml": "apiVersion: v2\nname: lib\nversion: 0.1.0\n",
            "charts/lib/values.yaml": "api:\n  image: tinyolly/api:latest\n",
        }
    )
    return runner


def stamped_files(rule_runner: RuleRunner, stamps: FrozenDict) -> dict[str, str]:
    sources = rule_runner.request(ChartSources, [ChartSourcesRequest(Address("charts/app", target_name="app"), True, stamps)])
    return {fc.path: fc.content.decode() for fc in rule_runner.request(DigestContents, [sources.digest])}


def test_every_values_file_naming_a_repo_image_is_stamped(rule_runner: RuleRunner) -> None:
    files = stamped_files(rule_runner, STAMPS)
    # A repository/tag mapping without a digest key: the digest goes with the tag, so the
    # template's `repository:tag` renders `name:tag@digest`, which pulls by digest.
    assert files["charts/app/values.yaml"] == (
        f"ui:\n  image:\n    repository: reg.example/tinyolly/ui\n    tag: latest@{DIGEST}\nredis:\n  image: redis:7\n"
    )
    assert files["charts/app/values-prod.yaml"] == (
        f"ui:\n  image:\n    repository: reg.example/tinyolly/ui\n    tag: \"1.0@{DIGEST}\"\n"
    )


def test_file_charts_are_stamped_and_templates_kept(rule_runner: RuleRunner) -> None:
    files = stamped_files(rule_runner, STAMPS)
    assert files["charts/lib/values.yaml"] == f"api:\n  image: reg.example/tinyolly/api@{API_DIGEST}\n"
    assert files["charts/app/templates/ui.yaml"] == "image: {{ .Values.ui.image.repository }}:{{ .Values.ui.image.tag }}\n"


def test_an_image_without_a_stamp_is_left_as_written(rule_runner: RuleRunner) -> None:
    files = stamped_files(rule_runner, FrozenDict({API: STAMPS[API]}))
    assert files["charts/app/values.yaml"].startswith("ui:\n  image:\n    repository: tinyolly/ui\n    tag: latest\n")
