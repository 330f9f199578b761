"""Request validation against botocore's own model of the Lambda API.

Lambda checks every request body against its service model before it looks at the
values, and answers a ``ValidationException`` in the Coral format:
``1 validation error detected: Value '64' at 'memorySize' failed to satisfy constraint:
Member must have value greater than or equal to 128``. We load the same model that boto3
uses and apply its constraints (types, required members, lengths, ranges, patterns,
enums) so that the server agrees with the clients on what a valid request is.

The model's numeric ranges now include Lambda Managed Instances (Timeout up to 5400 s,
MemorySize up to 32768 MB); Altus emulates standard functions, so a few ranges are
narrowed in ``_OVERRIDES``.
"""

from __future__ import annotations

import base64
import binascii
import functools
import re
from typing import Any

import botocore.session

from altus.control.errors import InvalidRequestContent, ValidationFailed

# Standard (not Managed Instances) Lambda limits: shape name -> narrowed constraints.
_OVERRIDES: dict[str, dict[str, Any]] = {
    "Timeout": {"max": 900},
    "MemorySize": {"max": 10240},
    "EphemeralStorageSize": {"max": 10240},
}
# Altus extensions of a pattern: also accepted, besides what the model allows. A
# destination may be an http(s) URL (a signed webhook).
_EXTENDED_PATTERNS: dict[str, str] = {
    "DestinationArn": r"https?://[^\s/?#]+(/\S*)?",
}


@functools.cache
def service_model(service: str = "lambda") -> Any:
    return botocore.session.get_session().get_service_model(service)


# The model's patterns are Java regular expressions; Python's ``re`` has no Unicode
# property classes, so they become the nearest Unicode-aware classes it has.
_JAVA_CLASSES = {r"\p{L}": r"\w", r"\p{N}": r"\d", r"\p{Z}": r"\s"}


@functools.cache
def _pattern(regex: str) -> re.Pattern[str]:
    for java, python in _JAVA_CLASSES.items():
        regex = regex.replace(java, python)
    return re.compile(regex)


def _camel(name: str) -> str:
    return name[:1].lower() + name[1:]


def _render(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, dict)):
        return str(value)
    return str(value)


def validate_body(operation: str, body: Any, service: str = "lambda") -> dict[str, Any]:
    """Check a decoded JSON body against ``operation``'s input shape.

    Returns the body (blobs decoded to bytes). Raises InvalidRequestContent when the body
    is not an object or a member has the wrong JSON type, ValidationFailed listing every
    constraint it breaks.
    """
    if not isinstance(body, dict):
        raise InvalidRequestContent("Could not parse request body into json: expected an object")
    shape = service_model(service).operation_model(operation).input_shape
    errors: list[str] = []
    result = _check_structure(shape, body, "", errors, body_only=True)
    if errors:
        count = len(errors)
        noun = "error" if count == 1 else "errors"
        raise ValidationFailed(f"{count} validation {noun} detected: " + "; ".join(errors))
    return result


def _check_structure(
    shape: Any, value: dict[str, Any], path: str, errors: list[str], body_only: bool = False
) -> dict[str, Any]:
    members = shape.members
    out: dict[str, Any] = {}
    for name, member in members.items():
        if body_only and member.serialization.get("location"):
            continue
        if name not in value or value[name] is None:
            if name in shape.required_members:
                errors.append(
                    f"Value null at '{path}{_camel(name)}' failed to satisfy constraint: "
                    "Member must not be null"
                )
            continue
        out[name] = _check(member, value[name], f"{path}{_camel(name)}", errors)
    unknown = set(value) - set(members)
    if unknown and not body_only:
        # Lambda ignores members it does not model at the top level, and so do we; a
        # nested unknown member is a client bug worth reporting.
        raise InvalidRequestContent(
            f"Could not parse request body into json: unrecognized field {sorted(unknown)[0]!r}"
        )
    return out


def _check(shape: Any, value: Any, path: str, errors: list[str]) -> Any:
    kind = shape.type_name
    meta = {**shape.metadata, **_OVERRIDES.get(shape.name, {})}
    if kind == "structure":
        if not isinstance(value, dict):
            raise _type_error(path, "an object")
        return _check_structure(shape, value, f"{path}.", errors)
    if kind == "list":
        if not isinstance(value, list):
            raise _type_error(path, "a list")
        _check_length(meta, len(value), value, path, errors, "length")
        return [
            _check(shape.member, item, f"{path}.{i + 1}.member", errors)
            for i, item in enumerate(value)
        ]
    if kind == "map":
        if not isinstance(value, dict):
            raise _type_error(path, "an object")
        _check_length(meta, len(value), value, path, errors, "length")
        checked: dict[str, Any] = {}
        for key, item in value.items():
            key_errors: list[str] = []
            _check(shape.key, key, path, key_errors)
            if key_errors:
                errors.append(
                    f"Value at '{path}' failed to satisfy constraint: Map keys must satisfy "
                    f"constraint: [{key_errors[0].split('constraint: ', 1)[1]}]"
                )
            checked[key] = _check(shape.value, item, path, errors)
        return checked
    if kind == "string":
        if not isinstance(value, str):
            raise _type_error(path, "a string")
        _check_length(meta, len(value), value, path, errors, "length")
        pattern = meta.get("pattern")
        extended = _EXTENDED_PATTERNS.get(shape.name)
        if (
            pattern
            and not _pattern(pattern).fullmatch(value)
            and not (extended and re.fullmatch(extended, value))
        ):
            errors.append(
                f"Value '{value}' at '{path}' failed to satisfy constraint: Member must "
                f"satisfy regular expression pattern: {pattern}"
            )
        enum = shape.enum
        if enum and value not in enum:
            errors.append(
                f"Value '{value}' at '{path}' failed to satisfy constraint: Member must "
                f"satisfy enum value set: [{', '.join(enum)}]"
            )
        return value
    if kind in ("integer", "long"):
        bits = 31 if kind == "integer" else 63
        if (
            isinstance(value, bool)
            or not isinstance(value, int)
            or not -(1 << bits) <= value < (1 << bits)
        ):
            raise _type_error(path, f"a {bits + 1}-bit integer")
        _check_range(meta, value, path, errors)
        return value
    if kind in ("double", "float"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _type_error(path, "a number")
        _check_range(meta, value, path, errors)
        return float(value)
    if kind == "boolean":
        if not isinstance(value, bool):
            raise _type_error(path, "a boolean")
        return value
    if kind == "blob":
        if not isinstance(value, str):
            raise _type_error(path, "a base64 string")
        try:
            data = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise InvalidRequestContent(
                f"Could not parse request body into json: '{path}' is not valid base64"
            ) from None
        _check_length(meta, len(data), value, path, errors, "length")
        return data
    if kind == "timestamp":
        return value
    return value


def _check_length(
    meta: dict[str, Any], size: int, value: Any, path: str, errors: list[str], what: str
) -> None:
    shown = "" if isinstance(value, (bytes, dict, list)) else f" '{_render(value)}'"
    if "min" in meta and size < meta["min"]:
        errors.append(
            f"Value{shown} at '{path}' failed to satisfy constraint: Member must have "
            f"{what} greater than or equal to {meta['min']}"
        )
    if "max" in meta and size > meta["max"]:
        errors.append(
            f"Value{shown} at '{path}' failed to satisfy constraint: Member must have "
            f"{what} less than or equal to {meta['max']}"
        )


def _check_range(meta: dict[str, Any], value: float, path: str, errors: list[str]) -> None:
    if "min" in meta and value < meta["min"]:
        errors.append(
            f"Value '{_render(value)}' at '{path}' failed to satisfy constraint: Member must "
            f"have value greater than or equal to {meta['min']}"
        )
    if "max" in meta and value > meta["max"]:
        errors.append(
            f"Value '{_render(value)}' at '{path}' failed to satisfy constraint: Member must "
            f"have value less than or equal to {meta['max']}"
        )


def _type_error(path: str, expected: str) -> InvalidRequestContent:
    return InvalidRequestContent(
        f"Could not parse request body into json: Could not parse '{path}': expected {expected}"
    )
