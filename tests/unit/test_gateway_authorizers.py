"""Lambda and JWT authorizers' pure logic: identity values, answers, policies, context."""

from __future__ import annotations

import json
from typing import Any

import pytest

from altus.gateway.authorizers import (
    MalformedReply,
    Verdict,
    authorizer_context,
    identity_values,
    jwt_context,
    policy_allows,
    read_policy_reply,
    read_simple_reply,
    token_valid,
)
from altus.gateway.request import GatewayRequest

ARN = "arn:aws:execute-api:us-east-1:123456789012:abc123/prod/GET/pets/7"


def request() -> GatewayRequest:
    return GatewayRequest(
        method="GET",
        path="/pets/7",
        stage_path="/prod/pets/7",
        raw_query="q=1&q=2&k=v&empty=",
        headers=[("Authorization", "tok"), ("X-Two", "a"), ("x-two", "b")],
        body=b"",
        source_ip="127.0.0.1",
        domain_name="localhost",
        domain_prefix="abc123",
    )


@pytest.mark.parametrize(
    ("sources", "expected"),
    [
        (["$request.header.Authorization"], ["tok"]),
        (["method.request.header.authorization"], ["tok"]),  # header names ignore case
        (["$request.header.x-two"], ["a,b"]),
        (["$request.querystring.k"], ["v"]),
        (["method.request.querystring.q"], ["1,2"]),
        (["$request.querystring.K"], None),  # query names are exact
        (["$request.querystring.empty"], None),  # empty is missing
        (["$context.routeKey", "context.stage"], ["GET /pets/{id}", "prod"]),
        (["$stageVariables.sv", "stageVariables.sv"], ["s", "s"]),
        (["$request.header.Authorization", "$request.header.Missing"], None),
        (["$nonsense.x"], None),
        ([], []),
    ],
)
def test_identity_values(sources: list[str], expected: list[str] | None) -> None:
    values = identity_values(
        sources, request(), {"sv": "s"}, {"routeKey": "GET /pets/{id}", "stage": "prod"}
    )
    assert values == expected


@pytest.mark.parametrize(
    ("token", "expression", "valid"),
    [
        ("abc", None, True),
        ("abc", "", True),
        ("abc", "^[a-c]+$", True),
        ("abcd", "[a-c]+", False),  # the whole token must match
        ("Bearer x", "Bearer .+", True),
        ("x", "(", False),
    ],
)
def test_token_valid(token: str, expression: str | None, valid: bool) -> None:
    assert token_valid(token, expression) is valid


def policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(resource: Any, action: Any = "execute-api:Invoke") -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource}


def deny(resource: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": "execute-api:Invoke", "Resource": resource}


@pytest.mark.parametrize(
    ("document", "allowed"),
    [
        (policy(allow(ARN)), True),
        (policy(allow([ARN, "arn:other"])), True),
        (policy(allow("arn:aws:execute-api:us-east-1:123456789012:abc123/*")), True),
        (policy(allow("arn:aws:execute-api:*:*:abc123/prod/*/pets/?")), True),
        (policy(allow("arn:aws:execute-api:*:*:abc123/prod/POST/*")), False),
        (policy(allow(ARN, action="execute-api:*")), True),
        (policy(allow(ARN, action=["s3:GetObject", "EXECUTE-API:invoke"])), True),
        (policy(allow(ARN, action="s3:*")), False),
        (policy(allow("*"), deny(ARN)), False),  # a Deny wins
        (policy(deny("arn:other"), allow("*")), True),
        (policy(), False),
        ({"Statement": allow(ARN)}, True),  # a single statement, not a list
        (policy({"Effect": "Allow", "NotAction": "s3:*", "Resource": ARN}), True),
        (policy({"Effect": "Allow", "Action": "*", "NotResource": "arn:other"}), True),
        (policy({"Effect": "Allow", "Action": "*", "NotResource": ARN}), False),
        (policy({"Effect": "Allow", "Resource": ARN}), False),  # no action at all
    ],
)
def test_policy_allows(document: dict[str, Any], allowed: bool) -> None:
    assert policy_allows(document, ARN) is allowed


def test_read_policy_reply() -> None:
    payload = json.dumps(
        {
            "principalId": "user1",
            "policyDocument": policy(allow(ARN)),
            "context": {"n": 1, "b": True, "s": "x"},
            "usageIdentifierKey": "key-value",
        }
    ).encode()
    verdict = read_policy_reply(payload, ARN)
    assert verdict.allowed and verdict.principal_id == "user1"
    assert verdict.context == {"n": 1, "b": True, "s": "x"}
    assert verdict.usage_key == "key-value"
    assert verdict.policy is not None and not policy_allows(verdict.policy, ARN + "/more")


@pytest.mark.parametrize(
    "value",
    [
        "not an object",
        {"policyDocument": policy(allow(ARN))},
        {"principalId": "u", "policyDocument": "x"},
        {"principalId": "u", "policyDocument": {"Statement": "x"}},
        {"principalId": "u", "policyDocument": policy(allow(ARN)), "context": {"n": {"x": 1}}},
        {"principalId": "u", "policyDocument": policy(allow(ARN)), "context": []},
        {"principalId": "u", "policyDocument": policy(allow(ARN)), "usageIdentifierKey": 5},
    ],
)
def test_read_policy_reply_malformed(value: Any) -> None:
    with pytest.raises(MalformedReply):
        read_policy_reply(json.dumps(value).encode(), ARN)


def test_read_policy_reply_not_json() -> None:
    with pytest.raises(MalformedReply):
        read_policy_reply(b"{", ARN)


def test_read_simple_reply() -> None:
    verdict = read_simple_reply(b'{"isAuthorized": true, "context": {"a": [1]}}')
    assert verdict.allowed and verdict.context == {"a": [1]}
    assert not read_simple_reply(b'{"isAuthorized": false}').allowed
    for bad in (b'{"isAuthorized": "true"}', b"{}", b"[]", b"x"):
        with pytest.raises(MalformedReply):
            read_simple_reply(bad)


def test_authorizer_context_shapes() -> None:
    verdict = Verdict(True, "user1", {"n": 1, "b": False, "s": "x", "f": 1.5})
    assert authorizer_context(verdict, rest=True, version="1.0") == {
        "n": "1",
        "b": "false",
        "s": "x",
        "f": "1.5",
        "principalId": "user1",
        "integrationLatency": 0,
    }
    http_v1 = authorizer_context(verdict, rest=False, version="1.0")
    assert http_v1["n"] == 1 and http_v1["principalId"] == "user1"
    assert authorizer_context(verdict, rest=False, version="2.0") == {
        "lambda": {"n": 1, "b": False, "s": "x", "f": 1.5}
    }


def test_jwt_context() -> None:
    claims = {"sub": "u", "exp": 1700000000, "aud": ["a", "b"], "email_verified": True}
    shaped = jwt_context(claims, ["read"], version="2.0")
    assert shaped == {
        "jwt": {
            "claims": {"sub": "u", "exp": "1700000000", "aud": "[a b]", "email_verified": "true"},
            "scopes": ["read"],
        }
    }
    assert jwt_context({}, None, version="1.0") == {"claims": {}, "scopes": None}
