"""Identifiers as AWS's look: ten lower-case letters and digits for REST APIs and API
keys (``a1b2c3d4e5``), six for resources, deployments, authorizers, validators and
models (``x1y2z3``), and 40 characters for a generated API key value."""

from __future__ import annotations

import secrets
import string
from collections.abc import Callable, Container

_LOWER = string.ascii_lowercase + string.digits
_KEY = string.ascii_letters + string.digits


def long_id() -> str:
    return "".join(secrets.choice(_LOWER) for _ in range(10))


def short_id() -> str:
    return "".join(secrets.choice(_LOWER) for _ in range(6))


def fresh(taken: Container[str], make: Callable[[], str] = short_id) -> str:
    """A new id (``make``'s) that ``taken`` does not hold."""
    new_id = make()
    while new_id in taken:
        new_id = make()
    return new_id


def key_value() -> str:
    """A new API key's value: 40 characters, unguessable (it is the caller's secret)."""
    return "".join(secrets.choice(_KEY) for _ in range(40))
