"""The `[helm-lint]` options: `pants lint` runs Helm's own `helm lint` on every `helm_chart`."""

from __future__ import annotations

from typing import Iterable

from pants.engine.rules import Rule, collect_rules
from pants.option.option_types import BoolOption, SkipOption, StrListOption
from pants.option.subsystem import Subsystem
from pants.util.strutil import help_text


class HelmLintSubsystem(Subsystem):
    options_scope = "helm-lint"
    name = "helm lint"
    help = help_text(
        """
        `pants lint` runs `helm lint` (Helm's own linter, through `[helm-sdk]`) on every
        `helm_chart`, after `helm dependency update` for its `file://` charts. Findings are shown
        per chart as `path:line: [SEVERITY] message`; an error fails the goal.
        """
    )

    skip = SkipOption("lint")
    strict = BoolOption(
        default=False,
        help="Fail on Helm's warnings too (`helm lint --strict`).",
    )
    values_files = StrListOption(
        default=[],
        help=help_text(
            """
            Values files, relative to each chart's directory, that `helm lint` also applies
            (`helm lint -f`), in order, for the charts that have them; e.g.
            `["ci/ci-values.yaml"]`. A chart without one of them is linted without it.
            """
        ),
    )


def rules() -> Iterable[Rule]:
    return collect_rules()
