"""Secret names, their ARNs, and the ways a ``SecretId`` names a secret.

A secret's ARN is ``arn:aws:secretsmanager:<region>:<account>:secret:<name>-<6 random
characters>``: the suffix makes a secret re-created under an old name a new resource,
which the old one's grants do not reach. A ``SecretId`` is a name, that full ARN, or a
partial ARN (without the suffix), as AWS accepts them.
"""

from __future__ import annotations

import re
import secrets
import string
from dataclasses import dataclass

from altus.arns import Account, parse_arn
from altus.secretsmanager.errors import ValidationError

#: What a name may hold (AWS's own message lists ``!`` besides the documented set).
_NAME = re.compile(r"[A-Za-z0-9/_+=.@!-]+")
_SUFFIX_ALPHABET = string.ascii_letters + string.digits
SUFFIX_LENGTH = 6


def check_name(name: str) -> None:
    """Raise ValidationError, in AWS's words, for a name of characters it refuses."""
    if not _NAME.fullmatch(name):
        raise ValidationError(
            "Invalid name. Must be a valid name containing alphanumeric characters, or any "
            "of the following: -/_+=.@!"
        )


def new_arn(account: Account, name: str) -> str:
    suffix = "".join(secrets.choice(_SUFFIX_ALPHABET) for _ in range(SUFFIX_LENGTH))
    return account.arn("secretsmanager", f"secret:{name}-{suffix}")


@dataclass(frozen=True, slots=True)
class SecretId:
    """What a ``SecretId`` says: a name, or an ARN of this account and region (its
    ``name`` then what follows ``secret:``: the name, for a partial ARN)."""

    text: str
    name: str
    arn: str | None = None


def parse_id(text: str, account: Account) -> SecretId | None:
    """The secret ``text`` names; None for an ARN that cannot be one of this account's
    secrets (another service, account or region: no secret here has it). Raises
    ValidationError for a name of characters no secret's name has."""
    if not text.startswith("arn:"):
        check_name(text)
        return SecretId(text, text)
    parsed = parse_arn(text)
    if (
        parsed is None
        or parsed.service != "secretsmanager"
        or parsed.partition != account.partition
        or parsed.region != account.region
        or parsed.account != account.account_id
        or not parsed.resource.startswith("secret:")
    ):
        return None
    return SecretId(text, parsed.resource.removeprefix("secret:"), text)
