"""The `oci_image` and `helm_chart` targets: the BUILD-file API of the shipyard backend.

Each target owns only its primary file (the Dockerfile, the Chart.yaml). The files an image copies
and the files a chart packages are owned by ordinary file-level targets (`files`, `python_sources`,
...), and dependency inference links exactly the used ones, so `--changed-since` marks an image or a
chart affected only by files it really uses.
"""

from __future__ import annotations

import posixpath
from typing import Iterable, Optional, Tuple

from pants.engine.addresses import Address
from pants.engine.target import (
    COMMON_TARGET_FIELDS,
    Dependencies,
    DictStringToStringField,
    InvalidFieldException,
    SingleSourceField,
    StringField,
    StringSequenceField,
    Target,
)
from pants.util.strutil import help_text

from shipyard.dockerfile.platforms import InvalidPlatformError, platform_list


class OciImageDockerfileField(SingleSourceField):
    alias = "dockerfile"
    required = False
    default = "Dockerfile"
    # 0 allowed: a target whose Dockerfile was deleted is reported by inference and tailor with the
    # fix (and fails to package), instead of failing every goal that reads all targets' sources.
    expected_num_files = range(0, 2)
    help = help_text(
        """
        The Dockerfile that builds this image, relative to the BUILD file's directory.

        Default: `Dockerfile`. Example: `dockerfile="Dockerfile.python-base"`. The image owns this
        file: editing it marks the image changed.
        """
    )


class OciImageContextField(StringField):
    alias = "context"
    default = "."
    help = help_text(
        """
        The build context directory, relative to the BUILD file's directory (default: `.`).

        `COPY`/`ADD` sources in the Dockerfile are looked up under this directory, and the image
        depends on the targets owning exactly the files they copy. Example: `context=".."` for a
        Dockerfile under `dockerfiles/` that copies `apps/ui/...` from the repository root.
        """
    )

    @classmethod
    def compute_value(cls, raw_value: Optional[str], address: Address) -> str:
        value = super().compute_value(raw_value, address) or "."
        if posixpath.isabs(value):
            raise InvalidFieldException(
                f"The `{cls.alias}` field of {address} is the absolute path {value!r}. "
                "Give the build context relative to the BUILD file's directory, e.g. `context=\"..\"`."
            )
        resolved = posixpath.normpath(posixpath.join(address.spec_path, value))
        if resolved == ".." or resolved.startswith("../"):
            raise InvalidFieldException(
                f"The `{cls.alias}` field of {address} ({value!r}) points outside the repository "
                f"(it resolves to {resolved!r}). The build context must be inside the build root."
            )
        return value

    def context_dir(self, address: Address) -> str:
        """The context directory relative to the build root ("" for the root itself)."""
        resolved = posixpath.normpath(posixpath.join(address.spec_path, self.value or "."))
        return "" if resolved == "." else resolved


class OciImageRepositoryField(StringField):
    alias = "repository"
    help = help_text(
        """
        The repository this image is published as, without a registry host.

        Default: the target's name. Example: `repository="tinyolly/ui"`. References to this
        repository (`FROM tinyolly/ui:latest`, `FROM ghcr.io/acme/tinyolly/ui`, an `image:` in a
        chart's values) are inferred as dependencies on this image. Registries are configured once,
        in `[oci].registries`.

        Two images may share a repository (e.g. a compose and a k8s variant of one app); only a
        reference that names both is an error, naming both targets and the reference's file and
        line. Reference one of them by a name only it has instead: one of its `aliases`.
        """
    )

    @classmethod
    def compute_value(cls, raw_value: Optional[str], address: Address) -> Optional[str]:
        value = super().compute_value(raw_value, address)
        if value is not None and not value.strip():
            raise InvalidFieldException(
                f"The `{cls.alias}` field of {address} is empty. Name the repository the image is "
                f'published as, e.g. `{cls.alias}="{address.target_name}"`, or remove the field '
                "to use the target's name."
            )
        return value

    def repository(self, address: Address) -> str:
        """The configured repository, or the target name when none is set."""
        return self.value or address.target_name


class OciImageAliasesField(StringSequenceField):
    alias = "aliases"
    help = help_text(
        """
        Other names this image is built as, besides its `repository` (which is what it is
        published as). Each is matched exactly like `repository`, with or without a registry.

        Example: a base published as `repository="tinyolly/python-base"` but tagged
        `team/python-base` by a compose file, with `FROM team/python-base:latest` in the app
        Dockerfiles: `aliases=["team/python-base"]` makes those FROM lines depend on this image,
        and `package` builds them on it. Names only, without a tag or digest.
        """
    )

    @classmethod
    def compute_value(
        cls, raw_value: Optional[Iterable[str]], address: Address
    ) -> Optional[Tuple[str, ...]]:
        value = super().compute_value(raw_value, address)
        for name in value or ():
            if not name.strip():
                raise InvalidFieldException(
                    f"The `{cls.alias}` field of {address} has an empty name. Remove it, or write "
                    'the other name the image is built as, e.g. `aliases=["team/python-base"]`.'
                )
        return value


class OciImageBuildArgsField(DictStringToStringField):
    alias = "build_args"
    help = help_text(
        """
        Values for the Dockerfile's `ARG`s, overriding their defaults.

        Example: `build_args={"APP_DIR": "ui"}`. They are used both for the build and for
        dependency inference, so `COPY apps/${APP_DIR}/ ...` depends on the files under `apps/ui/`.
        """
    )


class OciImageTargetStageField(StringField):
    alias = "target_stage"
    help = help_text(
        """
        The stage of a multi-stage Dockerfile to build (`docker build --target`).

        Default: the last stage. Only the chosen stage and the stages it uses are built, so only
        their `COPY` sources are dependencies.
        """
    )


class OciImagePlatformsField(StringSequenceField):
    alias = "platforms"
    help = help_text(
        """
        The platforms to build this image for, as `os/arch[/variant]`, e.g.
        `["linux/amd64", "linux/arm64"]`. Default: `[oci].platforms`. With several platforms the
        image is an OCI index with one image per platform.
        """
    )

    @classmethod
    def compute_value(
        cls, raw_value: Optional[Iterable[str]], address: Address
    ) -> Optional[tuple[str, ...]]:
        # `pants help` reads the annotation of `raw_value` to document the field's type: keep it.
        value = super().compute_value(raw_value, address)
        if value is not None:
            try:
                platform_list(value, f"The `{cls.alias}` field of {address}")
            except InvalidPlatformError as e:
                raise InvalidFieldException(f"{e} Or leave the field out to use [oci].platforms.") from None
        return value


class OciImageRegistriesField(StringSequenceField):
    alias = "registries"
    help = help_text(
        """
        The registries (aliases of `[oci].registries`) this image is published to, each as
        `<address>/<repository>`. Default: `[oci].default_registries`. `registries=[]` keeps the
        image out of `release`. Example: `registries=["ghcr", "local"]`.
        """
    )


class OciImageTagScopeField(StringField):
    alias = "tag_scope"
    help = help_text(
        """
        The scope of path-scoped git version tags that release this image: a git tag
        `<scope>/vX.Y.Z` tags only the images of that scope, as `vX.Y.Z`. Default: the last part
        of the repository (`tinyolly/ui` → `ui`, so `ui/v1.4.0` tags it). Unscoped `vX.Y.Z`
        tags every image.
        """
    )


class OciImageDependenciesField(Dependencies):
    help = help_text(
        """
        Extra dependencies of this image. Usually none are needed: the files the Dockerfile copies
        and the repository images it is built `FROM` are inferred.
        """
    )


class OciImageTarget(Target):
    alias = "oci_image"
    core_fields = (
        *COMMON_TARGET_FIELDS,
        OciImageDockerfileField,
        OciImageContextField,
        OciImageRepositoryField,
        OciImageAliasesField,
        OciImageBuildArgsField,
        OciImageTargetStageField,
        OciImagePlatformsField,
        OciImageRegistriesField,
        OciImageTagScopeField,
        OciImageDependenciesField,
    )
    help = help_text(
        """
        A container image built from a Dockerfile, for one or more platforms.

        Dependencies are inferred from the Dockerfile: the targets owning exactly the files its
        `COPY`/`ADD` instructions read (after `ARG` substitution, globs and `.dockerignore`), and
        the `oci_image` targets whose repository its `FROM` lines name.
        """
    )


class HelmChartMetadataField(SingleSourceField):
    alias = "chart"
    required = False
    default = "Chart.yaml"
    expected_file_extensions = (".yaml", ".yml")
    help = help_text(
        """
        The chart's `Chart.yaml`, relative to the BUILD file's directory (default: `Chart.yaml`).
        The chart owns this file; its other files (values, templates, ...) are owned by file-level
        targets, and the chart depends on exactly those that `helm package` would include
        (`.helmignore` honoured).
        """
    )


class HelmChartDependenciesField(Dependencies):
    help = help_text(
        """
        Extra dependencies of this chart. Usually none are needed: `file://` chart dependencies in
        `Chart.yaml` and the repository images named in values and templates are inferred.
        """
    )


class HelmChartVersionField(StringField):
    alias = "version"
    help = help_text(
        """
        The version the packaged chart gets instead of Chart.yaml's `version` (what
        `helm package --version` does), e.g. `version="1.4.0-rc.1"`. Must be SemVer 2.
        Default: Chart.yaml's.
        """
    )


class HelmChartAppVersionField(StringField):
    alias = "app_version"
    help = help_text(
        """
        The `appVersion` the packaged chart gets instead of Chart.yaml's (what
        `helm package --app-version` does), e.g. `app_version="2.3.1"`. Default: Chart.yaml's.
        """
    )


class HelmChartRegistriesField(StringSequenceField):
    alias = "registries"
    help = help_text(
        """
        The registries (aliases of `[oci].registries`) `release` pushes this chart to, as
        `oci://<address>/<[release].chart_path>/<chart name>:<version>`. In each, the chart's values
        are stamped with the digests of its images in that same registry (or, for an image not
        published there, in the first registry it is published to). Default:
        `[oci].default_registries`. `registries=[]` keeps the chart out of `release`.
        """
    )


class HelmChartTarget(Target):
    alias = "helm_chart"
    core_fields = (
        *COMMON_TARGET_FIELDS,
        HelmChartMetadataField,
        HelmChartDependenciesField,
        HelmChartVersionField,
        HelmChartAppVersionField,
        HelmChartRegistriesField,
    )
    help = help_text(
        """
        A Helm chart, in the directory holding its `Chart.yaml`.

        Dependencies are inferred: the chart's packaged files, the charts its `Chart.yaml` pulls in
        with `repository: file://...`, and the `oci_image` targets whose repository its values or
        templates name.
        """
    )


def target_types() -> tuple[type[Target], ...]:
    return (OciImageTarget, HelmChartTarget)
