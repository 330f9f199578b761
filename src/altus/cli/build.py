"""``altus build``: what ``sam build`` does, without containers. Each function and layer
of a template (SAM or plain CloudFormation) whose code is a local folder is built into
``<build dir>/<LogicalId>/`` (``.altus-build/`` beside the template by default), and
``<build dir>/template.yaml`` is the template pointing at those folders (every other
local path made relative to the build folder), ready for ``altus package``.

What is built: SAM and Lambda functions with local code (a SAM function's CodeUri,
Runtime and Architectures from ``Globals.Function`` where it has none; no CodeUri at
all: the template's folder), and layers whose ``Metadata.BuildMethod`` says how (as
``sam build`` decides; a layer without one is packaged from its sources as they are).
Inline code, code in S3, images and code that is a ready ``.zip`` (or ``.jar``) file
(packaged as it is) are skipped, with why. How each is made, by its runtime or
BuildMethod, is ``altus.cli.builders``; a BuildMethod it has no builder for, or
sources that need compiling, are a BuildError rather than raw sources deployed.

Each artifact is made in a scratch folder and moved into place whole, so a failed build
leaves the previous artifact as it was. Artifacts sharing sources, runtime,
architecture and build method are made once and copied (``reused``). An artifact whose
inputs (its sources, the local packages its requirements name, runtime and method)
hash as they did at its last build is left alone (``cached``); the hashes live in
``<build dir>/.cache/``, with the template that made each artifact and its notes.
Artifacts this template made for functions gone from it are removed (another
template's, built into the same folder, are left).

What building said (how pip was run, why something was skipped) is each ``Built``'s
``notes``, and all of them on ``BuildResult.notes``, for the caller to print.

``build_function`` builds one artifact of a template, for ``altus sync --watch``.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from altus.cli.builders import (
    BUILD_DIR,
    SKIPPED_NAMES,
    Artifact,
    BuildError,
    local_dependencies,
    make,
    skip_names,
    skipper,
)
from altus.cli.package import Where, is_local, map_local, read_template, to_yaml

__all__ = [
    "BUILD_DIR",
    "BUILT",
    "CACHED",
    "REUSED",
    "SKIPPED",
    "Artifact",
    "BuildError",
    "BuildResult",
    "Built",
    "artifacts_of",
    "build",
    "build_artifact",
    "build_function",
    "built_template",
    "input_hash",
]

_CACHE = ".cache"
#: Part of every input hash: changing how artifacts are made makes every cache stale.
_BUILDER = "altus-build 1"

BUILT = "built"
CACHED = "cached"
REUSED = "reused"
SKIPPED = "skipped"

Progress = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class Built:
    """What became of one function or layer."""

    logical_id: str
    #: BUILT, CACHED (inputs unchanged), REUSED (copied from ``reused_from``), SKIPPED.
    status: str
    #: The artifact's folder; None when skipped.
    path: Path | None
    seconds: float
    notes: tuple[str, ...] = ()
    reused_from: str | None = None
    artifact: Artifact | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True)
class BuildResult:
    build_dir: Path
    #: ``<build dir>/template.yaml``.
    template_file: Path
    template: dict[str, Any]
    artifacts: tuple[Built, ...]

    def having(self, status: str) -> tuple[Built, ...]:
        return tuple(b for b in self.artifacts if b.status == status)

    @property
    def built(self) -> tuple[Built, ...]:
        return self.having(BUILT)

    @property
    def cached(self) -> tuple[Built, ...]:
        return self.having(CACHED)

    @property
    def reused(self) -> tuple[Built, ...]:
        return self.having(REUSED)

    @property
    def skipped(self) -> tuple[Built, ...]:
        return self.having(SKIPPED)

    @property
    def notes(self) -> tuple[str, ...]:
        """Every artifact's notes, as ``<LogicalId>: <note>``, in template order."""
        return tuple(f"{b.logical_id}: {note}" for b in self.artifacts for note in b.notes)


# --- what to build -----------------------------------------------------------------------


def _method(build_method: str | None, runtime: str | None) -> str:
    """How an artifact is made: by its BuildMethod where it has one (``unsupported``
    where no builder here makes it), else by its runtime (``copy`` for runtimes whose
    sources run as they are, checked again by ``builders.needs_compiling``)."""
    name = build_method or runtime
    if name is None:
        return "copy"
    if name.startswith("python"):
        return "python"
    if name.startswith("nodejs"):
        return "nodejs"
    if name == "makefile":
        return "makefile"
    return "copy" if build_method is None else "unsupported"


def _ready_zip(path: Path) -> bool:
    """A code file that is a zip already (``.zip``, ``.jar``): Lambda's package as it is."""
    return path.is_file() and zipfile.is_zipfile(path)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def artifacts_of(
    template: Mapping[str, Any], template_dir: Path
) -> tuple[list[Artifact], list[Built]]:
    """The functions and layers of ``template`` to build, and those skipped (with why).
    A SAM function's missing CodeUri, Runtime or Architectures come from
    ``Globals.Function``; with no CodeUri at all its code is the template's folder."""
    found: list[Artifact] = []
    skipped: list[Built] = []
    globals_ = template.get("Globals")
    function_globals = globals_.get("Function") if isinstance(globals_, Mapping) else None
    if not isinstance(function_globals, Mapping):
        function_globals = {}
    resources = template.get("Resources")
    for logical_id, resource in resources.items() if isinstance(resources, Mapping) else ():
        if not isinstance(resource, Mapping):
            continue
        kind = resource.get("Type")
        properties = resource.get("Properties")
        if not isinstance(properties, Mapping):
            properties = {}
        metadata = resource.get("Metadata")
        build_method = _text(metadata.get("BuildMethod")) if isinstance(metadata, Mapping) else None

        def skip(why: str, logical_id: str = logical_id) -> None:
            skipped.append(Built(logical_id, SKIPPED, None, 0.0, (why,)))

        if kind in ("AWS::Serverless::Function", "AWS::Lambda::Function"):
            sam = kind == "AWS::Serverless::Function"
            inherited = function_globals if sam else {}
            name = "CodeUri" if sam else "Code"
            image = properties.get("PackageType", inherited.get("PackageType")) == "Image"
            if image or "ImageUri" in properties:
                skip("an image (PackageType Image): build it with docker build")
                continue
            if "InlineCode" in properties:
                skip("inline code: nothing to build")
                continue
            code = properties.get(name, inherited.get(name, "." if sam else None))
            if not is_local(code):
                skip(f"{name} is not a local path ({_shown(code)}): nothing to build")
                continue
            source = (template_dir / code).resolve()
            if _ready_zip(source):
                skip(f"{name} is a zip file ({code}): packaged as it is")
                continue
            runtime = _text(properties.get("Runtime", inherited.get("Runtime")))
            architectures = properties.get("Architectures", inherited.get("Architectures"))
            architecture = "x86_64"
            if (
                isinstance(architectures, list)
                and architectures
                and isinstance(architectures[0], str)
            ):
                architecture = architectures[0]
            found.append(
                Artifact(
                    logical_id,
                    kind,
                    name,
                    source,
                    runtime,
                    _method(build_method, runtime),
                    architecture=architecture,
                    build_method=build_method,
                )
            )
        elif kind in ("AWS::Serverless::LayerVersion", "AWS::Lambda::LayerVersion"):
            name = "ContentUri" if kind == "AWS::Serverless::LayerVersion" else "Content"
            content = properties.get(name)
            if not is_local(content):
                skip(f"{name} is not a local path ({_shown(content)}): nothing to build")
                continue
            source = (template_dir / content).resolve()
            if _ready_zip(source):
                skip(f"{name} is a zip file ({content}): packaged as it is")
                continue
            if build_method is None:
                skip("no Metadata.BuildMethod: packaged from its sources as they are")
                continue
            found.append(
                Artifact(
                    logical_id,
                    kind,
                    name,
                    source,
                    build_method,
                    _method(build_method, None),
                    layer=True,
                    build_method=build_method,
                )
            )
    return found, skipped


def _shown(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, default=str)[:80]


# --- hashing (the cache) -----------------------------------------------------------------


def _hash_tree(digest: Any, root: Path, ignore: Callable[[str, list[str]], set[str]]) -> None:
    if root.is_file():
        digest.update(b"file\0" + root.read_bytes())
        return
    for directory, dirs, files in os.walk(root, followlinks=True):
        dropped = ignore(directory, dirs + files)
        dirs[:] = sorted(d for d in dirs if d not in dropped)
        for name in sorted(f for f in files if f not in dropped):
            path = Path(directory) / name
            if not path.exists():
                continue  # a dangling link: not copied either
            executable = os.access(path, os.X_OK)
            digest.update(f"{path.relative_to(root).as_posix()}\0{executable:d}\0".encode())
            with path.open("rb") as stream:
                for chunk in iter(lambda: stream.read(1 << 20), b""):
                    digest.update(chunk)
            digest.update(b"\0")


def input_hash(artifact: Artifact, build_dir: Path, pip_args: Sequence[str] = ()) -> str:
    """The hash of what the artifact is made of: its sources (as copied), the local
    packages it depends on, its runtime, method, architecture and kind, and the extra
    pip arguments it is built with."""
    made_by = [_BUILDER, artifact.runtime, artifact.method, artifact.layer, artifact.architecture]
    digest = hashlib.sha256(json.dumps([*made_by, *pip_args]).encode())
    ignore = skipper(skip_names(artifact), build_dir)
    _hash_tree(digest, artifact.source, ignore)
    for dependency in local_dependencies(artifact):
        digest.update(f"\0dependency {dependency}\0".encode())
        _hash_tree(digest, dependency, skipper(SKIPPED_NAMES | {"node_modules"}, build_dir))
    return digest.hexdigest()


def _marker(build_dir: Path, logical_id: str) -> Path:
    return build_dir / _CACHE / f"{logical_id}.json"


def _entry(marker: Path) -> dict[str, Any]:
    try:
        found = json.loads(marker.read_text())
    except (OSError, ValueError):
        return {}
    return found if isinstance(found, dict) else {}


def _remembered(build_dir: Path, logical_id: str) -> tuple[str | None, tuple[str, ...]]:
    """The input hash of ``logical_id``'s last build and the notes it made."""
    found = _entry(_marker(build_dir, logical_id))
    value = found.get("hash")
    notes = found.get("notes")
    kept = tuple(n for n in notes if isinstance(n, str)) if isinstance(notes, list) else ()
    return (value if isinstance(value, str) else None), kept


def _remember(
    build_dir: Path,
    artifact: Artifact,
    digest: str,
    notes: Sequence[str],
    template: Path | None,
) -> None:
    marker = _marker(build_dir, artifact.logical_id)
    marker.parent.mkdir(parents=True, exist_ok=True)
    scratch = marker.with_suffix(".tmp")
    entry = {
        "hash": digest,
        "source": str(artifact.source),
        "runtime": artifact.runtime,
        "notes": list(notes),
        # Whose artifact this is: pruning removes only its own template's.
        "template": str(template) if template is not None else None,
    }
    scratch.write_text(json.dumps(entry))
    scratch.replace(marker)


# --- building ----------------------------------------------------------------------------


def build_artifact(
    artifact: Artifact,
    build_dir: Path,
    *,
    cache: bool = True,
    pip_args: Sequence[str] = (),
    progress: Progress | None = None,
    template: Path | None = None,
) -> Built:
    """Build ``artifact`` into ``build_dir/<LogicalId>`` (left as it is, with the notes
    of its last build, when its inputs hash as then and ``cache``), recorded as made for
    ``template``. BuildError if its sources are missing, need a builder there is not,
    or a tool fails; the previous artifact is then untouched."""
    started = time.monotonic()
    if not artifact.source.exists():
        raise BuildError(
            f"{artifact.property_name} of {artifact.logical_id}: no such file or directory: "
            f"{artifact.source}"
        )
    build_dir.mkdir(parents=True, exist_ok=True)
    target = build_dir / artifact.logical_id
    digest = input_hash(artifact, build_dir, pip_args)
    last, last_notes = _remembered(build_dir, artifact.logical_id)
    if cache and target.is_dir() and last == digest:
        _remember(build_dir, artifact, digest, last_notes, template)
        return Built(
            artifact.logical_id,
            CACHED,
            target,
            time.monotonic() - started,
            last_notes,
            artifact=artifact,
        )
    if progress is not None:
        progress(f"Building {artifact.logical_id} ({artifact.runtime or artifact.method})")
    staging = Path(tempfile.mkdtemp(prefix=f".{artifact.logical_id}-", dir=build_dir))
    try:
        notes = make(artifact, staging, build_dir, pip_args)
        _swap(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    _remember(build_dir, artifact, digest, notes, template)
    return Built(
        artifact.logical_id,
        BUILT,
        target,
        time.monotonic() - started,
        tuple(notes),
        artifact=artifact,
    )


def _swap(staging: Path, target: Path) -> None:
    """Put ``staging`` where ``target`` is, the old one removed after."""
    old: Path | None = None
    if target.exists():
        old = target.with_name(f".{target.name}-old-{os.getpid()}")
        shutil.rmtree(old, ignore_errors=True)
        target.rename(old)
    staging.rename(target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


# --- the whole template ------------------------------------------------------------------


def _reuse(
    leader: Built,
    artifact: Artifact,
    build_dir: Path,
    digest: str,
    cache: bool,
    template: Path | None,
) -> Built:
    """``artifact`` as a copy of ``leader``'s (the same inputs, so the same notes)."""
    started = time.monotonic()
    target = build_dir / artifact.logical_id
    if cache and target.is_dir() and _remembered(build_dir, artifact.logical_id)[0] == digest:
        _remember(build_dir, artifact, digest, leader.notes, template)
        return Built(artifact.logical_id, CACHED, target, 0.0, leader.notes, artifact=artifact)
    assert leader.path is not None
    staging = Path(tempfile.mkdtemp(prefix=f".{artifact.logical_id}-", dir=build_dir))
    try:
        shutil.copytree(leader.path, staging, symlinks=True, dirs_exist_ok=True)
        _swap(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    _remember(build_dir, artifact, digest, leader.notes, template)
    return Built(
        artifact.logical_id,
        REUSED,
        target,
        time.monotonic() - started,
        leader.notes,
        reused_from=leader.logical_id,
        artifact=artifact,
    )


def _prune(build_dir: Path, keep: set[str], template: Path) -> None:
    """Remove the artifacts (and cache entries) of functions no longer in ``template``:
    only folders this builder made for it (a cache entry naming it, or naming no
    template: made before entries did), not another template's built into this
    folder."""
    cache = build_dir / _CACHE
    for marker in cache.glob("*.json") if cache.is_dir() else ():
        if marker.stem in keep:
            continue
        owner = _entry(marker).get("template")
        if owner is None or owner == str(template):
            shutil.rmtree(build_dir / marker.stem, ignore_errors=True)
            marker.unlink(missing_ok=True)


def built_template(
    template: Mapping[str, Any], template_dir: Path, build_dir: Path, built: Iterable[Built]
) -> dict[str, Any]:
    """``template`` as it reads from ``build_dir``: built artifacts' properties name their
    folders (relative), every other local path is made relative to ``build_dir``."""

    def rebase(where: Where, value: str) -> str:
        if os.path.isabs(value):
            return value
        return os.path.relpath(os.path.normpath(template_dir / value), build_dir)

    out = map_local(template, rebase)
    resources = out.get("Resources")
    for result in built:
        if result.path is None or result.artifact is None or not isinstance(resources, dict):
            continue
        resource = resources[result.logical_id]
        properties = resource.get("Properties")
        if not isinstance(properties, dict):
            properties = resource["Properties"] = {}
        properties[result.artifact.property_name] = os.path.relpath(result.path, build_dir)
    return out


def build(
    template_file: Path | str,
    build_dir: Path | str | None = None,
    *,
    cache: bool = True,
    pip_args: Sequence[str] = (),
    progress: Progress | None = None,
) -> BuildResult:
    """Build every function and layer of ``template_file`` and write
    ``<build dir>/template.yaml``. BuildError on the first artifact that fails (those
    built before it are kept, the output template is not written)."""
    path = Path(template_file).resolve()
    template = read_template(path, BuildError)
    out_dir = Path(build_dir).resolve() if build_dir is not None else path.parent / BUILD_DIR
    out_dir.mkdir(parents=True, exist_ok=True)
    found, results = artifacts_of(template, path.parent)
    leaders: dict[tuple[str, str | None, str, bool, str], Built] = {}
    for artifact in found:
        leader = leaders.get(artifact.share_key)
        if leader is None:
            outcome = build_artifact(
                artifact,
                out_dir,
                cache=cache,
                pip_args=pip_args,
                progress=progress,
                template=path,
            )
            leaders[artifact.share_key] = outcome
        else:
            digest = input_hash(artifact, out_dir, pip_args)
            outcome = _reuse(leader, artifact, out_dir, digest, cache, path)
        results.append(outcome)
    _prune(out_dir, {a.logical_id for a in found}, path)
    written = built_template(template, path.parent, out_dir, results)
    template_out = out_dir / "template.yaml"
    scratch = template_out.with_suffix(".yaml.tmp")
    scratch.write_text(to_yaml(written))
    scratch.replace(template_out)
    order = {logical_id: index for index, logical_id in enumerate(template.get("Resources") or {})}
    ordered = sorted(results, key=lambda b: order.get(b.logical_id, len(order)))
    return BuildResult(out_dir, template_out, written, tuple(ordered))


def build_function(
    template_file: Path | str,
    logical_id: str,
    build_dir: Path | str | None = None,
    *,
    cache: bool = True,
    pip_args: Sequence[str] = (),
    progress: Progress | None = None,
) -> Built:
    """Build the one function or layer ``logical_id`` of ``template_file`` (skipped, with
    why, if it has nothing to build). The output template is not rewritten: its path for
    this artifact does not change. BuildError if the template has no such resource."""
    path = Path(template_file).resolve()
    template = read_template(path, BuildError)
    out_dir = Path(build_dir).resolve() if build_dir is not None else path.parent / BUILD_DIR
    found, skipped = artifacts_of(template, path.parent)
    for artifact in found:
        if artifact.logical_id == logical_id:
            return build_artifact(
                artifact,
                out_dir,
                cache=cache,
                pip_args=pip_args,
                progress=progress,
                template=path,
            )
    for result in skipped:
        if result.logical_id == logical_id:
            return result
    raise BuildError(f"{path.name} has no function or layer {logical_id}")
