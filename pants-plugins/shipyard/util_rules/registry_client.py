"""Runs operations against one registry (look up references, copy images) as a Pants process.

The process (`publish/pusher.py`, skopeo underneath) talks to the network, so it is never cached
(`PER_SESSION`: neither memoized nor written to the cache). Credentials travel only in its
environment, never in its inputs (which Pants stores) or argv: the values of the variables named
by the registry's `username_env`/`password_env`, or the path of its `docker_config`, or, by default,
the variables skopeo's own lookup uses (`HOME`, `DOCKER_CONFIG`, `REGISTRY_AUTH_FILE`, ...).
"""

from __future__ import annotations

import json
import pkgutil
from dataclasses import dataclass
from typing import Iterable, Optional

from pants.engine.env_vars import EnvironmentVars, EnvironmentVarsRequest
from pants.engine.fs import AddPrefix, CreateDigest, Digest, Directory, FileContent, MergeDigests, RemovePrefix
from pants.engine.process import FallibleProcessResult, Process, ProcessCacheScope
from pants.engine.rules import Get, MultiGet, Rule, collect_rules, rule
from pants.util.frozendict import FrozenDict
from pants.util.logging import LogLevel

from shipyard.registries import Registry
from shipyard.util_rules.builder import OciBuilder

_SANDBOX = "__shipyard_push"
_FETCHED = f"{_SANDBOX}/fetched"
# What skopeo's default credential lookup and credential helpers read.
_DEFAULT_AUTH_ENV = ("HOME", "PATH", "DOCKER_CONFIG", "REGISTRY_AUTH_FILE", "XDG_RUNTIME_DIR", "TMPDIR")


class RegistryCredentialsError(Exception):
    """The environment variables a registry's credentials come from are not set."""


@dataclass(frozen=True)
class Inspect:
    ref: str  # host/repository:tag


@dataclass(frozen=True)
class Copy:
    dest: str  # host/repository:tag
    layout: Optional[Digest] = None  # an OCI layout to push, or
    src: Optional[str] = None  # a reference in the same registry (moving a tag)


@dataclass(frozen=True)
class Fetch:
    """Copy `ref` (every platform) from the registry into an OCI layout: `RegistryResults.fetched`
    holds it under `<index of this operation>/`; its result is `{"present": false}` when the
    registry does not know `ref`."""

    ref: str


@dataclass(frozen=True)
class RegistryOperations:
    registry: Registry
    operations: tuple[Inspect | Copy | Fetch, ...]
    description: str


@dataclass(frozen=True)
class RegistryResults:
    """One result per operation done, as `publish/pusher.py` reports it; stops at the first error."""

    results_json: str
    fetched: Optional[Digest] = None

    @property
    def results(self) -> list[dict]:
        return json.loads(self.results_json)


@dataclass(frozen=True)
class RegistryCredentialsRequest:
    registry: Registry


@dataclass(frozen=True)
class RegistryCredentials:
    """The environment a process talking to a registry gets for its credentials."""

    env: FrozenDict[str, str]

    @property
    def has_login(self) -> bool:
        """True when the username and password themselves are in `env`."""
        return "SHIPYARD_REGISTRY_USERNAME" in self.env


@rule(desc="Read a registry's credentials from the environment", level=LogLevel.DEBUG)
async def registry_credentials(request: RegistryCredentialsRequest) -> RegistryCredentials:
    """The environment a process talking to the registry gets for its credentials (module doc):
    `SHIPYARD_REGISTRY_USERNAME`/`SHIPYARD_REGISTRY_PASSWORD` from the registry's `username_env`/
    `password_env`, else what the default credential lookup reads. Raises
    RegistryCredentialsError naming the variables when they are not set."""
    registry = request.registry
    names = (
        (registry.username_env, registry.password_env)
        if registry.username_env and registry.password_env
        else _DEFAULT_AUTH_ENV
    )
    environment = await Get(EnvironmentVars, EnvironmentVarsRequest(names))
    if not (registry.username_env and registry.password_env):
        return RegistryCredentials(FrozenDict(environment))
    missing = [n for n in (registry.username_env, registry.password_env) if n not in environment]
    if missing:
        raise RegistryCredentialsError(
            f"registry `{registry.alias}` ({registry.address}): its credentials come from the "
            f"environment variables {registry.username_env} and {registry.password_env} "
            f"(`[oci.registries]` in pants.toml), but {' and '.join(missing)} "
            f"{'is' if len(missing) == 1 else 'are'} not set. Export them before running Pants."
        )
    return RegistryCredentials(
        FrozenDict(
            {
                "SHIPYARD_REGISTRY_USERNAME": environment[registry.username_env],
                "SHIPYARD_REGISTRY_PASSWORD": environment[registry.password_env],
            }
        )
    )


@rule(desc="Talk to a registry", level=LogLevel.DEBUG)
async def run_registry_operations(request: RegistryOperations, builder: OciBuilder) -> RegistryResults:
    """Runs the operations against one registry in one never-cached process (see module doc)."""
    registry = request.registry
    credentials = await Get(RegistryCredentials, RegistryCredentialsRequest(registry))
    env = dict(credentials.env)

    operations = []
    layouts = []
    for i, op in enumerate(request.operations):
        if isinstance(op, Inspect):
            operations.append({"op": "inspect", "ref": op.ref})
        elif isinstance(op, Fetch):
            operations.append({"op": "fetch", "src": f"docker://{op.ref}", "dest": f"oci:{_FETCHED}/{i}"})
        elif op.layout is not None:
            operations.append({"op": "copy", "src": f"oci:{_SANDBOX}/layouts/{i}", "dest": f"docker://{op.dest}"})
            layouts.append(Get(Digest, AddPrefix(op.layout, f"{_SANDBOX}/layouts/{i}")))
        else:
            operations.append({"op": "copy", "src": f"docker://{op.src}", "dest": f"docker://{op.dest}"})
    pusher = pkgutil.get_data("shipyard.publish", "pusher.py")
    assert pusher is not None
    payload = {
        "skopeo": builder.skopeo,
        "host": registry.host,
        "insecure": registry.insecure,
        "docker_config": registry.docker_config,
        "operations": operations,
    }
    files = await Get(
        Digest,
        CreateDigest(
            [
                FileContent(f"{_SANDBOX}/pusher.py", pusher),
                FileContent(f"{_SANDBOX}/request.json", json.dumps(payload, sort_keys=True).encode()),
                Directory(_FETCHED),
            ]
        ),
    )
    prefixed = await MultiGet(layouts)
    input_digest = await Get(Digest, MergeDigests([files, *prefixed]))
    result = await Get(
        FallibleProcessResult,
        Process(
            argv=(builder.python, f"{_SANDBOX}/pusher.py", f"{_SANDBOX}/request.json"),
            input_digest=input_digest,
            output_directories=(_FETCHED,),
            env=env,
            description=request.description,
            level=LogLevel.DEBUG,
            cache_scope=ProcessCacheScope.PER_SESSION,
        ),
    )
    if result.exit_code != 0:
        # The pusher reports skopeo's failures as results; a non-zero exit is the pusher itself.
        error = result.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["no output"]
        return RegistryResults(json.dumps([{"error": f"the push helper failed: {error[0]}"}]))
    fetched = await Get(Digest, RemovePrefix(result.output_digest, _FETCHED))
    return RegistryResults(result.stdout.decode(), fetched)


def rules() -> Iterable[Rule]:
    return collect_rules()
