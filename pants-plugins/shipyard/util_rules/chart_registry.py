"""Chart archives in OCI registries, through Helm's registry client: push, pull, and render an
archive (for publish).

    Get(ChartPushResult, ChartPushRequest(archive, "oci://localhost:5000/charts", plain_http=True))
    Get(ChartPullResult, ChartPullRequest("oci://localhost:5000/charts/tinyolly:0.1.0", plain_http=True))
    Get(RenderedArchive, RenderArchiveRequest(archive))

Credentials come either from the `[oci].registries` entry the request names (its
`username_env`/`password_env` values, written to a login file for as long as the Process runs,
like the image pusher's, or its `docker_config`, which Helm's registry client reads itself), or
from a file (JSON `{"username": "...", "password": "..."}`) that only the driver reads. Only a
file's path reaches the Process, through the environment: credentials never go through argv,
the Process inputs, its environment or a log. Push and pull talk to a registry whose content
changes, so they run once per Pants run (never from the cache); rendering an archive is cached.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Iterable, Iterator, Optional

from pants.engine.fs import EMPTY_DIGEST, Digest, RemovePrefix, Snapshot
from pants.engine.process import ProcessCacheScope
from pants.engine.rules import Get, Rule, collect_rules, rule
from pants.util.frozendict import FrozenDict

from shipyard.helm.messages import one_line
from shipyard.helm.rendered_images import RenderedImage, rendered_images
from shipyard.registries import Registry
from shipyard.util_rules.registry_client import RegistryCredentials, RegistryCredentialsRequest, login_file
from shipyard.util_rules.helm_tool import HelmDriverRequest, HelmDriverResult

_CREDENTIALS_ENV = "SHIPYARD_HELM_REGISTRY_CREDENTIALS"
_OUTPUT_DIR = "__helm_pulled"


class ChartRegistryError(Exception):
    """Helm could not push, pull or render a chart archive; the message says which and why."""


async def _registry_credentials(registry: Optional[Registry]) -> Optional[RegistryCredentials]:
    """The configured registry's credentials, unless Helm reads its `docker_config` itself."""
    if registry is None or registry.docker_config:
        return None
    return await Get(RegistryCredentials, RegistryCredentialsRequest(registry))


@contextlib.contextmanager
def _credentials(
    path: Optional[str], registry: Optional[Registry], credentials: Optional[RegistryCredentials]
) -> Iterator[tuple[dict, dict]]:
    """(driver request fields, Process environment) for a configured registry or a credentials
    file, valid inside the block (a login file is deleted when it ends)."""
    if registry is not None and registry.docker_config:
        yield {"docker_config": registry.docker_config}, {}
    elif credentials is not None and credentials.login is not None:
        with login_file(*credentials.login) as login:
            yield {"credentials_env": _CREDENTIALS_ENV}, {_CREDENTIALS_ENV: login}
    elif path:
        yield {"credentials_env": _CREDENTIALS_ENV}, {_CREDENTIALS_ENV: path}
    else:
        yield {}, {}


async def _talk_to_registry(
    command: str,
    fields: dict,
    description: str,
    credentials_file: Optional[str],
    registry: Optional[Registry],
    input_digest: Digest = EMPTY_DIGEST,
    output_directories: tuple[str, ...] = (),
) -> HelmDriverResult:
    """Runs a driver command that talks to a registry, with the request's credentials, once per
    Pants run (never from the cache: the registry's content changes)."""
    credentials = await _registry_credentials(registry)
    with _credentials(credentials_file, registry, credentials) as (login_fields, env):
        return await Get(
            HelmDriverResult,
            HelmDriverRequest.create(
                command,
                {**fields, **login_fields},
                description,
                input_digest=input_digest,
                output_directories=output_directories,
                env=env,
                cache_scope=ProcessCacheScope.PER_SESSION,
            ),
        )


async def _archive_name(archive: Digest) -> str:
    snapshot = await Get(Snapshot, Digest, archive)
    archives = [f for f in snapshot.files if f.endswith(".tgz") and "/" not in f]
    if len(archives) != 1:
        raise ChartRegistryError(
            f"a chart archive digest must hold exactly one .tgz at its root, not {list(snapshot.files)}"
        )
    return archives[0]


@dataclass(frozen=True)
class ChartPushRequest:
    """Push the chart archive in `archive` (one `<name>-<version>.tgz` at the digest's root) to
    `oci_ref`, the repository root (`oci://host[:port]/path`; Helm appends `/<name>:<version>`).

    `plain_http` talks HTTP (loopback registries); the credentials come from `registry` (the
    `[oci].registries` entry pushed to) or `credentials_file`, the absolute path of a JSON file
    `{"username": ..., "password": ...}`; neither for an open registry.
    """

    archive: Digest
    oci_ref: str
    plain_http: bool = False
    credentials_file: Optional[str] = None
    registry: Optional[Registry] = None


@dataclass(frozen=True)
class ChartPushResult:
    """Where the chart went (`oci://host/path/<name>:<version>`) and its manifest digest."""

    reference: str
    digest: str


@rule(desc="Push a Helm chart to an OCI registry")
async def push_chart(request: ChartPushRequest) -> ChartPushResult:
    filename = await _archive_name(request.archive)
    result = await _talk_to_registry(
        "push",
        {"archive": filename, "remote": request.oci_ref, "plain_http": request.plain_http},
        f"helm push {filename} {request.oci_ref}",
        request.credentials_file,
        request.registry,
        input_digest=request.archive,
    )
    if result.failure is not None:
        raise ChartRegistryError(
            f"Helm cannot push {filename} to {request.oci_ref}: {one_line(result.failure.message)}"
        )
    return ChartPushResult(str(result.output["reference"]), str(result.output["digest"]))


@dataclass(frozen=True)
class ChartPullRequest:
    """Pull `oci_ref` (`oci://host[:port]/path/<name>:<version>`) from its registry."""

    oci_ref: str
    plain_http: bool = False
    credentials_file: Optional[str] = None
    registry: Optional[Registry] = None


@dataclass(frozen=True)
class ChartPullResult:
    """The pulled archive (`filename` at the root of `archive`) and its manifest digest."""

    archive: Digest
    filename: str
    digest: str


@rule(desc="Pull a Helm chart from an OCI registry")
async def pull_chart(request: ChartPullRequest) -> ChartPullResult:
    result = await _talk_to_registry(
        "pull",
        {"reference": request.oci_ref, "plain_http": request.plain_http, "output_dir": _OUTPUT_DIR},
        f"helm pull {request.oci_ref}",
        request.credentials_file,
        request.registry,
        output_directories=(_OUTPUT_DIR,),
    )
    if result.failure is not None:
        raise ChartRegistryError(f"Helm cannot pull {request.oci_ref}: {one_line(result.failure.message)}")
    archive = await Get(Digest, RemovePrefix(result.digest, _OUTPUT_DIR))
    return ChartPullResult(archive, str(result.output["archive"]), str(result.output["digest"]))


@dataclass(frozen=True)
class RenderArchiveRequest:
    """Render the chart archive in `archive` (one .tgz at its root) with its default values."""

    archive: Digest


@dataclass(frozen=True)
class RenderedArchive:
    """Helm's render (template path → manifest) and the images it names."""

    rendered: FrozenDict[str, str]
    images: tuple[RenderedImage, ...]


@rule(desc="Render a Helm chart archive")
async def render_archive(request: RenderArchiveRequest) -> RenderedArchive:
    filename = await _archive_name(request.archive)
    result = await Get(
        HelmDriverResult,
        HelmDriverRequest.create(
            "render", {"archive": filename}, f"helm template {filename}", input_digest=request.archive
        ),
    )
    if result.failure is not None:
        raise ChartRegistryError(f"Helm cannot render {filename}: {one_line(result.failure.message)}")
    rendered = FrozenDict(result.output["rendered"])
    return RenderedArchive(rendered, rendered_images(rendered))


def rules() -> Iterable[Rule]:
    return collect_rules()
