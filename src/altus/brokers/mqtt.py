"""MQTT topic filters read through a persistent session (MQTT 5, QoS 1), with aiomqtt.

Each mapping is one MQTT session on the broker, named by its client id (the mapping's
``ConsumerGroupId``, or ``altus-<mapping UUID>``). The session is made with Clean Start
off and a Session Expiry Interval of 0xFFFFFFFF (it never expires), so the broker keeps
the subscriptions and queues QoS 1 messages while Altus is away; ``forget`` ends it.

MQTT 5 rather than 3.1.1 with Clean Session off, for what 3.1.1 cannot say:

- Receive Maximum: the broker sends at most ``batch_size`` unacknowledged messages at a
  time. Mosquitto takes it in place of its ``max_inflight_messages`` (20 by default,
  which is all a 3.1.1 client gets).
- Retain Handling 1: a retained message is sent when a subscription is made, not again
  each time a consumer reconnects and subscribes anew.
- Reason codes in CONNACK and SUBACK, and the message properties the record carries.
- Session Expiry 0 at connect: how ``forget`` ends a session without leaving one behind.

Acknowledgement is manual: paho sends a message's PUBACK only when ``ack`` asks for it.
Until then the message is in flight; MQTT never resends it on a live connection, and
the broker sends it again (DUP set, in its first order, before anything queued) when
the session resumes after a reconnect.

Messages published at QoS 0 arrive at QoS 0, outside Receive Maximum: the broker sends
them as they come. Those waiting for the function are bounded (``QOS0_BATCHES`` batches);
past that the oldest are dropped, counted and logged: QoS 0 is at most once.

aiomqtt keeps the connection (connect, subscribe, the socket on the event loop, keep
alive, disconnect). What it has no API for is done on its paho client: turning on
paho's manual acknowledgements, sending a PUBACK (``paho.ack``, then ``loop_write``),
receiving the messages themselves (paho's ``on_message``), because aiomqtt's own
``Message`` drops the DUP flag that the record reports, and closing the socket for
certain where a connect or a disconnect did not finish (aiomqtt leaves it open).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
import ssl
from collections import deque
from collections.abc import Sequence
from typing import Any
from urllib.parse import unquote, urlsplit

import aiomqtt
import paho.mqtt.client as paho
from aiomqtt.exceptions import MqttConnectError
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode
from paho.mqtt.subscribeoptions import SubscribeOptions

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

#: The most one exchange with the broker may take (a CONNACK, a SUBACK, a disconnect).
TIMEOUT = 10.0
#: Seconds between keep-alive pings: how soon a silently dead connection is noticed.
KEEPALIVE = 30
#: "Never expires": the session lasts until ``forget`` ends it.
SESSION_NEVER_EXPIRES = 0xFFFFFFFF
#: The largest Receive Maximum MQTT 5 can say.
MAX_RECEIVE_MAXIMUM = 65535
#: How many batches of QoS 0 messages may wait for the function; the oldest beyond are
#: dropped (the broker sends QoS 0 as it comes, whatever is in flight).
QOS0_BATCHES = 4
#: How often ``ack`` looks again when the socket did not take all PUBACKs at once.
FLUSH_POLL = 0.01

#: CONNACK reason codes that mean the credentials were refused.
_REFUSED_CREDENTIALS = {
    0x86,  # Bad User Name or Password
    0x87,  # Not authorized
    0x8A,  # Banned
    0x8C,  # Bad authentication method
}
_UNSUPPORTED_PROTOCOL_VERSION = 0x84
_CLIENT_ID_NOT_VALID = 0x85
#: Reasons a broker gives for closing the connection in answer to a SUBSCRIBE instead of
#: refusing it in a SUBACK (Mosquitto does so for a filter deeper than 200 levels).
_REFUSED_SUBSCRIPTION = {
    0x81,  # Malformed Packet
    0x82,  # Protocol Error
    0x87,  # Not authorized
    0x8F,  # Topic Filter invalid
    0x9E,  # Shared Subscriptions not supported
    0xA2,  # Wildcard Subscriptions not supported
}


def connect(subscription: Subscription) -> Consumer:
    return MqttConsumer(subscription)


class MqttConsumer:
    """One mapping's MQTT session."""

    def __init__(self, subscription: Subscription) -> None:
        self._subscription = subscription
        parts = urlsplit(subscription.endpoint.url)
        self._tls = parts.scheme == "mqtts"
        self._host = parts.hostname or ""
        self._port = parts.port or (8883 if self._tls else 1883)
        endpoint = subscription.endpoint
        if endpoint.username is not None:
            self._username: str | None = endpoint.username
            self._password = endpoint.password
        else:
            self._username = unquote(parts.username) if parts.username is not None else None
            self._password = unquote(parts.password) if parts.password is not None else None
        self.client_id = subscription.consumer_group or f"altus-{subscription.mapping_id}"
        self._client: aiomqtt.Client | None = None
        #: Ends (with the error to raise) when the connection is lost.
        self._watch: asyncio.Task[BrokerError] | None = None
        #: Received and not fetched yet, in the broker's order.
        self._inbox: deque[paho.MQTTMessage] = deque()
        #: How many of those are QoS 0, and the most that may be.
        self._qos0 = 0
        self._qos0_cap = QOS0_BATCHES * max(1, subscription.batch_size)
        #: QoS 0 messages dropped since the consumer was made, and whether dropping is
        #: under way (said once until a fetch takes messages again).
        self.dropped = 0
        self._dropping = False
        #: Set when a message arrives or the connection is lost: what ``fetch`` waits on.
        self._stirred = asyncio.Event()
        #: The last message id given out.
        self._count = 0

    async def open(self) -> None:
        if not self._subscription.names:
            raise BrokerError(CONFIGURATION, "no MQTT topic filter to subscribe to")
        for name in self._subscription.names:
            try:
                aiomqtt.Wildcard(name)
            except ValueError:
                raise BrokerError(
                    CONFIGURATION, f"{name!r} is not a valid MQTT topic filter"
                ) from None
        properties = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        properties.SessionExpiryInterval = SESSION_NEVER_EXPIRES
        properties.ReceiveMaximum = max(1, min(self._subscription.batch_size, MAX_RECEIVE_MAXIMUM))
        client = self._new_client(clean_start=False, properties=properties)
        paho_client = _paho(client)
        paho_client.manual_ack_set(True)
        paho_client.on_message = self._arrived
        await self._enter(client)
        self._client = client
        self._watch = asyncio.create_task(self._watch_connection(client))
        self._watch.add_done_callback(lambda _: self._stirred.set())
        try:
            await self._subscribe(client)
        except BaseException:
            await self.close()
            raise

    async def _subscribe(self, client: aiomqtt.Client) -> None:
        names = self._subscription.names
        options = SubscribeOptions(qos=1, retainHandling=SubscribeOptions.RETAIN_SEND_IF_NEW_SUB)
        asking = asyncio.create_task(client.subscribe([(name, options) for name in names]))
        assert self._watch is not None
        # aiomqtt waits out its timeout for a SUBACK even if the broker has closed the
        # connection instead of answering: the watch says so at once.
        await asyncio.wait({asking, self._watch}, return_when=asyncio.FIRST_COMPLETED)
        if not asking.done():
            asking.cancel()
            await asyncio.gather(asking, return_exceptions=True)
            lost = self._watch.result()
            if lost.kind == CONNECTION and _reason(lost.__cause__) in _REFUSED_SUBSCRIPTION:
                raise BrokerError(
                    CONFIGURATION,
                    f"the MQTT broker refused to subscribe to {', '.join(names)}: {lost.message}",
                ) from lost.__cause__
            raise BrokerError(lost.kind, lost.message) from lost.__cause__
        try:
            granted: Sequence[int | ReasonCode] = asking.result()
        except ValueError as error:
            raise BrokerError(
                CONFIGURATION, f"an MQTT topic filter is not valid: {error}"
            ) from None
        except aiomqtt.MqttError as error:
            raise BrokerError(
                CONNECTION, f"subscribing at the MQTT broker failed: {error}"
            ) from error
        for name, code in zip(names, granted, strict=True):
            value = code.value if isinstance(code, ReasonCode) else code
            if value >= 0x80:
                raise BrokerError(
                    CONFIGURATION,
                    f"the MQTT broker refused the subscription to {name!r}: {code}",
                )
            if value < 1:
                # QoS 0 would lose messages whenever a batch fails or Altus stops.
                raise BrokerError(
                    CONFIGURATION,
                    f"the MQTT broker grants only QoS 0 on {name!r}; Altus needs QoS 1",
                )

    async def fetch(self, limit: int, wait: float) -> list[Message]:
        self._check()
        if not self._inbox and wait > 0:
            self._stirred.clear()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(wait):
                    await self._stirred.wait()
            self._check()
        taken: list[Message] = []
        while self._inbox and len(taken) < limit:
            # Made before it leaves the inbox (``_message`` never raises).
            taken.append(self._message(self._inbox[0]))
            if self._inbox.popleft().qos == 0:
                self._qos0 -= 1
        if taken and self._dropping:
            self._dropping = False
            log.warning(
                "MQTT session %s: %d QoS 0 messages dropped so far", self.client_id, self.dropped
            )
        return taken

    async def ack(self, messages: Sequence[Message]) -> None:
        client = self._check()
        paho_client = _paho(client)
        for message in messages:
            mid, qos = message.token
            if qos == 0:
                continue  # nothing to acknowledge: the broker already forgot it
            code = paho_client.ack(mid, qos)
            if code != paho.MQTT_ERR_SUCCESS:
                raise BrokerError(
                    CONNECTION, f"acknowledging an MQTT message failed: {paho.error_string(code)}"
                )
        await self._flushed(paho_client)

    async def _flushed(self, paho_client: paho.Client) -> None:
        """Wait until paho has written the PUBACKs to the socket: MQTT answers none of
        them, so their leaving is as far as the protocol confirms."""
        try:
            async with asyncio.timeout(TIMEOUT):
                for _ in range(10**12):  # until written, or the timeout
                    self._check()
                    # paho's call for a loop of one's own: what the socket takes now.
                    code = paho_client.loop_write()
                    if code != paho.MQTT_ERR_SUCCESS:
                        raise BrokerError(
                            CONNECTION,
                            "sending the acknowledgements failed: " + paho.error_string(code),
                        )
                    if not paho_client.want_write():
                        break
                    # The socket is full: aiomqtt writes the rest as it drains.
                    await asyncio.sleep(FLUSH_POLL)
        except TimeoutError:
            raise BrokerError(
                CONNECTION, f"the acknowledgements were not sent within {TIMEOUT:g} s"
            ) from None
        self._check()

    async def hold(self, messages: Sequence[Message]) -> None:
        """Nothing to do: MQTT never takes back an in-flight message while the
        connection lasts."""

    def event(self, messages: Sequence[Message]) -> dict[str, Any]:
        return records_event(messages)

    async def close(self) -> None:
        client, self._client = self._client, None
        watch, self._watch = self._watch, None
        if watch is not None:
            watch.cancel()
            await asyncio.gather(watch, return_exceptions=True)
        if client is not None:
            try:
                async with asyncio.timeout(TIMEOUT):
                    await client.__aexit__(None, None, None)
            except Exception as error:  # a close must not fail: the broker drops us anyway
                log.debug("closing the MQTT session %s: %s", self.client_id, error)
            finally:
                _hang_up(client)
        # Whatever came until the end goes back to the broker with the connection.
        self._inbox.clear()
        self._qos0 = 0

    async def forget(self) -> None:
        """End the session: connect with Clean Start, which drops what the broker kept
        for this client id (subscriptions, queued and in-flight messages), and a Session
        Expiry Interval of 0, so the new empty session ends at the disconnect."""
        await self.close()
        client = self._new_client(clean_start=True, properties=None)
        await self._enter(client)
        try:
            async with asyncio.timeout(TIMEOUT):
                await client.__aexit__(None, None, None)
        except (TimeoutError, aiomqtt.MqttError) as error:
            raise BrokerError(
                CONNECTION, f"ending the MQTT session {self.client_id!r} failed: {error}"
            ) from None
        finally:
            _hang_up(client)

    def _new_client(self, *, clean_start: bool, properties: Properties | None) -> aiomqtt.Client:
        return aiomqtt.Client(
            self._host,
            self._port,
            username=self._username,
            password=self._password,
            identifier=self.client_id,
            protocol=aiomqtt.ProtocolVersion.V5,
            clean_start=clean_start,
            properties=properties,
            keepalive=KEEPALIVE,
            timeout=TIMEOUT,
            tls_context=ssl.create_default_context() if self._tls else None,
        )

    async def _enter(self, client: aiomqtt.Client) -> None:
        """Connect ``client``; a refusal or failure as a ``BrokerError``. Whatever way
        it fails, paho's socket is closed: aiomqtt leaves it open and read, its keep
        alive going, and a CONNACK that comes late would make it the session's holder."""
        entering = asyncio.ensure_future(client.__aenter__())
        try:
            await asyncio.shield(entering)
        except asyncio.CancelledError:
            # aiomqtt connects in a thread that a cancellation does not stop: the socket
            # it opens is closed once the attempt ends, however it ends.
            entering.add_done_callback(lambda _: _hang_up(client))
            entering.add_done_callback(_settled)
            raise
        except BaseException as error:
            _hang_up(client)
            if isinstance(error, aiomqtt.MqttError):
                raise self._refusal(error) from None
            raise

    def _refusal(self, error: aiomqtt.MqttError) -> BrokerError:
        where = f"the MQTT broker at {self._host}:{self._port}"
        if not isinstance(error, MqttConnectError):
            return BrokerError(CONNECTION, f"cannot connect to {where}: {error}")
        code = _reason(error)
        if code in _REFUSED_CREDENTIALS:
            return BrokerError(AUTHENTICATION, f"{where} refused the credentials: {error}")
        if code == _UNSUPPORTED_PROTOCOL_VERSION:
            return BrokerError(
                CONFIGURATION, f"{where} does not speak MQTT 5, which Altus needs: {error}"
            )
        if code == _CLIENT_ID_NOT_VALID:
            return BrokerError(
                CONFIGURATION,
                f"{where} refused client id {self.client_id!r} ({error}): "
                "give the mapping a ConsumerGroupId the broker takes",
            )
        return BrokerError(CONNECTION, f"{where} refused the connection: {error}")

    async def _watch_connection(self, client: aiomqtt.Client) -> BrokerError:
        """Wait until the connection is lost; the error that says why.

        aiomqtt's message iterator ends with ``MqttError`` when the connection is lost.
        Messages come to ``_arrived`` instead (paho's ``on_message``), so it yields
        nothing: waiting on it is waiting for the connection to go."""
        try:
            async for _ in client.messages:
                pass
        except aiomqtt.MqttError as error:
            cause = error.__cause__
            lost = BrokerError(
                CONNECTION, f"the MQTT broker closed the connection: {cause or error}"
            )
            lost.__cause__ = cause
            return lost
        return BrokerError(CONNECTION, "the MQTT connection ended")

    def _arrived(self, _client: paho.Client, _userdata: Any, message: paho.MQTTMessage) -> None:
        # paho calls this from aiomqtt's socket reader, on the event loop's thread.
        self._inbox.append(message)
        if message.qos == 0:
            self._qos0 += 1
            if self._qos0 > self._qos0_cap:
                self._drop_oldest_qos0()
        self._stirred.set()

    def _drop_oldest_qos0(self) -> None:
        for i, waiting in enumerate(self._inbox):
            if waiting.qos == 0:
                del self._inbox[i]
                break
        self._qos0 -= 1
        self.dropped += 1
        if not self._dropping:
            self._dropping = True
            log.warning(
                "MQTT session %s: more than %d QoS 0 messages wait for the function: the "
                "oldest are dropped (QoS 0 is at most once)",
                self.client_id,
                self._qos0_cap,
            )

    def _check(self) -> aiomqtt.Client:
        """The connected client; ``BrokerError`` if there is none (any more)."""
        if self._client is None:
            raise BrokerError(CONNECTION, "the MQTT consumer is not connected")
        if self._watch is not None and self._watch.done():
            lost = self._watch.result()
            raise BrokerError(lost.kind, lost.message) from lost.__cause__
        return self._client

    def _message(self, message: paho.MQTTMessage) -> Message:
        """The message as the function sees it. Never raises: ``fetch`` would lose it."""
        self._count += 1
        event_id = str(self._count)
        topic = message.topic
        payload = bytes(message.payload)
        record = {
            "eventSource": "altus:mqtt",
            "eventVersion": "1.0",
            "eventID": event_id,
            "mqtt": {
                "topic": topic,
                "qos": message.qos,
                "retain": bool(message.retain),
                "duplicate": bool(message.dup),
                "payload": base64.b64encode(payload).decode(),
                "properties": _properties(message.properties),
            },
        }
        return Message(
            id=event_id,
            group=topic,
            record=record,
            filter_view={"topic": topic, "payload": parsed(payload.decode(errors="replace"))},
            size=len(json.dumps(record)),
            token=(message.mid, message.qos),
        )


def _properties(properties: Properties | None) -> dict[str, Any]:
    """The publisher's MQTT 5 properties that a function may use, those present."""
    found: dict[str, Any] = {}
    if properties is None:
        return found
    if hasattr(properties, "ContentType"):
        found["contentType"] = properties.ContentType
    if hasattr(properties, "ResponseTopic"):
        found["responseTopic"] = properties.ResponseTopic
    if hasattr(properties, "CorrelationData"):
        found["correlationData"] = base64.b64encode(properties.CorrelationData).decode()
    if hasattr(properties, "UserProperty"):
        found["userProperties"] = [[name, value] for name, value in properties.UserProperty]
    if hasattr(properties, "MessageExpiryInterval"):
        found["messageExpiryInterval"] = properties.MessageExpiryInterval
    if hasattr(properties, "PayloadFormatIndicator"):
        found["payloadFormatIndicator"] = properties.PayloadFormatIndicator
    return found


def _paho(client: aiomqtt.Client) -> paho.Client:
    """aiomqtt's paho client: aiomqtt has no API of its own for manual acknowledgements
    or for a message's DUP flag (see the module's docstring)."""
    return client._client


def _hang_up(client: aiomqtt.Client) -> None:
    """Close paho's socket now, whatever the connection's state: paho's ``disconnect``
    only queues a DISCONNECT, which a broker that stopped reading never takes. Its
    ``on_socket_close`` has aiomqtt stop reading it and end the keep alive."""
    _paho(client)._sock_close()


def _settled(task: asyncio.Future[Any]) -> None:
    # A connect given up on may fail with nobody awaiting it: its error is not news.
    if not task.cancelled():
        task.exception()


def _reason(error: BaseException | None) -> int | None:
    """The MQTT reason code an aiomqtt error carries, if any."""
    code = getattr(error, "rc", None)
    if isinstance(code, ReasonCode):
        return int(code.value)
    return code if isinstance(code, int) else None
