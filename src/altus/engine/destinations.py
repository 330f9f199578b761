"""Where an asynchronous event's end goes: destination and dead-letter targets.

A target is named as Lambda names it, by ARN: a function (the record becomes an Event
invoke of it), a queue (the built-in SQS-compatible queues), or, an Altus extension, an
http(s) URL that receives the record as a signed POST. SNS topics, EventBridge buses and
S3 buckets are accepted in configurations, as Lambda accepts them, but Altus has none:
records for them are parked at once with that reason, for an operator to see.

``send`` either hands the record over or raises ``DeliveryFailed``; retrying and parking
are the caller's.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

import httpx

from altus.control.arns import Account, FunctionRef, parse_function_ref
from altus.control.functions import FunctionService
from altus.engine.async_store import OutboxRecord
from altus.errors import AltusError

SIGNATURE_HEADER = "X-Altus-Signature"
TIMESTAMP_HEADER = "X-Altus-Timestamp"
WEBHOOK_TIMEOUT_S = 10.0


class DeliveryFailed(Exception):
    """The target did not take the record. ``permanent``: trying again cannot help."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.permanent = permanent


class QueueSender(Protocol):
    """The built-in queues, as targets see them."""

    async def send_to_arn(
        self, arn: str, body: str, attributes: dict[str, dict[str, str]] | None = None
    ) -> str: ...


Submit = Callable[[FunctionRef, bytes], Awaitable[str]]


def signature(key: bytes, timestamp: str, body: bytes) -> str:
    """``X-Altus-Signature`` of a webhook delivery: HMAC-SHA256 over ``<timestamp>.<body>``,
    so a receiver can check both who sent it and that it is not an old one replayed."""
    digest = hmac.new(key, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


class Targets:
    def __init__(
        self,
        account: Account,
        functions: FunctionService,
        queues: QueueSender | None,
        webhook_key: bytes,
        http: httpx.AsyncClient | None = None,
    ) -> None:
        self._account = account
        self._functions = functions
        self._queues = queues
        self._key = webhook_key
        self._http = http
        self._submit: Submit | None = None

    def bind(self, submit: Submit) -> None:
        """How a function target is invoked (the asynchronous invoker's ``submit``)."""
        self._submit = submit

    async def send(self, record: OutboxRecord) -> None:
        target = record.target
        if target.startswith(("http://", "https://")):
            await self._post(record)
            return
        service = target.split(":")[2] if target.count(":") >= 5 else ""
        if service == "lambda":
            await self._invoke(target, record.body.encode())
        elif service == "sqs":
            await self._enqueue(record)
        else:
            kind = {
                "sns": "Amazon SNS topics",
                "events": "Amazon EventBridge event buses",
                "s3": "Amazon S3 buckets",
            }.get(service, f"targets like {target}")
            raise DeliveryFailed(
                f"Altus has no {kind}: {target} cannot receive the record", permanent=True
            )

    async def _invoke(self, arn: str, payload: bytes) -> None:
        if self._submit is None:
            raise DeliveryFailed("function targets are not connected yet")
        try:
            ref = parse_function_ref(arn, self._account)
            self._functions.config(ref)  # raises unless it exists (an alias: its version)
        except AltusError as error:
            raise DeliveryFailed(f"{arn}: {error.message}") from None
        await self._submit(ref, payload)

    async def _enqueue(self, record: OutboxRecord) -> None:
        if self._queues is None:
            raise DeliveryFailed("this server has no queues", permanent=True)
        attributes: dict[str, dict[str, str]] | None = record.attributes or None
        try:
            await self._queues.send_to_arn(record.target, record.body, attributes)
        except AltusError as error:
            raise DeliveryFailed(f"{record.target}: {error.message}") from None

    async def _post(self, record: OutboxRecord) -> None:
        if self._http is None:
            self._http = httpx.AsyncClient(timeout=WEBHOOK_TIMEOUT_S)
        body = record.body.encode()
        stamp = str(int(time.time()))
        headers: dict[str, Any] = {
            "Content-Type": "application/json",
            "User-Agent": "altus-destinations",
            "X-Altus-Record-Kind": record.kind,
            "X-Altus-Request-Id": record.event_id,
            TIMESTAMP_HEADER: stamp,
            SIGNATURE_HEADER: signature(self._key, stamp, body),
        }
        try:
            response = await self._http.post(record.target, content=body, headers=headers)
        except httpx.HTTPError as error:
            raise DeliveryFailed(f"{record.target}: {error!r}") from None
        if not 200 <= response.status_code < 300:
            raise DeliveryFailed(f"{record.target} answered {response.status_code}")

    async def close(self) -> None:
        if self._http is not None:
            await self._http.aclose()
