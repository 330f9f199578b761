"""What CloudFormation's operations need of the caller's identity policies:
``cloudformation:<Operation>`` on the stack's ARN (``stack/<name>/*`` where the request
names it by name), on ``*`` for what names no stack (ValidateTemplate, ListExports ...);
and ``iam:PassRole`` on a service role the request hands to CloudFormation (``RoleARN``).

The resources a stack makes are authorised as they are made: CloudFormation calls each
service as the caller (or as the role), so a caller without ``lambda:CreateFunction``
cannot create a function through a stack either.
"""

from __future__ import annotations

from typing import Any

from altus.api.spec import Members, Needs

_STACKLESS = frozenset(
    {
        "ValidateTemplate",
        "ListExports",
        "ListImports",
        "ListStacks",
        "GetTemplateSummary",
    }
)


def actions(service: Any, operation: str, members: Members) -> list[Needs]:
    action = f"cloudformation:{operation}"
    name = members.get("StackName")
    if (operation == "DescribeStacks" and not name) or operation in _STACKLESS or not name:
        resource = "*"
    elif name.startswith("arn:"):
        resource = name
    else:
        resource = service.account.arn("cloudformation", f"stack/{name}/*")
    needs: list[Needs] = [(action, resource)]
    role = members.get("RoleARN")
    if role:
        needs.append(("iam:PassRole", role))
    return needs
