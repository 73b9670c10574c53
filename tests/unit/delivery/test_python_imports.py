"""Which line of a Python file imports a module (Python's import statement forms)."""

from __future__ import annotations

from typing import Optional, Tuple

import pytest

from shipyard.delivery.python_imports import import_line, module_of


@pytest.mark.parametrize(
    "path,module",
    [
        ("pkg/mod.py", "pkg.mod"),
        ("pkg/__init__.py", "pkg"),
        ("top.py", "top"),
        ("a/b/c.py", "a.b.c"),
    ],
)
def test_module_of(path: str, module: str) -> None:
    assert module_of(path) == module


# (id, source, importer module, imported module, expected (line, text) or None)
CASES = [
    ("import_statement", "import os\nimport pkg.mod\n", "app.main", "pkg.mod", (2, "import pkg.mod")),
    ("import_with_alias", "import pkg.mod as m\n", "app.main", "pkg.mod", (1, "import pkg.mod as m")),
    ("one_of_several", "import os, pkg.mod\n", "app.main", "pkg.mod", (1, "import os, pkg.mod")),
    ("from_module_import_name", "\nfrom pkg.mod import Thing\n", "app.main", "pkg.mod", (2, "from pkg.mod import Thing")),
    ("from_package_import_module", "from pkg import mod\n", "app.main", "pkg.mod", (1, "from pkg import mod")),
    ("relative_import_of_a_sibling", "from .page import render\n", "app.server", "app.page", (1, "from .page import render")),
    ("relative_import_from_a_package_init", "from . import page\n", "app", "app.page", (1, "from . import page")),
    ("two_dots_go_up_one_package", "from ..common import x\n", "app.sub.mod", "app.common", (1, "from ..common import x")),
    ("a_longer_name_is_not_a_match", "import pkg.model\n", "app.main", "pkg.mod", None),
    (
        "parenthesised_import_falls_back_to_its_first_line",
        "from pkg import (\n    other,\n    mod,\n)\n",
        "app.main", "pkg.mod", (1, "from pkg import ("),
    ),
    ("no_import", "x = 1\n", "app.main", "pkg.mod", None),
]


@pytest.mark.parametrize("text,importer,imported,expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_import_line(text: str, importer: str, imported: str, expected: Optional[Tuple[int, str]]) -> None:
    assert import_line(text, importer, imported, importer_is_package=importer == "app") == expected
