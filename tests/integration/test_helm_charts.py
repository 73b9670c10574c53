"""Charts through Helm's own engine, end to end: `./pants package` and `./pants lint` on a copy of
the example (its images removed, so no builder runs: only Helm's Processes), compared with what
Helm itself makes outside Pants (tools/helm-oracle, the same SDK), and the driver's push, pull
and render against the machine's loopback registry.

Extra charts written into the copy exercise what the old port got wrong: `~0.0.0` and `>*`
dependency constraints (Helm accepts 1.2.3 and 0.1.0), an apiVersion v1 chart whose dependency
is in requirements.yaml, and a template that assembles an image reference from several values.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tarfile
import uuid
from pathlib import Path
from typing import Dict, Iterator

import pytest

from tests.e2e.conftest import PantsRepo, copy_repo, init_git

pytestmark = [pytest.mark.integration]

REPO_ROOT = Path(__file__).resolve().parents[2]
HELM_ORACLE = REPO_ROOT / "tools" / "helm-oracle"
DRIVER = REPO_ROOT / "pants-plugins" / "shipyard" / "helm" / "driver.py"

CHART_BUILD = 'helm_chart()\n\nfiles(name="files", sources=["**/*", "!BUILD", "!Chart.yaml"])\n'
HELMIGNORE = "BUILD\n"
CONFIGMAP = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-%s\ndata: {}\n"

EXTRA_CHARTS: Dict[str, Dict[str, str]] = {
    "testcharts/lib123": {
        "Chart.yaml": "apiVersion: v2\nname: lib123\nversion: 1.2.3\n",
        "templates/cm.yaml": CONFIGMAP % "lib123",
    },
    "testcharts/lib010": {
        "Chart.yaml": "apiVersion: v2\nname: lib010\nversion: 0.1.0\n",
        "templates/cm.yaml": CONFIGMAP % "lib010",
    },
    # Masterminds: `~0.0.0` is >=0.0.0,<0.1.0 only in the port; Helm accepts 1.2.3 (the tilde
    # range of a 0.0.0 minor is open); `>*` accepts any version.
    "testcharts/ranges": {
        "Chart.yaml": "apiVersion: v2\nname: ranges\nversion: 0.2.0\ndependencies:\n"
        "  - name: lib123\n    version: \"~0.0.0\"\n    repository: file://../lib123\n"
        "  - name: lib010\n    version: \">*\"\n    repository: file://../lib010\n",
        "templates/cm.yaml": CONFIGMAP % "ranges",
    },
    "testcharts/v1req": {
        "Chart.yaml": "apiVersion: v1\nname: v1req\nversion: 0.3.0\n",
        "requirements.yaml": "dependencies:\n  - name: lib123\n    version: \"~0.0.0\"\n"
        "    repository: file://../lib123\n",
        "templates/cm.yaml": CONFIGMAP % "v1req",
    },
    "testcharts/assembled": {
        "Chart.yaml": "apiVersion: v2\nname: assembled\nversion: 0.1.0\n",
        "values.yaml": "registry: 127.0.0.1:5000\nrepo: tinyolly/assembled\nversion: 0.1.0\n",
        "templates/pod.yaml": "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n"
        "    - name: c\n      image: \"{{ .Values.registry }}/{{ .Values.repo }}:{{ .Values.version }}\"\n",
    },
}


def helm_python() -> Path:
    """The SDK venv's python (created on first use); skips when it cannot be made, except in CI."""
    result = subprocess.run([str(HELM_ORACLE / "install")], capture_output=True, text=True)
    if result.returncode != 0:
        if os.environ.get("CI") == "true":
            pytest.fail(f"tools/helm-oracle/install failed:\n{result.stderr}", pytrace=False)
        pytest.skip(f"no helm-python-sdk venv: {result.stderr.strip()[-300:]}")
    return Path(result.stdout.strip()) / "bin" / "python"


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PantsRepo]:
    root = tmp_path_factory.mktemp("charts") / "repo"
    copy_repo(root)
    # No images: charts only, so the only Processes `package` runs are Helm's.
    for images in ("apps", "dockerfiles"):
        shutil.rmtree(root / images)
    for chart_dir, files in EXTRA_CHARTS.items():
        for name, text in {**files, "BUILD": CHART_BUILD, ".helmignore": HELMIGNORE}.items():
            path = root / chart_dir / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
    init_git(root)
    pants_repo = PantsRepo(root, dict(os.environ))
    try:
        yield pants_repo
    finally:
        pants_repo.stop_pantsd()


def members(tgz: Path) -> Dict[str, bytes]:
    with tarfile.open(tgz, "r:gz") as tar:
        return {m.name: tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()}  # type: ignore[union-attr]


def chart_dirs(root: Path) -> Dict[str, Path]:
    """Chart name → directory, for every chart in the copy."""
    found = {}
    for chart_yaml in [*root.glob("charts/*/Chart.yaml"), *root.glob("testcharts/*/Chart.yaml")]:
        name = re.search(r"^name: (\S+)", chart_yaml.read_text(), re.MULTILINE).group(1)  # type: ignore[union-attr]
        found[name] = chart_yaml.parent
    return found


def oracle_package(python: Path, repo_root: Path, chart: Path, dest: Path) -> Path:
    """`helm dependency update && helm package` on a copy of the chart trees (Helm writes charts/
    and Chart.lock into the chart directory)."""
    scratch = dest / "src"
    for tree in ("charts", "testcharts"):
        shutil.copytree(repo_root / tree, scratch / tree, dirs_exist_ok=True)
    out = subprocess.run(
        [str(python), str(HELM_ORACLE / "oracle.py"), "package", str(scratch / chart.relative_to(repo_root)), str(dest), "--dependency-update"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return Path(json.loads(out)["path"])


@pytest.fixture(scope="module")
def packaged(repo: PantsRepo) -> subprocess.CompletedProcess:
    return repo.run("package", "charts::", "testcharts::", timeout=900)


def test_every_chart_packages_as_helm_package_does(repo: PantsRepo, packaged, tmp_path: Path) -> None:
    python = helm_python()
    charts = chart_dirs(repo.root)
    archives = sorted((repo.root / "dist").glob("*.tgz"))
    assert {a.name.rsplit("-", 1)[0] for a in archives} == set(charts), packaged.stderr
    for archive in archives:
        name = archive.name.rsplit("-", 1)[0]
        theirs = members(oracle_package(python, repo.root, charts[name], tmp_path / name))
        ours = members(archive)
        assert sorted(ours) == sorted(theirs), name
        assert ours[f"{name}/Chart.yaml"] == theirs[f"{name}/Chart.yaml"], name


def test_tilde_zero_and_greater_than_star_constraints_take_the_dependencies(repo: PantsRepo, packaged) -> None:
    files = members(repo.root / "dist" / "ranges-0.2.0.tgz")
    assert b"version: 1.2.3" in files["ranges/charts/lib123/Chart.yaml"]
    assert b"version: 0.1.0" in files["ranges/charts/lib010/Chart.yaml"]
    lock = files["ranges/Chart.lock"].decode()
    assert "version: 1.2.3" in lock and "version: 0.1.0" in lock
    assert 'generated: "1970-01-01T00:00:00Z"' in lock  # not the clock: the archive is reproducible


def test_v1_chart_takes_its_dependency_from_requirements_yaml(repo: PantsRepo, packaged) -> None:
    files = members(repo.root / "dist" / "v1req-0.3.0.tgz")
    assert "v1req/requirements.yaml" in files
    assert "v1req/requirements.lock" in files
    assert b"name: lib123" in files["v1req/charts/lib123/Chart.yaml"]


def test_package_warns_about_an_image_inference_did_not_see(repo: PantsRepo, packaged) -> None:
    output = packaged.stderr
    assert "testcharts/assembled/templates/pod.yaml" in output
    assert "127.0.0.1:5000/tinyolly/assembled:0.1.0" in output
    assert "inference did not find" in output
    # The example charts write their images in values: no warning about them.
    assert "charts/tinyolly/templates" not in output


def helm_runs(stderr: str) -> list[str]:
    """The Helm driver Processes Pants ran (not cache hits), from its debug log."""
    return sorted(set(re.findall(r"Running (helm \w+ \S+) under semaphore", stderr)))


def test_a_second_package_runs_no_helm_process_and_a_change_reruns_only_its_charts(repo: PantsRepo, packaged) -> None:
    repo.stop_pantsd()  # no memoized rules: only the process cache can spare the work
    args = ("--no-pantsd", "-ldebug", "package", "charts::", "testcharts::")
    assert helm_runs(repo.run(*args, timeout=900).stderr) == []
    template = repo.root / "testcharts/lib010/templates/cm.yaml"
    original = template.read_text()
    # Unique, so that no earlier run left this Process in the (machine-wide) cache.
    template.write_text(original + f"# changed {uuid.uuid4().hex}\n")
    try:
        changed = helm_runs(repo.run(*args, timeout=900).stderr)
    finally:
        template.write_text(original)
    assert changed == ["helm package testcharts/lib010", "helm package testcharts/ranges"]


def test_lint_passes_the_examples_and_fails_a_broken_template_at_its_line(repo: PantsRepo) -> None:
    clean = repo.run("lint", "charts::", "testcharts::", check=False, timeout=900)
    assert clean.returncode == 0, clean.stderr[-3000:]
    repo.write("testcharts/lib010/templates/bad.yaml", "kind: ConfigMap\ndata:\n  a: {{ .Values.a | nosuchfunc }}\n")
    try:
        broken = repo.run("lint", "testcharts/lib010:", check=False, timeout=900)
    finally:
        (repo.root / "testcharts/lib010/templates/bad.yaml").unlink()
    assert broken.returncode != 0
    assert "testcharts/lib010/templates/bad.yaml:3: [ERROR]" in broken.stderr, broken.stderr[-3000:]
    assert 'function "nosuchfunc" not defined' in broken.stderr
    assert "Traceback" not in broken.stderr


def test_a_dependency_helm_rejects_is_one_message_at_its_chart_yaml_line(repo: PantsRepo) -> None:
    chart_yaml = repo.root / "testcharts/ranges/Chart.yaml"
    original = chart_yaml.read_text()
    chart_yaml.write_text(original.replace('"~0.0.0"', '"2.0.0"'))
    try:
        result = repo.run("package", "testcharts/ranges:", check=False, timeout=900)
    finally:
        chart_yaml.write_text(original)
    assert result.returncode != 0
    assert "testcharts/ranges/Chart.yaml:5: Helm cannot package the chart testcharts/ranges" in result.stderr, result.stderr[-3000:]
    assert "Traceback" not in result.stderr


def test_a_template_helm_cannot_render_is_a_warning_at_its_line(repo: PantsRepo) -> None:
    # `helm package` does not parse templates; the render check does, and says where.
    bad = repo.root / "testcharts/lib123/templates/bad.yaml"
    bad.write_text("kind: ConfigMap\ndata:\n  a: {{ .Values.a | nosuchfunc }}\n")
    try:
        result = repo.run("package", "testcharts/lib123:", timeout=900)
    finally:
        bad.unlink()
    assert "testcharts/lib123/templates/bad.yaml:3: Helm cannot render testcharts/lib123" in result.stderr, result.stderr[-3000:]
    assert "Traceback" not in result.stderr


def run_driver(python: Path, cwd: Path, request: dict, env: Dict[str, str] | None = None) -> dict:
    (cwd / "request.json").write_text(json.dumps(request))
    result = subprocess.run(
        [str(python), str(DRIVER), "request.json"], cwd=cwd, capture_output=True, text=True, env={**os.environ, **(env or {})}
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_push_pull_and_render_round_trip(repo: PantsRepo, packaged, machine_env: dict, tmp_path: Path) -> None:
    python = helm_python()
    archive = repo.root / "dist" / "tinyolly-0.1.0.tgz"
    shutil.copy(archive, tmp_path / archive.name)
    remote = f"oci://{machine_env['SHIPYARD_REGISTRY']}/helm-roundtrip-{uuid.uuid4().hex[:8]}"
    pushed = run_driver(python, tmp_path, {"command": "push", "archive": archive.name, "remote": remote, "plain_http": True})
    assert pushed["reference"] == f"{remote}/tinyolly:0.1.0"
    assert pushed["digest"].startswith("sha256:")
    pulled = run_driver(
        python, tmp_path, {"command": "pull", "reference": pushed["reference"], "plain_http": True, "output_dir": "pulled"}
    )
    assert pulled["digest"] == pushed["digest"]
    assert (tmp_path / "pulled" / pulled["archive"]).read_bytes() == archive.read_bytes()
    rendered = run_driver(python, tmp_path, {"command": "render", "archive": f"pulled/{pulled['archive']}"})["rendered"]
    assert "tinyolly/templates/ui.yaml" in rendered
    assert "image:" in rendered["tinyolly/templates/ui.yaml"]


def test_a_version_with_build_metadata_is_pushed_and_pulled_as_helm_tags_it(machine_env: dict, tmp_path: Path) -> None:
    """An OCI tag cannot hold `+`: Helm pushes `1.0.0+build.3` as the tag `1.0.0_build.3`, and the
    driver answers with that reference, which Helm can pull."""
    python = helm_python()
    chart = tmp_path / "meta"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: meta\nversion: 0.1.0\n")
    packaged = run_driver(
        python, tmp_path, {"command": "package", "chart_dir": "meta", "dependency_update": False, "version": "1.0.0+build.3", "output_dir": "out"}
    )
    assert packaged["archive"] == "meta-1.0.0+build.3.tgz"
    remote = f"oci://{machine_env['SHIPYARD_REGISTRY']}/helm-meta-{uuid.uuid4().hex[:8]}"
    pushed = run_driver(python, tmp_path, {"command": "push", "archive": "out/meta-1.0.0+build.3.tgz", "remote": remote, "plain_http": True})
    assert pushed["reference"] == f"{remote}/meta:1.0.0_build.3"
    pulled = run_driver(
        python, tmp_path, {"command": "pull", "reference": pushed["reference"], "plain_http": True, "output_dir": "pulled"}
    )
    assert pulled["digest"] == pushed["digest"]
    assert (tmp_path / "pulled" / pulled["archive"]).read_bytes() == (tmp_path / "out" / "meta-1.0.0+build.3.tgz").read_bytes()


def test_credentials_file_problems_are_reported_without_the_secret(repo: PantsRepo, packaged, machine_env: dict, tmp_path: Path) -> None:
    python = helm_python()
    shutil.copy(repo.root / "dist" / "tinyolly-0.1.0.tgz", tmp_path)
    credentials = tmp_path / "creds.json"
    credentials.write_text('{"username": "u", "pass": "s3cret-value"}')
    (tmp_path / "request.json").write_text(
        json.dumps(
            {
                "command": "push",
                "archive": "tinyolly-0.1.0.tgz",
                "remote": f"oci://{machine_env['SHIPYARD_REGISTRY']}/helm-creds",
                "plain_http": True,
                "credentials_env": "CREDS",
            }
        )
    )
    result = subprocess.run(
        [str(python), str(DRIVER), "request.json"], cwd=tmp_path, capture_output=True, text=True, env={**os.environ, "CREDS": str(credentials)}
    )
    assert result.returncode == 2
    error = json.loads(result.stdout.strip().splitlines()[-1])["error"]
    assert "cannot read registry credentials" in error["message"]
    assert "s3cret-value" not in result.stdout + result.stderr


@pytest.fixture
def auth_registry(tmp_path: Path) -> Iterator[str]:
    """A CNCF distribution registry on a free loopback port that wants a password (htpasswd)."""
    import socket
    import time
    import urllib.error
    import urllib.request

    htpasswd = subprocess.run(["htpasswd", "-Bbn", "pusher", "s3cret-pw"], check=True, capture_output=True, text=True).stdout
    (tmp_path / "htpasswd").write_text(htpasswd)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    (tmp_path / "config.yml").write_text(
        "version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: " + str(tmp_path / "data") + "\n"
        f"http:\n  addr: 127.0.0.1:{port}\nauth:\n  htpasswd:\n    realm: test\n    path: {tmp_path / 'htpasswd'}\n"
    )
    log = (tmp_path / "registry.log").open("w")
    # distribution reads REGISTRY_* variables as configuration (the machine's REGISTRY_AUTH_FILE
    # would become `auth.file`): start it without them.
    env = {k: v for k, v in os.environ.items() if not k.startswith("REGISTRY_")}
    server = subprocess.Popen(["docker-registry", "serve", str(tmp_path / "config.yml")], stdout=log, stderr=log, env=env)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.build_opener(urllib.request.ProxyHandler({})).open(f"http://127.0.0.1:{port}/v2/", timeout=2)
            except urllib.error.HTTPError as e:
                if e.code == 401:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"the htpasswd registry did not start:\n{(tmp_path / 'registry.log').read_text()[-2000:]}")
            time.sleep(0.2)
        yield f"127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()


def test_push_and_pull_with_a_credentials_file(auth_registry: str, tmp_path: Path) -> None:
    python = helm_python()
    chart = tmp_path / "c"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: c\nversion: 1.0.0\n")
    (chart / "templates" / "cm.yaml").write_text(CONFIGMAP % "c")
    archive = run_driver(python, tmp_path, {"command": "package", "chart_dir": "c", "output_dir": "out"})["archive"]
    remote = f"oci://{auth_registry}/charts"
    request = {"command": "push", "archive": f"out/{archive}", "remote": remote, "plain_http": True}

    (tmp_path / "request.json").write_text(json.dumps(request))
    anonymous = subprocess.run([str(python), str(DRIVER), "request.json"], cwd=tmp_path, capture_output=True, text=True)
    assert anonymous.returncode == 2, anonymous.stdout + anonymous.stderr

    credentials = tmp_path / "credentials.json"
    credentials.write_text(json.dumps({"username": "pusher", "password": "s3cret-pw"}))
    env = {"HELM_CREDS": str(credentials)}
    (tmp_path / "request.json").write_text(json.dumps({**request, "credentials_env": "HELM_CREDS"}))
    result = subprocess.run(
        [str(python), str(DRIVER), "request.json"], cwd=tmp_path, capture_output=True, text=True, env={**os.environ, **env}
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "s3cret-pw" not in result.stdout + result.stderr
    pushed = json.loads(result.stdout.strip().splitlines()[-1])
    pulled = run_driver(
        python,
        tmp_path,
        {"command": "pull", "reference": pushed["reference"], "plain_http": True, "output_dir": "pulled", "credentials_env": "HELM_CREDS"},
        env,
    )
    assert pulled["digest"] == pushed["digest"]
    assert not list(tmp_path.glob("helm-home-*")), "the driver leaves no Helm home (with the login) behind"
