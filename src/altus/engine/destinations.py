"""Where an asynchronous event's end goes: destination and dead-letter targets.

A target is named as Lambda names it, by ARN, and reached through the registry of
targets (``altus.targets``): a function (the record becomes an Event invoke of it), a
queue (the SQS-compatible queues), a topic (a Publish to it), and whatever other service
registers for its ARNs; an event bus gets the record as Lambda sends it there, as the
``detail`` of an event from ``lambda`` (``Lambda Function Invocation Result - Success``
or ``- Failure``). An http(s) URL, an Altus extension, receives the record as a signed
POST. An ARN of a service that has not registered (S3 buckets, which Lambda accepts in
configurations) cannot receive anything: the record is parked at once with that reason,
for an operator to see.

``send`` either hands the record over or raises ``DeliveryFailed``; retrying and parking
are the caller's.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from typing import TYPE_CHECKING, Any

from altus.arns import parse_arn
from altus.engine.async_store import OutboxRecord
from altus.errors import AltusError
from altus.targets import TargetRegistry

if TYPE_CHECKING:  # httpx (and its command line's rich and click) is imported on first use
    import httpx

SIGNATURE_HEADER = "X-Altus-Signature"
TIMESTAMP_HEADER = "X-Altus-Timestamp"
WEBHOOK_TIMEOUT_S = 10.0

_NAMES = {
    "events": "Amazon EventBridge event buses",
    "s3": "Amazon S3 buckets",
}


class DeliveryFailed(Exception):
    """The target did not take the record. ``permanent``: trying again cannot help."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.permanent = permanent


def signature(key: bytes, timestamp: str, body: bytes) -> str:
    """``X-Altus-Signature`` of a webhook delivery: HMAC-SHA256 over ``<timestamp>.<body>``,
    so a receiver can check both who sent it and that it is not an old one replayed."""
    digest = hmac.new(key, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def _as_event(record: OutboxRecord, account: str, region: str) -> str:
    """A destination record as the event Lambda puts on a bus for it."""
    detail = json.loads(record.body)
    function = (detail.get("requestContext") or {}).get("functionArn")
    outcome = "Success" if record.kind == "OnSuccess" else "Failure"
    return json.dumps(
        {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": f"Lambda Function Invocation Result - {outcome}",
            "source": "lambda",
            "account": account,
            "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "region": region,
            "resources": [function] if function else [],
            "detail": detail,
        }
    )


class Targets:
    def __init__(
        self, registry: TargetRegistry, webhook_key: bytes, http: httpx.AsyncClient | None = None
    ) -> None:
        self._registry = registry
        self._key = webhook_key
        self._http = http

    def reachable(self, target: str) -> bool:
        """Whether ``target`` names something that can receive records here: an http(s)
        URL, or an ARN of a service that registered as a target."""
        if target.startswith(("http://", "https://")):
            return True
        arn = parse_arn(target)
        return arn is not None and self._registry.find(arn.service) is not None

    async def send(self, record: OutboxRecord) -> None:
        target = record.target
        if target.startswith(("http://", "https://")):
            await self._post(record)
            return
        arn = parse_arn(target)
        found = self._registry.find(arn.service) if arn is not None else None
        if found is None:
            kind = _NAMES.get(arn.service, f"targets like {target}") if arn else target
            raise DeliveryFailed(
                f"Altus has no {kind}: {target} cannot receive the record", permanent=True
            )
        assert arn is not None  # found by its service
        body = record.body
        if arn.service == "events":
            body = _as_event(record, arn.account, arn.region)
        try:
            await found.deliver(target, body, record.attributes or None, trace=record.trace)
        except AltusError as error:
            raise DeliveryFailed(f"{target}: {error.message}") from None

    async def _post(self, record: OutboxRecord) -> None:
        import httpx

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
