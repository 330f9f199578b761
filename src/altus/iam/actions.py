"""The IAM action and resource each IAM operation needs: ``iam:<Operation>`` on the role
the call names, else ``*``."""

from __future__ import annotations

from altus.api.spec import Members
from altus.iam.component import Iam


def actions(iam: Iam, operation: str, members: Members) -> tuple[str, str]:
    name = members.get("RoleName")
    if isinstance(name, str) and name:
        found = iam.by_name(name)
        arn = (
            iam.arn(found)
            if found is not None
            else iam.account.arn("iam", f"role/{name}", regional=False)
        )
        return f"iam:{operation}", arn
    return f"iam:{operation}", "*"
