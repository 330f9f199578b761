"""How one function's or layer's artifact is made from its sources, by its runtime's
tool (``altus build`` decides what to build and when; see ``altus.cli.build``):

- ``python``: the sources copied, then ``python -m pip install -r requirements.txt
  --target`` (in ``python/`` for a layer), with the runtime's own interpreter where it
  is on PATH and works, else this one (the notes say which);
- ``nodejs``: the sources copied without ``node_modules``, then ``npm ci --omit=dev``
  (a lock file) or ``npm install --omit=dev`` (in ``nodejs/`` for a layer), with local
  ``file:`` packages installed as copies, not links out of the artifact;
- ``makefile``: ``make build-<LogicalId>`` in a copy of the sources, with
  ``ARTIFACTS_DIR`` the artifact's folder (as ``sam build`` runs it);
- ``copy``: the sources copied as they are, for runtimes whose sources are what runs
  (and prebuilt code: a ``provided.*`` folder with its ``bootstrap``, a Java folder
  without a build file);
- ``unsupported``: a BuildMethod with no builder here (``esbuild``, ``go1.x``,
  ``rust-cargolambda``, Java's, Ruby's, .NET's): a ``BuildError`` naming it, rather than
  raw sources deployed as if built.

Copies skip ``.git``, ``__pycache__``, ``.venv``, ``.aws-sam``, build folders and the
server's data folder (``.altus``, or ``ALTUS_DATA_DIR`` where it lies inside the
sources: it holds the admin's secret key, the database and every function's code), and
``node_modules`` for Node.js (installed again). Tools run with their output captured; a
failure is a ``BuildError`` with the end of what the tool said.
"""

from __future__ import annotations

import codecs
import json
import locale
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from altus.cli.client import CliError

BUILD_DIR = ".altus-build"
#: The server's data folder when ALTUS_DATA_DIR does not name another.
DATA_DIR = ".altus"
SKIPPED_NAMES = frozenset({".git", "__pycache__", ".venv", ".aws-sam", DATA_DIR, BUILD_DIR})


class BuildError(CliError):
    """An artifact that could not be built (the tool's failure, a missing source).
    What was built before stays as it was."""


@dataclass(frozen=True, slots=True)
class Artifact:
    """One function or layer to build, as the template describes it."""

    logical_id: str
    resource_type: str
    #: The property naming the code: CodeUri, Code, ContentUri, Content.
    property_name: str
    source: Path
    #: A function's Runtime; a layer's BuildMethod (``python3.12``, ``nodejs20.x``).
    runtime: str | None
    #: ``python``, ``nodejs``, ``makefile``, ``copy`` or ``unsupported``.
    method: str
    layer: bool = False
    architecture: str = "x86_64"
    #: ``Metadata.BuildMethod`` as written (None: the runtime decides).
    build_method: str | None = None

    @property
    def share_key(self) -> tuple[str, str | None, str, bool, str]:
        """Artifacts with one key are built once."""
        return (str(self.source), self.runtime, self.method, self.layer, self.architecture)


def data_dir() -> Path:
    """The server's data folder as ``altus up`` run here finds it (``ALTUS_DATA_DIR``,
    else ``.altus``), resolved: never part of an artifact, even when it lies inside a
    function's sources (a function with no CodeUri is the template's whole folder)."""
    return Path(os.environ.get("ALTUS_DATA_DIR") or DATA_DIR).resolve()


def skipper(skipped: Iterable[str], build_dir: Path | None) -> Callable[[str, list[str]], set[str]]:
    """What a copy (``shutil.copytree``'s ``ignore``) or a hash of the sources leaves out:
    entries of these names, ``build_dir`` itself and the server's data folder (either
    may be inside the sources)."""
    names = frozenset(skipped)
    folders = {data_dir()} | ({build_dir} if build_dir is not None else set())

    def ignore(directory: str, entries: list[str]) -> set[str]:
        here = Path(directory)
        return {entry for entry in entries if entry in names or here / entry in folders}

    return ignore


def skip_names(artifact: Artifact) -> frozenset[str]:
    """The names left out of an artifact's sources (Node.js: ``node_modules`` too)."""
    return SKIPPED_NAMES | {"node_modules"} if artifact.method == "nodejs" else SKIPPED_NAMES


_REQUIREMENT_PATH = re.compile(
    r"^(?:-e\s+|--editable\s+)?(?:\S+\s*@\s*)?(?P<path>(?:file:)?[./~].*)$"
)


def local_dependencies(artifact: Artifact) -> list[Path]:
    """Local packages the artifact's dependency files name (``./lib`` or ``pkg @
    file:///...`` lines of requirements.txt; ``file:`` dependencies of package.json):
    their changes are changes of the artifact."""
    found: list[Path] = []
    source = artifact.source
    if artifact.method == "python" and (source / "requirements.txt").is_file():
        for raw in read_requirements(source / "requirements.txt").splitlines():
            line = raw.split(" #", 1)[0].strip()
            match = _REQUIREMENT_PATH.match(line)
            if match is not None:
                found.append(_local_path(source, str(match["path"])))
    elif artifact.method == "nodejs" and (source / "package.json").is_file():
        for spec in _npm_dependencies(source / "package.json").values():
            if spec.startswith("file:"):
                found.append(_local_path(source, spec))
    return [path for path in found if path.exists()]


_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def read_requirements(path: Path) -> str:
    """A requirements file's text as pip reads it: by its byte order mark (UTF-8, -16
    or -32; Windows editors write UTF-16), else UTF-8, else the locale's encoding.
    BuildError naming the file when none of those reads it."""
    data = path.read_bytes()
    # UTF-32's LE mark begins with UTF-16's: the longer marks are tried first.
    encodings = [name for bom, name in _BOMS if data.startswith(bom)][:1]
    encodings = encodings or ["utf-8", locale.getpreferredencoding(False)]
    for encoding in encodings:
        try:
            return data.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            continue
    raise BuildError(f"{path}: cannot be read as text (encodings tried: {', '.join(encodings)})")


def _local_path(base: Path, text: str) -> Path:
    text = text.removeprefix("file://").removeprefix("file:")
    return (base / Path(text).expanduser()).resolve()


def _npm_dependencies(package_json: Path) -> dict[str, str]:
    try:
        manifest = json.loads(package_json.read_text())
    except ValueError as error:
        raise BuildError(f"{package_json} is not JSON: {error}") from None
    found: dict[str, str] = {}
    for section in ("dependencies", "optionalDependencies"):
        members = manifest.get(section) if isinstance(manifest, dict) else None
        if isinstance(members, dict):
            found.update({k: v for k, v in members.items() if isinstance(v, str)})
    return found


def copy_sources(source: Path, destination: Path, artifact: Artifact, build_dir: Path) -> None:
    """Copy ``source`` (a folder, less what ``skip_names`` leaves out; or one file) into
    ``destination``, following links so the artifact holds what they point at."""
    if source.is_file():
        # A single file: Lambda's package of that one file.
        destination.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, destination / source.name)
        return
    shutil.copytree(
        source,
        destination,
        ignore=skipper(skip_names(artifact), build_dir),
        ignore_dangling_symlinks=True,
        dirs_exist_ok=True,
    )


def make(artifact: Artifact, out: Path, build_dir: Path, pip_args: Sequence[str]) -> list[str]:
    """Make ``artifact`` in the empty folder ``out`` (scratch folders in ``build_dir``);
    notes on how (which interpreter, which npm command). BuildError if a tool is missing
    or fails; ``out`` is then half made, for the caller to remove."""
    if artifact.method == "unsupported":
        raise BuildError(
            f"{artifact.logical_id}: altus build has no builder for BuildMethod "
            f"{artifact.build_method} ({artifact.runtime or 'no Runtime'}); {_PREBUILT}"
        )
    if artifact.method == "makefile":
        return _make_with_make(artifact, out, build_dir)
    if artifact.method == "copy":
        refusal = needs_compiling(artifact)
        if refusal is not None:
            raise BuildError(f"{artifact.logical_id}: {refusal}; {_PREBUILT}")
    destination = out
    if artifact.layer and artifact.method == "python":
        destination = out / "python"
    elif artifact.layer and artifact.method == "nodejs":
        destination = out / "nodejs"
    copy_sources(artifact.source, destination, artifact, build_dir)
    if artifact.method == "python":
        return _pip(artifact, destination, pip_args)
    if artifact.method == "nodejs":
        return _npm(artifact, destination)
    runtime = artifact.runtime or "a function without Runtime"
    return [f"no builder for {runtime}: sources copied as they are"]


_PREBUILT = (
    "build it with its own tools and deploy with --no-build, its CodeUri naming the "
    "built folder or .zip"
)


def needs_compiling(artifact: Artifact) -> str | None:
    """Why ``artifact``'s sources (a folder, with no BuildMethod) cannot run as they are
    on its runtime, or None: Go, Java or .NET build files, a Gemfile (bundler), a
    ``provided.*`` folder with no ``bootstrap``. Prebuilt output (a folder of what the
    build made, or one file) is copied as it is."""
    source, runtime = artifact.source, artifact.runtime or ""
    if not source.is_dir():
        return None
    names = {entry.name for entry in source.iterdir()}
    suffixes = {Path(name).suffix for name in names}
    if runtime.startswith("go"):
        if "go.mod" in names or ".go" in suffixes:
            return f"Go sources need compiling for {runtime} (BuildMethod go1.x has no builder)"
    elif runtime.startswith("java"):
        found = sorted(names & {"pom.xml", "build.gradle", "build.gradle.kts"})
        if found:
            return f"Java sources ({found[0]}) need compiling for {runtime}"
    elif runtime.startswith("dotnet"):
        if suffixes & {".csproj", ".fsproj", ".vbproj", ".sln"}:
            return f".NET sources need compiling for {runtime}"
    elif runtime.startswith("ruby"):
        if "Gemfile" in names:
            return f"the Gemfile's gems for {runtime} are not installed by altus build"
    elif runtime.startswith("provided") and "bootstrap" not in names:
        hint = ""
        if names & {"Makefile", "makefile", "GNUmakefile"}:
            hint = " (it has a Makefile: Metadata.BuildMethod makefile runs make build-<LogicalId>)"
        return f"{runtime} runs the code's bootstrap, which {source} does not have{hint}"
    return None


def _run(
    command: Sequence[str], cwd: Path, what: str, env: Mapping[str, str] | None = None
) -> None:
    try:
        done = subprocess.run(
            list(command), cwd=cwd, capture_output=True, text=True, env=dict(env) if env else None
        )
    except OSError as error:
        raise BuildError(f"{what}: cannot run {command[0]}: {error}") from None
    if done.returncode != 0:
        output = (done.stderr.strip() or done.stdout.strip())[-4000:]
        raise BuildError(f"{what} failed (exit status {done.returncode}):\n{output}")


# --- Python ------------------------------------------------------------------------------


_interpreters: dict[str, tuple[str, str]] = {}


def interpreter_for(runtime: str) -> tuple[str, str]:
    """The Python that installs a runtime's packages, and a note saying which: this one
    if its version is the runtime's, else ``pythonX.Y`` on PATH if it runs and has pip,
    else this one anyway (packages with compiled parts may then not load on the
    runtime)."""
    if runtime in _interpreters:
        return _interpreters[runtime]
    wanted = runtime.removeprefix("python")
    current = f"{sys.version_info.major}.{sys.version_info.minor}"
    chosen = (sys.executable, f"pip: {sys.executable} (Python {current})")
    if wanted != current:
        found = shutil.which(f"python{wanted}")
        if found is not None and _python_works(found, wanted):
            chosen = (found, f"pip: {found} (Python {wanted})")
        else:
            chosen = (
                sys.executable,
                f"pip: {sys.executable} (Python {current}): no working python{wanted} with pip "
                f"on PATH, so compiled packages may not suit {runtime}",
            )
    _interpreters[runtime] = chosen
    return chosen


def _python_works(path: str, version: str) -> bool:
    probe = "import sys, pip; print('%d.%d' % sys.version_info[:2])"
    try:
        done = subprocess.run([path, "-c", probe], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0 and done.stdout.strip() == version


def _pip(artifact: Artifact, destination: Path, pip_args: Sequence[str]) -> list[str]:
    requirements = artifact.source / "requirements.txt"
    if not artifact.source.is_dir() or not requirements.is_file():
        return []
    python, note = interpreter_for(artifact.runtime or "python")
    command = [
        python,
        "-m",
        "pip",
        "install",
        "--disable-pip-version-check",
        "--no-input",
        "--quiet",
        "-r",
        str(requirements),
        "--target",
        str(destination),
        *pip_args,
    ]
    # From the sources' folder, so relative paths in requirements.txt mean what they
    # mean to the author.
    _run(command, artifact.source, f"{artifact.logical_id}: pip install")
    return [note]


# --- Node.js -----------------------------------------------------------------------------


def _npm(artifact: Artifact, destination: Path) -> list[str]:
    manifest = destination / "package.json"
    if not manifest.is_file():
        return []
    npm = shutil.which("npm")
    if npm is None:
        raise BuildError(f"{artifact.logical_id}: npm is not on PATH ({artifact.runtime} needs it)")
    notes: list[str] = []
    relinked = _absolute_file_dependencies(manifest, artifact.source)
    locked = (destination / "package-lock.json").is_file() or (
        destination / "npm-shrinkwrap.json"
    ).is_file()
    verb = "ci" if locked and not relinked else "install"
    if relinked:
        notes.append(
            f"local dependencies ({', '.join(relinked)}) point at their sources: npm install, "
            "not npm ci"
        )
    command = [
        npm,
        verb,
        "--omit=dev",
        # Local packages as copies, not links out of the artifact.
        "--install-links",
        "--no-audit",
        "--no-fund",
        "--no-update-notifier",
    ]
    _run(command, destination, f"{artifact.logical_id}: npm {verb}")
    notes.insert(0, f"npm {verb} --omit=dev")
    return notes


def _absolute_file_dependencies(manifest: Path, source: Path) -> list[str]:
    """Rewrite the copied package.json's relative ``file:`` dependencies to the
    sources' folder (they are relative to it, not to the build folder); their names."""
    data = json.loads(manifest.read_text())
    changed: list[str] = []
    for section in ("dependencies", "optionalDependencies", "devDependencies"):
        members = data.get(section)
        if not isinstance(members, dict):
            continue
        for name, spec in members.items():
            if (
                isinstance(spec, str)
                and spec.startswith("file:")
                and not Path(spec[5:]).is_absolute()
            ):
                members[name] = f"file:{(source / spec[5:]).resolve()}"
                if section != "devDependencies":
                    changed.append(name)
    if changed:
        manifest.write_text(json.dumps(data, indent=2) + "\n")
    return changed


# --- make --------------------------------------------------------------------------------


def _make_with_make(artifact: Artifact, out: Path, build_dir: Path) -> list[str]:
    make = shutil.which("make")
    if make is None:
        raise BuildError(f"{artifact.logical_id}: make is not on PATH (BuildMethod makefile)")
    with tempfile.TemporaryDirectory(prefix=".scratch-", dir=build_dir) as scratch:
        work = Path(scratch) / "source"
        copy_sources(artifact.source, work, artifact, build_dir)
        target = f"build-{artifact.logical_id}"
        env = {**os.environ, "ARTIFACTS_DIR": str(out)}
        _run(
            [make, target, f"ARTIFACTS_DIR={out}"],
            work,
            f"{artifact.logical_id}: make {target}",
            env,
        )
    return [f"make build-{artifact.logical_id}"]
