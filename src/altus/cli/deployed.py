"""What the last deploy of a stack left current, for ``altus sync`` to tell a change of
function code alone (which it sends straight to the functions) from anything else
(which it deploys).

A deploy's *fingerprint* is a hash of what it depends on besides function code: the
template's text, every local file or folder the template names that is not a
function's code (layers, API and state machine definitions, included snippets), the
local packages of layers built by BuildMethod, and the deploy's options (parameters,
capabilities, tags, bucket). A deploy that leaves the stack current records it, with
the stack's id, in ``<build dir>/.deployed/<stack>.json`` (beside the artifacts
``altus build`` makes; written whole, by rename).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from altus.cli.build import Artifact, artifacts_of, input_hash
from altus.cli.client import CliError
from altus.cli.package import GLOBAL_CODE, Where, map_local, read_template

_FUNCTION_TYPES = ("AWS::Serverless::Function", "AWS::Lambda::Function")
#: Part of every fingerprint: changing what goes into one makes every record stale.
_VERSION = "altus-deploy 1"


def fingerprint(template_file: Path, build_dir: Path, options: Sequence[Any]) -> str | None:
    """The fingerprint of deploying ``template_file`` with ``options`` (JSON values).
    None for a template naming local nested templates, whose own files are not looked
    into: such a template is always deployed whole. CliError if it does not parse."""
    template_dir = template_file.parent
    template = read_template(template_file, CliError)
    digest = hashlib.sha256(json.dumps([_VERSION, *options]).encode())
    digest.update(template_file.read_bytes())
    nested = False

    def visit(where: Where, value: str) -> str:
        nonlocal nested
        if where.spot.template:
            nested = True
        elif where.spot is not GLOBAL_CODE and where.spot.resource_type not in _FUNCTION_TYPES:
            path = Path(os.path.normpath(template_dir / value))
            digest.update(f"\0{where.logical_id}.{where.spot.property_name}\0".encode())
            digest.update(_content_hash(path, build_dir).encode())
        return value

    map_local(template, visit)
    for artifact in artifacts_of(template, template_dir)[0]:
        if artifact.layer and artifact.source.exists():
            digest.update(f"\0layer {artifact.logical_id}\0".encode())
            digest.update(input_hash(artifact, build_dir).encode())
    return None if nested else digest.hexdigest()


def _content_hash(path: Path, build_dir: Path) -> str:
    """A file's or folder's contents (as ``altus build`` hashes sources)."""
    if not path.exists():
        return "missing"
    return input_hash(Artifact("file", "file", "path", path, None, "copy"), build_dir)


def _record(build_dir: Path, stack_name: str) -> Path:
    return build_dir / ".deployed" / f"{stack_name}.json"


def remember(build_dir: Path, stack_name: str, stack_id: str, found: str | None) -> None:
    """Record that the stack ``stack_id`` is current with the fingerprint ``found``."""
    record = _record(build_dir, stack_name)
    record.parent.mkdir(parents=True, exist_ok=True)
    scratch = record.with_suffix(".tmp")
    scratch.write_text(json.dumps({"stack_id": stack_id, "fingerprint": found}))
    scratch.replace(record)


def remembered(build_dir: Path, stack_name: str) -> tuple[str, str] | None:
    """(stack id, fingerprint) of the last deploy that left the stack current; None if
    there was none (or its template is always deployed whole)."""
    try:
        found = json.loads(_record(build_dir, stack_name).read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(found, dict):
        return None
    stack_id, value = found.get("stack_id"), found.get("fingerprint")
    if isinstance(stack_id, str) and isinstance(value, str):
        return stack_id, value
    return None
