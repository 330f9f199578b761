"""The MQTT consumer against the machine's Mosquitto (127.0.0.1:1883), driven directly
as the broker poller drives it: records, wildcard filters, batches bounded by Receive
Maximum, acknowledgements, the persistent session across reconnects, and ``forget``.

Each test's topics and sessions carry its own ``altus-test-<uuid>`` prefix, and every
session a test made is ended (``forget``) when it is over.
"""

from __future__ import annotations

import asyncio
import base64
import json
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any

import aiomqtt
import pytest
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from altus.brokers import mqtt
from altus.brokers.base import (
    AUTHENTICATION,
    CONFIGURATION,
    CONNECTION,
    BrokerError,
    Endpoint,
    Message,
    Subscription,
)
from altus.testing import wait_until
from tests.conftest import unavailable

pytestmark = pytest.mark.integration

HOST = "127.0.0.1"
PORT = 1883
URL = f"mqtt://{HOST}:{PORT}"
#: The most any one wait for the broker may take before the test fails.
DEADLINE = 10.0


class Lab:
    """One test's topics and sessions, all under its prefix."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.client_ids: set[str] = set()
        self.retained: set[str] = set()

    def topic(self, name: str) -> str:
        return f"{self.prefix}/{name}"

    def subscription(
        self,
        *filters: str,
        group: str | None = "session",
        batch_size: int = 100,
        url: str = URL,
        username: str | None = None,
        password: str | None = None,
    ) -> Subscription:
        mapping_id = str(uuid.uuid4())
        client_id = f"{self.prefix}-{group}" if group else f"altus-{mapping_id}"
        self.client_ids.add(client_id)
        return Subscription(
            mapping_id,
            Endpoint("mqtt", url, username, password),
            tuple(self.topic(name) for name in filters),
            consumer_group=f"{self.prefix}-{group}" if group else None,
            batch_size=batch_size,
        )

    async def publish(
        self,
        name: str,
        *payloads: bytes,
        properties: Properties | None = None,
        retain: bool = False,
        qos: int = 1,
    ) -> None:
        """Publish, at QoS 1 unless told: each is on the broker when this returns (at
        QoS 0: once the broker has the disconnect that follows them)."""
        if retain:
            self.retained.add(self.topic(name))
        async with aiomqtt.Client(HOST, PORT, protocol=aiomqtt.ProtocolVersion.V5) as client:
            for payload in payloads:
                await client.publish(
                    self.topic(name), payload, qos=qos, retain=retain, properties=properties
                )

    async def clean(self) -> None:
        async with aiomqtt.Client(HOST, PORT, protocol=aiomqtt.ProtocolVersion.V5) as client:
            for topic in self.retained:
                # An empty retained message removes the one kept.
                await client.publish(topic, b"", qos=1, retain=True)
        for client_id in self.client_ids:
            subscription = Subscription(client_id, Endpoint("mqtt", URL), (), client_id)
            await mqtt.connect(subscription).forget()


@pytest.fixture
def lab() -> Iterator[Lab]:
    try:
        socket.create_connection((HOST, PORT), timeout=DEADLINE).close()
    except OSError as error:
        unavailable(f"Mosquitto on {HOST}:{PORT}", str(error))
    made = Lab(f"altus-test-{uuid.uuid4().hex}")
    yield made
    asyncio.run(made.clean())


def run(test: Callable[[], Coroutine[Any, Any, None]]) -> None:
    asyncio.run(test())


async def take(consumer: mqtt.MqttConsumer, count: int, limit: int = 100) -> list[Message]:
    """``count`` messages, fetched ``limit`` at most at a time, nothing acknowledged."""
    taken: list[Message] = []
    async with asyncio.timeout(DEADLINE):
        while len(taken) < count:
            batch = await consumer.fetch(min(limit, count - len(taken)), 1.0)
            assert len(batch) <= limit
            taken.extend(batch)
    return taken


async def opened(subscription: Subscription) -> mqtt.MqttConsumer:
    consumer = mqtt.MqttConsumer(subscription)
    await consumer.open()
    return consumer


def payloads(messages: list[Message]) -> list[bytes]:
    return [base64.b64decode(message.record["mqtt"]["payload"]) for message in messages]


def test_a_message_is_delivered_as_the_documented_record(lab: Lab) -> None:
    async def test() -> None:
        consumer = await opened(lab.subscription("sensors/#"))
        try:
            properties = Properties(PacketTypes.PUBLISH)
            properties.ContentType = "application/json"
            properties.ResponseTopic = lab.topic("replies")
            properties.CorrelationData = b"\x00\x01"
            properties.UserProperty = [("site", "north"), ("site", "south")]
            properties.PayloadFormatIndicator = 1
            properties.MessageExpiryInterval = 3600
            await lab.publish("sensors/1", b'{"temperature": 21.5}', properties=properties)
            await lab.publish("sensors/2", b"\xffnot json")
            first, second = await take(consumer, 2)
        finally:
            await consumer.close()

        topic = lab.topic("sensors/1")
        mqtt_part = first.record["mqtt"]
        # The broker forwards the expiry interval less the time the message waited.
        assert 0 < mqtt_part["properties"].pop("messageExpiryInterval") <= 3600
        assert first.record == {
            "eventSource": "altus:mqtt",
            "eventVersion": "1.0",
            "eventID": first.id,
            "mqtt": {
                "topic": topic,
                "qos": 1,
                "retain": False,
                "duplicate": False,
                "payload": base64.b64encode(b'{"temperature": 21.5}').decode(),
                "properties": {
                    "contentType": "application/json",
                    "responseTopic": lab.topic("replies"),
                    "correlationData": base64.b64encode(b"\x00\x01").decode(),
                    "userProperties": [["site", "north"], ["site", "south"]],
                    "payloadFormatIndicator": 1,
                },
            },
        }
        assert first.group == topic
        assert first.filter_view == {"topic": topic, "payload": {"temperature": 21.5}}
        assert second.record["mqtt"]["properties"] == {}
        assert second.filter_view == {
            "topic": lab.topic("sensors/2"),
            "payload": "\ufffdnot json",
        }
        assert first.id != second.id
        assert second.size == len(json.dumps(second.record))
        assert consumer.event([first, second]) == {"Records": [first.record, second.record]}

    run(test)


def test_a_payload_nested_too_deep_to_parse_is_text_to_filters(lab: Lab) -> None:
    async def test() -> None:
        deep = b"[" * 100_000 + b"]" * 100_000
        consumer = await opened(lab.subscription("t"))
        try:
            await lab.publish("t", deep, b'{"after": true}')
            first, second = await take(consumer, 2)
            await consumer.ack([first, second])
        finally:
            await consumer.close()
        assert first.filter_view == {"topic": lab.topic("t"), "payload": deep.decode()}
        assert payloads([first]) == [deep]
        assert second.filter_view == {"topic": lab.topic("t"), "payload": {"after": True}}

    run(test)


def test_messages_arrive_through_altus_own_callback(lab: Lab) -> None:
    """Altus takes messages from paho's ``on_message``, which aiomqtt sets to its own: a
    release of aiomqtt that sets it again after connecting would have them go nowhere."""

    async def test() -> None:
        consumer = await opened(lab.subscription("t"))
        try:
            assert consumer._client is not None
            assert mqtt._paho(consumer._client).on_message == consumer._arrived
        finally:
            await consumer.close()

    run(test)


def test_qos0_messages_waiting_are_bounded(lab: Lab, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mqtt, "QOS0_BATCHES", 1)

    async def test() -> None:
        consumer = await opened(lab.subscription("t", batch_size=2))
        try:
            await lab.publish("t", b"kept")
            await lab.publish("t", *(str(n).encode() for n in range(5)), qos=0)
            # Two QoS 0 messages at most wait: the three oldest are dropped, the QoS 1
            # message is not.
            async with asyncio.timeout(DEADLINE):
                while consumer.dropped < 3:
                    await asyncio.sleep(0.01)
            got = await take(consumer, 3)
            await consumer.ack(got)
            assert await consumer.fetch(10, 0.2) == []
        finally:
            await consumer.close()
        assert payloads(got) == [b"kept", b"3", b"4"]
        assert [m.record["mqtt"]["qos"] for m in got] == [1, 0, 0]
        assert consumer.dropped == 3

    run(test)


def test_several_filters_with_wildcards(lab: Lab) -> None:
    async def test() -> None:
        consumer = await opened(lab.subscription("rooms/+/temperature", "doors/#"))
        try:
            await lab.publish("rooms/kitchen/temperature", b"1")
            await lab.publish("rooms/kitchen/humidity", b"not matched")
            await lab.publish("doors", b"2")  # '#' matches its parent level too
            await lab.publish("rooms/hall/sub/temperature", b"not matched")
            await lab.publish("doors/front/lock", b"3")
            await lab.publish("windows/1", b"not matched")
            await lab.publish("rooms/hall/temperature", b"4")
            got = await take(consumer, 4)
        finally:
            await consumer.close()
        assert payloads(got) == [b"1", b"2", b"3", b"4"]
        assert [message.group for message in got] == [
            lab.topic("rooms/kitchen/temperature"),
            lab.topic("doors"),
            lab.topic("doors/front/lock"),
            lab.topic("rooms/hall/temperature"),
        ]

    run(test)


def test_fetch_returns_no_more_than_its_limit_in_order(lab: Lab) -> None:
    async def test() -> None:
        consumer = await opened(lab.subscription("t", batch_size=10))
        try:
            await lab.publish("t", *(str(n).encode() for n in range(7)))
            got = await take(consumer, 7, limit=2)
            assert payloads(got) == [str(n).encode() for n in range(7)]
            assert len({message.id for message in got}) == 7
            await consumer.ack(got)
        finally:
            await consumer.close()

    run(test)


def test_the_broker_sends_at_most_a_batch_until_it_is_acknowledged(lab: Lab) -> None:
    async def test() -> None:
        consumer = await opened(lab.subscription("t", batch_size=3))
        try:
            await lab.publish("t", *(str(n).encode() for n in range(5)))
            first = await take(consumer, 3)
            # Receive Maximum 3: the broker holds the rest while three are in flight.
            assert await consumer.fetch(10, 1.0) == []
            await consumer.ack(first)
            rest = await take(consumer, 2)
            await consumer.ack(rest)
        finally:
            await consumer.close()
        assert payloads(first + rest) == [str(n).encode() for n in range(5)]

    run(test)


def test_acknowledged_messages_are_not_delivered_again(lab: Lab) -> None:
    async def test() -> None:
        subscription = lab.subscription("t")
        consumer = await opened(subscription)
        try:
            await lab.publish("t", b"1", b"2", b"3")
            await consumer.ack(await take(consumer, 3))
        finally:
            await consumer.close()
        again = await opened(subscription)
        try:
            await lab.publish("t", b"after")
            # What the broker resends comes first on a resumed session: nothing did.
            [message] = await take(again, 1)
            await again.ack([message])
        finally:
            await again.close()
        assert payloads([message]) == [b"after"]
        assert message.record["mqtt"]["duplicate"] is False

    run(test)


def test_unacknowledged_messages_come_again_in_order_marked_duplicate(lab: Lab) -> None:
    async def test() -> None:
        subscription = lab.subscription("t")
        consumer = await opened(subscription)
        try:
            await lab.publish("t", b"1", b"2", b"3", b"4")
            got = await take(consumer, 4)
            await consumer.ack(got[:1])
        finally:
            await consumer.close()
        # A new consumer of the same session, as the poller makes after a reconnect.
        again = await opened(subscription)
        try:
            await lab.publish("t", b"5")
            redelivered = await take(again, 4)
            await again.ack(redelivered)
        finally:
            await again.close()
        assert payloads(redelivered) == [b"2", b"3", b"4", b"5"]
        assert [m.record["mqtt"]["duplicate"] for m in redelivered] == [True, True, True, False]

    run(test)


def test_messages_published_while_disconnected_are_delivered_on_reconnect(lab: Lab) -> None:
    async def test() -> None:
        # No ConsumerGroupId: the session is named after the mapping.
        subscription = lab.subscription("t", group=None)
        assert mqtt.MqttConsumer(subscription).client_id == f"altus-{subscription.mapping_id}"
        consumer = await opened(subscription)
        await consumer.close()
        await lab.publish("t", b"1", b"2", b"3")
        again = await opened(subscription)
        try:
            got = await take(again, 3)
            await again.ack(got)
        finally:
            await again.close()
        assert payloads(got) == [b"1", b"2", b"3"]
        assert [m.record["mqtt"]["duplicate"] for m in got] == [False, False, False]

    run(test)


def test_a_retained_message_comes_once_per_subscription(lab: Lab) -> None:
    async def test() -> None:
        await lab.publish("state", b"on", retain=True)
        subscription = lab.subscription("state")
        consumer = await opened(subscription)
        try:
            [retained] = await take(consumer, 1)
            await consumer.ack([retained])
        finally:
            await consumer.close()
        again = await opened(subscription)
        try:
            await lab.publish("state", b"off")
            [live] = await take(again, 1)
            await again.ack([live])
        finally:
            await again.close()
        assert payloads([retained, live]) == [b"on", b"off"]
        assert retained.record["mqtt"]["retain"] is True
        assert live.record["mqtt"]["retain"] is False

    run(test)


def test_forget_ends_the_session(lab: Lab) -> None:
    async def test() -> None:
        subscription = lab.subscription("t")
        consumer = await opened(subscription)
        try:
            await lab.publish("t", b"in flight")
            await take(consumer, 1)
        finally:
            await consumer.close()
        await lab.publish("t", b"queued")
        await mqtt.connect(subscription).forget()
        # With no session there is no subscription: Mosquitto keeps nothing of this.
        await lab.publish("t", b"after forget")
        fresh = await opened(subscription)
        try:
            await lab.publish("t", b"new session")
            [message] = await take(fresh, 1)
            await fresh.ack([message])
        finally:
            await fresh.close()
        assert payloads([message]) == [b"new session"]

    run(test)


def test_a_lost_connection_fails_fetch_and_ack(lab: Lab) -> None:
    async def test() -> None:
        subscription = lab.subscription("t")
        consumer = await opened(subscription)
        try:
            await lab.publish("t", b"1")
            got = await take(consumer, 1)
            # The same client id connecting again takes the session over.
            usurper = await opened(subscription)
            await usurper.close()
            with pytest.raises(BrokerError) as fetching:
                async with asyncio.timeout(DEADLINE):
                    for _ in range(1000):
                        await consumer.fetch(10, 1.0)
            assert fetching.value.kind == CONNECTION
            with pytest.raises(BrokerError) as acking:
                await consumer.ack(got)
            assert acking.value.kind == CONNECTION
        finally:
            await consumer.close()
            await consumer.close()  # closing again is harmless

    run(test)


def test_a_closed_port_is_a_connection_error(lab: Lab) -> None:
    async def test() -> None:
        # Bound and not listening: connections to it are refused.
        with socket.socket() as holder:
            holder.bind((HOST, 0))
            port = holder.getsockname()[1]
            consumer = mqtt.MqttConsumer(lab.subscription("t", url=f"mqtt://{HOST}:{port}"))
            with pytest.raises(BrokerError) as raised:
                await consumer.open()
            await consumer.close()
        assert raised.value.kind == CONNECTION
        with pytest.raises(BrokerError) as fetching:
            await consumer.fetch(1, 0)
        assert fetching.value.kind == CONNECTION

    run(test)


def test_filters_the_broker_cannot_take_are_configuration_errors(lab: Lab) -> None:
    async def test() -> None:
        with pytest.raises(BrokerError) as malformed:
            await mqtt.MqttConsumer(lab.subscription("a/#/b")).open()
        assert malformed.value.kind == CONFIGURATION
        # Valid MQTT, but deeper than Mosquitto's 200 levels: it closes the connection
        # instead of answering the SUBSCRIBE.
        deep = mqtt.MqttConsumer(lab.subscription("/".join(["level"] * 250)))
        with pytest.raises(BrokerError) as refused:
            await deep.open()
        assert refused.value.kind == CONFIGURATION

    run(test)


@pytest.fixture
def guarded_broker() -> Iterator[int]:
    """A Mosquitto of the test's own on a free loopback port, taking only user
    ``altus`` with password ``right``; its port."""
    server = shutil.which("mosquitto") or shutil.which("mosquitto", path="/usr/sbin")
    passwd = shutil.which("mosquitto_passwd")
    if server is None or passwd is None:
        unavailable("mosquitto and mosquitto_passwd", "they are not installed")
        return
    # Started as root, Mosquitto runs as its own user: its files must be readable to it.
    tmp_path = Path(tempfile.mkdtemp(prefix="altus-test-mosquitto-"))
    tmp_path.chmod(0o755)
    subprocess.run(
        [passwd, "-b", "-c", str(tmp_path / "passwd"), "altus", "right"],
        check=True,
        capture_output=True,
    )
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
    (tmp_path / "passwd").chmod(0o644)
    (tmp_path / "mosquitto.conf").write_text(
        f"listener {port} {HOST}\n"
        "allow_anonymous false\n"
        f"password_file {tmp_path / 'passwd'}\n"
        "persistence false\n"
        "log_dest stderr\n"
    )
    log = (tmp_path / "mosquitto.log").open("w")
    process = subprocess.Popen(
        [server, "-c", str(tmp_path / "mosquitto.conf")], stdout=log, stderr=log
    )

    def listening() -> bool:
        assert process.poll() is None, (tmp_path / "mosquitto.log").read_text()
        try:
            socket.create_connection((HOST, port), timeout=1).close()
        except OSError:
            return False
        return True

    try:
        wait_until(listening, timeout=DEADLINE)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=DEADLINE)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
        shutil.rmtree(tmp_path)


def test_credentials(lab: Lab, guarded_broker: int) -> None:
    where = f"{HOST}:{guarded_broker}"

    async def outcome(**credentials: Any) -> str | None:
        subscription = lab.subscription("t", **credentials)
        consumer = mqtt.MqttConsumer(subscription)
        # Any session lives on the test's own broker, which goes with the test.
        lab.client_ids.discard(consumer.client_id)
        try:
            await consumer.open()
        except BrokerError as error:
            return error.kind
        finally:
            await consumer.close()
        return None

    async def test() -> None:
        assert await outcome(url=f"mqtt://{where}") == AUTHENTICATION
        assert await outcome(url=f"mqtt://altus:wrong@{where}") == AUTHENTICATION
        assert await outcome(url=f"mqtt://{where}", username="altus", password="no") == (
            AUTHENTICATION
        )
        assert await outcome(url=f"mqtt://altus:right@{where}") is None
        # A BASIC_AUTH secret takes the place of the URL's credentials.
        assert await outcome(url=f"mqtt://x:y@{where}", username="altus", password="right") is None

    run(test)


class SilentBroker:
    """A loopback listener that takes connections and never answers: a broker that
    stopped answering (Mosquitto cannot be made to play it). It sees when a client
    closes its connection."""

    def __init__(self) -> None:
        self.connections: asyncio.Queue[asyncio.StreamReader] = asyncio.Queue()
        self._writers: list[asyncio.StreamWriter] = []
        self._server: asyncio.Server | None = None

    async def start(self) -> str:
        self._server = await asyncio.start_server(self._accepted, HOST, 0)
        port = self._server.sockets[0].getsockname()[1]
        return f"mqtt://{HOST}:{port}"

    async def _accepted(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.append(writer)
        await self.connections.put(reader)

    async def closed_by_client(self, reader: asyncio.StreamReader) -> None:
        """Return once the client closed ``reader``'s connection (AssertionError after
        ``DEADLINE``)."""
        try:
            async with asyncio.timeout(DEADLINE):
                while await reader.read(65536):
                    pass
        except TimeoutError:
            raise AssertionError("the client left the connection open") from None

    async def stop(self) -> None:
        for writer in self._writers:
            writer.close()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()


def test_a_connect_the_broker_never_answers_closes_its_socket(
    lab: Lab, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(mqtt, "TIMEOUT", 0.5)

    async def test() -> None:
        broker = SilentBroker()
        url = await broker.start()
        try:
            consumer = mqtt.MqttConsumer(lab.subscription("t", url=url))
            lab.client_ids.discard(consumer.client_id)
            with pytest.raises(BrokerError) as raised:
                await consumer.open()
            assert raised.value.kind == CONNECTION
            await broker.closed_by_client(await broker.connections.get())
        finally:
            await broker.stop()

    run(test)


def test_a_connect_cancelled_closes_its_socket(lab: Lab, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mqtt, "TIMEOUT", 0.5)

    async def test() -> None:
        broker = SilentBroker()
        url = await broker.start()
        try:
            consumer = mqtt.MqttConsumer(lab.subscription("t", url=url))
            lab.client_ids.discard(consumer.client_id)
            opening = asyncio.create_task(consumer.open())
            async with asyncio.timeout(DEADLINE):
                connection = await broker.connections.get()
                assert await connection.read(1)  # the CONNECT: aiomqtt waits for CONNACK
            opening.cancel()
            with pytest.raises(asyncio.CancelledError):
                await opening
            await broker.closed_by_client(connection)
        finally:
            await broker.stop()

    run(test)
