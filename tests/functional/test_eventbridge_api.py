"""EventBridge through boto3's ``events`` client against a server in this process (the
public harness, functions in-process): buses, rules and targets and AWS's errors;
PutEvents reaching a function (as ``events.amazonaws.com``, allowed by its policy), a
queue, a topic and another bus; input transformers; TestEventPattern; a function whose
policy refuses EventBridge, whose event goes to the target's dead-letter queue."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from altus.platform import Platform
from altus.testing import Harness, wait_until

ACCOUNT = "000000000000"
REGION = "us-east-1"
BUS_ARN = f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus"


@pytest.fixture(scope="module")
def harness() -> Iterator[Harness]:
    with Harness(clock=None) as made:
        yield made


@pytest.fixture(scope="module")
def events(harness: Harness) -> Any:
    return harness.client("events")


@pytest.fixture(scope="module")
def sqs(harness: Harness) -> Any:
    return harness.client("sqs")


def error_of(call: Any, **kwargs: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    error = caught.value.response["Error"]
    return error["Code"], error["Message"]


def make_queue(sqs: Any, name: str) -> tuple[str, str]:
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    return url, arn


def receive(sqs: Any, url: str, count: int = 1) -> list[dict[str, Any]]:
    got: list[dict[str, Any]] = []

    def enough() -> bool:
        found = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
        ).get("Messages", [])
        got.extend(found)
        return len(got) >= count

    wait_until(enough)
    return got


def component(harness: Harness) -> Any:
    async def found(platform: Platform) -> Any:
        return platform.component("events")

    return harness.call(found)


def put(events: Any, **entry: Any) -> dict[str, Any]:
    result: dict[str, Any] = events.put_events(Entries=[entry])
    return result


# --- buses ---------------------------------------------------------------------------------------


def test_bus_lifecycle(events: Any) -> None:
    assert events.describe_event_bus()["Arn"] == f"{BUS_ARN}/default"
    made = events.create_event_bus(Name="orders", Description="the orders")
    assert made["EventBusArn"] == f"{BUS_ARN}/orders"
    assert error_of(events.create_event_bus, Name="orders") == (
        "ResourceAlreadyExistsException",
        "Event bus orders already exists.",
    )
    described = events.describe_event_bus(Name=f"{BUS_ARN}/orders")
    assert (described["Name"], described["Description"]) == ("orders", "the orders")
    names = [b["Name"] for b in events.list_event_buses()["EventBuses"]]
    assert {"default", "orders"} <= set(names)
    assert [b["Name"] for b in events.list_event_buses(NamePrefix="ord")["EventBuses"]] == [
        "orders"
    ]
    assert error_of(events.delete_event_bus, Name="default")[0] == "ValidationException"
    events.tag_resource(ResourceARN=made["EventBusArn"], Tags=[{"Key": "team", "Value": "a"}])
    assert events.list_tags_for_resource(ResourceARN=made["EventBusArn"])["Tags"] == [
        {"Key": "team", "Value": "a"}
    ]
    events.put_permission(
        EventBusName="orders", Action="events:PutEvents", Principal="111122223333", StatementId="s1"
    )
    policy = json.loads(events.describe_event_bus(Name="orders")["Policy"])
    assert policy["Statement"][0]["Principal"] == {"AWS": "arn:aws:iam::111122223333:root"}
    events.remove_permission(EventBusName="orders", StatementId="s1")
    assert "Policy" not in events.describe_event_bus(Name="orders")
    events.delete_event_bus(Name="orders")
    assert error_of(events.describe_event_bus, Name="orders") == (
        "ResourceNotFoundException",
        "Event bus orders does not exist.",
    )


# --- rules and targets ---------------------------------------------------------------------------


def test_rules_and_their_errors(events: Any, sqs: Any) -> None:
    assert error_of(events.put_rule, Name="r") == (
        "ValidationException",
        "Parameter(s) EventPattern or ScheduleExpression must be specified.",
    )
    code, message = error_of(events.put_rule, Name="r", EventPattern='{"source": "x"}')
    assert code == "InvalidEventPatternException"
    assert message.startswith("Event pattern is not valid. Reason: ")
    events.create_event_bus(Name="custom")
    assert error_of(
        events.put_rule, Name="r", ScheduleExpression="rate(5 minutes)", EventBusName="custom"
    ) == ("ValidationException", "ScheduleExpression is supported only on the default event bus.")
    assert error_of(events.put_rule, Name="r", ScheduleExpression="rate(5 minute)") == (
        "ValidationException",
        "Parameter ScheduleExpression is not valid.",
    )
    arn = events.put_rule(Name="r", EventPattern='{"source": ["a"]}', EventBusName="custom")[
        "RuleArn"
    ]
    assert arn == f"arn:aws:events:{REGION}:{ACCOUNT}:rule/custom/r"
    _, queue = make_queue(sqs, "rules-q")
    targets = [{"Id": str(i), "Arn": queue} for i in range(5)]
    assert (
        events.put_targets(Rule="r", EventBusName="custom", Targets=targets)["FailedEntryCount"]
        == 0
    )
    assert error_of(
        events.put_targets, Rule="r", EventBusName="custom", Targets=[{"Id": "6", "Arn": queue}]
    ) == ("LimitExceededException", "The requested resource exceeds the maximum number allowed.")
    # Updating the rule keeps its targets.
    events.put_rule(
        Name="r", EventPattern='{"source": ["b"]}', EventBusName="custom", State="DISABLED"
    )
    described = events.describe_rule(Name="r", EventBusName="custom")
    assert (described["State"], described["EventPattern"]) == ("DISABLED", '{"source": ["b"]}')
    assert len(events.list_targets_by_rule(Rule="r", EventBusName="custom")["Targets"]) == 5
    assert events.list_rule_names_by_target(TargetArn=queue, EventBusName="custom")[
        "RuleNames"
    ] == ["r"]
    assert error_of(events.delete_rule, Name="r", EventBusName="custom") == (
        "ValidationException",
        "Rule can't be deleted since it has targets.",
    )
    removed = events.remove_targets(
        Rule="r", EventBusName="custom", Ids=[str(i) for i in range(5)] + ["nope"]
    )
    assert removed["FailedEntryCount"] == 1
    events.delete_rule(Name="r", EventBusName="custom")
    assert error_of(events.describe_rule, Name="r", EventBusName="custom") == (
        "ResourceNotFoundException",
        "Rule r does not exist on EventBus custom.",
    )
    fifo = sqs.create_queue(QueueName="r.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    fifo_arn = sqs.get_queue_attributes(QueueUrl=fifo, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    events.put_rule(Name="f", EventPattern='{"source": ["a"]}')
    failed = events.put_targets(Rule="f", Targets=[{"Id": "q", "Arn": fifo_arn}])
    assert failed["FailedEntries"] == [
        {
            "TargetId": "q",
            "ErrorCode": "ValidationException",
            "ErrorMessage": "Parameter(s) SqsParameters must be specified for target: q.",
        }
    ]
    for i in range(3):
        events.put_rule(Name=f"page-{i}", EventPattern='{"source": ["a"]}')
    first = events.list_rules(NamePrefix="page-", Limit=2)
    assert [r["Name"] for r in first["Rules"]] == ["page-0", "page-1"]
    second = events.list_rules(NamePrefix="page-", Limit=2, NextToken=first["NextToken"])
    assert [r["Name"] for r in second["Rules"]] == ["page-2"] and "NextToken" not in second


def test_put_events_checks_each_entry(events: Any) -> None:
    result = events.put_events(
        Entries=[
            {"Source": "a", "DetailType": "t", "Detail": "{}"},
            {"DetailType": "t", "Detail": "{}"},
            {"Source": "a", "DetailType": "t", "Detail": "[1]"},
            {"Source": "a", "DetailType": "t", "Detail": "{}", "EventBusName": "nowhere"},
        ]
    )
    assert result["FailedEntryCount"] == 3
    ok, missing, malformed, nowhere = result["Entries"]
    assert len(ok["EventId"]) == 36
    assert missing == {
        "ErrorCode": "InvalidArgument",
        "ErrorMessage": "Parameter Source is not valid. Reason: Source is a required argument.",
    }
    assert malformed == {"ErrorCode": "MalformedDetail", "ErrorMessage": "Detail is malformed."}
    assert nowhere["ErrorCode"] == "ResourceNotFoundException"
    big = "x" * (130 * 1024)
    assert error_of(
        events.put_events,
        Entries=[{"Source": "a", "DetailType": "t", "Detail": json.dumps({"v": big})}] * 2,
    ) == ("ValidationException", "Total size of the entries in the request is over the limit.")


# --- delivery ------------------------------------------------------------------------------------


def test_put_events_reaches_a_function_allowed_by_its_policy(harness: Harness, events: Any) -> None:
    seen: list[dict[str, Any]] = []
    function = harness.create_function("on-event", lambda event, context: seen.append(event))
    rule = events.put_rule(Name="to-fn", EventPattern='{"source": ["shop"]}')["RuleArn"]
    harness.client("lambda").add_permission(
        FunctionName="on-event",
        StatementId="events",
        Action="lambda:InvokeFunction",
        Principal="events.amazonaws.com",
        SourceArn=rule,
    )
    events.put_targets(Rule="to-fn", Targets=[{"Id": "fn", "Arn": function["FunctionArn"]}])
    [entry] = put(
        events,
        Source="shop",
        DetailType="Order Placed",
        Detail='{"id": 7}',
        Resources=["arn:aws:s3:::r"],
    )["Entries"]
    wait_until(lambda: len(seen) == 1)
    event = seen[0]
    assert event["id"] == entry["EventId"]
    assert {k: event[k] for k in ("version", "detail-type", "source", "account", "region")} == {
        "version": "0",
        "detail-type": "Order Placed",
        "source": "shop",
        "account": ACCOUNT,
        "region": REGION,
    }
    assert event["resources"] == ["arn:aws:s3:::r"] and event["detail"] == {"id": 7}
    assert event["time"].endswith("Z") and len(event["time"]) == 20
    events.remove_targets(Rule="to-fn", Ids=["fn"])
    events.delete_rule(Name="to-fn")


def test_a_function_that_refuses_events_is_not_invoked_and_the_event_goes_to_the_dlq(
    harness: Harness, events: Any, sqs: Any
) -> None:
    seen: list[Any] = []
    function = harness.create_function("closed", lambda event, context: seen.append(event))
    url, dlq = make_queue(sqs, "closed-dlq")
    rule = events.put_rule(Name="to-closed", EventPattern='{"source": ["closed"]}')["RuleArn"]
    events.put_targets(
        Rule="to-closed",
        Targets=[{"Id": "fn", "Arn": function["FunctionArn"], "DeadLetterConfig": {"Arn": dlq}}],
    )
    put(events, Source="closed", DetailType="t", Detail='{"a": 1}')
    [message] = receive(sqs, url)
    body = json.loads(message["Body"])
    assert body["source"] == "closed" and body["detail"] == {"a": 1}
    attributes = {k: v["StringValue"] for k, v in message["MessageAttributes"].items()}
    assert attributes["RULE_ARN"] == rule
    assert attributes["TARGET_ARN"] == function["FunctionArn"]
    assert attributes["ERROR_CODE"] == "NO_PERMISSIONS"
    assert "events.amazonaws.com" in attributes["ERROR_MESSAGE"]
    assert attributes["RETRY_ATTEMPTS"] == "0"
    assert seen == []


def test_to_a_queue_a_topic_and_another_bus(events: Any, sqs: Any, harness: Harness) -> None:
    sns = harness.client("sns")
    url, queue = make_queue(sqs, "eb-direct")
    topic_url, topic_queue = make_queue(sqs, "eb-via-topic")
    topic = sns.create_topic(Name="eb-topic")["TopicArn"]
    sns.subscribe(
        TopicArn=topic,
        Protocol="sqs",
        Endpoint=topic_queue,
        Attributes={"RawMessageDelivery": "true"},
    )
    bus_url, bus_queue = make_queue(sqs, "eb-via-bus")
    events.create_event_bus(Name="second")
    events.put_rule(Name="on-second", EventBusName="second", EventPattern='{"source": ["fan"]}')
    events.put_targets(
        Rule="on-second", EventBusName="second", Targets=[{"Id": "q", "Arn": bus_queue}]
    )
    events.put_rule(Name="fan", EventPattern='{"source": ["fan"]}')
    events.put_targets(
        Rule="fan",
        Targets=[
            {"Id": "q", "Arn": queue},
            {"Id": "t", "Arn": topic},
            {"Id": "b", "Arn": f"{BUS_ARN}/second"},
        ],
    )
    [entry] = put(events, Source="fan", DetailType="t", Detail='{"n": 1}')["Entries"]
    for where in (url, topic_url, bus_url):
        [message] = receive(sqs, where)
        event = json.loads(message["Body"])
        assert event["id"] == entry["EventId"] and event["detail"] == {"n": 1}


def test_input_selection_and_transformers(events: Any, sqs: Any) -> None:
    urls: dict[str, str] = {}
    targets: list[dict[str, Any]] = []
    transformer: dict[str, Any] = {
        "InputPathsMap": {"id": "$.detail.id", "kind": "$.detail.kind", "gone": "$.detail.no"},
        "InputTemplate": '{"order": <id>, "text": "<kind> #<id>", "none": <gone>, '
        '"rule": "<aws.events.rule-name>"}',
    }
    shapes: dict[str, dict[str, Any]] = {
        "constant": {"Input": '{"fixed": true}'},
        "path": {"InputPath": "$.detail.items[1]"},
        "json": {"InputTransformer": transformer},
        "text": {
            "InputTransformer": {
                "InputPathsMap": {"kind": "$.detail.kind"},
                "InputTemplate": '"a <kind> order"',
            }
        },
    }
    for name, shape in shapes.items():
        urls[name], arn = make_queue(sqs, f"input-{name}")
        targets.append({"Id": name, "Arn": arn, **shape})
    events.put_rule(Name="inputs", EventPattern='{"source": ["inputs"]}')
    events.put_targets(Rule="inputs", Targets=targets)
    put(
        events,
        Source="inputs",
        DetailType="t",
        Detail='{"id": 42, "kind": "big", "items": ["a", {"b": 2}]}',
    )
    bodies = {name: receive(sqs, url)[0]["Body"] for name, url in urls.items()}
    assert json.loads(bodies["constant"]) == {"fixed": True}
    assert json.loads(bodies["path"]) == {"b": 2}
    assert json.loads(bodies["json"]) == {
        "order": 42,
        "text": "big #42",
        "none": None,
        "rule": "inputs",
    }
    assert bodies["text"] == '"a big order"'
    assert (
        error_of(
            events.put_targets,
            Rule="inputs",
            Targets=[{"Id": "x", "Arn": targets[0]["Arn"], "Input": "{}", "InputPath": "$"}],
        )[0]
        == "ValidationException"
    )


# --- TestEventPattern ----------------------------------------------------------------------------

EVENT = {
    "version": "0",
    "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
    "detail-type": "EC2 Instance State-change Notification",
    "source": "aws.ec2",
    "account": ACCOUNT,
    "time": "2017-12-22T18:43:48Z",
    "region": REGION,
    "resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-1234567890abcdef0"],
    "detail": {"instance-id": "i-1234567890abcdef0", "state": "terminated", "n": 5},
}

PATTERNS = [
    ({"source": ["aws.ec2"]}, True),
    ({"source": ["aws.s3"]}, False),
    ({"detail": {"state": [{"prefix": "term"}]}}, True),
    ({"detail": {"state": [{"suffix": "ated"}]}}, True),
    ({"detail": {"state": [{"anything-but": "terminated"}]}}, False),
    ({"detail": {"n": [{"numeric": [">", 1, "<=", 5]}]}}, True),
    ({"detail": {"missing": [{"exists": False}]}}, True),
    ({"detail": {"state": [{"equals-ignore-case": "TERMINATED"}]}}, True),
    ({"detail": {"state": [{"wildcard": "t*d"}]}}, True),
    ({"$or": [{"source": ["nope"]}, {"detail": {"n": [5]}}]}, True),
]


@pytest.mark.parametrize(("pattern", "expected"), PATTERNS)
def test_event_pattern_table(events: Any, pattern: dict[str, Any], expected: bool) -> None:
    result = events.test_event_pattern(EventPattern=json.dumps(pattern), Event=json.dumps(EVENT))
    assert result["Result"] is expected


def test_event_pattern_errors(events: Any) -> None:
    code, _ = error_of(events.test_event_pattern, EventPattern="[]", Event=json.dumps(EVENT))
    assert code == "InvalidEventPatternException"
    broken = {k: v for k, v in EVENT.items() if k != "source"}
    assert error_of(
        events.test_event_pattern, EventPattern='{"source": ["a"]}', Event=json.dumps(broken)
    ) == ("ValidationException", "Parameter Event is not valid.")


# --- what a review found -------------------------------------------------------------------------


def visible(sqs: Any, url: str) -> int:
    attributes = sqs.get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"]
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"])


def test_a_role_does_not_open_a_function_that_refuses_events(
    harness: Harness, events: Any, sqs: Any
) -> None:
    """Where requests are not authorised, a function target is reached by its own
    policy, whatever RoleArn the target names."""
    seen: list[Any] = []
    function = harness.create_function("role-closed", lambda event, context: seen.append(event))
    url, dlq = make_queue(sqs, "role-closed-dlq")
    rule = events.put_rule(Name="to-role-closed", EventPattern='{"source": ["rc"]}')["RuleArn"]
    target = {
        "Id": "fn",
        "Arn": function["FunctionArn"],
        "RoleArn": f"arn:aws:iam::{ACCOUNT}:role/does-not-exist",
        "DeadLetterConfig": {"Arn": dlq},
    }
    events.put_targets(Rule="to-role-closed", Targets=[target])
    put(events, Source="rc", DetailType="t", Detail='{"n": 1}')
    [message] = receive(sqs, url)
    assert message["MessageAttributes"]["ERROR_CODE"]["StringValue"] == "NO_PERMISSIONS"
    assert seen == []
    harness.client("lambda").add_permission(
        FunctionName="role-closed",
        StatementId="events",
        Action="lambda:InvokeFunction",
        Principal="events.amazonaws.com",
        SourceArn=rule,
    )
    put(events, Source="rc", DetailType="t", Detail='{"n": 2}')
    wait_until(lambda: len(seen) == 1)
    assert seen[0]["detail"] == {"n": 2}


def test_a_fifo_queue_gets_distinct_events_with_equal_input(events: Any, sqs: Any) -> None:
    url = sqs.create_queue(QueueName="orders.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    events.put_rule(Name="to-fifo", EventPattern='{"source": ["shop-fifo"]}')
    transformer = {"InputPathsMap": {"sku": "$.detail.sku"}, "InputTemplate": '{"sku": <sku>}'}
    events.put_targets(
        Rule="to-fifo",
        Targets=[
            {
                "Id": "q",
                "Arn": f"arn:aws:sqs:{REGION}:{ACCOUNT}:orders.fifo",
                "SqsParameters": {"MessageGroupId": "g"},
                "InputTransformer": transformer,
            }
        ],
    )
    for n in range(3):  # three orders of one SKU: three events, one input
        put(events, Source="shop-fifo", DetailType="order", Detail=json.dumps({"sku": "A", "n": n}))
    got: list[str] = []

    def taken() -> bool:
        # A FIFO group hands out no more while some of it is in flight: delete as read.
        for message in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get(
            "Messages", []
        ):
            got.append(message["Body"])
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        return len(got) >= 3

    wait_until(taken)
    assert got == ['{"sku": "A"}'] * 3


def test_an_event_from_a_bus_target_goes_to_no_further_bus(
    harness: Harness, events: Any, sqs: Any
) -> None:
    eb = component(harness)
    a_url, a_queue = make_queue(sqs, "loop-a")
    b_url, b_queue = make_queue(sqs, "loop-b")
    events.create_event_bus(Name="loop-b")
    pattern = '{"source": ["loop"]}'
    events.put_rule(Name="a", EventPattern=pattern)
    events.put_rule(Name="b", EventBusName="loop-b", EventPattern=pattern)
    # A rule may not target its own bus.
    refused = events.put_targets(Rule="a", Targets=[{"Id": "self", "Arn": f"{BUS_ARN}/default"}])
    assert refused["FailedEntries"][0]["ErrorCode"] == "ValidationException"
    # default -> loop-b -> default would loop: loop-b does not send it on.
    events.put_targets(
        Rule="a", Targets=[{"Id": "q", "Arn": a_queue}, {"Id": "b", "Arn": f"{BUS_ARN}/loop-b"}]
    )
    events.put_targets(
        Rule="b",
        EventBusName="loop-b",
        Targets=[{"Id": "q", "Arn": b_queue}, {"Id": "a", "Arn": f"{BUS_ARN}/default"}],
    )
    before = eb.deliveries.delivered
    put(events, Source="loop", DetailType="t", Detail="{}")
    # To queue a, to loop-b, and from loop-b to queue b: three, then nothing pending.
    wait_until(lambda: eb.deliveries.delivered - before >= 3 and not eb.deliveries.pending())
    assert eb.deliveries.delivered - before == 3
    assert (visible(sqs, a_url), visible(sqs, b_url)) == (1, 1)
    events.remove_targets(Rule="a", Ids=["q", "b"])
    events.remove_targets(Rule="b", EventBusName="loop-b", Ids=["q", "a"])


def test_bus_policies_of_every_valid_shape(events: Any) -> None:
    events.create_event_bus(Name="policies")
    assert error_of(events.remove_permission, EventBusName="policies", StatementId="s") == (
        "ResourceNotFoundException",
        "EventBus does not have a policy.",
    )
    one = {
        "Version": "2012-10-17",
        "Statement": {
            "Sid": "a",
            "Effect": "Allow",
            "Principal": "*",
            "Action": "events:PutEvents",
            "Resource": f"{BUS_ARN}/policies",
        },
    }
    events.put_permission(EventBusName="policies", Policy=json.dumps(one))
    events.put_permission(
        EventBusName="policies",
        Action="events:PutEvents",
        Principal="111122223333",
        StatementId="b",
    )
    events.remove_permission(EventBusName="policies", StatementId="a")
    policy = json.loads(events.describe_event_bus(Name="policies")["Policy"])
    assert [s["Sid"] for s in policy["Statement"]] == ["b"]
    for statement in (["x"], "x", 3):
        code, _ = error_of(
            events.put_permission,
            EventBusName="policies",
            Policy=json.dumps({"Version": "2012-10-17", "Statement": statement}),
        )
        assert code == "ValidationException"
    assert json.loads(events.describe_event_bus(Name="policies")["Policy"]) == policy


def test_put_rule_replaces_what_it_omits(events: Any) -> None:
    events.put_rule(
        Name="replaced",
        EventPattern='{"source": ["x"]}',
        Description="d",
        State="DISABLED",
        RoleArn=f"arn:aws:iam::{ACCOUNT}:role/r",
    )
    events.put_rule(Name="replaced", EventPattern='{"source": ["x"]}')
    described = events.describe_rule(Name="replaced")
    assert described["State"] == "ENABLED"
    assert "Description" not in described and "RoleArn" not in described


def test_transformer_strings_stay_json_and_templates_are_checked(events: Any, sqs: Any) -> None:
    url, arn = make_queue(sqs, "escaped")
    events.put_rule(Name="escaped", EventPattern='{"source": ["esc"]}')
    events.put_targets(
        Rule="escaped",
        Targets=[
            {
                "Id": "q",
                "Arn": arn,
                "InputTransformer": {
                    "InputPathsMap": {"n": "$.detail.name", "o": "$.detail.obj"},
                    "InputTemplate": '{"msg": "hi <n>", "raw": <n>, "obj": "<o>"}',
                },
            }
        ],
    )
    name = 'say "x" \\ \n'
    put(events, Source="esc", DetailType="t", Detail=json.dumps({"name": name, "obj": {"k": 1}}))
    [message] = receive(sqs, url)
    assert json.loads(message["Body"]) == {"msg": f"hi {name}", "raw": name, "obj": '{"k":1}'}
    bad = {
        '{"a": ': "the template is not valid JSON once its placeholders are filled.",
        '{"a": <nope>}': "the template is not valid JSON once its placeholders are filled.",
        "{<k>: 1}": "the placeholder <k> cannot be used as an object key.",
    }
    for template, reason in bad.items():
        transformer = {"InputPathsMap": {"k": "$.source"}, "InputTemplate": template}
        assert error_of(
            events.put_targets,
            Rule="escaped",
            Targets=[{"Id": "t", "Arn": arn, "InputTransformer": transformer}],
        ) == ("ValidationException", f"InputTemplate for target t contains invalid JSON: {reason}")
    assert [t["Id"] for t in events.list_targets_by_rule(Rule="escaped")["Targets"]] == ["q"]


def test_test_event_pattern_needs_resources(events: Any) -> None:
    without = {k: v for k, v in EVENT.items() if k != "resources"}
    assert error_of(
        events.test_event_pattern, EventPattern='{"source": ["aws.ec2"]}', Event=json.dumps(without)
    ) == ("ValidationException", "Parameter Event is not valid.")


def test_the_request_must_total_less_than_256_kb(events: Any) -> None:
    def entry(size: int) -> dict[str, str]:
        # Source (1) + DetailType (1) + Detail ({"a":"…"}: 8 + the padding).
        return {"Source": "s", "DetailType": "d", "Detail": '{"a":"' + "x" * (size - 10) + '"}'}

    assert error_of(events.put_events, Entries=[entry(262144)]) == (
        "ValidationException",
        "Total size of the entries in the request is over the limit.",
    )
    assert events.put_events(Entries=[entry(262143)])["FailedEntryCount"] == 0


def test_put_targets_and_bus_names_refused_as_aws_does(events: Any) -> None:
    queue = f"arn:aws:sqs:{REGION}:{ACCOUNT}:q"
    # The rule is looked up before the targets' input is checked.
    assert error_of(
        events.put_targets, Rule="nope", Targets=[{"Id": "a", "Arn": queue, "Input": "not json"}]
    )[0] == ("ResourceNotFoundException")
    events.put_rule(Name="dupes", EventPattern='{"source": ["x"]}')
    code, message = error_of(
        events.put_targets,
        Rule="dupes",
        Targets=[{"Id": "a", "Arn": queue}, {"Id": "a", "Arn": queue + "2"}],
    )
    assert code == "ValidationException" and "a" in message
    assert events.list_targets_by_rule(Rule="dupes")["Targets"] == []
    # A bus ARN of another account (or region) is no bus here.
    foreign = f"arn:aws:events:{REGION}:111122223333:event-bus/default"
    assert error_of(events.describe_event_bus, Name=foreign)[0] == "ResourceNotFoundException"
    [result] = events.put_events(
        Entries=[{"Source": "x", "DetailType": "t", "Detail": "{}", "EventBusName": foreign}]
    )["Entries"]
    assert result["ErrorCode"] == "ResourceNotFoundException"
    other_region = f"arn:aws:events:eu-west-1:{ACCOUNT}:event-bus/default"
    assert error_of(events.describe_event_bus, Name=other_region)[0] == "ResourceNotFoundException"


def test_a_functions_destination_on_a_bus_arrives_as_lambdas_event(
    harness: Harness, events: Any, sqs: Any
) -> None:
    """Lambda's OnSuccess destination on an event bus: the record is the detail of an event
    from ``lambda``, which the bus's rules route like any other."""
    url, queue_arn = make_queue(sqs, "destination-events")
    events.put_rule(
        Name="from-lambda",
        EventPattern=json.dumps({"source": ["lambda"]}),
    )
    events.put_targets(Rule="from-lambda", Targets=[{"Id": "q", "Arn": queue_arn}])
    harness.create_function("to-bus", lambda event, context: {"done": event["n"]})
    lam = harness.client("lambda")
    lam.put_function_event_invoke_config(
        FunctionName="to-bus",
        DestinationConfig={"OnSuccess": {"Destination": f"{BUS_ARN}/default"}},
    )
    lam.invoke(FunctionName="to-bus", InvocationType="Event", Payload=b'{"n": 7}')
    (message,) = receive(sqs, url)
    event = json.loads(message["Body"])
    assert event["source"] == "lambda"
    assert event["detail-type"] == "Lambda Function Invocation Result - Success"
    assert event["resources"] == [f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:to-bus:$LATEST"]
    assert event["detail"]["responsePayload"] == {"done": 7}
    assert event["detail"]["requestPayload"] == {"n": 7}
