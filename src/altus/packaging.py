"""Building deployment packages (.zip) the way Lambda expects them.

Zips are deterministic (sorted names, a fixed timestamp), so the same sources always
give the same CodeSha256, and they keep Unix modes, so an executable ``bootstrap`` stays
executable.
"""

from __future__ import annotations

import io
import os
import stat
import zipfile
from collections.abc import Mapping
from pathlib import Path

_EPOCH = (1980, 1, 1, 0, 0, 0)
#: Folders never packaged, wherever they are: caches, version control, virtualenvs,
#: the server's data folder (its secret key, database and stored code), ``sam build``'s
#: and ``altus build``'s output (a package of the template's folder would hold them).
_SKIP_DIRS = frozenset({"__pycache__", ".git", ".venv", ".altus", ".aws-sam", ".altus-build"})
#: Folders skipped where they sit in a folder of this name (npm's cache of tools).
_SKIP_IN = {"node_modules": frozenset({".cache"})}


def _skipped(directory: str, name: str, data_dir: Path | None) -> bool:
    """Whether the folder ``name`` in ``directory`` is left out of a package: a name of
    ``_SKIP_DIRS``, ``node_modules/.cache``, or the data folder ALTUS_DATA_DIR names."""
    if name in _SKIP_DIRS or name in _SKIP_IN.get(os.path.basename(directory), ()):
        return True
    return data_dir is not None and Path(directory, name).resolve() == data_dir


def _entry(name: str, mode: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=_EPOCH)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = (stat.S_IFREG | mode) << 16
    info.create_system = 3  # Unix, so the modes are honoured
    return info


def zip_files(files: Mapping[str, str | bytes], executable: tuple[str, ...] = ()) -> bytes:
    """A package from in-memory files; names in ``executable`` (and ``bootstrap``) get
    mode 0755, the rest 0644."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(files):
            content = files[name]
            data = content.encode() if isinstance(content, str) else content
            mode = 0o755 if name in executable or name.rsplit("/", 1)[-1] == "bootstrap" else 0o644
            archive.writestr(_entry(name, mode), data)
    return buffer.getvalue()


def zip_directory(root: Path) -> bytes:
    """A package of everything under ``root`` (a directory), with its files' modes, less
    the folders ``_skipped`` leaves out."""
    if not root.is_dir():
        raise NotADirectoryError(f"not a directory: {root}")
    named = os.environ.get("ALTUS_DATA_DIR")
    data_dir = Path(named).resolve() if named else None
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = sorted(d for d in dirnames if not _skipped(dirpath, d, data_dir))
            for filename in sorted(filenames):
                path = Path(dirpath) / filename
                name = path.relative_to(root).as_posix()
                mode = stat.S_IMODE(path.stat().st_mode)
                archive.writestr(_entry(name, mode), path.read_bytes())
    return buffer.getvalue()
