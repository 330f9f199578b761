"""The IAM action and resource each IAM operation needs: ``iam:<Operation>`` on the role,
group, user or managed policy the call names, else ``*``. A call naming a group and a
user (AddUserToGroup, RemoveUserFromGroup) acts on the group, as in IAM."""

from __future__ import annotations

from altus.api.spec import Members
from altus.iam.component import Iam
from altus.iam.errors import NoSuchEntity
from altus.identity.authenticator import Principal

#: Operations about a user's own credentials: naming no user, they are about the user
#: who signed the call (and are authorised on its ARN, as IAM authorises them).
SELF_SERVICE = frozenset(
    {"GetUser", "CreateAccessKey", "ListAccessKeys", "UpdateAccessKey", "DeleteAccessKey"}
)


def implied_by_caller(iam: Iam, operation: str, members: Members, caller: Principal) -> Members:
    if operation not in SELF_SERVICE or members.get("UserName"):
        return members
    user = iam.user_of(caller.arn)
    return {**members, "UserName": user.name} if user is not None else members


def actions(iam: Iam, operation: str, members: Members) -> tuple[str, str]:
    action = f"iam:{operation}"
    # What a Create... call will make is at the path it gives.
    given = members.get("Path")
    path = given if isinstance(given, str) and given else "/"
    role = members.get("RoleName")
    if isinstance(role, str) and role:
        found = iam.by_name(role)
        if found is not None:
            return action, iam.arn(found)
        return action, iam.account.arn("iam", f"role{path}{role}", regional=False)
    group = members.get("GroupName")
    if isinstance(group, str) and group:
        found_group = iam.groups.find(group)
        if found_group is not None:
            return action, iam.group_arn(found_group)
        return action, iam.account.arn("iam", f"group{path}{group}", regional=False)
    user = members.get("UserName")
    if isinstance(user, str) and user:
        try:
            # As IAM has it: names are one whatever their case, and so is the ARN.
            return action, iam.user_arn(iam.user(user))
        except NoSuchEntity:
            return action, iam.account.arn("iam", f"user{path}{user}", regional=False)
    policy = members.get("PolicyArn")
    if isinstance(policy, str) and policy:
        return action, policy
    if operation == "CreatePolicy":
        name = members.get("PolicyName", "")
        return action, iam.account.arn("iam", f"policy{path}{name}", regional=False)
    return action, "*"
