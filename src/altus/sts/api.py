"""STS's operations Altus serves: GetCallerIdentity (which needs no permission and can
never be denied, as on AWS), AssumeRole, GetSessionToken and GetAccessKeyInfo."""

from __future__ import annotations

from altus.api.service import request_context
from altus.api.spec import Call, Members
from altus.sts.component import Sts, expiration


async def get_caller_identity(sts: Sts, call: Call, input: Members) -> Members:
    caller = sts.caller(call)
    return {"UserId": sts.user_id(caller), "Account": sts.account.account_id, "Arn": caller.arn}


async def assume_role(sts: Sts, call: Call, input: Members) -> Members:
    credentials, assumed_id, packed = sts.assume_role(
        sts.caller(call),
        input["RoleArn"],
        input["RoleSessionName"],
        input.get("DurationSeconds"),
        input.get("Policy"),
        [entry["arn"] for entry in input.get("PolicyArns") or []],
        input.get("ExternalId"),
        request_context(call.request.scope),
    )
    answer: Members = {
        "Credentials": {
            "AccessKeyId": credentials.key.id,
            "SecretAccessKey": credentials.key.secret,
            "SessionToken": credentials.token,
            "Expiration": expiration(credentials),
        },
        "AssumedRoleUser": {"AssumedRoleId": assumed_id, "Arn": credentials.key.principal},
    }
    if packed is not None:
        answer["PackedPolicySize"] = packed
    if "SourceIdentity" in input:
        answer["SourceIdentity"] = input["SourceIdentity"]
    return answer


async def get_session_token(sts: Sts, call: Call, input: Members) -> Members:
    credentials = sts.session_token(sts.caller(call), input.get("DurationSeconds"))
    return {
        "Credentials": {
            "AccessKeyId": credentials.key.id,
            "SecretAccessKey": credentials.key.secret,
            "SessionToken": credentials.token,
            "Expiration": expiration(credentials),
        }
    }


async def get_access_key_info(sts: Sts, call: Call, input: Members) -> Members:
    return {"Account": sts.account_of_key(input["AccessKeyId"])}
