"""The IAM action and resource each IAM operation needs: ``iam:<Operation>`` on the role,
user or managed policy the call names, else ``*``."""

from __future__ import annotations

from altus.api.spec import Members
from altus.iam.component import Iam


def actions(iam: Iam, operation: str, members: Members) -> tuple[str, str]:
    action = f"iam:{operation}"
    role = members.get("RoleName")
    if isinstance(role, str) and role:
        found = iam.by_name(role)
        if found is not None:
            return action, iam.arn(found)
        return action, iam.account.arn("iam", f"role/{role}", regional=False)
    user = members.get("UserName")
    if isinstance(user, str) and user:
        path = next((u.path for u in iam.users() if u.name.lower() == user.lower()), "/")
        return action, iam.account.arn("iam", f"user{path}{user}", regional=False)
    policy = members.get("PolicyArn")
    if isinstance(policy, str) and policy:
        return action, policy
    if operation == "CreatePolicy":
        path = members.get("Path", "/")
        name = members.get("PolicyName", "")
        return action, iam.account.arn("iam", f"policy{path}{name}", regional=False)
    return action, "*"
