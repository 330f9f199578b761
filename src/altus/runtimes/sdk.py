"""The AWS SDK Lambda's Python runtimes ship: boto3 and botocore, with the packages they
need, on every Python function's ``sys.path`` after its own code and layers (a function
that bundles its own copy gets its own, as on Lambda).

It is made once per data directory and SDK version, from the distributions installed
beside the server (``altus`` pins them), into ``<data dir>/runtime/sdk/python-<boto3
version>``: hard links to the installed files where the file system allows, copies
elsewhere, each distribution's ``*.dist-info`` included (a function zygote tells
installed packages by it, and preloads boto3 for functions that import it). It is built
aside and renamed into place, so an environment never sees half of it. The linux sandbox
shows ``<data dir>/runtime/sdk`` read-only at ``/var/lang/sdk``.

Environments run with ``-B`` and cannot write bytecode there, so the first time an
interpreter runs a Python function, its bytecode of the SDK is compiled in the background
(``Compiler``, a few seconds): until then ``import boto3`` costs ~0.5 s instead of
~0.15 s.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import logging
import os
import shutil
import signal
import subprocess
import tempfile
import threading
from pathlib import Path

log = logging.getLogger(__name__)

#: What Lambda's Python runtimes carry: boto3, botocore and what they import.
DISTRIBUTIONS = ("boto3", "botocore", "s3transfer", "jmespath", "python-dateutil", "six", "urllib3")
#: Where the linux sandbox shows the SDK directory.
SDK_ROOT = "/var/lang/sdk"


def sdk_dir(data_dir: Path) -> Path:
    return data_dir / "runtime" / "sdk"


def python_sdk(root: Path) -> Path | None:
    """The SDK for Python functions under ``root``, made if missing (blocking); None where
    boto3 is not installed beside the server."""
    try:
        version = importlib.metadata.version("boto3")
        distributions = [importlib.metadata.distribution(name) for name in DISTRIBUTIONS]
    except importlib.metadata.PackageNotFoundError as missing:
        log.warning("no AWS SDK for Python functions: %s is not installed", missing)
        return None
    target = root / f"python-{version}"
    if target.is_dir():
        return target
    root.mkdir(parents=True, exist_ok=True)
    root.chmod(0o755)  # read by every environment's uid, whatever the umask
    scratch = Path(tempfile.mkdtemp(prefix=".python-", dir=root))
    try:
        scratch.chmod(0o755)
        for distribution in distributions:
            _place(distribution, scratch)
        os.rename(scratch, target)
    except OSError:
        shutil.rmtree(scratch, ignore_errors=True)
        if not target.is_dir():  # another server on this data directory made it first?
            raise
    return target


class Compiler:
    """Compiles the SDK's bytecode for each interpreter once, in the background; what
    still runs when the server closes is stopped (it only saves time)."""

    def __init__(self) -> None:
        self._done: set[str] = set()
        self._running: list[subprocess.Popen[bytes]] = []
        self._lock = threading.Lock()

    def compile_for(self, python: str, target: Path) -> None:
        if python in self._done:
            return
        self._done.add(python)
        try:
            # One process (no worker pool whose workers a killed parent would orphan),
            # in a group of its own, so that ``close`` ends all of it.
            process = subprocess.Popen(
                [python, "-m", "compileall", "-q", str(target)],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
        except OSError as error:
            log.warning("compiling the Python SDK for %s failed: %s", python, error)
            return
        with self._lock:
            self._running.append(process)
        threading.Thread(
            target=self._reap, args=(process,), name="altus-sdk-compile", daemon=True
        ).start()

    def _reap(self, process: subprocess.Popen[bytes]) -> None:
        process.wait()
        with self._lock:
            if process in self._running:
                self._running.remove(process)

    def close(self) -> None:
        """Stop what is still compiling, and wait for it to be gone (blocking)."""
        with self._lock:
            running, self._running = self._running, []
        for process in running:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
        for process in running:
            process.wait()


def _place(distribution: importlib.metadata.Distribution, into: Path) -> None:
    for entry in distribution.files or ():
        if entry.parts[0] == ".." or "__pycache__" in entry.parts:
            continue  # scripts outside site-packages; bytecode of the server's interpreter
        source = Path(str(entry.locate()))
        if not source.is_file():
            continue
        destination = into / entry
        _directory(destination.parent, into)
        try:
            os.link(source, destination)
        except OSError:
            shutil.copy2(source, destination)


def _directory(path: Path, top: Path) -> None:
    """``path`` and its parents up to ``top``, readable by every uid whatever the umask."""
    missing: list[Path] = []
    while path != top and not path.is_dir():
        missing.append(path)
        path = path.parent
    for folder in reversed(missing):
        folder.mkdir()
        folder.chmod(0o755)
