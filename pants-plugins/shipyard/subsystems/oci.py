"""The `[oci]` options: where images are published, for which platforms, and with which builder."""

from __future__ import annotations

from typing import Any, Iterable, Optional

from pants.engine.rules import Rule, collect_rules
from pants.option.option_types import DictOption, EnumOption, StrListOption, StrOption
from pants.option.subsystem import Subsystem
from pants.util.strutil import help_text

from shipyard.builders.choice import BuilderChoice
from shipyard.dockerfile.platforms import InvalidPlatformError, canonical_platform, host_platform, platform_list

__all__ = ["OciSubsystem", "host_platform"]


class OciSubsystem(Subsystem):
    options_scope = "oci"
    help = "Options for building and publishing `oci_image` targets."

    registries = DictOption[Any](
        help=help_text(
            """
            Registries images are published to, as alias → address (a host with an optional port
            and path prefix). Example: `{"ghcr": "ghcr.io/acme", "local": "127.0.0.1:5000"}`.

            An entry may instead be a table with `address`, `insecure` (true: plain HTTP, for
            loopback registries) and where its credentials come from: `username_env` and
            `password_env` (the names of environment variables holding them) or `docker_config`
            (the path of a docker `config.json`, credential helpers included). Without those, the
            usual places are used (`$REGISTRY_AUTH_FILE`, `~/.docker/config.json`). Secrets are
            never written here. Example (pants.toml):
            `[oci.registries.local]` / `address = "127.0.0.1:5000/team"` / `insecure = true`.

            A reference `<address>/<repository>` to an `oci_image`'s repository, in a `FROM` line
            or a chart's values, is inferred as a dependency on that image, exactly like the bare
            `<repository>`.
            """
        ),
    )
    default_registries = StrListOption(
        default=[],
        help=help_text(
            """
            The aliases (keys of `[oci].registries`) that an `oci_image` without a `registries`
            field is published to. Default: empty, meaning every configured registry.
            """
        ),
    )
    _platforms = StrListOption(
        flag_name="--platforms",
        default=[host_platform()],
        help=help_text(
            """
            The platforms images are built for, as `os/arch[/variant]`, unless an `oci_image` sets
            its `platforms` field. Default: this machine's platform. With several platforms, an
            image is an OCI index holding one image per platform. Dependency inference takes the
            union over them, so `COPY bin/${TARGETARCH}/app` depends on every platform's file.
            An empty list is an error.
            """
        ),
    )
    _build_platform = StrOption(
        flag_name="--build-platform",
        default=None,
        help=help_text(
            """
            The platform builds run on, as `os/arch[/variant]`: what `$BUILDPLATFORM`,
            `$BUILDOS`, `$BUILDARCH` and `$BUILDVARIANT` mean, for dependency inference and for
            the `FROM --platform=$BUILDPLATFORM` stages a build pulls. Default: this machine's
            platform. Set it when the builder runs elsewhere (a `DOCKER_HOST` on another
            architecture), or in tests, e.g. `build_platform = "linux/arm64"`.
            """
        ),
    )
    builder = EnumOption(
        default=BuilderChoice.AUTO,
        help=help_text(
            """
            What builds images: `buildah` (daemonless; one build per platform, arm64 RUN steps
            under qemu emulation), `docker` (BuildKit through the docker CLI and a running
            dockerd; one build per platform), or `auto`: buildah if it is installed, else docker.
            The choice is logged.
            """
        ),
    )
    executable_search_paths = StrListOption(
        default=["/usr/bin", "/bin", "/usr/local/bin"],
        help=help_text(
            """
            Directories searched, in order, for `buildah`, `docker` and `skopeo`. `/usr/bin` comes
            first on purpose: a docker 28 client in `/usr/local/bin` refuses BuildKit builds without
            the buildx plugin, where Debian's 20.10 client in `/usr/bin` works.
            """
        ),
    )
    env_vars = StrListOption(
        default=[
            "DOCKER_HOST",
            "DOCKER_CONFIG",
            "CONTAINERS_STORAGE_CONF",
            "CONTAINERS_REGISTRIES_CONF",
            "BUILDAH_ISOLATION",
            "TMPDIR",
        ],
        help=help_text(
            """
            Environment variables passed from Pants' environment to the builder (`NAME` copies the
            value, `NAME=value` sets it). Builds run in a sandbox with a scrubbed environment, so
            e.g. the `DOCKER_HOST` of a private dockerd must be listed here. Credentials never go
            here: builds do not push.

            The values are part of every build's cache key: CI machines that share a remote
            cache must set them alike (machines set up by `tools/setup-machine` do: fixed paths
            under `/var/lib/shipyard-machine`), and `TMPDIR` must not change from job to job.
            """
        ),
    )
    external_images = StrListOption(
        default=[],
        help=help_text(
            """
            Images that are not built in this repository although their names look as if they
            were (in the namespace of an `oci_image`'s repository, or under one of
            `[oci].registries`). References to them are used as external images without the
            "did you mean" warning. Names without tag or digest; `namespace/*` covers everything
            below a namespace. Example: `["tinyolly/otel-collector", "tinyolly/vendor/*"]`.
            """
        ),
    )

    @property
    def platforms(self) -> tuple[str, ...]:
        """`[oci].platforms`, normalized; InvalidPlatformError naming the option if malformed or empty."""
        return platform_list(self._platforms, "The [oci].platforms option (pants.toml or --oci-platforms)")

    @property
    def build_platform(self) -> str:
        """`[oci].build_platform` normalized, else this machine's platform."""
        value: Optional[str] = self._build_platform
        if not value:
            return host_platform()
        try:
            return canonical_platform(value)
        except InvalidPlatformError:
            raise InvalidPlatformError(
                f"The [oci].build_platform option (pants.toml or --oci-build-platform) has {value!r}, "
                'which is not a platform. Write it as os/arch[/variant], e.g. "linux/arm64", or leave it '
                "unset to use this machine's platform."
            ) from None


def rules() -> Iterable[Rule]:
    return (*collect_rules(), *OciSubsystem.rules())
