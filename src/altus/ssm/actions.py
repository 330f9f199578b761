"""The IAM action and resource each SSM operation needs: ``ssm:<Operation>`` on the
parameter the call names (``arn:aws:ssm:<region>:<account>:parameter/<name>``), on the
path for GetParametersByPath (``parameter/<path>``, as AWS reports it), the first
parameter of GetParameters and DeleteParameters (the operation checks the others), and
``*`` for DescribeParameters and everything else."""

from __future__ import annotations

from altus.api.spec import Members
from altus.ssm import names
from altus.ssm.component import Ssm
from altus.ssm.errors import SsmError

#: Operations on the parameter their ``Name`` names.
_NAMED = {
    "PutParameter",
    "GetParameter",
    "GetParameterHistory",
    "DeleteParameter",
    "LabelParameterVersion",
    "UnlabelParameterVersion",
}
_TAGGING = {"AddTagsToResource", "RemoveTagsFromResource", "ListTagsForResource"}


def actions(ssm: Ssm, operation: str, members: Members) -> tuple[str, str]:
    action = f"ssm:{operation}"
    if operation == "GetParametersByPath" and isinstance(members.get("Path"), str):
        path = members["Path"].strip(" ")
        return action, ssm.account.arn("ssm", f"parameter/{path.removeprefix('/')}")
    named: object = None
    if operation in _NAMED:
        named = members.get("Name")
    elif operation in ("GetParameters", "DeleteParameters") and members.get("Names"):
        named = members["Names"][0]
    elif operation in _TAGGING and members.get("ResourceType") == "Parameter":
        named = members.get("ResourceId")
    if not isinstance(named, str):
        return action, "*"
    try:
        ref = names.parse_reference(ssm.account, named)
    except SsmError:
        return action, "*"  # the operation refuses the name itself, in its own words
    return action, names.arn(ssm.account, ref.name)
