"""Pants globs for literal file paths.

`PathGlobs` reads every path as a glob, so a copied file named `pages/[id].ts` would match
`pages/i.ts` or `pages/d.ts` instead (Next.js-style route files are named like this). Each glob
metacharacter is written as a one-character class, which matches only itself.
"""

from __future__ import annotations

_METACHARACTERS = {"[": "[[]", "]": "[]]", "*": "[*]", "?": "[?]"}


def literal_glob(path: str) -> str:
    """The glob matching exactly the file `path`: `a/[id].ts` → `a/[[]id[]].ts`."""
    return "".join(_METACHARACTERS.get(c, c) for c in path)
