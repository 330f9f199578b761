"""The NATS JetStream consumer against the machine's NATS server (127.0.0.1:4222): the
record it makes, where a new durable consumer starts, batches, acks that stick, what
comes back when nothing was acknowledged, ``hold``, and the errors a mapping reports.
Each test makes its own uniquely named streams and deletes them after."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import signal
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import nats
import nats.js.errors
import pytest
from nats.aio.client import Client
from nats.js import JetStreamContext

from altus.brokers import nats_jetstream
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
from tests.conftest import unavailable
from tests.integration.nats_server import NatsServer, free_port

pytestmark = [pytest.mark.integration, pytest.mark.anyio]

URL = "nats://127.0.0.1:4222"
#: How long any one wait for something expected may last.
PATIENCE = 15.0


@dataclass
class Streams:
    """Streams made for one test: ``make`` one capturing ``<root>.<part>.>``."""

    js: JetStreamContext
    root: str
    made: list[str]

    async def make(self, part: str = "s") -> str:
        name = f"{self.root}-{part}"
        await self.js.add_stream(name=name, subjects=[f"{self.root}.{part}.>"])
        self.made.append(name)
        return name

    def subject(self, part: str = "s", rest: str = "x") -> str:
        return f"{self.root}.{part}.{rest}"


@pytest.fixture
async def client() -> AsyncIterator[Client]:
    try:
        nc = await nats.connect(URL, connect_timeout=2, allow_reconnect=False)
        await nc.jetstream().account_info()
    except Exception as error:
        unavailable("NATS with JetStream on 127.0.0.1:4222", str(error) or type(error).__name__)
    yield nc
    await nc.close()


@pytest.fixture
async def streams(client: Client) -> AsyncIterator[Streams]:
    made = Streams(client.jetstream(), f"altus-test-{uuid.uuid4().hex[:12]}", [])
    yield made
    for name in made.made:
        with contextlib.suppress(nats.js.errors.NotFoundError):
            await made.js.delete_stream(name)


def subscription(*subjects: str, **settings: Any) -> Subscription:
    values: dict[str, Any] = {
        "starting_position": "TRIM_HORIZON",
        "hold_seconds": 30.0,
        "batch_size": 10,
    }
    values.update(settings)
    return Subscription(
        mapping_id=str(uuid.uuid4()),
        endpoint=Endpoint("nats", values.pop("url", URL)),
        names=subjects,
        **values,
    )


async def opened(sub: Subscription) -> Consumer:
    consumer = nats_jetstream.connect(sub)
    await consumer.open()
    return consumer


async def collect(consumer: Consumer, count: int, limit: int = 10) -> list[Message]:
    """Fetches until ``count`` messages came (AssertionError after ``PATIENCE``)."""
    got: list[Message] = []
    deadline = time.monotonic() + PATIENCE
    while len(got) < count:
        assert time.monotonic() < deadline, f"{len(got)} of {count} messages came"
        got.extend(await consumer.fetch(min(limit, count - len(got)), 0.5))
    return got


def payloads(messages: list[Message]) -> list[bytes]:
    return [base64.b64decode(m.record["nats"]["data"]) for m in messages]


async def test_a_message_makes_the_documented_record(streams: Streams) -> None:
    stream = await streams.make()
    subject = streams.subject(rest="created")
    consumer = await opened(subscription(f"{streams.root}.s.>"))
    try:
        await streams.js.publish(subject, b'{"id": 1}', headers={"Trace": "t-1"})
        await streams.js.publish(subject, b"plain words")
        first, second = await collect(consumer, 2)
    finally:
        await consumer.close()

    record = json.loads(json.dumps(first.record))
    stored = record["nats"].pop("timestamp")
    assert isinstance(stored, float)
    assert abs(stored - time.time()) < 3600  # epoch seconds, not ns or ms
    assert record == {
        "eventSource": "altus:nats",
        "eventVersion": "1.0",
        "eventID": f"{stream}:1",
        "nats": {
            "subject": subject,
            "stream": stream,
            "sequence": 1,
            "deliveryCount": 1,
            "headers": {"Trace": ["t-1"]},
            "data": base64.b64encode(b'{"id": 1}').decode(),
        },
    }
    assert (first.id, first.group) == (f"{stream}:1", subject)
    assert first.filter_view == {"data": {"id": 1}, "subject": subject}
    assert first.size == len(json.dumps(first.record))
    assert second.record["nats"]["headers"] is None
    assert second.filter_view == {"data": "plain words", "subject": subject}
    assert consumer.event([first, second]) == {"Records": [first.record, second.record]}


async def test_latest_starts_after_now_and_trim_horizon_at_the_first(streams: Streams) -> None:
    await streams.make()
    subject = streams.subject()
    await streams.js.publish(subject, b"before")
    latest = await opened(subscription(subject, starting_position="LATEST"))
    unset = await opened(subscription(subject, starting_position=None))
    horizon = await opened(subscription(subject, starting_position="TRIM_HORIZON"))
    try:
        await streams.js.publish(subject, b"after")
        assert payloads(await collect(latest, 1)) == [b"after"]
        assert payloads(await collect(unset, 1)) == [b"after"]
        assert payloads(await collect(horizon, 2)) == [b"before", b"after"]
    finally:
        for consumer in (latest, unset, horizon):
            await consumer.close()


async def test_batches_come_in_order_and_no_more_than_batch_size(streams: Streams) -> None:
    await streams.make()
    subject = streams.subject()
    for n in range(7):
        await streams.js.publish(subject, str(n).encode())
    consumer = await opened(subscription(subject, batch_size=3))
    try:
        first = await collect(consumer, 2, limit=2)
        assert payloads(first) == [b"0", b"1"]
        # BatchSize bounds what the server hands out unacknowledged.
        assert payloads(await consumer.fetch(10, 0.5)) == [b"2"]
        assert await consumer.fetch(10, 0.2) == []
        await consumer.ack([*first])
        rest = await collect(consumer, 2, limit=10)
        assert payloads(rest) == [b"3", b"4"]
    finally:
        await consumer.close()


async def test_acknowledged_messages_stay_acknowledged(streams: Streams) -> None:
    await streams.make()
    subject = streams.subject()
    sub = subscription(subject)
    for n in range(3):
        await streams.js.publish(subject, str(n).encode())
    consumer = await opened(sub)
    try:
        await consumer.ack(await collect(consumer, 3))
    finally:
        await consumer.close()

    again = await opened(sub)
    try:
        assert await again.fetch(10, 0.5) == []
        await streams.js.publish(subject, b"3")
        assert payloads(await collect(again, 1)) == [b"3"]
    finally:
        await again.close()


async def test_unacknowledged_messages_come_back_in_order(streams: Streams) -> None:
    await streams.make()
    subject = streams.subject()
    sub = subscription(subject, hold_seconds=1.0)
    for n in range(4):
        await streams.js.publish(subject, str(n).encode())
    consumer = await opened(sub)
    try:
        first = await collect(consumer, 4)
        await consumer.ack(first[:1])
    finally:
        await consumer.close()

    again = await opened(sub)
    try:
        back = await collect(again, 3)
        assert payloads(back) == [b"1", b"2", b"3"]
        assert [m.record["nats"]["deliveryCount"] for m in back] == [2, 2, 2]
    finally:
        await again.close()


async def test_closing_gives_back_at_once_what_was_in_hand(streams: Streams) -> None:
    await streams.make()
    subject = streams.subject()
    # An ack wait far longer than the test: only the close's give-back brings them.
    sub = subscription(subject, hold_seconds=600.0)
    for n in range(2):
        await streams.js.publish(subject, str(n).encode())
    consumer = await opened(sub)
    try:
        await collect(consumer, 2)
    finally:
        await consumer.close()

    again = await opened(sub)
    try:
        assert payloads(await collect(again, 2)) == [b"0", b"1"]
    finally:
        await again.close()


async def test_what_a_lost_consumer_left_comes_before_anything_newer(streams: Streams) -> None:
    await streams.make()
    subject = streams.subject()
    sub = subscription(subject, hold_seconds=1.0, batch_size=10)
    for n in range(2):
        await streams.js.publish(subject, str(n).encode())
    lost = await opened(sub)
    try:
        # Fetched and never acknowledged nor closed, as by an Altus that was killed.
        await collect(lost, 2)
        await streams.js.publish(subject, b"2")
        successor = await opened(sub)
        try:
            batch = await collect(successor, 2)
            assert payloads(batch) == [b"0", b"1"]
            await successor.ack(batch)
            assert payloads(await collect(successor, 1)) == [b"2"]
            info = await streams.js.consumer_info(
                streams.made[0], nats_jetstream.consumer_name(sub)
            )
            assert info.config.max_ack_pending == 10
        finally:
            await successor.close()
    finally:
        await lost.close()


async def test_hold_keeps_a_message_from_coming_back(streams: Streams) -> None:
    await streams.make()
    subject = streams.subject()
    sub = subscription(subject, hold_seconds=1.0)
    await streams.js.publish(subject, b"0")
    holder = await opened(sub)
    other = await opened(sub)
    try:
        held = await collect(holder, 1)
        # For three ack waits, the message is held between short fetches of another
        # consumer of the same durable: it must not be delivered again to it.
        until = time.monotonic() + 3 * sub.hold_seconds
        while time.monotonic() < until:
            await holder.hold(held)
            assert await other.fetch(1, 0.2) == []
        # Once no longer held, it comes back: the ack wait was that short.
        back = await collect(other, 1)
        assert back[0].id == held[0].id
        assert back[0].record["nats"]["deliveryCount"] == 2
    finally:
        await holder.close()
        await other.close()


async def test_subjects_of_two_streams_are_read_from_both(streams: Streams) -> None:
    first = await streams.make("a")
    second = await streams.make("b")
    sub = subscription(streams.subject("a"), streams.subject("b"))
    consumer = await opened(sub)
    try:
        await streams.js.publish(streams.subject("a"), b"a")
        await streams.js.publish(streams.subject("b"), b"b")
        got = await collect(consumer, 2)
        assert sorted(payloads(got)) == [b"a", b"b"]
        assert {m.id for m in got} == {f"{first}:1", f"{second}:1"}
        await consumer.ack(got)
    finally:
        await consumer.close()

    name = nats_jetstream.consumer_name(sub)
    for stream in (first, second):
        assert (await streams.js.consumer_info(stream, name)).num_ack_pending == 0
    await nats_jetstream.connect(sub).forget()
    for stream in (first, second):
        with pytest.raises(nats.js.errors.NotFoundError):
            await streams.js.consumer_info(stream, name)


async def test_a_fetch_of_two_streams_returns_no_more_than_asked(streams: Streams) -> None:
    await streams.make("a")
    await streams.make("b")
    for part in ("a", "b"):
        for n in range(2):
            await streams.js.publish(streams.subject(part), f"{part}{n}".encode())
    consumer = await opened(subscription(streams.subject("a"), streams.subject("b")))
    try:
        # Three are pulled from the two streams together, none beyond them.
        first = await collect(consumer, 3, limit=3)
        second = await collect(consumer, 1, limit=3)
        got = payloads(first + second)
        assert sorted(got) == [b"a0", b"a1", b"b0", b"b1"]
        for prefix in (b"a", b"b"):
            assert [p for p in got if p.startswith(prefix)] == [prefix + b"0", prefix + b"1"]
    finally:
        await consumer.close()


async def test_two_subjects_of_one_stream(streams: Streams, client: Client) -> None:
    await streams.make()
    sub = subscription(streams.subject(rest="x"), streams.subject(rest="y"))
    consumer = nats_jetstream.connect(sub)
    try:
        version = client.connected_server_version
        if (version.major, version.minor) < (2, 10):
            # Older servers ignore the filter list: the consumer would read the stream.
            with pytest.raises(BrokerError) as raised:
                await consumer.open()
            assert raised.value.kind == CONFIGURATION
            assert "NATS 2.10" in raised.value.message
            return
        await consumer.open()
        for rest in ("x", "z", "y"):
            await streams.js.publish(streams.subject(rest=rest), rest.encode())
        assert payloads(await collect(consumer, 2)) == [b"x", b"y"]
    finally:
        await consumer.close()


async def test_an_existing_consumer_keeps_its_place_and_takes_new_settings(
    streams: Streams,
) -> None:
    stream = await streams.make()
    subject = streams.subject()
    sub = subscription(subject, starting_position="LATEST", hold_seconds=5.0)
    await (await opened(sub)).close()
    await streams.js.publish(subject, b"kept")

    # Another starting position does not move it; ack wait and batch size follow.
    changed = replace(sub, starting_position="TRIM_HORIZON", hold_seconds=7.0, batch_size=4)
    consumer = await opened(changed)
    try:
        assert payloads(await collect(consumer, 1)) == [b"kept"]
    finally:
        await consumer.close()
    info = await streams.js.consumer_info(stream, nats_jetstream.consumer_name(sub))
    assert (info.config.ack_wait, info.config.max_ack_pending) == (7.0, 4)


async def test_a_subject_no_stream_captures_is_a_configuration_error(
    streams: Streams,
) -> None:
    consumer = nats_jetstream.connect(subscription(f"{streams.root}.nowhere"))
    try:
        with pytest.raises(BrokerError) as raised:
            await consumer.open()
    finally:
        await consumer.close()
    assert raised.value.kind == CONFIGURATION
    assert "no JetStream stream captures subject" in raised.value.message


@pytest.mark.parametrize("group", ["a.b", "a*", "a>", "a b", "a/b"])
async def test_a_consumer_group_nats_cannot_name_is_refused(group: str) -> None:
    consumer = nats_jetstream.connect(subscription("x", consumer_group=group))
    with pytest.raises(BrokerError) as raised:
        await consumer.open()
    assert raised.value.kind == CONFIGURATION
    await consumer.close()


async def test_the_consumer_group_names_the_durable(streams: Streams) -> None:
    stream = await streams.make()
    group = f"{streams.root}-group"
    sub = subscription(streams.subject(), consumer_group=group)
    await (await opened(sub)).close()
    assert (await streams.js.consumer_info(stream, group)).name == group
    await nats_jetstream.connect(sub).forget()
    with pytest.raises(nats.js.errors.NotFoundError):
        await streams.js.consumer_info(stream, group)
    # Forgetting what is gone already is done.
    await nats_jetstream.connect(sub).forget()


def closed_port() -> int:
    return free_port()


async def test_a_closed_port_is_a_connection_error() -> None:
    sub = subscription("x", url=f"nats://127.0.0.1:{closed_port()}")
    consumer = nats_jetstream.connect(sub)
    try:
        with pytest.raises(BrokerError) as raised:
            await consumer.open()
    finally:
        await consumer.close()
    assert raised.value.kind == CONNECTION
    with pytest.raises(BrokerError) as forgetting:
        await nats_jetstream.connect(sub).forget()
    assert forgetting.value.kind == CONNECTION


@dataclass
class Guarded:
    url: str
    process: subprocess.Popen[bytes]


@pytest.fixture
def guarded_server(tmp_path: Path) -> Iterator[Guarded]:
    """A NATS server with JetStream of this test's own, which asks for user ``altus``,
    password ``s3cret`` (the machine's asks for none)."""
    server = NatsServer(tmp_path, "--user", "altus", "--pass", "s3cret")
    try:
        server.start()
        assert server.process is not None
        yield Guarded(server.url, server.process)
    finally:
        server.stop()


async def test_credentials(guarded_server: Guarded) -> None:
    url = guarded_server.url.replace("nats://", "nats://altus:wrong@")
    refused = nats_jetstream.connect(subscription("x", url=url))
    try:
        with pytest.raises(BrokerError) as raised:
            await refused.open()
    finally:
        await refused.close()
    assert raised.value.kind == AUTHENTICATION
    assert "wrong" not in raised.value.message

    # The endpoint's credentials take the place of the URL's.
    nc = await nats.connect(guarded_server.url, user="altus", password="s3cret")
    try:
        js = nc.jetstream()
        await js.add_stream(name="guarded", subjects=["guarded.>"])
        sub = subscription("guarded.x", url=url)
        sub = replace(sub, endpoint=replace(sub.endpoint, username="altus", password="s3cret"))
        consumer = await opened(sub)
        try:
            await js.publish("guarded.x", b"in")
            assert payloads(await collect(consumer, 1)) == [b"in"]
        finally:
            await consumer.close()
    finally:
        await nc.close()


async def test_a_lost_connection_is_a_connection_error(guarded_server: Guarded) -> None:
    nc = await nats.connect(guarded_server.url, user="altus", password="s3cret")
    try:
        await nc.jetstream().add_stream(name="lost", subjects=["lost.>"])
    finally:
        await nc.close()
    sub = subscription("lost.x", url=guarded_server.url.replace("//", "//altus:s3cret@"))
    consumer = await opened(sub)
    try:
        guarded_server.process.terminate()
        guarded_server.process.wait(timeout=30)
        deadline = time.monotonic() + PATIENCE
        with pytest.raises(BrokerError) as raised:
            while time.monotonic() < deadline:
                await consumer.fetch(1, 0.2)
        assert raised.value.kind == CONNECTION
    finally:
        await consumer.close()


async def test_a_closed_consumer_says_so(streams: Streams) -> None:
    await streams.make()
    consumer = await opened(subscription(streams.subject()))
    await consumer.close()
    with pytest.raises(BrokerError) as raised:
        await consumer.fetch(1, 0.1)
    assert raised.value.kind == CONNECTION
    await consumer.close()  # again: never raises


async def test_a_payload_nested_too_deep_to_parse_is_text_to_filters(streams: Streams) -> None:
    await streams.make()
    subject = streams.subject()
    deep = b"[" * 100_000 + b"]" * 100_000
    await streams.js.publish(subject, deep)
    await streams.js.publish(subject, b'{"after": true}')
    sub = subscription(subject)
    consumer = await opened(sub)
    try:
        first, second = await collect(consumer, 2)
        assert first.filter_view == {"data": deep.decode(), "subject": subject}
        assert payloads([first]) == [deep]
        assert second.filter_view == {"data": {"after": True}, "subject": subject}
        await consumer.ack([first, second])
    finally:
        await consumer.close()
    info = await streams.js.consumer_info(streams.made[0], nats_jetstream.consumer_name(sub))
    assert info.num_ack_pending == 0


async def test_messages_waiting_while_a_batch_is_held_come_once(streams: Streams) -> None:
    first = await streams.make("a")
    second = await streams.make("b")
    for part in ("a", "b"):
        for n in range(2):
            await streams.js.publish(streams.subject(part), f"{part}{n}".encode())
    sub = subscription(streams.subject("a"), streams.subject("b"), hold_seconds=1.0)
    consumer = await opened(sub)
    try:
        batch = await consumer.fetch(2, 0.5)
        assert len(batch) == 2
        # A retry holds the batch for two ack waits, as the poller does, fetching nothing.
        until = time.monotonic() + 2 * sub.hold_seconds
        while time.monotonic() < until:
            await consumer.hold(batch)
            await asyncio.sleep(0.2)
        await consumer.ack(batch)
        rest = await collect(consumer, 2)
        # The poller fills a batch with more fetches: none brings one of these again.
        assert await consumer.fetch(10, 0.5) == []
        await consumer.ack(rest)
    finally:
        await consumer.close()
    got = batch + rest
    assert sorted(payloads(got)) == [b"a0", b"a1", b"b0", b"b1"]
    assert len({m.id for m in got}) == 4
    # Nothing was delivered twice: the two waiting had not been pulled.
    assert [m.record["nats"]["deliveryCount"] for m in got] == [1, 1, 1, 1]
    name = nats_jetstream.consumer_name(sub)
    for stream in (first, second):
        info = await streams.js.consumer_info(stream, name)
        assert (info.num_ack_pending, info.num_redelivered) == (0, 0)


async def test_a_message_delivered_again_while_in_hand_is_not_handed_out_twice(
    streams: Streams,
) -> None:
    stream = await streams.make()
    subject = streams.subject()
    sub = subscription(subject, hold_seconds=1.0)
    name = nats_jetstream.consumer_name(sub)
    await streams.js.publish(subject, b"0")
    holder = await opened(sub)
    other = await opened(sub)
    try:
        [held] = await collect(holder, 1)
        # Not held: its ack wait runs out and the holder's next pull brings it again.
        deadline = time.monotonic() + PATIENCE
        while (await streams.js.consumer_info(stream, name)).delivered.consumer_seq < 2:
            assert time.monotonic() < deadline, "the message was not delivered again"
            assert await holder.fetch(10, 0.2) == []
        # Held now, by its latest delivery: it does not go to another consumer either.
        until = time.monotonic() + 2 * sub.hold_seconds
        while time.monotonic() < until:
            await holder.hold([held])
            assert await other.fetch(1, 0.2) == []
        await holder.ack([held])
        info = await streams.js.consumer_info(stream, name)
        assert info.num_ack_pending == 0
        assert await holder.fetch(10, 0.2) == []
    finally:
        await holder.close()
        await other.close()


async def test_acks_that_went_through_stay_out_of_what_close_gives_back(
    streams: Streams,
) -> None:
    await streams.make("a")
    gone = await streams.make("b")
    await streams.js.publish(streams.subject("a"), b"a0")
    await streams.js.publish(streams.subject("a"), b"a1")
    await streams.js.publish(streams.subject("b"), b"b0")
    group = f"{streams.root}-group"
    sub = subscription(
        streams.subject("a"), streams.subject("b"), consumer_group=group, hold_seconds=600.0
    )
    consumer = await opened(sub)
    try:
        got = {payloads([m])[0]: m for m in await collect(consumer, 3)}
        # b0's stream goes: its ack fails, a0's goes through.
        await streams.js.delete_stream(gone)
        with pytest.raises(BrokerError):
            await consumer.ack([got[b"a0"], got[b"b0"]])
    finally:
        await consumer.close()

    # a1 was given back at close (the ack wait is far longer than the test).
    again = await opened(replace(sub, names=(streams.subject("a"),)))
    try:
        [back] = await collect(again, 1)
        assert payloads([back]) == [b"a1"]
        assert back.record["nats"]["deliveryCount"] == 2
    finally:
        await again.close()


async def test_close_gives_back_what_an_interrupted_fetch_pulled(streams: Streams) -> None:
    stream = await streams.make()
    subject = streams.subject()
    sub = subscription(subject, hold_seconds=600.0)
    name = nats_jetstream.consumer_name(sub)
    consumer = await opened(sub)
    try:
        # A fetch waiting for a message (as the poller's idle fetch does) when a stop
        # comes; the message comes to its pull request after.
        fetching = asyncio.create_task(consumer.fetch(10, 1.0))
        deadline = time.monotonic() + PATIENCE
        while (await streams.js.consumer_info(stream, name)).num_waiting < 1:
            assert time.monotonic() < deadline, "the fetch did not reach the server"
            await asyncio.sleep(0.01)
        fetching.cancel()
        with pytest.raises(asyncio.CancelledError):
            await fetching
        await streams.js.publish(subject, b"0")
    finally:
        await consumer.close()
    # It was delivered to the interrupted pull.
    assert (await streams.js.consumer_info(stream, name)).delivered.consumer_seq == 1

    again = await opened(sub)
    try:
        [back] = await collect(again, 1)
        assert payloads([back]) == [b"0"]
        assert back.record["nats"]["deliveryCount"] == 2
    finally:
        await again.close()


async def test_close_gives_back_what_came_after_a_fetch_returned(
    streams: Streams, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A fetch that waits for nothing returns before the large messages it asked for have
    # all come; the rest wait in nats-py's queue for the next fetch.
    monkeypatch.setattr(nats_jetstream, "SHORTEST_WAIT", 0.01)
    stream = await streams.make()
    subject = streams.subject()
    count = 20
    size = min(900_000, client.max_payload - 1024)
    for n in range(count):
        await streams.js.publish(subject, bytes([n]) * size)
    sub = subscription(subject, hold_seconds=600.0, batch_size=count)
    name = nats_jetstream.consumer_name(sub)
    consumer = nats_jetstream.JetStreamConsumer(sub)
    await consumer.open()
    try:
        fetched: list[Message] = []
        deadline = time.monotonic() + PATIENCE
        while (await streams.js.consumer_info(stream, name)).num_ack_pending == 0:
            assert time.monotonic() < deadline, "nothing was delivered"
            fetched += await consumer.fetch(count, 0.0)
        while (info := await streams.js.consumer_info(stream, name)).num_waiting:
            assert time.monotonic() < deadline, "the pull request did not end"
            await asyncio.sleep(0.01)
        delivered = info.num_ack_pending
        # Everything delivered has reached the client: fetched, or in nats-py's queue.
        queue = consumer._pulls[0].subscription
        while len(fetched) + queue.pending_msgs < delivered:
            assert time.monotonic() < deadline, "not all that was delivered came"
            await asyncio.sleep(0.01)
    finally:
        await consumer.close()

    # Those delivered were given back: they come at once, before the rest.
    again = await opened(sub)
    try:
        back = await collect(again, delivered, limit=count)
        await again.ack(back)
        back += await collect(again, count - delivered, limit=count)
        assert [p[0] for p in payloads(back)] == list(range(count))
        counts = [m.record["nats"]["deliveryCount"] for m in back]
        assert counts == [2] * delivered + [1] * (count - delivered)
    finally:
        await again.close()


async def test_closing_ends_when_the_server_stops_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A server that stops reading (here: stopped) while much is to be written to it must
    not keep close waiting (nats-py would wait for ever)."""
    monkeypatch.setattr(nats_jetstream, "GIVE_BACK_TIMEOUT", 0.5)
    monkeypatch.setattr(nats_jetstream, "CLOSE_TIMEOUT", 0.5)
    server = NatsServer(tmp_path)
    server.start()
    assert server.process is not None
    stopped = False
    try:
        # Long names make long give-backs: about 10 MB of them, more than the socket
        # buffers on both sides hold.
        stream = "s" * 200
        count = 20_000
        nc = await nats.connect(server.url)
        try:
            await nc.jetstream().add_stream(name=stream, subjects=["big.>"])
            for n in range(count):
                await nc.publish("big.x", str(n).encode())
            await nc.flush()
        finally:
            await nc.close()
        sub = subscription("big.x", url=server.url, consumer_group="c" * 200, batch_size=count)
        consumer = await opened(sub)
        await collect(consumer, count, limit=count)
        os.kill(server.process.pid, signal.SIGSTOP)
        stopped = True
        async with asyncio.timeout(PATIENCE):
            await consumer.close()
    finally:
        if stopped:
            os.kill(server.process.pid, signal.SIGCONT)
        server.stop()
