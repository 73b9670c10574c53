"""Helm's default render of a packaged chart, as the images it deploys: a check of our static
inference (`package` warns about images the render shows that inference missed) and what
publish asks to refuse charts whose rendered first-party images are not pinned.

`Get(RenderedChartImages, RenderedChartImagesRequest(address))` packages the chart (cached) and
reads the render Helm made of the archive in the same Process.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from typing import Iterable, Optional

from pants.engine.addresses import Address
from pants.engine.rules import Get, Rule, collect_rules, rule

from shipyard.helm.rendered_images import RenderedImage, unseen_images
from shipyard.util_rules.chart_package import HelmChartPackageRequest, PackagedHelmChart
from shipyard.util_rules.repositories import ImageRepositories


@dataclass(frozen=True)
class RenderedChartImagesRequest:
    address: Address


@dataclass(frozen=True)
class RenderedChartImage:
    """An image in the render; `image` is the repo's `oci_image` it names, else None."""

    reference: str
    template: str
    image: Optional[Address]

    @property
    def pinned(self) -> bool:
        """True when the reference names a digest (`...@sha256:...`)."""
        return "@" in self.reference


@dataclass(frozen=True)
class RenderedChartImages:
    """The images of a chart's default render (with its packaged, stamped values).

    `render_error` says why Helm could not render it with default values (e.g. a `required`
    value); `images` is then empty. `unseen` are the rendered images inference did not find.
    """

    address: Address
    images: tuple[RenderedChartImage, ...]
    unseen: tuple[RenderedChartImage, ...]
    render_error: Optional[str]

    @property
    def first_party(self) -> tuple[RenderedChartImage, ...]:
        return tuple(i for i in self.images if i.image is not None)


def template_path(chart_dir: str, template: str) -> str:
    """`tinyolly/templates/ui.yaml` (as Helm names it) → `charts/tinyolly/templates/ui.yaml`."""
    inside = template.split("/", 1)[1] if "/" in template else template
    return posixpath.join(chart_dir, inside)


@rule(desc="Read the images of a Helm chart's render")
async def rendered_chart_images(
    request: RenderedChartImagesRequest, repositories: ImageRepositories
) -> RenderedChartImages:
    packaged = await Get(PackagedHelmChart, HelmChartPackageRequest(request.address))
    matcher = repositories.matcher()

    def resolve(image: RenderedImage) -> RenderedChartImage:
        return RenderedChartImage(image.reference, template_path(packaged.chart_dir, image.template), matcher.match(image.reference))

    rendered = packaged.rendered_images
    # A repo image inference found is seen however the template spells it (e.g. with a registry
    # prefix from values, which the repository matcher knows).
    inferred_images = {matcher.match(r) for r in packaged.inferred_references} - {None}
    unseen = [resolve(i) for i in unseen_images(rendered, packaged.inferred_references)]
    return RenderedChartImages(
        address=request.address,
        images=tuple(resolve(i) for i in rendered),
        unseen=tuple(i for i in unseen if i.image is None or i.image not in inferred_images),
        render_error=packaged.render_error,
    )


def unseen_warning(address: Address, image: RenderedChartImage) -> str:
    """What `package` says about a rendered image inference missed, and what to do."""
    consequence = (
        f"so {address} does not depend on that repo image and package does not stamp its digest"
        if image.image is not None
        else "so the chart's image list (`pants oci-peek`, publish) leaves it out"
    )
    return (
        f"{image.template}: Helm's default render of {address} deploys {image.reference}, which "
        f"inference did not find in the chart's values or templates, {consequence}. Write the "
        "image in values.yaml as one literal reference (`image: <repository>:<tag>`) or as "
        "`repository:` + `tag:` keys, and have the template use those values as they are."
    )


def rules() -> Iterable[Rule]:
    return collect_rules()
