"""Checking an operation's input members against its model, as AWS's services do before
they look at a value.

A protocol parser turns the wire into members of the right Python types (numbers from
query strings, bytes from base64, ...); ``check`` then applies the model's constraints:
required members, lengths, ranges, patterns and enums, and a member of the wrong type.
It does not word the errors: each service does (``Violations``), because services word
them differently (Lambda: ``1 validation error detected: Value '64' at 'memorySize'
failed to satisfy constraint: ...`` as a ``ValidationException``; SQS: ``The request
must contain the parameter QueueUrl.`` as ``MissingParameter``).

The model's patterns are Java regular expressions; Python's ``re`` has no Unicode
property classes, so those become the nearest Unicode-aware classes it has.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import functools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import regex

from altus.api.model import Overrides
from altus.errors import AltusError

_JAVA_CLASSES = {
    r"\p{L}": r"\w",
    r"\p{N}": r"\d",
    r"\p{Z}": r"\s",
    # Step Functions' traceHeader.
    r"\p{ASCII}": r"[\x00-\x7f]",
    # Java's UTF-16 pair for the supplementary planes (DynamoDB's AutoScalingRoleArn).
    r"\uD800\uDC00-\uDBFF\uDFFF": r"\U00010000-\U0010FFFF",
}


class _Matcher(Protocol):
    def fullmatch(self, string: str) -> object: ...


@functools.cache
def _pattern(java: str) -> _Matcher:
    text = java
    for name, python in _JAVA_CLASSES.items():
        text = text.replace(name, python)
    try:
        return re.compile(text)
    except re.error:
        # What ``re`` cannot read: other Unicode property classes (``\p{P}``, ``\p{M}``),
        # which the ``regex`` module knows, and a class shorthand before ``-`` in a set
        # (``[\w-_]``), which Java reads as a literal ``-``.
        return regex.compile(re.sub(r"(\\[wdsWDS])-", r"\1\\-", java))


@dataclass(frozen=True, slots=True)
class Problem:
    """One constraint a member breaks."""

    #: ``required`` (absent) or ``constraint`` (present and out of bounds).
    kind: str
    #: The member's name in the model (``MemorySize``) and its path as AWS reports it
    #: (``memorySize``, ``environment.variables``).
    member: str
    path: str
    #: The value as AWS shows it (``'64'``; "" for structures, lists and blobs).
    shown: str
    #: What it fails: ``Member must have value greater than or equal to 128``.
    constraint: str

    def coral(self) -> str:
        """AWS's usual wording (Coral): ``Value '64' at 'memorySize' failed to satisfy
        constraint: Member must ...``."""
        value = "null" if self.kind == "required" else (self.shown or "")
        prefix = f"Value {value} at" if value else "Value at"
        return f"{prefix} '{self.path}' failed to satisfy constraint: {self.constraint}"


class Lazy:
    """A member read later by the operation itself (a blob payload, streamed or bounded by
    the operation): present for validation, its content not checked here."""


class Unreadable(Exception):
    """A member whose value is not of its shape's type (or not decodable at all)."""

    def __init__(self, member: str, path: str, expected: str, value: Any = None) -> None:
        super().__init__(f"'{path}': expected {expected}")
        self.member = member
        self.path = path
        self.expected = expected
        self.value = value


class Violations(Protocol):
    """How a service words what its model refuses."""

    def invalid(self, problems: list[Problem]) -> AltusError:
        """The error for members that break constraints (every problem found)."""
        ...

    def unreadable(self, error: Unreadable) -> AltusError:
        """The error for a member of the wrong type, or a body that is not one."""
        ...


class CoralViolations:
    """The wording of services that refuse whatever their model does with one error,
    ``error`` (IAM's and STS's ``ValidationError``), in Coral's words."""

    def __init__(self, error: Callable[[str], AltusError]) -> None:
        self._error = error

    def invalid(self, problems: list[Problem]) -> AltusError:
        return self._error(coral_message(problems))

    def unreadable(self, error: Unreadable) -> AltusError:
        where = f" at '{error.path}'" if error.path else ""
        return self._error(f"Value{where} is not {error.expected}.")


def coral_message(problems: list[Problem]) -> str:
    """``N validation error(s) detected: <problem>; <problem>``."""
    noun = "error" if len(problems) == 1 else "errors"
    return f"{len(problems)} validation {noun} detected: " + "; ".join(p.coral() for p in problems)


def camel(name: str) -> str:
    return name[:1].lower() + name[1:]


def check(
    shape: Any, value: Mapping[str, Any], overrides: Overrides
) -> tuple[dict[str, Any], list[Problem]]:
    """Check an input structure; returns the members (blobs as bytes) and every
    constraint broken. Raises Unreadable for a member of the wrong type. Members the
    model does not know are dropped at the top (as AWS ignores them) and refused below."""
    problems: list[Problem] = []
    checked = _Checker(overrides, problems).structure(shape, value, "", top=True)
    return checked, problems


class _Checker:
    def __init__(self, overrides: Overrides, problems: list[Problem]) -> None:
        self._overrides = overrides
        self._problems = problems

    def structure(self, shape: Any, value: Any, path: str, top: bool = False) -> dict[str, Any]:
        if not isinstance(value, Mapping):
            raise Unreadable(shape.name, path.rstrip("."), "an object", value)
        members = shape.members
        out: dict[str, Any] = {}
        required = shape.required_members
        for name, member in members.items():
            item = value.get(name)
            if item is None:
                if name in required:
                    self._problems.append(
                        Problem(
                            "required", name, f"{path}{camel(name)}", "", "Member must not be null"
                        )
                    )
                continue
            out[name] = self.value(member, name, item, f"{path}{camel(name)}")
        if not top:
            unknown = [k for k in value if k not in members]
            if unknown:
                raise Unreadable(
                    sorted(unknown)[0],
                    f"{path}{sorted(unknown)[0]}",
                    "a member of the model (unrecognized field)",
                )
        return out

    def value(self, shape: Any, member: str, value: Any, path: str) -> Any:
        kind = shape.type_name
        meta = self._overrides.limit(shape)
        if kind == "structure":
            return self.structure(shape, value, f"{path}.")
        if kind == "list":
            if not isinstance(value, list):
                raise Unreadable(member, path, "a list", value)
            self._size(meta, len(value), "", member, path)
            return [
                self.value(shape.member, member, item, f"{path}.{i + 1}.member")
                for i, item in enumerate(value)
            ]
        if kind == "map":
            if not isinstance(value, Mapping):
                raise Unreadable(member, path, "an object", value)
            self._size(meta, len(value), "", member, path)
            checked: dict[str, Any] = {}
            for key, item in value.items():
                self._map_key(shape.key, member, key, path)
                checked[key] = self.value(shape.value, member, item, path)
            return checked
        if kind == "string":
            if not isinstance(value, str):
                raise Unreadable(member, path, "a string", value)
            self._size(meta, len(value), f"'{value}'", member, path)
            self._string(shape, meta, member, value, path)
            return value
        if kind in ("integer", "long"):
            bits = 31 if kind == "integer" else 63
            if (
                isinstance(value, bool)
                or not isinstance(value, int)
                or not (-(1 << bits) <= value < (1 << bits))
            ):
                raise Unreadable(member, path, f"a {bits + 1}-bit integer", value)
            self._range(meta, value, member, path)
            return value
        if kind in ("double", "float"):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise Unreadable(member, path, "a number", value)
            try:
                number = float(value)
            except OverflowError:  # an integer past any double (JSON, CBOR bignums)
                raise Unreadable(member, path, "a number") from None
            self._range(meta, number, member, path)
            return number
        if kind == "boolean":
            if not isinstance(value, bool):
                raise Unreadable(member, path, "a boolean", value)
            return value
        if kind == "blob":
            if isinstance(value, Lazy):
                return value
            data = _blob(value, member, path)
            self._size(meta, len(data), "", member, path)
            return data
        if kind == "timestamp":
            if not isinstance(value, datetime.datetime):
                raise Unreadable(member, path, "a timestamp", value)
            return value
        return value

    def _string(
        self, shape: Any, meta: Mapping[str, Any], member: str, value: str, path: str
    ) -> None:
        pattern = meta.get("pattern")
        if pattern and not _pattern(pattern).fullmatch(value):
            extended = self._overrides.patterns.get(shape.name)
            if not (extended and re.fullmatch(extended, value)):
                self._problems.append(
                    Problem(
                        "constraint",
                        member,
                        path,
                        f"'{value}'",
                        f"Member must satisfy regular expression pattern: {pattern}",
                    )
                )
        enum = shape.enum
        if enum and value not in enum and shape.name not in self._overrides.open_enums:
            self._problems.append(
                Problem(
                    "constraint",
                    member,
                    path,
                    f"'{value}'",
                    f"Member must satisfy enum value set: [{', '.join(enum)}]",
                )
            )

    def _map_key(self, shape: Any, member: str, key: Any, path: str) -> None:
        if not isinstance(key, str):
            raise Unreadable(member, path, "string map keys", key)
        found: list[Problem] = []
        inner = _Checker(self._overrides, found)
        inner._size(self._overrides.limit(shape), len(key), f"'{key}'", member, path)
        inner._string(shape, self._overrides.limit(shape), member, key, path)
        if found:
            self._problems.append(
                Problem(
                    "constraint",
                    member,
                    path,
                    "",
                    f"Map keys must satisfy constraint: [{found[0].constraint}]",
                )
            )

    def _size(self, meta: Mapping[str, Any], size: int, shown: str, member: str, path: str) -> None:
        if "min" in meta and size < meta["min"]:
            self._problems.append(
                Problem(
                    "constraint",
                    member,
                    path,
                    shown,
                    f"Member must have length greater than or equal to {meta['min']}",
                )
            )
        if "max" in meta and size > meta["max"]:
            self._problems.append(
                Problem(
                    "constraint",
                    member,
                    path,
                    shown,
                    f"Member must have length less than or equal to {meta['max']}",
                )
            )

    def _range(self, meta: Mapping[str, Any], value: float, member: str, path: str) -> None:
        shown = f"'{value}'"
        if "min" in meta and value < meta["min"]:
            self._problems.append(
                Problem(
                    "constraint",
                    member,
                    path,
                    shown,
                    f"Member must have value greater than or equal to {meta['min']}",
                )
            )
        if "max" in meta and value > meta["max"]:
            self._problems.append(
                Problem(
                    "constraint",
                    member,
                    path,
                    shown,
                    f"Member must have value less than or equal to {meta['max']}",
                )
            )


def _blob(value: Any, member: str, path: str) -> bytes:
    """A blob member: bytes as the protocol delivered them, or base64 text (JSON)."""
    if isinstance(value, bytes):
        return value
    if not isinstance(value, str):
        raise Unreadable(member, path, "a base64 string", value)
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise Unreadable(member, path, "valid base64", value) from None
