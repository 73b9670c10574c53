#!/usr/bin/env python3
"""A synthetic monorepo of N images and N/5 charts, deterministic from a seed, for benchmarks.

Usage: python3 tools/bench/synth_repo.py DEST --size N [--seed S] [--flavor ours|builtin]

What it holds (the shapes of users' repositories, at any size):
  * `libs/lib_NN/`: shared Python libraries (`core.py`, `util.py` and `io.py` importing `core`,
    tests, README); max(3, N/20) of them. The first two are baked into the base image.
  * `dockerfiles/Dockerfile.python-base`: the one shared base image (`bench/python-base`), built
    with the repository root as context; it copies the requirements and the base libraries.
  * N apps under `apps/<name>/`, each one image `bench/<name>`:
      - python-root (about 35%): `dockerfiles/<team>/Dockerfile.<name>`, context the repository
        root, `ARG APP_DIR`/`APP_PKG` in COPY paths, copies its package, its config and the
        non-base libraries it imports; every third one multi-stage;
      - python-app (about 35%): `apps/<name>/Dockerfile`, context the app directory,
        `COPY . .` filtered by a `.dockerignore` (tests, docs, top-level Markdown);
      - go (about 15%): multi-stage, `COPY *.go` with `**/*_test.go` in `.dockerignore`;
      - node (about 15%): multi-stage, `COPY package*.json`, `src/`, `public/`.
    Every app has tests and docs that its image does not copy.
  * N/5 charts under `charts/chart-NNN/`, each naming 5 images in `values.yaml` (two styles),
    every third with a `file://../bench-lib` dependency on the library chart `charts/bench-lib`.
  * BUILD files as `pants tailor` writes them: `python_sources()`/`python_tests()` per directory
    (Pants' Python tailor), `oci_image`/`helm_chart` per Dockerfile/Chart.yaml, and one glob
    owner `files(name="files", sources=["**/*", "!BUILD", "!**/*.py"])` per app, library and
    chart directory. With `--flavor builtin` the BUILD files and pants.toml are converted to
    Pants' own docker/helm backends by tools/bench/compare_builtin_backends.py.
  * The Pants launcher, pants.toml and the shipyard plugin, copied from this checkout.

The generator also knows, without asking any Pants backend, which images and charts each file
feeds (`Model.affected_by`): that is the ground truth of tools/bench/exactness.py.
At --size 1000 it writes about 20,000 files.
"""

from __future__ import annotations

import argparse
import json
import posixpath
import random
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, FrozenSet, Iterable, List, Optional, Sequence, Set

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT))
sys.dont_write_bytecode = True

REGISTRY_PREFIX = "bench"
BASE_ADDRESS = "dockerfiles:python-base"
BASE_REPOSITORY = f"{REGISTRY_PREFIX}/python-base"
LIB_CHART = "charts/bench-lib:bench-lib"
IMAGES_PER_CHART = 5
BASE_LIBS = 2
TEAM_SIZE = 10  # root-context Dockerfiles per dockerfiles/<team>/ directory
FILES_GLOB = '["**/*", "!BUILD", "!**/*.py"]'
KINDS = ("python-root", "python-app", "go", "node")
NOUNS = (
    "billing", "catalog", "checkout", "search", "orders", "ledger", "notify", "gateway", "profile",
    "reports", "inventory", "shipping", "pricing", "auth", "media", "metrics", "audit", "quotes",
)
# The files of this checkout a generated repository needs to run ./pants with our plugin.
LAUNCHER_FILES = ("pants", "pants.toml", "tests/requirements.txt", ".gitignore")


@dataclass
class Image:
    """One oci_image and what the generator knows about what it reads."""

    address: str
    repository: str
    kind: str  # base, python-root, python-app, go, node
    app_dir: Optional[str]  # None for the base image
    dockerfile: str
    build_file: str
    base: Optional[str]  # the repo image it is built FROM, if any
    copied: Set[str] = field(default_factory=set)  # exact files the build copies
    copied_dirs: Set[str] = field(default_factory=set)  # a new file here (not ignored) is copied
    dockerignore: Optional[str] = None
    ignored_dirs: Set[str] = field(default_factory=set)  # under copied_dirs but ignored


@dataclass
class Chart:
    address: str
    directory: str
    images: List[str]
    uses_lib: bool
    packaged: Set[str] = field(default_factory=set)


@dataclass
class Model:
    """The generated repository: files, images, charts and the Python import graph."""

    size: int
    seed: int
    files: Dict[str, str]
    images: Dict[str, Image]
    charts: Dict[str, Chart]
    imports: Dict[str, Set[str]]  # .py file -> .py files it imports
    libs: List[str]

    # -- ground truth ---------------------------------------------------------------------

    def python_closure(self, paths: Iterable[str]) -> Set[str]:
        seen: Set[str] = set()
        stack = [p for p in paths if p.endswith(".py")]
        while stack:
            p = stack.pop()
            if p in seen:
                continue
            seen.add(p)
            stack.extend(self.imports.get(p, ()))
        return seen

    def image_inputs(self, image: Image) -> Set[str]:
        """Every file whose change changes the image's build (its base aside)."""
        inputs = set(image.copied) | self.python_closure(image.copied)
        inputs.add(image.dockerfile)
        if image.dockerignore:
            inputs.add(image.dockerignore)
        return inputs

    def chart_inputs(self, chart: Chart) -> Set[str]:
        inputs = set(chart.packaged)
        if chart.uses_lib:
            inputs |= self.charts[LIB_CHART].packaged
        return inputs

    def closure_of_images(self, seeds: Iterable[str]) -> FrozenSet[str]:
        """The images built on `seeds` (transitively), plus the charts naming any of them."""
        affected = set(seeds)
        changed = True
        while changed:
            changed = False
            for image in self.images.values():
                if image.address not in affected and image.base in affected:
                    affected.add(image.address)
                    changed = True
        for chart in self.charts.values():
            if any(i in affected for i in chart.images):
                affected.add(chart.address)
        return frozenset(affected)

    def affected_by(self, changed: Iterable[str]) -> FrozenSet[str]:
        """Images and charts whose output changes when the existing files `changed` change."""
        changed = set(changed)
        seeds = {i.address for i in self.images.values() if self.image_inputs(i) & changed}
        affected = set(self.closure_of_images(seeds))
        for chart in self.charts.values():
            if self.chart_inputs(chart) & changed:
                affected.add(chart.address)
        return frozenset(affected)

    def image_copying_new_file(self, path: str) -> Optional[str]:
        """The image whose build would copy a file added at `path`, if any."""
        for image in self.images.values():
            if any(path.startswith(d + "/") for d in image.copied_dirs) and not any(
                path.startswith(d + "/") for d in image.ignored_dirs
            ):
                return image.address
        return None

    def summary(self) -> dict:
        kinds: Dict[str, int] = {}
        for image in self.images.values():
            kinds[image.kind] = kinds.get(image.kind, 0) + 1
        return {
            "size": self.size,
            "seed": self.seed,
            "files": len(self.files),
            "images": len(self.images),
            "image_kinds": dict(sorted(kinds.items())),
            "charts": len(self.charts),
            "charts_using_lib": sum(c.uses_lib for c in self.charts.values()),
            "libs": len(self.libs),
        }


# ---------------------------------------------------------------------------------------------
# File templates


def _py_module(doc: str, imports: Sequence[str], body: str) -> str:
    head = f'"""{doc}"""\n\n'
    lines = "".join(f"{i}\n" for i in imports)
    return head + lines + ("\n\n" if lines else "") + body


def _build(*targets: str) -> str:
    return "\n\n".join(targets) + "\n"


FILES_TARGET = f'files(name="files", sources={FILES_GLOB})'


class _Generator:
    def __init__(self, size: int, seed: int) -> None:
        if size < IMAGES_PER_CHART:
            raise ValueError(f"--size must be at least {IMAGES_PER_CHART}")
        self.size = size
        self.seed = seed
        self.rng = random.Random(seed)
        self.files: Dict[str, str] = {}
        self.images: Dict[str, Image] = {}
        self.charts: Dict[str, Chart] = {}
        self.imports: Dict[str, Set[str]] = {}
        self.libs = [f"lib_{i:02d}" for i in range(max(3, size // 20))]
        self.team_builds: Dict[str, List[str]] = {}

    def put(self, path: str, content: str) -> None:
        assert path not in self.files, path
        self.files[path] = content

    # -- shared parts ---------------------------------------------------------------------

    def root_files(self) -> None:
        self.put("BUILD", _build(
            "# Images and charts depend on this: editing [oci] marks them changed.\n"
            'files(name="pants-config", sources=["pants.toml"])',
            "# The .dockerignore of the images built with the repository root as context.\n"
            'files(name="dockerignore", sources=[".dockerignore"])',
        ))
        self.put(".dockerignore", ".git\ndist\n**/__pycache__\n**/*.pyc\n**/node_modules\n")
        self.put("3rdparty/python/requirements.txt", "structlog==24.1.0\n")
        self.put("3rdparty/python/BUILD", 'python_requirements(name="reqs")\n')

    def lib(self, name: str) -> None:
        d = f"libs/{name}"
        self.put(f"{d}/__init__.py", "")
        self.put(f"{d}/core.py", _py_module(f"{name}: core types.", [], f"NAME = {name!r}\n\n\ndef ident(x):\n    return x\n"))
        for mod in ("util", "io"):
            path = f"{d}/{mod}.py"
            self.put(path, _py_module(f"{name}: {mod} helpers.", [f"from {name} import core"],
                                      f"def {mod}_name():\n    return core.NAME + '.{mod}'\n"))
            self.imports[path] = {f"{d}/core.py"}
        self.put(f"{d}/README.md", f"# {name}\n\nShared helpers used by several services.\n")
        self.put(f"{d}/tests/test_core.py", _py_module(f"Tests of {name}.core.", [f"from {name} import core"],
                                                       "def test_ident():\n    assert core.ident(1) == 1\n"))
        self.put(f"{d}/BUILD", _build("python_sources()", FILES_TARGET))
        self.put(f"{d}/tests/BUILD", _build("python_tests()"))

    def base_image(self) -> None:
        path = "dockerfiles/Dockerfile.python-base"
        copies = "".join(f"COPY libs/{lib}/*.py /opt/lib/{lib}/\n" for lib in self.libs[:BASE_LIBS])
        self.put(path, (
            "# bench/python-base: the runtime, shared requirements and the base libraries.\n"
            "FROM python:3.11-slim-bookworm\n"
            "ENV PYTHONDONTWRITEBYTECODE=1 PYTHONPATH=/opt/lib\n"
            "COPY 3rdparty/python/requirements.txt /tmp/requirements.txt\n"
            "RUN python3 -m pip install -r /tmp/requirements.txt && rm /tmp/requirements.txt\n"
            f"{copies}WORKDIR /app\n"
        ))
        self.put("dockerfiles/BUILD", _build(
            "oci_image(\n"
            '    name="python-base",\n'
            '    dockerfile="Dockerfile.python-base",\n'
            '    context="..",\n'
            f'    repository="{BASE_REPOSITORY}",\n'
            ")"
        ))
        image = Image(BASE_ADDRESS, BASE_REPOSITORY, "base", None, path, "dockerfiles/BUILD", None,
                      dockerignore=".dockerignore")
        image.copied.add("3rdparty/python/requirements.txt")
        for lib in self.libs[:BASE_LIBS]:
            image.copied |= {f"libs/{lib}/{m}.py" for m in ("__init__", "core", "util", "io")}
        self.images[image.address] = image

    # -- apps -----------------------------------------------------------------------------

    def app_kinds(self) -> List[str]:
        """Each app's kind: 15% Go, 15% Node (at least one each), 35% of each Python kind."""
        go = node = max(1, round(self.size * 0.15))
        python_app = round(self.size * 0.35)
        kinds = ["go"] * go + ["node"] * node + ["python-app"] * python_app
        kinds += ["python-root"] * (self.size - len(kinds))
        self.rng.shuffle(kinds)
        return kinds

    def app(self, index: int, kind: str) -> None:
        name = f"{NOUNS[index % len(NOUNS)]}-{index:04d}"
        d = f"apps/{name}"
        self.put(f"{d}/CHANGELOG.md", f"# Changes to {name}\n\n## 1.0\n- First release.\n")
        self.put(f"{d}/.gitignore", "*.log\n.env\n")
        getattr(self, "_" + kind.replace("-", "_"))(name, d)

    def _python_package(self, d: str, pkg: str, libs: Sequence[str]) -> Set[str]:
        """The app's package, tests and docs; returns the package's files."""
        p = f"{d}/{pkg}"
        lib_imports = [f"from {lib} import {self.rng.choice(('util', 'io'))}" for lib in libs]
        modules = {
            "__init__.py": ("", []),
            "__main__.py": (_py_module(f"Runs {pkg}.", [f"from {pkg} import server"], "server.main()\n"), ["server"]),
            "server.py": (_py_module(f"The {pkg} HTTP server.", [f"from {pkg} import handlers", *lib_imports],
                                     "def main():\n    return handlers.routes()\n"), ["handlers"]),
            "handlers.py": (_py_module(f"Request handlers of {pkg}.", [f"from {pkg} import models"],
                                       "def routes():\n    return [models.Item]\n"), ["models"]),
            "models.py": (_py_module(f"Data models of {pkg}.", [], "class Item:\n    pass\n"), []),
            "settings.py": (_py_module(f"Settings of {pkg}.", [], "PORT = 8080\n"), []),
        }
        files = set()
        for filename, (content, local) in modules.items():
            path = f"{p}/{filename}"
            self.put(path, content)
            files.add(path)
            deps = {f"{p}/{m}.py" for m in local}
            if filename == "server.py":
                for line in lib_imports:
                    lib, mod = line.split()[1], line.split()[3]
                    deps.add(f"libs/{lib}/{mod}.py")
            if deps:
                self.imports[path] = deps
        self.put(f"{p}/static/index.html", f"<h1>{pkg}</h1>\n")
        files.add(f"{p}/static/index.html")
        self.put(f"{p}/BUILD", "python_sources()\n")
        for t in ("server", "handlers"):
            self.put(f"{d}/tests/test_{t}.py", _py_module(f"Tests of {pkg}.{t}.", [f"from {pkg} import {t}"],
                                                        f"def test_{t}():\n    assert {t}\n"))
        self.put(f"{d}/tests/BUILD", "python_tests()\n")
        self.put(f"{d}/README.md", f"# {pkg}\n\nOwned by the {pkg.split('_')[0]} team.\n")
        self.put(f"{d}/docs/design.md", f"# Design of {pkg}\n")
        self.put(f"{d}/scripts/dev.sh", "#!/bin/sh\nexec python3 -m app\n")
        self.put(f"{d}/config/settings.yaml", f"name: {pkg}\nport: 8080\n")
        return files

    def _python_root(self, name: str, d: str) -> None:
        pkg = name.replace("-", "_")
        extra = self.rng.sample(self.libs[BASE_LIBS:], k=min(2, len(self.libs) - BASE_LIBS))
        libs = [self.libs[self.rng.randrange(BASE_LIBS)], *extra]
        pkg_files = self._python_package(d, pkg, libs)
        self.put(f"{d}/BUILD", _build(
            f"# The image is dockerfiles/{self._team(name)}:{name} (context: the repository root).",
            FILES_TARGET,
        ))
        team = self._team(name)
        dockerfile = f"dockerfiles/{team}/Dockerfile.{name}"
        lib_copies = "".join(f"COPY libs/{lib}/*.py /opt/lib/{lib}/\n" for lib in extra)
        multi = self.rng.random() < 0.34
        if multi:
            text = (
                f"# {name}: compiled in a build stage, copied into the runtime stage.\n"
                f"FROM {BASE_REPOSITORY}:latest AS build\n"
                "ARG APP_DIR\nARG APP_PKG\n"
                "COPY apps/${APP_DIR}/${APP_PKG}/ /src/${APP_PKG}/\n"
                "RUN python3 -m compileall -q /src\n\n"
                f"FROM {BASE_REPOSITORY}:latest\n"
                "ARG APP_DIR\n"
                "WORKDIR /app\n"
                "COPY --from=build /src/ /app/\n"
                f"{lib_copies}"
                "COPY apps/${APP_DIR}/config/*.yaml /app/config/\n"
                f'CMD ["python3", "-m", "{pkg}"]\n'
            )
        else:
            text = (
                f"# {name}. Build context: the repository root.\n"
                f"FROM {BASE_REPOSITORY}:latest\n"
                "ARG APP_DIR\nARG APP_PKG\n"
                "WORKDIR /app\n"
                "COPY apps/${APP_DIR}/${APP_PKG}/ /app/${APP_PKG}/\n"
                f"{lib_copies}"
                "COPY apps/${APP_DIR}/config/*.yaml /app/config/\n"
                f'CMD ["python3", "-m", "{pkg}"]\n'
            )
        self.put(dockerfile, text)
        self.team_builds.setdefault(team, []).append(
            "oci_image(\n"
            f'    name="{name}",\n'
            f'    dockerfile="Dockerfile.{name}",\n'
            '    context="../..",\n'
            f'    repository="{REGISTRY_PREFIX}/{name}",\n'
            f'    build_args={{"APP_DIR": "{name}", "APP_PKG": "{pkg}"}},\n'
            ")"
        )
        image = Image(f"dockerfiles/{team}:{name}", f"{REGISTRY_PREFIX}/{name}", "python-root", d,
                      dockerfile, f"dockerfiles/{team}/BUILD", BASE_ADDRESS, dockerignore=".dockerignore")
        image.copied = set(pkg_files) | {f"{d}/config/settings.yaml"}
        for lib in extra:
            image.copied |= {f"libs/{lib}/{m}.py" for m in ("__init__", "core", "util", "io")}
        image.copied_dirs = {f"{d}/{pkg}"}
        self.images[image.address] = image

    def _team(self, name: str) -> str:
        return f"team-{int(name.rsplit('-', 1)[1]) // TEAM_SIZE:03d}"

    def _python_app(self, name: str, d: str) -> None:
        pkg = name.replace("-", "_")
        libs = self.rng.sample(self.libs[:BASE_LIBS], k=BASE_LIBS)  # only the base's libs are importable
        pkg_files = self._python_package(d, pkg, libs)
        self.put(f"{d}/Dockerfile", (
            f"# {name}. Build context: this directory (.dockerignore keeps tests and docs out).\n"
            f"FROM {BASE_REPOSITORY}:latest\n"
            "ARG VERSION=1.0\n"
            'LABEL org.opencontainers.image.version="${VERSION}"\n'
            "WORKDIR /app\n"
            "COPY config/ config/\n"
            "COPY . .\n"
            f'CMD ["python3", "-m", "{pkg}"]\n'
        ))
        self.put(f"{d}/.dockerignore", "# What `COPY . .` leaves out.\ntests/\ndocs/\nscripts/\n*.md\n**/__pycache__\nDockerfile\n.dockerignore\nBUILD\n")
        self.put(f"{d}/BUILD", _build(f'oci_image(name="{name}", repository="{REGISTRY_PREFIX}/{name}")', FILES_TARGET))
        image = Image(f"{d}:{name}", f"{REGISTRY_PREFIX}/{name}", "python-app", d, f"{d}/Dockerfile",
                      f"{d}/BUILD", BASE_ADDRESS, dockerignore=f"{d}/.dockerignore")
        # `COPY . .` minus .dockerignore: the package (with its BUILD: the pattern `BUILD` matches
        # only the top-level file), config/ and .gitignore, which nobody thought to ignore.
        image.copied = set(pkg_files) | {f"{d}/{pkg}/BUILD", f"{d}/config/settings.yaml", f"{d}/.gitignore"}
        image.copied_dirs = {f"{d}/{pkg}", f"{d}/config"}
        image.ignored_dirs = {f"{d}/{x}" for x in ("tests", "docs", "scripts")}
        self.images[image.address] = image

    def _go(self, name: str, d: str) -> None:
        mod = name.replace("-", "")
        self.put(f"{d}/go.mod", f"module example.com/{mod}\n\ngo 1.21\n")
        self.put(f"{d}/main.go", f'package main\n\nimport "example.com/{mod}/internal/handler"\n\nfunc main() {{ handler.Serve() }}\n')
        self.put(f"{d}/server.go", "package main\n\nfunc addr() string { return \":8080\" }\n")
        self.put(f"{d}/server_test.go", "package main\n\nimport \"testing\"\n\nfunc TestAddr(t *testing.T) { _ = addr() }\n")
        self.put(f"{d}/internal/handler/handler.go", "package handler\n\nfunc Serve() {}\n")
        self.put(f"{d}/internal/handler/handler_test.go", "package handler\n\nimport \"testing\"\n\nfunc TestServe(t *testing.T) { Serve() }\n")
        self.put(f"{d}/README.md", f"# {name}\n\nA Go service.\n")
        self.put(f"{d}/docs/ops.md", f"# Operating {name}\n")
        self.put(f"{d}/Dockerfile", (
            f"# {name}. Build context: this directory. Cross-compiled on the build platform.\n"
            "FROM --platform=$BUILDPLATFORM golang:1.21-bookworm AS build\n"
            "ARG TARGETOS TARGETARCH\n"
            "WORKDIR /src\n"
            "COPY go.mod ./\n"
            "COPY *.go ./\n"
            "COPY internal/ internal/\n"
            "RUN CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH go build -o /out/app .\n\n"
            "FROM scratch\n"
            "COPY --from=build /out/app /app\n"
            'ENTRYPOINT ["/app"]\n'
        ))
        self.put(f"{d}/.dockerignore", "**/*_test.go\n*.md\ndocs/\n")
        self.put(f"{d}/BUILD", _build(f'oci_image(name="{name}", repository="{REGISTRY_PREFIX}/{name}")', FILES_TARGET))
        image = Image(f"{d}:{name}", f"{REGISTRY_PREFIX}/{name}", "go", d, f"{d}/Dockerfile", f"{d}/BUILD",
                      None, dockerignore=f"{d}/.dockerignore")
        image.copied = {f"{d}/go.mod", f"{d}/main.go", f"{d}/server.go", f"{d}/internal/handler/handler.go"}
        image.copied_dirs = {f"{d}/internal"}
        self.images[image.address] = image

    def _node(self, name: str, d: str) -> None:
        self.put(f"{d}/package.json", json.dumps({"name": name, "version": "1.0.0", "private": True,
                                                  "scripts": {"build": "tsc"}}, indent=2) + "\n")
        self.put(f"{d}/package-lock.json", json.dumps({"name": name, "lockfileVersion": 3, "packages": {}}, indent=2) + "\n")
        self.put(f"{d}/tsconfig.json", '{"compilerOptions": {"outDir": "dist"}}\n')
        for f in ("main", "api", "render"):
            self.put(f"{d}/src/{f}.ts", f"export const {f} = () => '{name}';\n")
        self.put(f"{d}/public/index.html", f"<title>{name}</title>\n")
        self.put(f"{d}/test/api.test.ts", "import { api } from '../src/api';\napi();\n")
        self.put(f"{d}/README.md", f"# {name}\n\nA TypeScript front end.\n")
        self.put(f"{d}/Dockerfile", (
            f"# {name}. Build context: this directory. Static assets built once.\n"
            "FROM --platform=$BUILDPLATFORM node:18-bookworm-slim AS build\n"
            "WORKDIR /src\n"
            "COPY package*.json ./\n"
            "RUN npm ci\n"
            "COPY tsconfig.json ./\n"
            "COPY src/ src/\n"
            "COPY public/ public/\n"
            "RUN npm run build\n\n"
            "FROM busybox:1.35\n"
            "COPY --from=build /src/dist/ /www/\n"
            'CMD ["httpd", "-f", "-h", "/www"]\n'
        ))
        self.put(f"{d}/.dockerignore", "node_modules\ndist\n")
        self.put(f"{d}/BUILD", _build(f'oci_image(name="{name}", repository="{REGISTRY_PREFIX}/{name}")', FILES_TARGET))
        image = Image(f"{d}:{name}", f"{REGISTRY_PREFIX}/{name}", "node", d, f"{d}/Dockerfile", f"{d}/BUILD",
                      None, dockerignore=f"{d}/.dockerignore")
        image.copied = {f"{d}/package.json", f"{d}/package-lock.json", f"{d}/tsconfig.json",
                        f"{d}/public/index.html", *(f"{d}/src/{f}.ts" for f in ("main", "api", "render"))}
        image.copied_dirs = {f"{d}/src", f"{d}/public"}
        self.images[image.address] = image

    # -- charts ---------------------------------------------------------------------------

    def lib_chart(self) -> None:
        d = "charts/bench-lib"
        self.put(f"{d}/Chart.yaml", "apiVersion: v2\nname: bench-lib\ndescription: Shared templates.\ntype: library\nversion: 0.1.0\n")
        self.put(f"{d}/templates/_labels.tpl", '{{- define "bench-lib.labels" -}}\napp.kubernetes.io/name: {{ .Chart.Name }}\n{{- end -}}\n')
        self.put(f"{d}/README.md", "# bench-lib\n")
        self.put(f"{d}/.helmignore", "BUILD\n*.md\n")
        self.put(f"{d}/BUILD", _build('helm_chart(name="bench-lib")', FILES_TARGET))
        chart = Chart(LIB_CHART, d, [], False)
        chart.packaged = {f"{d}/Chart.yaml", f"{d}/templates/_labels.tpl", f"{d}/.helmignore"}
        self.charts[chart.address] = chart

    def chart(self, index: int, images: List[Image]) -> None:
        name = f"chart-{index:03d}"
        d = f"charts/{name}"
        uses_lib = index % 3 == 0
        deps = ("dependencies:\n  - name: bench-lib\n    version: 0.1.0\n    repository: \"file://../bench-lib\"\n"
                if uses_lib else "")
        self.put(f"{d}/Chart.yaml", f"apiVersion: v2\nname: {name}\ndescription: Services of chart {index}.\n"
                                    f"type: application\nversion: 0.1.0\nappVersion: \"1.0\"\n{deps}")
        values, templates = ["# Images deployed by this chart.\n"], []
        for n, image in enumerate(images):
            key = f"svc{n}"
            if n % 2 == 0:
                values.append(f"{key}:\n  replicas: 1\n  image:\n    repository: {image.repository}\n    tag: latest\n")
                ref = f'"{{{{ .Values.{key}.image.repository }}}}:{{{{ .Values.{key}.image.tag }}}}"'
            else:
                values.append(f"{key}:\n  replicas: 1\n  image: \"{image.repository}:latest\"\n")
                ref = f"{{{{ .Values.{key}.image | quote }}}}"
            templates.append(
                f"---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{{{ .Release.Name }}}}-{key}\n"
                f"spec:\n  replicas: {{{{ .Values.{key}.replicas }}}}\n  template:\n    spec:\n"
                f"      containers:\n        - name: {key}\n          image: {ref}\n"
            )
        self.put(f"{d}/values.yaml", "".join(values))
        self.put(f"{d}/templates/deployments.yaml", "".join(templates))
        self.put(f"{d}/templates/NOTES.txt", f"{name} installed as {{{{ .Release.Name }}}}.\n")
        self.put(f"{d}/ci/test-values.yaml", "svc0:\n  replicas: 2\n")
        self.put(f"{d}/README.md", f"# {name}\n")
        self.put(f"{d}/.helmignore", "BUILD\nci/\n*.md\n")
        self.put(f"{d}/BUILD", _build(f'helm_chart(name="{name}")', FILES_TARGET))
        chart = Chart(f"{d}:{name}", d, [i.address for i in images], uses_lib)
        chart.packaged = {f"{d}/{f}" for f in ("Chart.yaml", "values.yaml", "templates/deployments.yaml",
                                              "templates/NOTES.txt", ".helmignore")}
        self.charts[chart.address] = chart

    def run(self) -> Model:
        self.root_files()
        for lib in self.libs:
            self.lib(lib)
        self.base_image()
        for i, kind in enumerate(self.app_kinds()):
            self.app(i, kind)
        for team, targets in sorted(self.team_builds.items()):
            self.put(f"dockerfiles/{team}/BUILD", _build(*targets))
        self.lib_chart()
        apps = [i for i in self.images.values() if i.app_dir]
        self.rng.shuffle(apps)
        for c in range(self.size // IMAGES_PER_CHART):
            self.chart(c, apps[c * IMAGES_PER_CHART:(c + 1) * IMAGES_PER_CHART])
        return Model(self.size, self.seed, self.files, self.images, self.charts, self.imports, self.libs)


def generate_model(size: int, seed: int = 13) -> Model:
    """The repository's content and ground truth, in memory (deterministic from size and seed)."""
    return _Generator(size, seed).run()


# ---------------------------------------------------------------------------------------------
# Writing


def _plugin_files() -> List[str]:
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard", "pants-plugins"],
        cwd=REPO_ROOT, check=True, capture_output=True,
    ).stdout.decode().split("\0")
    return [p for p in listed if p and (REPO_ROOT / p).is_file()]


def convert_for_builtin(files: Dict[str, str]) -> Dict[str, str]:
    """The same repository for Pants' own docker/helm backends (BUILD files and pants.toml)."""
    from tools.bench.compare_builtin_backends import convert_file

    converted = {}
    for path, content in files.items():
        new = convert_file(path, content.encode())
        converted[path] = new.decode() if new is not None else content
    return converted


def write_repo(dest: Path, model: Model, flavor: str = "ours", plugin_ref: Optional[str] = None) -> None:
    """Writes the generated repository, with the launcher and plugin, to an empty `dest`.

    The plugin is this checkout's work tree, or its state at the git revision `plugin_ref` (to
    compare a change with what came before it).
    """
    if dest.exists() and any(dest.iterdir()):
        raise SystemExit(f"{dest} is not empty")
    files = dict(model.files)
    for rel in LAUNCHER_FILES:
        files[rel] = (REPO_ROOT / rel).read_text()
    if flavor == "builtin":
        files = convert_for_builtin(files)
    elif flavor != "ours":
        raise ValueError(f"unknown flavor {flavor!r}")
    for rel, content in files.items():
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content)
    (dest / "pants").chmod(0o755)
    if plugin_ref:
        archive = subprocess.run(["git", "archive", plugin_ref, "pants-plugins"], cwd=REPO_ROOT,
                                 check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
        return
    for rel in _plugin_files():  # the built-in flavor keeps it too (ignored unless loaded)
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO_ROOT / rel, target)


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dest", type=Path)
    parser.add_argument("--size", type=int, default=10, help="number of app images (default 10)")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--flavor", choices=("ours", "builtin"), default="ours")
    parser.add_argument("--plugin-ref", help="copy pants-plugins/ as of this git revision")
    args = parser.parse_args(argv)
    model = generate_model(args.size, args.seed)
    write_repo(args.dest, model, args.flavor, args.plugin_ref)
    print(json.dumps(model.summary(), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
