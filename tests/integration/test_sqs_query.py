"""SQS's query protocol (what SDKs sent before SQS moved to JSON, and tools still send),
driven by botocore's own query serializer and parser against a real server.

botocore no longer ships SQS's query-era model, so the client here gets one made from
the current model and the wire names the server itself reads them by
(``altus.queues.legacy``); the raw requests below, written from AWS's documented
examples, check those names independently.
"""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import botocore.loaders
import botocore.session
import httpx
import pytest
from botocore.config import Config

from altus.queues import legacy
from altus.queues.md5 import md5_of_body
from tests.conftest import Server, start_server

pytestmark = pytest.mark.integration


def query_model() -> dict[str, Any]:
    """The current SQS model as a query-protocol model, with the query-era wire names."""
    model = copy.deepcopy(botocore.loaders.Loader().load_service_model("sqs", "service-2"))
    metadata = model["metadata"]
    for key in ("jsonVersion", "targetPrefix", "awsQueryCompatible"):
        metadata.pop(key, None)
    metadata.update(protocol="query", protocols=["query"], xmlNamespace=legacy.XML_NAMESPACE)
    shapes = model["shapes"]
    for name, operation in model["operations"].items():
        if "output" in operation:
            operation["output"]["resultWrapper"] = f"{name}Result"
    for path, wire in legacy.WIRE_NAMES.items():
        owner, member = path.split(".")
        ref = shapes[owner]["members"][member]
        ref["locationName"] = wire
        target = shapes[ref["shape"]]
        if target["type"] == "list" and (target.get("flattened") or ref.get("flattened")):
            target["member"]["locationName"] = wire
            target["flattened"] = True
        if target["type"] == "map" and (target.get("flattened") or ref.get("flattened")):
            target["flattened"] = True
    for name, (key, value) in legacy.MAP_NAMES.items():
        shapes[name]["key"]["locationName"] = key
        shapes[name]["value"]["locationName"] = value
    for name, code in {
        "QueueDoesNotExist": "AWS.SimpleQueueService.NonExistentQueue",
        "QueueNameExists": "QueueAlreadyExists",
    }.items():
        shapes[name]["error"] = {"code": code, "httpStatusCode": 400, "senderFault": True}
    return model


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, module_store: dict[str, str]
) -> Iterator[Server]:
    running = start_server(
        tmp_path_factory.mktemp("sqs-query"), extra_env={"ALTUS_SANDBOX": "process", **module_store}
    )
    yield running
    running.stop()


@pytest.fixture(scope="module")
def sqs(server: Server, tmp_path_factory: pytest.TempPathFactory) -> Any:
    data = tmp_path_factory.mktemp("models")
    folder = data / "sqs" / "2012-11-05"
    folder.mkdir(parents=True)
    (folder / "service-2.json").write_text(json.dumps(query_model()))
    session = botocore.session.get_session()
    session.get_component("data_loader").search_paths.insert(0, str(data))
    client = boto3.Session(botocore_session=session).client(
        "sqs",
        endpoint_url=server.url,
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
        config=Config(retries={"total_max_attempts": 1}),
    )
    assert client.meta.service_model.protocol == "query"
    return client


def test_queues_and_messages_over_the_query_protocol(sqs: Any) -> None:
    name = f"q-{uuid.uuid4().hex[:8]}"
    url = sqs.create_queue(
        QueueName=name, Attributes={"VisibilityTimeout": "7"}, tags={"team": "a"}
    )["QueueUrl"]
    assert url.endswith(f"/000000000000/{name}")
    assert sqs.get_queue_url(QueueName=name)["QueueUrl"] == url
    assert url in sqs.list_queues(QueueNamePrefix=name)["QueueUrls"]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attributes["VisibilityTimeout"] == "7"
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"team": "a"}
    body = "line one\r\nline two & <three>"
    sent = sqs.send_message(
        QueueUrl=url,
        MessageBody=body,
        MessageAttributes={
            "Kind": {"DataType": "String", "StringValue": "greeting"},
            "Raw": {"DataType": "Binary", "BinaryValue": b"\x00\x01"},
        },
    )
    assert sent["MD5OfMessageBody"] == md5_of_body(body)  # botocore checks the MD5s too
    batch = sqs.send_message_batch(
        QueueUrl=url,
        Entries=[{"Id": "a", "MessageBody": "first"}, {"Id": "b", "MessageBody": "second"}],
    )
    assert sorted(e["Id"] for e in batch["Successful"]) == ["a", "b"]
    received = sqs.receive_message(
        QueueUrl=url,
        MaxNumberOfMessages=10,
        MessageAttributeNames=["All"],
        AttributeNames=["All"],
        WaitTimeSeconds=1,
    )["Messages"]
    by_body = {m["Body"]: m for m in received}
    assert set(by_body) == {body, "first", "second"}  # the \r came back as it was sent
    greeting = by_body[body]
    assert greeting["MessageAttributes"]["Kind"]["StringValue"] == "greeting"
    assert greeting["MessageAttributes"]["Raw"]["BinaryValue"] == b"\x00\x01"
    assert greeting["Attributes"]["ApproximateReceiveCount"] == "1"
    deleted = sqs.delete_message_batch(
        QueueUrl=url,
        Entries=[
            {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(received)
        ],
    )
    assert len(deleted["Successful"]) == 3
    sqs.delete_queue(QueueUrl=url)


def test_errors_are_query_errors_with_legacy_codes(sqs: Any) -> None:
    with pytest.raises(sqs.exceptions.QueueDoesNotExist) as missing:
        sqs.get_queue_url(QueueName=f"nope-{uuid.uuid4().hex[:6]}")
    assert missing.value.response["Error"]["Code"] == "AWS.SimpleQueueService.NonExistentQueue"
    assert missing.value.response["Error"]["Type"] == "Sender"
    assert missing.value.response["ResponseMetadata"]["RequestId"]


def test_the_documented_form_and_answer(server: Server) -> None:
    """AWS's documented SendMessage request, as a form: ``MessageAttribute.N.Name`` /
    ``.Value.StringValue`` / ``.Value.DataType``; the answer is XML with the result
    wrapper and the request id."""
    name = f"doc-{uuid.uuid4().hex[:8]}"
    created = httpx.post(
        f"{server.url}/", data={"Action": "CreateQueue", "QueueName": name, "Version": "2012-11-05"}
    )
    assert created.status_code == 200, created.text
    assert "<CreateQueueResult><QueueUrl>" in created.text
    url = f"{server.url}/000000000000/{name}"
    answer = httpx.post(
        url,
        data={
            "Action": "SendMessage",
            "Version": "2012-11-05",
            "MessageBody": "This is a test message",
            "MessageAttribute.1.Name": "my_attribute_name_1",
            "MessageAttribute.1.Value.StringValue": "my_attribute_value_1",
            "MessageAttribute.1.Value.DataType": "String",
            "MessageAttribute.2.Name": "my_attribute_name_2",
            "MessageAttribute.2.Value.StringValue": "my_attribute_value_2",
            "MessageAttribute.2.Value.DataType": "String",
        },
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/xml")
    text = answer.text
    assert text.startswith(f'<SendMessageResponse xmlns="{legacy.XML_NAMESPACE}">')
    assert "<MD5OfMessageBody>fafb00f5732ab283681e124bf8747ed1</MD5OfMessageBody>" in text
    # Computed by SQS's documented algorithm (AWS's own page shows a wrong value here).
    assert (
        "<MD5OfMessageAttributes>c48838208d2b4e14e3ca0093a8443f09</MD5OfMessageAttributes>" in text
    )
    assert "<ResponseMetadata><RequestId>" in text
    # An un-numbered AttributeName, as older examples send it.
    received = httpx.get(
        url,
        params={
            "Action": "ReceiveMessage",
            "AttributeName": "All",
            "MessageAttributeName.1": "All",
        },
    )
    assert "<Name>SenderId</Name>" in received.text
    assert "<MessageAttribute><Name>my_attribute_name_1</Name>" in received.text
    missing = httpx.post(
        f"{server.url}/",
        data={"Action": "GetQueueUrl", "QueueName": "absent", "Version": "2012-11-05"},
    )
    assert missing.status_code == 400
    assert "<Code>AWS.SimpleQueueService.NonExistentQueue</Code>" in missing.text
    assert "<Type>Sender</Type>" in missing.text


def test_a_query_send_takes_the_calls_trace_header(sqs: Any) -> None:
    url = sqs.create_queue(QueueName=f"q-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    header = "Root=1-5759e988-00000000000000000000c7c7;Parent=5555555555555555;Sampled=0"

    def add(request: Any, **_: Any) -> None:
        request.headers["X-Amzn-Trace-Id"] = header

    sqs.meta.events.register("before-sign.sqs.SendMessage", add)
    try:
        sqs.send_message(QueueUrl=url, MessageBody="traced")
    finally:
        sqs.meta.events.unregister("before-sign.sqs.SendMessage", add)
    received = sqs.receive_message(
        QueueUrl=url, AttributeNames=["AWSTraceHeader"], WaitTimeSeconds=1
    )["Messages"]
    assert received[0]["Attributes"]["AWSTraceHeader"] == header
