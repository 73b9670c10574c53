from __future__ import annotations

from typing import List, Tuple

import pytest

from shipyard.chart.template_images import TemplateImageRef, find_template_image_refs, mask_actions
from shipyard.image_ref import RepositoryMatcher

PATH = "charts/tinyolly/templates/deployment.yaml"

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "tinyolly.fullname" . }}
  labels:
    app.kubernetes.io/name: {{ .Chart.Name }}
spec:
  template:
    spec:
      initContainers:
        - name: wait
          image: busybox:1.35
          command: ["sh", "-c", "until nc -z db 5432; do sleep 1; done"]
      containers:
        - name: ui
          image: "{{ .Values.ui.image.repository }}:{{ .Values.ui.image.tag }}"
        - name: webui
          image: tinyolly/webui
"""


def test_deployment() -> None:
    # `apps/v1` is a valid reference and is over-reported on purpose; the matcher drops it.
    assert find_template_image_refs(DEPLOYMENT, PATH) == [
        TemplateImageRef("apps/v1", line=1),
        TemplateImageRef("busybox:1.35", line=12),
        TemplateImageRef("tinyolly/webui", line=18),
    ]


def test_deployment_candidates_filtered_by_matcher() -> None:
    matcher = RepositoryMatcher({"src/webui": "tinyolly/webui", "src/ui": "tinyolly/ui"}, {})
    matched = [
        (matcher.match(ref.reference), ref.line)
        for ref in find_template_image_refs(DEPLOYMENT, PATH)
    ]
    assert [m for m in matched if m[0] is not None] == [("src/webui", 18)]


def refs(text: str) -> List[Tuple[str, int]]:
    return [(r.reference, r.line) for r in find_template_image_refs(text, PATH)]


@pytest.mark.parametrize(
    "text, expected",
    [
        pytest.param(
            'image: "tinyolly/ui:v1"\n', [("tinyolly/ui:v1", 1)], id="double-quoted-image"
        ),
        pytest.param(
            "image: 'tinyolly/ui:v1'\n", [("tinyolly/ui:v1", 1)], id="single-quoted-image"
        ),
        pytest.param("- image: nginx\n", [("nginx", 1)], id="bare-name-after-image-key"),
        pytest.param("  initImage: busybox\n", [("busybox", 1)], id="bare-name-after-Image-key"),
        pytest.param("name: nginx\n", [], id="bare-name-elsewhere-not-reported"),
        pytest.param(
            'args: ["--sidecar-image=ghcr.io/acme/tinyolly/agent:v3", "--verbose"]\n',
            [("ghcr.io/acme/tinyolly/agent:v3", 1)],
            id="reference-inside-flag",
        ),
        pytest.param(
            'image: "{{ .Values.ui.image.repository }}:{{ .Values.ui.image.tag }}"\n',
            [],
            id="fully-templated",
        ),
        pytest.param(
            "image: {{ .Values.registry }}/tinyolly/ui:v1\n",
            [],
            id="templated-registry-prefix-not-split",
        ),
        pytest.param(
            'image: "tinyolly/ui:{{ .Chart.AppVersion }}"\n', [], id="templated-tag-not-split"
        ),
        pytest.param(
            'image: {{ default "tinyolly/ui:v1" .Values.image }}\n',
            [],
            id="literal-inside-action-ignored",
        ),
        pytest.param(
            "{{- /* image: tinyolly/old:v0\n   still a comment }} */ -}}\nimage: tinyolly/ui\n",
            [("tinyolly/ui", 3)],
            id="multiline-template-comment-ignored-lines-kept",
        ),
        pytest.param(
            'x: {{ printf "}}" }} tinyolly/ui:v1\n',
            [("tinyolly/ui:v1", 1)],
            id="braces-inside-action-string",
        ),
        pytest.param(
            "# image: tinyolly/old:v1\nimage: tinyolly/ui\n",
            [("tinyolly/ui", 2)],
            id="yaml-comment-ignored",
        ),
        pytest.param(
            'value: "a # b tinyolly/ui:v1"\n',
            [("tinyolly/ui:v1", 1)],
            id="hash-inside-quotes-not-comment",
        ),
        pytest.param("image: $IMAGE/tinyolly/ui\n", [], id="shell-variable-not-split"),
        pytest.param("url: https://ghcr.io/acme/ui\n", [], id="url-not-a-reference"),
        pytest.param("image: tinyolly/ui:\n", [], id="incomplete-reference"),
        pytest.param(
            "{{ if .Values.x }}\nimage: tinyolly/ui\n",
            [("tinyolly/ui", 2)],
            id="line-numbers-after-actions",
        ),
        pytest.param(
            "image: tinyolly/ui:v1 {{ unterminated\nimage: tinyolly/x\n",
            [("tinyolly/ui:v1", 1)],
            id="unterminated-action-masks-rest",
        ),
    ],
)
def test_find(text: str, expected: List[Tuple[str, int]]) -> None:
    assert refs(text) == expected


def test_mask_actions_keeps_line_breaks() -> None:
    masked = mask_actions("a: {{ x\n y }}\nb: c")
    assert masked.count("\n") == 2
    assert masked.endswith("\nb: c")
    assert "x" not in masked
