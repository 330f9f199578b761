"""Policy documents as IAM checks them when they are stored: JSON, a ``Version`` of
``2012-10-17`` or ``2008-10-17`` where one is given, one or more statements, each with an
``Effect`` of ``Allow`` or ``Deny`` and an action, and resources or (a trust or other
resource policy) a principal. Every service that stores a policy checks it here and words
the refusal as its own model does (IAM's ``MalformedPolicyDocumentException``, Secrets
Manager's ...)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

VERSIONS = ("2012-10-17", "2008-10-17")


class Malformed(Exception):
    """What is wrong with a document, in IAM's words (``str`` of it)."""


def parse(document: str, *, trust: bool = False) -> dict[str, Any]:
    """The policy ``document`` as a dict; raises Malformed. ``trust``: a role's trust
    policy, which names principals and no resources."""
    try:
        policy = json.loads(document)
    except (ValueError, RecursionError):  # RecursionError: nested past the parser's depth
        raise Malformed("This policy contains invalid Json") from None
    if not isinstance(policy, dict):
        raise Malformed("This policy contains invalid Json")
    version = policy.get("Version")
    if version is not None and version not in VERSIONS:
        raise Malformed("The policy must contain a valid version string")
    found = list(statements(policy))
    if not found:
        raise Malformed("Syntax errors in policy.")
    for statement in found:
        if statement.get("Effect") not in ("Allow", "Deny"):
            raise Malformed("Syntax errors in policy.")
        if "Action" not in statement and "NotAction" not in statement:
            raise Malformed("Policy statement must contain actions.")
        if trust:
            if "Principal" not in statement and "NotPrincipal" not in statement:
                raise Malformed("AssumeRolepolicy contained an invalid principal")
            if "Resource" in statement or "NotResource" in statement:
                raise Malformed("Has prohibited field Resource")
        elif "Resource" not in statement and "NotResource" not in statement:
            raise Malformed("Policy statement must contain resources.")
    return policy


def statements(policy: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """A policy's statements (one, or a list); raises Malformed for one that is not an
    object."""
    found = policy.get("Statement")
    for statement in found if isinstance(found, list) else [found]:
        if not isinstance(statement, dict):
            raise Malformed("Syntax errors in policy.")
        yield statement
