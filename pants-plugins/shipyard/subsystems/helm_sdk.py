"""The `[helm-sdk]` options: the Helm engine (helm-python-sdk, Helm v4's Go SDK) every chart
operation runs through, installed by Pants into its own environment."""

from __future__ import annotations

from typing import Iterable

from pants.backend.python.subsystems.python_tool_base import LockfileRules, PythonToolRequirementsBase
from pants.engine.rules import Rule, collect_rules
from pants.util.strutil import help_text

#: Where the built-in lockfile lives (a package resource of the backend).
LOCKFILE_RESOURCE = ("shipyard.subsystems", "helm_sdk.lock")


class HelmSdk(PythonToolRequirementsBase):
    options_scope = "helm-sdk"
    help = help_text(
        """
        Helm's own engine for `helm_chart` targets: `package` (dependency update, then package),
        `lint` (`helm lint`), the render check and OCI push/pull all call Helm v4's Go SDK
        through `helm-python-sdk`, run by a small driver in Processes of their own.

        helm-python-sdk needs CPython >= 3.10 (Pants itself runs on 3.9): Pants builds the tool's
        environment once from the lockfile, with an interpreter it finds on
        `[python-bootstrap].search_path` (default: pyenv's versions, then `$PATH`). To use another
        version of the SDK, point `install_from_resolve` at a resolve that holds it.
        """
    )

    default_version = "helm-python-sdk==0.2.2"
    default_requirements = ["helm-python-sdk>=0.2.2,<0.3"]

    register_interpreter_constraints = True
    default_interpreter_constraints = ["CPython>=3.10,<3.14"]

    default_lockfile_resource = LOCKFILE_RESOURCE
    lockfile_rules_type = LockfileRules.SIMPLE


def rules() -> Iterable[Rule]:
    return (*collect_rules(), *HelmSdk.rules())
