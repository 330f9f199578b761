"""``altus local generate-event``: every service and kind gives JSON of its trigger's
shape, with sam's options and defaults, and unknown names are refused by name."""

from __future__ import annotations

import argparse
import base64
import hashlib
import json

import pytest

from altus.cli.sample_events import EVENTS, SampleEventError, add_commands, event, generate

NOW_MS = 1_700_000_123_456


@pytest.mark.parametrize(
    ("service", "kind"), [(s, k) for s, kinds in EVENTS.items() for k in kinds]
)
def test_every_event_is_json_with_defaults(service: str, kind: str) -> None:
    text = generate(service, kind, now_ms=NOW_MS)
    assert text.endswith("\n")
    assert isinstance(json.loads(text), dict)


def test_s3_put_and_delete() -> None:
    put = event("s3", "put", {"bucket": "photos", "key": "in/a b.jpg"}, now_ms=NOW_MS)
    (record,) = put["Records"]
    assert record["eventSource"] == "aws:s3"
    assert record["eventName"] == "ObjectCreated:Put"
    assert record["eventTime"] == "2023-11-14T22:15:23.456Z"
    assert record["s3"]["bucket"] == {
        "name": "photos",
        "ownerIdentity": {"principalId": "123456789012"},
        "arn": "arn:aws:s3:::photos",
    }
    # Keys are form-encoded in S3's events.
    assert record["s3"]["object"]["key"] == "in/a+b.jpg"
    assert record["s3"]["object"]["size"] == 1024
    deleted = event("s3", "delete", now_ms=NOW_MS)["Records"][0]
    assert deleted["eventName"] == "ObjectRemoved:Delete"
    assert deleted["s3"]["object"]["key"] == "test/key"
    assert "size" not in deleted["s3"]["object"]


def test_sqs_receive_message() -> None:
    body = "hello there"
    made = event(
        "sqs",
        "receive-message",
        {"queue-name": "orders", "body": body, "region": "eu-west-1", "account_id": "111122223333"},
    )
    (record,) = made["Records"]
    assert record["body"] == body
    assert record["md5OfBody"] == hashlib.md5(body.encode()).hexdigest()
    assert record["eventSourceARN"] == "arn:aws:sqs:eu-west-1:111122223333:orders"
    assert record["awsRegion"] == "eu-west-1"


def test_sns_notification() -> None:
    made = event("sns", "notification", {"topic": "news", "message": "hi", "subject": "s"})
    (record,) = made["Records"]
    assert record["EventSource"] == "aws:sns"
    assert record["EventSubscriptionArn"].startswith("arn:aws:sns:us-east-1:123456789012:news:")
    sns = record["Sns"]
    assert (sns["Type"], sns["TopicArn"], sns["Subject"], sns["Message"]) == (
        "Notification",
        "arn:aws:sns:us-east-1:123456789012:news",
        "s",
        "hi",
    )
    assert sns["SignatureVersion"] == "1"
    assert sns["MessageAttributes"] == {}
    assert event("sns", "notification", {"subject": ""})["Records"][0]["Sns"]["Subject"] is None


def test_rest_proxy_event() -> None:
    made = event(
        "apigateway",
        "aws-proxy",
        {"resource": "/items/{id}", "path": "items/7", "method": "get", "stage": "dev"},
        now_ms=NOW_MS,
    )
    assert "version" not in made
    assert (made["resource"], made["path"], made["httpMethod"]) == (
        "/items/{id}",
        "/items/7",
        "GET",
    )
    assert made["pathParameters"] == {"id": "7"}
    context = made["requestContext"]
    assert (context["stage"], context["path"], context["resourcePath"]) == (
        "dev",
        "/dev/items/7",
        "/items/{id}",
    )
    assert context["accountId"] == "123456789012"
    assert context["requestTimeEpoch"] == NOW_MS
    assert context["domainName"] == "1234567890.execute-api.us-east-1.amazonaws.com"
    # A JSON body is text, as API Gateway passes it.
    assert (made["body"], made["isBase64Encoded"]) == ('{"test":"body"}', False)
    assert made["headers"]["Content-Type"] == "application/json"
    greedy = event("apigateway", "aws-proxy")
    assert greedy["pathParameters"] == {"proxy": "path/to/resource"}


def test_http_api_event() -> None:
    made = event("apigateway", "http-api-proxy", {"path": "/a/b", "body": ""}, now_ms=NOW_MS)
    assert made["version"] == "2.0"
    assert (made["routeKey"], made["rawPath"]) == ("$default", "/a/b")
    assert made["requestContext"]["stage"] == "$default"
    assert made["requestContext"]["http"]["method"] == "POST"
    assert made["requestContext"]["timeEpoch"] == NOW_MS
    assert "body" not in made and made["isBase64Encoded"] is False
    staged = event("apigateway", "http-api-proxy", {"stage": "prod", "body": "plain"})
    assert staged["rawPath"] == "/prod/path/to/resource"
    assert (staged["body"], staged["isBase64Encoded"]) == ("plain", False)


def test_token_authorizer_event() -> None:
    made = event("apigateway", "authorizer", {"restApiId": "abc", "resource": "pets"})
    assert made == {
        "type": "TOKEN",
        "methodArn": "arn:aws:execute-api:us-east-1:123456789012:abc/prod/POST/pets",
        "authorizationToken": "incoming-client-token",
    }


def test_scheduled_event_under_both_names() -> None:
    for service in ("cloudwatch", "eventbridge"):
        made = event(service, "scheduled-event", {"rule": "nightly"}, now_ms=NOW_MS)
        assert made["detail-type"] == "Scheduled Event"
        assert made["source"] == "aws.events"
        assert made["time"] == "2023-11-14T22:15:00Z"
        assert made["resources"] == ["arn:aws:events:us-east-1:123456789012:rule/nightly"]
        assert made["detail"] == {}


def test_kinesis_get_records() -> None:
    made = event("kinesis", "get-records", {"data": "payload", "partition-key": "pk"})
    (record,) = made["Records"]
    assert record["eventSource"] == "aws:kinesis"
    assert base64.b64decode(record["kinesis"]["data"]) == b"payload"
    assert record["kinesis"]["partitionKey"] == "pk"
    sequence = record["kinesis"]["sequenceNumber"]
    assert record["eventID"] == f"shardId-000000000000:{sequence}"


def test_dynamodb_update() -> None:
    made = event("dynamodb", "update", {"table": "Orders", "region": "eu-west-1"}, now_ms=NOW_MS)
    records = made["Records"]
    assert [r["eventName"] for r in records] == ["INSERT", "MODIFY", "REMOVE"]
    sequences = [int(r["dynamodb"]["SequenceNumber"]) for r in records]
    assert sequences == sorted(sequences)
    for record in records:
        assert record["eventSource"] == "aws:dynamodb"
        assert record["awsRegion"] == "eu-west-1"
        assert record["dynamodb"]["Keys"] == {"Id": {"N": "101"}}
        assert record["eventSourceARN"].startswith(
            "arn:aws:dynamodb:eu-west-1:123456789012:table/Orders/stream/"
        )
    assert "OldImage" not in records[0]["dynamodb"]
    assert records[1]["dynamodb"]["OldImage"] == records[0]["dynamodb"]["NewImage"]
    assert "NewImage" not in records[2]["dynamodb"]


def test_stepfunctions_error() -> None:
    assert event("stepfunctions", "error", {"error": "States.Timeout", "cause": "slow"}) == {
        "Error": "States.Timeout",
        "Cause": "slow",
    }


def test_partition_rewrites_arns() -> None:
    made = event("sqs", "receive-message", {"partition": "aws-cn", "region": "cn-north-1"})
    assert made["Records"][0]["eventSourceARN"].startswith("arn:aws-cn:sqs:cn-north-1:")
    s3 = event("s3", "put", {"partition": "aws-us-gov"})
    assert s3["Records"][0]["s3"]["bucket"]["arn"] == "arn:aws-us-gov:s3:::example-bucket"


def test_unknown_names_are_refused() -> None:
    with pytest.raises(SampleEventError, match="no events of service 'nope'; there are: "):
        event("nope", "put")
    with pytest.raises(SampleEventError, match="no s3 event 'get'; there are: delete, put"):
        event("s3", "get")
    with pytest.raises(SampleEventError, match="s3 put has no option --body; its options: "):
        event("s3", "put", {"body": "x"})


def test_the_command(capsys: pytest.CaptureFixture[str]) -> None:
    parser = argparse.ArgumentParser(prog="altus local")
    add_commands(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["generate-event", "s3", "put", "--bucket", "b", "--key", "k"])
    assert args.func(args) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["Records"][0]["s3"]["bucket"]["name"] == "b"
    assert printed["Records"][0]["s3"]["object"]["key"] == "k"
    args = parser.parse_args(["generate-event", "sqs", "receive-message", "--queue-name", "q"])
    assert args.func(args) == 0
    sqs = json.loads(capsys.readouterr().out)
    assert sqs["Records"][0]["eventSourceARN"].endswith(":q")
    with pytest.raises(SystemExit):
        parser.parse_args(["generate-event", "s3", "put", "--body", "x"])
    capsys.readouterr()
