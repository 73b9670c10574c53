"""Runs operations against one registry (look up references, copy images) as a Pants process.

The process (`publish/pusher.py`, skopeo underneath) talks to the network, so it is never cached
(`PER_SESSION`: neither memoized nor written to the cache). Credentials never travel in its inputs
(which Pants stores), its argv or its environment (which Pants logs at debug level): a login read
from the variables named by the registry's `username_env`/`password_env` is written to a private
file for as long as the process runs (`RegistryCredentials.process_env`), and only that file's
path is in the environment. Otherwise the process gets the path of the registry's
`docker_config`, or, by default, the variables skopeo's own lookup uses (`HOME`, `DOCKER_CONFIG`,
`REGISTRY_AUTH_FILE`, ...).
"""

from __future__ import annotations

import contextlib
import json
import os
import pkgutil
import shutil
import tempfile
from dataclasses import dataclass, field
from typing import Iterable, Iterator, Optional

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
# The environment variable that holds the path of a login file (`login_file`).
LOGIN_FILE_ENV = "SHIPYARD_REGISTRY_LOGIN_FILE"
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
    """Operations against one registry, run by one process (`publish/pusher.py`)."""

    registry: Registry
    operations: tuple[Inspect | Copy | Fetch, ...]
    description: str
    # True when no operation needs another's result (lookups, fetches, tag moves): they run side
    # by side, but the writes to one repository one after another (docker-registry 2.x answers
    # 500 to two manifest writes in one repository at once), and each gives a result. Else one
    # at a time, stopping at the first error.
    independent: bool = False


@dataclass(frozen=True)
class RegistryResults:
    """One result per operation done, as `publish/pusher.py` reports it, in the order asked; for
    operations that are not `independent`, up to the first error."""

    results_json: str
    fetched: Optional[Digest] = None

    @property
    def results(self) -> list[dict]:
        return json.loads(self.results_json)


@dataclass(frozen=True)
class RegistryCredentialsRequest:
    registry: Registry


@contextlib.contextmanager
def login_file(username: str, password: str) -> Iterator[str]:
    """A file only this user can read (JSON `{"username": ..., "password": ...}`) that holds a
    registry login for the duration of the block, and its path. Processes get the path, never the
    login: Pants logs a Process's environment at debug level."""
    directory = tempfile.mkdtemp(prefix="shipyard-login-")  # mode 0700
    try:
        path = os.path.join(directory, "login.json")
        with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as f:
            json.dump({"username": username, "password": password}, f)
        yield path
    finally:
        shutil.rmtree(directory, ignore_errors=True)


@dataclass(frozen=True)
class RegistryCredentials:
    """A registry's credentials: the login read from its `username_env`/`password_env`, or the
    environment skopeo's default credential lookup reads (`env`, which holds no secret)."""

    env: FrozenDict[str, str]
    login: Optional[tuple[str, str]] = field(default=None, repr=False)  # (username, password)

    @contextlib.contextmanager
    def process_env(self) -> Iterator[dict[str, str]]:
        """The environment of a process using these credentials, valid inside the block: with a
        login, `LOGIN_FILE_ENV` naming a `login_file` that is deleted when the block ends."""
        if self.login is None:
            yield dict(self.env)
            return
        with login_file(*self.login) as path:
            yield {LOGIN_FILE_ENV: path}


@rule(desc="Read a registry's credentials from the environment", level=LogLevel.DEBUG)
async def registry_credentials(request: RegistryCredentialsRequest) -> RegistryCredentials:
    """The registry's credentials (module doc): the login in its `username_env`/`password_env`,
    else the variables the default credential lookup reads. Raises RegistryCredentialsError
    naming the variables when they are not set."""
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
        FrozenDict(), (environment[registry.username_env], environment[registry.password_env])
    )


@rule(desc="Talk to a registry", level=LogLevel.DEBUG)
async def run_registry_operations(request: RegistryOperations, builder: OciBuilder) -> RegistryResults:
    """Runs the operations against one registry in one never-cached process (see module doc)."""
    registry = request.registry
    credentials = await Get(RegistryCredentials, RegistryCredentialsRequest(registry))

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
        "independent": request.independent,
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
    with credentials.process_env() as env:
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
