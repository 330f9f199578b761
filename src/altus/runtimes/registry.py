"""Which runtimes Altus runs, and how each one's process is started.

- ``python3.x``: Altus's own runtime client (``runtimes/python/bootstrap.py``) on that
  Python, found on the machine; with ``-S`` so the host's site-packages stay out of the
  function's view.
- ``nodejs*``: Altus's Node.js runtime client (``runtimes/nodejs/bootstrap.js``) on the
  machine's Node.js, with the AWS SDK for JavaScript (``altus.runtimes.node_sdk``) on
  ``NODE_PATH``.
- ``provided``, ``provided.al2``, ``provided.al2023``: the package's executable
  ``bootstrap`` (then ``/opt/bootstrap`` from a layer), which speaks the Runtime API
  itself (e.g. ``python3 -m awslambdaric app.handler``).
"""

from __future__ import annotations

import functools
import glob
import logging
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from altus.errors import UserError
from altus.runtimes.node_sdk import NodeSdk
from altus.runtimes.sdk import Compiler

log = logging.getLogger(__name__)


class RuntimeRefused(UserError):
    """A runtime this server cannot run (reported as Lambda reports an unknown one)."""

    code = "InvalidParameterValueException"


RUNTIME_DIR = Path(__file__).parent
PYTHON_BOOTSTRAP = RUNTIME_DIR / "python" / "bootstrap.py"
NODE_BOOTSTRAP = RUNTIME_DIR / "nodejs" / "bootstrap.js"

PYTHON_RUNTIMES = (
    "python3.9",
    "python3.10",
    "python3.11",
    "python3.12",
    "python3.13",
    "python3.14",
)
NODE_RUNTIMES = ("nodejs18.x", "nodejs20.x", "nodejs22.x", "nodejs24.x")
PROVIDED_RUNTIMES = ("provided", "provided.al2", "provided.al2023")
SUPPORTED = PYTHON_RUNTIMES + NODE_RUNTIMES + PROVIDED_RUNTIMES

# Runtimes AWS itself no longer lets you create or update functions with.
DEPRECATED = (
    "nodejs",
    "nodejs4.3",
    "nodejs6.10",
    "nodejs8.10",
    "nodejs10.x",
    "nodejs12.x",
    "nodejs14.x",
    "nodejs16.x",
    "python2.7",
    "python3.6",
    "python3.7",
    "python3.8",
    "dotnetcore1.0",
    "dotnetcore2.0",
    "dotnetcore2.1",
    "dotnetcore3.1",
    "nodejs4.3-edge",
    "go1.x",
    "ruby2.5",
    "ruby2.7",
    "java8",
)

OPT = Path("/opt")


def _path(opt: Path) -> str:
    return f"/usr/local/bin:/usr/bin:/bin:{opt}/bin"


def _ld_library_path(opt: Path) -> str:
    return f"/lib64:/usr/lib64:{opt}/lib"


def check_runtime(runtime: str) -> None:
    """Refuse a runtime this installation cannot run, with AWS's wording where it has one."""
    if runtime in SUPPORTED:
        return
    if runtime in DEPRECATED:
        raise RuntimeRefused(
            f"The runtime parameter of {runtime} is no longer supported for creating or "
            "updating AWS Lambda functions. We recommend you use a supported runtime while "
            "creating or updating functions."
        )
    raise RuntimeRefused(
        f"The runtime parameter of {runtime} is not supported by this Altus installation. "
        f"Supported runtimes: {', '.join(SUPPORTED)}."
    )


@dataclass(frozen=True, slots=True)
class Launch:
    """How to start a runtime: the command line and the runtime's own variables."""

    argv: list[str]
    env: dict[str, str]
    execution_env: str | None  # AWS_EXECUTION_ENV, absent for provided runtimes
    #: The interpreter when ``argv`` runs Altus's Python runtime client on it.
    python: str | None = None


class Runtimes:
    """Resolves runtimes to interpreters on this machine."""

    def __init__(
        self, interpreters: Mapping[str, str], node_binary: str, node_sdk: NodeSdk | None = None
    ) -> None:
        self._overrides = dict(interpreters)
        self._node = node_binary
        #: The AWS SDK for Python functions (``altus.runtimes.sdk``), once it is made.
        self.sdk: Path | None = None
        #: The AWS SDK for JavaScript of Node.js functions, installed on first use.
        self.node_sdk = node_sdk
        self._compiler = Compiler()

    def close(self) -> None:
        """Stop background work (the SDK's compilation, its install); blocking."""
        self._compiler.close()
        if self.node_sdk is not None:
            self.node_sdk.close()

    async def settled(self, runtime: str) -> None:
        """Before a cold start of ``runtime``: wait for its SDK's install, if one is under
        way (a server that started with Node.js functions and had none of this lock)."""
        if runtime in NODE_RUNTIMES and self.node_sdk is not None:
            await self.node_sdk.settled()

    def launch(self, runtime: str, task_root: Path, opt_root: Path | None = None) -> Launch:
        """Raises FileNotFoundError (with Lambda's wording) for a missing bootstrap.

        Paths are the host's, as the engine names them: the code at ``task_root``, the
        merged layers at ``opt_root`` (``/opt`` when the function has none); an isolating
        backend shows them at /var/task and /opt."""
        opt = opt_root or OPT
        path, ld_library_path = _path(opt), _ld_library_path(opt)
        if runtime in PYTHON_RUNTIMES:
            python = self.python(runtime)
            if self.sdk is not None:
                self._compiler.compile_for(python, self.sdk)
            return Launch(
                # -B: the code is shared and read-only; its bytecode is compiled once,
                # by ``prepare``, not by whichever environment imports it first.
                argv=[python, "-S", "-B", "-u", str(PYTHON_BOOTSTRAP)],
                env={
                    "PATH": path,
                    "LD_LIBRARY_PATH": ld_library_path,
                    **({"ALTUS_PYTHON_SDK": str(self.sdk)} if self.sdk is not None else {}),
                },
                execution_env=f"AWS_Lambda_{runtime}",
                python=python,
            )
        if runtime in NODE_RUNTIMES:
            major = runtime.removeprefix("nodejs").removesuffix(".x")
            sdk = self.node_sdk.path if self.node_sdk is not None else None
            # Lambda's order: the layers, the runtime's SDK (/var/runtime/node_modules
            # there), the task root. The function's own node_modules comes before all of
            # them, as the ancestor of its code.
            node_path = ":".join(
                [
                    f"{opt}/nodejs/node{major}/node_modules",
                    f"{opt}/nodejs/node_modules",
                    *([str(sdk)] if sdk is not None else []),
                    str(task_root),
                ]
            )
            env = {"PATH": path, "LD_LIBRARY_PATH": ld_library_path, "NODE_PATH": node_path}
            missing = self.node_sdk.missing if self.node_sdk is not None and sdk is None else None
            if missing is not None:
                # For the import error of a function that needs it; the client removes it.
                env["ALTUS_NODE_SDK_MISSING"] = missing
            return Launch(
                argv=[self.node(), str(NODE_BOOTSTRAP)],
                env=env,
                execution_env=f"AWS_Lambda_{runtime}",
            )
        if runtime in PROVIDED_RUNTIMES:
            candidates = [task_root / "bootstrap", opt / "bootstrap"]
            for candidate in candidates:
                if candidate.is_file():
                    return Launch(
                        argv=[str(candidate)],
                        env={"PATH": _host_path(path), "LD_LIBRARY_PATH": ld_library_path},
                        execution_env=None,
                    )
            # Named as the function would see them.
            listed = " ".join(("/var/task/bootstrap", "/opt/bootstrap"))
            raise FileNotFoundError(f"Couldn't find valid bootstrap(s): [{listed}]")
        raise RuntimeRefused(f"Unsupported runtime {runtime}")

    def prepare(self, runtime: str | None, task_root: Path) -> None:
        """Ready unpacked code for ``runtime`` before any environment needs it (blocking):
        for Python, compile its modules to bytecode in the tree, once per interpreter
        version, so that no cold start compiles them (the tree is read-only to the
        functions). Code that does not compile is left for the import to report. For
        Node.js, install the runtime's SDK if it is not there yet (its first use)."""
        if runtime in NODE_RUNTIMES and self.node_sdk is not None:
            self.node_sdk.ensure()
            return
        if runtime not in PYTHON_RUNTIMES:
            return
        # The marker sits beside the tree, not in it: /var/task shows only the package
        # (and its __pycache__).
        marker = task_root.with_name(f"{task_root.name}.compiled-{runtime}")
        if marker.exists():
            return
        python = self.python(runtime)
        try:
            subprocess.run(
                [python, "-S", "-m", "compileall", "-q", "-j", "0", str(task_root)],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                timeout=600,
                check=False,
            )
            marker.touch()
        except (OSError, subprocess.SubprocessError) as error:
            log.warning("could not precompile %s for %s: %s", task_root, runtime, error)

    def python(self, runtime: str) -> str:
        if runtime in self._overrides:
            return self._overrides[runtime]
        return _find_python(runtime.removeprefix("python"))

    def node(self) -> str:
        return shutil.which(self._node) or self._node


def _host_path(path: str) -> str:
    # A custom runtime's bootstrap is usually a script that runs an interpreter of the
    # host (python3, node); on Lambda those live on the image's PATH, here on the host's.
    host = os.environ.get("PATH", "")
    return f"{path}:{host}" if host else path


@functools.cache
def _find_python(version: str) -> str:
    """The real interpreter for ``3.x``: on PATH, in the usual places, or under pyenv;
    otherwise the interpreter Altus runs on, with a warning."""
    candidates = [
        shutil.which(f"python{version}"),
        f"/usr/bin/python{version}",
        f"/usr/local/bin/python{version}",
    ]
    pyenv_root = os.environ.get("PYENV_ROOT", os.path.expanduser("~/.pyenv"))
    candidates += sorted(
        glob.glob(f"{pyenv_root}/versions/{version}.*/bin/python{version}"), reverse=True
    )
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK):
            resolved = _probe(candidate, version)
            if resolved:
                return resolved
    base = os.path.realpath(getattr(sys, "_base_executable", sys.executable))
    if f"{sys.version_info.major}.{sys.version_info.minor}" != version:
        log.warning(
            "python%s is not installed; python%s functions run on Python %d.%d",
            version,
            version,
            sys.version_info.major,
            sys.version_info.minor,
        )
    return base


def _probe(candidate: str, version: str) -> str | None:
    """Run the candidate once: a shim (pyenv) may exist and still not run this version."""
    try:
        out = subprocess.run(
            [
                candidate,
                "-S",
                "-c",
                "import sys; print(sys.version_info[0], sys.version_info[1]); "
                "print(sys.executable)",
            ],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.split("\n")
    except (OSError, subprocess.SubprocessError):
        return None
    if re.fullmatch(r"\d+ \d+", out[0]) and out[0].replace(" ", ".") == version:
        return out[1] or candidate
    return None
