"""STS's operations Altus serves: GetCallerIdentity (which needs no permission and can
never be denied, as on AWS)."""

from __future__ import annotations

from altus.api.spec import Call, Members
from altus.sts.component import Sts


async def get_caller_identity(sts: Sts, call: Call, input: Members) -> Members:
    caller = sts.caller(call)
    return {"UserId": caller.user_id, "Account": sts.account.account_id, "Arn": caller.arn}
