"""Container image references: parsing, Docker Hub normalization, and matching them against the
repo's images.

`ImageRef.parse` follows the grammar of the reference package used by Docker and the distribution
registry (``[registry/]path[:tag][@digest]``).  `RepositoryMatcher` answers "does this reference,
written in a Dockerfile, values file or template, name an image built in this repo, and which one?".

Plain Python: nothing here knows about Pants.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Dict, Generic, Hashable, List, Mapping, Optional, Sequence, Set, Tuple, TypeVar

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


def tag_problem(tag: str) -> Optional[str]:
    """Why `tag` is not a valid tag in Docker's reference grammar, or None when it is."""
    if _TAG.fullmatch(tag):
        return None
    if not tag:
        return "the tag after ':' is empty"
    if len(tag) > 128 and _TAG_CHARS.fullmatch(tag):
        return f"the tag is {len(tag)} characters long; tags are at most 128"
    return f"tag {tag!r} is invalid: use letters, digits, '_', '.' and '-', not starting with '.' or '-'"


def _check_tag(text: str, tag: str) -> None:
    reason = tag_problem(tag)
    if reason is not None:
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

# How a name was claimed: as written in `repository`/`aliases` (explicit), or by putting one of the
# `[oci].registries` addresses in front (derived). An explicit claim wins over a derived one, so a
# repository that spells out its registry is told apart from a bare one pushed to that registry.
_EXPLICIT, _DERIVED = 0, 1


class AmbiguousReferenceError(ValueError):
    """An image reference names two or more of the repo's images (same repository or alias)."""

    def __init__(self, reference: str, candidates: Sequence[Tuple[Hashable, str]]) -> None:
        super().__init__(reference, tuple(candidates))
        self.reference = reference
        self.candidates = tuple(candidates)  # (key, the name it was matched by)

    def __str__(self) -> str:
        images = " and ".join(f"{key} (as {name!r})" for key, name in self.candidates)
        return (
            f"the image reference {self.reference!r} is ambiguous: it names both {images}. "
            "Give one of them another `repository`, or reference the one you mean by a name only "
            "it has (add it to that image's `aliases`)."
        )


@dataclass(frozen=True)
class NearMiss(Generic[K]):
    """The repo image closest to a reference that looks first-party but names none of them."""

    key: K
    name: str  # the image's name as a reference would spell it, e.g. `tinyolly/python-base`
    why: str  # what makes the reference look first-party, e.g. "the namespace `tinyolly`"


@dataclass(frozen=True)
class _Claim(Generic[K]):
    key: K
    name: str  # as the user would write it: the repository/alias, or `<registry address>/<it>`
    rank: int


class RepositoryMatcher(Generic[K]):
    """Finds which of the repo's images an image reference names.

    `images` maps a key (e.g. a target address) to the image's repository (`tinyolly/ui`, or with a
    host, `ghcr.io/acme/tinyolly/ui`); `aliases` maps a key to other names the same image is built
    as (`team/ui`), matched exactly like the repository. `registries` maps an alias to an address
    the images are pushed to, possibly with a port and a path prefix (`ghcr.io/acme`,
    `localhost:5000`).

    A reference (tag and digest ignored) names an image when it is one of its names itself, the
    name under one of the registry addresses, or a Docker Hub spelling of it
    (`docker.io/tinyolly/ui`, `index.docker.io/library/busybox`). References with unexpanded
    template syntax never match: their real value is unknown. Two images may share a name; only a
    reference that names both is an error (`AmbiguousReferenceError`), and a name written out
    (repository or alias) wins over one made by prefixing a registry address.
    """

    def __init__(
        self,
        images: Mapping[K, str],
        registries: Mapping[str, str],
        aliases: Optional[Mapping[K, Sequence[str]]] = None,
        external: Sequence[str] = (),
    ) -> None:
        addresses = {
            alias: _registry_address(alias, address) for alias, address in registries.items()
        }
        self._claims: Dict[str, List[_Claim[K]]] = {}
        self._registry_prefixes = {
            p for p in map(_canonical_prefix, addresses.values()) if p is not None
        }
        self._namespaces: Set[str] = set()
        # Names declared external although they look first-party: exact, or `namespace/*`.
        self._external = {_external_name(name) for name in external}
        for key, repository in images.items():
            for name in (repository, *((aliases or {}).get(key, ()))):
                ref = _repository_ref(key, name)
                self._claim(ref.canonical_name(), _Claim(key, name, _EXPLICIT))
                if ref.registry is None:
                    for alias, address in addresses.items():
                        spelling = _prefixed_name(alias, address, ref.repository)
                        self._claim(spelling, _Claim(key, f"{address}/{ref.repository}", _DERIVED))

    def _claim(self, spelling: str, claim: _Claim[K]) -> None:
        claims = self._claims.setdefault(spelling, [])
        if all(c.key != claim.key for c in claims):
            claims.append(claim)
        elif claim.rank < min(c.rank for c in claims if c.key == claim.key):
            claims[:] = [c for c in claims if c.key != claim.key] + [claim]
        namespace = spelling.rpartition("/")[0]
        if namespace != f"{DOCKER_HUB}/library":
            self._namespaces.add(namespace)

    def match(self, reference_text: str) -> Optional[K]:
        """The key of the image `reference_text` names, or None (external image, template, or not
        a valid reference). Raises `AmbiguousReferenceError` when it names two images."""
        ref = _parse_reference(reference_text)
        if ref is None:
            return None
        claims = self._claims.get(ref.canonical_name(), [])
        if not claims:
            return None
        best = min(c.rank for c in claims)
        winners = sorted((c for c in claims if c.rank == best), key=lambda c: str(c.key))
        if len(winners) > 1:
            raise AmbiguousReferenceError(
                reference_text.strip(), [(c.key, c.name) for c in winners]
            )
        return winners[0].key

    def near_miss(self, reference_text: str) -> Optional[NearMiss[K]]:
        """For a reference that names none of the repo's images but looks like it should (it is in
        the namespace of one of them, e.g. `tinyolly/pyhton-base` beside `tinyolly/python-base`,
        or under a configured registry address): the closest repo image. None otherwise."""
        ref = _parse_reference(reference_text)
        if ref is None or not self._claims or ref.canonical_name() in self._claims:
            return None
        canonical = ref.canonical_name()
        if canonical in self._external or any(
            canonical.startswith(name) for name in self._external if name.endswith("/")
        ):
            return None
        namespace = canonical.rpartition("/")[0]
        if namespace in self._namespaces:
            why = f"it is in the namespace {_display(namespace)!r} of this repository's images"
        else:
            prefix = next(
                (p for p in sorted(self._registry_prefixes) if canonical.startswith(p + "/")), None
            )
            if prefix is None:
                return None
            why = f"it is under the registry {prefix!r} of `[oci].registries`"
        spelling = max(
            self._claims,
            key=lambda s: (difflib.SequenceMatcher(None, canonical, s).ratio(), s),
        )
        claim = min(self._claims[spelling], key=lambda c: (c.rank, str(c.key)))
        return NearMiss(claim.key, claim.name, why)


def _parse_reference(reference_text: str) -> Optional[ImageRef]:
    if has_template_syntax(reference_text):
        return None
    try:
        return ImageRef.parse(reference_text.strip())
    except InvalidImageReference:
        return None


def _display(canonical_namespace: str) -> str:
    """`docker.io/tinyolly` -> `tinyolly`: a Docker Hub namespace as users write it."""
    registry, _, rest = canonical_namespace.partition("/")
    return rest if registry == DOCKER_HUB and rest else canonical_namespace


def _external_name(name: str) -> str:
    """A declared external image as a canonical name, or, for `namespace/*`, the canonical prefix
    (ending in `/`) of the names under it."""
    stripped = name.strip()
    namespace = stripped.endswith("/*")
    try:
        ref = ImageRef.parse(f"{stripped[:-2]}/x" if namespace else stripped)
    except InvalidImageReference as e:
        raise ValueError(f"external image {name!r}: {e}") from e
    if ref.tag is not None or ref.digest is not None:
        raise ValueError(f"external image {name!r} must not include a tag or digest; use {ref.name!r}")
    return ref.canonical_name()[: -len("x")] if namespace else ref.canonical_name()


def _canonical_prefix(address: str) -> Optional[str]:
    """A registry address as the start of canonical names (`index.docker.io/acme` gives
    `docker.io/acme`); None for Docker Hub as a whole, which says nothing about who owns an image."""
    try:
        prefix = ImageRef.parse(f"{address}/x").canonical_name()[: -len("/x")]
    except InvalidImageReference:
        return None
    return None if prefix == f"{DOCKER_HUB}/library" else prefix


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
