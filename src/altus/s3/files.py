"""Object data on disk: one immutable file per piece (a PUT's body, an uploaded part),
under ``<data_dir>/s3/``.

A body is streamed to ``tmp/<random>`` (never held whole in memory), its MD5 computed
as it goes, fsynced, then renamed into ``data/<xx>/<random>`` and the directory fsynced
(and ``data/`` itself, when ``<xx>`` is new): only then is the row that points at it
committed. So a crash leaves at worst a file no row names (in ``tmp/``, or in ``data/``
between the rename and the commit, or after a row's delete and before its file's):
``sweep`` at start removes all of ``tmp/`` and every data file the store does not name,
but only when the store is the one these files belong to (``claim``: a random id kept
both in the store and in ``s3/store-id``); another store (``memory:``, a mistyped
database URL) names none of them, and sweeping then would destroy every object. A
reader never sees a torn file: a file is named by a row only once it is whole on disk,
and is never written again.

Files a change frees are unlinked only when nobody reads them: a reader ``hold``s the
files of the version it found (a GET streaming, a copy linking or reading its source,
Lambda fetching code) and the unlink of a held file waits for the last release. The
window between finding a version and holding its files is covered by ``looking``:
files freed while a lookup is in flight wait until that lookup is over (it then holds
what it found, or found the newer version).

CopyObject links the source's files (a hard link: no bytes copied, and deleting one
name leaves the other); a ranged copy (UploadPartCopy with a range) writes a new file.
Blocking work runs on threads, a megabyte at a time.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import itertools
import logging
import os
import secrets
import shutil
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from altus.s3.model import Piece

log = logging.getLogger(__name__)

#: Bytes gathered from a request before they are written (one thread hop each).
WRITE_CHUNK = 1024 * 1024
#: Bytes read from disk at a time for a response.
READ_CHUNK = 256 * 1024
#: The file in ``s3/`` naming the store its data files belong to.
STORE_ID = "store-id"


@dataclass(frozen=True, slots=True)
class Written:
    """A file now whole on disk under its final name, not yet named by any row."""

    file: str
    size: int
    md5: bytes


class TooLarge(Exception):
    """The body went past the limit it was written with."""


class Held:
    """Files kept on disk for a reader until ``release`` (idempotent)."""

    def __init__(self, owner: ObjectFiles, files: Sequence[str]) -> None:
        self._owner = owner
        self._files: tuple[str, ...] | None = tuple(files)

    async def release(self) -> None:
        files, self._files = self._files, None
        if files is not None:
            await self._owner.unlink(self._owner.let_go(files))

    def __del__(self) -> None:
        # A reader dropped without being released (a response that never began): its
        # files must not stay held for good. Blocking, but only on that path.
        files, self._files = self._files, None
        if files is not None:
            self._owner.unlink_now(self._owner.let_go(files))


class Reading:
    """Bytes of an object's pieces as an async iterator that holds the files until it
    ends or is closed (a response body)."""

    def __init__(self, chunks: AsyncIterator[bytes], held: Held) -> None:
        self._chunks = chunks
        self._held = held

    def __aiter__(self) -> Reading:
        return self

    async def __anext__(self) -> bytes:
        try:
            return await anext(self._chunks)
        except BaseException:
            await self.aclose()
            raise

    async def aclose(self) -> None:
        try:
            closing = getattr(self._chunks, "aclose", None)
            if closing is not None:
                await closing()
        finally:
            await asyncio.shield(self._held.release())


class ObjectFiles:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.tmp = root / "tmp"
        self.data = root / "data"
        #: File -> how many readers hold it; freed files waiting for them to let go.
        self._readers: dict[str, int] = {}
        self._doomed: set[str] = set()
        #: Lookups in flight, and frees waiting for the lookups that were in flight then.
        self._ids = itertools.count()
        self._looking: set[int] = set()
        self._waiting: list[tuple[set[int], list[str]]] = []

    def prepare(self) -> None:
        self.tmp.mkdir(parents=True, exist_ok=True)
        self.data.mkdir(parents=True, exist_ok=True)

    def path(self, file: str) -> Path:
        return self.data / file[:2] / file

    # --- whose files these are -------------------------------------------------------------

    def claim(self, store_id: str) -> bool:
        """Whether these files belong to the store ``store_id`` (blocking): yes if
        ``s3/store-id`` says so, or if there is no such file and no data file yet (a
        new data directory: it is claimed for the store). No otherwise, and nothing
        on disk is then the store's to remove."""
        marker = self.root / STORE_ID
        try:
            return marker.read_text().strip() == store_id
        except FileNotFoundError:
            pass
        if any(folder.is_dir() and any(folder.iterdir()) for folder in self.data.iterdir()):
            return False
        temp = self.tmp / f"{STORE_ID}.{secrets.token_hex(4)}"
        with open(temp, "w") as handle:
            handle.write(store_id + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, marker)
        _fsync_dir(self.root)
        return True

    # --- writing ---------------------------------------------------------------------------

    async def write(self, stream: AsyncIterator[bytes], limit: int) -> Written:
        """Stream into a new file; raises whatever the stream raises (nothing is left
        behind then), or TooLarge past ``limit`` bytes."""
        name = secrets.token_hex(16)
        temp = self.tmp / name
        handle = await asyncio.to_thread(open, temp, "wb")
        digest = hashlib.md5(usedforsecurity=False)
        size = 0
        buffered: list[bytes] = []
        pending = 0
        try:
            async for chunk in stream:
                if not chunk:
                    continue
                size += len(chunk)
                if size > limit:
                    raise TooLarge()
                buffered.append(chunk)
                pending += len(chunk)
                if pending >= WRITE_CHUNK:
                    await asyncio.to_thread(_write, handle, digest, buffered)
                    buffered, pending = [], 0
            if buffered:
                await asyncio.to_thread(_write, handle, digest, buffered)
            await asyncio.to_thread(_seal, handle)
            await asyncio.to_thread(self._publish, temp, name)
        except BaseException:
            await asyncio.shield(asyncio.to_thread(_discard, handle, temp))
            raise
        return Written(name, size, digest.digest())

    def _folder(self, name: str) -> Path:
        """``data/<xx>/`` for a new file, made (and its making made durable) if new."""
        folder = self.data / name[:2]
        if not folder.is_dir():
            folder.mkdir(exist_ok=True)
            _fsync_dir(self.data)
        return folder

    def _publish(self, temp: Path, name: str) -> None:
        folder = self._folder(name)
        os.replace(temp, folder / name)
        _fsync_dir(folder)

    async def link(self, file: str) -> str:
        """A new name for ``file``'s bytes (a hard link; a copy where links fail). The
        caller holds ``file``: a missing one is a bug, raised as FileNotFoundError."""
        return await asyncio.to_thread(self._link, file)

    def _link(self, file: str) -> str:
        name = secrets.token_hex(16)
        folder = self._folder(name)
        try:
            os.link(self.path(file), folder / name)
        except FileNotFoundError:
            raise
        except OSError:  # no hard links here (EMLINK, EPERM, another file system)
            temp = self.tmp / name
            try:
                shutil.copyfile(self.path(file), temp)
                with open(temp, "rb+") as handle:
                    os.fsync(handle.fileno())
                os.replace(temp, folder / name)
            except BaseException:
                with contextlib.suppress(FileNotFoundError):
                    temp.unlink()
                raise
        _fsync_dir(folder)
        return name

    async def copy_range(self, pieces: Sequence[Piece], start: int, end: int) -> Written:
        """A new file of bytes ``start`` to ``end`` (inclusive) of an object's pieces
        (which the caller holds)."""
        return await self.write(self.chunks(pieces, start, end), end - start + 1)

    # --- readers ---------------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def looking(self) -> AsyncIterator[None]:
        """Around finding a version and holding its files: files freed meanwhile are
        unlinked only once this is over."""
        ident = next(self._ids)
        self._looking.add(ident)
        try:
            yield
        finally:
            self._looking.discard(ident)
            ready: list[str] = []
            kept: list[tuple[set[int], list[str]]] = []
            for waits, names in self._waiting:
                waits.discard(ident)
                if waits:
                    kept.append((waits, names))
                else:
                    ready.extend(names)
            self._waiting = kept
            if ready:
                await asyncio.shield(self.unlink(self._unheld(ready)))

    def hold(self, files: Iterable[str]) -> Held:
        names = tuple(files)
        for name in names:
            self._readers[name] = self._readers.get(name, 0) + 1
        return Held(self, names)

    def let_go(self, files: Iterable[str]) -> list[str]:
        """Readers of ``files`` are done: those freed meanwhile, now held by nobody."""
        gone: list[str] = []
        for name in files:
            left = self._readers.get(name, 0) - 1
            if left > 0:
                self._readers[name] = left
                continue
            self._readers.pop(name, None)
            if name in self._doomed:
                self._doomed.discard(name)
                gone.append(name)
        return gone

    def held(self, file: str) -> bool:
        return file in self._readers

    def _unheld(self, names: Iterable[str]) -> list[str]:
        """Of freed files, those nobody holds (the rest wait for their readers)."""
        now: list[str] = []
        for name in names:
            if name in self._readers:
                self._doomed.add(name)
            else:
                now.append(name)
        return now

    # --- reading ---------------------------------------------------------------------------

    def read(self, pieces: Sequence[Piece], start: int, end: int, held: Held) -> Reading:
        """Bytes ``start`` to ``end`` (inclusive) of the object made of ``pieces``,
        releasing ``held`` when done."""
        return Reading(self.chunks(pieces, start, end), held)

    async def chunks(self, pieces: Sequence[Piece], start: int, end: int) -> AsyncIterator[bytes]:
        offset = 0
        for piece in pieces:
            lo, hi = offset, offset + piece.size - 1
            offset += piece.size
            if hi < start or lo > end or piece.size == 0:
                continue
            handle = await asyncio.to_thread(open, self.path(piece.file), "rb")
            try:
                position = max(start, lo) - lo
                remaining = min(end, hi) - max(start, lo) + 1
                await asyncio.to_thread(handle.seek, position)
                while remaining > 0:
                    chunk = await asyncio.to_thread(handle.read, min(READ_CHUNK, remaining))
                    if not chunk:
                        raise OSError(f"object file {piece.file} is shorter than recorded")
                    remaining -= len(chunk)
                    yield chunk
            finally:
                await asyncio.to_thread(handle.close)

    async def read_all(self, pieces: Sequence[Piece], size: int) -> bytes:
        """A whole object (which the caller holds)."""
        if size == 0:
            return b""
        return b"".join([chunk async for chunk in self.chunks(pieces, 0, size - 1)])

    # --- removing --------------------------------------------------------------------------

    async def delete(self, files: Iterable[str]) -> None:
        """Remove files no row names any more (a missing one is no error): now, or when
        the lookups in flight are over and the last reader lets go."""
        names = list(files)
        if not names:
            return
        if self._looking:
            self._waiting.append((set(self._looking), names))
            return
        await self.unlink(self._unheld(names))

    async def unlink(self, names: list[str]) -> None:
        if names:
            await asyncio.to_thread(self.unlink_now, names)

    def unlink_now(self, names: list[str]) -> None:
        for name in names:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.path(name))

    def sweep(self, named: set[str]) -> int:
        """At start (blocking), for the store these files belong to: remove everything
        in ``tmp/`` and every data file not in ``named``; how many files went."""
        removed = 0
        for entry in list(self.tmp.iterdir()):
            with contextlib.suppress(FileNotFoundError):
                entry.unlink()
                removed += 1
        for folder in list(self.data.iterdir()):
            if not folder.is_dir():
                continue
            for entry in list(folder.iterdir()):
                if entry.name not in named:
                    with contextlib.suppress(FileNotFoundError):
                        entry.unlink()
                        removed += 1
        if removed:
            log.info("removed %d object files no object or part names", removed)
        return removed


def _write(handle: Any, digest: Any, chunks: list[bytes]) -> None:
    for chunk in chunks:
        digest.update(chunk)
        handle.write(chunk)


def _seal(handle: Any) -> None:
    handle.flush()
    os.fsync(handle.fileno())
    handle.close()


def _discard(handle: Any, temp: Path) -> None:
    with contextlib.suppress(OSError):
        handle.close()
    with contextlib.suppress(FileNotFoundError):
        temp.unlink()


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def multipart_etag(part_md5s: Sequence[bytes]) -> str:
    """S3's ETag of a multipart object: the MD5 of its parts' binary MD5s, ``-<count>``,
    quoted."""
    joined = hashlib.md5(b"".join(part_md5s), usedforsecurity=False).hexdigest()
    return f'"{joined}-{len(part_md5s)}"'


def etag_of(md5: bytes) -> str:
    """A single PUT's ETag: its MD5 in hex, quoted."""
    return f'"{md5.hex()}"'
