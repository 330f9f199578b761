"""Redis Streams: a mapping reads one or more stream keys through a consumer group, with
redis-py's asyncio client.

- **Where.** ``REDIS_URL`` is a ``redis://`` or ``rediss://`` URL, the database number in
  its path (``redis://host:6379/2``); a ``BASIC_AUTH`` secret's username and password
  take the place of the URL's. A password alone authenticates as Redis's ``default``
  user.
- **The group.** Each stream gets the consumer group ``ConsumerGroupId`` or, by default,
  ``altus-<mapping UUID>``, made (with the stream, where there is none) at ``$`` for
  ``LATEST`` or ``0`` for ``TRIM_HORIZON``; a group that exists already keeps its
  position. Altus reads as the group's consumer ``altus``. Its connections are named
  ``altus-<mapping UUID>`` (``CLIENT LIST``), so the user needs ``+client|setname``.
- **Reading.** Entries delivered before and never acknowledged (Altus stopped or lost
  the connection with them in hand) come first, from the consumer's pending entries
  list; then new ones. The streams are read together, each stream's entries in its
  order, and no read asks Redis for more than the fetch's limit in all: each stream is
  asked for an equal share, and those that fill theirs are asked again for the room
  left. A fetch waits only when nothing was there, and that read asks every stream for
  at least one entry: where the limit is below the number of streams, what it brings
  past the limit stays pending and the next fetch reads it first. An entry deleted
  (``XDEL``, trimmed) while pending is acknowledged and skipped: there is nothing left
  to deliver.
- **Acknowledging.** ``XACK`` once the function is done with an entry. Redis never takes
  an entry back on its own, so there is nothing to renew while a batch is retried.

A record (Altus's own shape, after Kinesis's)::

    {"eventSource": "altus:redis", "eventVersion": "1.0",
     "eventID": "orders:1718000000000-0", "eventName": "altus:redis:entry",
     "redis": {"stream": "orders", "id": "1718000000000-0",
               "fields": {"kind": "paid", "blob": "3q2+7w=="},
               "binaryFields": ["blob"], "binaryNames": [],
               "approximateArrivalTimestamp": 1718000000.0}}

``eventName`` says what the record carries in Redis's own word for it, an entry, as
Kinesis's ``aws:kinesis:record`` does. Field names and values are binary-safe in Redis
and text in JSON: a value that is UTF-8 is given as it is; any other is given in base64
and its field's name listed in ``binaryFields``. A name that is not UTF-8 (rare) is
given in base64 too and listed in ``binaryNames`` (in ``binaryFields`` as well when its
value is binary). ``fields`` is an object, so where an entry repeats a name (Redis
allows it) the last value is kept, as redis-py keeps it. The timestamp is the entry
id's milliseconds, in seconds: the time Redis added it, unless the producer chose the
id.

Filter patterns see the ``redis`` object, with each text value that is a JSON object or
array parsed (as Lambda parses an SQS body or Kinesis data): ``{"fields": {"kind":
["paid"]}}`` or ``{"fields": {"order": {"total": [{"numeric": [">", 100]}]}}}``.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
from collections.abc import Awaitable, Mapping, Sequence
from typing import Any, TypeVar, cast

from redis.asyncio import ConnectionPool, Redis
from redis.asyncio.connection import parse_url
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import AuthenticationError, NoPermissionError, RedisError, ResponseError
from redis.typing import KeyT, StreamIdT

from altus.brokers.base import (
    AUTHENTICATION,
    CONFIGURATION,
    CONNECTION,
    BrokerError,
    Consumer,
    Message,
    Subscription,
    parsed,
    records_event,
)

T = TypeVar("T")
#: ``XREADGROUP``'s reply: per stream, its key and its entries (id, fields).
_Reply = list[tuple[bytes, list[tuple[bytes, dict[bytes, bytes]]]]]

#: The consumer's name in its group. One name for every Altus process: a consumer made
#: after a restart finds the entries its predecessor left pending.
CONSUMER = "altus"
EVENT_SOURCE = "altus:redis"
EVENT_NAME = "altus:redis:entry"
#: Seconds to set up a connection.
CONNECT_TIMEOUT = 10.0
#: Seconds Redis has to answer a command (beyond the time a read may block).
ANSWER_TIMEOUT = 10.0
#: Error codes that say Redis cannot serve for now, not that the mapping is wrong.
_TRANSIENT = frozenset({"OOM", "BUSY", "MISCONF", "LOADING", "TRYAGAIN", "MASTERDOWN"})


def connect(subscription: Subscription) -> Consumer:
    return RedisStreamConsumer(subscription)


class RedisStreamConsumer:
    def __init__(self, subscription: Subscription) -> None:
        self._subscription = subscription
        self._group = subscription.consumer_group or f"altus-{subscription.mapping_id}"
        self._keys = {name.encode(): name for name in subscription.names}
        self._client: Redis | None = None
        #: Streams whose pending entries are still to be read, each with the id after
        #: which to read them.
        self._pending: dict[str, str] = {}

    async def open(self) -> None:
        self._client = _client(self._subscription)
        await _answer(self._client.ping(), ANSWER_TIMEOUT, "Connecting to Redis")
        start = "0" if self._subscription.starting_position == "TRIM_HORIZON" else "$"
        for key in self._subscription.names:
            await _answer(
                self._create_group(self._client, key, start),
                ANSWER_TIMEOUT,
                f"Creating consumer group {self._group!r} on stream {key!r}",
            )
        self._pending = {key: "0" for key in self._subscription.names}

    async def _create_group(self, client: Redis, key: str, start: str) -> None:
        try:
            await client.xgroup_create(key, self._group, start, mkstream=True)
        except ResponseError as error:
            if error.status_code != "BUSYGROUP":
                raise

    async def fetch(self, limit: int, wait: float) -> list[Message]:
        client = self._connected()
        taken: list[Message] = []
        # Each round takes entries, finishes a stream's pending entries, or acknowledges
        # deleted ones: it ends once the pending entries are all read or the limit met.
        while self._pending and len(taken) < limit:
            await self._read_pending(client, limit - len(taken), taken)
        if taken or limit <= 0:
            return taken
        # What is there now; only if there is nothing, a read that waits (BLOCK 0 would
        # wait for ever: no wait is no BLOCK at all).
        await self._read_new(client, limit, None, taken)
        if not taken and wait > 0:
            await self._read_new(client, limit, max(1, round(wait * 1000)), taken)
        return taken

    async def _read_pending(self, client: Redis, room: int, taken: list[Message]) -> None:
        asked, count = _shares(list(self._pending), room)
        cursors: dict[KeyT, StreamIdT] = {key: self._pending[key] for key in asked}
        reply = _streams(
            await _answer(
                client.xreadgroup(self._group, CONSUMER, cursors, count=count),
                ANSWER_TIMEOUT,
                "Reading pending entries",
            )
        )
        read = {self._keys[raw_key]: entries for raw_key, entries in reply}
        for key in asked:
            entries = read.get(key, [])
            if len(entries) == count:
                self._pending[key] = entries[-1][0].decode()
            else:
                del self._pending[key]
        await self._take(client, reply, room, taken)

    async def _read_new(
        self, client: Redis, limit: int, block: int | None, taken: list[Message]
    ) -> None:
        """New entries into ``taken``, up to ``limit`` there. Every stream is asked for an
        equal share; those that fill theirs may have more, and are asked again (without
        waiting) for the room left."""
        streams = list(self._subscription.names)
        while streams and len(taken) < limit:
            room = limit - len(taken)
            if block is None:
                asked, count = _shares(streams, room)
            else:
                # A read that waits watches every stream: at least one entry of each.
                asked, count = streams, max(1, room // len(streams))
            reply = _streams(
                await _answer(
                    client.xreadgroup(
                        self._group, CONSUMER, dict.fromkeys(asked, ">"), count=count, block=block
                    ),
                    (block or 0) / 1000 + ANSWER_TIMEOUT,
                    "Reading new entries",
                )
            )
            await self._take(client, reply, room, taken)
            full = {self._keys[raw_key] for raw_key, entries in reply if len(entries) == count}
            streams = [key for key in asked if key in full and key not in self._pending]
            block = None

    async def _take(self, client: Redis, reply: _Reply, room: int, taken: list[Message]) -> None:
        """Add to ``taken`` the first ``room`` entries of an ``XREADGROUP`` reply, streams
        merged by entry id; acknowledge those deleted since they were delivered. Entries
        past ``room`` are delivered all the same: they stay pending, and their streams'
        pending entries are read again from just before them."""
        read: list[Message] = []
        gone: dict[str, list[bytes]] = {}
        for raw_key, entries in reply:
            key = self._keys[raw_key]
            for raw_id, fields in entries:
                # An entry has at least one field: none means it was deleted.
                if fields:
                    read.append(_message(key, raw_id.decode(), fields))
                else:
                    gone.setdefault(key, []).append(raw_id)
        read.sort(key=lambda message: _entry_order(message.token[1]))
        taken.extend(read[:room])
        left: set[str] = set()
        for message in read[room:]:
            key, entry_id = message.token
            if key not in left:
                left.add(key)
                self._pending[key] = _before(entry_id)
        if gone:
            await self._xack(client, gone)

    async def ack(self, messages: Sequence[Message]) -> None:
        if not messages:
            return
        by_key: dict[str, list[bytes]] = {}
        for message in messages:
            key, entry_id = message.token
            by_key.setdefault(key, []).append(entry_id.encode())
        await self._xack(self._connected(), by_key)

    async def _xack(self, client: Redis, by_key: Mapping[str, Sequence[bytes]]) -> None:
        async with client.pipeline(transaction=False) as pipe:
            for key, ids in by_key.items():
                pipe.xack(key, self._group, *ids)
            await _answer(pipe.execute(), ANSWER_TIMEOUT, "Acknowledging entries")

    async def hold(self, messages: Sequence[Message]) -> None:
        return None

    def event(self, messages: Sequence[Message]) -> dict[str, Any]:
        return records_event(messages)

    async def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await _quietly_close(client)

    async def forget(self) -> None:
        """Remove the group Altus made (``altus-<mapping UUID>``) from each stream. A
        group the mapping names (``ConsumerGroupId``) may be shared with other readers:
        only Altus's consumer leaves it (its pending entries with it)."""
        client = _client(self._subscription)
        try:
            await _answer(client.ping(), ANSWER_TIMEOUT, "Connecting to Redis")
            for key in self._subscription.names:
                await _answer(
                    self._leave(client, key),
                    ANSWER_TIMEOUT,
                    f"Removing consumer group {self._group!r} from stream {key!r}",
                )
        finally:
            await _quietly_close(client)

    async def _leave(self, client: Redis, key: str) -> None:
        # A key that is gone, or now holds something else, keeps no group.
        if await client.type(key) != b"stream":
            return
        if self._subscription.consumer_group:
            await client.xgroup_delconsumer(key, self._group, CONSUMER)
        else:
            await client.xgroup_destroy(key, self._group)

    def _connected(self) -> Redis:
        if self._client is None:
            raise BrokerError(CONNECTION, "the Redis consumer is not connected")
        return self._client


def _client(subscription: Subscription) -> Redis:
    endpoint = subscription.endpoint
    try:
        options: dict[str, Any] = {**parse_url(endpoint.url)}
    except ValueError as error:
        raise BrokerError(CONFIGURATION, f"the Redis URL cannot be used: {error}") from None
    if endpoint.username is not None:
        options["username"] = endpoint.username
    if endpoint.password is not None:
        options["password"] = endpoint.password
    options.update(
        # Streams came before RESP3 (Redis 5 has them and no HELLO), and RESP2 replies
        # to these commands carry the same.
        protocol=2,
        # Field values are bytes: not every one is text.
        decode_responses=False,
        socket_connect_timeout=CONNECT_TIMEOUT,
        # Commands are bounded by ``_answer``: a socket timeout would cut a long BLOCK.
        socket_timeout=None,
        # No command is sent again: an XREADGROUP whose reply was lost has delivered
        # entries all the same, and reading on would skip them. The poller reconnects,
        # and the new consumer reads them from its pending entries.
        retry=Retry(NoBackoff(), 0),
        # CLIENT LIST shows which mapping a connection reads for.
        client_name=f"altus-{subscription.mapping_id}",
    )
    return Redis.from_pool(ConnectionPool(**options))


async def _answer(call: Awaitable[T], seconds: float, doing: str) -> T:
    """The result of ``call``, or a ``BrokerError`` saying why ``doing`` (what the call
    does, for the message) failed."""
    try:
        async with asyncio.timeout(seconds):
            return await call
    except TimeoutError:
        kind, why = CONNECTION, f"Redis did not answer within {seconds:g} s"
    except AuthenticationError as error:
        kind, why = AUTHENTICATION, f"Redis refused the credentials ({error})"
    except NoPermissionError as error:
        # The credentials were accepted: what is missing is a permission of the user's.
        kind, why = CONFIGURATION, _not_permitted(error)
    except ResponseError as error:
        kind = CONNECTION if error.status_code in _TRANSIENT else CONFIGURATION
        why = str(error)
    except (RedisError, OSError) as error:
        kind, why = CONNECTION, str(error)
    raise BrokerError(kind, f"{doing} failed: {why}")


def _not_permitted(error: NoPermissionError) -> str:
    """Why Redis refused a command of a user it accepted, and what to grant where that
    is not plain from its words."""
    text = str(error)
    if "client|setname" in text.lower():
        # redis-py names each connection as it opens it, before any command of Altus's.
        return (
            f"{text}. Altus names its connections (CLIENT SETNAME altus-<mapping UUID>, "
            f"shown by CLIENT LIST): give the user +client|setname"
        )
    return f"Redis does not permit it: {text}"


async def _quietly_close(client: Redis) -> None:
    # The connection may be broken already: closing it still must not fail.
    with contextlib.suppress(Exception):
        async with asyncio.timeout(CONNECT_TIMEOUT):
            await client.aclose()


def _streams(reply: object) -> _Reply:
    """An ``XREADGROUP`` reply (RESP2: a list of ``[key, entries]``; None when a BLOCK
    ran out) as redis-py's annotations cannot say it."""
    return cast(_Reply, reply or [])


def _message(key: str, entry_id: str, fields: Mapping[bytes, bytes]) -> Message:
    inner = _entry(key, entry_id, fields)
    record = {
        "eventSource": EVENT_SOURCE,
        "eventVersion": "1.0",
        "eventID": f"{key}:{entry_id}",
        "eventName": EVENT_NAME,
        "redis": inner,
    }
    binary = set(inner["binaryFields"])
    view = dict(inner)
    view["fields"] = {
        name: value if name in binary else parsed(value) for name, value in inner["fields"].items()
    }
    return Message(
        id=f"{key}:{entry_id}",
        group=key,
        record=record,
        filter_view=view,
        size=len(json.dumps(record)),
        token=(key, entry_id),
    )


def _entry(key: str, entry_id: str, fields: Mapping[bytes, bytes]) -> dict[str, Any]:
    """The ``redis`` object of an entry's record."""
    # name -> (value, value in base64, name in base64); a repeated name keeps its last.
    kept: dict[str, tuple[str, bool, bool]] = {}
    for raw_name, raw_value in fields.items():
        name, binary_name = _text(raw_name)
        value, binary_value = _text(raw_value)
        kept[name] = (value, binary_value, binary_name)
    return {
        "stream": key,
        "id": entry_id,
        "fields": {name: value for name, (value, _, _) in kept.items()},
        "binaryFields": [name for name, (_, binary, _) in kept.items() if binary],
        "binaryNames": [name for name, (_, _, binary) in kept.items() if binary],
        "approximateArrivalTimestamp": _entry_order(entry_id)[0] / 1000,
    }


def _text(raw: bytes) -> tuple[str, bool]:
    """``raw`` as text, and whether that is base64 because it is not UTF-8."""
    try:
        return raw.decode("utf-8"), False
    except UnicodeDecodeError:
        return base64.b64encode(raw).decode("ascii"), True


def _entry_order(entry_id: str) -> tuple[int, int]:
    milliseconds, _, sequence = entry_id.partition("-")
    return int(milliseconds), int(sequence or 0)


def _before(entry_id: str) -> str:
    """The greatest entry id below ``entry_id`` (never below ``0-0``): reading after it
    starts at ``entry_id``."""
    milliseconds, sequence = _entry_order(entry_id)
    if sequence:
        return f"{milliseconds}-{sequence - 1}"
    if milliseconds:
        return f"{milliseconds - 1}-{2**64 - 1}"
    return "0-0"


def _shares(streams: list[str], room: int) -> tuple[list[str], int]:
    """The streams a read that does not wait asks, and for how many entries each: an
    equal share of ``room``, at most ``room`` in all (the first ``room`` streams, one
    entry each, where there are more streams than room)."""
    asked = streams[:room]
    return asked, room // len(asked)
