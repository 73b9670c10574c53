"""Container image references: parsing, Docker Hub normalization, and matching them against the
repo's images.

`ImageRef.parse` follows the grammar of the reference package used by Docker and the distribution
registry (``[registry/]path[:tag][@digest]``).  `RepositoryMatcher` answers "does this reference,
written in a Dockerfile, values file or template, name an image built in this repo, and which one?".

Plain Python: nothing here knows about Pants.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Dict, Generic, Hashable, Mapping, Optional, Tuple, TypeVar

#: Registry spellings that all mean Docker Hub.
DOCKER_HUB_REGISTRIES = frozenset({"docker.io", "index.docker.io", "registry-1.docker.io"})
#: The registry `canonical_name()` uses for Docker Hub.
DOCKER_HUB = "docker.io"

_MAX_NAME_LENGTH = 255

# One path component: lower-case alphanumerics joined by `.`, `_`, `__` or runs of `-`.
_PATH_COMPONENT = re.compile(r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*")
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_HOST = re.compile(r"(?:{c}(?:\.{c})*|\[[0-9a-fA-F:.]+\])(?::[0-9]+)?".format(c=_DOMAIN_COMPONENT))
_TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
_TAG_CHARS = re.compile(r"[A-Za-z0-9_.-]+")
# Digest algorithms the registries and go-digest accept, with their hex length.
_DIGEST_HEX_LENGTHS = {"sha256": 64, "sha384": 96, "sha512": 128}
_LOWER_HEX = re.compile(r"[a-f0-9]+")

_TEMPLATE_MARKERS = ("{{", "}}", "$")


def has_template_syntax(text: str) -> bool:
    """True when `text` still contains unexpanded template or shell syntax (`{{`, `}}`, `$`)."""
    return any(marker in text for marker in _TEMPLATE_MARKERS)


class InvalidImageReference(ValueError):
    """A string that is not a valid image reference; `str()` says which part is wrong."""

    def __init__(self, text: str, reason: str) -> None:
        super().__init__(text, reason)
        self.text = text
        self.reason = reason

    def __str__(self) -> str:
        return f"invalid image reference {self.text!r}: {self.reason}"


class RepositoryConflictError(ValueError):
    """Two images of the repo claim the same repository name, so references to it are ambiguous."""


@dataclass(frozen=True)
class ImageRef:
    """A parsed image reference, kept as written (no Docker Hub normalization).

    `registry` is the first path component when it looks like a host (contains `.` or `:`, is
    `localhost` or has an upper-case letter), else None. `repository` is the rest of the name.
    `tag` and `digest` are optional.
    """

    registry: Optional[str]
    repository: str
    tag: Optional[str] = None
    digest: Optional[str] = None

    @classmethod
    def parse(cls, text: str) -> ImageRef:
        """Parse `[registry/]repository[:tag][@digest]`; raise `InvalidImageReference` (a
        `ValueError`) saying what is wrong."""
        if not isinstance(text, str):
            raise InvalidImageReference(repr(text), "expected a string")
        if not text:
            raise InvalidImageReference(text, "the reference is empty")
        if any(ch.isspace() for ch in text):
            raise InvalidImageReference(text, "it contains whitespace")

        name, at, digest_text = text.partition("@")
        digest = _parse_digest(text, digest_text) if at else None

        tag: Optional[str] = None
        colon = name.rfind(":")
        if colon > name.rfind("/"):
            name, tag = name[:colon], name[colon + 1 :]
            _check_tag(text, tag)

        if not name:
            raise InvalidImageReference(text, "the repository name is empty")
        registry, repository = _split_registry(name)
        if registry is not None:
            if not _HOST.fullmatch(registry):
                raise InvalidImageReference(
                    text, f"registry {registry!r} is not a valid host[:port]"
                )
        _check_repository(text, repository)
        ref = cls(registry=registry, repository=repository, tag=tag, digest=digest)
        # Only the path counts, as Docker normalizes it (`docker.io/library/x`); the registry host
        # does not (distribution/reference since its PR #9).
        path = ref.canonical_name().split("/", 1)[1]
        if len(path) > _MAX_NAME_LENGTH:
            raise InvalidImageReference(
                text,
                f"the repository path is {len(path)} characters long, longer than "
                f"{_MAX_NAME_LENGTH} characters (the registry host does not count)",
            )
        return ref

    @property
    def name(self) -> str:
        """`registry/repository` as written (no tag or digest)."""
        return f"{self.registry}/{self.repository}" if self.registry else self.repository

    def canonical_name(self) -> str:
        """The name with Docker Hub spelled out: `python` and `index.docker.io/python` both give
        `docker.io/library/python`; other registries are left as written."""
        registry = self.registry
        repository = self.repository
        if registry is None or registry.lower() in DOCKER_HUB_REGISTRIES:
            registry = DOCKER_HUB
            if "/" not in repository:
                repository = f"library/{repository}"
        return f"{registry}/{repository}"

    def __str__(self) -> str:
        text = self.name
        if self.tag is not None:
            text += f":{self.tag}"
        if self.digest is not None:
            text += f"@{self.digest}"
        return text


def _split_registry(name: str) -> Tuple[Optional[str], str]:
    """Docker's rule (distribution/reference `splitDockerDomain`): the first of several components
    is a registry host when it has a `.` or `:`, is `localhost`, or has an upper-case letter
    (path components never do)."""
    first, slash, rest = name.partition("/")
    if slash and ("." in first or ":" in first or first == "localhost" or first != first.lower()):
        return first, rest
    return None, name


def _parse_digest(text: str, digest: str) -> str:
    algorithm, colon, hex_part = digest.partition(":")
    if not colon or not algorithm or not hex_part:
        raise InvalidImageReference(
            text, f"digest {digest!r} must look like sha256:<64 hex characters>"
        )
    expected_length = _DIGEST_HEX_LENGTHS.get(algorithm)
    if expected_length is None:
        raise InvalidImageReference(
            text,
            f"unsupported digest algorithm {algorithm!r} "
            f"(use one of {', '.join(sorted(_DIGEST_HEX_LENGTHS))})",
        )
    if not _LOWER_HEX.fullmatch(hex_part) or len(hex_part) != expected_length:
        raise InvalidImageReference(
            text,
            f"a {algorithm} digest needs exactly {expected_length} lower-case hex characters, "
            f"got {hex_part!r}",
        )
    return digest


def _check_tag(text: str, tag: str) -> None:
    if _TAG.fullmatch(tag):
        return
    if not tag:
        reason = "the tag after ':' is empty"
    elif len(tag) > 128 and _TAG_CHARS.fullmatch(tag):
        reason = f"the tag is {len(tag)} characters long; tags are at most 128"
    else:
        reason = (
            f"tag {tag!r} is invalid: use letters, digits, '_', '.' and '-', "
            "not starting with '.' or '-'"
        )
    raise InvalidImageReference(text, reason)


def _check_repository(text: str, repository: str) -> None:
    for component in repository.split("/"):
        if not component:
            raise InvalidImageReference(
                text, f"repository {repository!r} has an empty path component"
            )
        if _PATH_COMPONENT.fullmatch(component):
            continue
        if _PATH_COMPONENT.fullmatch(component.lower()):
            reason = f"repository {repository!r} must be lower-case"
        else:
            reason = (
                f"path component {component!r} is invalid: use lower-case letters and digits, "
                "separated by '.', '_', '__' or '-'"
            )
        raise InvalidImageReference(text, reason)


K = TypeVar("K", bound=Hashable)


class RepositoryMatcher(Generic[K]):
    """Finds which of the repo's images an image reference names.

    `images` maps a key (e.g. a target address) to the image's repository (`tinyolly/ui`, or with a
    host, `ghcr.io/acme/tinyolly/ui`). `registries` maps an alias to an address the images are
    pushed to, possibly with a port and a path prefix (`ghcr.io/acme`, `localhost:5000`).

    A reference (tag and digest ignored) names an image when it is the repository itself, the
    repository under one of the registry addresses, or a Docker Hub spelling of it
    (`docker.io/tinyolly/ui`, `index.docker.io/library/busybox`). References with unexpanded
    template syntax never match: their real value is unknown.
    """

    def __init__(self, images: Mapping[K, str], registries: Mapping[str, str]) -> None:
        addresses = {
            alias: _registry_address(alias, address) for alias, address in registries.items()
        }
        self._names: Dict[str, Tuple[K, str]] = {}
        for key, repository in images.items():
            ref = _repository_ref(key, repository)
            spellings = {ref.canonical_name()}
            if ref.registry is None:
                for alias, address in addresses.items():
                    spellings.add(_prefixed_name(alias, address, ref.repository))
            for spelling in sorted(spellings):
                self._claim(spelling, key, repository)

    def _claim(self, spelling: str, key: K, repository: str) -> None:
        previous = self._names.get(spelling)
        if previous is not None and previous[0] != key:
            other_key, other_repository = previous
            raise RepositoryConflictError(
                f"images {other_key} (repository {other_repository!r}) and {key} "
                f"(repository {repository!r}) both claim the image name {spelling!r}, so "
                "references to it are ambiguous. Give one of them a different repository."
            )
        self._names[spelling] = (key, repository)

    def match(self, reference_text: str) -> Optional[K]:
        """The key of the image `reference_text` names, or None (external image, template, or not
        a valid reference)."""
        if has_template_syntax(reference_text):
            return None
        try:
            ref = ImageRef.parse(reference_text.strip())
        except InvalidImageReference:
            return None
        found = self._names.get(ref.canonical_name())
        return found[0] if found is not None else None


def _repository_ref(key: Hashable, repository: str) -> ImageRef:
    try:
        ref = ImageRef.parse(repository)
    except InvalidImageReference as e:
        raise ValueError(f"image {key}: {e}") from e
    if ref.tag is not None or ref.digest is not None:
        raise ValueError(
            f"image {key}: repository {repository!r} must not include a tag or digest; "
            f"use {ref.name!r}"
        )
    return ref


def _registry_address(alias: str, address: str) -> str:
    cleaned = address.strip().rstrip("/")
    if "://" in cleaned:
        raise ValueError(
            f"registry {alias!r}: address {address!r} must not include a scheme; "
            f"write it as {cleaned.split('://', 1)[1]!r}"
        )
    if not cleaned:
        raise ValueError(f"registry {alias!r}: the address is empty")
    return cleaned


def _prefixed_name(alias: str, address: str, repository: str) -> str:
    try:
        return ImageRef.parse(f"{address}/{repository}").canonical_name()
    except InvalidImageReference as e:
        raise ValueError(
            f"registry {alias!r}: address {address!r} does not form valid image names "
            f"({e}); use host[:port][/path]"
        ) from e
