"""A RabbitMQ queue as a mapping's source (``RABBITMQ_URL``), read with aio-pika.

One connection per mapping, one channel on it with a prefetch count of the mapping's
batch size, and one consumer on the queue with manual acknowledgements. Deliveries wait
in memory until ``fetch`` takes them. RabbitMQ numbers a channel's deliveries 1, 2, 3
..., so acknowledging the last message of a batch with ``multiple`` acknowledges the
batch; that is sound only while every delivery up to it was handed out, so a delivery
that is missing or cannot be read ends the consumer instead (the poller reconnects).
Whatever the connection had not acknowledged when it closes (or breaks) goes back to
the queue, in its place, and comes again marked ``redelivered``.

Each message is a record of Amazon MQ's RabbitMQ event (``aws:rmq``): its basic
properties as Lambda's own poller (a Java program) writes them, whether it was
delivered before, and its body in base64. Strings in headers are ``{"bytes": [...]}``
and byte arrays lists, both of signed bytes as Java has them; timestamps are in Java's
US medium format, in UTC. Filters see ``{"data": ...}``: the body parsed where it is a
JSON object or array, else its text.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import math
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, NamedTuple
from urllib.parse import quote

import aio_pika
import aiormq
import aiormq.abc
from aio_pika.abc import AbstractConnection
from aio_pika.exceptions import CONNECTION_EXCEPTIONS
from yarl import URL

from altus.brokers.base import (
    AUTHENTICATION,
    CONFIGURATION,
    CONNECTION,
    BrokerError,
    Consumer,
    Message,
    Subscription,
    parsed,
)

#: How long ``open`` may take, from the first packet to the consumer's start.
OPEN_TIMEOUT = 10.0
#: How long ``close`` waits for the broker to answer before it lets the connection go.
CLOSE_TIMEOUT = 5.0
DEFAULT_PORTS = {"amqp": 5672, "amqps": 5671}
#: The reply code of a connection the broker would not open on a virtual host.
NOT_ALLOWED = 530

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


class Delivery(NamedTuple):
    """A message's token: where to acknowledge it."""

    channel: aiormq.abc.AbstractChannel
    delivery_tag: int


def connect(subscription: Subscription) -> Consumer:
    return RabbitConsumer(subscription)


def broker_url(subscription: Subscription) -> URL:
    """The URL to connect to: the endpoint's, with the secret's credentials and the
    access configuration's virtual host in place of its own."""
    endpoint = subscription.endpoint
    url = URL(endpoint.url)
    if endpoint.username is not None:
        url = url.with_user(endpoint.username).with_password(endpoint.password)
    elif endpoint.password is not None and url.user is not None:
        url = url.with_password(endpoint.password)
    if subscription.virtual_host is not None:
        # A vhost is one path segment: its own "/" (the default vhost's name) is %2F.
        path = "/" + quote(subscription.virtual_host, safe="")
        url = url.with_path(path, encoded=True, keep_query=True, keep_fragment=True)
    return url


def virtual_host(url: URL) -> str:
    """The vhost ``url`` names, read as aiormq reads it (an empty path is ``/``)."""
    if url.path in ("", "/"):
        return "/"
    return url.path[1:]


def public_url(url: str) -> str:
    """``url`` without its credentials."""
    return str(URL(url).with_user(None))


class RabbitConsumer:
    def __init__(self, subscription: Subscription) -> None:
        self._subscription = subscription
        self._queue = subscription.names[0]
        self._url = broker_url(subscription)
        self._vhost = virtual_host(self._url)
        self._source = public_url(subscription.endpoint.url)
        self._connection: AbstractConnection | None = None
        self._underlay: aiormq.abc.AbstractChannel | None = None
        self._consumer_tag: str | None = None
        #: Delivered and not fetched yet, in delivery order.
        self._buffer: list[Message] = []
        #: The tag the next delivery must carry: every one before it is in the buffer or
        #: was handed out.
        self._next_tag = 1
        self._arrived = asyncio.Event()
        #: What ``fetch`` and ``ack`` raise once the consumer cannot go on (the connection
        #: or the channel is gone, a delivery was lost); None while it can.
        self._lost: str | None = f"The consumer of {self._where} is not connected"

    @property
    def _where(self) -> str:
        port = self._url.port or DEFAULT_PORTS.get(self._url.scheme)
        return f"RabbitMQ at {self._url.host}:{port}"

    async def open(self) -> None:
        try:
            async with asyncio.timeout(OPEN_TIMEOUT):
                await self._open()
        except BrokerError:
            await self.close()
            raise
        except TimeoutError:
            await self.close()
            raise BrokerError(
                CONNECTION, f"{self._where} did not answer within {OPEN_TIMEOUT:g} s"
            ) from None
        except CONNECTION_EXCEPTIONS as error:
            await self.close()
            raise self._open_failure(error) from error

    async def _open(self) -> None:
        properties: dict[str, Any] = {}
        if "name" not in self._url.query:
            # Shown in RabbitMQ's list of connections, so an operator can tell whose it is.
            properties["connection_name"] = f"altus mapping {self._subscription.mapping_id}"
        self._connection = connection = await aio_pika.connect(
            self._url, timeout=OPEN_TIMEOUT, client_properties=properties
        )
        self._lost = None
        self._next_tag = 1
        connection.close_callbacks.add(self._on_close)
        channel = await connection.channel(publisher_confirms=False)
        channel.close_callbacks.add(self._on_close)
        await channel.set_qos(prefetch_count=self._subscription.batch_size)
        await channel.declare_queue(self._queue, passive=True)
        # aio-pika's own consumers make its messages from the properties with defaults
        # filled in; the event reports them as they came, so the underlying channel's
        # delivery is read here.
        self._underlay = await channel.get_underlay_channel()
        started = await self._underlay.basic_consume(self._queue, self._deliver, no_ack=False)
        self._consumer_tag = started.consumer_tag

    def _open_failure(self, error: BaseException) -> BrokerError:
        user = self._url.user or "guest"
        vhost = self._vhost
        if isinstance(error, aiormq.exceptions.ProbableAuthenticationError):
            return BrokerError(
                AUTHENTICATION, f"{self._where} refused the credentials of user {user!r}"
            )
        if isinstance(error, aiormq.exceptions.AuthenticationError):
            return BrokerError(AUTHENTICATION, f"{self._where} refused to authenticate: {error}")
        if _vhost_refused(error):
            return BrokerError(
                CONFIGURATION,
                f"{self._where} would not open virtual host {vhost!r} for user {user!r}: "
                f"it does not exist or the user has no permissions on it",
            )
        if isinstance(error, aiormq.exceptions.ChannelNotFoundEntity):
            return BrokerError(
                CONFIGURATION,
                f"The queue {self._queue!r} does not exist in virtual host {vhost!r} "
                f"of {self._where}",
            )
        if isinstance(error, aiormq.exceptions.ChannelAccessRefused):
            return BrokerError(
                CONFIGURATION,
                f"User {user!r} may not read the queue {self._queue!r} in virtual host "
                f"{vhost!r} of {self._where}: {_reply_text(error)}",
            )
        if isinstance(error, aiormq.exceptions.ChannelLockedResource):
            return BrokerError(
                CONFIGURATION,
                f"The queue {self._queue!r} in virtual host {vhost!r} of {self._where} "
                f"is exclusive to another connection",
            )
        if isinstance(error, aiormq.exceptions.ChannelClosed):
            return BrokerError(
                CONFIGURATION,
                f"The queue {self._queue!r} in virtual host {vhost!r} of {self._where} "
                f"cannot be read: {_reply_text(error)}",
            )
        return BrokerError(CONNECTION, f"Cannot reach {self._where}: {_describe(error)}")

    def _on_close(self, _sender: object, error: BaseException | None = None) -> None:
        why = _describe(error) if error is not None else "the connection closed"
        self._give_up(f"Lost the connection to {self._where}: {why}")

    def _give_up(self, why: str) -> None:
        """Stop handing out and acknowledging anything: ``fetch`` and ``ack`` raise
        ``why`` from now on, so the poller closes the connection and RabbitMQ delivers
        again what it had not been told is done."""
        if self._lost is None:
            self._lost = why
        self._arrived.set()

    async def _deliver(self, delivered: aiormq.abc.DeliveredMessage) -> None:
        # aiormq only logs what this raises, and a delivery it drops stays unacknowledged
        # on the channel, to be covered unseen by the next batch's multiple ack. So this
        # never raises, and a delivery that does not join the buffer ends the consumer.
        # aiormq runs each delivery in a task of its own, started in arrival order; this
        # never awaits, so the tasks run in that order and the tags come 1, 2, 3 ...
        if self._lost is not None:
            return
        tag = delivered.delivery_tag
        if tag is None or tag != self._next_tag:
            self._give_up(
                f"Delivery {self._next_tag} from {self._where} never reached the consumer "
                f"(the next one came as {tag}): reconnecting so that it comes again"
            )
            return
        try:
            message = _message(self._queue, delivered, tag)
        except Exception as error:  # the conversion is meant to be total: a bug
            self._give_up(
                f"Delivery {tag} from {self._where} could not be read ({_describe(error)}): "
                f"reconnecting so that it comes again"
            )
            return
        self._next_tag = tag + 1
        self._buffer.append(message)
        self._arrived.set()

    def _check(self) -> None:
        if self._lost is not None:
            raise BrokerError(CONNECTION, self._lost)
        underlay = self._underlay
        if isinstance(underlay, aiormq.Channel) and self._consumer_tag not in underlay.consumers:
            # RabbitMQ cancels a consumer whose queue is deleted; a new connection finds
            # out whether the queue is still there.
            raise BrokerError(
                CONNECTION, f"{self._where} cancelled the consumer of queue {self._queue!r}"
            )

    async def fetch(self, limit: int, wait: float) -> list[Message]:
        self._check()
        if not self._buffer and wait > 0:
            self._arrived.clear()
            try:
                async with asyncio.timeout(wait):
                    await self._arrived.wait()
            except TimeoutError:
                pass
            self._check()
        taken, self._buffer = self._buffer[:limit], self._buffer[limit:]
        return taken

    async def ack(self, messages: Sequence[Message]) -> None:
        if not messages:
            return
        self._check()
        # Every delivery up to the last one was handed out (``_deliver``), and the poller
        # acknowledges a prefix of them: ``multiple`` covers exactly what is done.
        last: Delivery = messages[-1].token
        try:
            await last.channel.basic_ack(last.delivery_tag, multiple=True)
        except CONNECTION_EXCEPTIONS as error:
            raise BrokerError(
                CONNECTION, f"Lost the connection to {self._where}: {_describe(error)}"
            ) from error

    async def hold(self, messages: Sequence[Message]) -> None:
        return

    def event(self, messages: Sequence[Message]) -> dict[str, Any]:
        return {
            "eventSource": "aws:rmq",
            "eventSourceArn": self._source,
            "rmqMessagesByQueue": {
                f"{self._queue}::{self._vhost}": [dict(message.record) for message in messages]
            },
        }

    async def close(self) -> None:
        connection, self._connection = self._connection, None
        self._underlay = None
        self._buffer.clear()
        self._give_up(f"The consumer of {self._where} was closed")
        if connection is None:
            return
        # A broken connection is let go all the same: the broker requeues what it had.
        with contextlib.suppress(Exception):
            async with asyncio.timeout(CLOSE_TIMEOUT):
                await connection.close()

    async def forget(self) -> None:
        # The queue is the user's, and RabbitMQ keeps nothing else per consumer.
        return


def _message(queue: str, delivered: aiormq.abc.DeliveredMessage, tag: int) -> Message:
    """The delivery as the poller takes it. Total: whatever a publisher can get past
    RabbitMQ and pamqp becomes a message (a body that is no JSON, or nested too deep to
    parse, is text to filters; headers of any type and depth have a JSON form)."""
    record = _record(delivered)
    return Message(
        id=str(tag),
        group=queue,
        record=record,
        filter_view={"data": parsed(delivered.body.decode(errors="replace"))},
        size=len(json.dumps(record)),
        # Acknowledged on the channel it came on: never on a later connection's.
        token=Delivery(delivered.channel, tag),
    )


def _record(delivered: aiormq.abc.DeliveredMessage) -> dict[str, Any]:
    """One entry of Amazon MQ's ``rmqMessagesByQueue``; absent properties are null."""
    properties = delivered.header.properties
    headers = properties.headers
    timestamp = properties.timestamp
    return {
        "basicProperties": {
            "contentType": properties.content_type,
            "contentEncoding": properties.content_encoding,
            "headers": None if headers is None else _field(headers),
            "deliveryMode": properties.delivery_mode,
            "priority": properties.priority,
            "correlationId": properties.correlation_id,
            "replyTo": properties.reply_to,
            "expiration": properties.expiration,
            "messageId": properties.message_id,
            "timestamp": None if timestamp is None else us_medium(timestamp),
            "type": properties.message_type,
            "userId": properties.user_id,
            "appId": properties.app_id,
            # pamqp makes an absent cluster id "" (the property is deprecated, unused).
            "clusterId": properties.cluster_id or None,
            "bodySize": len(delivered.body),
        },
        "redelivered": bool(delivered.redelivered),
        "data": base64.b64encode(delivered.body).decode("ascii"),
    }


def _field(value: Any) -> Any:
    """A header value as JSON, the way Lambda's poller writes the Java client's.

    One frame per level of nesting, in loops rather than comprehensions (a frame each):
    pamqp takes two per level to decode a table, in a deeper stack, so whatever it could
    decode is converted here without reaching the recursion limit."""
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, str):
        return {"bytes": _signed(value.encode())}
    if isinstance(value, bytes):
        # A long string that is not UTF-8 (pamqp leaves it undecoded).
        return {"bytes": _signed(value)}
    if isinstance(value, bytearray):
        return _signed(value)
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, datetime):
        return us_medium(value)
    if isinstance(value, dict):
        table: dict[str, Any] = {}
        for key, item in value.items():
            table[str(key)] = _field(item)
        return table
    if isinstance(value, list | tuple):
        items: list[Any] = []
        for item in value:
            items.append(_field(item))
        return items
    return str(value)


def _signed(data: bytes | bytearray) -> list[int]:
    return [byte - 256 if byte > 127 else byte for byte in data]


def us_medium(moment: datetime) -> str:
    """``moment`` in UTC as Java's US medium date-time format writes it:
    ``Jan 1, 1970, 12:33:41 AM``."""
    moment = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    hour = moment.hour % 12 or 12
    half = "AM" if moment.hour < 12 else "PM"
    return (
        f"{_MONTHS[moment.month - 1]} {moment.day}, {moment.year}, "
        f"{hour}:{moment.minute:02}:{moment.second:02} {half}"
    )


def _vhost_refused(error: BaseException) -> bool:
    """Whether ``error`` is the broker's NOT_ALLOWED answer to opening the vhost."""
    if isinstance(error, aiormq.exceptions.ConnectionClosed):
        return bool(error.args) and error.args[0] == NOT_ALLOWED
    # aiormq 7.2 reports a Connection.Close in answer to Connection.Open as an unexpected
    # frame, without its reply code; the answer to nothing else is awaited there.
    return isinstance(error, aiormq.exceptions.InvalidFrameError) and (
        "Connection.OpenOk" in str(error) and "Connection.Close" in str(error)
    )


def _reply_text(error: BaseException) -> str:
    if len(error.args) >= 2:
        return str(error.args[1])
    return _describe(error)


def _describe(error: BaseException) -> str:
    text = str(error)
    return text if text else type(error).__name__
