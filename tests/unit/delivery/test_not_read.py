"""Why an image or chart does not read a file: one deciding rule per case, in the order Docker
and Helm decide (the build context, then .dockerignore / .helmignore, then the instructions)."""

from __future__ import annotations

from typing import Optional

import pytest

from shipyard.chart.helmignore import HelmIgnore
from shipyard.delivery.not_read import why_chart_does_not_read, why_image_does_not_read
from shipyard.dockerfile.dockerignore import DockerIgnore

DEMO_IGNORE = "tests/\n*.md\n!THIRD_PARTY_NOTICES.md\n**/__pycache__\n"

# (id, path, context dir, .dockerignore text or None, copied files, skipped stage copies, expected)
IMAGE_CASES = [
    ("copied_file_is_read", "apps/demo/app.py", "apps/demo", None, {"apps/demo/app.py"}, {}, None),
    ("the_dockerfile_itself_is_read", "apps/demo/Dockerfile", "apps/demo", None, set(), {}, None),
    (
        "outside_the_context",
        "libs/common/util.py", "apps/demo", None, set(), {},
        "not under the build context apps/demo/ of apps/demo/Dockerfile",
    ),
    (
        "a_sibling_directory_with_the_context_as_prefix_is_outside",
        "apps/demo2/app.py", "apps/demo", None, set(), {},
        "not under the build context apps/demo/ of apps/demo/Dockerfile",
    ),
    (
        "excluded_by_the_dockerignore_line_that_decides",
        "apps/demo/README.md", "apps/demo", DEMO_IGNORE, set(), {},
        "excluded from the build context by apps/demo/.dockerignore:2 (*.md)",
    ),
    (
        "excluded_directory",
        "apps/demo/tests/test_x.py", "apps/demo", DEMO_IGNORE, set(), {},
        "excluded from the build context by apps/demo/.dockerignore:1 (tests)",
    ),
    (
        "re_included_by_an_exception_but_not_copied",
        "apps/demo/THIRD_PARTY_NOTICES.md", "apps/demo", DEMO_IGNORE, set(), {},
        "in the build context, but no COPY/ADD source in apps/demo/Dockerfile matches it",
    ),
    (
        "copied_only_by_a_stage_the_build_skips",
        "apps/demo/debug.sh", "apps/demo", None, set(), {"debug": (7, {"apps/demo/debug.sh"})},
        "copied only by stage debug (apps/demo/Dockerfile:7), which the build of stage runtime does not use",
    ),
    (
        "root_context_contains_everything",
        "docs/notes.md", "", None, set(), {},
        "in the build context, but no COPY/ADD source in apps/demo/Dockerfile matches it",
    ),
]


@pytest.mark.parametrize(
    "path,context,ignore,copied,skipped,expected",
    [c[1:] for c in IMAGE_CASES],
    ids=[c[0] for c in IMAGE_CASES],
)
def test_why_image_does_not_read(
    path: str, context: str, ignore: Optional[str], copied: set, skipped: dict, expected: Optional[str]
) -> None:
    dockerignore = DockerIgnore.parse(ignore, f"{context}/.dockerignore") if ignore is not None else None
    assert (
        why_image_does_not_read(
            path,
            dockerfile_path="apps/demo/Dockerfile",
            context_dir=context,
            dockerignore=dockerignore,
            copied=frozenset(copied),
            skipped_stage_copies=skipped,
            target_stage="runtime",
        )
        == expected
    )


CHART_IGNORE = "# comment\nci/\n*.swp\nBUILD\n"

# (id, path, .helmignore text or None, packaged files, expected)
CHART_CASES = [
    ("packaged_file_is_read", "charts/app/values.yaml", CHART_IGNORE, {"charts/app/values.yaml"}, None),
    (
        "outside_the_chart_directory",
        "apps/ui/main.py", CHART_IGNORE, set(),
        "not in the chart directory charts/app/",
    ),
    (
        "ignored_directory_names_the_line",
        "charts/app/ci/ci-values.yaml", CHART_IGNORE, set(),
        "left out of the chart by charts/app/.helmignore:2 (ci/) matching ci/",
    ),
    (
        "ignored_file_pattern_at_any_depth",
        "charts/app/templates/x.yaml.swp", CHART_IGNORE, set(),
        "left out of the chart by charts/app/.helmignore:3 (*.swp) matching templates/x.yaml.swp",
    ),
    (
        "helm_default_rule_without_helmignore",
        "charts/app/templates/.ignored.yaml", None, set(),
        "left out of the chart by Helm's default ignore rule (templates/.?*)",
    ),
]


@pytest.mark.parametrize(
    "path,ignore,packaged,expected", [c[1:] for c in CHART_CASES], ids=[c[0] for c in CHART_CASES]
)
def test_why_chart_does_not_read(path: str, ignore: Optional[str], packaged: set, expected: Optional[str]) -> None:
    helmignore = HelmIgnore.parse(ignore, "charts/app/.helmignore") if ignore is not None else None
    assert (
        why_chart_does_not_read(
            path,
            chart_dir="charts/app",
            helmignore=helmignore,
            helmignore_path="charts/app/.helmignore" if ignore is not None else None,
            packaged=frozenset(packaged),
        )
        == expected
    )
