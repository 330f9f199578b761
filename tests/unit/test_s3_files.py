"""Object files and their readers: a freed file stays on disk while a reader holds it
or while a lookup that may hold it is in flight, and goes when the last one is done."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

from altus.s3.files import ObjectFiles


async def _written(files: ObjectFiles, data: bytes) -> str:
    async def body() -> AsyncIterator[bytes]:
        yield data

    written = await files.write(body(), 1000)
    return written.file


def test_a_held_file_is_unlinked_when_its_last_reader_lets_go(tmp_path: Path) -> None:
    async def run() -> None:
        files = ObjectFiles(tmp_path)
        files.prepare()
        name = await _written(files, b"bytes")
        first, second = files.hold([name]), files.hold([name])
        await files.delete([name])
        assert files.path(name).exists()
        await first.release()
        await first.release()  # idempotent
        assert files.path(name).exists()
        await second.release()
        assert not files.path(name).exists()

    asyncio.run(run())


def test_a_file_freed_during_a_lookup_waits_for_it(tmp_path: Path) -> None:
    async def run() -> None:
        files = ObjectFiles(tmp_path)
        files.prepare()
        found, other = await _written(files, b"found"), await _written(files, b"other")
        async with files.looking():
            await files.delete([found, other])  # freed meanwhile: both wait
            assert files.path(found).exists() and files.path(other).exists()
            held = files.hold([found])  # the lookup holds what it found
        assert files.path(found).exists() and not files.path(other).exists()
        await held.release()
        assert not files.path(found).exists()

    asyncio.run(run())


def test_the_store_claims_only_its_own_or_empty_directories(tmp_path: Path) -> None:
    async def run() -> None:
        files = ObjectFiles(tmp_path)
        files.prepare()
        assert files.claim("one") and files.claim("one")
        assert not files.claim("two")
        fresh = ObjectFiles(tmp_path / "other")
        fresh.prepare()
        await _written(fresh, b"data")
        assert not fresh.claim("three")  # data files, and no identity: not claimed

    asyncio.run(run())
