"""Secrets Manager secrets read as parameters: ``/aws/reference/secretsmanager/<secret
id>``, optionally with ``:<staging label>`` or ``:<version id>``.

Parameter Store passes such a read through to Secrets Manager and keeps nothing of it.
Only GetParameter and GetParameters read them, and only ``WithDecryption``; the caller
also needs ``secretsmanager:GetSecretValue`` on the secret (its resource policy
included), as on AWS. The answer is a ``SecureString`` of version 0 whose ``ARN`` is the
secret's and whose ``SourceResult`` describes the secret's version (never its value).
"""

from __future__ import annotations

import base64
import datetime
import json
from dataclasses import dataclass
from typing import Any, Protocol

from altus.api.spec import Members
from altus.errors import AltusError
from altus.identity.authenticator import Principal
from altus.ssm.errors import ParameterNotFound, ValidationException
from altus.ssm.model import SECURE_STRING, TEXT

PREFIX = "/aws/reference/secretsmanager/"
NEEDS_DECRYPTION = "WithDecryption flag must be True for retrieving a Secret Manager secret."


class Secrets(Protocol):
    """What this reads of the Secrets Manager component (``altus.secretsmanager``)."""

    async def read_value(
        self, secret_id: str, *, stage: str | None = None, version_id: str | None = None
    ) -> Any: ...

    def lookup(self, secret_id: str) -> Any: ...

    def authorize(self, principal: Principal | None, action: str, secret: Any) -> None: ...


@dataclass(frozen=True, slots=True)
class SecretReference:
    #: The parameter name, without its selector.
    name: str
    secret_id: str
    selector: str | None


def is_reference(text: str) -> bool:
    return text.strip(" ").startswith(PREFIX)


def parse(text: str) -> SecretReference:
    """The secret a reference names; its selector follows the id after a colon (an ARN
    id has six colons of its own)."""
    text = text.strip(" ")
    rest = text[len(PREFIX) :]
    own = 6 if rest.startswith("arn:") else 0
    parts = rest.split(":")
    secret_id = ":".join(parts[: own + 1])
    selector = ":".join(parts[own + 1 :]) or None
    return SecretReference(PREFIX + secret_id, secret_id, selector)


def _not_found(name: str) -> ParameterNotFound:
    return ParameterNotFound(
        "An error occurred (ParameterNotFound) when referencing Secrets Manager: Secret "
        f"{name.removeprefix('/')} not found."
    )


async def fetch(secrets: Secrets, ref: SecretReference) -> Any:
    """The secret's version ``ref`` selects (a staging label, else a version id; the
    ``AWSCURRENT`` version without one), Secrets Manager's refusals worded as Parameter
    Store words them."""
    try:
        if ref.selector is None:
            return await secrets.read_value(ref.secret_id)
        try:
            return await secrets.read_value(ref.secret_id, stage=ref.selector)
        except AltusError as error:
            if error.code != "ResourceNotFoundException":
                raise
            return await secrets.read_value(ref.secret_id, version_id=ref.selector)
    except AltusError as error:
        if error.code == "ResourceNotFoundException":
            raise _not_found(ref.name) from None
        if error.code.startswith(("AccessDenied", "ParameterNotFound")):
            raise
        raise ValidationException(
            f"An error occurred ({error.code}) when referencing Secrets Manager: {error.message}"
        ) from None


def text_of(value: str | bytes) -> str:
    """A secret's value as a parameter's (a binary secret in base64)."""
    return value if isinstance(value, str) else base64.b64encode(value).decode()


async def read(secrets: Secrets, text: str, decrypt: bool, principal: Principal | None) -> Members:
    """The ``Parameter`` GetParameter answers for a reference."""
    if not decrypt:
        raise ValidationException(NEEDS_DECRYPTION)
    ref = parse(text)
    try:
        secret = secrets.lookup(ref.secret_id) if ref.secret_id else None
    except AltusError:  # an id no secret can have
        secret = None
    if secret is None:
        raise _not_found(ref.name)
    secrets.authorize(principal, "secretsmanager:GetSecretValue", secret)
    fetched = await fetch(secrets, ref)
    created = datetime.datetime.fromtimestamp(fetched.created_ms / 1000, datetime.UTC)
    source = {
        "ARN": fetched.arn,
        "Name": fetched.name,
        "CreatedDate": fetched.created_ms / 1000,
        "VersionIdsToStages": {fetched.version_id: list(fetched.stages)},
    }
    shown: Members = {
        "Name": ref.name,
        "Type": SECURE_STRING,
        "Value": text_of(fetched.value),
        "Version": 0,
        "SourceResult": json.dumps(source, indent=2),
        "LastModifiedDate": created,
        "ARN": fetched.arn,
        "DataType": TEXT,
    }
    if ref.selector is not None:
        shown["Selector"] = f":{ref.selector}"
    return shown
