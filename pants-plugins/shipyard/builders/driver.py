"""Builds one platform of one image into an OCI layout, with buildah or with docker (BuildKit).

Runs inside a Pants sandbox as `python3 driver.py request.json`, standard library only. The
request names the builder's executables, the Dockerfile (its FROM lines naming repo images already
replaced by placeholders), the build context directory, build args, target stage, platform, and
the OCI layouts of the repo base images built in this run. The result is an OCI layout in the
request's output directory holding exactly one image manifest, annotated with its platform.
External base images are pulled for the exact platform the stage runs on. Every base is named
in the builder's storage after its digest (the pinned reference and platform, or the layout's
manifest), since builders may otherwise reuse a local image of the same name for another
architecture; a build that finds that name already there uses it without pulling again.

The export takes the layers it shares with its base images as those bases already hold them
compressed (`layer_reuse`): from the repo bases' layouts, and for external bases from the
registry's own blobs, fetched once per machine into a Pants named cache.

On failure it prints `shipyard-failed-step: <instruction>` (the last step the builder started)
after the builder's output, and exits non-zero.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import uuid
import sys
from typing import Dict, Iterator, List, Optional, Sequence

try:
    from shipyard.builders import layer_reuse  # as part of the plugin (unit tests)
except ImportError:  # as a script in the build sandbox, where layer_reuse.py is beside it
    import layer_reuse  # type: ignore[no-redef]

# buildah: "[1/2] STEP 3/7: RUN pip install ..."; BuildKit plain progress: "#8 [build 3/6] RUN npm ci".
_STEP_PATTERNS = (
    re.compile(r"^(?:\[\d+/\d+\] )?STEP \d+/\d+: (.+)$"),
    re.compile(r"^#\d+ \[[^\]]*\d+/\d+\] (.+)$"),
)


# Written by the Pants side into FROM lines (util_rules/image_build.py).
_PLACEHOLDER = re.compile(r"shipyard-base-placeholder-\d+")


class BuildFailed(Exception):
    """A builder command failed; the message is what the user needs to see."""


# Set by SIGINT/SIGTERM (see `_on_interrupt`): no further builder command is started.
_interrupted = False


def run(argv: Sequence[str], *, env: Dict[str, str], log: List[str], stdin: Optional[bytes] = None) -> str:
    """Runs a command, echoing and keeping its output; raises BuildFailed on a non-zero exit, or
    without starting it once the build was interrupted."""
    if _interrupted:
        raise BuildFailed("interrupted")
    process = subprocess.Popen(
        list(argv), env=env, stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    stdout, _ = process.communicate(stdin)
    output = stdout.decode(errors="replace")
    log.extend(output.splitlines())
    sys.stderr.write(output)
    if process.returncode != 0:
        raise BuildFailed(f"`{' '.join(argv[:3])} ...` exited {process.returncode}")
    return output


def quietly(argv: Sequence[str], env: Dict[str, str]) -> None:
    """Runs a clean-up command whose failure changes nothing for the build."""
    subprocess.run(list(argv), env=env, stdin=subprocess.DEVNULL, capture_output=True)


def last_step(log: Sequence[str]) -> Optional[str]:
    for line in reversed(log):
        for pattern in _STEP_PATTERNS:
            match = pattern.match(line.strip())
            if match:
                return match.group(1)
    return None


def short_id(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


class Builder:
    def __init__(self, request: dict, workdir: str) -> None:
        self.request = request
        self.workdir = workdir
        self.env = dict(os.environ)
        # Tells wrappers and logs which target and platform a builder command is for.
        self.env["SHIPYARD_BUILD"] = f"{request['image']} {request['platform']}"
        self.exe = request["executables"]
        self.log: List[str] = []
        self.platform = request["platform"]

    def path(self, relpath: str) -> str:
        return os.path.join(self.workdir, relpath)

    def build_args(self) -> List[str]:
        args: List[str] = []
        for key, value in sorted(self.request.get("build_args", {}).items()):
            args += ["--build-arg", f"{key}={value}"]
        if self.request.get("target_stage"):
            args += ["--target", self.request["target_stage"]]
        return args

    def write_dockerfile(self, names: Dict[str, str]) -> str:
        """Writes the Dockerfile with each FROM placeholder replaced by its loaded image's name."""
        with open(self.path(self.request["dockerfile"])) as f:
            text = f.read()
        text = _PLACEHOLDER.sub(lambda m: names[m.group(0)], text)
        path = self.path("__shipyard/Dockerfile.build")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
        return path

    def build(self, executable: str, *flags: str) -> str:
        """Runs `<executable> build` for this platform; returns the built image's ID."""
        iidfile = self.path("__shipyard/iid")
        run(
            [
                executable, "build", *flags, "--platform", self.platform,
                "-f", self.path("__shipyard/Dockerfile.build"), "--iidfile", iidfile,
                *self.build_args(), self.path(self.request["context"]),
            ],
            env=self.env,
            log=self.log,
        )
        with open(iidfile) as f:
            return f.read().strip()

    # Where bases are named in the builder's storage: `<prefix>/<id from the digest>:latest`.
    base_prefix = "shipyard-base"

    def base_name(self, base: dict) -> str:
        """The name a base gets in the builder's storage, derived from its digest: the layout's
        manifest for a repo base, the pinned reference and platform for an external one."""
        if "layout" in base:
            digest = layout_manifest_digest(self.path(base["layout"]))
        else:
            digest = base["reference"] + base["platform"]
        return f"{self.base_prefix}/{short_id(digest)}:latest"

    def load_base(self, layout: str, name: str) -> None:
        """Loads a repo image built in this run from its OCI layout, as `name`."""
        raise NotImplementedError

    def pull_base(self, reference: str, platform: str, name: str) -> None:
        """Pulls an external image for `platform`, as `name`."""
        raise NotImplementedError

    def holds(self, name: str) -> bool:
        """Whether the builder's storage already has an image of this name (see `base_name`): an
        image by that name is that base, and loading it again would change nothing."""
        raise NotImplementedError

    def build_image(self) -> str:
        """Builds the rewritten Dockerfile; returns the built image's ID."""
        raise NotImplementedError

    def export(self, image_id: str, output: str) -> None:
        """Writes the built image as an OCI layout to `output` (which may hold placeholders)."""
        raise NotImplementedError

    def run(self) -> None:
        names = {}
        for base in self.request["bases"]:
            name = names[base["placeholder"]] = self.base_name(base)
            if self.holds(name):
                continue
            if "layout" in base:
                self.load_base(self.path(base["layout"]), name)
            else:
                self.pull_base(base["reference"], base["platform"], name)
        self.write_dockerfile(names)
        output = self.path(self.request["output"])
        image_id = self.build_image()
        known = self.reusable_layers()
        layer_reuse.seed_placeholders(output, known)
        self.export(image_id, output)
        try:
            layer_reuse.substitute(output, known)
        except layer_reuse.LayoutError as e:
            raise BuildFailed(str(e)) from e
        annotate_platform(output, self.platform)

    def reusable_layers(self) -> Dict[str, layer_reuse.CompressedLayer]:
        """The compressed layers of this build's bases that the built image may have: every layer
        of the repo bases' layouts, and the registry's blobs of the external base the image's
        layers start with (`image_root`; a build stage's base shares none and is not fetched)."""
        try:
            sources = [
                layer_reuse.compressed_layers(self.path(b["layout"]))
                for b in self.request["bases"]
                if "layout" in b
            ]
        except layer_reuse.LayoutError as e:
            raise BuildFailed(str(e)) from e
        cache = self.request.get("layer_cache")
        if cache:
            for base in self.request["bases"]:
                if base.get("image_root"):
                    sources.append(self.registry_layers(base["reference"], self.path(cache)))
        return layer_reuse.known_layers(sources)

    def registry_layers(self, pinned: str, cache: str) -> List[layer_reuse.CompressedLayer]:
        """An external base's layers as its registry stores them, copied by skopeo into the
        machine's blob cache (blobs already there are not fetched again). On failure the export
        compresses those layers itself: the image is the same, its layer blobs are not."""
        blobs = os.path.join(cache, "blobs")
        layout = tempfile.mkdtemp(prefix="shipyard-base-layout-")
        args = [self.exe["skopeo"], "copy", "--quiet", "--dest-shared-blob-dir", blobs]
        if os.environ.get("CONTAINERS_REGISTRIES_CONF"):
            args += ["--registries-conf", os.environ["CONTAINERS_REGISTRIES_CONF"]]
        try:
            run([*args, f"docker://{pinned}", f"oci:{layout}:base"], env=self.env, log=self.log)
            return layer_reuse.compressed_layers(layout, blobs_dir=blobs)
        except (BuildFailed, layer_reuse.LayoutError) as e:
            if _interrupted:
                raise
            sys.stderr.write(f"shipyard: compressing the layers of {pinned} again: cannot fetch its blobs ({e})\n")
            return []
        finally:
            shutil.rmtree(layout, ignore_errors=True)


# Held while buildah pulls into and names images in local storage (see `Buildah.load_base`).
_PULL_LOCK = os.path.join(tempfile.gettempdir(), "shipyard-buildah-pull.lock")


class Buildah(Builder):
    """Daemonless: bases are pulled from their layouts into local storage by digest-derived names."""

    base_prefix = "localhost/shipyard-base"

    def load_base(self, layout: str, name: str) -> None:
        # buildah names a pulled layout after its path, which must be lower-case; Pants' sandbox
        # paths are not, so pull through a lower-case symlink.
        # (hex only: a name component may not end in `_`, which mkdtemp names can.)
        link_dir = os.path.join(tempfile.gettempdir(), f"shipyard-layout-{uuid.uuid4().hex}")
        os.mkdir(link_dir)
        link = os.path.join(link_dir, "base")
        os.symlink(layout, link)
        # Two builds loading one base at once race on the image's names: the one removing its
        # link's name rewrites the name list the other has just added its own to ("image not
        # known" right after its pull). Loads are taken one at a time, as pulls are.
        with exclusive_lock(_PULL_LOCK):
            try:
                image_id = run(
                    [self.exe["buildah"], "pull", "--quiet", f"oci:{link}"], env=self.env, log=self.log
                ).strip().splitlines()[-1]
                self.name(image_id, name)
            finally:
                shutil.rmtree(link_dir)
                # The pull also named the image after the link's path (`localhost/<tmp>/shipyard-
                # layout-<uuid>/base`): one new name per build, never used again. Only the name
                # goes; the image keeps its shipyard-base name (and its layers stay as the cache).
                quietly([self.exe["buildah"], "rmi", f"localhost{link}:latest"], self.env)

    def name(self, image_id: str, name: str) -> None:
        run([self.exe["buildah"], "tag", image_id, name], env=self.env, log=self.log)

    def holds(self, name: str) -> bool:
        # Pulling and naming a base again costs a few buildah calls, one build at a time (pull lock).
        inspected = subprocess.run(
            [self.exe["buildah"], "inspect", "--type", "image", "--format", "{{.FromImageID}}", name],
            env=self.env, stdin=subprocess.DEVNULL, capture_output=True,
        )
        return inspected.returncode == 0

    def pull_base(self, reference: str, platform: str, name: str) -> None:
        # Pulls of one name for two platforms at once race in local storage ("image not known"),
        # so pulls are taken one at a time.
        with exclusive_lock(_PULL_LOCK):
            image_id = run(
                [self.exe["buildah"], "pull", "--quiet", "--platform", platform, reference],
                env=self.env,
                log=self.log,
            ).strip().splitlines()[-1]
            self.name(image_id, name)

    def run(self) -> None:
        """Builds while holding the shared builds lock, after sweeping what dead builds left.

        Each build marks itself in a directory while it runs and unmarks itself when it ends,
        however it ends but SIGKILL. A mark found while no build holds the lock is a dead
        build's: only then is storage swept (listing it costs 0.4 s a build)."""
        tmp = tempfile.gettempdir()
        marks = os.path.join(tmp, "shipyard-buildah-builds")
        with open(os.path.join(tmp, "shipyard-buildah-builds.lock"), "a") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                pass  # other builds are running: what they hold is theirs, sweep another time
            else:
                dead = os.listdir(marks) if os.path.isdir(marks) else None
                if dead is None or dead:  # no marks directory yet: builds before marks existed
                    self.sweep_leftovers()
                    for name in dead or ():
                        with contextlib.suppress(FileNotFoundError):
                            os.unlink(os.path.join(marks, name))
            fcntl.flock(lock, fcntl.LOCK_SH)
            os.makedirs(marks, exist_ok=True)
            mark = os.path.join(marks, f"{os.getpid()}-{uuid.uuid4().hex}")
            with open(mark, "w"):
                pass
            try:
                super().run()
            finally:
                os.unlink(mark)

    def sweep_leftovers(self) -> None:
        """Removes what builds killed before they could clean up (SIGKILL after Pants' grace
        period) left behind: working containers of `buildah build` steps (named
        `<image id>-working-container` from our unnamed intermediate images or `shipyard-base`
        names, or `working-container` from `scratch`) and layout names. Called only
        while no other build holds the builds lock, so none of them belongs to a live build."""
        listed = subprocess.run(
            [self.exe["buildah"], "containers", "--all", "--json"],
            env=self.env, stdin=subprocess.DEVNULL, capture_output=True,
        )
        for container in json.loads(listed.stdout or b"null") or []:
            name = container.get("containername", "")
            image = container.get("imagename", "")
            ours = image in ("", "scratch") or image.startswith("localhost/shipyard-base/")
            if container.get("builder") and ours and name.endswith("working-container"):
                quietly([self.exe["buildah"], "rm", container["id"]], self.env)
        images = subprocess.run(
            [self.exe["buildah"], "images", "--format", "{{.Name}}:{{.Tag}}"],
            env=self.env, stdin=subprocess.DEVNULL, capture_output=True,
        )
        for name in images.stdout.decode(errors="replace").split():
            if "/shipyard-layout-" in name:
                quietly([self.exe["buildah"], "rmi", name], self.env)

    def build_image(self) -> str:
        # --force-rm: a failed step's working container is removed too (buildah keeps it by default).
        return self.build(self.exe["buildah"], "--layers", "--force-rm")

    def export(self, image_id: str, output: str) -> None:
        run(
            [self.exe["buildah"], "push", "--quiet", image_id, f"oci:{output}:latest"],
            env=self.env,
            log=self.log,
        )


class Docker(Builder):
    """BuildKit through the docker CLI and a running dockerd; skopeo moves images in and out."""

    def __init__(self, request: dict, workdir: str) -> None:
        super().__init__(request, workdir)
        self.env["DOCKER_BUILDKIT"] = "1"

    def load_base(self, layout: str, name: str) -> None:
        run(
            [self.exe["skopeo"], "copy", "--quiet", *self.daemon_host("dest"), f"oci:{layout}", f"docker-daemon:{name}"],
            env=self.env,
            log=self.log,
        )

    def holds(self, name: str) -> bool:
        # Copying a base into dockerd again is a whole `docker load`, most of a small build's time.
        inspected = subprocess.run(
            [self.exe["docker"], "image", "inspect", "--format", "{{.Id}}", name],
            env=self.env, stdin=subprocess.DEVNULL, capture_output=True,
        )
        return inspected.returncode == 0

    def daemon_host(self, side: str) -> List[str]:
        """skopeo ignores DOCKER_HOST: pass it explicitly."""
        host = self.env.get("DOCKER_HOST")
        return [f"--{side}-daemon-host", host] if host else []

    def pull_base(self, reference: str, platform: str, name: str) -> None:
        os_name, arch, *variant = platform.split("/")
        args = [self.exe["skopeo"], "copy", "--quiet", "--override-os", os_name, "--override-arch", arch]
        if variant:
            args += ["--override-variant", variant[0]]
        if os.environ.get("CONTAINERS_REGISTRIES_CONF"):
            args += ["--registries-conf", os.environ["CONTAINERS_REGISTRIES_CONF"]]
        run(
            [*args, *self.daemon_host("dest"), f"docker://{docker_hub_qualified(reference)}", f"docker-daemon:{name}"],
            env=self.env,
            log=self.log,
        )

    def build_image(self) -> str:
        return self.build(self.exe["docker"], "--progress=plain")

    def export(self, image_id: str, output: str) -> None:
        # skopeo reads an image from dockerd by its ID (`docker-daemon:sha256:...`): no name to
        # add and remove around the copy.
        run(
            [self.exe["skopeo"], "copy", "--quiet", *self.daemon_host("src"), f"docker-daemon:{image_id}", f"oci:{output}:latest"],
            env=self.env,
            log=self.log,
        )


@contextlib.contextmanager
def exclusive_lock(path: str) -> Iterator[None]:
    with open(path, "a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def docker_hub_qualified(reference: str) -> str:
    """`python:3.11` → `docker.io/library/python:3.11` (skopeo wants fully qualified names)."""
    first, _, rest = reference.partition("/")
    # Docker's registry rule, as image_ref._split_registry (this file runs on its own in a sandbox).
    if rest and ("." in first or ":" in first or first == "localhost" or first != first.lower()):
        return reference
    return f"docker.io/{reference}" if rest else f"docker.io/library/{reference}"


def layout_manifest_digest(layout: str) -> str:
    with open(os.path.join(layout, "index.json")) as f:
        index = json.load(f)
    (descriptor,) = index["manifests"]
    return descriptor["digest"]


def annotate_platform(layout: str, platform: str) -> None:
    """Records the platform on the layout's single manifest descriptor (read back by Pants)."""
    index_path = os.path.join(layout, "index.json")
    with open(index_path) as f:
        index = json.load(f)
    if len(index.get("manifests", [])) != 1:
        raise BuildFailed(f"expected one image in {layout}, found {len(index.get('manifests', []))}")
    os_name, arch, *variant = platform.split("/")
    descriptor = index["manifests"][0]
    descriptor["platform"] = {"os": os_name, "architecture": arch, **({"variant": variant[0]} if variant else {})}
    with open(index_path, "w") as f:
        json.dump(index, f, indent=2, sort_keys=True)


BUILDERS = {"buildah": Buildah, "docker": Docker}


def _on_interrupt(signum: int, frame: object) -> None:
    """Pants cancels a process by sending SIGINT to its process group, then kills the group a
    few seconds later. The builder got the signal too and removes its working container on its
    way out; the driver must not die first, so it only stops starting new commands and then
    cleans up its own names on the normal failure path."""
    global _interrupted
    _interrupted = True


def main(argv: Sequence[str]) -> int:
    signal.signal(signal.SIGINT, _on_interrupt)
    signal.signal(signal.SIGTERM, _on_interrupt)
    with open(argv[1]) as f:
        request = json.load(f)
    builder = BUILDERS[request["builder"]](request, os.getcwd())
    try:
        builder.run()
    except BuildFailed as e:
        step = last_step(builder.log)
        sys.stderr.write(f"\nshipyard-error: {e}\n")
        if step:
            sys.stderr.write(f"shipyard-failed-step: {step}\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
