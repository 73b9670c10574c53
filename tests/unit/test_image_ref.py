from __future__ import annotations

from typing import Optional

import pytest

from shipyard.image_ref import (
    AmbiguousReferenceError,
    ImageRef,
    InvalidImageReference,
    RepositoryMatcher,
)

DIGEST = "sha256:" + "0123456789abcdef" * 4


@pytest.mark.parametrize(
    "text, expected",
    [
        pytest.param("busybox", ImageRef(None, "busybox"), id="bare-name"),
        pytest.param("busybox:1.35", ImageRef(None, "busybox", "1.35"), id="name-with-tag"),
        pytest.param("tinyolly/ui", ImageRef(None, "tinyolly/ui"), id="two-components-no-registry"),
        pytest.param(
            "tinyolly/webui:v2.1.8",
            ImageRef(None, "tinyolly/webui", "v2.1.8"),
            id="namespaced-with-tag",
        ),
        pytest.param(
            "ghcr.io/acme/tinyolly/ui",
            ImageRef("ghcr.io", "acme/tinyolly/ui"),
            id="dot-in-first-component-is-registry",
        ),
        pytest.param(
            "localhost:5000/tinyolly/ui:dev",
            ImageRef("localhost:5000", "tinyolly/ui", "dev"),
            id="registry-with-port-and-tag",
        ),
        pytest.param(
            "localhost/tinyolly/ui",
            ImageRef("localhost", "tinyolly/ui"),
            id="localhost-is-registry",
        ),
        pytest.param(
            "registry:5000/ui",
            ImageRef("registry:5000", "ui"),
            id="colon-in-first-component-is-registry",
        ),
        pytest.param(
            "acme/tinyolly/ui",
            ImageRef(None, "acme/tinyolly/ui"),
            id="plain-first-component-is-path",
        ),
        pytest.param(
            f"tinyolly/ui@{DIGEST}", ImageRef(None, "tinyolly/ui", None, DIGEST), id="digest-only"
        ),
        pytest.param(
            f"ghcr.io/acme/tinyolly/ui:v1@{DIGEST}",
            ImageRef("ghcr.io", "acme/tinyolly/ui", "v1", DIGEST),
            id="tag-and-digest",
        ),
        pytest.param(
            "[::1]:5000/tinyolly/ui", ImageRef("[::1]:5000", "tinyolly/ui"), id="ipv6-registry"
        ),
        pytest.param(
            "my-org/my__app.v2-x",
            ImageRef(None, "my-org/my__app.v2-x"),
            id="separators-in-components",
        ),
        pytest.param(
            "python:3.11-slim_X", ImageRef(None, "python", "3.11-slim_X"), id="tag-mixed-case"
        ),
        pytest.param(
            "GHCR.io/acme/ui", ImageRef("GHCR.io", "acme/ui"), id="registry-host-may-be-upper-case"
        ),
        # Docker (distribution/reference splitDockerDomain) takes a first component with an
        # upper-case letter as a registry host, since repository paths are lower-case.
        pytest.param("MyReg/img", ImageRef("MyReg", "img"), id="upper-case-first-component-is-registry"),
        pytest.param("Tinyolly/ui:v1", ImageRef("Tinyolly", "ui", "v1"), id="capitalised-first-component-is-registry"),
        pytest.param("MyReg:5000/a/b", ImageRef("MyReg:5000", "a/b"), id="upper-case-registry-with-port"),
        # Only the path counts towards the 255 characters (distribution/reference PR #9).
        pytest.param(
            "registry.example.org:5000/" + "b" * 255,
            ImageRef("registry.example.org:5000", "b" * 255),
            id="255-char-path-after-long-registry",
        ),
        pytest.param("a/" + "b" * 253, ImageRef(None, "a/" + "b" * 253), id="255-char-namespaced-path"),
        pytest.param("b" * 247, ImageRef(None, "b" * 247), id="official-name-255-with-library-prefix"),
        pytest.param(
            "a" * 1 + ":" + "t" * 128, ImageRef(None, "a", "t" * 128), id="tag-128-chars-ok"
        ),
    ],
)
def test_parse_valid(text: str, expected: ImageRef) -> None:
    assert ImageRef.parse(text) == expected
    assert str(ImageRef.parse(text)) == text


@pytest.mark.parametrize(
    "text, reason",
    [
        pytest.param("", "empty", id="empty"),
        pytest.param("Tinyolly", "lower-case", id="upper-case-single-component"),
        pytest.param("myreg/Img", "lower-case", id="upper-case-after-lower-case-first-component"),
        pytest.param("MyReg/Img", "lower-case", id="upper-case-path-after-upper-case-host"),
        pytest.param("My_Reg/img", "valid host", id="upper-case-first-component-must-be-a-host"),
        pytest.param("b" * 256, "longer than 255", id="path-256-chars"),
        pytest.param("b" * 248, "longer than 255", id="official-name-counts-library-prefix"),
        pytest.param("docker.io/" + "b" * 248, "longer than 255", id="hub-single-name-counts-library"),
        pytest.param("ghcr.io/a/" + "b" * 254, "longer than 255", id="path-256-chars-after-registry"),
        pytest.param("ghcr.io/Acme/ui", "lower-case", id="upper-case-path-after-registry"),
        pytest.param("tinyolly/ui v1", "whitespace", id="space-inside"),
        pytest.param(" busybox", "whitespace", id="leading-space"),
        pytest.param("busybox@sha256:abc", "64", id="digest-too-short"),
        pytest.param("busybox@sha256:" + "A" * 64, "lower-case hex", id="digest-upper-hex"),
        pytest.param(
            "busybox@md5:" + "a" * 32, "unsupported digest algorithm", id="unknown-digest-algorithm"
        ),
        pytest.param("busybox@", "digest", id="empty-digest"),
        pytest.param("busybox:", "tag", id="empty-tag"),
        pytest.param("busybox:" + "t" * 129, "at most 128", id="tag-too-long"),
        pytest.param("busybox:.hidden", "not starting", id="tag-starts-with-dot"),
        pytest.param("tinyolly//ui", "empty path component", id="double-slash"),
        pytest.param("tinyolly/ui/", "empty path component", id="trailing-slash"),
        pytest.param("-ui", "invalid", id="component-starts-with-separator"),
        pytest.param("ui-", "invalid", id="component-ends-with-separator"),
        pytest.param("ui...x", "invalid", id="triple-dot-separator"),
        pytest.param("my_registry.io/ui", "valid host", id="underscore-in-registry"),
        pytest.param("ghcr.io/", "empty", id="registry-without-repository"),
        pytest.param("https://ghcr.io/acme/ui", "valid host", id="url-scheme"),
        pytest.param("a/" + "b" * 260, "longer than 255", id="name-too-long"),
        pytest.param(f"ui@{DIGEST}@{DIGEST}", "digest", id="two-digests"),
    ],
)
def test_parse_invalid(text: str, reason: str) -> None:
    with pytest.raises(InvalidImageReference) as error:
        ImageRef.parse(text)
    assert isinstance(error.value, ValueError)
    assert reason in str(error.value)
    assert repr(text) in str(error.value)


@pytest.mark.parametrize(
    "text, canonical",
    [
        pytest.param("python", "docker.io/library/python", id="official-image-gets-library"),
        pytest.param(
            "docker.io/library/python", "docker.io/library/python", id="already-canonical"
        ),
        pytest.param("docker.io/python:3", "docker.io/library/python", id="hub-single-component"),
        pytest.param(
            "index.docker.io/tinyolly/ui", "docker.io/tinyolly/ui", id="legacy-index-host"
        ),
        pytest.param(
            "registry-1.docker.io/tinyolly/ui", "docker.io/tinyolly/ui", id="registry-1-host"
        ),
        pytest.param("tinyolly/ui", "docker.io/tinyolly/ui", id="namespaced-hub-name"),
        pytest.param("ghcr.io/acme/ui", "ghcr.io/acme/ui", id="other-registry-untouched"),
        pytest.param(
            "localhost:5000/ui", "localhost:5000/ui", id="no-library-for-other-registries"
        ),
    ],
)
def test_canonical_name(text: str, canonical: str) -> None:
    assert ImageRef.parse(text).canonical_name() == canonical


def test_parse_keeps_docker_hub_spelling_as_written() -> None:
    ref = ImageRef.parse("docker.io/python")
    assert (ref.registry, ref.repository) == ("docker.io", "python")
    assert ImageRef.parse("python").registry is None


IMAGES = {
    "src/ui:ui": "tinyolly/ui",
    "src/receiver:receiver": "tinyolly/receiver",
    "src/webui:webui": "tinyolly/webui",
    "tools/busybox:busybox": "busybox",
    "src/agent:agent": "quay.io/acme/agent",
}
REGISTRIES = {"ghcr": "ghcr.io/acme", "local": "localhost:5000/", "hub": "docker.io"}


@pytest.mark.parametrize(
    "reference, expected",
    [
        pytest.param("tinyolly/ui", "src/ui:ui", id="bare-repository"),
        pytest.param("tinyolly/ui:latest", "src/ui:ui", id="tag-ignored"),
        pytest.param(f"tinyolly/ui@{DIGEST}", "src/ui:ui", id="digest-ignored"),
        pytest.param(
            "ghcr.io/acme/tinyolly/receiver:v1",
            "src/receiver:receiver",
            id="registry-with-path-prefix",
        ),
        pytest.param(
            "localhost:5000/tinyolly/webui",
            "src/webui:webui",
            id="registry-with-port-trailing-slash-config",
        ),
        pytest.param("docker.io/tinyolly/ui", "src/ui:ui", id="docker-io-spelling"),
        pytest.param("index.docker.io/tinyolly/ui:v1", "src/ui:ui", id="index-docker-io-spelling"),
        pytest.param(
            "docker.io/library/busybox:1.35",
            "tools/busybox:busybox",
            id="library-spelling-of-single-name",
        ),
        pytest.param("busybox:1.35", "tools/busybox:busybox", id="single-name"),
        pytest.param("quay.io/acme/agent:v3", "src/agent:agent", id="repository-with-own-host"),
        pytest.param("  tinyolly/ui:v1 ", "src/ui:ui", id="surrounding-whitespace-trimmed"),
        pytest.param("ghcr.io/tinyolly/ui", None, id="registry-without-configured-prefix"),
        pytest.param(
            "ghcr.io/acme/quay.io/acme/agent", None, id="registry-not-applied-to-hosted-repository"
        ),
        pytest.param("tinyolly/ui-extra", None, id="longer-repository"),
        pytest.param("other/tinyolly/ui", None, id="repository-suffix-only"),
        pytest.param("quay.io/acme/tinyolly/ui", None, id="unconfigured-registry"),
        pytest.param("nginx:1.25", None, id="external-image"),
        pytest.param(
            "{{ .Values.ui.image.repository }}:{{ .Values.ui.image.tag }}",
            None,
            id="template-syntax",
        ),
        pytest.param("${REGISTRY}/tinyolly/ui", None, id="shell-variable"),
        pytest.param("Tinyolly/UI", None, id="invalid-reference"),
        pytest.param("", None, id="empty"),
    ],
)
def test_matcher_match(reference: str, expected: Optional[str]) -> None:
    assert RepositoryMatcher(IMAGES, REGISTRIES).match(reference) == expected


@pytest.mark.parametrize(
    "images, registries, reference, message",
    [
        pytest.param(
            {"//:one": "tinyolly/ui", "//:two": "tinyolly/ui"},
            {},
            "tinyolly/ui:latest",
            "'tinyolly/ui'",
            id="same-repository-twice",
        ),
        pytest.param(
            {"//:one": "tinyolly/ui", "//:two": "docker.io/tinyolly/ui"},
            {},
            "index.docker.io/tinyolly/ui",
            "'docker.io/tinyolly/ui'",
            id="same-repository-different-hub-spelling",
        ),
        pytest.param(
            {"//:one": "ui", "//:two": "acme/ui"},
            {"one": "r.example.com/acme", "two": "r.example.com"},
            "r.example.com/acme/ui:v1",
            "'r.example.com/acme/ui'",
            id="overlap-through-registry-prefixes",
        ),
    ],
)
def test_a_reference_naming_two_images_is_ambiguous_and_names_both(
    images, registries, reference: str, message: str
) -> None:
    matcher = RepositoryMatcher(images, registries)  # sharing a name is not an error by itself
    with pytest.raises(AmbiguousReferenceError) as error:
        matcher.match(reference)
    assert "//:one" in str(error.value) and "//:two" in str(error.value)
    assert message in str(error.value)


# Two images building one repository (a compose demo and a k8s demo), told apart where it matters.
SHARED = {"compose:frontend": "demo-frontend", "k8s:frontend": "demo-frontend"}


@pytest.mark.parametrize(
    "images, aliases, registries, reference, expected",
    [
        pytest.param(SHARED, {}, {}, "busybox", None, id="unrelated-reference-is-fine"),
        pytest.param(
            {"compose:frontend": "demo-frontend", "k8s:frontend": "k8s.example.com/demo-frontend"},
            {},
            {"k8s": "k8s.example.com"},
            "k8s.example.com/demo-frontend:v1",
            "k8s:frontend",
            id="registry-written-in-repository-beats-a-registry-prefix",
        ),
        pytest.param(
            {"compose:frontend": "demo-frontend", "k8s:frontend": "k8s.example.com/demo-frontend"},
            {},
            {"k8s": "k8s.example.com"},
            "demo-frontend",
            "compose:frontend",
            id="bare-name-is-the-image-without-a-registry",
        ),
        pytest.param(
            SHARED,
            {"k8s:frontend": ["k8s/demo-frontend"]},
            {},
            "k8s/demo-frontend:latest",
            "k8s:frontend",
            id="an-alias-only-one-image-has",
        ),
    ],
)
def test_shared_repository_is_told_apart_by_registry_or_alias(
    images, aliases, registries, reference: str, expected: Optional[str]
) -> None:
    assert RepositoryMatcher(images, registries, aliases).match(reference) == expected


@pytest.mark.parametrize(
    "reference, expected",
    [
        pytest.param("team/python-base:latest", "base", id="alias"),
        pytest.param("team/python-base@" + DIGEST, "base", id="alias-digest-ignored"),
        pytest.param("docker.io/team/python-base", "base", id="alias-docker-hub-spelling"),
        pytest.param("ghcr.io/acme/team/python-base:v1", "base", id="alias-under-a-registry"),
        pytest.param("tinyolly/python-base", "base", id="repository-still-matches"),
        pytest.param("quay.io/team/base", "base", id="alias-with-its-own-host"),
        pytest.param("team/python", None, id="alias-prefix-only"),
        pytest.param("ghcr.io/acme/quay.io/team/base", None, id="no-registry-before-a-hosted-alias"),
    ],
)
def test_aliases_match_like_the_repository(reference: str, expected: Optional[str]) -> None:
    matcher = RepositoryMatcher(
        {"base": "tinyolly/python-base", "ui": "tinyolly/ui"},
        {"ghcr": "ghcr.io/acme"},
        {"base": ["team/python-base", "quay.io/team/base"]},
    )
    assert matcher.match(reference) == expected


def test_no_near_miss_without_images_even_under_a_configured_registry() -> None:
    assert RepositoryMatcher({}, {"ghcr": "ghcr.io/acme"}).near_miss("ghcr.io/acme/x") is None


def test_an_alias_shared_with_another_image_is_ambiguous_only_when_used() -> None:
    matcher = RepositoryMatcher(
        {"a": "tinyolly/a", "b": "tinyolly/b"}, {}, {"a": ["team/base"], "b": ["team/base"]}
    )
    assert matcher.match("tinyolly/a") == "a"
    with pytest.raises(AmbiguousReferenceError, match="'team/base'"):
        matcher.match("team/base:latest")


@pytest.mark.parametrize(
    "aliases, message",
    [
        pytest.param({"a": ["team/a:latest"]}, "must not include a tag", id="alias-with-tag"),
        pytest.param({"a": ["Team/A"]}, "lower-case", id="alias-not-lower-case"),
    ],
)
def test_invalid_alias_is_a_configuration_error(aliases, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        RepositoryMatcher({"a": "tinyolly/a"}, {}, aliases)


NEAR_IMAGES = {
    "dockerfiles:python-base": "tinyolly/python-base",
    "dockerfiles:ui": "tinyolly/ui",
    "tools:busybox": "busybox",
    "agent:agent": "quay.io/acme/agent",
}
NEAR_REGISTRIES = {"ghcr": "ghcr.io/acme", "hub": "docker.io"}


@pytest.mark.parametrize(
    "reference, expected",
    [
        pytest.param(
            "tinyolly/pyhton-base:latest", ("dockerfiles:python-base", "tinyolly/python-base"),
            id="typo-in-a-repo-namespace",
        ),
        pytest.param(
            "docker.io/tinyolly/python-bse", ("dockerfiles:python-base", "tinyolly/python-base"),
            id="typo-docker-hub-spelling",
        ),
        pytest.param("tinyolly/uii", ("dockerfiles:ui", "tinyolly/ui"), id="nearest-of-several"),
        pytest.param(
            "ghcr.io/acme/tinyolly/python-bas", ("dockerfiles:python-base", "ghcr.io/acme/tinyolly/python-base"),
            id="typo-under-a-configured-registry",
        ),
        pytest.param(
            "ghcr.io/acme/tinyolly-ui", ("dockerfiles:ui", "ghcr.io/acme/tinyolly/ui"),
            id="anything-under-a-configured-registry-path",
        ),
        pytest.param("quay.io/acme/agnet", ("agent:agent", "quay.io/acme/agent"), id="namespace-with-a-host"),
        pytest.param("tinyolly/python-base:3.11", None, id="a-match-is-no-miss"),
        pytest.param("python:3.11-slim", None, id="official-image"),
        pytest.param("busyboxx", None, id="docker-hub-library-is-nobodys-namespace"),
        pytest.param("otel/opentelemetry-collector", None, id="other-namespace"),
        pytest.param("ghcr.io/other/tinyolly/ui", None, id="same-host-other-path"),
        pytest.param("quay.io/other/agent", None, id="same-host-other-namespace"),
        pytest.param("{{ .Values.image }}", None, id="template"),
        pytest.param("Tinyolly/UI", None, id="invalid-reference"),
    ],
)
def test_near_miss_of_a_first_party_looking_reference(reference: str, expected) -> None:
    miss = RepositoryMatcher(NEAR_IMAGES, NEAR_REGISTRIES).near_miss(reference)
    assert (miss and (miss.key, miss.name)) == expected


@pytest.mark.parametrize(
    "images, registries, message",
    [
        pytest.param(
            {"a": "tinyolly/ui:v1"}, {}, "must not include a tag", id="repository-with-tag"
        ),
        pytest.param({"a": "tinyolly/Ui"}, {}, "lower-case", id="invalid-repository"),
        pytest.param({"a": "ui"}, {"ghcr": "https://ghcr.io"}, "scheme", id="registry-with-scheme"),
        pytest.param({"a": "ui"}, {"bad": "ghcr.io/Acme"}, "'bad'", id="invalid-registry-path"),
    ],
)
def test_matcher_rejects_bad_configuration(images, registries, message: str) -> None:
    with pytest.raises(ValueError) as error:
        RepositoryMatcher(images, registries)
    assert message in str(error.value)


def test_same_key_may_be_reached_through_several_spellings() -> None:
    matcher = RepositoryMatcher(
        {"ui": "tinyolly/ui"}, {"hub": "docker.io", "idx": "index.docker.io"}
    )
    assert matcher.match("index.docker.io/tinyolly/ui") == "ui"


@pytest.mark.parametrize(
    "external, reference, warned",
    [
        pytest.param(["tinyolly/otel-collector"], "tinyolly/otel-collector:0.9", False, id="exact-name"),
        pytest.param(["docker.io/tinyolly/otel-collector"], "tinyolly/otel-collector", False, id="docker-hub-spelling"),
        pytest.param(["tinyolly/vendor/*"], "tinyolly/vendor/redis:7", False, id="namespace"),
        pytest.param(["tinyolly/vendor/*"], "tinyolly/vendorx", True, id="namespace-is-not-a-prefix-of-a-name"),
        pytest.param(["ghcr.io/acme/*"], "ghcr.io/acme/anything", False, id="registry-path"),
        pytest.param(["tinyolly/otel-collector"], "tinyolly/pyhton-base", True, id="other-names-still-warn"),
    ],
)
def test_declared_external_images_are_no_near_miss(external, reference: str, warned: bool) -> None:
    matcher = RepositoryMatcher(NEAR_IMAGES, NEAR_REGISTRIES, external=external)
    assert (matcher.near_miss(reference) is not None) == warned


@pytest.mark.parametrize(
    "external, message",
    [
        pytest.param(["tinyolly/x:1.0"], "must not include a tag", id="tag"),
        pytest.param(["Tinyolly/X"], "lower-case", id="invalid-name"),
    ],
)
def test_invalid_external_image_is_a_configuration_error(external, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        RepositoryMatcher(NEAR_IMAGES, {}, external=external)
