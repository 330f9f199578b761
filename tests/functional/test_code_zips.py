"""Hostile code packages through boto3, against a server in this process: zip bombs,
path traversal, symlinks out, duplicate names, corrupt and non-zip uploads, to
CreateFunction, UpdateFunctionCode and PublishLayerVersion. Each is refused as Lambda
refuses it (``InvalidParameterValueException``, Lambda's words), changes no function or
layer, and leaves nothing on disk: not in the code store, not outside it."""

from __future__ import annotations

import asyncio
import base64
import functools
import io
import stat
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from altus.packaging import zip_files
from altus.testing import Harness
from tests.conftest import PYTHON_RUNTIME

UNZIP = "Could not unzip uploaded file. Please check your file, then try to upload again."
TOO_BIG = "Unzipped size must be smaller than 262144000 bytes"
EMPTY = "Uploaded file must be a non-empty zip"
MIB = 1 << 20


@dataclass(frozen=True)
class Raw:
    """One member of a zip written byte by byte: what no zip library writes."""

    name: bytes
    data: bytes  # as stored (deflated, or not)
    crc: int
    size: int  # the unzipped size it declares
    deflated: bool = True
    mode: int = stat.S_IFREG | 0o644
    #: Point at the data of the member with this index instead of writing its own.
    shares: int | None = None


def raw_zip(members: list[Raw]) -> bytes:
    """A zip of ``members`` as given: declared sizes, shared data and all."""
    out = bytearray()
    offsets: list[int] = []
    for member in members:
        if member.shares is not None:
            offsets.append(offsets[member.shares])
            continue
        offsets.append(len(out))
        out += struct.pack(
            "<IHHHHHIIIHH",
            0x04034B50,
            20,
            0,
            8 if member.deflated else 0,
            0,
            0x21,
            member.crc,
            len(member.data),
            member.size,
            len(member.name),
            0,
        )
        out += member.name + member.data
    directory = len(out)
    for member, offset in zip(members, offsets, strict=True):
        data = members[member.shares].data if member.shares is not None else member.data
        out += struct.pack(
            "<IHHHHHHIIIHHHHHII",
            0x02014B50,
            (3 << 8) | 20,
            20,
            0,
            8 if member.deflated else 0,
            0,
            0x21,
            member.crc,
            len(data),
            member.size,
            len(member.name),
            0,
            0,
            0,
            0,
            member.mode << 16,
            offset,
        )
        out += member.name
    size = len(out) - directory
    out += struct.pack(
        "<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), size, directory, 0
    )
    return bytes(out)


def deflated(data: bytes) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    return packer.compress(data) + packer.flush()


def zeros_deflated(mib: int) -> bytes:
    """``mib`` MiB of zeros, deflated (about 1 KiB a MiB), made without holding them."""
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    chunk = bytes(MIB)
    return b"".join(packer.compress(chunk) for _ in range(mib)) + packer.flush()


def _crc_of_zeros(mib: int) -> int:
    crc = 0
    chunk = bytes(MIB)
    for _ in range(mib):
        crc = zlib.crc32(chunk, crc)
    return crc


def entries(items: list[tuple[str, bytes, int]]) -> bytes:
    """A zip of (name, content, Unix mode) in that order, duplicates and links kept."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content, mode in items:
            info = zipfile.ZipInfo(name)
            info.external_attr = mode << 16
            info.create_system = 3
            archive.writestr(info, content)
    return buffer.getvalue()


@functools.cache
def _bomb() -> bytes:
    """One member, 251 MiB of zeros in about 250 KiB: past Lambda's 250 MiB unzipped."""
    return raw_zip([Raw(b"bomb.bin", zeros_deflated(251), _crc_of_zeros(251), 251 * MIB)])


def _declares_huge() -> bytes:
    """A member of two bytes that declares 300 MB."""
    return raw_zip([Raw(b"app.py", deflated(b"x=1"), zlib.crc32(b"x=1"), 300_000_000)])


def _overlapping() -> bytes:
    """300 members sharing one 1 MiB stream of zeros (a non-recursive zip bomb)."""
    first = Raw(b"m0", zeros_deflated(1), _crc_of_zeros(1), MIB)
    return raw_zip(
        [first] + [Raw(b"m%d" % i, b"", first.crc, MIB, shares=0) for i in range(1, 300)]
    )


def _many() -> bytes:
    """300 members of 1 MiB of zeros each, every one its own."""
    data = zeros_deflated(1)
    crc = _crc_of_zeros(1)
    return raw_zip([Raw(b"f%03d" % i, data, crc, MIB) for i in range(300)])


def _corrupt() -> bytes:
    good = bytearray(entries([("app.py", bytes(range(256)) * 64, stat.S_IFREG | 0o644)]))
    start = 30 + len("app.py")
    good[start : start + 64] = b"\xff" * 64
    return bytes(good)


def _longer_than_declared() -> bytes:
    """Two bytes declared, a megabyte held: unzipped no further than declared."""
    return raw_zip([Raw(b"app.py", zeros_deflated(1), zlib.crc32(b"\0\0"), 2)])


LINK = stat.S_IFLNK | 0o777
FILE = stat.S_IFREG | 0o644

#: (why, the package, what Lambda says of it)
REFUSED: list[tuple[str, Callable[[], bytes], str]] = [
    ("bomb", _bomb, TOO_BIG),
    ("declares-huge", _declares_huge, TOO_BIG),
    ("overlapping-members", _overlapping, TOO_BIG),
    ("many-members", _many, TOO_BIG),
    ("dot-dot", lambda: entries([("../../evil.py", b"x", FILE), ("app.py", b"", FILE)]), UNZIP),
    ("absolute", lambda: entries([("/tmp/evil.py", b"x", FILE), ("app.py", b"", FILE)]), UNZIP),
    ("backslashes", lambda: entries([("..\\..\\evil.py", b"x", FILE)]), UNZIP),
    ("link-out", lambda: entries([("app.py", b"../../../../etc/passwd", LINK)]), UNZIP),
    ("link-absolute", lambda: entries([("app.py", b"/etc/passwd", LINK)]), UNZIP),
    (
        "write-through-link",
        lambda: entries([("lib", b"..", LINK), ("lib/evil.py", b"x", FILE)]),
        UNZIP,
    ),
    ("duplicate", lambda: entries([("app.py", b"a=1", FILE), ("app.py", b"a=2", FILE)]), UNZIP),
    ("corrupt", _corrupt, UNZIP),
    ("truncated", lambda: zip_files({"app.py": "x" * 5000})[:-40], UNZIP),
    ("not-a-zip", lambda: b"#!/bin/sh\necho this is not a zip\n", UNZIP),
    ("empty-zip", lambda: entries([]), EMPTY),
]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Harness, Path]]:
    root = tmp_path_factory.mktemp("zips")
    data_dir = root / "data"
    with Harness(sandbox="process", clock=None, data_dir=data_dir) as harness:
        harness.create_function(
            "kept",
            files={"app.py": "def handler(e, c):\n    return 1\n"},
            runtime=PYTHON_RUNTIME,
        )
        harness.client("lambda").publish_layer_version(
            LayerName="kept-layer", Content={"ZipFile": zip_files({"python/k.py": "K = 1\n"})}
        )
        yield harness, root


def _disk(root: Path) -> set[str]:
    """Every path under the test's directory (the server's data directory in it), but
    what the server changes on its own meanwhile (the runtime SDK it compiles in the
    background, its environments' directories)."""
    moving = (root / "data" / "runtime", root / "data" / "sandboxes")
    return {
        str(p.relative_to(root))
        for p in root.rglob("*")
        if not any(p == m or m in p.parents for m in moving)
    }


def _state(lam: Any) -> tuple[Any, ...]:
    function = lam.get_function_configuration(FunctionName="kept")
    return (
        [f["FunctionName"] for f in lam.list_functions()["Functions"]],
        function["CodeSha256"],
        function["RevisionId"],
        lam.list_layer_versions(LayerName="kept-layer")["LayerVersions"],
    )


UPLOADS: dict[str, Callable[[Any, bytes], Any]] = {
    "CreateFunction": lambda lam, data: lam.create_function(
        FunctionName="hostile",
        Runtime=PYTHON_RUNTIME,
        Handler="app.handler",
        Role="arn:aws:iam::000000000000:role/any",
        Code={"ZipFile": data},
    ),
    "UpdateFunctionCode": lambda lam, data: lam.update_function_code(
        FunctionName="kept", ZipFile=data
    ),
    "PublishLayerVersion": lambda lam, data: lam.publish_layer_version(
        LayerName="kept-layer", Content={"ZipFile": data}
    ),
}


@pytest.mark.parametrize("operation", list(UPLOADS))
@pytest.mark.parametrize(("why", "package", "message"), REFUSED, ids=[r[0] for r in REFUSED])
@pytest.mark.filterwarnings("ignore:Duplicate name")
def test_hostile_packages_are_refused_and_leave_nothing(
    server: tuple[Harness, Path],
    operation: str,
    why: str,
    package: Callable[[], bytes],
    message: str,
) -> None:
    harness, root = server
    lam = harness.client("lambda")
    before, on_disk = _state(lam), _disk(root)
    data = package()
    with pytest.raises(ClientError) as refused:
        UPLOADS[operation](lam, data)
    error = refused.value.response
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert error["Error"]["Code"] == "InvalidParameterValueException"
    assert error["Error"]["Message"] == message
    assert _state(lam) == before
    assert _disk(root) == on_disk


def test_a_member_longer_than_it_declares_unzips_to_what_it_declares(
    server: tuple[Harness, Path],
) -> None:
    """Read no further than declared: a megabyte behind a two-byte entry never lands."""
    harness, _ = server
    lam = harness.client("lambda")
    created = lam.create_function(
        FunctionName="declared",
        Runtime=PYTHON_RUNTIME,
        Handler="app.handler",
        Role="arn:aws:iam::000000000000:role/any",
        Code={"ZipFile": _longer_than_declared()},
    )
    digest = base64.b64decode(created["CodeSha256"]).hex()
    tree = harness.call(lambda platform: _unpacked(platform, digest))
    assert (tree / "app.py").read_bytes() == b"\0\0"
    lam.delete_function(FunctionName="declared")


async def _unpacked(platform: Any, digest: str) -> Path:
    store = platform.components["lambda"].code
    path: Path = await asyncio.to_thread(store.unpacked, digest)
    return path


@pytest.mark.filterwarnings("ignore:Duplicate name")
def test_links_and_directories_inside_the_package_are_kept(server: tuple[Harness, Path]) -> None:
    """The control: a package whose links stay inside it, and whose directories are
    listed twice, is taken and runs."""
    harness, _ = server
    lam = harness.client("lambda")
    package = entries(
        [
            ("lib/", b"", stat.S_IFDIR | 0o755),
            ("lib/", b"", stat.S_IFDIR | 0o755),
            ("lib/real.py", b"VALUE = 7\n", FILE),
            ("lib/alias.py", b"real.py", LINK),
            (
                "app.py",
                b"import sys\nsys.path.insert(0, 'lib')\nimport alias\n"
                b"def handler(e, c):\n    return alias.VALUE\n",
                FILE,
            ),
        ]
    )
    lam.create_function(
        FunctionName="linked",
        Runtime=PYTHON_RUNTIME,
        Handler="app.handler",
        Role="arn:aws:iam::000000000000:role/any",
        Code={"ZipFile": package},
    )
    lam.get_waiter("function_active_v2").wait(
        FunctionName="linked", WaiterConfig={"Delay": 0.05, "MaxAttempts": 400}
    )
    answer = lam.invoke(FunctionName="linked", Payload=b"{}")
    assert answer["Payload"].read() == b"7"
    lam.delete_function(FunctionName="linked")
