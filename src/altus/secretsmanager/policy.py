"""A secret's resource policy: checked as IAM checks a policy's grammar
(``altus.identity.grammar``), each statement naming who it is for (a resource policy
has a ``Principal``), and, where the caller asks (``BlockPublicPolicy``), refused when
it lets anyone at all in.

Only one policy per secret can be set, named ``default`` (the model's ``PolicyName``
allows no other for writes yet, as on AWS).
"""

from __future__ import annotations

from typing import Any

from altus.identity import grammar
from altus.secretsmanager.errors import InvalidParameter, MalformedPolicyDocument, PublicPolicy

DEFAULT_NAME = "default"
#: AWS's words for a policy it cannot read.
INVALID = "This policy has invalid syntax."


def check_name(name: str | None) -> str:
    """The policy a write names: only ``default`` may be written (InvalidParameter)."""
    if name is not None and name != DEFAULT_NAME:
        raise InvalidParameter(
            f"You can only attach or delete the {DEFAULT_NAME} resource policy; {name} is not it."
        )
    return DEFAULT_NAME


def check(document: str, *, block_public: bool = False) -> dict[str, Any]:
    """The policy as a dict; MalformedPolicyDocument for one that is not a resource
    policy, PublicPolicy for one that grants everyone when ``block_public``."""
    try:
        parsed = grammar.parse(document)
    except grammar.Malformed:
        raise MalformedPolicyDocument(INVALID) from None
    found: Any = parsed["Statement"]  # ``parse`` has checked there are statements
    statements: list[dict[str, Any]] = found if isinstance(found, list) else [found]
    for statement in statements:
        if "Principal" not in statement and "NotPrincipal" not in statement:
            raise MalformedPolicyDocument(INVALID)
    if block_public and any(_public(s) for s in statements):
        raise PublicPolicy(
            "The BlockPublicPolicy parameter is set, and this resource policy grants broad "
            "access to the secret (a Principal of *)."
        )
    return parsed


def _public(statement: dict[str, Any]) -> bool:
    """An Allow for any principal, with no condition to narrow it."""
    if statement.get("Effect") != "Allow" or statement.get("Condition"):
        return False
    if "NotPrincipal" in statement:
        return True
    principal = statement.get("Principal")
    if principal == "*":
        return True
    if isinstance(principal, dict):
        named = principal.get("AWS")
        listed = named if isinstance(named, list) else [named]
        return "*" in listed
    return False
