"""Event invoke configurations: how asynchronous invokes of a function, version or alias
are retried and where their outcomes go (MaximumRetryAttempts, MaximumEventAgeInSeconds,
DestinationConfig). Stored and validated here, as Lambda stores them; acting on them
(retries of function errors, maximum age, destinations) is the asynchronous invoker's,
which reads them through ``lookup`` at every attempt, so a change applies to events
already queued, as on Lambda.

Besides Lambda's destination kinds, a destination may be an http(s) URL (an Altus
extension): the record is POSTed to it, signed with the server's webhook key.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from typing import Any

from altus.control.arns import LATEST
from altus.control.errors import InvalidParameterValue, ResourceNotFound
from altus.control.functions import FunctionService

EVENT_INVOKE = "event-invoke"

_MEMBERS = ("MaximumRetryAttempts", "MaximumEventAgeInSeconds", "DestinationConfig")
# What Lambda accepts as a destination: a queue, a topic, a function, an event bus, and
# (on failure only) an S3 bucket.
_TARGETS = [
    re.compile(p)
    for p in (
        r"arn:aws[a-zA-Z-]*:sqs:[a-z0-9-]+:\d{12}:[a-zA-Z0-9_-]{1,80}(\.fifo)?",
        r"arn:aws[a-zA-Z-]*:sns:[a-z0-9-]+:\d{12}:[a-zA-Z0-9_-]{1,256}(\.fifo)?",
        r"arn:aws[a-zA-Z-]*:lambda:[a-z0-9-]+:\d{12}:function:[a-zA-Z0-9_-]+(:[a-zA-Z0-9$_-]+)?",
        r"arn:aws[a-zA-Z-]*:events:[a-z0-9-]+:\d{12}:event-bus/[/.\-_A-Za-z0-9]+",
    )
]
_S3 = re.compile(r"arn:aws[a-zA-Z-]*:s3:::[a-z0-9.-]{3,63}")
_WEBHOOK = re.compile(r"https?://[^\s/?#]+(/[^\s]*)?")


class EventInvokeConfigService:
    def __init__(self, functions: FunctionService) -> None:
        self._functions = functions

    def get(self, name: str, qualifier: str | None) -> dict[str, Any]:
        key = self._key(name, qualifier)
        document = self._functions.record(name).attachment(EVENT_INVOKE, key)
        if document is None:
            arn = self._functions.account.function_arn(name, key)
            raise ResourceNotFound(f"The function {arn} doesn't have an EventInvokeConfig")
        return document

    def lookup(self, name: str, qualifier: str) -> dict[str, Any] | None:
        """The configuration an asynchronous invoke of ``name:qualifier`` follows (None:
        Lambda's defaults), or None when the function is gone."""
        try:
            return self._functions.record(name).attachment(EVENT_INVOKE, qualifier)
        except ResourceNotFound:
            return None

    def list(self, name: str) -> list[tuple[str, dict[str, Any]]]:
        return sorted(self._functions.record(name).attached.get(EVENT_INVOKE, {}).items())

    async def put(
        self, name: str, qualifier: str | None, body: Mapping[str, Any]
    ) -> dict[str, Any]:
        """PutFunctionEventInvokeConfig: the whole configuration, replacing any before."""
        return await self._store(
            name,
            qualifier,
            lambda current: {m: body[m] for m in _MEMBERS if body.get(m) is not None},
        )

    async def update(
        self, name: str, qualifier: str | None, body: Mapping[str, Any]
    ) -> dict[str, Any]:
        """UpdateFunctionEventInvokeConfig: only the members given change."""

        def merged(current: dict[str, Any]) -> dict[str, Any]:
            document = {m: current[m] for m in _MEMBERS if m in current}
            for member in _MEMBERS:
                if body.get(member) is None:
                    continue
                if member == "DestinationConfig":
                    destinations = dict(document.get(member) or {})
                    destinations.update(body[member])
                    document[member] = destinations
                else:
                    document[member] = body[member]
            return document

        return await self._store(name, qualifier, merged)

    async def delete(self, name: str, qualifier: str | None) -> None:
        key = self._key(name, qualifier)
        self.get(name, qualifier)

        def deleted(document: dict[str, Any] | None) -> None:
            self.get(name, qualifier)

        await self._functions.attach(name, EVENT_INVOKE, key, deleted)

    async def _store(
        self,
        name: str,
        qualifier: str | None,
        make: Callable[[dict[str, Any]], dict[str, Any]],
    ) -> dict[str, Any]:
        key = self._key(name, qualifier)

        def stored(current: dict[str, Any] | None) -> dict[str, Any]:
            self._key(name, qualifier)
            document = make(current or {})
            destinations = document.get("DestinationConfig") or {}
            for kind in ("OnSuccess", "OnFailure"):
                target = (destinations.get(kind) or {}).get("Destination")
                if target:
                    _check_destination(target, on_failure=kind == "OnFailure")
            document["LastModified"] = time.time()
            return document

        document = await self._functions.attach(name, EVENT_INVOKE, key, stored)
        assert document is not None
        return document

    def _key(self, name: str, qualifier: str | None) -> str:
        key = qualifier or LATEST
        if not self._functions.qualifier_exists(name, key):
            arn = self._functions.account.function_arn(name, key)
            raise ResourceNotFound(f"The function {arn} doesn't exist.")
        return key


def _check_destination(arn: str, *, on_failure: bool) -> None:
    if any(p.fullmatch(arn) for p in _TARGETS) or (on_failure and _S3.fullmatch(arn)):
        return
    if _WEBHOOK.fullmatch(arn):
        return
    kinds = (
        "an Amazon SQS queue, an Amazon SNS topic, a Lambda function, an Amazon "
        "EventBridge event bus"
        + (", an Amazon S3 bucket" if on_failure else "")
        + " or an http(s) URL"
    )
    raise InvalidParameterValue(
        f"The destination ARN {arn} is invalid: a destination must be {kinds}."
    )
