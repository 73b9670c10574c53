from __future__ import annotations

import time
from typing import List, Optional, Tuple

import pytest

from shipyard.chart.errors import ChartError
from shipyard.chart.values_images import ValuesImageRef, find_values_image_refs

PATH = "charts/tinyolly/values.yaml"
DIGEST = "sha256:" + "ab" * 32

TINYOLLY_VALUES = """\
ui:
  replicas: 2
  image:
    repository: tinyolly/ui
    tag: latest
    pullPolicy: IfNotPresent
receiver:
  image:
    registry: ghcr.io/acme
    repository: tinyolly/receiver
webui:
  image: "tinyolly/webui:v2.1.8"
"""


def test_tinyolly_values() -> None:
    assert find_values_image_refs(TINYOLLY_VALUES, PATH) == [
        ValuesImageRef(
            ("ui", "image"), "tinyolly/ui:latest", None, "tinyolly/ui", "latest", None, line=4
        ),
        ValuesImageRef(
            ("receiver", "image"),
            "ghcr.io/acme/tinyolly/receiver",
            "ghcr.io/acme",
            "tinyolly/receiver",
            None,
            None,
            line=10,
        ),
        ValuesImageRef(
            ("webui", "image"),
            "tinyolly/webui:v2.1.8",
            None,
            "tinyolly/webui",
            "v2.1.8",
            None,
            line=12,
        ),
    ]


def refs(text: str) -> List[Tuple[tuple, str, int]]:
    return [(r.key_path, r.reference, r.line) for r in find_values_image_refs(text, PATH)]


@pytest.mark.parametrize(
    "text, expected",
    [
        pytest.param(
            "repository: tinyolly/ui\ntag: v1\n",
            [((), "tinyolly/ui:v1", 1)],
            id="top-level-repository-mapping",
        ),
        pytest.param(
            "a:\n  b:\n    c:\n      repository: tinyolly/ui\n",
            [(("a", "b", "c"), "tinyolly/ui", 4)],
            id="deeply-nested-mapping",
        ),
        pytest.param(
            "sidecars:\n  - name: shipper\n    image:\n"
            '      repository: tinyolly/shipper\n      tag: "1.0"\n',
            [(("sidecars", 0, "image"), "tinyolly/shipper:1.0", 4)],
            id="mapping-inside-list",
        ),
        pytest.param(
            "ui:\n  image:\n    repository: tinyolly/ui\n    tag: 1.10\n",
            [(("ui", "image"), "tinyolly/ui:1.10", 3)],
            id="numeric-tag-kept-as-written",
        ),
        pytest.param(
            "ui:\n  image:\n    repository: tinyolly/ui\n    tag: 2\n",
            [(("ui", "image"), "tinyolly/ui:2", 3)],
            id="integer-tag",
        ),
        pytest.param(
            f"ui:\n  image:\n    repository: tinyolly/ui\n    digest: {DIGEST}\n",
            [(("ui", "image"), f"tinyolly/ui@{DIGEST}", 3)],
            id="digest-sibling",
        ),
        pytest.param(
            'ui:\n  image:\n    repository: tinyolly/ui\n    tag: ""\n',
            [(("ui", "image"), "tinyolly/ui", 3)],
            id="empty-tag-means-no-tag",
        ),
        pytest.param(
            'ui:\n  image:\n    repository: tinyolly/ui\n    tag: "{{ .Chart.AppVersion }}"\n',
            [(("ui", "image"), "tinyolly/ui", 3)],
            id="templated-tag-dropped-repository-kept",
        ),
        pytest.param(
            'ui:\n  image:\n    repository: tinyolly/ui\n    tag: "bad tag"\n',
            [(("ui", "image"), "tinyolly/ui", 3)],
            id="invalid-tag-dropped-repository-kept",
        ),
        pytest.param(
            "ui:\n  image:\n    registry: ghcr.io/acme/\n    repository: tinyolly/ui\n",
            [(("ui", "image"), "ghcr.io/acme/tinyolly/ui", 4)],
            id="registry-trailing-slash",
        ),
        pytest.param(
            'ui:\n  image:\n    registry: ""\n    repository: tinyolly/ui\n',
            [(("ui", "image"), "tinyolly/ui", 4)],
            id="empty-registry-ignored",
        ),
        pytest.param(
            "ui:\n  image:\n    repository: ghcr.io/acme/tinyolly/ui\n",
            [(("ui", "image"), "ghcr.io/acme/tinyolly/ui", 3)],
            id="registry-inside-repository",
        ),
        pytest.param(
            'ui:\n  image:\n    registry: "{{ .Values.global.registry }}"\n'
            "    repository: tinyolly/ui\n",
            [],
            id="templated-registry-skipped",
        ),
        pytest.param(
            'ui:\n  image:\n    repository: "{{ .Values.global.repo }}/ui"\n',
            [],
            id="templated-repository-skipped",
        ),
        pytest.param(
            "ui:\n  image:\n    repository: https://charts.example.com\n",
            [],
            id="non-reference-repository-skipped",
        ),
        pytest.param("ui:\n  image:\n    repository: 42\n", [], id="numeric-repository-skipped"),
        pytest.param(
            "job:\n  initImage: busybox:1.35\n",
            [(("job", "initImage"), "busybox:1.35", 2)],
            id="key-ending-in-Image",
        ),
        pytest.param(
            f"ui:\n  image: ghcr.io/acme/tinyolly/ui@{DIGEST}\n",
            [(("ui", "image"), f"ghcr.io/acme/tinyolly/ui@{DIGEST}", 2)],
            id="image-string-with-registry-and-digest",
        ),
        pytest.param(
            "containers:\n  - image: tinyolly/ui:v1\n  - image: busybox\n",
            [
                (("containers", 0, "image"), "tinyolly/ui:v1", 2),
                (("containers", 1, "image"), "busybox", 3),
            ],
            id="image-strings-in-list",
        ),
        pytest.param(
            'ui:\n  image: "$REGISTRY/tinyolly/ui"\n', [], id="image-string-with-variable-skipped"
        ),
        pytest.param(
            "ui:\n  imagePullPolicy: Always\n  images: tinyolly/ui\n",
            [],
            id="other-image-like-keys-ignored",
        ),
        pytest.param("ui:\n  image: null\n  initImage: ~\n", [], id="null-image-values"),
        pytest.param("ui:\n  image: Not An Image\n", [], id="invalid-image-string-skipped"),
        pytest.param("", [], id="empty-document"),
        pytest.param("# only comments\n", [], id="comment-only-document"),
        pytest.param(
            "ui:\n  image: tinyolly/ui:v1\n---\nwebui:\n  image: tinyolly/webui:v2\n",
            [(("ui", "image"), "tinyolly/ui:v1", 2), (("webui", "image"), "tinyolly/webui:v2", 5)],
            id="multiple-documents",
        ),
        pytest.param(
            "defaults: &img\n  repository: tinyolly/ui\n  tag: v1\n"
            "ui:\n  image:\n    <<: *img\n    tag: v2\n",
            [(("defaults",), "tinyolly/ui:v1", 2), (("ui", "image"), "tinyolly/ui:v2", 2)],
            id="merge-key-with-override",
        ),
        pytest.param(
            "ui:\n  image:\n    repository: tinyolly/old\n    repository: tinyolly/ui\n",
            [(("ui", "image"), "tinyolly/ui", 4)],
            id="duplicate-key-last-wins",
        ),
        pytest.param(
            "a: 1\n---\n- not read by Helm\n",
            [],
            id="only-the-first-document-must-be-a-mapping",
        ),
        pytest.param(
            "base: &b {repository: tinyolly/ui}\n"
            + "".join(f"u{i}: *b\n" for i in range(30)),
            [(("base",), "tinyolly/ui", 1)] + [((f"u{i}",), "tinyolly/ui", 1) for i in range(30)],
            id="moderate-alias-reuse-accepted",
        ),
    ],
)
def test_find(text: str, expected: List[Tuple[tuple, str, int]]) -> None:
    assert refs(text) == expected


@pytest.mark.parametrize(
    "text, field, expected",
    [
        pytest.param(
            "image: ghcr.io/acme/tinyolly/ui:v1\n",
            "registry",
            "ghcr.io",
            id="string-registry-split-by-grammar",
        ),
        pytest.param(
            "image: ghcr.io/acme/tinyolly/ui:v1\n",
            "repository",
            "acme/tinyolly/ui",
            id="string-repository-split-by-grammar",
        ),
        pytest.param(
            "image:\n  registry: ghcr.io/acme\n  repository: x/y\n",
            "registry",
            "ghcr.io/acme",
            id="mapping-registry-as-written",
        ),
        pytest.param(f"image: busybox:1.35@{DIGEST}\n", "digest", DIGEST, id="string-digest"),
        pytest.param("image: busybox:1.35\n", "tag", "1.35", id="string-tag"),
    ],
)
def test_parts(text: str, field: str, expected: Optional[str]) -> None:
    (found,) = find_values_image_refs(text, PATH)
    assert getattr(found, field) == expected


@pytest.mark.parametrize(
    "text, line",
    [
        pytest.param(
            "ui:\n  image:\n    repository: [tinyolly/ui\n", 3, id="unclosed-flow-sequence"
        ),
        pytest.param("ui:\n  image: a\n   tag: b\n", 3, id="bad-indentation"),
        pytest.param("ui: *missing\n", 1, id="undefined-alias"),
    ],
)
def test_malformed_yaml(text: str, line: int) -> None:
    with pytest.raises(ChartError) as error:
        find_values_image_refs(text, PATH)
    assert error.value.line == line
    assert str(error.value).startswith(f"{PATH}:{line}: the values file is not valid YAML")


def billion_laughs(levels: int) -> str:
    """The classic alias bomb: each level is a list of nine aliases of the level before."""
    lines = ['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, levels):
        lines.append(f"l{level}: &l{level} [" + ", ".join([f"*l{level - 1}"] * 9) + "]")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    "text, line, message",
    [
        pytest.param("- a\n- b\n", 1, "its top level is a list", id="top-level-list"),
        pytest.param("just text\n", 1, "its top level is the value 'just text'", id="top-level-scalar"),
        pytest.param("# header\n\n- a\n", 3, "its top level is a list", id="list-after-comments"),
        # go-yaml (Helm's YAML reader) refuses an anchor whose value contains an alias of itself.
        pytest.param("loop: &l\n  - *l\n  - image: tinyolly/ui\n", 2, "contains an alias of itself", id="recursive-alias"),
        # go-yaml: "document contains excessive aliasing" once aliases produce over 99% of nodes.
        pytest.param(billion_laughs(9), 4, "excessive aliasing", id="billion-laughs-9-levels"),
        pytest.param(billion_laughs(30), 4, "excessive aliasing", id="billion-laughs-30-levels"),
    ],
)
def test_refused_like_helm(text: str, line: int, message: str) -> None:
    started = time.monotonic()
    with pytest.raises(ChartError) as error:
        find_values_image_refs(text, PATH)
    assert time.monotonic() - started < 1.0
    assert error.value.line == line
    assert str(error.value).startswith(f"{PATH}:{line}: ")
    assert message in str(error.value)
