"""Reading the images of Helm's render and comparing them with what inference found."""

from __future__ import annotations

import pytest

from shipyard.helm.rendered_images import RenderedImage, rendered_images, unseen_images

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: ui}
spec:
  template:
    spec:
      initContainers:
        - name: init
          image: busybox:1.36
      containers:
        - name: ui
          image: "127.0.0.1:5000/tinyolly/ui@sha256:%s"
        - name: sidecar
          image: redis:7-alpine
""" % ("ab" * 32)


def test_images_of_containers_and_init_containers_in_order() -> None:
    assert rendered_images({"c/templates/ui.yaml": DEPLOYMENT}) == (
        RenderedImage("busybox:1.36", "c/templates/ui.yaml"),
        RenderedImage(f"127.0.0.1:5000/tinyolly/ui@sha256:{'ab' * 32}", "c/templates/ui.yaml"),
        RenderedImage("redis:7-alpine", "c/templates/ui.yaml"),
    )


@pytest.mark.parametrize(
    "manifests, expected",
    [
        pytest.param({"c/templates/NOTES.txt": "image: not-a-manifest:1\n"}, (), id="notes-skipped"),
        pytest.param({"c/templates/a.yaml": "a: [\n"}, (), id="invalid-yaml-skipped"),
        pytest.param({"c/templates/a.yaml": "---\n# only a comment\n"}, (), id="empty-document"),
        pytest.param(
            {"c/templates/a.yaml": "kind: Pod\nspec:\n  containers:\n  - image: a:1\n---\nkind: Pod\nspec:\n  containers:\n  - image: a:1\n"},
            (RenderedImage("a:1", "c/templates/a.yaml"),),
            id="duplicates-in-one-template-once",
        ),
        pytest.param(
            {"c/templates/a.yaml": "kind: X\nimage: {repository: a, tag: '1'}\n"},
            (),
            id="non-string-image-field-ignored",
        ),
    ],
)
def test_rendered_images_cases(manifests: dict, expected: tuple) -> None:
    assert rendered_images(manifests) == expected


@pytest.mark.parametrize(
    "rendered, inferred, unseen",
    [
        pytest.param("tinyolly/ui@sha256:" + "ab" * 32, ["tinyolly/ui:latest"], False, id="stamped-digest-same-repository"),
        pytest.param("redis:7-alpine", ["docker.io/library/redis:7"], False, id="docker-hub-spellings-are-one-name"),
        pytest.param("127.0.0.1:5000/tinyolly/api:0.1.0", ["tinyolly/ui:latest"], True, id="assembled-in-a-template"),
        pytest.param("127.0.0.1:5000/tinyolly/ui:1", ["tinyolly/ui:1"], True, id="registry-is-part-of-the-name"),
    ],
)
def test_unseen_images(rendered: str, inferred: list, unseen: bool) -> None:
    image = RenderedImage(rendered, "c/templates/x.yaml")
    assert unseen_images([image], inferred) == ((image,) if unseen else ())
