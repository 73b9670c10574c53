"""Stamping image references into values.yaml (`shipyard.chart.stamp`): only the image values
change, quoting is kept, and what cannot be stamped is an error at its line. Helm packages the
stamped file as it is; tests/integration/test_helm_charts.py checks that the packaged values
differ from the source only in the stamped references."""

from __future__ import annotations

from typing import Dict

import pytest

from shipyard.chart.errors import ChartError
from shipyard.chart.stamp import stamp_values

DIGEST = "sha256:" + "ab" * 32
OLD_DIGEST = "sha256:" + "00" * 32


STAMP_CASES = [
    pytest.param(
        "ui:\n  image:\n    repository: tinyolly/ui   # built here\n    tag: latest\n"
        "    pullPolicy: IfNotPresent\n",
        {"tinyolly/ui": "127.0.0.1:5000/tinyolly/ui:v1.2.3"},
        "ui:\n  image:\n    repository: 127.0.0.1:5000/tinyolly/ui   # built here\n"
        "    tag: v1.2.3\n    pullPolicy: IfNotPresent\n",
        id="repository-tag-with-tag",
    ),
    pytest.param(
        "ui:\n  image:\n    repository: tinyolly/ui\n    tag: latest\n",
        {"tinyolly/ui": f"127.0.0.1:5000/tinyolly/ui@{DIGEST}"},
        f"ui:\n  image:\n    repository: 127.0.0.1:5000/tinyolly/ui\n    tag: latest@{DIGEST}\n",
        id="repository-tag-with-digest-goes-into-tag",
    ),
    pytest.param(
        "ui:\n  image:\n    repository: tinyolly/ui\n    tag: latest\n",
        {"tinyolly/ui": f"127.0.0.1:5000/tinyolly/ui:v2@{DIGEST}"},
        f"ui:\n  image:\n    repository: 127.0.0.1:5000/tinyolly/ui\n    tag: v2@{DIGEST}\n",
        id="repository-tag-with-tag-and-digest",
    ),
    pytest.param(
        "ui:\n  image:\n    # no tag: the chart's appVersion is the default\n"
        "    repository: tinyolly/ui\n    pullPolicy: Always\n",
        {"tinyolly/ui": "127.0.0.1:5000/tinyolly/ui:v1"},
        "ui:\n  image:\n    # no tag: the chart's appVersion is the default\n"
        "    repository: 127.0.0.1:5000/tinyolly/ui\n    tag: v1\n    pullPolicy: Always\n",
        id="missing-tag-added-after-repository",
    ),
    pytest.param(
        # (under a key: Helm refuses a values file whose top level is a list)
        "apps:\n- name: ui\n  image:\n  - repository: tinyolly/ui # x\n",
        {"tinyolly/ui": "r.example/tinyolly/ui:v1"},
        "apps:\n- name: ui\n  image:\n  - repository: r.example/tinyolly/ui # x\n    tag: v1\n",
        id="missing-tag-added-in-a-list-item",
    ),
    pytest.param(
        "receiver:\n  image:\n    registry: ghcr.io/acme\n    repository: tinyolly/receiver\n"
        f"    tag: 1.0.0\n    digest: {OLD_DIGEST}\n",
        {"ghcr.io/acme/tinyolly/receiver": "ghcr.io/acme/tinyolly/receiver:v2"},
        "receiver:\n  image:\n    registry: ghcr.io/acme\n    repository: tinyolly/receiver\n"
        '    tag: v2\n    digest: ""\n',
        id="registry-style-keeps-registry-clears-old-digest",
    ),
    pytest.param(
        "receiver:\n  image:\n    registry: ghcr.io/acme\n    repository: tinyolly/receiver\n"
        "    tag: 1.0.0\n    digest: ''\n",
        {"ghcr.io/acme/tinyolly/receiver": f"127.0.0.1:5000/tinyolly/receiver:v2@{DIGEST}"},
        "receiver:\n  image:\n    registry: 127.0.0.1:5000\n    repository: tinyolly/receiver\n"
        f"    tag: v2\n    digest: '{DIGEST}'\n",
        id="registry-style-new-registry-and-digest-keeps-quotes",
    ),
    pytest.param(
        "api: {image: {repository: tinyolly/api, tag: old}}  # flow\n",
        {"tinyolly/api": "127.0.0.1:5000/tinyolly/api:1.10"},
        'api: {image: {repository: "127.0.0.1:5000/tinyolly/api", tag: "1.10"}}  # flow\n',
        id="flow-mapping-quotes-what-must-be",
    ),
    pytest.param(
        "api: {image: {repository: tinyolly/api}}\n",
        {"tinyolly/api": "tinyolly/api:v1"},
        "api: {image: {repository: tinyolly/api, tag: v1}}\n",
        id="flow-mapping-tag-added",
    ),
    pytest.param(
        'webui:\n  image: "tinyolly/webui:latest"  # pinned by CI\n',
        {"tinyolly/webui": f"127.0.0.1:5000/tinyolly/webui@{DIGEST}"},
        f'webui:\n  image: "127.0.0.1:5000/tinyolly/webui@{DIGEST}"  # pinned by CI\n',
        id="string-double-quoted",
    ),
    pytest.param(
        "initImage: tinyolly/init:1\nsidecarImage: 'tinyolly/side'\n",
        {"tinyolly/init": "tinyolly/init:2", "tinyolly/side": "tinyolly/side:3"},
        "initImage: tinyolly/init:2\nsidecarImage: 'tinyolly/side:3'\n",
        id="string-plain-and-single-quoted",
    ),
    pytest.param(
        "ui:\n  image:\n    repository: tinyolly/ui\n    tag:\n",
        {"tinyolly/ui": "tinyolly/ui:v1"},
        "ui:\n  image:\n    repository: tinyolly/ui\n    tag: v1\n",
        id="empty-tag-filled",
    ),
    pytest.param(
        "base: &base\n  pullPolicy: Always\n  tag: old\nui:\n  image:\n    <<: *base\n"
        "    repository: tinyolly/ui\n",
        {"tinyolly/ui": "tinyolly/ui:v1"},
        "base: &base\n  pullPolicy: Always\n  tag: old\nui:\n  image:\n    <<: *base\n"
        "    repository: tinyolly/ui\n    tag: v1\n",
        id="merged-tag-overridden-not-edited",
    ),
    pytest.param(
        "other:\n  image: nginx:1.25\nui:\n  image:\n    repository: tinyolly/ui\n",
        {"tinyolly/worker": "tinyolly/worker:v1"},
        "other:\n  image: nginx:1.25\nui:\n  image:\n    repository: tinyolly/ui\n",
        id="unmatched-references-untouched",
    ),
]


@pytest.mark.parametrize("values, stamps, expected", STAMP_CASES)
def test_stamping_edits_only_the_image_values(
    values: str, stamps: Dict[str, str], expected: str
) -> None:
    assert stamp_values(values, "values.yaml", stamps)[0] == expected


@pytest.mark.parametrize(
    "values, message, line",
    [
        pytest.param(
            "ui:\n  image:\n    repository: tinyolly/ui\n    tag: |\n      latest\n",
            "block scalar",
            4,
            id="block-scalar",
        ),
        pytest.param(
            "ui:\n  image:\n    repository: tinyolly/ui\n    tag: [latest]\n",
            "not a single value",
            4,
            id="tag-not-a-scalar",
        ),
        pytest.param(
            "a:\n  image: &img\n    repository: tinyolly/ui\n    tag: v0\nb:\n  image: *img\n",
            "shared through a YAML anchor",
            3,
            id="shared-anchor",
        ),
    ],
)
def test_what_cannot_be_stamped_is_a_chart_error(values: str, message: str, line: int) -> None:
    with pytest.raises(ChartError, match=message) as error:
        stamp_values(values, "charts/c/values.yaml", {"tinyolly/ui": "tinyolly/ui:v1"})
    assert error.value.location == f"charts/c/values.yaml:{line}"


@pytest.mark.parametrize("stamp", ["not a reference", "tinyolly/ui"])
def test_a_stamp_without_tag_or_digest_is_rejected(stamp: str) -> None:
    with pytest.raises(ValueError, match="image stamp for 'tinyolly/ui'"):
        stamp_values("image: tinyolly/ui:1\n", "values.yaml", {"tinyolly/ui": stamp})


@pytest.mark.parametrize(
    "tag, written",
    [
        # YAML 1.1 (go-yaml's reading of plain scalars) would make these a float, a bool, an int.
        pytest.param("1.10", '"1.10"', id="float-like-tag-is-quoted"),
        pytest.param("yes", '"yes"', id="bool-like-tag-is-quoted"),
        pytest.param("010", '"010"', id="octal-like-tag-is-quoted"),
        pytest.param("v1.10", "v1.10", id="plain-tag-stays-plain"),
    ],
)
def test_a_stamped_tag_that_would_read_as_another_type_is_quoted(tag: str, written: str) -> None:
    values = "ui:\n  image:\n    repository: tinyolly/ui\n    tag: latest\n"
    stamped, _ = stamp_values(values, "values.yaml", {"tinyolly/ui": f"tinyolly/ui:{tag}"})
    assert stamped == f"ui:\n  image:\n    repository: tinyolly/ui\n    tag: {written}\n"
