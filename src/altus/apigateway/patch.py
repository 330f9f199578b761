"""A generic applier of API Gateway's patch operations (``op`` add, remove, replace,
move, copy, test; ``path`` a JSON pointer, ``/`` in a segment written ``~1``) on a
document, by the paths each resource allows (``Rule``). What no rule allows is refused
as AWS refuses it: ``Invalid patch path  '<path>' specified for op '<op>'. Must be one
of: [...]`` (two spaces after ``path``, as AWS writes it). Callers patch a copy and keep
it only when every operation applied."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from altus.apigateway.errors import BadRequest

Doc = dict[str, Any]
T = TypeVar("T")
#: What a rule does: its document, the path's variable part ("" where it has none).
Putter = Callable[[Doc, str, str], None]
Dropper = Callable[[Doc, str], None]
Getter = Callable[[Doc, str], str | None]

ADD, REMOVE, REPLACE, MOVE, COPY, TEST = "add", "remove", "replace", "move", "copy", "test"


@dataclass(frozen=True)
class Rule:
    """Paths matching ``pattern`` (a regular expression of the whole path, whose one
    optional group is the variable part, unescaped) take ``ops``."""

    shown: str
    pattern: str
    ops: frozenset[str]
    put: Putter | None = None
    drop: Dropper | None = None
    get: Getter | None = None
    #: The variable part is handed over as written (still escaped).
    raw: bool = False

    def match(self, path: str) -> str | None:
        found = re.fullmatch(self.pattern, path)
        if found is None:
            return None
        if not found.groups() or not found.group(1):
            return ""
        return found.group(1) if self.raw else unescape(found.group(1))


def unescape(segment: str) -> str:
    return segment.replace("~1", "/").replace("~0", "~")


def escape(segment: str) -> str:
    return segment.replace("~", "~0").replace("/", "~1")


# --- values -----------------------------------------------------------------------------


def as_bool(value: str, path: str) -> bool:
    if value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise BadRequest(f"Invalid patch value '{value}' specified for path '{path}': not a boolean")


def as_int(value: str, path: str) -> int:
    return _convert(int, value, path, "an integer")


def as_float(value: str, path: str) -> float:
    return _convert(float, value, path, "a number")


def _convert(kind: Callable[[str], T], value: str, path: str, what: str) -> T:
    try:
        return kind(value)
    except ValueError:
        raise BadRequest(
            f"Invalid patch value '{value}' specified for path '{path}': not {what}"
        ) from None


def parse(kind: str, value: str, path: str) -> Any:
    """A patch value as ``kind`` (``str``, ``bool``, ``int``, ``float``) says."""
    if kind == "bool":
        return as_bool(value, path)
    if kind == "int":
        return as_int(value, path)
    if kind == "float":
        return as_float(value, path)
    return value


# --- rule builders ----------------------------------------------------------------------


def scalar(
    member: str,
    kind: str = "str",
    *,
    ops: Iterable[str] = (REPLACE,),
    check: Callable[[Any], None] | None = None,
) -> Rule:
    """``/<member>``: a string, bool, int or float member (``remove``, where allowed,
    deletes it)."""
    path = "/" + member

    def put(doc: Doc, _: str, value: str) -> None:
        parsed = parse(kind, value, path)
        if check is not None:
            check(parsed)
        doc[member] = parsed

    def drop(doc: Doc, _: str) -> None:
        doc.pop(member, None)

    def get(doc: Doc, _: str) -> str | None:
        found = doc.get(member)
        if found is None:
            return None
        return str(found).lower() if isinstance(found, bool) else str(found)

    return Rule(path, re.escape(path), frozenset(ops), put, drop, get)


def nested(
    path: str, at: Sequence[str], kind: str = "str", *, ops: Iterable[str] = (REPLACE,)
) -> Rule:
    """A member inside a structure (``/throttle/burstLimit``: ``at`` the keys)."""

    def put(doc: Doc, _: str, value: str) -> None:
        parsed = parse(kind, value, path)
        inner = doc
        for key in at[:-1]:
            inner = inner.setdefault(key, {})
        inner[at[-1]] = parsed

    def drop(doc: Doc, _: str) -> None:
        inner: Any = doc
        for key in at[:-1]:
            inner = inner.get(key) if isinstance(inner, dict) else None
        if isinstance(inner, dict):
            inner.pop(at[-1], None)
            if not inner and len(at) > 1:
                parent = doc
                for key in at[:-2]:
                    parent = parent.get(key, {})
                parent.pop(at[-2], None)

    def get(doc: Doc, _: str) -> str | None:
        inner: Any = doc
        for key in at:
            inner = inner.get(key) if isinstance(inner, dict) else None
        return None if inner is None else str(inner)

    return Rule(path, re.escape(path), frozenset(ops), put, drop, get)


def string_list(member: str) -> Rule:
    """``/<member>/<item>``: ``add`` appends the item (the path's last segment, or the
    value where the path ends at the member), ``remove`` takes it out."""
    path = "/" + member

    def item(key: str, value: str | None) -> str:
        found = key or (value or "")
        if not found:
            raise BadRequest(f"Invalid patch path '{path}': an item must be named")
        return found

    def put(doc: Doc, key: str, value: str) -> None:
        items = doc.setdefault(member, [])
        chosen = item(key, value)
        if chosen not in items:
            items.append(chosen)

    def drop(doc: Doc, key: str) -> None:
        items = doc.get(member) or []
        if key in items:
            items.remove(key)
        if not items:
            doc.pop(member, None)

    return Rule(
        f"{path}/<item>", re.escape(path) + r"(?:/(.+))?", frozenset((ADD, REMOVE)), put, drop
    )


def string_map(member: str, *, ops: Iterable[str] = (ADD, REPLACE, REMOVE)) -> Rule:
    """``/<member>/<key>``: an entry of a map of strings."""
    path = "/" + member

    def put(doc: Doc, key: str, value: str) -> None:
        doc.setdefault(member, {})[key] = value

    def drop(doc: Doc, key: str) -> None:
        entries = doc.get(member) or {}
        entries.pop(key, None)

    def get(doc: Doc, key: str) -> str | None:
        found = (doc.get(member) or {}).get(key)
        return None if found is None else str(found)

    return Rule(f"{path}/<key>", re.escape(path) + r"/(.+)", frozenset(ops), put, drop, get)


# --- applying ---------------------------------------------------------------------------


def removing_by_value(operations: Sequence[Mapping[str, Any]] | None, path: str) -> list[Any]:
    """``operations`` with each ``remove`` of ``path`` naming its item by value (``{"op":
    "remove", "path": "/stages", "value": "<api>/<stage>"}``, as the CLI writes it)
    written with the item in the path."""
    return [
        {**op, "path": f"{path}/{op['value']}"}
        if op.get("path") == path and op.get("op") == REMOVE and op.get("value")
        else op
        for op in operations or ()
    ]


def _find(rules: Sequence[Rule], path: str, op: str) -> tuple[Rule, str]:
    for rule in rules:
        key = rule.match(path)
        if key is not None and op in rule.ops:
            return rule, key
    allowed = [rule.shown for rule in rules if op in rule.ops]
    if not allowed:
        raise BadRequest(
            f"Invalid patch path  '{path}' specified for op '{op}'. "
            "Please choose supported operations"
        )
    raise BadRequest(
        f"Invalid patch path  '{path}' specified for op '{op}'. Must be one of: "
        f"[{', '.join(sorted(allowed))}]"
    )


def apply(doc: Doc, operations: Sequence[Mapping[str, Any]] | None, rules: Sequence[Rule]) -> None:
    """Apply ``operations`` to ``doc`` in order (raising BadRequest at the first that no
    rule allows, leaving ``doc`` partly changed: callers patch a copy)."""
    for operation in operations or ():
        op = str(operation.get("op") or "")
        path = str(operation.get("path") or "")
        if op not in (ADD, REMOVE, REPLACE, MOVE, COPY, TEST):
            raise BadRequest(
                f"Invalid patch operation '{op}'. Must be one of: add, remove, replace, "
                "move, copy, test"
            )
        if op in (MOVE, COPY):
            source = str(operation.get("from") or "")
            rule_from, key_from = _find(rules, source, REPLACE if op == COPY else REMOVE)
            if rule_from.get is None:
                raise BadRequest(f"Invalid patch path '{source}' specified for op '{op}'")
            found = rule_from.get(doc, key_from)
            if found is None:
                raise BadRequest(f"Invalid patch path '{source}': nothing is there to {op}")
            rule, key = _find(rules, path, ADD if ADD in _ops_at(rules, path) else REPLACE)
            assert rule.put is not None
            if op == MOVE and rule_from.drop is not None:
                rule_from.drop(doc, key_from)
            rule.put(doc, key, found)
            continue
        if op == TEST:
            rule, key = _find(rules, path, REPLACE if REPLACE in _ops_at(rules, path) else ADD)
            current = rule.get(doc, key) if rule.get is not None else None
            if current != operation.get("value"):
                raise BadRequest(f"The patch test of '{path}' failed")
            continue
        rule, key = _find(rules, path, op)
        if op == REMOVE:
            if rule.drop is not None:
                rule.drop(doc, key)
        else:
            assert rule.put is not None
            # An item named by the path (``/binaryMediaTypes/image~1png``) needs no value.
            given = operation.get("value")
            if given is None and not key:
                raise BadRequest(f"Invalid patch operation: op '{op}' needs a value")
            rule.put(doc, key, "" if given is None else str(given))


def _ops_at(rules: Sequence[Rule], path: str) -> frozenset[str]:
    for rule in rules:
        if rule.match(path) is not None:
            return rule.ops
    return frozenset()
