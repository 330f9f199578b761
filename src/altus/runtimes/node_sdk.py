"""The AWS SDK for JavaScript v3, as Lambda's Node.js runtimes ship it, for Node.js
functions: on ``NODE_PATH`` after the function's layers, so that the function's own copy,
then a layer's, wins (as on Lambda, where it is ``/var/runtime/node_modules``).

What: the ``@aws-sdk/client-*`` of every service Altus serves or is to serve and the
libraries functions import beside them (``lib-dynamodb``, ``lib-storage``,
``s3-request-presigner`` ...), at the exact versions of ``nodejs/sdk/package.json`` and its
``package-lock.json`` (integrity hashes included).

Where: ``<data dir>/runtime/sdk/nodejs-<16 hex digits of the lock's SHA-256>``, beside the
Python SDK, so the linux sandbox shows it under ``/var/lang/sdk``.

When and how: the first time a Node.js runtime is used (a Node.js function's code is
readied, or the server starts with Node.js functions and no SDK of this lock), once per
data directory, by ``npm ci --ignore-scripts --omit=dev`` (reproducible, and no package's
install script runs) in a scratch directory beside the target, renamed into place when
complete: an environment never sees half of it, and a failed or interrupted install leaves
only a scratch directory, which the next install removes. A lock file serialises the
installs of servers sharing the data directory; the second finds the first's.

Offline: ``node_sdk_source`` names a prepared SDK (a directory holding this lock and its
``node_modules``: hard-linked into place, no npm needed) or an npm cache (``_cacache``:
``npm ci --offline --cache``). Without npm, or when the install fails, Node.js functions
run without the SDK; importing it then fails with the reason in the error.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import fcntl
import hashlib
import json
import logging
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

log = logging.getLogger(__name__)

#: The pinned SDK: the manifest and its lock, installed as they are.
PACKAGE = Path(__file__).parent / "nodejs" / "sdk"
#: Longest one install may take; npm's own network timeouts (below) end a stuck one first.
INSTALL_TIMEOUT = 900.0
# npm's defaults retry a refused connection for over a minute (2 retries, 10-60 s apart):
# a Node.js function's activation waits on the install, so fail sooner, after one retry.
_NPM_NETWORK = (
    "--fetch-timeout=30000",
    "--fetch-retries=1",
    "--fetch-retry-mintimeout=2000",
    "--fetch-retry-maxtimeout=10000",
)
#: npm's error codes that mean the registry was not reached.
_UNREACHABLE = {
    "ECONNREFUSED",
    "ECONNRESET",
    "ENOTFOUND",
    "EAI_AGAIN",
    "ETIMEDOUT",
    "ENETUNREACH",
    "EHOSTUNREACH",
    "ERR_SOCKET_TIMEOUT",
}
_TARBALL = re.compile(r"^npm http fetch GET 200 \S+\.tgz\b")
_ERROR = re.compile(r"^npm (?:error|ERR!) ?(.*)$")


class SdkUnavailable(Exception):
    """Why there is no SDK: ``str()`` is the operator's account (host paths and npm's
    words included); ``reason`` is what a function is told (neither)."""

    def __init__(self, detail: str, reason: str) -> None:
        super().__init__(detail)
        self.reason = reason


def lock_digest() -> str:
    return hashlib.sha256((PACKAGE / "package-lock.json").read_bytes()).hexdigest()[:16]


def find_npm(node_binary: str) -> str | None:
    """npm beside the Node.js functions run on (nvm and the like install them together),
    else the one on PATH; None where there is none."""
    node = shutil.which(node_binary)
    if node is not None:
        beside = Path(node).parent / "npm"
        if os.access(beside, os.X_OK):
            return str(beside)
    return shutil.which("npm")


def install(
    root: Path,
    npm: str | None,
    source: Path | None = None,
    started: list[subprocess.Popen[str]] | None = None,
) -> Path:
    """The SDK directory under ``root`` (its ``node_modules`` inside), installed if missing
    (blocking): from ``source`` where given, else from the npm registry with ``npm``.
    ``started`` receives the npm process, for a caller that may have to stop it.

    Raises SdkUnavailable, leaving nothing of the attempt behind."""
    target = root / f"nodejs-{lock_digest()}"
    if target.is_dir():
        return target
    root.mkdir(parents=True, exist_ok=True)
    root.chmod(0o755)  # read by every environment's uid, whatever the umask
    with _exclusive(root / ".nodejs.lock"):
        if target.is_dir():  # another server on this data directory made it meanwhile
            return target
        for stale in root.glob(".nodejs-*"):  # left by an install that died: ours is the lock
            shutil.rmtree(stale, ignore_errors=True)
        scratch = Path(tempfile.mkdtemp(prefix=".nodejs-", dir=root))
        try:
            scratch.chmod(0o755)
            for name in ("package.json", "package-lock.json"):
                shutil.copyfile(PACKAGE / name, scratch / name)
                (scratch / name).chmod(0o644)
            if source is not None and not source.is_dir():
                raise SdkUnavailable(
                    f"node_sdk_source {source} is not a directory",
                    "the configured node_sdk_source does not hold it",
                )
            if source is not None and (source / "node_modules").is_dir():
                _link_prepared(source, scratch)
            else:
                if source is not None and not (source / "_cacache").is_dir():
                    raise SdkUnavailable(
                        f"node_sdk_source {source} holds neither a prepared SDK "
                        "(package-lock.json and node_modules) nor an npm cache (_cacache)",
                        "the configured node_sdk_source does not hold it",
                    )
                if npm is None:
                    raise SdkUnavailable(
                        "npm is not installed", "npm is not installed on the Altus server"
                    )
                _npm_ci(npm, scratch, source, started)
            os.rename(scratch, target)
        except BaseException:
            shutil.rmtree(scratch, ignore_errors=True)
            raise
    return target


@contextlib.contextmanager
def _exclusive(path: Path) -> Iterator[None]:
    # flock, not a pid file: the kernel releases it when its holder dies.
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _link_prepared(source: Path, into: Path) -> None:
    """A prepared SDK, made for this very lock, placed as hard links (copies across file
    systems, and of files other uids could not read)."""
    lock = source / "package-lock.json"
    if not lock.is_file() or lock.read_bytes() != (PACKAGE / "package-lock.json").read_bytes():
        raise SdkUnavailable(
            f"node_sdk_source {source} was prepared for another package-lock.json than the "
            f"one this Altus pins ({PACKAGE / 'package-lock.json'})",
            "the configured node_sdk_source holds another version of it",
        )
    log.info("placing the AWS SDK for JavaScript from %s", source)
    top = source / "node_modules"
    for folder, directories, files in os.walk(top):
        relative = Path(folder).relative_to(source)
        made = into / relative
        made.mkdir(exist_ok=True)
        made.chmod(0o755)
        directories.sort()
        for name in files:
            origin = Path(folder) / name
            if origin.is_symlink():  # npm's .bin links: functions never run them
                continue
            readable = origin.stat().st_mode & 0o444 == 0o444
            try:
                if not readable:
                    raise PermissionError
                os.link(origin, made / name)
            except OSError:
                shutil.copyfile(origin, made / name)
                (made / name).chmod(0o644)


def _npm_ci(
    npm: str, into: Path, cache: Path | None, started: list[subprocess.Popen[str]] | None
) -> None:
    argv = [
        npm,
        "ci",
        "--ignore-scripts",
        "--omit=dev",
        "--no-audit",
        "--no-fund",
        "--no-update-notifier",
        # Each download on a line of its own: counted below into the progress shown.
        "--loglevel=http",
        *_NPM_NETWORK,
    ]
    if cache is not None:
        # --logs-max=0: npm would write its debug log into the (perhaps read-only) cache.
        argv += ["--offline", "--cache", str(cache), "--logs-max=0"]
    total = _packages()
    where = f"the npm cache {cache}" if cache is not None else "the npm registry"
    failed = f"npm ci from {where} failed"
    log.info("installing the AWS SDK for JavaScript v3 (%d packages) from %s", total, where)
    began = time.monotonic()
    # npm is a script run by `env node`: the node beside it (find_npm) comes first.
    env = {**os.environ, "PATH": f"{Path(npm).parent}:{os.environ.get('PATH', '')}"}
    try:
        process = subprocess.Popen(
            argv,
            cwd=into,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
            umask=0o022,  # the files are read by every environment's uid
            start_new_session=True,  # so that stopping it stops all of it
        )
    except OSError as error:
        raise SdkUnavailable(f"npm could not run: {error}", "npm could not run") from None
    if started is not None:
        started.append(process)
    timed_out = threading.Event()

    def expire() -> None:
        timed_out.set()
        _stop(process)

    timer = threading.Timer(INSTALL_TIMEOUT, expire)
    timer.daemon = True
    timer.start()
    errors: list[str] = []
    code: str | None = None
    fetched, shown = 0, 0
    assert process.stdout is not None
    try:
        for line in process.stdout:  # ends when npm does (the timer bounds it)
            line = line.rstrip()
            if _TARBALL.match(line):
                fetched += 1
                if fetched * 4 // max(total, 1) > shown:  # a line at each quarter
                    shown = fetched * 4 // max(total, 1)
                    log.info("AWS SDK for JavaScript: %d/%d packages fetched", fetched, total)
            elif said := _ERROR.match(line):
                text = said.group(1).strip()
                if text.startswith("code ") and code is None:
                    code = text.removeprefix("code ").strip()
                # Not the stack, nor the error object npm dumps after it (`code: '...',`).
                dumped = text.startswith("at ") or text.endswith(",") or text == "}"
                if text and not dumped and len(errors) < 12:
                    errors.append(text)
            elif line.startswith("npm warn") or line.startswith("npm WARN"):
                log.warning("%s", line)
            elif line.startswith("added "):
                log.info("npm: %s", line)
        returncode = process.wait()
    finally:
        timer.cancel()
    if returncode == 0:
        log.info("installed the AWS SDK for JavaScript in %.1f s", time.monotonic() - began)
        return
    detail = "; ".join(errors) or f"npm ci exited with status {returncode}"
    if timed_out.is_set():
        raise SdkUnavailable(
            f"npm ci from {where} did not finish in {INSTALL_TIMEOUT:.0f} s",
            "its installation by npm did not finish in time",
        )
    if code in _UNREACHABLE:
        reason = f"the npm registry could not be reached ({code})"
    elif code == "ENOTCACHED":
        reason = f"the npm cache of node_sdk_source lacks some of its packages ({code})"
    elif code is not None:
        reason = f"npm could not install it ({code})"
    elif returncode < 0:
        reason = "its installation was stopped"
    else:
        reason = f"npm could not install it (exit status {returncode})"
    raise SdkUnavailable(f"{failed}: {detail}", reason)


def _stop(process: subprocess.Popen[str]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


def _packages() -> int:
    lock = json.loads((PACKAGE / "package-lock.json").read_text())
    return sum(
        1 for name, entry in lock.get("packages", {}).items() if name and not entry.get("dev")
    )


class NodeSdk:
    """The SDK of this server's Node.js functions: found, or installed once (one install
    at a time; callers that come while it runs wait for it)."""

    def __init__(self, root: Path, npm: str | None, source: Path | None = None) -> None:
        self._root = root
        self._npm = npm
        self._source = source
        self._lock = threading.Lock()
        self._path: Path | None = None
        self._running: concurrent.futures.Future[Path | None] | None = None
        self._reason: str | None = None
        self._started: list[subprocess.Popen[str]] = []
        self._warned = False
        self._closed = False

    @property
    def path(self) -> Path | None:
        """The ``node_modules`` to put on NODE_PATH, if the SDK is installed."""
        if self._path is None and self._running is None:
            made = self._root / f"nodejs-{lock_digest()}"
            if made.is_dir():  # made by another server on this data directory
                self._path = made / "node_modules"
        return self._path

    @property
    def missing(self) -> str | None:
        """Why functions have no SDK, when an install was tried and failed (or is under
        way); for the function's import error, without host paths."""
        if self.path is not None:
            return None
        if self._running is not None:
            return "it is still being installed"
        return self._reason

    def ensure(self) -> Path | None:
        """The SDK's ``node_modules``, installed if missing (blocking); None when it could
        not be (the reason is logged, and kept for the functions' errors)."""
        future, mine = self._claim()
        if mine:
            self._run(future)
        return future.result()

    def begin(self) -> None:
        """Install in the background if missing (a server starting with Node.js
        functions): cold starts meanwhile wait for it (``settled``)."""
        future, mine = self._claim()
        if mine:
            threading.Thread(
                target=self._run, args=(future,), name="altus-node-sdk", daemon=True
            ).start()

    async def settled(self) -> None:
        """Wait for the install under way, if any (bounded by INSTALL_TIMEOUT)."""
        running = self._running
        if running is not None:
            await asyncio.wrap_future(running)

    def close(self) -> None:
        """Stop an install under way; it leaves nothing behind (blocking)."""
        with self._lock:
            self._closed = True
            running, started = self._running, list(self._started)
        for process in started:
            _stop(process)
        if running is not None:
            with contextlib.suppress(Exception):
                running.result(timeout=60)

    def _claim(self) -> tuple[concurrent.futures.Future[Path | None], bool]:
        with self._lock:
            if self._running is not None:
                return self._running, False
            future: concurrent.futures.Future[Path | None] = concurrent.futures.Future()
            if self.path is not None or self._closed:
                future.set_result(self._path)
                return future, False
            self._running = future
            return future, True

    def _run(self, future: concurrent.futures.Future[Path | None]) -> None:
        found: Path | None = None
        try:
            found = install(self._root, self._npm, self._source, self._started) / "node_modules"
            self._reason = None
        except SdkUnavailable as error:
            self._reason = error.reason
            if self._npm is None and self._source is None:
                if not self._warned:  # the machine's state, not a failure: said once
                    self._warned = True
                    log.warning(
                        "Node.js functions get no AWS SDK for JavaScript: npm is not "
                        "installed (install it, or set node_sdk_source; docs/runtimes.md)"
                    )
            elif not self._closed:  # else it was stopped with the server
                log.error("could not install the AWS SDK for JavaScript: %s", error)
        except Exception as error:  # the disk: full, or not ours to write
            self._reason = "Altus could not install it"
            log.exception("could not install the AWS SDK for JavaScript: %s", error)
        finally:
            with self._lock:
                self._path = found
                self._running = None
                self._started.clear()
            future.set_result(found)
