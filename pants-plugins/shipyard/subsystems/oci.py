"""The `[oci]` options: where images are published and for which platforms."""

from __future__ import annotations

from typing import Iterable

from pants.engine.rules import Rule, collect_rules
from pants.option.option_types import DictOption, StrListOption
from pants.option.subsystem import Subsystem
from pants.util.strutil import help_text


class OciSubsystem(Subsystem):
    options_scope = "oci"
    help = "Options for building and publishing `oci_image` targets."

    registries = DictOption[str](
        help=help_text(
            """
            Registries images are published to, as alias → address (a host with an optional port
            and path prefix). Example: `{"ghcr": "ghcr.io/acme", "local": "127.0.0.1:5000"}`.

            A reference `<address>/<repository>` to an `oci_image`'s repository, in a `FROM` line
            or a chart's values, is inferred as a dependency on that image, exactly like the bare
            `<repository>`.
            """
        ),
    )
    platforms = StrListOption(
        default=["linux/amd64", "linux/arm64"],
        help=help_text(
            """
            The platforms images are built for, as `os/arch[/variant]`. Dependency inference takes
            the union over these, so a `COPY bin/${TARGETARCH}/app` depends on every platform's file.
            """
        ),
    )


def rules() -> Iterable[Rule]:
    return (*collect_rules(), *OciSubsystem.rules())
