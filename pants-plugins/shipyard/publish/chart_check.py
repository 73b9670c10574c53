"""Before a chart is pushed: does Helm's render of it deploy exactly the image digests published
in this run?

`release` stamps the chart's values with the digests it published, packages the chart with Helm
and renders the archive with its default values. Every rendered reference to one of our images
must then carry the digest published for that image. One that does not (a template writing an
image literally, a values file Helm does not load by default, a template that rebuilds the
reference from other values) would deploy something else than what was released, so `release`
refuses the chart, naming the template (and the line where the reference is written, when
inference found it) and the fix.

Plain Python: nothing here knows about Pants.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Optional, Sequence

from shipyard.image_ref import ImageRef, InvalidImageReference


@dataclass(frozen=True)
class RenderedReference:
    """An image reference in the render: the template that produced it (a repo path, e.g.
    `charts/tinyolly/templates/ui.yaml`) and the repo image it names (None: not ours)."""

    reference: str
    template: str
    image: Optional[str]


@dataclass(frozen=True)
class WrittenReference:
    """Where inference found an image written in a chart file (`path:line`)."""

    image: str
    path: str
    line: int


def _digest(reference: str) -> Optional[str]:
    try:
        return ImageRef.parse(reference).digest
    except InvalidImageReference:
        return None


def unpinned_images(
    chart: str,
    rendered: Sequence[RenderedReference],
    published: Mapping[str, str],
    written: Sequence[WrittenReference] = (),
) -> list[str]:
    """One message per rendered reference to one of our images that does not carry the digest
    `published` (image → index digest) holds for it; empty when the chart is safe to push."""
    problems = []
    for ref in rendered:
        if ref.image is None:
            continue
        expected = published.get(ref.image)
        if expected is not None and _digest(ref.reference) == expected:
            continue
        where = next(
            (f"{w.path}:{w.line}" for w in written if w.image == ref.image and w.path == ref.template),
            ref.template,
        )
        if expected is None:
            problems.append(
                f"{where}: Helm's default render of {chart} deploys {ref.reference} ({ref.image}), "
                "which this release does not publish. Give that image registries (its `registries` "
                "field or `[oci].default_registries`) or stop naming it in the chart."
            )
            continue
        problems.append(
            f"{where}: Helm's default render of {chart} deploys {ref.reference}, not the digest "
            f"published for {ref.image} in this release ({expected}). Write the image in "
            "values.yaml, as one literal reference (`image: <repository>:<tag>`) or as "
            "`repository:` + `tag:` keys, and have the template use those values as they are, "
            "so that release can stamp the digest."
        )
    return problems
