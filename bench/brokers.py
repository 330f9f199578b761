"""Broker mappings on a real ``altus up``: messages per second through each broker source
into a no-op function at BatchSize 100, next to the broker's own consume rate with the
client library Altus uses, in the same run on the same number of messages.

    .venv/bin/python bench/brokers.py [--messages 5000] [--rounds 3]
        [--sources rabbitmq,redis,nats,mqtt,postgres]

One ``altus up`` (the process sandbox) and one no-op Python function (MemorySize 1769,
invoked once first so that its environment is warm) serve every source; the brokers are
the machine's, on loopback, and what is made on them has a unique ``altus-bench`` name
and is removed after, failure or not. The bodies are JSON objects of about 70 bytes.
Each round measures every source, the client library just before Altus; the figures
are the medians of the rounds, and the ratio is taken within each round.

Through Altus. A mapping (BatchSize 100, the default batching window, TRIM_HORIZON where the
source takes a StartingPosition) is timed from the call that starts it until its
function has been sent every message (``altus_event_source_mapping_records_invoked`` on
``GET /metrics``, scraped every 20 ms, every 2 ms for the last tenth), no invocation is
running, and the broker says the messages were acknowledged:

- RabbitMQ, Redis Streams, NATS JetStream: the messages are there before the mapping is
  made (a queue; a stream read from TRIM_HORIZON), and the time runs from
  CreateEventSourceMapping. Done: the queue holds no ready message (and, once the
  mapping is deleted, none came back unacknowledged); the consumer group has no pending
  entry and was delivered the stream's last; the durable consumer has none pending and
  none awaiting its ack.
- PostgreSQL: the slot begins when the mapping's consumer makes it, and stays while the
  mapping is disabled. So the mapping is made, disabled once its slot exists, the rows
  inserted (one INSERT a transaction), and the time runs from the call that enables it.
  Done: the slot's ``confirmed_flush_lsn`` is past the last insert.
- MQTT: a subscription sees only what is published after it, and Mosquitto keeps at
  most 1,000 QoS 1 messages for a session beyond those in flight (its default
  ``max_queued_messages``), dropping the rest without a word. So the mapping is made;
  its session is known to be subscribed once its function got a retained message; then
  the messages are published (QoS 1) no more than 900 ahead of what the function was
  sent, and the time runs from the first publish. The broker does not show the
  consumer's PUBACKs: done is the counter and no invocation running.

The client library, on as many messages of its own (a queue, a table, a group or a
durable consumer of its own on the same stream), timed from its connect to the same
check:

- RabbitMQ: aio-pika, prefetch 100, each 100th message acknowledged with ``multiple``.
- Redis Streams: redis-py, ``XREADGROUP COUNT 100`` then ``XACK`` of what it returned.
- NATS JetStream: nats-py, a durable pull consumer, ``fetch(100)`` then ``ack`` each.
- MQTT: aiomqtt in a process of its own, a QoS 1 subscription, the messages published
  as for Altus (no more than 900 ahead of what it received); done when it has them all.
- PostgreSQL: psycopg, ``pg_logical_slot_get_binary_changes`` on a fresh pgoutput slot,
  300 rows a call (100 one-row transactions: Altus's peek for a batch of 100).

Altus / library is the rate through Altus over the library's: the share of the broker's
own pace a mapping keeps, the function's invokes included. MQTT's two are timed from the
first publish, so neither is faster than this script publishes: there a ratio near 1
says that the mapping keeps pace with the publisher, not where it would stop.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing
import os
import statistics
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import Http, altus_process, create_function
from mappings import Metrics

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
import aio_pika
import aiomqtt
import boto3
import nats
import nats.js.errors
import psycopg
import redis.asyncio as aioredis
from botocore.config import Config
from nats.js import api
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from altus.packaging import zip_files

RABBITMQ_URL = "amqp://guest:guest@127.0.0.1:5672/"
REDIS_URL = "redis://127.0.0.1:6379/0"
NATS_URL = "nats://127.0.0.1:4222"
MQTT_HOST, MQTT_PORT = "127.0.0.1", 1883
MQTT_URL = f"mqtt://{MQTT_HOST}:{MQTT_PORT}"
POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"

FUNCTION = "noop"
NOOP = {"app.py": "def handler(event, context):\n    return None\n"}
BATCH = 100
#: How often the end of a drain is looked for (GET /metrics costs the server under a
#: millisecond); a tenth of it once 90% of the messages are in.
POLL = 0.02
#: No wait in this script is longer (a drain, a state change, a slot).
TIMEOUT = 120.0
#: How far MQTT publishing may run ahead of the consumer: Mosquitto holds 1,000 queued
#: beyond the 100 in flight, and a message sent to the function is acknowledged up to a
#: batch later.
MQTT_WINDOW = 900


def body(n: int) -> bytes:
    return json.dumps({"id": n, "kind": "order.created", "total": 12.5, "currency": "EUR"}).encode()


def unique(separator: str = "-") -> str:
    return f"altus{separator}bench{separator}{uuid.uuid4().hex[:8]}"


async def until(what: str, check: Callable[[], Awaitable[bool]], pause: float = 0.01) -> None:
    deadline = time.monotonic() + TIMEOUT
    while not await check():
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what}: not within {TIMEOUT:g} s")
        await asyncio.sleep(pause)


@dataclass
class Result:
    library: float
    altus: float
    #: The mapping's counters at the end (``batches``, ``records_invoked`` ...).
    counters: dict[str, float]


class Altus:
    """The server's Lambda API and metrics, and the mappings made on it."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.lam = boto3.client(
            "lambda",
            endpoint_url=url,
            region_name="us-east-1",
            aws_access_key_id="bench",
            aws_secret_access_key="bench",
            config=Config(retries={"total_max_attempts": 1}),
        )

    @contextlib.asynccontextmanager
    async def mapping(
        self, leftovers: Callable[[str], Awaitable[None]] | None = None, **arguments: Any
    ) -> AsyncIterator[str]:
        """A mapping of the function (BatchSize 100), deleted after; ``leftovers(uuid)``
        removes what it kept on its broker should the deletion fail."""
        made = self.lam.create_event_source_mapping(
            FunctionName=FUNCTION, BatchSize=BATCH, **arguments
        )
        mapping: str = made["UUID"]
        try:
            yield mapping
        finally:
            try:
                self.lam.delete_event_source_mapping(UUID=mapping)
                await until(f"mapping {mapping} deleted", lambda: self._gone(mapping), 0.05)
            except Exception:
                if leftovers is not None:
                    await leftovers(mapping)
                raise

    async def _gone(self, mapping: str) -> bool:
        try:
            self.lam.get_event_source_mapping(UUID=mapping)
        except self.lam.exceptions.ResourceNotFoundException:
            return True
        return False

    async def state(self, mapping: str, state: str) -> None:
        async def reached() -> bool:
            found: str = self.lam.get_event_source_mapping(UUID=mapping)["State"]
            return found == state

        await until(f"mapping {mapping} {state}", reached, 0.05)

    def describe(self, mapping: str) -> str:
        found = self.lam.get_event_source_mapping(UUID=mapping)
        return (
            f"State {found.get('State')}, LastProcessingResult "
            f"{found.get('LastProcessingResult')!r}, StateTransitionReason "
            f"{found.get('StateTransitionReason')!r}"
        )

    async def drained(
        self, mapping: str, target: int, acknowledged: Callable[[], Awaitable[bool]] | None
    ) -> tuple[float, dict[str, float]]:
        """Wait until the mapping has sent ``target`` messages, no invocation runs and
        ``acknowledged()``: the ``perf_counter`` then, and the mapping's counters."""
        metrics = Metrics(self.url)  # a new connection: the server closes idle ones
        deadline = time.monotonic() + TIMEOUT
        seen: dict[str, float] = {}
        while time.monotonic() < deadline:
            seen = metrics.read(mapping, FUNCTION)
            invoked = seen.get("records_invoked", 0.0)
            if (
                invoked >= target
                and not seen.get("in_flight")
                and (acknowledged is None or await acknowledged())
            ):
                return time.perf_counter(), seen
            # Finer near the end, where the interval would be the error.
            await asyncio.sleep(POLL if invoked < 0.9 * target else POLL / 10)
        raise RuntimeError(
            f"mapping {mapping} sent {seen.get('records_invoked', 0):.0f} of {target} "
            f"messages in {TIMEOUT:g} s ({self.describe(mapping)})"
        )


# --- RabbitMQ ---------------------------------------------------------------------------------


async def rabbitmq(altus: Altus, count: int) -> Result:
    ours, theirs = unique(), unique()
    connection = await aio_pika.connect(RABBITMQ_URL)
    async with connection:
        channel = await connection.channel(publisher_confirms=False)

        async def counts(queue: str) -> tuple[int, int]:
            """Ready messages and consumers."""
            declared = await channel.declare_queue(queue, passive=True)
            result = declared.declaration_result
            return result.message_count or 0, result.consumer_count or 0

        try:
            for queue in (ours, theirs):
                await channel.declare_queue(queue)
                for n in range(count):
                    await channel.default_exchange.publish(
                        aio_pika.Message(body(n), content_type="application/json"),
                        routing_key=queue,
                    )

                async def filled(queue: str = queue) -> bool:
                    return (await counts(queue))[0] == count

                await until(f"queue {queue} filled", filled)

            library = await rabbitmq_library(theirs, count)

            async def empty() -> bool:
                return (await counts(ours))[0] == 0

            started = time.perf_counter()
            async with altus.mapping(
                SelfManagedEventSource={"Endpoints": {"RABBITMQ_URL": [RABBITMQ_URL]}},
                Queues=[ours],
            ) as mapping:
                finished, counters = await altus.drained(mapping, count, empty)

            # A closed consumer's unacknowledged messages go back to the queue.
            async def closed() -> bool:
                return (await counts(ours))[1] == 0

            await until(f"queue {ours} without consumers", closed)
            left = (await counts(ours))[0]
            if left:
                raise RuntimeError(f"{left} messages came back unacknowledged to {ours}")
            return Result(library, finished - started, counters)
        finally:
            for queue in (ours, theirs):
                await channel.queue_delete(queue)


async def rabbitmq_library(queue: str, count: int) -> float:
    started = time.perf_counter()
    connection = await aio_pika.connect(RABBITMQ_URL)
    async with connection:
        channel = await connection.channel()
        await channel.set_qos(prefetch_count=BATCH)
        declared = await channel.declare_queue(queue, passive=True)
        received = 0
        async with asyncio.timeout(TIMEOUT), declared.iterator() as messages:
            async for message in messages:
                received += 1
                if received % BATCH == 0 or received == count:
                    await message.ack(multiple=True)
                if received == count:
                    break
        # On the channel that acknowledged: its answer comes after the acks were taken.
        left = (await channel.declare_queue(queue, passive=True)).declaration_result
        if left.message_count:
            raise RuntimeError(f"{left.message_count} messages left in {queue}")
    return time.perf_counter() - started


# --- Redis Streams ----------------------------------------------------------------------------


async def redis(altus: Altus, count: int) -> Result:
    key = unique()
    client = aioredis.Redis.from_url(REDIS_URL, decode_responses=True)
    try:
        last = ""
        for start in range(0, count, 500):
            async with client.pipeline(transaction=False) as pipe:
                for n in range(start, min(start + 500, count)):
                    pipe.xadd(key, {"body": body(n).decode()})
                last = (await pipe.execute())[-1]

        async def acknowledged(group: str) -> bool:
            for info in await client.xinfo_groups(key):
                if info["name"] == group:
                    return bool(info["pending"] == 0 and info["last-delivered-id"] == last)
            return False

        library = await redis_library(key, count, acknowledged)
        started = time.perf_counter()
        async with altus.mapping(
            SelfManagedEventSource={"Endpoints": {"REDIS_URL": [REDIS_URL]}},
            Topics=[key],
            StartingPosition="TRIM_HORIZON",
        ) as mapping:
            finished, counters = await altus.drained(
                mapping, count, lambda: acknowledged(f"altus-{mapping}")
            )
        return Result(library, finished - started, counters)
    finally:
        await client.delete(key)
        await client.aclose()


async def redis_library(
    key: str, count: int, acknowledged: Callable[[str], Awaitable[bool]]
) -> float:
    group = unique()
    started = time.perf_counter()
    client = aioredis.Redis.from_url(REDIS_URL)
    try:
        await client.xgroup_create(key, group, "0")
        done = 0
        while done < count:
            if time.perf_counter() - started > TIMEOUT:
                raise RuntimeError(f"redis-py read {done} of {count} in {TIMEOUT:g} s")
            reply: Any = await client.xreadgroup(
                group, "bench", {key: ">"}, count=BATCH, block=1000
            )
            ids = [entry_id for _, entries in reply or [] for entry_id, _ in entries]
            if ids:
                await client.xack(key, group, *ids)
                done += len(ids)
        await until(f"group {group} acknowledged", lambda: acknowledged(group), 0.001)
        return time.perf_counter() - started
    finally:
        await client.aclose()


# --- NATS JetStream ---------------------------------------------------------------------------


async def nats_jetstream(altus: Altus, count: int) -> Result:
    stream, subject = unique("_").upper(), f"{unique()}.orders"
    nc = await nats.connect(NATS_URL)
    js = nc.jetstream()
    try:
        await js.add_stream(name=stream, subjects=[subject])
        for n in range(count):
            await nc.publish(subject, body(n))
        await nc.flush()

        async def stored() -> bool:
            return (await js.stream_info(stream)).state.messages == count

        await until(f"stream {stream} filled", stored)

        async def acknowledged(consumer: str) -> bool:
            info = await js.consumer_info(stream, consumer)
            return bool(info.num_pending == 0 and info.num_ack_pending == 0)

        library = await nats_library(stream, subject, count, acknowledged)
        started = time.perf_counter()
        async with altus.mapping(
            SelfManagedEventSource={"Endpoints": {"NATS_URL": [NATS_URL]}},
            Topics=[subject],
            StartingPosition="TRIM_HORIZON",
        ) as mapping:
            finished, counters = await altus.drained(
                mapping, count, lambda: acknowledged(f"altus-{mapping}")
            )
        return Result(library, finished - started, counters)
    finally:
        with contextlib.suppress(nats.js.errors.NotFoundError):
            await js.delete_stream(stream)
        await nc.close()


async def nats_library(
    stream: str, subject: str, count: int, acknowledged: Callable[[str], Awaitable[bool]]
) -> float:
    consumer = unique()
    started = time.perf_counter()
    nc = await nats.connect(NATS_URL)
    try:
        js = nc.jetstream()
        pull = await js.pull_subscribe(
            subject,
            durable=consumer,
            stream=stream,
            config=api.ConsumerConfig(
                deliver_policy=api.DeliverPolicy.ALL, ack_policy=api.AckPolicy.EXPLICIT
            ),
        )
        done = 0
        while done < count:
            if time.perf_counter() - started > TIMEOUT:
                raise RuntimeError(f"nats-py read {done} of {count} in {TIMEOUT:g} s")
            with contextlib.suppress(TimeoutError):
                for msg in await pull.fetch(BATCH, timeout=1):
                    await msg.ack()
                    done += 1
        await nc.flush()
        await until(f"consumer {consumer} acknowledged", lambda: acknowledged(consumer), 0.001)
        elapsed = time.perf_counter() - started
        await js.delete_consumer(stream, consumer)
        return elapsed
    finally:
        await nc.close()


# --- MQTT -------------------------------------------------------------------------------------


def mqtt_client(**options: Any) -> aiomqtt.Client:
    return aiomqtt.Client(
        MQTT_HOST, MQTT_PORT, protocol=aiomqtt.ProtocolVersion.V5, timeout=10, **options
    )


async def publish_paced(
    client: aiomqtt.Client, topic: str, count: int, consumed: Callable[[], Awaitable[float]]
) -> None:
    """``count`` messages at QoS 1, up to 100 awaiting their PUBACK at a time, never more
    than ``MQTT_WINDOW`` ahead of ``consumed()``: beyond that Mosquitto would drop them.

    A steady stream rather than rounds of 100: a publisher that waits for a round's last
    PUBACK with nothing to send stalls on TCP's delayed ACK (Mosquitto sends without
    TCP_NODELAY by default), about 40 ms a round."""
    slots = asyncio.Semaphore(BATCH)

    async def publish(n: int) -> None:
        try:
            await client.publish(topic, body(n), qos=1)
        finally:
            slots.release()

    deadline = time.monotonic() + TIMEOUT
    done = 0.0  # what ``consumed()`` said last: it only grows
    publishing: list[asyncio.Task[None]] = []
    try:
        for n in range(count):
            await slots.acquire()
            while n - done >= MQTT_WINDOW:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"published {n} of {count} in {TIMEOUT:g} s")
                done = await consumed()
                if n - done >= MQTT_WINDOW:
                    await asyncio.sleep(0.002)
            publishing.append(asyncio.create_task(publish(n)))
        await asyncio.gather(*publishing)
    finally:
        for task in publishing:
            task.cancel()
        await asyncio.gather(*publishing, return_exceptions=True)


async def mqtt(altus: Altus, count: int) -> Result:
    root = f"altus-bench/{uuid.uuid4().hex[:8]}"
    warmup = f"{root}/altus/warmup"
    async with mqtt_client(max_inflight_messages=BATCH) as publisher:
        publisher.pending_calls_threshold = BATCH  # 100 publishes at a time, on purpose
        library = await mqtt_library(publisher, f"{root}/library", count)
        # Sent to a subscription when it is made: it tells that the session subscribed.
        await publisher.publish(warmup, b"{}", qos=1, retain=True)
        try:
            async with altus.mapping(
                mqtt_forget,
                SelfManagedEventSource={"Endpoints": {"MQTT_URL": [MQTT_URL]}},
                Topics=[f"{root}/altus/#"],
            ) as mapping:
                await altus.drained(mapping, 1, None)
                metrics = Metrics(altus.url)
                started = time.perf_counter()

                async def consumed() -> float:
                    return metrics.read(mapping, FUNCTION).get("records_invoked", 0.0) - 1

                await publish_paced(publisher, f"{root}/altus/orders", count, consumed)
                finished, counters = await altus.drained(mapping, count + 1, None)
                counters["records_invoked"] -= 1
                counters["batches"] -= 1
        finally:
            await publisher.publish(warmup, b"", qos=1, retain=True)
    return Result(library, finished - started, counters)


async def mqtt_library(publisher: aiomqtt.Client, topic: str, count: int) -> float:
    """The subscriber runs in a process of its own, as Altus's consumer does: in this
    one it would take the publisher's time."""
    spawn = multiprocessing.get_context("spawn")
    received = spawn.RawValue("q", 0)
    ready = spawn.Event()
    subscriber = spawn.Process(target=mqtt_subscriber, args=(topic, count, received, ready))
    subscriber.start()
    try:
        if not ready.wait(TIMEOUT):
            raise RuntimeError(f"the subscriber to {topic} did not subscribe")
        started = time.perf_counter()

        async def consumed() -> float:
            return float(received.value)

        await publish_paced(publisher, topic, count, consumed)

        async def all_received() -> bool:
            return bool(received.value >= count)

        await until(f"{count} messages received from {topic}", all_received, 0.001)
        return time.perf_counter() - started
    finally:
        # Done, it has returned; otherwise it waits for what will not come.
        subscriber.join(5)
        if subscriber.is_alive():
            subscriber.kill()


def mqtt_subscriber(topic: str, count: int, received: Any, ready: Any) -> None:
    """Subscribe to ``topic`` at QoS 1 (paho sends each PUBACK as the message arrives),
    say so, and count what arrives until ``count`` did."""

    async def run() -> None:
        async with mqtt_client(clean_start=True) as client:
            await client.subscribe(topic, qos=1)
            ready.set()
            async with asyncio.timeout(TIMEOUT):
                async for _ in client.messages:
                    received.value += 1
                    if received.value >= count:
                        return

    asyncio.run(run())


async def mqtt_forget(mapping: str) -> None:
    """End the mapping's session (what its deletion does): Clean Start, and a Session
    Expiry Interval of 0 for the empty session that replaces it."""
    properties = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
    properties.SessionExpiryInterval = 0
    async with mqtt_client(identifier=f"altus-{mapping}", clean_start=True, properties=properties):
        pass


# --- PostgreSQL changes -----------------------------------------------------------------------


async def fill_table(conn: psycopg.AsyncConnection[Any], table: str, count: int) -> str:
    """``count`` rows, one INSERT a transaction: the LSN just before the last commit."""
    insert = f"INSERT INTO {table} (body) VALUES (%s)"
    # The commits need not wait for the disk: the changes are decoded all the same.
    await conn.execute("SET synchronous_commit = off")
    for n in range(count - 1):
        await conn.execute(insert, (body(n).decode(),))
    async with conn.transaction():
        await conn.execute(insert, (body(count - 1).decode(),))
        cursor = await conn.execute("SELECT pg_current_wal_insert_lsn()::text")
        row = await cursor.fetchone()
    assert row is not None
    return str(row[0])


async def slot_past(conn: psycopg.AsyncConnection[Any], slot: str, lsn: str) -> bool:
    cursor = await conn.execute(
        "SELECT confirmed_flush_lsn > %s::pg_lsn FROM pg_replication_slots WHERE slot_name = %s",
        (lsn, slot),
    )
    row = await cursor.fetchone()
    return bool(row and row[0])


async def drop_slot(conn: psycopg.AsyncConnection[Any], name: str) -> None:
    """The slot and publication ``name``, where they are left."""
    await conn.execute(
        "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = %s",
        (name,),
    )
    await conn.execute(f"DROP PUBLICATION IF EXISTS {name}")


async def postgres(altus: Altus, count: int) -> Result:
    ours, theirs = unique("_"), unique("_")
    conn = await psycopg.AsyncConnection.connect(POSTGRES_URL, autocommit=True)
    try:
        for table in (ours, theirs):
            await conn.execute(
                f"CREATE TABLE {table} (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
                " body jsonb NOT NULL)"
            )
        library = await postgres_library(conn, theirs, count)

        async def slot_made() -> bool:
            cursor = await conn.execute(
                "SELECT 1 FROM pg_replication_slots WHERE slot_name = %s", (ours,)
            )
            return await cursor.fetchone() is not None

        async def leftovers(_mapping: str) -> None:
            await drop_slot(conn, ours)

        async with altus.mapping(
            leftovers,
            SelfManagedEventSource={"Endpoints": {"POSTGRES_URL": [POSTGRES_URL]}},
            Topics=[f"public.{ours}"],
            SelfManagedKafkaEventSourceConfig={"ConsumerGroupId": ours},
        ) as mapping:
            await until(f"slot {ours} made", slot_made, 0.05)
            altus.lam.update_event_source_mapping(UUID=mapping, Enabled=False)
            await altus.state(mapping, "Disabled")
            last = await fill_table(conn, ours, count)
            started = time.perf_counter()
            altus.lam.update_event_source_mapping(UUID=mapping, Enabled=True)
            finished, counters = await altus.drained(
                mapping, count, lambda: slot_past(conn, ours, last)
            )
        if await slot_made():
            raise RuntimeError(f"slot {ours} was left after its mapping was deleted")
        return Result(library, finished - started, counters)
    finally:
        await drop_slot(conn, ours)
        for table in (ours, theirs):
            await conn.execute(f"DROP TABLE IF EXISTS {table}")
        await conn.close()


async def postgres_library(conn: psycopg.AsyncConnection[Any], table: str, count: int) -> float:
    slot = table
    try:
        await conn.execute(f"CREATE PUBLICATION {slot} FOR TABLE {table}")
        await conn.execute("SELECT pg_create_logical_replication_slot(%s, 'pgoutput')", (slot,))
        last = await fill_table(conn, table, count)
        started = time.perf_counter()
        reader = await psycopg.AsyncConnection.connect(POSTGRES_URL, autocommit=True)
        try:
            inserts = 0
            while inserts < count:
                if time.perf_counter() - started > TIMEOUT:
                    raise RuntimeError(f"psycopg read {inserts} of {count} in {TIMEOUT:g} s")
                cursor = await reader.execute(
                    "SELECT data FROM pg_logical_slot_get_binary_changes(%s, NULL, %s,"
                    " 'proto_version', '1', 'publication_names', %s)",
                    (slot, BATCH * 3, slot),
                )
                # A pgoutput message's first byte is its kind: 'I', an INSERT.
                inserts += sum(1 for (data,) in await cursor.fetchall() if data[:1] == b"I")
            await until(
                f"slot {slot} past the last insert", lambda: slot_past(reader, slot, last), 0.001
            )
        finally:
            await reader.close()
        return time.perf_counter() - started
    finally:
        await drop_slot(conn, slot)


SOURCES: dict[str, Callable[[Altus, int], Coroutine[Any, Any, Result]]] = {
    "rabbitmq": rabbitmq,
    "redis": redis,
    "nats": nats_jetstream,
    "mqtt": mqtt,
    "postgres": postgres,
}
NAMES = {
    "rabbitmq": "RabbitMQ",
    "redis": "Redis Streams",
    "nats": "NATS JetStream",
    "mqtt": "MQTT",
    "postgres": "PostgreSQL changes",
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--sources", default=",".join(SOURCES))
    args = parser.parse_args()
    chosen = [name.strip() for name in args.sources.split(",") if name.strip()]
    unknown = [name for name in chosen if name not in SOURCES]
    if unknown:
        parser.error(f"unknown sources {unknown}: choose from {', '.join(SOURCES)}")
    count: int = args.messages
    results: dict[str, list[Result]] = {name: [] for name in chosen}
    failures: dict[str, str] = {}
    with altus_process({"ALTUS_SANDBOX": "process"}) as (url, _):
        create_function(Http(url), FUNCTION, zip_files(NOOP), MemorySize=1769)
        status, _, _ = Http(url).call("POST", f"/2015-03-31/functions/{FUNCTION}/invocations")
        if status != 200:
            raise RuntimeError(f"the warm-up invoke answered {status}")
        altus = Altus(url)
        for _ in range(args.rounds):
            for name in chosen:
                if name in failures:
                    continue
                try:
                    results[name].append(asyncio.run(SOURCES[name](altus, count)))
                except Exception as error:
                    failures[name] = f"{type(error).__name__}: {error}"
    python = os.path.relpath(sys.executable) if sys.executable.startswith(os.getcwd()) else "python"
    print(f"command: {' '.join([python, *sys.argv])}")
    print(
        f"machine: nproc {os.cpu_count()}; altus up with the process sandbox; "
        f"medians of {args.rounds} rounds (the ratio's lowest-highest in brackets)"
    )
    print()
    print("| source | messages | Altus msg/s | client library msg/s | Altus / library |")
    print("|---|---:|---:|---:|---:|")
    notes = []
    for name in chosen:
        rounds = results[name]
        if name in failures:
            notes.append(f"- {NAMES[name]}: failed: {failures[name]}")
        if not rounds:
            print(f"| {NAMES[name]} | {count} | — | — | — |")
            continue
        through = statistics.median(count / r.altus for r in rounds)
        library = statistics.median(count / r.library for r in rounds)
        ratios = sorted(r.library / r.altus for r in rounds)
        print(
            f"| {NAMES[name]} | {count} | {through:.0f} | {library:.0f} | "
            f"{statistics.median(ratios):.2f} ({ratios[0]:.2f}-{ratios[-1]:.2f}) |"
        )
        batches = sum(r.counters.get("batches", 0.0) for r in rounds)
        invoked = sum(r.counters.get("records_invoked", 0.0) for r in rounds)
        notes.append(
            f"- {NAMES[name]}: {statistics.median(r.altus for r in rounds):.2f} s through "
            f"Altus, {statistics.median(r.library for r in rounds):.2f} s with the library; "
            f"batches of {invoked / max(batches, 1):.1f} messages on average, "
            f"{invoked - count * len(rounds):.0f} sent twice"
        )
    print()
    print("\n".join(notes))


if __name__ == "__main__":
    main()
