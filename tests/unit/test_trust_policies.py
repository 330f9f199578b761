"""Trust policies as IAM validates them, and as AssumeRole and CreateFunction read them:
who is named, which actions, and conditions that keep a role shut unless they hold."""

from __future__ import annotations

import json
from typing import Any

import pytest

from altus.iam.errors import MalformedPolicyDocument
from altus.iam.policies import parse, trusts

ACCOUNT_ROOT = "arn:aws:iam::123456789012:root"


def policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(principal: Any, **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole", **extra}


def test_services_and_callers_are_matched_by_name() -> None:
    lam = policy(allow({"Service": ["states.amazonaws.com", "lambda.amazonaws.com"]}))
    assert trusts(lam, service="lambda.amazonaws.com")
    assert not trusts(lam, aws=[ACCOUNT_ROOT])
    account = policy(allow({"AWS": "123456789012"}))
    assert trusts(account, aws=["arn:aws:iam::123456789012:user/a", ACCOUNT_ROOT, "123456789012"])
    assert not trusts(account, service="lambda.amazonaws.com")
    wildcard_action = policy({**allow("*"), "Action": "sts:Assume*"})
    assert trusts(wildcard_action, aws=[ACCOUNT_ROOT])


def test_an_explicit_deny_wins_and_not_principal_denies_everyone_else() -> None:
    document = policy(
        allow({"AWS": ACCOUNT_ROOT}),
        {
            "Effect": "Deny",
            "NotPrincipal": {"AWS": "arn:aws:iam::123456789012:user/ok"},
            "Action": "sts:AssumeRole",
        },
    )
    assert trusts(document, aws=["arn:aws:iam::123456789012:user/ok", ACCOUNT_ROOT])
    assert not trusts(document, aws=["arn:aws:iam::123456789012:user/other", ACCOUNT_ROOT])


def test_conditions_must_hold_and_unknown_ones_keep_the_role_shut() -> None:
    external = policy(
        allow({"AWS": ACCOUNT_ROOT}, Condition={"StringEquals": {"sts:ExternalId": "s3cret"}})
    )
    assert trusts(external, aws=[ACCOUNT_ROOT], context={"sts:ExternalId": "s3cret"})
    assert not trusts(external, aws=[ACCOUNT_ROOT], context={"sts:ExternalId": "guess"})
    assert not trusts(external, aws=[ACCOUNT_ROOT])
    unknown = policy(
        allow({"AWS": ACCOUNT_ROOT}, Condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}})
    )
    assert not trusts(unknown, aws=[ACCOUNT_ROOT])
    denied_unknown = policy(
        allow({"AWS": ACCOUNT_ROOT}),
        {
            "Effect": "Deny",
            "Principal": "*",
            "Action": "sts:AssumeRole",
            # An operator IAM does not have.
            "Condition": {"DateAfter": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}},
        },
    )
    assert not trusts(denied_unknown, aws=[ACCOUNT_ROOT])


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ("{nope", "This policy contains invalid Json"),
        (
            json.dumps({"Version": "2020-01-01", "Statement": []}),
            "The policy must contain a valid version string",
        ),
        (
            json.dumps(policy({"Effect": "Maybe", "Principal": "*", "Action": "x"})),
            "Syntax errors in policy.",
        ),
        (
            json.dumps(policy({"Effect": "Allow", "Action": "sts:AssumeRole"})),
            "AssumeRolepolicy contained an invalid principal",
        ),
        (json.dumps(policy({**allow("*"), "Resource": "*"})), "Has prohibited field Resource"),
    ],
)
def test_malformed_trust_policies_are_refused_in_iams_words(document: str, message: str) -> None:
    with pytest.raises(MalformedPolicyDocument) as raised:
        parse(document, trust=True)
    assert raised.value.message == message
