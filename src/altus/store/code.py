"""Content-addressed storage of code packages (zips) and their unpacked trees.

``<root>/<sha256-hex>.zip`` is the package as uploaded; ``<root>/<sha256-hex>/`` is its
unpacked tree, made once and shared read-only by every execution environment of every
version that uses the same code. Both appear atomically (write to a temporary name,
fsync, rename), so a crash never leaves a half-written package under its final name.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import shutil
import stat
import threading
import uuid
import zipfile
from pathlib import Path, PurePosixPath

from altus.control.errors import InvalidParameterValue
from altus.control.model import CodeRef

#: Lambda's limit on a function's unzipped code (and, with layers, its whole /opt).
MAX_UNZIPPED_BYTES = 262_144_000


class CodeStore:
    """Packages on a local disk."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self._unpack_lock = threading.Lock()

    def put(self, data: bytes) -> CodeRef:
        """Validate a zip and keep it. Raises InvalidParameterValue for a broken or
        oversized package; stores nothing then."""
        unzipped = inspect_zip(data)
        digest = hashlib.sha256(data).digest()
        ref = CodeRef(
            digest=digest.hex(),
            sha256=base64.b64encode(digest).decode(),
            size=len(data),
            unzipped_size=unzipped,
        )
        target = self.zip_path(ref.digest)
        if not target.exists():
            _write_atomically(target, data)
        return ref

    def zip_path(self, digest: str) -> Path:
        return self.root / f"{digest}.zip"

    def unpacked(self, digest: str) -> Path:
        """The unpacked tree of a stored package, unpacking it on first use (blocking)."""
        target = self.root / digest
        if target.is_dir():
            return target
        with self._unpack_lock:
            if target.is_dir():
                return target
            scratch = self.root / f".{digest}.{uuid.uuid4().hex}"
            try:
                with zipfile.ZipFile(self.zip_path(digest)) as archive:
                    extract(archive, scratch)
                os.rename(scratch, target)
            finally:
                if scratch.exists():
                    shutil.rmtree(scratch, ignore_errors=True)
        return target

    def collect(self, keep: set[str]) -> int:
        """Delete packages no version references any more. Returns how many went."""
        removed = 0
        for path in self.root.iterdir():
            digest = path.name.removesuffix(".zip")
            if path.name.startswith(".") or digest in keep:
                continue
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
            removed += 1
        return removed


def inspect_zip(data: bytes) -> int:
    """Check that ``data`` is a readable zip within Lambda's limits; return its unzipped
    size. Every member's CRC is checked, so a truncated upload is caught here and not
    when a cold start first needs the code."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            total = sum(info.file_size for info in members)
            if total > MAX_UNZIPPED_BYTES:
                raise InvalidParameterValue(
                    f"Unzipped size must be smaller than {MAX_UNZIPPED_BYTES} bytes"
                )
            if archive.testzip() is not None:
                raise zipfile.BadZipFile("bad CRC")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError, OSError,
            ValueError):
        raise InvalidParameterValue(
            "Could not unzip uploaded file. Please check your file, then try to upload again."
        ) from None
    return total


def extract(archive: zipfile.ZipFile, dest: Path) -> None:
    """Unpack with the Unix modes the zip records (so ``bootstrap`` stays executable) and
    its symlinks, refusing any member that would land outside ``dest``."""
    dest.mkdir(parents=True)
    for info in archive.infolist():
        relative = _safe_relative(info.filename)
        if relative is None:
            continue
        target = dest / relative
        mode = info.external_attr >> 16
        if info.is_dir():
            target.mkdir(parents=True, exist_ok=True)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        if stat.S_ISLNK(mode):
            link = archive.read(info).decode()
            resolved = (target.parent / link).resolve()
            if resolved.is_relative_to(dest.resolve()) and not os.path.isabs(link):
                target.symlink_to(link)
            continue
        with archive.open(info) as source, open(target, "wb") as sink:
            shutil.copyfileobj(source, sink, 1 << 20)
        permissions = stat.S_IMODE(mode) if mode else 0
        # Zips made on Windows carry no Unix mode; Lambda then makes files readable.
        target.chmod((permissions | 0o444) if permissions else 0o644)


def _safe_relative(name: str) -> PurePosixPath | None:
    path = PurePosixPath(name.replace("\\", "/"))
    parts = [p for p in path.parts if p not in ("", ".", "/")]
    if not parts or any(p == ".." for p in parts) or path.is_absolute():
        return None
    return PurePosixPath(*parts)


def _write_atomically(target: Path, data: bytes) -> None:
    scratch = target.with_name(f".{target.name}.{uuid.uuid4().hex}")
    with open(scratch, "wb") as sink:
        sink.write(data)
        sink.flush()
        os.fsync(sink.fileno())
    os.rename(scratch, target)
