"""ListSecrets' and BatchGetSecretValue's ``Filters``, as AWS documents them
(``API_Filter``, "Find secrets in Secrets Manager"):

- ``name``: a prefix of the secret's name, case-sensitive;
- ``description``: every word of the value begins a word of the description, not
  case-sensitive (``My Description`` matches "Description of my secret");
- ``tag-key``, ``tag-value``: a prefix of one of the secret's tag keys (values),
  case-sensitive;
- ``primary-region``: a prefix of the secret's region, case-sensitive;
- ``owning-service``: a prefix of the service that owns the secret; no secret here is
  owned by a service, so it matches none;
- ``all``: every word of the value begins a word of one field (the name, the
  description, a tag key or a tag value), not case-sensitive.

A value starting with ``!`` is negated. A filter holds when one of its plain values
matches (or it has none) and none of its negated ones does; a secret is listed when
every filter holds. Words are split where text turns from lower to upper case, from
letters to digits, and at punctuation: ``credsDatabase#892`` is ``creds``, ``Database``,
``892``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from altus.secretsmanager.model import Secret

_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")


def words(text: str) -> list[str]:
    """``text``'s words, lower-cased."""
    return [w.lower() for w in _WORD.findall(text)]


def _begin(value: str, field: str) -> bool:
    """Every word of ``value`` begins a word of ``field`` (not case-sensitive)."""
    theirs = words(field)
    return all(any(w.startswith(mine) for w in theirs) for mine in words(value))


def _prefix(value: str, fields: Sequence[str]) -> bool:
    return any(field.startswith(value) for field in fields)


Matcher = Callable[[Secret, str, str], bool]

#: Filter key -> whether a (plain) value matches a secret (in a region).
MATCHERS: Mapping[str, Matcher] = {
    "name": lambda s, value, region: s.name.startswith(value),
    "description": lambda s, value, region: (
        s.description is not None and _begin(value, s.description)
    ),
    "tag-key": lambda s, value, region: _prefix(value, [k for k, _ in s.tags]),
    "tag-value": lambda s, value, region: _prefix(value, [v for _, v in s.tags]),
    "primary-region": lambda s, value, region: region.startswith(value),
    "owning-service": lambda s, value, region: False,
    "all": lambda s, value, region: any(
        _begin(value, field)
        for field in [s.name, s.description or "", *(k for k, _ in s.tags), *(v for _, v in s.tags)]
    ),
}


def matches(secret: Secret, filters: Sequence[Mapping[str, Any]], region: str) -> bool:
    """Whether ``secret`` passes every filter (``{"Key": ..., "Values": [...]}``)."""
    for one in filters:
        match = MATCHERS[one["Key"]]
        values: list[str] = list(one.get("Values") or [])
        plain = [v for v in values if not v.startswith("!")]
        negated = [v[1:] for v in values if v.startswith("!")]
        if plain and not any(match(secret, v, region) for v in plain):
            return False
        if any(match(secret, v, region) for v in negated):
            return False
    return True
