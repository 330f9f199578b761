"""Zips: building, checking and unpacking them."""

import io
import os
import stat
import zipfile

import pytest

from altus.control.errors import InvalidParameterValue
from altus.packaging import zip_directory, zip_files
from altus.store.code import CodeStore, extract, inspect_zip


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
    with pytest.raises(InvalidParameterValue, match="Could not unzip"):
        inspect_zip(b"PK\x03\x04 truncated")
    good = zip_files({"a": "b" * 1000})
    corrupted = good.replace(b"b" * 10, b"c" * 10, 1)
    if corrupted != good:
        with pytest.raises(InvalidParameterValue):
            inspect_zip(corrupted)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("big", b"\0" * (263 * 1024 * 1024))
    with pytest.raises(InvalidParameterValue, match="Unzipped size must be smaller"):
        inspect_zip(buffer.getvalue())


def test_extract_refuses_paths_outside_the_tree(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("../escape.txt", "no")
        archive.writestr("/abs.txt", "no")
        archive.writestr("ok/fine.txt", "yes")
        link = zipfile.ZipInfo("ok/link")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(link, "fine.txt")
        evil = zipfile.ZipInfo("ok/evil")
        evil.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(evil, "../../../etc/passwd")
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as archive:
        extract(archive, tmp_path / "out")
    assert (tmp_path / "out" / "ok" / "fine.txt").read_text() == "yes"
    assert (tmp_path / "out" / "ok" / "link").read_text() == "yes"
    assert not (tmp_path / "out" / "ok" / "evil").exists()
    assert not (tmp_path / "escape.txt").exists()
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["ok"]


def test_collect_removes_unreferenced_packages(tmp_path):
    store = CodeStore(tmp_path / "code")
    keep = store.put(zip_files({"a": "1"}))
    drop = store.put(zip_files({"a": "2"}))
    store.unpacked(drop.digest)
    store.collect({keep.digest})
    assert store.zip_path(keep.digest).exists()
    assert not store.zip_path(drop.digest).exists()
    assert not (tmp_path / "code" / drop.digest).exists()
