"""Platform strings (`os/arch[/variant]`): parsing and normalizing them like containerd's
`platforms.Parse`, this machine's platform, and the automatic platform ARGs BuildKit derives from
them. The one place platforms are parsed: the `[oci]` options, the `platforms` field, `FROM
--platform`, base image indexes and the builds all use it."""

from __future__ import annotations

import platform as _host
import re
from typing import Dict, Iterable, Optional, Tuple

DEFAULT_BUILD_PLATFORM = "linux/amd64"

# containerd accepts these characters in each component (its `specifierRe`).
_COMPONENT_RE = re.compile(r"[a-z0-9_-]+")
# `uname -m` names that are not Go architecture names.
_MACHINE_PLATFORMS = {
    "x86_64": "amd64",
    "amd64": "amd64",
    "aarch64": "arm64",
    "arm64": "arm64",
    "armv7l": "arm/v7",
    "armv6l": "arm/v6",
    "i386": "386",
    "i686": "386",
}


class InvalidPlatformError(ValueError):
    """A platform string that is not `os/arch[/variant]`; the message says where it came from."""

# containerd's `isKnownOS` / `isKnownArch` (Go's GOOS and GOARCH lists): a one-component platform
# is an OS (on this machine's architecture) or an architecture (on linux), anything else an error.
_KNOWN_OS = frozenset(
    "aix android darwin dragonfly freebsd hurd illumos ios js linux nacl netbsd openbsd plan9 "
    "solaris wasip1 windows zos macos".split()
)
_KNOWN_ARCH = frozenset(
    "386 amd64 amd64p32 arm armbe arm64 arm64be loong64 mips mipsle mips64 mips64le mips64p32 "
    "mips64p32le ppc ppc64 ppc64le riscv riscv64 s390 s390x sparc sparc64 wasm "
    "x86_64 x86-64 aarch64 i386 armhf armel".split()
)

_ARCH_ALIASES = {"x86_64": "amd64", "x86-64": "amd64", "aarch64": "arm64", "i386": "386", "armhf": "arm", "armel": "arm"}


def normalize_platform(text: str) -> Tuple[str, str, str]:
    """(os, arch, variant) of a platform string, normalized like containerd does.

    "linux/amd64" -> ("linux", "amd64", ""); "linux/arm" -> ("linux", "arm", "v7");
    "linux/aarch64/v8" -> ("linux", "arm64", ""). Raises ValueError for malformed input.
    """
    parts = text.strip().lower().split("/")
    if not text.strip() or len(parts) > 3 or not all(_COMPONENT_RE.fullmatch(p) for p in parts):
        raise InvalidPlatformError(f"invalid platform {text!r}: expected os/arch[/variant], e.g. linux/arm64")
    if len(parts) == 1:
        if parts[0] in _KNOWN_OS:
            parts = [parts[0], *host_platform().split("/")[1:]]
        elif parts[0] in _KNOWN_ARCH:
            parts = ["linux", parts[0]]
        else:
            raise InvalidPlatformError(
                f"invalid platform {text!r}: {parts[0]!r} is neither an operating system nor an "
                "architecture; expected os/arch[/variant], e.g. linux/arm64"
            )
    os_name = "darwin" if parts[0] == "macos" else parts[0]
    raw_arch = parts[1]
    variant = parts[2] if len(parts) == 3 else ""
    arch = _ARCH_ALIASES.get(raw_arch, raw_arch)
    if raw_arch == "armhf" and not variant:
        variant = "v7"
    if raw_arch == "armel" and not variant:
        variant = "v6"
    if arch == "amd64" and variant == "v1":
        variant = ""
    if arch == "arm64" and variant in ("8", "v8", "v8.0"):
        variant = ""
    if arch == "arm":
        if variant in ("", "7"):
            variant = "v7"
        elif variant in ("5", "6", "8"):
            variant = "v" + variant
    return os_name, arch, variant


def format_platform(os_name: str, arch: str, variant: str) -> str:
    """"os/arch" or "os/arch/variant"."""
    return f"{os_name}/{arch}/{variant}" if variant else f"{os_name}/{arch}"


def canonical_platform(text: str) -> str:
    """The normalized spelling of a platform ("linux/aarch64" -> "linux/arm64"); ValueError if malformed."""
    return format_platform(*normalize_platform(text))


def host_platform(machine: Optional[str] = None) -> str:
    """The platform of this machine (or of a `uname -m` name), e.g. "linux/arm64"."""
    name = (machine if machine is not None else _host.machine()).lower()
    return canonical_platform("linux/" + _MACHINE_PLATFORMS.get(name, name))


def platform_list(values: Iterable[str], origin: str) -> Tuple[str, ...]:
    """`values` normalized, without repeats; InvalidPlatformError naming `origin` (e.g. "The
    [oci].platforms option") when one is malformed or there are none."""
    out: Dict[str, None] = {}
    for value in values:
        try:
            out[canonical_platform(value)] = None
        except InvalidPlatformError:
            raise InvalidPlatformError(
                f"{origin} has {value!r}, which is not a platform. Write platforms as "
                'os/arch[/variant], e.g. "linux/amd64" or "linux/arm/v7".'
            ) from None
    if not out:
        raise InvalidPlatformError(f'{origin} is empty, so there is nothing to build. List at least one platform, e.g. ["linux/amd64"].')
    return tuple(out)


def platform_args(target: str, build: str = DEFAULT_BUILD_PLATFORM) -> Dict[str, str]:
    """The automatic ARGs BuildKit defines for a target platform and a build platform."""
    t_os, t_arch, t_var = normalize_platform(target)
    b_os, b_arch, b_var = normalize_platform(build)
    return {
        "TARGETPLATFORM": format_platform(t_os, t_arch, t_var),
        "TARGETOS": t_os,
        "TARGETARCH": t_arch,
        "TARGETVARIANT": t_var,
        "BUILDPLATFORM": format_platform(b_os, b_arch, b_var),
        "BUILDOS": b_os,
        "BUILDARCH": b_arch,
        "BUILDVARIANT": b_var,
    }
