"""Runs the Helm driver (`shipyard/helm/driver.py`) in a Process of its own, with the
`[helm-sdk]` tool's environment (a PEX venv Pants builds once from the lockfile and caches).

`HelmDriverRequest(command, fields, description, input_digest, ...)` → `HelmDriverResult`: what
the driver printed, its output directories, or the error Helm gave (data, so that callers can
name the chart, file and line). A driver that crashes raises `HelmDriverCrash`.
"""

from __future__ import annotations

import json
import logging
import pkgutil
from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Optional

from pants.backend.python.target_types import EntryPoint
from pants.backend.python.util_rules import pex
from pants.backend.python.util_rules.pex import PexRequest, VenvPex, VenvPexProcess
from pants.engine.fs import CreateDigest, Digest, EMPTY_DIGEST, FileContent, MergeDigests
from pants.engine.process import FallibleProcessResult, Process, ProcessCacheScope
from pants.core.subsystems.python_bootstrap import PythonBootstrap
from pants.core.util_rules.system_binaries import BinaryPathRequest, BinaryPaths, BinaryPathTest, SearchPath
from pants.engine.rules import Get, MultiGet, Rule, collect_rules, rule
from pants.util.frozendict import FrozenDict
from pants.util.logging import LogLevel

from shipyard.subsystems.helm_sdk import HelmSdk

logger = logging.getLogger(__name__)

_DRIVER_MODULE = "__shipyard_helm_driver"
_REQUEST_FILE = "__shipyard_helm_request.json"


class NoHelmInterpreterError(Exception):
    """No CPython >= 3.10 to run helm-python-sdk; the message says what to install."""


class HelmDriverCrash(Exception):
    """The driver ended without a result (not a Helm error: a bug or a broken environment)."""


@dataclass(frozen=True)
class HelmTool:
    """The driver in the `[helm-sdk]` environment, ready to run."""

    pex: VenvPex


async def _check_interpreter(bootstrap: PythonBootstrap) -> None:
    """Fails with one clear message when no interpreter could build the tool's environment
    (PEX's own error lists every interpreter it rejected)."""
    found = await MultiGet(
        Get(
            BinaryPaths,
            BinaryPathRequest(
                binary_name=name,
                search_path=SearchPath(bootstrap.interpreter_search_paths),
                test=BinaryPathTest(
                    args=["-c", "import sys; sys.exit(not (3, 10) <= sys.version_info[:2] < (3, 14))"]
                ),
            ),
        )
        for name in bootstrap.interpreter_names
    )
    if not any(result.first_path for result in found):
        raise NoHelmInterpreterError(
            "Helm runs through helm-python-sdk (Helm's Go SDK), which needs CPython 3.10 to 3.13, "
            f"and none of {list(bootstrap.interpreter_names)} on [python-bootstrap].search_path "
            f"({', '.join(bootstrap.interpreter_search_paths) or 'empty'}) is one. Install one "
            "(`pyenv install 3.11`, or `apt-get install python3.11`), or add its directory to "
            "[python-bootstrap].search_path."
        )


@rule(desc="Set up Helm (helm-python-sdk)", level=LogLevel.DEBUG)
async def setup_helm_tool(sdk: HelmSdk, bootstrap: PythonBootstrap) -> HelmTool:
    await _check_interpreter(bootstrap)
    source = pkgutil.get_data("shipyard.helm", "driver.py")
    assert source is not None, "shipyard/helm/driver.py is missing from the backend"
    sources = await Get(Digest, CreateDigest([FileContent(f"{_DRIVER_MODULE}.py", source)]))
    pex = await Get(
        VenvPex,
        PexRequest,
        sdk.to_pex_request(
            interpreter_constraints=sdk.interpreter_constraints,
            main=EntryPoint(_DRIVER_MODULE),
            sources=sources,
        ),
    )
    return HelmTool(pex)


@dataclass(frozen=True)
class HelmDriverRequest:
    """One driver command (see the driver's docstring for each command's fields).

    `env` is for values that must not be part of the request file (e.g. the path of a
    credentials file); push/pull use `cache_scope=PER_SESSION`.
    """

    command: str
    fields: FrozenDict[str, Any]
    description: str
    input_digest: Digest = EMPTY_DIGEST
    output_directories: tuple[str, ...] = ()
    env: FrozenDict[str, str] = FrozenDict()
    cache_scope: ProcessCacheScope = ProcessCacheScope.SUCCESSFUL

    @classmethod
    def create(
        cls,
        command: str,
        fields: Mapping[str, Any],
        description: str,
        *,
        input_digest: Digest = EMPTY_DIGEST,
        output_directories: Iterable[str] = (),
        env: Optional[Mapping[str, str]] = None,
        cache_scope: ProcessCacheScope = ProcessCacheScope.SUCCESSFUL,
    ) -> "HelmDriverRequest":
        frozen = {k: tuple(v) if isinstance(v, list) else v for k, v in fields.items()}
        return cls(
            command,
            FrozenDict(frozen),
            description,
            input_digest,
            tuple(output_directories),
            FrozenDict(env or {}),
            cache_scope,
        )


@dataclass(frozen=True)
class HelmFailure:
    """Helm refused the operation: the SDK's error class and Helm's message."""

    kind: str
    message: str


@dataclass(frozen=True)
class HelmDriverResult:
    """What the driver printed (a JSON object) and the output directories it wrote, or the
    error Helm gave."""

    output: FrozenDict[str, Any]
    digest: Digest
    failure: Optional[HelmFailure] = None


def _freeze(value: Any) -> Any:
    if isinstance(value, dict):
        return FrozenDict({k: _freeze(v) for k, v in value.items()})
    if isinstance(value, list):
        return tuple(_freeze(v) for v in value)
    return value


def _thaw(value: Any) -> Any:
    if isinstance(value, FrozenDict):
        return {k: _thaw(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [_thaw(v) for v in value]
    return value


@rule(desc="Run Helm", level=LogLevel.DEBUG)
async def run_helm_driver(request: HelmDriverRequest, tool: HelmTool) -> HelmDriverResult:
    """Runs one driver command; Helm's refusal is returned as `failure`."""
    payload = {"command": request.command, **_thaw(request.fields)}
    request_digest = await Get(
        Digest,
        CreateDigest([FileContent(_REQUEST_FILE, json.dumps(payload, sort_keys=True).encode())]),
    )
    input_digest = await Get(Digest, MergeDigests([request.input_digest, request_digest]))
    process = await Get(
        Process,
        VenvPexProcess(
            tool.pex,
            argv=(_REQUEST_FILE,),
            description=request.description,
            input_digest=input_digest,
            output_directories=request.output_directories,
            extra_env=request.env,
            cache_scope=request.cache_scope,
            level=LogLevel.DEBUG,
        ),
    )
    result = await Get(FallibleProcessResult, Process, process)
    stdout = result.stdout.decode(errors="replace").strip()
    last_line = stdout.splitlines()[-1] if stdout else ""
    try:
        output = json.loads(last_line)
    except ValueError:
        output = None
    if not isinstance(output, dict) or (result.exit_code != 0 and "error" not in output):
        raise HelmDriverCrash(
            f"{request.description}: the Helm driver exited {result.exit_code} without a "
            "result:\n" + result.stderr.decode(errors="replace")[-4000:]
        )
    if "error" in output:
        failure = HelmFailure(str(output["error"]["kind"]), str(output["error"]["message"]))
        return HelmDriverResult(FrozenDict(), result.output_digest, failure)
    return HelmDriverResult(_freeze(output), result.output_digest)


def rules() -> Iterable[Rule]:
    # The PEX rules, so that the backend works without `pants.backend.python` enabled.
    return (*collect_rules(), *pex.rules())
