"""The RabbitMQ consumer (``altus.brokers.rabbitmq``) against the machine's RabbitMQ,
without Altus's server: messages published with aio-pika come out as Amazon MQ's
records, acknowledged ones are gone, unacknowledged ones come back in order, and each
kind of failure is the ``BrokerError`` it should be."""

from __future__ import annotations

import asyncio
import base64
import shutil
import socket
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import aio_pika
import aiormq
import pytest
from aio_pika.abc import AbstractChannel, AbstractConnection

from altus.brokers import rabbitmq
from altus.brokers.base import (
    AUTHENTICATION,
    CONFIGURATION,
    CONNECTION,
    BrokerError,
    Consumer,
    Endpoint,
    Message,
    Subscription,
)
from altus.brokers.rabbitmq import RabbitConsumer, connect
from tests.conftest import unavailable

pytestmark = [pytest.mark.integration, pytest.mark.anyio]

URL = "amqp://guest:guest@127.0.0.1:5672/%2F"
#: How long any one wait for the broker may last before the test fails.
DEADLINE = 10.0


@pytest.fixture
async def rabbit() -> AsyncIterator[AbstractConnection]:
    """The test's own connection, for declaring and publishing."""
    try:
        connection = await aio_pika.connect(URL, timeout=5)
    except (OSError, aio_pika.exceptions.AMQPError, TimeoutError) as error:
        unavailable("RabbitMQ on 127.0.0.1:5672", str(error))
    yield connection
    await connection.close()


@pytest.fixture
async def channel(rabbit: AbstractConnection) -> AsyncIterator[AbstractChannel]:
    async with rabbit.channel() as opened:
        yield opened


@pytest.fixture
async def queue(channel: AbstractChannel) -> AsyncIterator[str]:
    """A new queue in the default vhost, deleted afterwards."""
    name = f"altus-test-{uuid.uuid4()}"
    await channel.declare_queue(name)
    yield name
    await channel.queue_delete(name)


def rabbitmqctl(*args: str) -> str:
    """Run ``rabbitmqctl``; unavailable if it cannot be run here."""
    if shutil.which("rabbitmqctl") is None:
        unavailable("rabbitmqctl", "it is not on PATH")
    done = subprocess.run(
        ["rabbitmqctl", "-q", *args], capture_output=True, text=True, timeout=60, check=False
    )
    if done.returncode != 0:
        unavailable("rabbitmqctl", f"`rabbitmqctl {' '.join(args)}` failed: {done.stderr}")
    return done.stdout


@pytest.fixture
def vhost(rabbit: AbstractConnection) -> Iterator[str]:
    """A new vhost the guest user may use; its name needs quoting in a URL."""
    name = f"altus-test-{uuid.uuid4()}/a b"
    rabbitmqctl("add_vhost", name)
    try:
        rabbitmqctl("set_permissions", "-p", name, "guest", ".*", ".*", ".*")
        yield name
    finally:
        rabbitmqctl("delete_vhost", name)


def subscription(
    queue: str, url: str = URL, batch_size: int = 10, mapping_id: str = "", **endpoint: Any
) -> Subscription:
    virtual_host = endpoint.pop("virtual_host", None)
    return Subscription(
        mapping_id=mapping_id or str(uuid.uuid4()),
        endpoint=Endpoint("rabbitmq", url, **endpoint),
        names=(queue,),
        virtual_host=virtual_host,
        batch_size=batch_size,
    )


async def publish(channel: AbstractChannel, queue: str, *bodies: bytes, **properties: Any) -> None:
    for body in bodies:
        await channel.default_exchange.publish(
            aio_pika.Message(body, **properties), routing_key=queue
        )


async def fetch_all(consumer: Consumer, count: int, limit: int = 100) -> list[list[Message]]:
    """Batches fetched until ``count`` messages came (each at most ``limit``)."""
    batches: list[list[Message]] = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + DEADLINE
    while sum(map(len, batches)) < count:
        assert loop.time() < deadline, f"{count} messages did not come: {batches}"
        batch = await consumer.fetch(limit, 1.0)
        if batch:
            batches.append(batch)
    assert sum(map(len, batches)) == count
    return batches


async def opened(sub: Subscription) -> Consumer:
    consumer = connect(sub)
    await consumer.open()
    return consumer


async def failure(sub: Subscription) -> BrokerError:
    consumer = connect(sub)
    with pytest.raises(BrokerError) as raised:
        await consumer.open()
    await consumer.close()
    return raised.value


def bodies(messages: list[Message]) -> list[bytes]:
    return [base64.b64decode(message.record["data"]) for message in messages]


async def test_a_message_is_amazon_mqs_record(channel: AbstractChannel, queue: str) -> None:
    await publish(
        channel,
        queue,
        b'{"timeout":0}',
        content_type="text/plain",
        content_encoding="identity",
        headers={
            "header1": "val",
            "accent": "é",
            "count": 3,
            "flag": True,
            "ratio": 1.5,
            "price": Decimal("1.25"),
            "at": datetime(2024, 5, 6, 13, 4, 5, tzinfo=UTC),
            "nested": {"inner": "x"},
            "list": [1, "a"],
            "raw": bytearray(b"\x01\xff"),
            "nothing": None,
        },
        delivery_mode=aio_pika.DeliveryMode.NOT_PERSISTENT,
        priority=34,
        correlation_id="corr-1",
        reply_to="replies",
        expiration=60,
        message_id="m-1",
        timestamp=datetime(1970, 1, 1, 0, 33, 41, tzinfo=UTC),
        type="order",
        user_id="guest",
        app_id="app",
    )
    # Without any properties (aio-pika's messages always have some).
    underlay = await channel.get_underlay_channel()
    await underlay.basic_publish(
        b"plain text", routing_key=queue, properties=aiormq.spec.Basic.Properties()
    )
    consumer = await opened(subscription(queue))
    try:
        first, second = [m for batch in await fetch_all(consumer, 2) for m in batch]
    finally:
        await consumer.close()

    assert first.record == {
        "basicProperties": {
            "contentType": "text/plain",
            "contentEncoding": "identity",
            "headers": {
                "header1": {"bytes": [118, 97, 108]},
                "accent": {"bytes": [-61, -87]},
                "count": 3,
                "flag": True,
                "ratio": 1.5,
                "price": 1.25,
                "at": "May 6, 2024, 1:04:05 PM",
                "nested": {"inner": {"bytes": [120]}},
                "list": [1, {"bytes": [97]}],
                "raw": [1, -1],
                "nothing": None,
            },
            "deliveryMode": 1,
            "priority": 34,
            "correlationId": "corr-1",
            "replyTo": "replies",
            "expiration": "60000",
            "messageId": "m-1",
            "timestamp": "Jan 1, 1970, 12:33:41 AM",
            "type": "order",
            "userId": "guest",
            "appId": "app",
            "clusterId": None,
            "bodySize": 13,
        },
        "redelivered": False,
        "data": "eyJ0aW1lb3V0IjowfQ==",
    }
    assert first.filter_view == {"data": {"timeout": 0}}
    assert first.group == queue
    assert int(first.id) == first.token.delivery_tag
    assert first.size > 0

    properties = second.record["basicProperties"]
    # aiormq gives every message it publishes an id.
    assert set(properties) == set(first.record["basicProperties"])
    assert {key for key, value in properties.items() if value is not None} == {
        "messageId",
        "bodySize",
    }
    assert second.filter_view == {"data": "plain text"}
    assert second.id != first.id

    assert consumer.event([first, second]) == {
        "eventSource": "aws:rmq",
        "eventSourceArn": "amqp://127.0.0.1:5672/%2F",
        "rmqMessagesByQueue": {f"{queue}::/": [first.record, second.record]},
    }


async def test_fetch_returns_at_most_limit_and_the_prefetch_bounds_deliveries(
    channel: AbstractChannel, queue: str
) -> None:
    consumer = await opened(subscription(queue, batch_size=4))
    try:
        assert await consumer.fetch(10, 0.05) == []
        await publish(channel, queue, *(str(n).encode() for n in range(6)))

        batches = await fetch_all(consumer, 4, limit=3)
        assert all(1 <= len(batch) <= 3 for batch in batches)
        assert len(batches) >= 2
        # Four are in hand unacknowledged: RabbitMQ sends no more.
        assert await consumer.fetch(10, 0.2) == []

        in_hand = [m for batch in batches for m in batch]
        assert bodies(in_hand) == [b"0", b"1", b"2", b"3"]
        await consumer.ack(in_hand)
        rest = [m for batch in await fetch_all(consumer, 2) for m in batch]
        assert bodies(rest) == [b"4", b"5"]
        await consumer.ack(rest)
    finally:
        await consumer.close()


async def test_ack_removes_and_close_gives_the_rest_back_in_order(
    channel: AbstractChannel, queue: str
) -> None:
    await publish(channel, queue, *(str(n).encode() for n in range(6)))
    consumer = await opened(subscription(queue))
    fetched = [m for batch in await fetch_all(consumer, 6) for m in batch]
    assert bodies(fetched) == [str(n).encode() for n in range(6)]
    assert not any(m.record["redelivered"] for m in fetched)
    await consumer.ack(fetched[:2])
    await consumer.close()

    again = await opened(subscription(queue))
    redelivered = [m for batch in await fetch_all(again, 4) for m in batch]
    assert bodies(redelivered) == [b"2", b"3", b"4", b"5"]
    assert all(m.record["redelivered"] for m in redelivered)
    await again.ack(redelivered)
    await again.close()

    declared = await channel.declare_queue(queue, passive=True)
    assert declared.declaration_result.message_count == 0


async def test_a_body_too_deep_to_parse_is_text_to_filters_and_nothing_is_acked_unseen(
    channel: AbstractChannel, queue: str
) -> None:
    deep = b"[" * 100_000  # json.loads raises RecursionError on it
    await publish(channel, queue, b'{"n": 1}', deep, b'{"n": 3}')
    consumer = await opened(subscription(queue))
    try:
        first, odd, last = [m for batch in await fetch_all(consumer, 3) for m in batch]
        assert bodies([first, odd, last]) == [b'{"n": 1}', deep, b'{"n": 3}']
        assert odd.filter_view == {"data": deep.decode()}
        assert last.filter_view == {"data": {"n": 3}}
        # The multiple ack of the second covers the first two and not the third.
        await consumer.ack([first, odd])
    finally:
        await consumer.close()

    again = await opened(subscription(queue))
    try:
        (batch,) = await fetch_all(again, 1)
        assert bodies(batch) == [b'{"n": 3}']
        assert batch[0].record["redelivered"]
        await again.ack(batch)
    finally:
        await again.close()
    declared = await channel.declare_queue(queue, passive=True)
    assert declared.declaration_result.message_count == 0


async def test_filters_see_json_objects_and_arrays_parsed_and_anything_else_as_text(
    channel: AbstractChannel, queue: str
) -> None:
    sent = {
        b'{"a": [1, {"b": null}]}': {"a": [1, {"b": None}]},
        b"[1, 2]": [1, 2],
        b"42": "42",
        b'"quoted"': '"quoted"',
        b"true": "true",
        b"null": "null",
        b"{not json": "{not json",
        b"": "",
        b"caf\xc3\xa9 \xff": "caf\u00e9 \ufffd",
    }
    await publish(channel, queue, *sent)
    consumer = await opened(subscription(queue))
    try:
        fetched = [m for batch in await fetch_all(consumer, len(sent)) for m in batch]
    finally:
        await consumer.close()
    assert bodies(fetched) == list(sent)
    assert [m.filter_view for m in fetched] == [{"data": view} for view in sent.values()]


async def test_headers_as_deep_as_the_client_decodes_become_the_record(
    channel: AbstractChannel, queue: str
) -> None:
    # pamqp decodes a table with two frames a level: 400 levels are within the default
    # recursion limit for it; a conversion with three frames a level is not.
    depth = 400
    headers: dict[str, Any] = {"x": 1}
    for _ in range(depth):
        headers = {"a": headers}
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(limit * 10)  # for encoding them here only
    try:
        await publish(channel, queue, b"deep headers", b"after", headers=headers)
    finally:
        sys.setrecursionlimit(limit)
    consumer = await opened(subscription(queue))
    try:
        first, second = [m for batch in await fetch_all(consumer, 2) for m in batch]
        await consumer.ack([first, second])
    finally:
        await consumer.close()
    table = first.record["basicProperties"]["headers"]
    for _ in range(depth):
        table = table["a"]
    assert table == {"x": 1}
    assert bodies([second]) == [b"after"]


async def test_a_delivery_that_cannot_be_converted_ends_the_consumer_and_comes_again(
    channel: AbstractChannel, queue: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The conversion is total; should a bug make it fail, nothing may be lost: no batch
    # is acknowledged past the delivery, and the next connection gets it again.
    real = rabbitmq._record

    def failing(delivered: Any) -> dict[str, Any]:
        if delivered.body == b"bad":
            raise RuntimeError("a bug")
        return real(delivered)

    monkeypatch.setattr(rabbitmq, "_record", failing)
    await publish(channel, queue, b"a", b"bad", b"c")
    consumer = await opened(subscription(queue))
    fetched: list[Message] = []
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + DEADLINE
        with pytest.raises(BrokerError) as raised:
            while loop.time() < deadline:
                fetched.extend(await consumer.fetch(10, 0.5))
        assert raised.value.kind == CONNECTION
        assert "could not be read (a bug)" in raised.value.message
        assert bodies(fetched) in ([], [b"a"])
        if fetched:
            with pytest.raises(BrokerError):
                await consumer.ack(fetched)
    finally:
        await consumer.close()

    monkeypatch.setattr(rabbitmq, "_record", real)
    again = await opened(subscription(queue))
    try:
        redelivered = [m for batch in await fetch_all(again, 3) for m in batch]
        assert bodies(redelivered) == [b"a", b"bad", b"c"]
        await again.ack(redelivered)
    finally:
        await again.close()


async def test_a_missing_queue_is_a_configuration_error(rabbit: AbstractConnection) -> None:
    error = await failure(subscription(f"altus-test-{uuid.uuid4()}"))
    assert error.kind == CONFIGURATION
    assert "does not exist in virtual host '/'" in error.message


async def test_a_missing_virtual_host_is_a_configuration_error(
    rabbit: AbstractConnection, queue: str
) -> None:
    error = await failure(subscription(queue, virtual_host=f"altus-test-{uuid.uuid4()}"))
    assert error.kind == CONFIGURATION


async def test_a_bad_password_is_an_authentication_error(
    rabbit: AbstractConnection, queue: str
) -> None:
    in_url = await failure(subscription(queue, url="amqp://guest:wrong@127.0.0.1:5672/"))
    assert in_url.kind == AUTHENTICATION
    assert "wrong" not in in_url.message
    from_secret = await failure(subscription(queue, username="guest", password="wrong"))
    assert from_secret.kind == AUTHENTICATION


async def test_a_closed_port_is_a_connection_error(rabbit: AbstractConnection) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    error = await failure(subscription("q", url=f"amqp://guest:guest@127.0.0.1:{port}/"))
    assert error.kind == CONNECTION


async def test_a_broker_that_does_not_answer_is_a_connection_error(
    rabbit: AbstractConnection, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A socket that takes connections (the kernel's backlog) and never speaks AMQP.
    monkeypatch.setattr(rabbitmq, "OPEN_TIMEOUT", 0.5)
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        port = silent.getsockname()[1]
        error = await failure(subscription("q", url=f"amqp://guest:guest@127.0.0.1:{port}/"))
    assert error.kind == CONNECTION
    assert "did not answer" in error.message


async def test_the_secrets_credentials_replace_the_urls(
    channel: AbstractChannel, queue: str
) -> None:
    await publish(channel, queue, b"x")
    url = "amqp://nobody:nothing@127.0.0.1:5672/%2F"
    consumer = await opened(subscription(queue, url=url, username="guest", password="guest"))
    try:
        (batch,) = await fetch_all(consumer, 1)
        assert consumer.event(batch)["eventSourceArn"] == "amqp://127.0.0.1:5672/%2F"
    finally:
        await consumer.close()


async def test_the_virtual_host_setting_replaces_the_urls(
    rabbit: AbstractConnection, queue: str, vhost: str
) -> None:
    # The default vhost has a queue of that name too: the consumer must not read it.
    url = f"amqp://guest:guest@127.0.0.1:5672/{quote(vhost, safe='')}"
    async with await aio_pika.connect(url) as other, other.channel() as channel:
        await channel.declare_queue(queue)
        await publish(channel, queue, b"in the other vhost")
    consumer = await opened(subscription(queue, virtual_host=vhost))
    try:
        (batch,) = await fetch_all(consumer, 1)
        assert bodies(batch) == [b"in the other vhost"]
        assert list(consumer.event(batch)["rmqMessagesByQueue"]) == [f"{queue}::{vhost}"]
    finally:
        await consumer.close()


async def test_a_dropped_connection_is_a_connection_error_and_nothing_is_lost(
    channel: AbstractChannel, queue: str
) -> None:
    await publish(channel, queue, b"a", b"b", b"c")
    mapping_id = str(uuid.uuid4())
    consumer = await opened(subscription(queue, mapping_id=mapping_id))
    try:
        fetched = [m for batch in await fetch_all(consumer, 3) for m in batch]
        # The broker ends the consumer's connection (found by the name it gives it).
        listing = await asyncio.to_thread(
            rabbitmqctl, "list_connections", "--no-table-headers", "pid", "client_properties"
        )
        (pid,) = [line.split("\t")[0] for line in listing.splitlines() if mapping_id in line]
        await asyncio.to_thread(rabbitmqctl, "close_connection", pid, "altus test")

        loop = asyncio.get_running_loop()
        deadline = loop.time() + DEADLINE
        with pytest.raises(BrokerError) as raised:
            while loop.time() < deadline:
                assert await consumer.fetch(10, 0.5) == []
        assert raised.value.kind == CONNECTION
        with pytest.raises(BrokerError) as acking:
            await consumer.ack(fetched)
        assert acking.value.kind == CONNECTION
    finally:
        await consumer.close()

    again = await opened(subscription(queue))
    try:
        redelivered = [m for batch in await fetch_all(again, 3) for m in batch]
        assert bodies(redelivered) == [b"a", b"b", b"c"]
        assert all(m.record["redelivered"] for m in redelivered)
    finally:
        await again.close()


async def test_a_deleted_queue_ends_the_consumer(channel: AbstractChannel) -> None:
    name = f"altus-test-{uuid.uuid4()}"
    await channel.declare_queue(name)
    consumer = await opened(subscription(name))
    try:
        await channel.queue_delete(name)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + DEADLINE
        with pytest.raises(BrokerError) as raised:
            while loop.time() < deadline:
                assert await consumer.fetch(10, 0.2) == []
        assert raised.value.kind == CONNECTION
    finally:
        await consumer.close()
    assert (await failure(subscription(name))).kind == CONFIGURATION


async def test_close_never_raises_and_forget_leaves_the_queue(
    channel: AbstractChannel, queue: str
) -> None:
    never_opened = RabbitConsumer(subscription(queue))
    await never_opened.close()
    consumer = await opened(subscription(queue))
    await consumer.close()
    await consumer.close()
    with pytest.raises(BrokerError) as raised:
        await consumer.fetch(1, 0)
    assert raised.value.kind == CONNECTION
    await consumer.forget()
    await channel.declare_queue(queue, passive=True)
