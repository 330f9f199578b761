"""Each wire protocol against botocore, both ways: a request botocore serialises parses
back to the members it was given, and the response a protocol writes (output or error)
parses in botocore to what the operation returned. Models of services Altus does not
serve yet (Route 53, S3) stand in for rest-xml, so the protocol is proven before a
service leans on it."""

from __future__ import annotations

import asyncio
import datetime
import io
from typing import Any

import pytest
from botocore.awsrequest import HeadersDict
from botocore.parsers import create_parser
from botocore.response import StreamingBody
from starlette.requests import Request

from altus.api.model import service_model
from altus.api.protocols.common import Body
from altus.api.service import PROTOCOLS
from altus.api.spec import Call, Members, ServiceSpec
from altus.api.validate import Problem, Unreadable
from altus.arns import Account
from altus.errors import AltusError, UserError
from altus.registry import SERVICES
from tests.functional.test_routes import scope_of

WHEN = datetime.datetime(2026, 3, 4, 5, 6, 7, tzinfo=datetime.UTC)


class Refused(AltusError):
    pass


class _Violations:
    def invalid(self, problems: list[Problem]) -> AltusError:
        return Refused(f"invalid: {problems}")

    def unreadable(self, error: Unreadable) -> AltusError:
        return Refused(f"unreadable: {error}")


def spec_of(service: str) -> ServiceSpec:
    """The registered spec of ``service``, or a bare one for a model Altus does not serve."""
    for spec in SERVICES:
        if spec.name == service:
            return spec
    return ServiceSpec(
        name=service,
        operations={},
        errors=AltusError,
        violations=_Violations(),
        build=lambda context: None,  # type: ignore[arg-type,return-value]
    )


def protocol_of(service: str, protocol: str) -> Any:
    return PROTOCOLS[protocol](spec_of(service), service_model(service))


def parse_request(service: str, protocol: str, operation: str, params: Members) -> Members:
    """``params`` serialised by botocore for ``operation``, then parsed by the protocol
    (a blob payload read)."""
    model = service_model(service)
    wire = protocol_of(service, protocol)
    scope, body = scope_of(model, protocol, operation, params)

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def parse() -> Members:
        request = Request(scope, receive)
        assert await wire.operation(request) == operation
        members = await wire.parse(request, model.operation_model(operation))
        return {
            name: await value.read(1 << 20, operation) if isinstance(value, Body) else value
            for name, value in members.items()
        }

    return asyncio.run(parse())


def _request(service: str, protocol: str, operation: str) -> Request:
    scope, body = scope_of(service_model(service), protocol, operation)

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    return Request(scope, receive)


def received_headers(response: Any) -> HeadersDict:
    """A response's headers as botocore receives them (looked up in any case)."""
    return HeadersDict({k.decode("latin-1"): v.decode("latin-1") for k, v in response.raw_headers})


def botocore_reads(protocol: str, response: Any, operation: Any) -> Any:
    """What botocore makes of ``response`` (a streaming payload handed over as a stream,
    as botocore's endpoint does)."""
    headers = received_headers(response)
    body: Any = response.body
    if operation.has_streaming_output:
        body = StreamingBody(io.BytesIO(body), len(body))
    parsed = create_parser(protocol).parse(
        {"status_code": response.status_code, "headers": headers, "body": body},
        operation.output_shape,
    )
    parsed.pop("ResponseMetadata", None)
    return parsed


def respond(
    service: str, protocol: str, operation: str, output: Members
) -> tuple[Any, dict[str, Any]]:
    """The response the protocol writes for ``output``, and what botocore reads of it."""
    model = service_model(service)
    op = model.operation_model(operation)
    request = _request(service, protocol, operation)
    call = Call(service, operation, "req-1", Account("us-east-1", "000000000000"), request)
    response = protocol_of(service, protocol).respond(call, op, output)
    return response, botocore_reads(protocol, response, op)


def error_of(service: str, protocol: str, operation: str, error: AltusError) -> Any:
    """What botocore reads of the error response the protocol writes for ``error``."""
    request = _request(service, protocol, operation)
    response = protocol_of(service, protocol).error(request, "req-2", error)
    headers = received_headers(response)
    parsed = create_parser(protocol).parse(
        {"status_code": response.status_code, "headers": headers, "body": response.body},
        None,
    )
    return response.status_code, parsed


# --- rest-xml ----------------------------------------------------------------------------


def test_rest_xml_structure_payload_and_labels() -> None:
    params = {
        "HostedZoneId": "Z123",
        "ChangeBatch": {
            "Comment": "a <b> & c",
            "Changes": [
                {
                    "Action": "UPSERT",
                    "ResourceRecordSet": {
                        "Name": "api.example.com.",
                        "Type": "A",
                        "TTL": 60,
                        "ResourceRecords": [{"Value": "10.0.0.1"}, {"Value": "10.0.0.2"}],
                    },
                }
            ],
        },
    }
    assert parse_request("route53", "rest-xml", "ChangeResourceRecordSets", params) == params
    output = {"ChangeInfo": {"Id": "/change/C1", "Status": "PENDING", "SubmittedAt": WHEN}}
    response, read = respond("route53", "rest-xml", "ChangeResourceRecordSets", output)
    assert response.headers["content-type"].startswith("application/xml")
    assert read == output


def test_rest_xml_query_string_and_wrapped_lists() -> None:
    params = {"Marker": "m 1/2", "MaxItems": "5"}
    assert parse_request("route53", "rest-xml", "ListHostedZones", params) == params
    output = {
        "HostedZones": [
            {"Id": "/hostedzone/Z1", "Name": "a.example.", "CallerReference": "r1"},
            {"Id": "/hostedzone/Z2", "Name": "b.example.", "CallerReference": "r2"},
        ],
        "Marker": "m",
        "IsTruncated": True,
        "NextMarker": "n",
        "MaxItems": "2",
    }
    assert respond("route53", "rest-xml", "ListHostedZones", output)[1] == output


def test_rest_xml_blob_payload_headers_and_header_maps() -> None:
    params = {
        "Bucket": "photos",
        "Key": "2026/a b+c.jpg",
        "Body": b"\x00\xffjpeg",
        "ContentType": "image/jpeg",
        "Metadata": {"owner": "ana", "camera": "x100"},
        "Expires": WHEN,
    }
    assert parse_request("s3", "rest-xml", "PutObject", params) == params
    output = {
        "Body": b"\x00\xffjpeg",
        "ContentLength": 6,
        "ContentType": "image/jpeg",
        "ETag": '"abc"',
        "LastModified": WHEN,
        "Metadata": {"owner": "ana"},
    }
    response, read = respond("s3", "rest-xml", "GetObject", output)
    assert response.body == b"\x00\xffjpeg"
    assert response.headers["content-type"] == "image/jpeg"
    body = read.pop("Body")
    assert body.read() == b"\x00\xffjpeg"
    assert read == {k: v for k, v in output.items() if k != "Body"}


def test_rest_xml_flattened_lists() -> None:
    output = {
        "IsTruncated": False,
        "Name": "photos",
        "KeyCount": 2,
        "Contents": [
            {"Key": "a", "Size": 1, "LastModified": WHEN, "ETag": '"1"'},
            {"Key": "b", "Size": 2, "LastModified": WHEN, "ETag": '"2"'},
        ],
        "CommonPrefixes": [{"Prefix": "p/"}],
    }
    assert respond("s3", "rest-xml", "ListObjectsV2", output)[1] == output


def test_rest_xml_errors() -> None:
    class NoSuchHostedZone(UserError):
        code = "NoSuchHostedZone"

    status, parsed = error_of(
        "route53", "rest-xml", "GetHostedZone", NoSuchHostedZone("No hosted zone found: Z9")
    )
    assert status == 404  # the model's status for the shape
    assert parsed["Error"]["Code"] == "NoSuchHostedZone"
    assert parsed["Error"]["Message"] == "No hosted zone found: Z9"
    assert parsed["ResponseMetadata"]["RequestId"] == "req-2"


def test_rest_xml_refuses_a_body_that_is_not_xml() -> None:
    model = service_model("route53")
    scope, _ = scope_of(model, "rest-xml", "ChangeResourceRecordSets")
    wire = protocol_of("route53", "rest-xml")

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"<ChangeBatch>", "more_body": False}

    async def parse() -> Members:
        request = Request(scope, receive)
        await wire.operation(request)
        return await wire.parse(request, model.operation_model("ChangeResourceRecordSets"))

    with pytest.raises(Refused, match="well-formed XML"):
        asyncio.run(parse())


# --- the protocols of the registered services ----------------------------------------------


def test_json_round_trip() -> None:
    """(SQS's query protocol is what older SDKs send, with wire names botocore's current
    model no longer has: ``tests/integration/test_sqs_query.py`` speaks it as they do.)"""
    params = {
        "QueueUrl": "http://127.0.0.1:9000/000000000000/q",
        "MessageBody": "hello\r\n<&>",
        "DelaySeconds": 3,
        "MessageAttributes": {
            "n": {"DataType": "Number", "StringValue": "1.5"},
            "b": {"DataType": "Binary", "BinaryValue": b"\x00\x01"},
        },
    }
    assert parse_request("sqs", "json", "SendMessage", params) == params
    output = {
        "Messages": [
            {
                "MessageId": "m1",
                "ReceiptHandle": "h1",
                "MD5OfBody": "0" * 32,
                "Body": "hello\r\n<&>",
                "Attributes": {"ApproximateReceiveCount": "1"},
                "MessageAttributes": {"b": {"DataType": "Binary", "BinaryValue": b"\x00\x01"}},
            }
        ]
    }
    assert respond("sqs", "json", "ReceiveMessage", output)[1] == output


def test_rest_json_round_trip() -> None:
    params = {
        "FunctionName": "arn:aws:lambda:us-east-1:000000000000:function:f",
        "InvocationType": "RequestResponse",
        "LogType": "Tail",
        "ClientContext": "e30=",
        "Payload": b'{"a": 1}',
        "Qualifier": "live",
    }
    assert parse_request("lambda", "rest-json", "Invoke", params) == params
    output = {
        "Configuration": {
            "FunctionName": "f",
            "Timeout": 3,
            "Environment": {"Variables": {"A": "1"}},
            "Layers": [{"Arn": "arn:aws:lambda:us-east-1:000000000000:layer:l:1"}],
        },
        "Tags": {"team": "a"},
    }
    assert respond("lambda", "rest-json", "GetFunction", output)[1] == output


def test_json_and_rest_json_errors() -> None:
    from altus.control.errors import ResourceNotFound
    from altus.queues.errors import QueueDoesNotExist

    status, parsed = error_of("sqs", "json", "GetQueueUrl", QueueDoesNotExist("no queue"))
    assert status == 400
    assert parsed["Error"]["Code"] == "AWS.SimpleQueueService.NonExistentQueue"
    assert parsed["Error"]["Message"] == "no queue"
    status, parsed = error_of("lambda", "rest-json", "GetFunction", ResourceNotFound("no f"))
    assert status == 404
    assert parsed["Error"]["Code"] == "ResourceNotFoundException"
    assert parsed["Error"]["Message"] == "no f"
    assert parsed["ResponseMetadata"]["RequestId"] == "req-2"


# --- Smithy RPC v2 CBOR (CloudWatch) ---------------------------------------------------------


def test_rpcv2_cbor_round_trip() -> None:
    params = {
        "Namespace": "App/Orders",
        "MetricData": [
            {
                "MetricName": "Latency",
                "Dimensions": [{"Name": "Stage", "Value": "prod"}],
                "Timestamp": WHEN,
                "Values": [1.5, 2.0],
                "Counts": [3.0, 1.0],
                "Unit": "Milliseconds",
                "StorageResolution": 1,
            },
            {"MetricName": "Orders", "Value": 7.0, "Unit": "Count"},
        ],
    }
    assert parse_request("cloudwatch", "smithy-rpc-v2-cbor", "PutMetricData", params) == params
    output = {
        "MetricDataResults": [
            {
                "Id": "a",
                "Label": "Latency",
                "Timestamps": [WHEN, WHEN + datetime.timedelta(seconds=60)],
                "Values": [1.25, 3.0],
                "StatusCode": "Complete",
            }
        ],
        "NextToken": "t",
        "Messages": [],
    }
    response, read = respond("cloudwatch", "smithy-rpc-v2-cbor", "GetMetricData", output)
    assert response.headers["smithy-protocol"] == "rpc-v2-cbor"
    assert response.headers["content-type"] == "application/cbor"
    assert read == output


def test_rpcv2_cbor_errors_carry_the_query_code() -> None:
    from altus.cloudwatch.errors import InvalidParameterValue

    status, parsed = error_of(
        "cloudwatch", "smithy-rpc-v2-cbor", "PutMetricData", InvalidParameterValue("bad")
    )
    assert status == 400
    # The legacy code (x-amzn-query-error) is how botocore finds the modelled class.
    assert parsed["Error"]["Code"] == "InvalidParameterValue"
    assert parsed["Error"]["QueryErrorCode"] == "InvalidParameterValueException"
    assert parsed["Error"]["Message"] == "bad"
    assert parsed["ResponseMetadata"]["RequestId"] == "req-2"


def _shared_lists(levels: int, width: int = 200) -> bytes:
    """Lists marked shareable (tag 28), each of ``width`` items: the list one level
    down, then ``width - 1`` references to it (tag 29): ``width ** levels`` items
    from a few KB."""

    def made(level: int) -> bytes:
        head = b"\xd8\x1c\x98" + bytes([width])
        if level == 0:
            return head + b"\x01" * width
        below = levels - level + 1  # the shareable index of the list one level down
        return head + made(level - 1) + (b"\xd8\x1d" + bytes([below])) * (width - 1)

    return made(levels)


#: A string-reference namespace (tag 256) holding a 64-character text and 500
#: references to it (tag 25): 32,000 characters from 1.6 KB.
_STRING_REFERENCES = (
    b"\xa1\x69Namespace\xd9\x01\x00\x99\x01\xf5\x78\x40" + b"x" * 64 + b"\xd8\x19\x00" * 500
)


@pytest.mark.parametrize(
    ("body", "refusal"),
    [
        (b"\xa1\x69Namespace", "not valid CBOR"),  # a map cut short
        (b"\x83\x01\x02\x03", "must be a CBOR map"),
        (bytes.fromhex("a1694e616d657370616365d90102" + "80"), "unsupported CBOR"),  # a set
        (b"\xa1\x69Namespace" + _shared_lists(2), "shared reference"),
        (b"\xa1\x69Namespace" + _shared_lists(3), "shared reference"),
        (_STRING_REFERENCES, "more than its bytes"),
    ],
)
def test_rpcv2_cbor_refuses_what_is_not_a_request(body: bytes, refusal: str) -> None:
    from altus.api.errors import Unparsable

    model = service_model("cloudwatch")
    scope, _ = scope_of(model, "smithy-rpc-v2-cbor", "ListMetrics")
    wire = protocol_of("cloudwatch", "smithy-rpc-v2-cbor")

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def parse() -> Members:
        request = Request(scope, receive)
        assert await wire.operation(request) == "ListMetrics"
        return await wire.parse(request, model.operation_model("ListMetrics"))

    with pytest.raises(Unparsable, match=refusal):
        asyncio.run(parse())
