"""EventBridge where requests are authorised (``--auth iam``): PutEvents needs
``events:PutEvents`` on the bus of every entry, ListTargetsByRule is authorised on its
rule, a target's RoleArn must be passed (``iam:PassRole``) and must trust
``events.amazonaws.com`` before EventBridge acts as it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from altus.testing import wait_until
from tests.functional.guarded import Guarded, guarded

ACCOUNT = "000000000000"
REGION = "us-east-1"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Guarded]:
    with guarded(tmp_path_factory.mktemp("eb-auth")) as made:
        yield made


def bus_arn(name: str) -> str:
    return f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/{name}"


def queue(server: Guarded, name: str) -> tuple[str, str]:
    url = server.client("sqs").create_queue(QueueName=name)["QueueUrl"]
    return url, f"arn:aws:sqs:{REGION}:{ACCOUNT}:{name}"


def role(server: Guarded, name: str, service: str, statement: dict[str, Any]) -> str:
    iam = server.client("iam")
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
        ],
    }
    arn: str = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"][
        "Arn"
    ]
    iam.put_role_policy(
        RoleName=name,
        PolicyName="p",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [statement]}),
    )
    return arn


def entry(bus: str, detail: str = "{}") -> dict[str, str]:
    return {"Source": "x", "DetailType": "t", "Detail": detail, "EventBusName": bus}


def test_put_events_needs_every_entrys_bus(server: Guarded) -> None:
    admin = server.client("events")
    admin.create_event_bus(Name="open")
    admin.create_event_bus(Name="secret")
    user = server.client(
        "events",
        **server.user(
            "putter",
            [{"Effect": "Allow", "Action": "events:PutEvents", "Resource": bus_arn("open")}],
        ),
    )
    eb = server.component("events")
    assert user.put_events(Entries=[entry("open")])["FailedEntryCount"] == 0
    # A second entry may not smuggle an event onto a bus the caller may not use: the
    # call is refused whole, and nothing of it is accepted.
    for entries in ([entry("secret")], [entry("open"), entry("secret", '{"smuggled": 1}')]):
        with pytest.raises(ClientError) as refused:
            user.put_events(Entries=entries)
        assert refused.value.response["Error"]["Code"] == "AccessDeniedException"
        assert bus_arn("secret") in refused.value.response["Error"]["Message"]
    rule = admin.put_rule(Name="r", EventBusName="secret", EventPattern='{"source": ["x"]}')
    url, arn = queue(server, "secret-q")
    # The queue lets the rule send to it (its own policy: a target without a role).
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "events.amazonaws.com"},
                "Action": "sqs:SendMessage",
                "Resource": arn,
                "Condition": {"ArnEquals": {"aws:SourceArn": rule["RuleArn"]}},
            }
        ],
    }
    server.client("sqs").set_queue_attributes(
        QueueUrl=url, Attributes={"Policy": json.dumps(policy)}
    )
    admin.put_targets(Rule="r", EventBusName="secret", Targets=[{"Id": "q", "Arn": arn}])
    with pytest.raises(ClientError):
        user.put_events(Entries=[entry("open"), entry("secret", '{"smuggled": 2}')])
    assert eb.deliveries.pending() == [] and eb.deliveries.delivered == 0
    # The bus's own policy may allow the caller.
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "putter",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:user/putter"},
                "Action": "events:PutEvents",
                "Resource": bus_arn("secret"),
            }
        ],
    }
    admin.put_permission(EventBusName="secret", Policy=json.dumps(policy))
    result = user.put_events(Entries=[entry("open"), entry("secret", '{"allowed": 1}')])
    assert result["FailedEntryCount"] == 0
    sqs = server.client("sqs")
    [message] = wait_until(lambda: sqs.receive_message(QueueUrl=url).get("Messages"))
    assert json.loads(message["Body"])["detail"] == {"allowed": 1}


def test_list_targets_by_rule_is_authorised_on_its_rule(server: Guarded) -> None:
    admin = server.client("events")
    for name in ("mine", "theirs"):
        admin.put_rule(Name=name, EventPattern='{"source": ["x"]}')
    rule = f"arn:aws:events:{REGION}:{ACCOUNT}:rule/mine"
    user = server.client(
        "events",
        **server.user(
            "lister",
            [{"Effect": "Allow", "Action": "events:ListTargetsByRule", "Resource": rule}],
        ),
    )
    assert user.list_targets_by_rule(Rule="mine")["Targets"] == []
    with pytest.raises(ClientError) as refused:
        user.list_targets_by_rule(Rule="theirs")
    assert refused.value.response["Error"]["Code"] == "AccessDeniedException"


def test_a_target_role_must_be_passed_and_trust_eventbridge(server: Guarded) -> None:
    admin, sqs = server.client("events"), server.client("sqs")
    url, arn = queue(server, "by-role")
    dlq_url, dlq = queue(server, "by-role-dlq")
    send = {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": arn}
    trusted = role(server, "eb-sender", "events.amazonaws.com", send)
    untrusted = role(server, "lambda-sender", "lambda.amazonaws.com", send)
    rule = f"arn:aws:events:{REGION}:{ACCOUNT}:rule/by-role"
    admin.put_rule(Name="by-role", EventPattern='{"source": ["role"]}')

    # PutTargets naming a role needs iam:PassRole on it.
    put_only = {"Effect": "Allow", "Action": "events:PutTargets", "Resource": rule}
    user = server.client("events", **server.user("targeter", [put_only]))
    target = {"Id": "q", "Arn": arn, "RoleArn": trusted}
    with pytest.raises(ClientError) as refused:
        user.put_targets(Rule="by-role", Targets=[target])
    assert refused.value.response["Error"]["Code"] == "AccessDeniedException"
    assert "iam:PassRole" in refused.value.response["Error"]["Message"]
    passer = server.user(
        "passer",
        [put_only, {"Effect": "Allow", "Action": "iam:PassRole", "Resource": trusted}],
    )
    server.client("events", **passer).put_targets(Rule="by-role", Targets=[target])

    # A role that trusts EventBridge, allowed to send: delivered as that role.
    admin.put_events(Entries=[{"Source": "role", "DetailType": "t", "Detail": '{"n": 1}'}])
    [message] = wait_until(lambda: sqs.receive_message(QueueUrl=url).get("Messages"))
    assert json.loads(message["Body"])["detail"] == {"n": 1}

    # A role that does not trust EventBridge is not acted as: no permissions. (The
    # dead-letter queue's own policy lets EventBridge send to it, as AWS requires.)
    dlq_policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "events.amazonaws.com"},
                "Action": "sqs:SendMessage",
                "Resource": dlq,
                "Condition": {"ArnEquals": {"aws:SourceArn": rule}},
            }
        ],
    }
    sqs.set_queue_attributes(QueueUrl=dlq_url, Attributes={"Policy": json.dumps(dlq_policy)})
    admin.put_targets(
        Rule="by-role",
        Targets=[{"Id": "q", "Arn": arn, "RoleArn": untrusted, "DeadLetterConfig": {"Arn": dlq}}],
    )
    admin.put_events(Entries=[{"Source": "role", "DetailType": "t", "Detail": '{"n": 2}'}])
    [dead] = wait_until(
        lambda: sqs.receive_message(QueueUrl=dlq_url, MessageAttributeNames=["All"]).get("Messages")
    )
    assert json.loads(dead["Body"])["detail"] == {"n": 2}
    assert dead["MessageAttributes"]["ERROR_CODE"]["StringValue"] == "NO_PERMISSIONS"
    sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    assert sqs.receive_message(QueueUrl=url).get("Messages") is None
