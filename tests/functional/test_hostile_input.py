"""What the fuzz suite (``test_fuzz.py``) found, one test each: every one of these was
a 500 (or a request taken that AWS refuses) before its fix. Against a server in this
process, over a real socket."""

from __future__ import annotations

import json
import logging
import socket
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterator

import pytest
from botocore.exceptions import ClientError

from altus.testing import Harness
from tests.functional.fuzzing import Answer, Wire, check_error, send

FORM = b"application/x-www-form-urlencoded"
SQS_JSON = b"application/x-amz-json-1.0"
LOGS_JSON = b"application/x-amz-json-1.1"


class _Errors(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Harness]:
    with Harness(clock=None, data_dir=tmp_path_factory.mktemp("hostile")) as harness:
        harness.create_function("target", lambda event, context: {"ok": True})
        yield harness


@pytest.fixture
def logged() -> Iterator[_Errors]:
    """What the server logs at ERROR meanwhile (a 500 it answered, or one it could not)."""
    handler = _Errors()
    logger = logging.getLogger("altus")
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)


def post(
    server: Harness,
    body: bytes,
    content_type: bytes,
    *,
    target: bytes | None = None,
    path: bytes = b"/",
    protocol: str | None = None,
    service: str | None = None,
    operation: str | None = None,
) -> tuple[Wire, Answer]:
    headers = [(b"Content-Type", content_type)]
    if target is not None:
        headers.append((b"X-Amz-Target", target))
    wire = Wire("POST", path, b"", tuple(headers), body, protocol, service, operation)
    return wire, send(server.url, wire)


# --- the dispatcher ------------------------------------------------------------------------------


def test_an_unsigned_form_that_is_not_utf8_is_refused_in_the_query_shape(server: Harness) -> None:
    """The dispatcher reads an unsigned form for its Version; one it cannot read was a
    500 from routing itself."""
    wire, answer = post(server, b"Action=CreateQueue&QueueName=\xff\xfe", FORM, protocol="query")
    assert answer.status == 400
    assert check_error(answer, wire) == "SerializationException"


# --- JSON bodies -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "content_type", "body", "code"),
    [
        (
            b"AmazonSQS.CreateQueue",
            SQS_JSON,
            b'{"QueueName": "q1", "tags": {"k": "\\ud800"}}',
            "SerializationException",
        ),
        (
            b"Logs_20140328.DescribeLogGroups",
            LOGS_JSON,
            b'{"logGroupNamePrefix": "\\udfff"}',
            "SerializationException",
        ),
        (
            b"AmazonSQS.ListQueues",
            SQS_JSON,
            b'{"QueueNamePrefix": "\xed\xa0\x80"}',  # a surrogate encoded in the bytes
            "SerializationException",
        ),
    ],
    ids=["escaped-in-a-map", "escaped-low", "encoded"],
)
def test_a_lone_surrogate_in_json_members_is_refused(
    server: Harness, target: bytes, content_type: bytes, body: bytes, code: str
) -> None:
    """A lone surrogate cannot be stored or answered (UTF-8 cannot encode it): it was
    a 500 where the error message echoed it, and a queue tag holding one could never
    be listed."""
    service = "sqs" if target.startswith(b"AmazonSQS") else "logs"
    operation = target.split(b".")[1].decode()
    wire, answer = post(
        server,
        body,
        content_type,
        target=target,
        protocol="json",
        service=service,
        operation=operation,
    )
    assert check_error(answer, wire) == code
    assert "q1" not in json.dumps(server.client("sqs").list_queues())


def test_a_lone_surrogate_in_rest_json_members_is_refused(server: Harness) -> None:
    wire, answer = post(
        server,
        b'{"FunctionName": "f\\ud800", "Role": "arn:aws:iam::000000000000:role/r", '
        b'"Code": {"ZipFile": "UEsFBgAAAAAAAAAAAAAAAAAAAAAAAA=="}}',
        b"application/json",
        path=b"/2015-03-31/functions",
        protocol="rest-json",
        service="lambda",
        operation="CreateFunction",
    )
    assert check_error(answer, wire) == "InvalidRequestContentException"


def test_a_paired_surrogate_escape_is_one_character(server: Harness) -> None:
    sqs = server.client("sqs")
    url = sqs.create_queue(QueueName="paired")["QueueUrl"]
    _, answer = post(
        server,
        json.dumps({"QueueUrl": url, "Tags": {"smile": "\U0001f600"}}).encode(),
        SQS_JSON,
        target=b"AmazonSQS.TagQueue",
    )
    assert answer.status == 200, answer
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"smile": "\U0001f600"}


# --- XML answers -------------------------------------------------------------------------------


def test_control_characters_echoed_in_an_xml_error_still_parse(server: Harness) -> None:
    """A value holding characters XML 1.0 cannot carry, echoed in an error message, made
    an answer no XML parser (botocore's included) could read."""
    wire, answer = post(
        server,
        b"Action=ListRoles&Version=2010-05-08&Marker=%00%01%1b",
        FORM,
        protocol="query",
        service="iam",
        operation="ListRoles",
    )
    assert check_error(answer, wire) == "ValidationError"
    message = ElementTree.fromstring(answer.body).findtext(".//{*}Message") or ""
    assert "\ufffd\ufffd\ufffd" in message


# --- bodies cut short --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "head",
    [
        b"POST /2015-03-31/functions HTTP/1.1\r\nContent-Type: application/json\r\n",
        b"POST / HTTP/1.1\r\nX-Amz-Target: AmazonSQS.CreateQueue\r\n"
        b"Content-Type: application/x-amz-json-1.0\r\n",
        b"POST /lambda-url/{url}/ HTTP/1.1\r\n",
    ],
    ids=["operation", "json-operation", "function-url"],
)
def test_a_client_gone_before_its_body_is_in_is_no_server_error(
    server: Harness, logged: _Errors, head: bytes
) -> None:
    """A client announcing a body past 64 KiB (streamed to a service already reading
    it), then stopping: the service's read ended in an error logged, and answered, as
    the server's own (a 500 nobody read)."""
    if b"{url}" in head:
        lam = server.client("lambda")
        try:
            url = lam.create_function_url_config(FunctionName="target", AuthType="NONE")
        except ClientError:
            url = lam.get_function_url_config(FunctionName="target")
        head = head.replace(b"{url}", url["FunctionUrl"].rstrip("/").rsplit("/", 1)[1].encode())
    port = int(server.url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(head + b"Host: x\r\nContent-Length: 200000\r\n\r\n" + b"{" * 70_000)
        sock.shutdown(socket.SHUT_WR)
        assert sock.recv(1024) == b""  # closed: nobody to answer
    # The server serves on, and logged nothing as going wrong.
    assert server.client("sqs").list_queues() is not None
    assert [r.getMessage() for r in logged.records] == []


# --- queue attributes --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("attribute", "code"),
    [
        ("Policy", "InvalidAttributeValue"),
        ("RedrivePolicy", "InvalidParameterValue"),
        ("RedriveAllowPolicy", "InvalidParameterValue"),
    ],
)
@pytest.mark.parametrize("document", ["[" * 5000, '{"a":' * 3000])
def test_queue_policies_nested_past_any_parser_are_refused(
    server: Harness, attribute: str, code: str, document: str
) -> None:
    sqs = server.client("sqs")
    url = sqs.create_queue(QueueName="nested")["QueueUrl"]
    before = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    with pytest.raises(ClientError) as refused:
        sqs.set_queue_attributes(QueueUrl=url, Attributes={attribute: document})
    assert refused.value.response["Error"]["Code"] == code
    with pytest.raises(ClientError) as refused:
        sqs.create_queue(QueueName="nested-new", Attributes={attribute: document})
    assert refused.value.response["Error"]["Code"] == code
    assert sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"] == before
    assert "nested-new" not in json.dumps(sqs.list_queues())


# --- log tokens --------------------------------------------------------------------------------


@pytest.mark.parametrize("token", ["b/" + "9" * 30, "f/" + "9" * 19, "f/\u00b2", "n/\u0661"])
def test_log_tokens_past_any_event_id_are_invalid(server: Harness, token: str) -> None:
    server.client("lambda").invoke(FunctionName="target", Payload=b"{}")
    logs = server.client("logs")
    group = "/aws/lambda/target"
    stream = logs.describe_log_streams(logGroupName=group)["logStreams"][0]["logStreamName"]
    for call in (
        lambda: logs.get_log_events(logGroupName=group, logStreamName=stream, nextToken=token),
        lambda: logs.filter_log_events(logGroupName=group, nextToken=token),
    ):
        with pytest.raises(ClientError) as refused:
            call()
        error = refused.value.response["Error"]
        assert (error["Code"], error["Message"]) == (
            "InvalidParameterException",
            "The specified nextToken is invalid.",
        )


# --- numbers and positions as text -------------------------------------------------------------


@pytest.mark.parametrize("text", ["1_0", "%201", "1%20", "nan", "%D9%A1_0"])
def test_numbers_in_text_are_read_as_aws_reads_them(server: Harness, text: str) -> None:
    """``int`` and ``float`` take what AWS's parsers refuse: ``1_0`` (ten), blanks
    around digits, ``nan``."""
    wire, answer = post(
        server,
        b"Action=ListRoles&Version=2010-05-08&MaxItems=" + text.encode(),
        FORM,
        protocol="query",
        service="iam",
        operation="ListRoles",
    )
    assert check_error(answer, wire) == "ValidationError"
    rest = Wire(
        "GET",
        b"/2015-03-31/functions/",
        b"MaxItems=" + text.encode(),
        (),
        b"",
        "rest-json",
        "lambda",
        "ListFunctions",
    )
    assert check_error(send(server.url, rest), rest) == "InvalidRequestContentException"


def test_list_positions_are_ascii_digits(server: Harness, logged: _Errors) -> None:
    """``MessageAttribute.²``: ``isdigit`` took it, ``int`` did not (a 500). It numbers
    no item, so it is no attribute."""
    url = server.client("sqs").create_queue(QueueName="positions")["QueueUrl"]
    form = (
        f"Action=SendMessage&Version=2012-11-05&QueueUrl={url}&MessageBody=x"
        "&MessageAttribute.%C2%B2.Name=a&MessageAttribute.%C2%B2.Value.DataType=String"
        "&MessageAttribute.%C2%B2.Value.StringValue=v"
    )
    _, answer = post(server, form.encode(), FORM)
    assert answer.status == 200, answer
    assert b"MD5OfMessageAttributes" not in answer.body
    assert logged.records == []
