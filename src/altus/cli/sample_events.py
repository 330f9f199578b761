"""``altus local generate-event <service> <kind>``: the events Lambda's triggers deliver,
as JSON text to hand a function (``altus invoke --payload @event.json``).

The services, kinds and options are ``sam local generate-event``'s (``s3 put --bucket
--key``, ``apigateway aws-proxy --body --path --method`` ...), with its defaults. The
payloads are made by the same code that makes the events Altus's own triggers deliver
(``altus.s3.events``, ``altus.sns.envelopes``, ``altus.gateway.events``,
``altus.events.records``, ``altus.dynamodb.stream_records``),
so a function tested with one gets what it will get from Altus, not a hand-written
approximation. ``--partition`` rewrites the ``arn:aws:`` of every ARN.

``eventbridge scheduled-event`` is Altus's name for sam's ``cloudwatch scheduled-event``.
"""

from __future__ import annotations

import argparse
import json
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from altus.cli.client import CliError

ACCOUNT = "123456789012"
REGION = "us-east-1"

Values = Mapping[str, str]


class SampleEventError(CliError):
    """An unknown service, kind or option."""


@dataclass(frozen=True, slots=True)
class Option:
    #: As on the command line, without ``--``: ``bucket``, ``account-id``.
    name: str
    default: str
    help: str


@dataclass(frozen=True, slots=True)
class Kind:
    help: str
    options: tuple[Option, ...]
    #: The options' values (every option present) and the time (epoch ms) -> the event.
    make: Callable[[Values, int], Any]


def _account() -> Option:
    return Option("account-id", ACCOUNT, "the account id in ARNs")


def _partition() -> Option:
    return Option("partition", "aws", "the partition in ARNs (aws, aws-cn, aws-us-gov)")


def _region() -> Option:
    return Option("region", REGION, "the region")


# --- S3 ----------------------------------------------------------------------------------


def _s3(event: str) -> Callable[[Values, int], Any]:
    def make(values: Values, now_ms: int) -> Any:
        import hashlib

        from altus.s3.events import Change, record

        created = event.startswith("s3:ObjectCreated:")
        request_id = uuid.uuid4().hex[:16].upper()
        change = Change(
            event=event,
            bucket=values["bucket"],
            key=values["key"],
            seq=now_ms,
            time_ms=now_ms,
            region=values["region"],
            account=ACCOUNT,
            request_id=request_id,
            source_ip="127.0.0.1",
            principal="EXAMPLE",
            size=1024 if created else None,
            etag=hashlib.md5(b"\0" * 1024).hexdigest() if created else None,
        )
        return {"Records": [record(change, "testConfigRule")]}

    return make


_S3_OPTIONS = (
    _region(),
    _partition(),
    Option("bucket", "example-bucket", "the bucket's name"),
    Option("key", "test/key", "the object's key (form-encoded in the event, as S3 does)"),
)

# --- SQS, SNS ----------------------------------------------------------------------------


def _sqs(values: Values, now_ms: int) -> Any:
    import hashlib

    from altus.events.records import sqs_record
    from altus.sources import QueueMessage

    # The SQS poller's record (``altus.testing.events.sqs`` writes the same shape by
    # hand, and importing ``altus.testing`` loads the whole harness).
    region, account = values["region"], values["account-id"]
    message = QueueMessage(
        message_id=str(uuid.uuid4()),
        receipt_handle=uuid.uuid4().hex,
        body=values["body"],
        attributes={
            "ApproximateReceiveCount": "1",
            "SentTimestamp": str(now_ms),
            "SenderId": account,
            "ApproximateFirstReceiveTimestamp": str(now_ms),
        },
        message_attributes={},
        md5_of_body=hashlib.md5(values["body"].encode()).hexdigest(),
        md5_of_message_attributes=None,
    )
    queue = f"arn:aws:sqs:{region}:{account}:{values['queue-name']}"
    return {"Records": [sqs_record(message, queue, region)]}


def _sns(values: Values, now_ms: int) -> Any:
    from pathlib import Path

    from altus.sns.envelopes import Urls, lambda_event
    from altus.sns.model import NOTIFICATION, Message
    from altus.sns.signing import Signer

    class Unsigned(Signer):
        """A sample is not signed: its Signature says so."""

        def sign(self, fields: Mapping[str, str | None], version: str) -> str:
            return "EXAMPLE"

    topic = f"arn:aws:sns:{values['region']}:{values['account-id']}:{values['topic']}"
    message = Message(
        id=str(uuid.uuid4()),
        topic=topic,
        kind=NOTIFICATION,
        text=values["message"],
        subject=values["subject"] or None,
        timestamp_ms=now_ms,
    )
    # Where a local Altus serves the certificate and the unsubscribe link.
    urls = Urls("http://127.0.0.1:9000", "SimpleNotificationService-EXAMPLE.pem")
    subscription = f"{topic}:{uuid.uuid4()}"
    return json.loads(lambda_event(message, subscription, urls, Unsigned(Path("unused"))))


# --- API Gateway -------------------------------------------------------------------------


def _content_type(body: str) -> str:
    try:
        json.loads(body)
    except ValueError:
        return "text/plain"
    return "application/json"


def _headers(body: str, domain: str) -> list[tuple[str, str]]:
    headers = [("Accept", "*/*"), ("Host", domain), ("User-Agent", "altus-sample-event")]
    if body:
        headers.append(("Content-Type", _content_type(body)))
    return headers


def _region_of(dns_suffix: str) -> str:
    first = dns_suffix.split(".", 1)[0]
    return first if first.count("-") >= 2 else REGION


def _rest_proxy(values: Values, now_ms: int) -> Any:
    from altus.gateway.deployed import REST, Deployment, Route, Stage
    from altus.gateway.events import proxy_event_v1
    from altus.gateway.request import EventContext, GatewayRequest, Matched
    from altus.gateway.routing import RestResources

    api_id = "1234567890"
    method = values["method"].upper()
    resource = "/" + values["resource"].lstrip("/")
    path = "/" + values["path"].lstrip("/")
    route = Route(
        id="123456", key=f"{method} {resource}", method=method, path=resource, integration=None
    )
    stage = Stage(
        api_id=api_id,
        name=values["stage"],
        deployment=Deployment(id="abcdef", api_id=api_id, protocol=REST, routes=(route,)),
        account_id=values["account-id"],
    )
    matched = RestResources([route]).match(method, path) or Matched(route, {}, path)
    domain = f"{api_id}.execute-api.{values['dns-suffix']}"
    request = GatewayRequest(
        method=method,
        path=path,
        stage_path=f"/{stage.name}{path}",
        raw_query="",
        headers=_headers(values["body"], domain),
        body=values["body"].encode(),
        source_ip="127.0.0.1",
        domain_name=domain,
        domain_prefix=api_id,
        scheme="https",
        port=443,
    )
    context = EventContext(
        stage, matched, str(uuid.uuid4()), now_ms, _region_of(values["dns-suffix"])
    )
    return proxy_event_v1(request, context, rest=True)


def _http_proxy(values: Values, now_ms: int) -> Any:
    from altus.gateway.deployed import DEFAULT_ROUTE, DEFAULT_STAGE, HTTP, Deployment, Route, Stage
    from altus.gateway.events import http_event_v2
    from altus.gateway.request import EventContext, GatewayRequest, Matched

    api_id = "1234567890"
    method = values["method"].upper()
    path = "/" + values["path"].lstrip("/")
    route = Route(id="abc123", key=DEFAULT_ROUTE, method="", path="", integration=None)
    name = values["stage"]
    stage = Stage(
        api_id=api_id,
        name=name,
        deployment=Deployment(id="abcdef", api_id=api_id, protocol=HTTP, routes=(route,)),
        account_id=values["account-id"],
    )
    domain = f"{api_id}.execute-api.{values['dns-suffix']}"
    request = GatewayRequest(
        method=method,
        path=path,
        stage_path=path if name == DEFAULT_STAGE else f"/{name}{path}",
        raw_query="",
        headers=_headers(values["body"], domain),
        body=values["body"].encode(),
        source_ip="127.0.0.1",
        domain_name=domain,
        domain_prefix=api_id,
        scheme="https",
        port=443,
    )
    context = EventContext(
        stage, Matched(route, {}, path), str(uuid.uuid4()), now_ms, _region_of(values["dns-suffix"])
    )
    return http_event_v2(request, context)


def _token_authorizer(values: Values, now_ms: int) -> Any:
    from altus.gateway.deployed import REST, Deployment, Stage
    from altus.gateway.events import method_arn, token_authorizer_event

    api_id = values["restApiId"]
    stage = Stage(
        api_id=api_id,
        name=values["stage"],
        deployment=Deployment(id="abcdef", api_id=api_id, protocol=REST, routes=()),
        account_id=values["account-id"],
    )
    arn = method_arn(stage, values["region"], values["method"].upper(), values["resource"])
    return token_authorizer_event("incoming-client-token", arn)


_PROXY_OPTIONS = (
    Option("body", '{"test":"body"}', "the request's body"),
    Option("stage", "prod", "the stage"),
    Option("method", "POST", "the HTTP method"),
    Option("resource", "/{proxy+}", "the resource the method is on"),
    Option("path", "path/to/resource", "the request's path within the stage"),
    _account(),
    Option("dns-suffix", "us-east-1.amazonaws.com", "the API's domain after execute-api."),
)
_HTTP_OPTIONS = (
    Option("body", '{"test":"body"}', "the request's body"),
    Option("stage", "$default", "the stage"),
    Option("method", "POST", "the HTTP method"),
    Option("path", "path/to/resource", "the request's path"),
    _account(),
    Option("dns-suffix", "us-east-1.amazonaws.com", "the API's domain after execute-api."),
)
_AUTHORIZER_OPTIONS = (
    _account(),
    _partition(),
    _region(),
    Option("stage", "prod", "the stage"),
    Option("method", "POST", "the HTTP method"),
    Option("resource", "{proxy+}", "the resource"),
    Option("restApiId", "example", "the API's id"),
)

# --- schedules, streams, Step Functions --------------------------------------------------


def _scheduled(values: Values, now_ms: int) -> Any:
    from altus.eventbridge.entries import iso_seconds

    # The envelope of ``altus.eventbridge.scheduling.scheduled_event`` (which reads a live
    # rule): the time is the minute the rule fired.
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": values["account-id"],
        "time": iso_seconds((now_ms // 60000) * 60),
        "region": values["region"],
        "resources": [
            f"arn:aws:events:{values['region']}:{values['account-id']}:rule/{values['rule']}"
        ],
        "detail": {},
    }


_SCHEDULED_OPTIONS = (
    _account(),
    _partition(),
    _region(),
    Option("rule", "ExampleRule", "the rule's name"),
)


def _kinesis(values: Values, now_ms: int) -> Any:
    from altus.events.records import kinesis_record
    from altus.sources import StreamRecord

    region = values["region"]
    record = StreamRecord(
        sequence_number=values["sequence"],
        partition_key=values["partition-key"],
        data=values["data"].encode(),
        arrival=now_ms / 1000,
    )
    stream = f"arn:aws:kinesis:{region}:{ACCOUNT}:stream/example-stream"
    role = f"arn:aws:iam::{ACCOUNT}:role/lambda-role"
    return {"Records": [kinesis_record(record, "shardId-000000000000", stream, region, role)]}


def _dynamodb(values: Values, now_ms: int) -> Any:
    from altus.dynamodb.model import NEW_AND_OLD_IMAGES, KeySchema, Stream, Table
    from altus.dynamodb.stream_records import record, with_sequence
    from altus.events.records import dynamodb_record
    from altus.sources import StreamRecord

    region, account, name = values["region"], values["account-id"], values["table"]
    now = now_ms / 1000
    table_arn = f"arn:aws:dynamodb:{region}:{account}:table/{name}"
    label = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{now_ms % 1000:03d}"
    stream = Stream(
        label=label, arn=f"{table_arn}/stream/{label}", view_type=NEW_AND_OLD_IMAGES, created=now
    )
    table = Table(
        name=name,
        id=str(uuid.uuid4()),
        arn=table_arn,
        key=KeySchema("Id", "N"),
        attributes={"Id": "N"},
        created=now,
        streams=(stream,),
    )
    first = {"Id": {"N": "101"}, "Message": {"S": "New item!"}}
    second = {"Id": {"N": "101"}, "Message": {"S": "This item has changed"}}
    records = []
    for seq, (old, new) in enumerate(((None, first), (first, second), (second, None)), start=1):
        shown = with_sequence(record(table, stream, old, new, region=region, now=now), seq)
        source = StreamRecord(shown["dynamodb"]["SequenceNumber"], "", b"", now, {"record": shown})
        records.append(dynamodb_record(source, stream.arn))
    return {"Records": records}


def _sfn_error(values: Values, now_ms: int) -> Any:
    return {"Error": values["error"], "Cause": values["cause"]}


EVENTS: dict[str, dict[str, Kind]] = {
    "s3": {
        "put": Kind("an S3 Put event", _S3_OPTIONS, _s3("s3:ObjectCreated:Put")),
        "delete": Kind("an S3 Delete event", _S3_OPTIONS, _s3("s3:ObjectRemoved:Delete")),
    },
    "sqs": {
        "receive-message": Kind(
            "an SQS event",
            (
                _partition(),
                _region(),
                _account(),
                Option("queue-name", "MyQueue", "the queue's name"),
                Option("body", "Hello from SQS!", "the message's body"),
            ),
            _sqs,
        )
    },
    "sns": {
        "notification": Kind(
            "an SNS topic notification event",
            (
                _account(),
                _partition(),
                _region(),
                Option("topic", "ExampleTopic", "the topic's name"),
                Option("subject", "example subject", "the message's subject"),
                Option("message", "example message", "the message"),
            ),
            _sns,
        )
    },
    "apigateway": {
        "aws-proxy": Kind("an API Gateway (REST) proxy event", _PROXY_OPTIONS, _rest_proxy),
        "http-api-proxy": Kind(
            "an HTTP API event (payload format 2.0)", _HTTP_OPTIONS, _http_proxy
        ),
        "authorizer": Kind(
            "an API Gateway TOKEN authorizer event", _AUTHORIZER_OPTIONS, _token_authorizer
        ),
    },
    "cloudwatch": {
        "scheduled-event": Kind("a scheduled rule's event", _SCHEDULED_OPTIONS, _scheduled),
    },
    "eventbridge": {
        "scheduled-event": Kind("a scheduled rule's event", _SCHEDULED_OPTIONS, _scheduled),
    },
    "kinesis": {
        "get-records": Kind(
            "a Kinesis data stream event",
            (
                _region(),
                _partition(),
                Option(
                    "sequence",
                    "49545115243490985018280067714973144582180062593244200961",
                    "the record's sequence number",
                ),
                Option(
                    "data",
                    "Hello, this is a test 123.",
                    "the record's data (base64-encoded in the event)",
                ),
                Option("partition-key", "partitionKey-03", "the record's partition key"),
            ),
            _kinesis,
        )
    },
    "dynamodb": {
        "update": Kind(
            "a DynamoDB stream event (an insert, a change and a removal)",
            (
                _account(),
                _partition(),
                _region(),
                Option("table", "ExampleTableWithStream", "the table's name"),
            ),
            _dynamodb,
        )
    },
    "stepfunctions": {
        "error": Kind(
            "a Step Functions error (what a Catch hands on)",
            (
                Option("error", "ErrorName", "the error's name"),
                Option("cause", "This is the cause of the error.", "the error's cause"),
            ),
            _sfn_error,
        )
    },
}


def _partitioned(value: Any, partition: str) -> Any:
    if isinstance(value, str):
        return f"arn:{partition}:{value[8:]}" if value.startswith("arn:aws:") else value
    if isinstance(value, list):
        return [_partitioned(item, partition) for item in value]
    if isinstance(value, dict):
        return {key: _partitioned(item, partition) for key, item in value.items()}
    return value


def kind_of(service: str, kind: str) -> Kind:
    """SampleEventError naming what there is, for an unknown service or kind."""
    kinds = EVENTS.get(service)
    if kinds is None:
        raise SampleEventError(
            f"no events of service {service!r}; there are: {', '.join(sorted(EVENTS))}"
        )
    found = kinds.get(kind)
    if found is None:
        raise SampleEventError(
            f"no {service} event {kind!r}; there are: {', '.join(sorted(kinds))}"
        )
    return found


def event(
    service: str,
    kind: str,
    values: Mapping[str, str | None] | None = None,
    *,
    now_ms: int | None = None,
) -> Any:
    """The event ``service kind`` with ``values`` for its options (by their names,
    ``-`` or ``_`` alike; missing or None: the default), at ``now_ms`` (default now).
    SampleEventError for an unknown service, kind or option."""
    found = kind_of(service, kind)
    names = {option.name.replace("-", "_"): option.name for option in found.options}
    chosen = {option.name: option.default for option in found.options}
    for name, value in (values or {}).items():
        option = names.get(name.replace("-", "_"))
        if option is None:
            known = ", ".join(f"--{o.name}" for o in found.options) or "none"
            raise SampleEventError(f"{service} {kind} has no option --{name}; its options: {known}")
        if value is not None:
            chosen[option] = value
    made = found.make(chosen, int(time.time() * 1000) if now_ms is None else now_ms)
    partition = chosen.get("partition", "aws")
    return made if partition == "aws" else _partitioned(made, partition)


def generate(
    service: str,
    kind: str,
    values: Mapping[str, str | None] | None = None,
    *,
    now_ms: int | None = None,
) -> str:
    """``event``, as the JSON text the command prints."""
    return json.dumps(event(service, kind, values, now_ms=now_ms), indent=2) + "\n"


# --- the command -------------------------------------------------------------------------


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``generate-event <service> <kind> [--option value ...]`` to ``commands`` (the
    subcommands of ``altus local``); it prints the event."""
    generate_event = commands.add_parser("generate-event", help="print a sample event of a trigger")
    services = generate_event.add_subparsers(dest="service", metavar="SERVICE", required=True)
    for service, kinds in EVENTS.items():
        parser = services.add_parser(service, help=f"events of {service}")
        kinds_parsers = parser.add_subparsers(dest="kind", metavar="KIND", required=True)
        for name, kind in kinds.items():
            command = kinds_parsers.add_parser(name, help=kind.help)
            for option in kind.options:
                command.add_argument(
                    f"--{option.name}",
                    dest=f"option_{option.name.replace('-', '_')}",
                    default=None,
                    help=f"{option.help} (default: {option.default})",
                )
            command.set_defaults(func=_command)


def _command(args: argparse.Namespace) -> int:
    values = {
        name.removeprefix("option_"): value
        for name, value in vars(args).items()
        if name.startswith("option_")
    }
    print(generate(args.service, args.kind, values), end="")
    return 0
