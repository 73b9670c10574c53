"""Which builder `[oci].builder` selects."""

from __future__ import annotations

from enum import Enum


class BuilderChoice(Enum):
    AUTO = "auto"
    BUILDAH = "buildah"
    DOCKER = "docker"
