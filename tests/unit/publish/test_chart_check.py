"""The check before a chart is pushed: every rendered repo image pinned to its released digest.

A reference is pinned when it carries the digest (`name@sha256:…` or `name:tag@sha256:…`: with
both, Docker and containerd pull by the digest and ignore the tag)."""

from __future__ import annotations

import pytest

from shipyard.publish.chart_check import RenderedReference, WrittenReference, unpinned_images
from shipyard.publish.chart_plan import ChartPlan, image_stamps
from shipyard.publish.plan import Destination, ImagePlan

UI = "dockerfiles:ui"
DIGEST = "sha256:" + "1" * 64
OTHER = "sha256:" + "2" * 64
PUBLISHED = {UI: DIGEST}
TEMPLATE = "charts/app/templates/ui.yaml"


@pytest.mark.parametrize(
    "reference",
    [
        f"127.0.0.1:5000/tinyolly/ui@{DIGEST}",
        f"127.0.0.1:5000/tinyolly/ui:latest@{DIGEST}",
        f"tinyolly/ui@{DIGEST}",
        f"ghcr.io/acme/tinyolly/ui:v1@{DIGEST}",
    ],
)
def test_a_reference_carrying_the_released_digest_passes(reference: str) -> None:
    assert unpinned_images("charts/app:app", [RenderedReference(reference, TEMPLATE, UI)], PUBLISHED) == []


@pytest.mark.parametrize(
    "reference",
    [
        "tinyolly/ui:latest",  # a tag only
        "127.0.0.1:5000/tinyolly/ui",  # neither tag nor digest
        f"tinyolly/ui@{OTHER}",  # another digest (an older release, say)
        f"tinyolly/ui:{DIGEST[7:]}",  # the hex as a tag is not a digest
    ],
)
def test_a_reference_without_the_released_digest_is_refused_naming_the_template(reference: str) -> None:
    problems = unpinned_images("charts/app:app", [RenderedReference(reference, TEMPLATE, UI)], PUBLISHED)
    assert len(problems) == 1
    assert problems[0].startswith(f"{TEMPLATE}: ")
    assert reference in problems[0] and DIGEST in problems[0] and "values.yaml" in problems[0]


def test_the_line_inference_found_is_named() -> None:
    written = [WrittenReference(UI, "charts/app/values.yaml", 3), WrittenReference(UI, TEMPLATE, 17)]
    problems = unpinned_images("charts/app:app", [RenderedReference("tinyolly/ui:1", TEMPLATE, UI)], PUBLISHED, written)
    assert problems[0].startswith(f"{TEMPLATE}:17: ")


def test_external_images_are_not_checked() -> None:
    assert unpinned_images("charts/app:app", [RenderedReference("redis:7", TEMPLATE, None)], PUBLISHED) == []


def test_an_image_the_release_does_not_publish_is_refused() -> None:
    problems = unpinned_images("charts/app:app", [RenderedReference("tinyolly/api:1", TEMPLATE, "apps/api:api")], PUBLISHED)
    assert len(problems) == 1 and "does not publish" in problems[0] and "registries" in problems[0]


def test_every_bad_reference_is_reported() -> None:
    rendered = [RenderedReference("tinyolly/ui:1", "charts/app/templates/a.yaml", UI), RenderedReference("tinyolly/ui:2", "charts/app/templates/b.yaml", UI)]
    assert len(unpinned_images("charts/app:app", rendered, PUBLISHED)) == 2


def _image(address: str, *aliases: str) -> ImagePlan:
    hosts = {"local": "127.0.0.1:5000", "ghcr": "ghcr.io/acme", "auth": "127.0.0.1:5001/team"}
    repository = "tinyolly/" + address.split(":")[1]
    return ImagePlan(address, repository, "k" * 64, ("linux/amd64",), (), ("dev",), tuple(Destination(a, f"{hosts[a]}/{repository}") for a in aliases))


def _chart(alias: str, *images: str) -> ChartPlan:
    return ChartPlan("charts/app:app", "app", alias, f"{alias}.example/charts", None, images)


def test_a_chart_names_each_image_in_its_own_registry_when_the_image_is_published_there() -> None:
    images = {UI: _image(UI, "local", "ghcr")}
    assert image_stamps(_chart("ghcr", UI), images, PUBLISHED) == {UI: f"ghcr.io/acme/tinyolly/ui@{DIGEST}"}
    assert image_stamps(_chart("local", UI), images, PUBLISHED) == {UI: f"127.0.0.1:5000/tinyolly/ui@{DIGEST}"}


def test_else_in_the_first_registry_the_image_is_published_to() -> None:
    images = {UI: _image(UI, "auth", "local")}
    assert image_stamps(_chart("ghcr", UI), images, PUBLISHED) == {UI: f"127.0.0.1:5001/team/tinyolly/ui@{DIGEST}"}


def test_an_image_without_a_digest_or_a_registry_is_not_stamped() -> None:
    images = {UI: _image(UI, "local"), "d:none": _image("d:none")}
    assert image_stamps(_chart("local", UI, "d:api", "d:none"), images, PUBLISHED) == {UI: f"127.0.0.1:5000/tinyolly/ui@{DIGEST}"}
