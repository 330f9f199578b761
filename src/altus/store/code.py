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
import time
import uuid
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from altus.errors import UserError


class PackageRejected(UserError):
    """A code package that cannot be stored (reported as Lambda reports it)."""

    code = "InvalidParameterValueException"


@dataclass(frozen=True, slots=True)
class CodeRef:
    """A code package in the code store, addressed by the hex SHA-256 of its zip."""

    digest: str  # hex sha256: the code store key
    sha256: str  # base64 sha256: AWS's CodeSha256
    size: int  # bytes of the zip: AWS's CodeSize
    unzipped_size: int = 0


#: Lambda's limit on a function's unzipped code (and, with layers, its whole /opt).
MAX_UNZIPPED_BYTES = 262_144_000


def layers_tree_name(digests: Sequence[str]) -> str:
    """The name of the merged /opt of these layers, in this order."""
    return "opt-" + hashlib.sha256("\n".join(digests).encode()).hexdigest()


class CodeStore:
    """Packages on a local disk."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self._unpack_lock = threading.Lock()

    def put(self, data: bytes) -> CodeRef:
        """Validate a zip and keep it. Raises PackageRejected for a broken or
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
        if target.exists():
            os.utime(target)  # in use again: not collected within the grace period
        else:
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

    def layers_tree(self, digests: list[str]) -> Path:
        """The tree a function with these layers sees at /opt: each layer's package
        unpacked over the ones before it, so a later layer's file wins (blocking). Made
        once per combination, of hard links to the layers' own unpacked trees."""
        name = layers_tree_name(digests)
        target = self.root / name
        if target.is_dir():
            return target
        trees = [self.unpacked(digest) for digest in digests]
        with self._unpack_lock:
            if target.is_dir():
                return target
            scratch = self.root / f".{name}.{uuid.uuid4().hex}"
            try:
                scratch.mkdir()
                for tree in trees:
                    _overlay(tree, scratch)
                os.rename(scratch, target)
            finally:
                if scratch.exists():
                    shutil.rmtree(scratch, ignore_errors=True)
        return target

    def collect(self, keep: set[str], grace: float = 3600.0) -> int:
        """Delete packages (and merged /opt trees) nothing references any more, and not
        touched for ``grace`` seconds: a package stored for a change not yet applied is
        not referenced yet. Returns how many went."""
        removed = 0
        cutoff = time.time() - grace
        for path in self.root.iterdir():
            digest = path.name.split(".", 1)[0]  # <digest>.zip, <digest>.compiled-*
            if path.name.startswith(".") or digest in keep:
                continue
            try:
                if path.lstat().st_mtime > cutoff:
                    continue
            except FileNotFoundError:
                continue
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
            removed += 1
        return removed


#: What every unreadable or unsafe package is told, as Lambda words it.
_UNZIP_FAILED = "Could not unzip uploaded file. Please check your file, then try to upload again."
#: A zip with no members, as Lambda words it.
_EMPTY = "Uploaded file must be a non-empty zip"

#: Linux's limits on one path component and on a whole path, in bytes.
_NAME_MAX = 255
_PATH_MAX = 4000


@dataclass(frozen=True)
class _Member:
    """One entry of a package, as it will be written under the unpack directory."""

    info: zipfile.ZipInfo
    path: PurePosixPath
    kind: str  # "dir", "file" or "link"
    link: str = ""


def inspect_zip(data: bytes) -> int:
    """Check that ``data`` is a readable, safe zip within Lambda's limits; return its
    unzipped size. Every member's CRC is checked, so a truncated upload is caught here and
    not when a cold start first needs the code, and every check :func:`extract` relies on
    runs here, so a package that is accepted always unpacks.

    The size is what the members declare, all of them, before anything is decompressed:
    a zip bomb (a small member inflating past the limit, members overlapping one
    compressed stream, many members) is refused unread, and a member holding more than it
    declares is never read past what it declares (its CRC is of that). A package is also
    refused when it is empty, or names a member outside itself (``../``, an absolute
    path) or the same file twice: what it would unpack to is not what it lists."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            if not members:
                raise PackageRejected(_EMPTY)
            total = sum(info.file_size for info in members)
            if total > MAX_UNZIPPED_BYTES:
                raise PackageRejected(
                    f"Unzipped size must be smaller than {MAX_UNZIPPED_BYTES} bytes"
                )
            _unambiguous(members)
            _plan(archive)
            if archive.testzip() is not None:
                raise zipfile.BadZipFile("bad CRC")
    except PackageRejected:
        raise
    except Exception:  # zipfile surfaces corrupt data as many types (zlib.error, ...)
        raise PackageRejected(_UNZIP_FAILED) from None
    return total


def _unambiguous(members: list[zipfile.ZipInfo]) -> None:
    """Every member names a place inside the package, and no file is named twice (a
    directory may be)."""
    files: set[PurePosixPath] = set()
    for info in members:
        if _escapes(info.filename):
            raise PackageRejected(_UNZIP_FAILED)
        relative = _safe_relative(info.filename)
        if relative is None or info.is_dir():
            continue
        if relative in files:
            raise PackageRejected(_UNZIP_FAILED)
        files.add(relative)


def extract(archive: zipfile.ZipFile, dest: Path) -> None:
    """Unpack with the Unix modes the zip records (so ``bootstrap`` stays executable) and
    its symlinks. Directories and files are written first, while no symlink exists under
    ``dest`` that a write could follow out of it; symlinks come last."""
    dest.mkdir(parents=True)
    members = _plan(archive)
    for member in members:
        target = dest / member.path
        if member.kind == "dir":
            target.mkdir(parents=True, exist_ok=True)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        if member.kind == "link":
            continue
        mode = member.info.external_attr >> 16
        permissions = stat.S_IMODE(mode) if mode else 0
        # Zips made on Windows carry no Unix mode; Lambda then makes files readable.
        permissions = (permissions | 0o444) if permissions else 0o644
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC
        fd = os.open(target, flags, 0o600)
        with archive.open(member.info) as source, os.fdopen(fd, "wb") as sink:
            shutil.copyfileobj(source, sink, 1 << 20)
            os.fchmod(sink.fileno(), permissions)
    for member in members:
        if member.kind == "link":
            os.symlink(member.link, dest / member.path)


def _plan(archive: zipfile.ZipFile) -> list[_Member]:
    """The members to write, or ``PackageRejected`` when a package could not be
    unpacked faithfully or safely: a name too long, a path that is both a file and a
    directory, a member under a symlink, or a symlink that is absolute, not UTF-8, or
    leads out of the package (even through other symlinks)."""
    members: dict[PurePosixPath, _Member] = {}
    for info in archive.infolist():
        relative = _safe_relative(info.filename)
        if relative is None:
            # A name escaping the package (refused on upload since; a package stored
            # before that still unpacks, without it).
            continue
        encoded = str(relative).encode("utf-8", "surrogateescape")
        if len(encoded) > _PATH_MAX or any(
            len(part.encode("utf-8", "surrogateescape")) > _NAME_MAX for part in relative.parts
        ):
            raise PackageRejected(_UNZIP_FAILED)
        mode = info.external_attr >> 16
        if info.is_dir():
            member = _Member(info, relative, "dir")
        elif stat.S_ISLNK(mode):
            try:
                link = archive.read(info).decode("utf-8")
            except UnicodeDecodeError:
                raise PackageRejected(_UNZIP_FAILED) from None
            member = _Member(info, relative, "link", link)
        else:
            member = _Member(info, relative, "file")
        seen = members.get(relative)
        if seen is not None and not (seen.kind == member.kind != "link"):
            raise PackageRejected(_UNZIP_FAILED)
        members[relative] = member
    kinds = {path: member.kind for path, member in members.items()}
    for path in members:
        for parent in path.parents:
            if parent.parts and kinds.setdefault(parent, "dir") != "dir":
                raise PackageRejected(_UNZIP_FAILED)  # under a file or a symlink
    for member in members.values():
        if member.kind == "link" and not _link_stays_inside(member, kinds):
            raise PackageRejected(_UNZIP_FAILED)
    return list(members.values())


def _link_stays_inside(member: _Member, kinds: dict[PurePosixPath, str]) -> bool:
    """Whether a symlink's target, walked one component at a time from its directory,
    stays inside the package without passing through another symlink (whose own target
    would make a lexical ``..`` mean something else)."""
    if not member.link or "\0" in member.link or member.link.startswith("/"):
        return False
    position = list(member.path.parent.parts)
    components = [c for c in member.link.split("/") if c not in ("", ".")]
    for index, component in enumerate(components):
        if component == "..":
            if not position:
                return False
            position.pop()
            continue
        position.append(component)
        last = index == len(components) - 1
        if not last and kinds.get(PurePosixPath(*position)) == "link":
            return False
    return True


def _escapes(name: str) -> bool:
    """Whether a member's name leads outside the package (a ``..`` part, or absolute,
    with either slash)."""
    path = PurePosixPath(name.replace("\\", "/"))
    return path.is_absolute() or ".." in path.parts


def _safe_relative(name: str) -> PurePosixPath | None:
    path = PurePosixPath(name.replace("\\", "/"))
    parts = [p for p in path.parts if p not in ("", ".", "/")]
    if not parts or any(p == ".." for p in parts) or path.is_absolute():
        return None
    return PurePosixPath(*parts)


def _overlay(source: Path, dest: Path) -> None:
    """Put ``source``'s tree over ``dest``'s: files and symlinks replace what is there, a
    directory replaces a file or symlink of its name and merges with a directory."""
    for entry in os.scandir(source):
        target = dest / entry.name
        if entry.is_dir(follow_symlinks=False):
            if target.is_symlink() or (target.exists() and not target.is_dir()):
                target.unlink()
            target.mkdir(exist_ok=True)
            _overlay(Path(entry.path), target)
            continue
        if target.is_dir() and not target.is_symlink():
            shutil.rmtree(target)
        elif target.is_symlink() or target.exists():
            target.unlink()
        if entry.is_symlink():
            os.symlink(os.readlink(entry.path), target)
        else:
            os.link(entry.path, target)  # shares the layer's (read-only) file


def _write_atomically(target: Path, data: bytes) -> None:
    scratch = target.with_name(f".{target.name}.{uuid.uuid4().hex}")
    with open(scratch, "wb") as sink:
        sink.write(data)
        sink.flush()
        os.fsync(sink.fileno())
    os.rename(scratch, target)
