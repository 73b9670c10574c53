"""What a Dockerfile resolution returns: stages, image references, COPY sources and files.

Plain frozen values, produced by `resolver.resolve_dockerfile` and read by the Pants rules and
`oci-peek`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import FrozenSet, Optional, Tuple

KIND_FROM = "from"
KIND_COPY_FROM = "copy_from"
KIND_MOUNT_FROM = "mount_from"

ORIGIN_CONTEXT = "context"
ORIGIN_STAGE = "stage"
ORIGIN_IMAGE = "image"
ORIGIN_REMOTE = "remote"
ORIGIN_HEREDOC = "heredoc"


@dataclass(frozen=True)
class StageInfo:
    """One FROM stage of the Dockerfile.

    `base` is the FROM reference after substitution (for the first requested platform; `bases`
    lists every distinct value over all platforms). `base_stage` is the index of the stage it is
    built from, if it names an earlier stage. `used` is True when the build runs the stage for at
    least one platform.
    """

    index: int
    name: Optional[str]
    base: str
    line: int
    used: bool
    base_stage: Optional[int] = None
    bases: Tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """The stage's name, or `stage-N` for an unnamed stage (BuildKit's naming)."""
        return self.name or f"stage-{self.index}"


@dataclass(frozen=True)
class ImageRef:
    """An external image a used stage needs.

    `kind` is "from" (a FROM base), "copy_from" (`COPY --from=<image>`) or "mount_from"
    (`RUN --mount from=<image>`). `platform` is the FROM `--platform` value after substitution
    (None when absent or for the other kinds); `target_platforms` the requested platforms whose
    build needs the image.
    """

    reference: str
    kind: str
    line: int
    stage: str
    stage_index: int
    platform: Optional[str] = None
    target_platforms: Tuple[str, ...] = ()


@dataclass(frozen=True)
class CopySource:
    """One COPY/ADD source or bind-mount source of a used stage, for explain/peek output.

    `source` is the text as written, `expanded` after substitution. `origin` says where the
    build reads it from: "context" (then `files` lists the context files it matched), "stage"
    or "image" (then `from_ref` names it), "remote" (ADD of a URL or git repository) or
    "heredoc" (inline content).
    """

    line: int
    stage: str
    keyword: str
    source: str
    expanded: str
    origin: str
    files: Tuple[str, ...] = ()
    from_ref: Optional[str] = None


@dataclass(frozen=True)
class OnbuildTrigger:
    """An `ONBUILD <instruction>` of an image: `text` is the instruction, run by the child's FROM."""

    path: str
    line: int
    text: str
    escape: str = "\\"


@dataclass(frozen=True)
class ImageExport:
    """What an image built from the Dockerfile hands to a Dockerfile built `FROM` it, for one
    platform: its `ENV` values (the image config's Env; ARGs are not kept) and the ONBUILD
    triggers of its last stage."""

    platform: str
    env: Tuple[Tuple[str, str], ...] = ()
    onbuild: Tuple[OnbuildTrigger, ...] = ()

    @property
    def empty(self) -> bool:
        """Whether it changes nothing in a child."""
        return not self.env and not self.onbuild


@dataclass(frozen=True)
class ResolvedDockerfile:
    """What a build of the Dockerfile reads from its context and which images it needs.

    - `copied_files`: context-relative paths the build reads, after .dockerignore.
    - `copied_empty_dirs`: directories a literal COPY source names whose files .dockerignore all
      excludes: the build copies them, empty, so the context must hold them.
    - `stages`: every stage, with whether the build uses it.
    - `image_refs`: external images the used stages need, in Dockerfile order.
    - `copy_trace`: every COPY/ADD/mount source of the used stages and what it matched.
    - `target`: the label of the stage that is built.
    - `platforms`: the target platforms resolved (normalized, e.g. "linux/arm/v7").
    - `referenced_variables`: variables looked up while substituting (used stages + FROM lines);
      `unset_variables` those that were not set at the time.
    - `warnings`: things that are legal but probably unintended (a wildcard matching nothing).
    - `exports`: per platform, what an image built FROM this one inherits (ENV, ONBUILD).
    """

    path: str
    copied_files: FrozenSet[str]
    stages: Tuple[StageInfo, ...]
    image_refs: Tuple[ImageRef, ...]
    copy_trace: Tuple[CopySource, ...]
    target: str
    platforms: Tuple[str, ...]
    referenced_variables: FrozenSet[str] = frozenset()
    unset_variables: FrozenSet[str] = frozenset()
    warnings: Tuple[str, ...] = ()
    exports: Tuple[ImageExport, ...] = ()
    copied_empty_dirs: FrozenSet[str] = frozenset()
