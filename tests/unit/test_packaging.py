"""Zips: building, checking and unpacking them."""

import io
import os
import stat
import zipfile

import pytest

from altus.packaging import zip_directory, zip_files
from altus.store.code import CodeStore, PackageRejected, extract, inspect_zip, layers_tree_name


def test_zip_files_is_deterministic_and_keeps_modes(tmp_path):
    first = zip_files({"b.py": "x", "bootstrap": "#!/bin/sh\n"})
    assert first == zip_files({"bootstrap": "#!/bin/sh\n", "b.py": "x"})
    store = CodeStore(tmp_path / "code")
    ref = store.put(first)
    tree = store.unpacked(ref.digest)
    assert os.access(tree / "bootstrap", os.X_OK)
    assert stat.S_IMODE((tree / "b.py").stat().st_mode) == 0o644
    assert store.unpacked(ref.digest) == tree  # unpacked once


def test_zip_directory(tmp_path):
    (tmp_path / "src" / "pkg").mkdir(parents=True)
    (tmp_path / "src" / "pkg" / "m.py").write_text("y")
    (tmp_path / "src" / "__pycache__").mkdir()
    (tmp_path / "src" / "__pycache__" / "junk.pyc").write_text("z")
    names = zipfile.ZipFile(io.BytesIO(zip_directory(tmp_path / "src"))).namelist()
    assert names == ["pkg/m.py"]


def test_broken_and_oversized_zips_are_refused():
    with pytest.raises(PackageRejected, match="Could not unzip"):
        inspect_zip(b"PK\x03\x04 truncated")
    good = zip_files({"a": "b" * 1000})
    corrupted = good.replace(b"b" * 10, b"c" * 10, 1)
    if corrupted != good:
        with pytest.raises(PackageRejected):
            inspect_zip(corrupted)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("big", b"\0" * (263 * 1024 * 1024))
    with pytest.raises(PackageRejected, match="Unzipped size must be smaller"):
        inspect_zip(buffer.getvalue())


def _package(entries: list[tuple[str, str | bytes, bool]]) -> bytes:
    """A zip of (name, content, is_symlink) entries, in that order."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content, is_link in entries:
            info = zipfile.ZipInfo(name)
            kind = stat.S_IFLNK | 0o777 if is_link else stat.S_IFREG | 0o644
            info.external_attr = kind << 16
            archive.writestr(info, content)
    return buffer.getvalue()


def test_corrupt_compressed_data_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("app.py", bytes(range(256)) * 64)
    data = bytearray(buffer.getvalue())
    start = 30 + len("app.py")  # the deflate stream begins after the local header
    data[start : start + 64] = b"\xff" * 64
    with pytest.raises(PackageRejected, match="Could not unzip"):
        inspect_zip(bytes(data))


@pytest.mark.parametrize("name", ["../escape.txt", "/abs.txt", "ok/../../x", "..\\win.txt", "\\x"])
def test_names_outside_the_tree_are_refused(name):
    with pytest.raises(PackageRejected, match="Could not unzip"):
        inspect_zip(_package([(name, "no", False), ("ok/fine.txt", "yes", False)]))


def test_empty_zip_is_refused():
    buffer = io.BytesIO()
    zipfile.ZipFile(buffer, "w").close()
    with pytest.raises(PackageRejected, match="Uploaded file must be a non-empty zip"):
        inspect_zip(buffer.getvalue())


def test_extract_skips_names_outside_the_tree(tmp_path):
    """A package stored before such names were refused still unpacks, without them."""
    data = _package(
        [
            ("../escape.txt", "no", False),
            ("/abs.txt", "no", False),
            ("ok/fine.txt", "yes", False),
            ("ok/link", "fine.txt", True),
            ("ok/up", "../ok/fine.txt", True),
        ]
    )
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        extract(archive, tmp_path / "out")
    assert (tmp_path / "out" / "ok" / "fine.txt").read_text() == "yes"
    assert (tmp_path / "out" / "ok" / "link").read_text() == "yes"
    assert (tmp_path / "out" / "ok" / "up").read_text() == "yes"
    assert not (tmp_path / "escape.txt").exists()
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["ok"]


@pytest.mark.parametrize(
    "entries",
    [
        pytest.param([("evil", "../../../etc/passwd", True)], id="link-out"),
        pytest.param([("evil", "/etc/passwd", True)], id="absolute-link"),
        pytest.param([("evil", b"\xff\xfe", True)], id="non-utf8-link"),
        pytest.param(
            [("b", ".", True), ("a", "b/..", True), ("a/x", "no", False)], id="through-a-link"
        ),
        # Each link alone looks harmless read lexically; followed, the chain climbs out.
        pytest.param(
            [
                ("a3", "b3/..", True),
                ("b3", "a2", True),
                ("a2", "b2/..", True),
                ("b2", "a", True),
                ("a", "b/..", True),
                ("b", ".", True),
                ("a3/x", "escaped", False),
            ],
            id="symlink-chain",
        ),
        pytest.param([("d", "x", False), ("d/f", "y", False)], id="file-and-directory"),
        pytest.param([("l", "t", True), ("l", "u", True)], id="duplicate-link"),
        pytest.param([("n" * 300, "x", False)], id="name-too-long"),
    ],
)
@pytest.mark.filterwarnings("ignore:Duplicate name")
def test_unsafe_or_unfaithful_packages_are_refused(tmp_path, entries):
    data = _package([(name, content, link) for name, content, link in entries])
    with pytest.raises(PackageRejected, match="Could not unzip"):
        inspect_zip(data)
    # And were one ever stored, unpacking it writes nothing outside its directory.
    with zipfile.ZipFile(io.BytesIO(data)) as archive, pytest.raises(PackageRejected):
        extract(archive, tmp_path / "deep" / "out")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["deep"]


@pytest.mark.filterwarnings("ignore:Duplicate name")
def test_duplicate_files_are_refused_and_stored_ones_keep_the_last(tmp_path):
    data = _package([("f", "first", False), ("f", "second", False)])
    with pytest.raises(PackageRejected, match="Could not unzip"):
        inspect_zip(data)
    # A package stored before duplicates were refused unpacks as unzip -o would.
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        extract(archive, tmp_path / "out")
    assert (tmp_path / "out" / "f").read_text() == "second"


def test_collect_removes_unreferenced_packages(tmp_path):
    store = CodeStore(tmp_path / "code")
    keep = store.put(zip_files({"a": "1"}))
    drop = store.put(zip_files({"a": "2"}))
    store.unpacked(drop.digest)
    store.collect({keep.digest}, grace=0)
    assert store.zip_path(keep.digest).exists()
    assert not store.zip_path(drop.digest).exists()
    assert not (tmp_path / "code" / drop.digest).exists()


def test_layers_tree_lays_later_layers_over_earlier_ones(tmp_path):
    store = CodeStore(tmp_path / "code")
    first = store.put(
        zip_files({"python/shared.py": "A", "python/pkg/one.py": "1", "bin/tool": "old"})
    )
    second = store.put(
        zip_files({"python/shared.py": "B", "python/pkg/two.py": "2", "bin": "now a file"})
    )
    tree = store.layers_tree([first.digest, second.digest])
    assert (tree / "python/shared.py").read_text() == "B"
    assert sorted(p.name for p in (tree / "python/pkg").iterdir()) == ["one.py", "two.py"]
    assert (tree / "bin").read_text() == "now a file"
    assert store.layers_tree([first.digest, second.digest]) == tree  # made once
    assert store.layers_tree([second.digest, first.digest]) != tree  # order matters
    # Kept while a configuration uses the combination (its name is referenced).
    store.collect(
        {first.digest, second.digest, layers_tree_name([first.digest, second.digest])}, grace=0
    )
    assert tree.is_dir()
    store.collect({first.digest, second.digest}, grace=0)
    assert not tree.exists() and not list((tmp_path / "code").glob("opt-*"))
    # Nothing is collected that was stored or used within the grace period.
    fresh = store.put(zip_files({"f": "new"}))
    store.collect(set())
    assert store.zip_path(fresh.digest).exists()
