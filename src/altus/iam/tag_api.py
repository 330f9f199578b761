"""IAM's tagging operations: Tag, Untag and List...Tags of roles, users and customer
managed policies, made once per kind (``altus.iam.tags`` has IAM's rules: roles' and
users' keys without case, policies' with it; 50 at most)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

from altus.api.spec import Call, Members, Operation
from altus.iam import tags
from altus.iam.component import Iam
from altus.iam.shapes import page


def _operations(
    label: str,
    member: str,
    current: Callable[[Iam, str], Mapping[str, str]],
    tag: Callable[[Iam, str, dict[str, str]], Awaitable[None]],
    untag: Callable[[Iam, str, list[str]], Awaitable[None]],
    *,
    fold_case: bool,
) -> dict[str, Operation]:
    async def tag_operation(iam: Iam, call: Call, input: Members) -> Members:
        await tag(iam, input[member], tags.given(input["Tags"], fold_case=fold_case))
        return {}

    async def untag_operation(iam: Iam, call: Call, input: Members) -> Members:
        await untag(iam, input[member], list(input["TagKeys"]))
        return {}

    async def list_operation(iam: Iam, call: Call, input: Members) -> Members:
        shown = tags.shown(current(iam, input[member]))
        return page(shown, input, "Tags", lambda t: t)

    return {
        f"Tag{label}": tag_operation,
        f"Untag{label}": untag_operation,
        f"List{label}Tags": list_operation,
    }


OPERATIONS = {
    **_operations(
        "Role",
        "RoleName",
        lambda iam, name: iam.role(name).tags,
        lambda iam, name, given: iam.tag_role(name, given),
        lambda iam, name, keys: iam.untag_role(name, keys),
        fold_case=True,
    ),
    **_operations(
        "User",
        "UserName",
        lambda iam, name: iam.user(name).tags,
        lambda iam, name, given: iam.tag_user(name, given),
        lambda iam, name, keys: iam.untag_user(name, keys),
        fold_case=True,
    ),
    **_operations(
        "Policy",
        "PolicyArn",
        lambda iam, arn: iam.policies.get(arn).tags,
        lambda iam, arn, given: iam.tag_policy(arn, given),
        lambda iam, arn, keys: iam.untag_policy(arn, keys),
        fold_case=False,
    ),
}
