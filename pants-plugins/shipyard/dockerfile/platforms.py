"""Platform strings (`os/arch[/variant]`): normalizing them like containerd, and the automatic
platform ARGs BuildKit derives from them. The one place platforms are parsed."""

from __future__ import annotations

from typing import Dict, Tuple

DEFAULT_BUILD_PLATFORM = "linux/amd64"

_ARCH_ALIASES = {"x86_64": "amd64", "x86-64": "amd64", "aarch64": "arm64", "i386": "386", "armhf": "arm", "armel": "arm"}


def normalize_platform(text: str) -> Tuple[str, str, str]:
    """(os, arch, variant) of a platform string, normalized like containerd does.

    "linux/amd64" -> ("linux", "amd64", ""); "linux/arm" -> ("linux", "arm", "v7");
    "linux/aarch64/v8" -> ("linux", "arm64", ""). Raises ValueError for malformed input.
    """
    parts = [p.strip().lower() for p in text.strip().split("/")]
    if not text.strip() or len(parts) > 3 or any(p == "" for p in parts):
        raise ValueError(f"invalid platform {text!r}: expected os/arch[/variant], e.g. linux/arm64")
    if len(parts) == 1:
        parts = ["linux", parts[0]]
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
