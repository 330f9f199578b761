"""The IAM action and resource each Secrets Manager operation needs:
``secretsmanager:<Operation>`` on the secret's full ARN, with the secret's resource
policy (which may allow the call too); ``*`` for what names no secret (ListSecrets,
GetRandomPassword, BatchGetSecretValue's own action: each secret it reads needs
GetSecretValue, checked as it reads them).

A secret that is not there is named by the ARN a SecretId that is an ARN gives, else by
``secret:<name>-??????``: a new secret's suffix is not drawn yet, so a grant on
``<name>-*`` or ``<name>-??????`` covers it and a grant on an older secret's exact ARN
does not.
"""

from __future__ import annotations

from altus.api.spec import Members, Needs
from altus.errors import AltusError
from altus.secretsmanager.component import SecretsManager


def actions(sm: SecretsManager, operation: str, members: Members) -> Needs:
    action = f"secretsmanager:{operation}"
    named = members.get("SecretId") if "SecretId" in members else members.get("Name")
    if not isinstance(named, str) or not named:
        return action, "*"
    try:
        secret = sm.lookup(named)
    except AltusError:
        return action, "*"  # the operation refuses the name itself, in its own words
    if secret is not None:
        return action, secret.arn, sm.policies(secret)
    if named.startswith("arn:"):
        return action, named
    return action, sm.account.arn("secretsmanager", f"secret:{named}-??????")
