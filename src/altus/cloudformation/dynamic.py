"""Dynamic references: ``{{resolve:...}}`` in a template's strings, fetched late.

CloudFormation replaces these after the transforms ran and the intrinsics resolved,
when it is about to use a value (and never stores what ``ssm-secure`` and
``secretsmanager`` references give). The forms, each possibly inside a longer string:

- ``{{resolve:ssm:name}}``, ``{{resolve:ssm:name:version}}`` (``name`` may be the
  parameter's ARN, for one shared from another account);
- ``{{resolve:ssm-secure:name[:version]}}``, the same for a SecureString;
- ``{{resolve:secretsmanager:secret-id[:SecretString[:json-key[:version-stage
  [:version-id]]]]}}``: ``secret-id`` is a name or an ARN; every optional part may be
  left empty (``{{resolve:secretsmanager:MySecret::password}}``); ``json-key`` picks a
  key of the SecretString read as a JSON object; a stage and a version id exclude each
  other, and with neither the version is ``AWSCURRENT``.

A template may hold at most ``MAX_REFERENCES`` of them (``check_count``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, Final, Protocol

from altus.cloudformation.errors import TemplateError, ValidationError

#: The most dynamic references a template may hold.
MAX_REFERENCES: Final = 60
#: A dynamic reference: its service and what follows.
REFERENCE: Final = re.compile(r"\{\{resolve:(ssm|ssm-secure|secretsmanager):([^{}]*)\}\}")
#: A dynamic reference as counted in a template not resolved yet, where its name may
#: still hold an ``Fn::Sub`` variable (``{{resolve:ssm:/app/${Env}/url}}``).
_COUNTED = re.compile(r"\{\{resolve:(?:ssm|ssm-secure|secretsmanager):.*?\}\}", re.DOTALL)
_VERSION = re.compile(r"[1-9][0-9]*")


class DynamicLookup(Protocol):
    """Where dynamic references are fetched from: the account's SSM parameters and
    Secrets Manager secrets, read as the stack's actor."""

    async def parameter(self, name: str, version: int | None) -> str:
        """The value of SSM parameter ``name`` (a name or an ARN), at ``version`` or the
        latest. ``ssm-secure`` references come here too: the value is returned
        decrypted. Raises ``ValidationError`` as CloudFormation words a parameter (or
        version) that does not exist."""
        ...

    async def secret(self, secret_id: str, stage: str | None, version_id: str | None) -> str:
        """The SecretString of secret ``secret_id`` (a name or an ARN) at
        ``version_id``, or at ``stage`` (None for both: ``AWSCURRENT``). Raises
        ``ValidationError`` as CloudFormation words a secret that does not exist."""
        ...


def has_dynamic(value: Any) -> bool:
    """Whether any string in ``value`` (keys aside) holds a dynamic reference."""
    return count(value) > 0


def count(value: Any) -> int:
    """How many dynamic references the strings of ``value`` hold."""
    if isinstance(value, str):
        return len(_COUNTED.findall(value))
    if isinstance(value, Mapping):
        return sum(count(item) for item in value.values())
    if isinstance(value, list | tuple):
        return sum(count(item) for item in value)
    return 0


def check_count(template: Any) -> None:
    """Refuse a template holding more than ``MAX_REFERENCES`` dynamic references."""
    found = count(template)
    if found > MAX_REFERENCES:
        raise TemplateError(
            f"Template format error: the template holds {found} dynamic references; "
            f"at most {MAX_REFERENCES} are allowed"
        )


async def resolve_dynamic(value: Any, lookup: DynamicLookup) -> Any:
    """A copy of ``value`` with every dynamic reference in its strings replaced by what
    it refers to. Each distinct reference is fetched once. Raises ``ValidationError``
    for a malformed reference, a JSON key the secret does not have, and whatever
    ``lookup`` raises."""
    fetched: dict[str, str] = {}
    return await _replace(value, lookup, fetched)


async def _replace(value: Any, lookup: DynamicLookup, fetched: dict[str, str]) -> Any:
    if isinstance(value, str):
        if "{{resolve:" not in value:
            return value
        parts: list[str] = []
        end = 0
        for match in REFERENCE.finditer(value):
            parts.append(value[end : match.start()])
            reference = match.group(0)
            if reference not in fetched:
                fetched[reference] = await _fetch(match.group(1), match.group(2), reference, lookup)
            parts.append(fetched[reference])
            end = match.end()
        parts.append(value[end:])
        return "".join(parts)
    if isinstance(value, Mapping):
        return {key: await _replace(item, lookup, fetched) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [await _replace(item, lookup, fetched) for item in value]
    return value


def _malformed(reference: str) -> ValidationError:
    return ValidationError(
        f"Incorrect format is used in the following dynamic reference: [{reference}]"
    )


async def _fetch(service: str, body: str, reference: str, lookup: DynamicLookup) -> str:
    if service in ("ssm", "ssm-secure"):
        name, version = ssm_reference(body, reference)
        return await lookup.parameter(name, version)
    secret_id, key, stage, version_id = secret_reference(body, reference)
    secret = await lookup.secret(secret_id, stage, version_id)
    return secret if key is None else _json_key(secret, key, secret_id)


def ssm_reference(body: str, reference: str) -> tuple[str, int | None]:
    """``(name, version)`` of an ``ssm``/``ssm-secure`` reference's body (what follows
    ``ssm:``). Raises ``ValidationError`` if it is malformed."""
    if body.startswith("arn:"):
        parts = body.split(":")
        # arn:partition:ssm:region:account:parameter/name[:version]
        if len(parts) < 6 or not parts[5].startswith("parameter/"):
            raise _malformed(reference)
        name, rest = ":".join(parts[:6]), parts[6:]
    else:
        name, *rest = body.split(":")
    if not name or len(rest) > 1 or (rest and not _VERSION.fullmatch(rest[0])):
        raise _malformed(reference)
    return name, int(rest[0]) if rest else None


def secret_reference(body: str, reference: str) -> tuple[str, str | None, str | None, str | None]:
    """``(secret_id, json_key, stage, version_id)`` of a ``secretsmanager`` reference's
    body, empty parts as None. Raises ``ValidationError`` if it is malformed."""
    parts = body.split(":")
    if body.startswith("arn:"):
        # arn:partition:secretsmanager:region:account:secret:name-suffix
        if len(parts) < 7:
            raise _malformed(reference)
        secret_id, rest = ":".join(parts[:7]), parts[7:]
    else:
        secret_id, rest = parts[0], parts[1:]
    if not secret_id or len(rest) > 4:
        raise _malformed(reference)
    kind, key, stage, version_id = (rest + [""] * 4)[:4]
    if kind not in ("", "SecretString"):
        raise _malformed(reference)
    if stage and version_id:
        raise ValidationError(
            "You can't specify both a version stage and a version id in the dynamic "
            f"reference [{reference}]"
        )
    return secret_id, key or None, stage or None, version_id or None


def _json_key(secret: str, key: str, secret_id: str) -> str:
    try:
        document = json.loads(secret)
    except ValueError:
        document = None
    if not isinstance(document, dict):
        raise ValidationError(
            f"The SecretString of secret {secret_id} is not a JSON object with key {key}"
        )
    if key not in document:
        raise ValidationError(f"Could not find SecretString key {key} in secret {secret_id}")
    value = document[key]
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
