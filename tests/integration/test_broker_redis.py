"""The Redis Streams consumer against the machine's Redis (127.0.0.1:6379, no password):
entries written with redis-py, read the way the broker poller reads them."""

from __future__ import annotations

import asyncio
import base64
import json
import socket
import uuid
from collections.abc import Callable, Coroutine, Iterator
from typing import Any, TypeVar

import pytest
import redis

from altus.brokers.base import (
    AUTHENTICATION,
    CONFIGURATION,
    CONNECTION,
    BrokerError,
    Endpoint,
    Message,
    Subscription,
)
from altus.brokers.redis_streams import RedisStreamConsumer, connect
from tests.conftest import unavailable

pytestmark = pytest.mark.integration

URL = "redis://127.0.0.1:6379/0"
T = TypeVar("T")


@pytest.fixture
def server() -> Iterator[redis.Redis]:
    client = redis.Redis(host="127.0.0.1", port=6379, socket_connect_timeout=5)
    try:
        client.ping()
    except redis.ConnectionError as error:
        client.close()
        unavailable("Redis on 127.0.0.1:6379", str(error))
    yield client
    client.close()


@pytest.fixture
def new_key(server: redis.Redis) -> Iterator[Callable[[], str]]:
    """Stream key names of this test's own; the keys (and their groups) are deleted
    after it."""
    made: list[str] = []

    def new() -> str:
        made.append(f"altus-test-{uuid.uuid4().hex}")
        return made[-1]

    yield new
    if made:
        server.delete(*made)


def subscription(
    *names: str,
    position: str | None = "TRIM_HORIZON",
    group: str | None = None,
    url: str = URL,
    username: str | None = None,
    password: str | None = None,
) -> Subscription:
    return Subscription(
        mapping_id=str(uuid.uuid4()),
        endpoint=Endpoint("redis", url, username, password),
        names=names,
        consumer_group=group,
        starting_position=position,
    )


def run(scenario: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(scenario)


async def opened(sub: Subscription) -> RedisStreamConsumer:
    consumer = RedisStreamConsumer(sub)
    await consumer.open()
    return consumer


async def drain(consumer: RedisStreamConsumer, limit: int, most: int = 100) -> list[Message]:
    """Everything there is now, fetched ``limit`` at a time."""
    found: list[Message] = []
    for _ in range(most):
        batch = await consumer.fetch(limit, 0)
        assert len(batch) <= limit
        if not batch:
            return found
        found.extend(batch)
    raise AssertionError(f"more than {most} fetches")


def ids(messages: list[Message]) -> list[str]:
    return [message.token[1] for message in messages]


async def reading(server: redis.Redis, sub: Subscription) -> str:
    """The id of the consumer's connection, once it waits in XREADGROUP (the consumer
    names its connections after the mapping)."""
    for _ in range(1000):
        for connection in server.client_list():
            mine = connection["name"] == f"altus-{sub.mapping_id}"
            if mine and connection["cmd"] == "xreadgroup":
                return str(connection["id"])
        await asyncio.sleep(0.01)
    raise AssertionError("the consumer did not wait in XREADGROUP")


def failure(sub: Subscription) -> BrokerError:
    async def scenario() -> BrokerError:
        consumer = connect(sub)
        try:
            await consumer.open()
        except BrokerError as error:
            return error
        finally:
            await consumer.close()
        raise AssertionError("open succeeded")

    return run(scenario())


def closed_port() -> int:
    """A loopback port nothing listens on (it was free a moment ago)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_an_entry_becomes_the_documented_record(server, new_key):
    key = new_key()
    entry_id = server.xadd(
        key,
        {
            "kind": "paid",
            "order": '{"total": 120, "lines": [1, 2]}',
            "blob": b"\x00\xff\xfe",
            b"\xff\xfename": "text",
            "empty": "",
        },
    ).decode()

    async def scenario() -> list[Message]:
        consumer = await opened(subscription(key))
        try:
            return await consumer.fetch(10, 5.0)
        finally:
            await consumer.close()

    [message] = run(scenario())
    binary_name = base64.b64encode(b"\xff\xfename").decode()
    inner = {
        "stream": key,
        "id": entry_id,
        "fields": {
            "kind": "paid",
            "order": '{"total": 120, "lines": [1, 2]}',
            "blob": base64.b64encode(b"\x00\xff\xfe").decode(),
            binary_name: "text",
            "empty": "",
        },
        "binaryFields": ["blob"],
        "binaryNames": [binary_name],
        "approximateArrivalTimestamp": int(entry_id.split("-")[0]) / 1000,
    }
    assert message.record == {
        "eventSource": "altus:redis",
        "eventVersion": "1.0",
        "eventID": f"{key}:{entry_id}",
        "eventName": "altus:redis:entry",
        "redis": inner,
    }
    assert json.loads(json.dumps(message.record["redis"])) == inner
    assert message.id == f"{key}:{entry_id}"
    assert message.group == key
    assert message.token == (key, entry_id)
    assert message.size == len(json.dumps(message.record))
    # Filters see the redis object, JSON values parsed, base64 left as it is.
    assert message.filter_view["fields"]["order"] == {"total": 120, "lines": [1, 2]}
    assert message.filter_view["fields"]["blob"] == inner["fields"]["blob"]
    assert message.filter_view["fields"]["kind"] == "paid"
    assert message.filter_view["stream"] == key
    consumer = RedisStreamConsumer(subscription(key))
    assert consumer.event([message]) == {"Records": [message.record]}


def test_a_value_too_deep_to_parse_is_text_to_filters_and_reading_goes_on(server, new_key):
    key = new_key()
    deep = "[" * 100_000  # json.loads raises RecursionError on it
    added = [
        server.xadd(key, {"deep": deep, "order": '{"total": 1}'}).decode(),
        server.xadd(key, {"n": "2"}).decode(),
    ]

    async def scenario() -> list[Message]:
        consumer = await opened(subscription(key))
        try:
            found = await drain(consumer, 10)
            await consumer.ack(found)
            return found
        finally:
            await consumer.close()

    found = run(scenario())
    assert ids(found) == added
    assert found[0].filter_view["fields"] == {"deep": deep, "order": {"total": 1}}
    assert found[0].record["redis"]["fields"]["deep"] == deep


def test_latest_starts_after_what_is_there_and_trim_horizon_before_it(server, new_key):
    key = new_key()
    before = [server.xadd(key, {"n": str(n)}).decode() for n in range(2)]

    async def scenario() -> None:
        latest = await opened(subscription(key, position="LATEST"))
        default = await opened(subscription(key, position=None))
        oldest = await opened(subscription(key, position="TRIM_HORIZON"))
        try:
            assert await latest.fetch(10, 0) == []
            assert await default.fetch(10, 0) == []
            after = server.xadd(key, {"n": "2"}).decode()
            assert ids(await latest.fetch(10, 5.0)) == [after]
            assert ids(await default.fetch(10, 5.0)) == [after]
            assert ids(await drain(oldest, 10)) == [*before, after]
        finally:
            for consumer in (latest, default, oldest):
                await consumer.close()

    run(scenario())


def test_latest_makes_a_stream_that_is_not_there_yet(server, new_key):
    key = new_key()

    async def scenario() -> None:
        consumer = await opened(subscription(key, position="LATEST"))
        try:
            assert server.type(key) == b"stream"
            added = server.xadd(key, {"n": "1"}).decode()
            assert ids(await consumer.fetch(10, 5.0)) == [added]
        finally:
            await consumer.close()

    run(scenario())


def test_a_fetch_waits_for_an_entry(server, new_key):
    key = new_key()

    sub = subscription(key, position="LATEST")

    async def scenario() -> None:
        consumer = await opened(sub)
        try:
            waiting = asyncio.create_task(consumer.fetch(10, 60.0))
            assert await reading(server, sub)
            added = server.xadd(key, {"n": "1"}).decode()
            assert ids(await asyncio.wait_for(waiting, 30)) == [added]
        finally:
            await consumer.close()

    run(scenario())


def test_a_fetch_returns_at_most_its_limit_in_order(server, new_key):
    key = new_key()
    added = [server.xadd(key, {"n": str(n)}).decode() for n in range(7)]

    async def scenario() -> list[list[str]]:
        consumer = await opened(subscription(key))
        try:
            return [ids(await consumer.fetch(3, 1.0)) for _ in range(3)]
        finally:
            await consumer.close()

    assert run(scenario()) == [added[0:3], added[3:6], added[6:]]


def test_acknowledged_entries_are_not_delivered_again(server, new_key):
    key = new_key()
    added = [server.xadd(key, {"n": str(n)}).decode() for n in range(5)]
    sub = subscription(key)

    async def scenario() -> None:
        first = await opened(sub)
        try:
            fetched = await first.fetch(10, 1.0)
            assert ids(fetched) == added
            await first.ack(fetched[:2])
            await first.ack(fetched[2:])
        finally:
            await first.close()
        assert server.xpending(key, f"altus-{sub.mapping_id}")["pending"] == 0
        # The group exists: opening it again keeps its position.
        second = await opened(sub)
        try:
            assert await second.fetch(10, 0) == []
            later = server.xadd(key, {"n": "5"}).decode()
            assert ids(await second.fetch(10, 5.0)) == [later]
        finally:
            await second.close()

    run(scenario())


def test_unacknowledged_entries_come_first_to_the_next_consumer(server, new_key):
    key = new_key()
    added = [server.xadd(key, {"n": str(n)}).decode() for n in range(5)]
    sub = subscription(key)

    async def scenario() -> None:
        first = await opened(sub)
        try:
            fetched = await first.fetch(10, 1.0)
            assert ids(fetched) == added
            await first.ack(fetched[:1])
        finally:
            await first.close()  # as if Altus stopped with four in hand
        newer = [server.xadd(key, {"n": str(n)}).decode() for n in range(5, 7)]
        second = await opened(sub)
        try:
            # Pending ones first, two at a time, then the new ones.
            assert [ids(await second.fetch(2, 1.0)) for _ in range(3)] == [
                added[1:3],
                added[3:5],
                newer,
            ]
            assert await second.fetch(2, 0) == []
        finally:
            await second.close()

    run(scenario())


def test_a_lost_connection_fails_the_fetch_and_loses_nothing(server, new_key):
    key = new_key()
    added = [server.xadd(key, {"n": str(n)}).decode() for n in range(3)]
    sub = subscription(key)

    async def scenario() -> None:
        first = await opened(sub)
        try:
            assert ids(await first.fetch(10, 1.0)) == added
            waiting = asyncio.create_task(first.fetch(10, 60.0))
            server.client_kill_filter(_id=await reading(server, sub))
            with pytest.raises(BrokerError) as raised:
                await asyncio.wait_for(waiting, 30)
            assert raised.value.kind == CONNECTION
        finally:
            await first.close()
        # What was in hand is delivered again, first.
        later = server.xadd(key, {"n": "3"}).decode()
        second = await opened(sub)
        try:
            assert ids(await drain(second, 10)) == [*added, later]
        finally:
            await second.close()

    run(scenario())


def test_a_pending_entry_deleted_meanwhile_is_skipped_and_acknowledged(server, new_key):
    key = new_key()
    added = [server.xadd(key, {"n": str(n)}).decode() for n in range(3)]
    sub = subscription(key)
    group = f"altus-{sub.mapping_id}"

    async def scenario() -> None:
        first = await opened(sub)
        try:
            assert ids(await first.fetch(10, 1.0)) == added
        finally:
            await first.close()
        server.xdel(key, added[1])
        second = await opened(sub)
        try:
            assert ids(await drain(second, 10)) == [added[0], added[2]]
            pending = server.xpending_range(key, group, "-", "+", 10)
            assert [row["message_id"].decode() for row in pending] == [added[0], added[2]]
        finally:
            await second.close()

    run(scenario())


def test_several_streams_are_read_together_each_in_its_order(server, new_key):
    one, two = new_key(), new_key()
    added: dict[str, list[str]] = {one: [], two: []}
    for n in range(5):
        key = (one, two)[n % 2]
        added[key].append(server.xadd(key, {"n": str(n)}).decode())
    sub = subscription(one, two)

    async def scenario() -> list[Message]:
        consumer = await opened(sub)
        try:
            found = await drain(consumer, 2)
            await consumer.ack(found)
            return found
        finally:
            await consumer.close()

    found = run(scenario())
    assert len(found) == 5
    for key in (one, two):
        assert ids([m for m in found if m.group == key]) == added[key]
        assert server.xpending(key, f"altus-{sub.mapping_id}")["pending"] == 0


def pending(server: redis.Redis, sub: Subscription) -> int:
    """How many entries of ``sub``'s streams its group has delivered and not had
    acknowledged."""
    group = f"altus-{sub.mapping_id}"
    return sum(int(server.xpending(key, group)["pending"]) for key in sub.names)


def test_a_fetch_takes_no_more_than_its_limit_from_several_streams(server, new_key):
    keys = [new_key() for _ in range(3)]
    added = {key: [server.xadd(key, {"n": str(n)}).decode() for n in range(10)] for key in keys}
    sub = subscription(*keys)

    async def scenario() -> list[Message]:
        consumer = await opened(sub)
        try:
            found: list[Message] = []
            for limit in (4, 2, 1, 7, 5, 100):
                batch = await consumer.fetch(limit, 0)
                assert 0 < len(batch) <= limit
                found.extend(batch)
                # Redis delivered no more than was returned.
                assert pending(server, sub) == len(found)
            assert await consumer.fetch(10, 0) == []
            return found
        finally:
            await consumer.close()

    found = run(scenario())
    assert len(found) == 30
    assert len({m.id for m in found}) == 30
    for key in keys:
        assert ids([m for m in found if m.group == key]) == added[key]
    # Shares are fair: the first fetch (4 from three streams) read from each.
    assert {m.group for m in found[:3]} == set(keys)


def test_what_a_waiting_read_brings_past_the_limit_comes_next(server, new_key):
    # A read that waits asks every stream for an entry: with a limit below the number
    # of streams, those past it are delivered, stay pending and come first next time.
    keys = [new_key() for _ in range(3)]
    sub = subscription(*keys, position="LATEST")

    async def scenario() -> None:
        consumer = await opened(sub)
        try:
            assert await consumer.fetch(1, 0) == []  # no entries left pending before
            added = [server.xadd(key, {"n": "1"}).decode() for key in keys]
            taken: list[Message] = []
            # The waiting read itself, as fetch makes it when nothing was there yet.
            await consumer._read_new(consumer._connected(), 1, 1000, taken)
            assert len(taken) == 1
            assert pending(server, sub) == 3
            rest = [*await consumer.fetch(1, 0), *await consumer.fetch(1, 0)]
            assert await consumer.fetch(1, 0) == []
            assert sorted(ids([*taken, *rest])) == sorted(added)
            assert len({m.id for m in [*taken, *rest]}) == 3
        finally:
            await consumer.close()

    run(scenario())


@pytest.fixture
def acl_user(server: redis.Redis) -> Iterator[Callable[..., str]]:
    """Makes Redis ACL users of this test's own (password ``pw``), deleted after it."""
    made: list[str] = []

    def new(*rules: str) -> str:
        made.append(f"altus-test-{uuid.uuid4().hex}")
        server.execute_command("ACL", "SETUSER", made[-1], "reset", "on", ">pw", *rules)
        return made[-1]

    yield new
    if made:
        server.acl_deluser(*made)


def test_a_command_the_user_may_not_run_is_a_configuration_error(server, new_key, acl_user):
    key = new_key()
    user = acl_user("~*", "+@all", "-xack")
    server.xadd(key, {"n": "1"})

    async def scenario() -> BrokerError:
        consumer = await opened(subscription(key, username=user, password="pw"))
        try:
            fetched = await consumer.fetch(10, 1.0)
            assert len(fetched) == 1
            with pytest.raises(BrokerError) as raised:
                await consumer.ack(fetched)
            return raised.value
        finally:
            await consumer.close()

    error = run(scenario())
    assert error.kind == CONFIGURATION
    assert "xack" in error.message


def test_a_user_that_may_not_name_its_connection_is_told_what_to_grant(server, new_key, acl_user):
    user = acl_user("~*", "+@all", "-client|setname")
    error = failure(subscription(new_key(), username=user, password="pw"))
    assert error.kind == CONFIGURATION
    assert "+client|setname" in error.message


def test_the_documented_acl_is_enough(server, new_key, acl_user):
    # The least a mapping's user needs (docs/brokers.md), on its own keys.
    key, named = new_key(), new_key()
    user = acl_user(
        f"~{key}",
        f"~{named}",
        "+ping",
        "+client|setname",
        "+type",
        "+xgroup|create",
        "+xreadgroup",
        "+xack",
        "+xgroup|destroy",
        "+xgroup|delconsumer",
    )
    server.xadd(key, {"n": "1"})
    server.xadd(named, {"n": "1"})
    subs = [
        subscription(key, username=user, password="pw"),
        subscription(named, username=user, password="pw", group=f"altus-test-{uuid.uuid4()}"),
    ]

    async def scenario() -> None:
        for sub in subs:
            consumer = await opened(sub)
            try:
                fetched = await consumer.fetch(10, 1.0)
                assert len(fetched) == 1
                await consumer.ack(fetched)
            finally:
                await consumer.close()
            await connect(sub).forget()

    run(scenario())
    assert server.xinfo_groups(key) == []
    [group] = server.xinfo_groups(named)
    assert group["consumers"] == 0


def test_a_named_group_is_used_and_forget_leaves_it_to_its_other_readers(server, new_key):
    key = new_key()
    group = f"altus-test-group-{uuid.uuid4().hex}"
    server.xgroup_create(key, group, "0", mkstream=True)
    server.xgroup_createconsumer(key, group, "someone-else")
    added = server.xadd(key, {"n": "1"}).decode()
    sub = subscription(key, position="LATEST", group=group)

    async def scenario() -> None:
        consumer = await opened(sub)
        try:
            assert ids(await consumer.fetch(10, 1.0)) == [added]
        finally:
            await consumer.close()
        await connect(sub).forget()

    run(scenario())
    [info] = server.xinfo_groups(key)
    assert info["name"].decode() == group
    assert [c["name"] for c in server.xinfo_consumers(key, group)] == [b"someone-else"]


def test_forget_removes_the_group_it_made(server, new_key):
    one, two = new_key(), new_key()
    sub = subscription(one, two)

    async def scenario() -> None:
        consumer = await opened(sub)
        await consumer.close()
        assert len(server.xinfo_groups(one)) == len(server.xinfo_groups(two)) == 1
        server.delete(two)  # a stream gone already keeps no group to remove
        await connect(sub).forget()

    run(scenario())
    assert server.xinfo_groups(one) == []


def test_forget_says_when_it_cannot_reach_redis():
    sub = subscription(f"altus-test-{uuid.uuid4().hex}", url=f"redis://127.0.0.1:{closed_port()}/0")
    with pytest.raises(BrokerError) as raised:
        run(connect(sub).forget())
    assert raised.value.kind == CONNECTION


def test_a_key_of_another_type_is_a_configuration_error(server, new_key):
    key = new_key()
    server.set(key, "not a stream")
    error = failure(subscription(key))
    assert error.kind == CONFIGURATION
    assert "WRONGTYPE" in error.message


def test_a_closed_port_is_a_connection_error():
    error = failure(
        subscription(f"altus-test-{uuid.uuid4().hex}", url=f"redis://127.0.0.1:{closed_port()}/0")
    )
    assert error.kind == CONNECTION


def test_refused_credentials_are_an_authentication_error(server, new_key):
    key = new_key()
    stranger = f"altus-test-{uuid.uuid4().hex}"
    # A password where Redis has none: Redis answers AUTH with an error.
    assert failure(subscription(key, url="redis://:wrong@127.0.0.1:6379/0")).kind == (
        AUTHENTICATION
    )
    # A user Redis does not know (WRONGPASS), from the URL or from the secret.
    assert failure(subscription(key, url=f"redis://{stranger}:x@127.0.0.1:6379/0")).kind == (
        AUTHENTICATION
    )
    assert failure(subscription(key, username=stranger, password="x")).kind == AUTHENTICATION
    assert failure(subscription(key, password="wrong")).kind == AUTHENTICATION


def test_the_secret_takes_the_place_of_the_urls_credentials(server, new_key):
    key = new_key()
    stranger = f"altus-test-{uuid.uuid4().hex}"
    # The URL's user does not exist; the secret names the default user, which has no
    # password on this Redis (so any password is accepted for it).
    sub = subscription(
        key,
        url=f"redis://{stranger}:x@127.0.0.1:6379/0",
        username="default",
        password="anything",
    )

    async def scenario() -> None:
        consumer = await opened(sub)
        await consumer.close()

    run(scenario())


def test_hold_does_nothing_and_close_never_fails(server, new_key):
    key = new_key()
    server.xadd(key, {"n": "1"})

    async def scenario() -> None:
        unopened = connect(subscription(key))
        await unopened.close()
        consumer = await opened(subscription(key))
        fetched = await consumer.fetch(10, 1.0)
        await consumer.hold(fetched)
        await consumer.close()
        await consumer.close()
        with pytest.raises(BrokerError):
            await consumer.fetch(10, 0)

    run(scenario())
