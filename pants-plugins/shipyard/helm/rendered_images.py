"""The images a rendered chart deploys, and which of them our static reader did not see.

`rendered_images(manifests)` reads Helm's render (template path → manifest text) and returns
every `image:` string of every Kubernetes object in it (containers, init and ephemeral
containers, and any other `image` field), with the template it came from. `unseen_images`
compares them, by repository name, with the references inference found.

Plain Python (PyYAML): no Pants, no Helm.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Iterator, List, Mapping, Tuple

import yaml

from shipyard.image_ref import ImageRef, InvalidImageReference


@dataclass(frozen=True)
class RenderedImage:
    """An image reference in the render, and the template (`<chart>/templates/x.yaml`) that
    produced it."""

    reference: str
    template: str


def _image_fields(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "image" and isinstance(value, str) and value.strip():
                yield value.strip()
            else:
                yield from _image_fields(value)
    elif isinstance(node, list):
        for item in node:
            yield from _image_fields(item)


def rendered_images(manifests: Mapping[str, str]) -> Tuple[RenderedImage, ...]:
    """Every image named in the rendered manifests, in template order, duplicates removed.

    NOTES.txt and other documents that are not YAML objects are skipped, as Helm skips them
    when installing.
    """
    seen: set = set()
    found: List[RenderedImage] = []
    for template in sorted(manifests):
        if template.endswith("NOTES.txt"):
            continue
        try:
            documents = list(yaml.safe_load_all(manifests[template]))
        except yaml.YAMLError:
            continue  # Helm would refuse to install it; `helm lint` reports it.
        for document in documents:
            for reference in _image_fields(document):
                if (reference, template) not in seen:
                    seen.add((reference, template))
                    found.append(RenderedImage(reference, template))
    return tuple(found)


def _name(reference: str) -> str:
    try:
        return ImageRef.parse(reference).canonical_name()
    except InvalidImageReference:
        return reference


def unseen_images(
    rendered: Iterable[RenderedImage], inferred_references: Iterable[str]
) -> Tuple[RenderedImage, ...]:
    """The rendered images whose repository (tag and digest aside) no inferred reference names.

    Tags and digests are ignored because package stamps digests into values before rendering,
    and because a tag assembled from `.Chart.AppVersion` is still the same image.
    """
    known = {_name(reference) for reference in inferred_references}
    return tuple(image for image in rendered if _name(image.reference) not in known)
