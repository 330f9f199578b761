"""IAM's group operations: groups, their members, and the groups of a user. (What groups
hold, their inline and managed policies, is made with roles' and users' in ``api``.)"""

from __future__ import annotations

from altus.api.spec import Call, Members
from altus.iam.api import authorize_also, user_shown
from altus.iam.component import Iam
from altus.iam.groups import Group
from altus.iam.shapes import page, when


def _group(iam: Iam, group: Group) -> Members:
    return {
        "Path": group.path,
        "GroupName": group.name,
        "GroupId": group.id,
        "Arn": iam.group_arn(group),
        "CreateDate": when(group.created_ms),
    }


async def create_group(iam: Iam, call: Call, input: Members) -> Members:
    group = await iam.create_group(input["GroupName"], input.get("Path", "/"))
    return {"Group": _group(iam, group)}


async def get_group(iam: Iam, call: Call, input: Members) -> Members:
    """The group and a page of its members, by name."""
    group = iam.groups.get(input["GroupName"])
    answer = page(iam.members(group), input, "Users", lambda u: user_shown(iam, u))
    return {"Group": _group(iam, group), **answer}


async def list_groups(iam: Iam, call: Call, input: Members) -> Members:
    groups = iam.groups.listed(input.get("PathPrefix", "/"))
    return page(groups, input, "Groups", lambda g: _group(iam, g))


async def delete_group(iam: Iam, call: Call, input: Members) -> Members:
    await iam.delete_group(input["GroupName"])
    return {}


async def update_group(iam: Iam, call: Call, input: Members) -> Members:
    group = iam.groups.get(input["GroupName"])
    new_name, new_path = input.get("NewGroupName"), input.get("NewPath")
    renamed = Group(new_name or group.name, group.id, new_path or group.path, group.created_ms)
    # The caller must be allowed to update the group under its new name too, as in IAM.
    authorize_also(iam, call, "iam:UpdateGroup", iam.group_arn(renamed))
    await iam.update_group(input["GroupName"], new_name, new_path)
    return {}


async def add_user_to_group(iam: Iam, call: Call, input: Members) -> Members:
    await iam.add_to_group(input["GroupName"], input["UserName"])
    return {}


async def remove_user_from_group(iam: Iam, call: Call, input: Members) -> Members:
    await iam.remove_from_group(input["GroupName"], input["UserName"])
    return {}


async def list_groups_for_user(iam: Iam, call: Call, input: Members) -> Members:
    groups = iam.groups_of(input["UserName"])
    return page(groups, input, "Groups", lambda g: _group(iam, g))


OPERATIONS = {
    "CreateGroup": create_group,
    "GetGroup": get_group,
    "ListGroups": list_groups,
    "DeleteGroup": delete_group,
    "UpdateGroup": update_group,
    "AddUserToGroup": add_user_to_group,
    "RemoveUserFromGroup": remove_user_from_group,
    "ListGroupsForUser": list_groups_for_user,
}
