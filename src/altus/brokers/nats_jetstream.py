"""NATS JetStream: a mapping reads subjects through durable pull consumers (nats-py).

Altus makes no streams: each subject of the mapping must be captured by a stream the user
made. On each stream that captures one of the subjects, Altus keeps one durable pull
consumer, named by the mapping's ConsumerGroupId or else ``altus-<mapping UUID>``, that
filters the mapping's subjects of that stream. A NATS consumer name may not contain
``.``, ``*``, ``>``, ``/``, ``\\`` or whitespace: a ConsumerGroupId that does is refused
(it is not rewritten, so that the name on the server stays the one the user gave).

A new consumer starts at the stream's first message (``TRIM_HORIZON``) or with the
messages stored after it is made (``LATEST``, the default). An existing one keeps its
position; its ack wait and its most unacknowledged messages follow the mapping.

- **Acknowledging.** Acks are explicit and confirmed by the server (``ack_sync``). The ack
  wait is the subscription's ``hold_seconds``; ``hold`` restarts it (``in_progress``) for
  everything in hand, handed out or not.
- **Order.** A consumer delivers at most ``BatchSize`` unacknowledged messages, and the
  poller fetches again only once all it holds are acknowledged, so a stream's messages
  reach the function in order. A fetch pulls no more than it may return, in all its
  streams together; a message delivered again while in hand (its ack wait ran out) is not
  handed out twice. Messages left unacknowledged by an earlier consumer (one that lost
  its connection, an Altus that stopped) come back only when their ack wait runs out;
  until they are acknowledged, the consumer is narrowed to that many unacknowledged
  messages so that nothing newer passes them.
- **Closing** gives back what is in hand (``nak``), and what nats-py has received for a
  pull and not returned yet, so that the next consumer gets it at once rather than after
  the ack wait. A pull a stop interrupted is waited out for a moment first: what nats-py
  collected for it is reachable only once it returns. Closing is bounded: a server that
  stops reading would keep nats-py waiting for ever, so past its time the socket is
  dropped.

The record of a message (Altus's own shape, modelled on Kinesis records)::

    {
      "eventSource": "altus:nats",
      "eventVersion": "1.0",
      "eventID": "<stream>:<stream sequence>",
      "nats": {
        "subject": "orders.eu.created",
        "stream": "ORDERS",
        "sequence": 42,                       # the stream sequence
        "timestamp": 1733360000.123456,       # stored at, epoch seconds
        "deliveryCount": 1,                   # 2 and up: delivered again
        "headers": {"Nats-Msg-Id": ["a1"]},   # or null; one value per name (nats-py)
        "data": "eyJpZCI6IDF9"                # the payload, base64
      }
    }

Filters see ``{"data": ..., "subject": ...}``: the payload parsed as JSON where it is a
JSON object or array (text otherwise), under the same top-level ``data`` key as Kinesis
filters use, and the subject, which is what tells apart the messages of a mapping whose
subjects have wildcards. The rest of the record (sequences, delivery counts, times) is
delivery bookkeeping, not content to route on.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
import math
from collections import deque
from collections.abc import Coroutine, Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import nats
import nats.errors
import nats.js.errors
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.js import JetStreamContext, api

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

log = logging.getLogger(__name__)

SOURCE = "altus:nats"
#: One attempt to reach the server (TCP, TLS, the CONNECT handshake).
CONNECT_TIMEOUT = 5.0
#: A JetStream API call or a confirmed ack.
REQUEST_TIMEOUT = 5.0
#: A flush's round trip (nats-py takes whole seconds).
FLUSH_TIMEOUT = 5
#: nats-py's fetch takes no zero wait; this leaves a round trip for the server's answer.
SHORTEST_WAIT = 0.05
#: How long a close waits for a pull that a stop interrupted (the poller's idle fetch
#: waits a second): nats-py hands out what it collected only when the pull returns.
PULL_GRACE = 1.5
#: How many times a close looks for what came for a pull and was not taken.
GIVE_BACK_ROUNDS = 3
#: The most giving back what is in hand may take when closing; then closing the
#: connection. Past either, the socket is dropped.
GIVE_BACK_TIMEOUT = 10.0
CLOSE_TIMEOUT = 5.0
#: After the socket is dropped: how long, and how many times, work still running on the
#: connection is cancelled and waited for.
ABORT_GRACE = 0.5
ABORT_ATTEMPTS = 3
#: Characters a NATS consumer name may not hold (besides whitespace).
FORBIDDEN = frozenset(".*>/\\")


def connect(subscription: Subscription) -> Consumer:
    return JetStreamConsumer(subscription)


def consumer_name(subscription: Subscription) -> str:
    """The durable consumer's name; ``BrokerError(CONFIGURATION)`` if NATS would refuse
    it."""
    name = subscription.consumer_group or f"altus-{subscription.mapping_id}"
    if any(c in FORBIDDEN or c.isspace() for c in name):
        raise BrokerError(
            CONFIGURATION,
            f"{name!r} cannot name a NATS consumer: it may not contain '.', '*', '>', "
            "'/', '\\' or whitespace",
        )
    return name


@dataclass(slots=True)
class _Pull:
    stream: str
    subscription: JetStreamContext.PullSubscription


class JetStreamConsumer:
    def __init__(self, subscription: Subscription) -> None:
        self._subscription = subscription
        self._where = _where(subscription.endpoint.url)
        self._nc: Client | None = None
        self._js: JetStreamContext | None = None
        self._name = ""
        self._pulls: list[_Pull] = []
        #: Pulled from the server and not handed out yet (a fetch may bring more than
        #: asked: several streams, or nats-py draining what came late).
        self._ready: deque[Message] = deque()
        #: Handed out or ready and not acknowledged, in delivery order, by message id:
        #: given back on close. A message delivered again while in hand is kept with its
        #: latest delivery, which is the one NATS takes ``in_progress`` for.
        self._unacked: dict[str, Msg] = {}
        #: A pull under way: a fetch interrupted while it ran leaves it to ``close``.
        self._pulling: asyncio.Task[None] | None = None
        #: Which stream is asked first: they take turns, so that a limit smaller than
        #: their number starves none.
        self._turn = 0
        #: Streams whose consumer is narrowed until an earlier consumer's leftovers are
        #: acknowledged: the last stream sequence that consumer was delivered.
        self._narrowed: dict[str, int] = {}
        self._last_error: Exception | None = None

    async def open(self) -> None:
        self._name = consumer_name(self._subscription)
        self._nc = await self._connect()
        self._js = self._nc.jetstream(timeout=REQUEST_TIMEOUT)
        try:
            for stream, subjects in (await self._streams(self._nc, required=True)).items():
                await self._ensure(self._js, stream, subjects)
                pull = await self._js.pull_subscribe_bind(consumer=self._name, stream=stream)
                self._pulls.append(_Pull(stream, pull))
        except Exception as error:
            raise self._failure(error) from error

    async def fetch(self, limit: int, wait: float) -> list[Message]:
        self._connected()
        if limit < 1:
            return []
        if self._ready:
            # Pulled during an earlier round: their ack wait restarts now.
            handed = self._take(limit)
            await self.hold(handed)
            return handed
        # Shielded: a pull that nats-py is interrupted in loses what it had collected
        # (neither handed out nor given back until the ack wait ends); close waits for it.
        pulling = asyncio.ensure_future(self._pull(limit, wait))
        pulling.add_done_callback(_settled)
        self._pulling = pulling
        try:
            await asyncio.shield(pulling)
        except Exception as error:
            raise self._failure(error) from error
        finally:
            if pulling.done():
                self._pulling = None
        return self._take(limit)

    async def _pull(self, limit: int, wait: float) -> None:
        """Pull at most ``limit`` messages (what nats-py received late may add a few),
        from all streams together, and ready them."""
        pulls = self._pulls
        if len(pulls) == 1:
            self._record(await _pulled(pulls[0], limit, wait))
            return
        self._turn = (self._turn + 1) % len(pulls)
        order = pulls[self._turn :] + pulls[: self._turn]
        # What the streams have now, shared out (more than ``limit`` in all would wait in
        # ``_ready``, their ack wait running); the share of a stream that had none goes
        # to those that filled theirs (they may have more). Then, if none had anything,
        # the wait, shared out the same way.
        got = 0
        asking = order
        for _ in range(len(order)):
            shares = _shares(limit - got, asking)
            found = await asyncio.gather(*(_pulled(p, n, SHORTEST_WAIT) for p, n in shares))
            for msgs in found:
                self._record(msgs)
                got += len(msgs)
            asking = [p for (p, n), msgs in zip(shares, found, strict=True) if len(msgs) >= n]
            if got >= limit or not asking:
                break
        if got or wait <= SHORTEST_WAIT:
            return
        shares = _shares(limit, order)
        found = await asyncio.gather(*(_pulled(p, n, wait) for p, n in shares))
        for msgs in found:
            self._record(msgs)

    def _record(self, msgs: Iterable[Msg]) -> None:
        """Note ``msgs`` as in hand (a close gives them back), then ready them."""
        fresh: list[tuple[str, Msg]] = []
        for msg in msgs:
            key = _key(msg)
            if key is None:
                log.warning("%s: a pulled message is no JetStream delivery: skipped", self._where)
                continue
            if key in self._unacked:
                # Its ack wait ran out while it was in hand (in ``_ready`` or in a batch).
                # The latest delivery is the one NATS takes ``in_progress`` for; the
                # stream sequence is what an ack settles, whichever delivery it names.
                self._unacked[key] = msg
                continue
            self._unacked[key] = msg
            fresh.append((key, msg))
        for key, msg in fresh:
            self._ready.append(_message(key, msg))

    def _take(self, limit: int) -> list[Message]:
        return [self._ready.popleft() for _ in range(min(limit, len(self._ready)))]

    async def ack(self, messages: Sequence[Message]) -> None:
        self._connected()
        done = await asyncio.gather(*(self._ack(m) for m in messages), return_exceptions=True)
        for outcome in done:
            if isinstance(outcome, Exception):
                raise self._failure(outcome) from outcome
            if isinstance(outcome, BaseException):
                raise outcome
        if self._narrowed:
            try:
                await self._widen()
            except Exception as error:
                raise self._failure(error) from error

    async def _ack(self, message: Message) -> None:
        # Each leaves what is in hand as the server confirms it: one that failed (and
        # those after it) are given back on close; those done are not.
        await _ack(self._unacked.get(message.id, message.token))
        self._unacked.pop(message.id, None)

    async def hold(self, messages: Sequence[Message]) -> None:
        """Everything in hand, not only ``messages``: those pulled and not handed out yet
        wait for a batch that may be retried for long."""
        nc = self._connected()
        try:
            for msg in list(self._unacked.values()):
                await msg.in_progress()
            # The flush's round trip confirms the server has read them.
            await nc.flush(timeout=FLUSH_TIMEOUT)
        except Exception as error:
            raise self._failure(error) from error

    def event(self, messages: Sequence[Message]) -> dict[str, Any]:
        return records_event(messages)

    async def close(self) -> None:
        nc, self._nc, self._js = self._nc, None, None
        if nc is not None:
            where = self._where
            await _bounded(nc, self._give_back(nc), GIVE_BACK_TIMEOUT, f"{where}: giving back")
            await _bounded(nc, nc.close(), CLOSE_TIMEOUT, f"{where}: closing")
        if self._pulling is not None:
            self._pulling.cancel()
            self._pulling = None
        self._unacked.clear()
        self._ready.clear()
        self._pulls.clear()

    async def _give_back(self, nc: Client) -> None:
        """``nak`` what is in hand, and what nats-py received for a pull and has not
        returned: the next consumer gets it at once, not after the ack wait."""
        pulling = self._pulling
        if pulling is not None and not pulling.done():
            await asyncio.wait({pulling}, timeout=PULL_GRACE)
            # Still waiting for messages: what it has is lost to the ack wait.
            pulling.cancel()
        if not nc.is_connected:
            return
        given: set[str | None] = set(self._unacked)
        giving = list(self._unacked.values())
        for _ in range(GIVE_BACK_ROUNDS):
            await self._nak(nc, giving)
            # The round trip also means that much of what the server sent before it has
            # been read: not all, JetStream sends from a queue of its own.
            await nc.flush(timeout=FLUSH_TIMEOUT)
            giving = [msg for msg in self._queued() if _key(msg) not in given]
            if not giving:
                return
            given.update(_key(msg) for msg in giving)
        await self._nak(nc, giving)
        await nc.flush(timeout=FLUSH_TIMEOUT)

    async def _nak(self, nc: Client, msgs: Sequence[Msg]) -> None:
        for msg in msgs:
            if not nc.is_connected:
                log.debug("%s: the connection closed while giving back messages", self._where)
                return
            try:
                await msg.nak()
            except Exception as error:
                log.debug("%s: could not give back %s: %s", self._where, msg.reply, error)

    def _queued(self) -> list[Msg]:
        """What nats-py received for the pulls and no fetch took: messages that came
        after a pull ended. nats-py has no public call for it: its pending queue."""
        found: list[Msg] = []
        for pull in self._pulls:
            queue: asyncio.Queue[Msg] = pull.subscription._sub._pending_queue
            for _ in range(queue.qsize()):
                msg = queue.get_nowait()
                if msg.reply and not JetStreamContext.is_status_msg(msg):
                    found.append(msg)
        return found

    async def forget(self) -> None:
        name = consumer_name(self._subscription)
        nc = await self._connect()
        try:
            js = nc.jetstream(timeout=REQUEST_TIMEOUT)
            for stream in await self._streams(nc, required=False):
                with contextlib.suppress(nats.js.errors.NotFoundError):
                    await js.delete_consumer(stream, name)
        except Exception as error:
            raise self._failure(error) from error
        finally:
            await _bounded(nc, nc.close(), CLOSE_TIMEOUT, f"{self._where}: closing")

    async def _connect(self) -> Client:
        endpoint = self._subscription.endpoint
        url = endpoint.url
        credentials: dict[str, Any] = {}
        if endpoint.username is not None or endpoint.password is not None:
            url = _without_userinfo(url)
            credentials = {"user": endpoint.username, "password": endpoint.password}
        try:
            return await nats.connect(
                servers=[url],
                name=f"altus mapping {self._subscription.mapping_id}",
                connect_timeout=CONNECT_TIMEOUT,
                # A lost connection ends the consumer (the poller connects again); at
                # the start, the one server is tried twice before giving up.
                allow_reconnect=False,
                max_reconnect_attempts=1,
                reconnect_time_wait=0.5,
                error_cb=self._noted,
                **credentials,
            )
        except Exception as error:
            raise self._failure(error) from error

    async def _noted(self, error: Exception) -> None:
        self._last_error = error
        log.debug("%s: %s", self._where, error)

    async def _streams(self, nc: Client, *, required: bool) -> dict[str, list[str]]:
        """The streams that capture the subscription's subjects, each with the subjects
        it captures, in the subscription's order."""
        found: dict[str, list[str]] = {}
        for subject in self._subscription.names:
            # JetStream's own lookup: every stream whose subjects overlap ``subject``
            # (nats-py's find_stream_name_by_subject keeps only the first).
            try:
                reply = await nc.request(
                    f"{api.DEFAULT_PREFIX}.STREAM.NAMES",
                    json.dumps({"subject": subject}).encode(),
                    timeout=REQUEST_TIMEOUT,
                )
            except nats.errors.NoRespondersError as error:
                raise BrokerError(
                    CONFIGURATION, f"JetStream is not enabled on {self._where}"
                ) from error
            answer = json.loads(reply.data)
            if "error" in answer:
                raise BrokerError(
                    CONFIGURATION,
                    f"{self._where} cannot list streams: {answer['error'].get('description')}",
                )
            streams = answer.get("streams") or []
            if not streams and required:
                raise BrokerError(
                    CONFIGURATION,
                    f"no JetStream stream captures subject {subject!r} on {self._where}",
                )
            for stream in streams:
                found.setdefault(stream, []).append(subject)
        return found

    async def _ensure(self, js: JetStreamContext, stream: str, subjects: list[str]) -> None:
        """Make the durable consumer on ``stream`` if there is none; bring an existing
        one's settings in line with the subscription, keeping its position."""
        sub = self._subscription
        if len(subjects) > 1 and not self._takes_several_subjects():
            raise BrokerError(
                CONFIGURATION,
                f"subjects {', '.join(map(repr, subjects))} are all in stream {stream!r}: "
                "one consumer reads several subjects of a stream from NATS 2.10 on, and "
                f"{self._where} runs {self._server_version()}",
            )
        filters = _filters(subjects)
        try:
            info = await js.consumer_info(stream, self._name)
        except nats.js.errors.NotFoundError:
            position = (
                api.DeliverPolicy.ALL
                if sub.starting_position == "TRIM_HORIZON"
                else api.DeliverPolicy.NEW
            )
            config = api.ConsumerConfig(
                name=self._name,
                durable_name=self._name,
                description=f"Altus event source mapping {sub.mapping_id}",
                deliver_policy=position,
                ack_policy=api.AckPolicy.EXPLICIT,
                ack_wait=sub.hold_seconds,
                max_ack_pending=sub.batch_size,
                **filters,
            )
            made = await js.add_consumer(stream, config)
            self._check_filters(stream, made.config, subjects)
            return
        config = info.config
        if config.deliver_subject:
            raise BrokerError(
                CONFIGURATION,
                f"consumer {self._name!r} of stream {stream!r} is a push consumer; "
                "Altus reads through a pull consumer",
            )
        if config.ack_policy != api.AckPolicy.EXPLICIT:
            raise BrokerError(
                CONFIGURATION,
                f"consumer {self._name!r} of stream {stream!r} does not take explicit acks",
            )
        # Messages an earlier consumer left unacknowledged come back after their ack
        # wait; while they are out, no more than they may be, so none newer passes them.
        left = info.num_ack_pending
        if left:
            self._narrowed[stream] = info.delivered.stream_seq if info.delivered else 0
        changes: dict[str, Any] = {}
        if config.ack_wait is None or not math.isclose(config.ack_wait, sub.hold_seconds):
            changes["ack_wait"] = sub.hold_seconds
        if config.max_ack_pending != (left or sub.batch_size):
            changes["max_ack_pending"] = left or sub.batch_size
        if sorted(_filtered(config)) != sorted(subjects):
            changes.update(filters)
        if changes:
            updated = await js.add_consumer(stream, config.evolve(**changes))
            self._check_filters(stream, updated.config, subjects)

    async def _widen(self) -> None:
        """Give narrowed consumers back ``BatchSize`` once nothing an earlier consumer
        left is unacknowledged: once the ack floor passed all it was delivered (what
        this one was delivered since may be out)."""
        js = self._js
        assert js is not None
        for stream, last in sorted(self._narrowed.items()):
            info = await js.consumer_info(stream, self._name)
            if info.ack_floor is not None and info.ack_floor.stream_seq >= last:
                batch = self._subscription.batch_size
                await js.add_consumer(stream, info.config.evolve(max_ack_pending=batch))
                del self._narrowed[stream]

    def _check_filters(self, stream: str, config: api.ConsumerConfig, subjects: list[str]) -> None:
        # A server that does not know a field ignores it: a consumer without its filter
        # would read the whole stream.
        if sorted(_filtered(config)) != sorted(subjects):
            raise BrokerError(
                CONFIGURATION,
                f"{self._where} did not keep consumer {self._name!r} of stream {stream!r} "
                f"to subjects {', '.join(map(repr, subjects))}",
            )

    def _takes_several_subjects(self) -> bool:
        assert self._nc is not None
        version = self._nc.connected_server_version
        return (version.major, version.minor) >= (2, 10)

    def _server_version(self) -> str:
        assert self._nc is not None
        version = self._nc.connected_server_version
        return f"NATS {version.major}.{version.minor}.{version.patch}"

    def _connected(self) -> Client:
        if self._nc is None or self._nc.is_closed:
            raise BrokerError(CONNECTION, f"the connection to {self._where} is closed")
        return self._nc

    def _failure(self, error: BaseException) -> BrokerError:
        """``error`` as a ``BrokerError`` of the kind a user acts on."""
        if isinstance(error, BrokerError):
            return error
        if isinstance(error, nats.errors.NoServersError) and self._last_error is not None:
            error = self._last_error
        text = str(error) or type(error).__name__
        lowered = text.lower()
        if isinstance(error, nats.errors.AuthorizationError) or (
            "authorization" in lowered or "authentication" in lowered
        ):
            return BrokerError(AUTHENTICATION, f"{self._where} refused the credentials: {text}")
        if isinstance(error, nats.js.errors.BadRequestError | nats.js.errors.NotFoundError):
            # JetStream refused what the mapping asks for (a consumer's settings) or it is
            # gone (a stream deleted meanwhile).
            return BrokerError(CONFIGURATION, f"{self._where}: {text}")
        return BrokerError(CONNECTION, f"{self._where}: {text}")


async def _pulled(pull: _Pull, limit: int, wait: float) -> list[Msg]:
    try:
        return await pull.subscription.fetch(limit, timeout=max(wait, SHORTEST_WAIT))
    except TimeoutError:
        return []


def _shares(total: int, pulls: Sequence[_Pull]) -> list[tuple[_Pull, int]]:
    """``total`` shared out among ``pulls``, the first ones taking the remainder; those
    whose share is none are left out."""
    each, rest = divmod(total, len(pulls))
    shares = [(pull, each + (1 if i < rest else 0)) for i, pull in enumerate(pulls)]
    return [(pull, n) for pull, n in shares if n > 0]


async def _bounded(nc: Client, work: Coroutine[Any, Any, None], seconds: float, what: str) -> None:
    """Run ``work`` on ``nc`` for ``seconds`` at most; then drop the socket.

    nats-py waits without end on a server that stops reading (a drain of what it writes,
    the close's ``wait_closed``), and swallows a cancellation while it waits to flush: so
    ``work`` runs as a task that is waited for, not cancelled in place, and dropping the
    socket is what ends its waits."""
    task = asyncio.ensure_future(work)
    try:
        done, _ = await asyncio.wait({task}, timeout=seconds)
        if not done:
            log.debug("%s took over %g s: the socket is dropped", what, seconds)
            _abort(nc)
            for attempt in range(ABORT_ATTEMPTS):
                if attempt:
                    task.cancel()
                done, _ = await asyncio.wait({task}, timeout=ABORT_GRACE)
                if done:
                    break
            else:
                log.warning("%s did not end when the socket was dropped", what)
                return
    except BaseException:
        _abort(nc)
        task.cancel()
        raise
    if not task.cancelled() and (error := task.exception()) is not None:
        log.debug("%s: %s", what, error)


def _settled(task: asyncio.Task[None]) -> None:
    # A pull left to close may fail with nobody awaiting it: its error is not news.
    if not task.cancelled():
        task.exception()


def _abort(nc: Client) -> None:
    """Close ``nc``'s socket at once, dropping what it has not sent. nats-py has no call
    for it: its transport's stream writer."""
    writer = getattr(getattr(nc, "_transport", None), "_io_writer", None)
    if writer is not None:
        writer.transport.abort()


async def _ack(msg: Msg) -> None:
    with contextlib.suppress(nats.errors.MsgAlreadyAckdError):
        await msg.ack_sync(timeout=REQUEST_TIMEOUT)


def _key(msg: Msg) -> str | None:
    """The message's id, ``<stream>:<stream sequence>``, from its reply subject; None if it
    has none (no JetStream delivery)."""
    try:
        meta = msg.metadata
        return f"{meta.stream}:{meta.sequence.stream}"
    except Exception:
        return None


def _message(event_id: str, msg: Msg) -> Message:
    """The message as the function sees it. Never raises: a message pulled is in hand,
    and one that could not be handed out would stay there."""
    meta = msg.metadata
    record = {
        "eventSource": SOURCE,
        "eventVersion": "1.0",
        "eventID": event_id,
        "nats": {
            "subject": msg.subject,
            "stream": meta.stream,
            "sequence": meta.sequence.stream,
            "timestamp": meta.timestamp.timestamp(),
            "deliveryCount": meta.num_delivered,
            "headers": (
                {name: [value] for name, value in msg.headers.items()} if msg.headers else None
            ),
            "data": base64.b64encode(msg.data).decode(),
        },
    }
    return Message(
        id=event_id,
        group=msg.subject,
        record=record,
        filter_view={"data": parsed(msg.data.decode(errors="replace")), "subject": msg.subject},
        size=len(json.dumps(record)),
        token=msg,
    )


def _filters(subjects: list[str]) -> dict[str, Any]:
    """The consumer settings that keep it to ``subjects``."""
    if len(subjects) == 1:
        return {"filter_subject": subjects[0], "filter_subjects": None}
    return {"filter_subject": None, "filter_subjects": list(subjects)}


def _filtered(config: api.ConsumerConfig) -> list[str]:
    if config.filter_subjects:
        return list(config.filter_subjects)
    return [config.filter_subject] if config.filter_subject else []


def _without_userinfo(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


def _where(url: str) -> str:
    """The server, for messages: its host and port, never its credentials."""
    try:
        parts = urlsplit(url)
        return f"NATS at {parts.hostname}:{parts.port or 4222}"
    except ValueError:
        return "NATS"
