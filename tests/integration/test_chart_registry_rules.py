"""The rules publish calls, with the real Helm tool (Pants builds its PEX venv from the
`[helm-sdk]` lockfile) against the machine's loopback registry: push an archive, pull it back,
render it."""

from __future__ import annotations

import io
import os
import tarfile
import uuid
from pathlib import Path

import pytest
from pants.engine.fs import Digest, DigestContents
from pants.engine.internals.scheduler import ExecutionError
from pants.testutil.rule_runner import QueryRule, RuleRunner

from shipyard import register
from shipyard.util_rules.chart_registry import (
    ChartPullRequest,
    ChartPullResult,
    ChartPushRequest,
    ChartPushResult,
    RenderArchiveRequest,
    RenderedArchive,
)

pytestmark = [pytest.mark.integration]

PEX_TOOLS = Path(os.environ.get("SHIPYARD_PANTS_HOME", Path.home() / ".cache" / "shipyard-pants")) / "tools"
CHART = {
    "demo/Chart.yaml": b"apiVersion: v2\nname: demo\nversion: 0.4.2\n",
    "demo/values.yaml": b"image: 127.0.0.1:5000/tinyolly/ui@sha256:" + b"ab" * 32 + b"\n",
    "demo/templates/pod.yaml": b"apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n"
    b"  containers:\n    - name: c\n      image: {{ .Values.image }}\n",
}


def chart_archive() -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as tar:
        for name, data in CHART.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


@pytest.fixture
def rule_runner() -> RuleRunner:
    runner = RuleRunner(
        rules=[
            *register.rules(),
            QueryRule(ChartPushResult, [ChartPushRequest]),
            QueryRule(ChartPullResult, [ChartPullRequest]),
            QueryRule(RenderedArchive, [RenderArchiveRequest]),
            QueryRule(DigestContents, [Digest]),
        ],
        target_types=register.target_types(),
    )
    env = dict(
        line.split("=", 1)
        for line in (PEX_TOOLS / "pex-v2.1.137.pex.env").read_text().split()
        if "=" in line
    )
    runner.set_options(
        [
            "--pex-cli-version=v2.1.137",
            f"--pex-cli-url-template=file://{PEX_TOOLS}/pex-{{version}}.pex",
            f"--pex-cli-known-versions=['v2.1.137|linux_x86_64|{env['SHIPYARD_PEX_SHA256']}|{env['SHIPYARD_PEX_SIZE']}']",
        ],
        env_inherit={"PATH", "PYENV_ROOT", "HOME"},
    )
    return runner


def test_push_pull_render_round_trip(rule_runner: RuleRunner, machine_env: dict) -> None:
    archive = chart_archive()
    digest = rule_runner.make_snapshot({"demo-0.4.2.tgz": archive}).digest
    remote = f"oci://{machine_env['SHIPYARD_REGISTRY']}/rules-{uuid.uuid4().hex[:8]}"
    pushed = rule_runner.request(ChartPushResult, [ChartPushRequest(digest, remote, plain_http=True)])
    assert pushed.reference == f"{remote}/demo:0.4.2"
    assert pushed.digest.startswith("sha256:")

    pulled = rule_runner.request(ChartPullResult, [ChartPullRequest(pushed.reference, plain_http=True)])
    assert pulled.digest == pushed.digest
    assert pulled.filename == "demo-0.4.2.tgz"
    (content,) = rule_runner.request(DigestContents, [pulled.archive])
    assert content.content == archive

    rendered = rule_runner.request(RenderedArchive, [RenderArchiveRequest(pulled.archive)])
    assert [(i.reference, i.template) for i in rendered.images] == [
        (f"127.0.0.1:5000/tinyolly/ui@sha256:{'ab' * 32}", "demo/templates/pod.yaml")
    ]


def test_push_to_a_closed_port_is_one_error_naming_the_archive(rule_runner: RuleRunner) -> None:
    digest = rule_runner.make_snapshot({"demo-0.4.2.tgz": chart_archive()}).digest
    with pytest.raises(ExecutionError) as error:
        rule_runner.request(ChartPushResult, [ChartPushRequest(digest, "oci://127.0.0.1:9/charts", plain_http=True)])
    assert "Helm cannot push demo-0.4.2.tgz to oci://127.0.0.1:9/charts" in str(error.value)
