"""The release plan: push order, the dry run's text, and the release record."""

from __future__ import annotations

import json

import pytest

from shipyard.publish.plan import Destination, ImagePlan, Outcome, key_tag, preview_lines, push_order, release_record


def plan(address: str, bases: tuple = (), present: bool = False) -> ImagePlan:
    digest = "sha256:" + "a" * 64 if present else None
    return ImagePlan(address, address.split(":")[1], "k" * 64, ("linux/amd64", "linux/arm64"), bases, ("dev", "sha-0123456"),
                     (Destination("local", f"127.0.0.1:5000/{address.split(':')[1]}", digest),))


@pytest.mark.parametrize(
    "plans, expected",
    [
        # Names chosen so that sorting alone would put the image before its base.
        ([plan("d:app", ("d:zbase",)), plan("d:zbase")], ["d:zbase", "d:app"]),
        ([plan("d:a", ("d:b",)), plan("d:b", ("d:c",)), plan("d:c")], ["d:c", "d:b", "d:a"]),
        ([plan("d:a", ("d:m",)), plan("d:z"), plan("d:m")], ["d:m", "d:a", "d:z"]),
        ([plan("d:ui", ("d:base",))], ["d:ui"]),  # the base is not in this run
        ([plan("d:z"), plan("d:a")], ["d:a", "d:z"]),
    ],
)
def test_bases_are_pushed_before_the_images_built_on_them(plans, expected) -> None:
    assert [p.address for p in push_order(plans)] == expected


def test_key_tag_is_a_valid_tag() -> None:
    tag = key_tag("f" * 64)
    assert tag == "inputs-" + "f" * 64 and len(tag) <= 128


def test_preview_says_present_or_missing_and_the_tags() -> None:
    lines = preview_lines([plan("d:ui", present=True), plan("d:api")])
    text = "\n".join(lines)
    assert "local: present as 127.0.0.1:5000/ui@sha256:" in text
    assert f"local: missing: would build and push 127.0.0.1:5000/api:{key_tag('k' * 64)}" in text
    assert "would tag 127.0.0.1:5000/api:dev, 127.0.0.1:5000/api:sha-0123456" in text


def test_release_record_lists_every_image_with_digests_and_status() -> None:
    plans = [plan("d:ui", present=True), plan("d:api")]
    outcomes = [
        Outcome("d:ui", "local", "127.0.0.1:5000/ui", "present", "sha256:" + "a" * 64, tags=("dev",)),
        Outcome("d:api", "local", "127.0.0.1:5000/api", "pushed", "sha256:" + "b" * 64, 3, 5, ("dev",)),
    ]
    record = json.loads(release_record(plans, outcomes, {"d:api": {"linux/amd64": "sha256:c"}}, {"commit": "x"}, "succeeded"))
    images = {i["address"]: i for i in record["images"]}
    assert record["status"] == "succeeded"
    assert images["d:api"]["index_digest"] == "sha256:" + "b" * 64
    assert images["d:api"]["registries"][0]["status"] == "pushed"
    assert images["d:api"]["registries"][0]["reference"] == "127.0.0.1:5000/api@sha256:" + "b" * 64
    assert images["d:ui"]["registries"][0]["status"] == "present"
    assert images["d:api"]["platforms"] == {"linux/amd64": "sha256:c"}
    assert images["d:ui"]["key"] == "k" * 64
