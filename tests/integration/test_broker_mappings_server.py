"""Broker mappings on a real ``altus up`` (each store), with the machine's brokers: each
source end to end (published with the broker's own client, the function's event as
documented), a failing function's batch retried and then handed to its OnFailure
destination with its messages, a connection the broker drops mid-stream, a broker
restarted mid-stream (a NATS server of the test's own), PostgreSQL's INSERT/UPDATE/DELETE
in commit order and its slot dropped with the mapping, and a SIGKILL mid-batch that
loses nothing. MQTT and NATS's own behaviour is in their consumers' tests
(test_broker_mqtt.py, test_broker_nats.py)."""

from __future__ import annotations

import asyncio
import base64
import json
import signal
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from tests.conftest import (
    POSTGRES_URL,
    Server,
    create_function,
    lambda_client,
    python_function,
    start_server,
    unavailable,
)
from tests.integration.nats_server import NatsServer

pytestmark = pytest.mark.integration

#: Sends each event it gets, whole, to the queue $OUT; then waits $HOLD s if the event
#: holds the text $HOLD_IF and is not a RabbitMQ redelivery; fails while the event holds
#: the text $FAIL.
FORWARDER = python_function(
    """
import json, os, time, boto3

sqs = boto3.client("sqs")


def handler(event, context):
    text = json.dumps(event)
    sqs.send_message(QueueUrl=os.environ["OUT"], MessageBody=text)
    if os.environ.get("HOLD_IF", "") in text and '"redelivered": true' not in text:
        time.sleep(float(os.environ.get("HOLD", "0")))
    fail = os.environ.get("FAIL")
    if fail and fail in text:
        raise RuntimeError("told to fail")
"""
)
RABBITMQ_URL = "amqp://guest:guest@127.0.0.1:5672/"
REDIS_URL = "redis://127.0.0.1:6379/0"


def sqs_client(server: Server) -> Any:
    return boto3.client(
        "sqs",
        endpoint_url=server.url,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(retries={"total_max_attempts": 1}, read_timeout=70),
    )


class Sink:
    """A queue the forwarder sends to, and the events read back from it."""

    def __init__(self, server: Server, name: str) -> None:
        self.sqs = sqs_client(server)
        self.url = self.sqs.create_queue(QueueName=name)["QueueUrl"]
        self.arn = self.sqs.get_queue_attributes(QueueUrl=self.url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]

    def take(self) -> list[dict[str, Any]]:
        messages = self.sqs.receive_message(
            QueueUrl=self.url, MaxNumberOfMessages=10, WaitTimeSeconds=1
        ).get("Messages", [])
        for message in messages:
            self.sqs.delete_message(QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"])
        return [json.loads(message["Body"]) for message in messages]

    def events(self, done: Any, timeout: float = 60) -> list[dict[str, Any]]:
        """Events in the order received until ``done(events)`` is true."""
        got: list[dict[str, Any]] = []
        deadline = time.monotonic() + timeout
        while not done(got):
            if time.monotonic() > deadline:
                raise AssertionError(f"not there within {timeout} s: {got}")
            got += self.take()
        return got


def wait_state(lam: Any, mapping: str, state: str = "Enabled") -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        found: dict[str, Any] = lam.get_event_source_mapping(UUID=mapping)
        if found["State"] == state:
            return found
        time.sleep(0.05)
    raise AssertionError(f"mapping {mapping} never became {state}")


def wait_gone(lam: Any, mapping: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            lam.get_event_source_mapping(UUID=mapping)
        except lam.exceptions.ResourceNotFoundException:
            return
        time.sleep(0.05)
    raise AssertionError(f"mapping {mapping} was not deleted")


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, module_store: dict[str, str]
) -> Iterator[Server]:
    running = start_server(tmp_path_factory.mktemp("brokers"), extra_env=module_store)
    yield running
    running.stop()


def forwarder(lam: Any, name: str, sink: Sink, **variables: str) -> None:
    create_function(
        lam,
        name,
        FORWARDER,
        Timeout=10,
        Environment={"Variables": {"OUT": sink.url, **variables}},
    )


# --- RabbitMQ --------------------------------------------------------------------------------


def rabbit(work: Any) -> Any:
    """Run ``work(channel)`` on a fresh aio-pika connection; its result."""
    import aio_pika

    async def run() -> Any:
        try:
            connection = await aio_pika.connect(RABBITMQ_URL, timeout=5)
        except Exception as error:
            unavailable("RabbitMQ on 127.0.0.1:5672", str(error))
        async with connection:
            return await work(await connection.channel())

    return asyncio.run(run())


def rabbit_publish(queue: str, *bodies: bytes, **properties: Any) -> None:
    import aio_pika

    async def publish(channel: Any) -> None:
        for body in bodies:
            await channel.default_exchange.publish(
                aio_pika.Message(body, **properties), routing_key=queue
            )

    rabbit(publish)


def rabbit_queue(name: str) -> None:
    async def declare(channel: Any) -> None:
        await channel.declare_queue(name, auto_delete=False)

    rabbit(declare)


def rabbit_count(name: str) -> int:
    async def count(channel: Any) -> int:
        queue = await channel.declare_queue(name, passive=True)
        found: int = queue.declaration_result.message_count
        return found

    result: int = rabbit(count)
    return result


def rabbit_delete(name: str) -> None:
    async def delete(channel: Any) -> None:
        await channel.queue_delete(name)

    rabbit(delete)


def drained(queue: str) -> None:
    """Wait until ``queue`` holds nothing, delivered or not (every batch acknowledged)."""
    deadline = time.monotonic() + 30
    while rabbit_count(queue) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert rabbit_count(queue) == 0


def test_rabbitmq_messages_reach_the_function_in_amazon_mqs_shape(server: Server) -> None:
    queue = f"altus-test-{uuid.uuid4().hex[:8]}"
    rabbit_queue(queue)
    try:
        lam = lambda_client(server.url)
        sink = Sink(server, f"rmq-{queue}")
        forwarder(lam, f"rmq-{queue}", sink)
        mapping = lam.create_event_source_mapping(
            FunctionName=f"rmq-{queue}",
            SelfManagedEventSource={"Endpoints": {"RABBITMQ_URL": [RABBITMQ_URL]}},
            Queues=[queue],
            BatchSize=10,
            MaximumBatchingWindowInSeconds=1,
        )["UUID"]
        wait_state(lam, mapping)
        rabbit_publish(
            queue, b'{"n": 1}', b'{"n": 2}', b'{"n": 3}', content_type="application/json"
        )

        def records(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
            return [r for e in events for r in e["rmqMessagesByQueue"][f"{queue}::/"]]

        events = sink.events(lambda got: len(records(got)) >= 3)
        assert events[0]["eventSource"] == "aws:rmq"
        assert events[0]["eventSourceArn"] == "amqp://127.0.0.1:5672/"
        got = records(events)
        assert [base64.b64decode(r["data"]) for r in got] == [b'{"n": 1}', b'{"n": 2}', b'{"n": 3}']
        assert got[0]["basicProperties"]["contentType"] == "application/json"
        assert got[0]["redelivered"] is False
        drained(queue)
        lam.delete_event_source_mapping(UUID=mapping)
        wait_gone(lam, mapping)
    finally:
        rabbit_delete(queue)


def test_a_failing_batch_is_retried_then_handed_over_with_its_messages(server: Server) -> None:
    queue = f"altus-test-{uuid.uuid4().hex[:8]}"
    rabbit_queue(queue)
    try:
        lam = lambda_client(server.url)
        sink = Sink(server, f"fail-{queue}")
        failures = Sink(server, f"failures-{queue}")
        # "Ym9vbQ==" is base64 of "boom": the batch holding it fails every time.
        forwarder(lam, f"fail-{queue}", sink, FAIL="Ym9vbQ==")
        mapping = lam.create_event_source_mapping(
            FunctionName=f"fail-{queue}",
            SelfManagedEventSource={"Endpoints": {"RABBITMQ_URL": [RABBITMQ_URL]}},
            Queues=[queue],
            BatchSize=1,
            MaximumRetryAttempts=1,
            DestinationConfig={"OnFailure": {"Destination": failures.arn}},
        )["UUID"]
        wait_state(lam, mapping)
        rabbit_publish(queue, b"boom", b"fine")
        (record,) = failures.events(lambda got: len(got) >= 1)
        assert record["requestContext"]["condition"] == "RetryAttemptsExhausted"
        assert record["requestContext"]["approximateInvokeCount"] == 2
        (handed,) = record["payload"]["rmqMessagesByQueue"][f"{queue}::/"]
        assert base64.b64decode(handed["data"]) == b"boom"

        def data(events: list[dict[str, Any]]) -> list[bytes]:
            return [
                base64.b64decode(r["data"])
                for e in events
                for r in e["rmqMessagesByQueue"][f"{queue}::/"]
            ]

        seen = data(sink.events(lambda got: b"fine" in data(got)))
        # Two tries of the failing batch, then the next message: nothing overtook it.
        assert seen == [b"boom", b"boom", b"fine"]
        drained(queue)
        lam.delete_event_source_mapping(UUID=mapping)
        wait_gone(lam, mapping)
    finally:
        rabbit_delete(queue)


def test_a_sigkill_mid_batch_loses_nothing(tmp_path: Path, server_store: dict[str, str]) -> None:
    """Messages are acknowledged only after their batch succeeded: the server killed
    while the function holds a batch leaves it with RabbitMQ, and the restarted server's
    mapping delivers it (and everything after it)."""
    queue = f"altus-test-{uuid.uuid4().hex[:8]}"
    rabbit_queue(queue)
    server = start_server(tmp_path, extra_env=server_store)
    try:
        lam = lambda_client(server.url)
        sink = Sink(server, f"kill-{queue}")
        # The first batch ("m0" is "bTA=" in base64) is held for 20 s, unless it is
        # delivered again: the kill lands while it is held.
        create_function(
            lam,
            "slow",
            FORWARDER,
            Timeout=120,
            Environment={"Variables": {"OUT": sink.url, "HOLD": "20", "HOLD_IF": "bTA="}},
        )
        lam.create_event_source_mapping(
            FunctionName="slow",
            SelfManagedEventSource={"Endpoints": {"RABBITMQ_URL": [RABBITMQ_URL]}},
            Queues=[queue],
            BatchSize=5,
        )
        bodies = [f"m{i}".encode() for i in range(20)]
        rabbit_publish(queue, *bodies)

        def data(events: list[dict[str, Any]]) -> list[bytes]:
            return [
                base64.b64decode(r["data"])
                for e in events
                for r in e["rmqMessagesByQueue"][f"{queue}::/"]
            ]

        before = data(sink.events(lambda got: len(got) >= 1))  # a batch is being worked on
        server.stop(signal.SIGKILL)
        server = start_server(tmp_path, extra_env=server_store)
        sink = Sink(server, f"kill-{queue}")
        after = data(sink.events(lambda got: set(bodies) <= set(before + data(got)), timeout=120))
        assert set(bodies) <= set(before + after)
        # The batch in hand at the kill came again, marked redelivered, first.
        assert after[: len(before)] == before
        drained(queue)
    finally:
        server.stop()
        rabbit_delete(queue)


# --- Redis Streams ---------------------------------------------------------------------------


def redis_client() -> Any:
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.RedisError as error:
        unavailable("Redis on 127.0.0.1:6379", str(error))
    return client


def test_redis_stream_entries_reach_the_function_and_survive_a_dropped_connection(
    server: Server,
) -> None:
    client = redis_client()
    key = f"altus-test-{uuid.uuid4().hex[:8]}"
    try:
        lam = lambda_client(server.url)
        sink = Sink(server, f"redis-{key}")
        forwarder(lam, f"redis-{key}", sink)
        client.xadd(key, {"n": "0"})  # before the mapping: TRIM_HORIZON reads it
        mapping = lam.create_event_source_mapping(
            FunctionName=f"redis-{key}",
            SelfManagedEventSource={"Endpoints": {"REDIS_URL": [REDIS_URL]}},
            Topics=[key],
            StartingPosition="TRIM_HORIZON",
        )["UUID"]
        wait_state(lam, mapping)

        def fields(events: list[dict[str, Any]]) -> list[str]:
            return [r["redis"]["fields"]["n"] for e in events for r in e["Records"]]

        got = sink.events(lambda events: "0" in fields(events))
        record = got[0]["Records"][0]
        assert record["eventSource"] == "altus:redis"
        assert record["awsRegion"] == "us-east-1"
        # The broker drops the mapping's connection: it reconnects and goes on.
        ours = [c for c in client.client_list() if c.get("name") == f"altus-{mapping}"]
        assert ours, "the mapping's connection is not named after it"
        for connection in ours:
            client.client_kill_filter(_id=connection["id"])
        for n in range(1, 4):
            client.xadd(key, {"n": str(n)})
        later = fields(sink.events(lambda events: "3" in fields(events)))
        assert later[-3:] == ["1", "2", "3"]
        lam.delete_event_source_mapping(UUID=mapping)
        wait_gone(lam, mapping)
        assert not any(g["name"].decode().startswith("altus-") for g in client.xinfo_groups(key))
    finally:
        client.delete(key)


# --- PostgreSQL changes ----------------------------------------------------------------------


def test_postgresql_changes_arrive_in_commit_order_and_the_slot_goes_with_the_mapping(
    server: Server,
) -> None:
    import psycopg

    try:
        conn = psycopg.connect(POSTGRES_URL, autocommit=True, connect_timeout=5)
    except psycopg.Error as error:
        unavailable("PostgreSQL on 127.0.0.1:5432", str(error))
    if conn.execute("SHOW wal_level").fetchone() != ("logical",):
        unavailable("PostgreSQL with wal_level = logical", "run .ci/services")
    table = f"altus_test_{uuid.uuid4().hex[:8]}"
    conn.execute(f"CREATE TABLE public.{table} (id integer PRIMARY KEY, name text)")
    lam = lambda_client(server.url)
    mapping = None
    try:
        sink = Sink(server, f"pg-{table}")
        forwarder(lam, f"pg-{table}", sink)
        mapping = lam.create_event_source_mapping(
            FunctionName=f"pg-{table}",
            SelfManagedEventSource={"Endpoints": {"POSTGRES_URL": [POSTGRES_URL]}},
            Topics=[table],
            SelfManagedKafkaEventSourceConfig={"ConsumerGroupId": table},
        )["UUID"]
        wait_state(lam, mapping)
        # The slot is made by the poller once it connects: changes after it count.
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            slot = conn.execute(
                "SELECT 1 FROM pg_replication_slots WHERE slot_name = %s", (table,)
            ).fetchone()
            if slot:
                break
            time.sleep(0.1)
        with conn.transaction():
            conn.execute(f"INSERT INTO {table} VALUES (1, 'a')")
            conn.execute(f"UPDATE {table} SET name = 'b' WHERE id = 1")
        conn.execute(f"DELETE FROM {table} WHERE id = 1")

        def records(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
            return [r for e in events for r in e["Records"]]

        got = records(sink.events(lambda events: len(records(events)) >= 3))
        assert [r["eventName"] for r in got] == ["INSERT", "MODIFY", "REMOVE"]
        assert got[0]["dynamodb"]["Keys"] == {"id": {"N": "1"}}
        assert got[0]["dynamodb"]["NewImage"] == {"id": {"N": "1"}, "name": {"S": "a"}}
        assert got[1]["dynamodb"]["NewImage"]["name"] == {"S": "b"}
        assert got[2]["dynamodb"]["OldImage"] == {"id": {"N": "1"}}
        numbers = [int(r["dynamodb"]["SequenceNumber"]) for r in got]
        assert numbers == sorted(numbers)
        lam.delete_event_source_mapping(UUID=mapping)
        wait_gone(lam, mapping)
        mapping = None
        left = conn.execute(
            "SELECT count(*) FROM pg_replication_slots WHERE slot_name = %s", (table,)
        ).fetchone()
        assert left == (0,)
    finally:
        if mapping is not None:
            lam.delete_event_source_mapping(UUID=mapping)
            wait_gone(lam, mapping)
        conn.execute(f"DROP TABLE IF EXISTS public.{table}")
        for (name,) in conn.execute(
            "SELECT slot_name FROM pg_replication_slots WHERE slot_name = %s", (table,)
        ).fetchall():
            conn.execute("SELECT pg_drop_replication_slot(%s)", (name,))
        conn.execute(f"DROP PUBLICATION IF EXISTS {table}")
        conn.close()


# --- a broker restarted mid-stream -----------------------------------------------------------


def test_a_nats_server_restarted_mid_stream_loses_nothing(server: Server, tmp_path: Path) -> None:
    """The broker goes away with the mapping reading it and comes back on its address:
    the mapping reconnects to its durable consumer and goes on where it was."""
    import nats

    nats_server = NatsServer(tmp_path)
    nats_server.start()
    subject = f"restart-{uuid.uuid4().hex[:8]}"

    async def on_nats(work: Any) -> Any:
        client = await nats.connect(nats_server.url, connect_timeout=5)
        try:
            return await work(client.jetstream())
        finally:
            await client.close()

    async def make_stream(js: Any) -> None:
        await js.add_stream(name=subject, subjects=[f"{subject}.>"])

    def publish(*numbers: int) -> None:
        async def put(js: Any) -> None:
            for n in numbers:
                await js.publish(f"{subject}.n", str(n).encode())

        asyncio.run(on_nats(put))

    lam = lambda_client(server.url)
    mapping = None
    try:
        asyncio.run(on_nats(make_stream))
        sink = Sink(server, f"nats-{subject}")
        forwarder(lam, f"nats-{subject}", sink)
        publish(0, 1, 2)
        mapping = lam.create_event_source_mapping(
            FunctionName=f"nats-{subject}",
            SelfManagedEventSource={"Endpoints": {"NATS_URL": [nats_server.url]}},
            Topics=[f"{subject}.>"],
            StartingPosition="TRIM_HORIZON",
        )["UUID"]
        wait_state(lam, mapping)

        def numbers(events: list[dict[str, Any]]) -> set[int]:
            return {int(base64.b64decode(r["nats"]["data"])) for e in events for r in e["Records"]}

        seen = numbers(sink.events(lambda got: {0, 1, 2} <= numbers(got)))

        async def settled(js: Any) -> bool:
            info = await js.consumer_info(subject, f"altus-{mapping}")
            return bool(info.num_ack_pending == 0 and info.num_pending == 0)

        deadline = time.monotonic() + 30
        while not asyncio.run(on_nats(settled)):
            assert time.monotonic() < deadline, "the first messages were never acknowledged"
            time.sleep(0.1)
        nats_server.stop()
        time.sleep(1)  # the mapping finds its broker gone
        nats_server.start()
        publish(3, 4, 5)
        seen |= numbers(sink.events(lambda got: {3, 4, 5} <= numbers(got), timeout=90))
        assert seen == {0, 1, 2, 3, 4, 5}
        lam.delete_event_source_mapping(UUID=mapping)
        wait_gone(lam, mapping)
        mapping = None
    finally:
        if mapping is not None:
            lam.delete_event_source_mapping(UUID=mapping)
            wait_gone(lam, mapping)
        nats_server.stop()


# --- MQTT ------------------------------------------------------------------------------------


def test_mqtt_messages_reach_the_function(server: Server) -> None:
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    topic = f"altus-test-{uuid.uuid4().hex[:8]}"
    publisher = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    try:
        publisher.connect("127.0.0.1", 1883)
    except OSError as error:
        unavailable("Mosquitto on 127.0.0.1:1883", str(error))
    publisher.loop_start()
    lam = lambda_client(server.url)
    mapping = None
    try:
        sink = Sink(server, f"mqtt-{topic}")
        forwarder(lam, f"mqtt-{topic}", sink)
        mapping = lam.create_event_source_mapping(
            FunctionName=f"mqtt-{topic}",
            SelfManagedEventSource={"Endpoints": {"MQTT_URL": ["mqtt://127.0.0.1:1883"]}},
            Topics=[f"{topic}/#"],
        )["UUID"]
        wait_state(lam, mapping)

        def payloads(events: list[dict[str, Any]]) -> list[str]:
            return [
                base64.b64decode(r["mqtt"]["payload"]).decode()
                for e in events
                for r in e["Records"]
            ]

        # The session subscribes once its consumer connects: knock until it answers.
        deadline = time.monotonic() + 30
        while not payloads(sink.take()):
            assert time.monotonic() < deadline, "the mapping never subscribed"
            publisher.publish(f"{topic}/knock", b"knock", qos=1).wait_for_publish(5)
        for n in range(3):
            publisher.publish(f"{topic}/a", f"m{n}".encode(), qos=1).wait_for_publish(5)
        got = sink.events(lambda events: "m2" in payloads(events))
        records = [r for e in got for r in e["Records"]]
        data = [p for p in payloads(got) if p.startswith("m")]
        assert data == ["m0", "m1", "m2"]
        assert records[-1]["eventSource"] == "altus:mqtt"
        assert records[-1]["mqtt"]["topic"] == f"{topic}/a"
        lam.delete_event_source_mapping(UUID=mapping)
        wait_gone(lam, mapping)
        mapping = None
    finally:
        if mapping is not None:
            lam.delete_event_source_mapping(UUID=mapping)
            wait_gone(lam, mapping)
        publisher.loop_stop()
        publisher.disconnect()
