"""The ``ProviderContext`` the deployer gives each resource's provider: the services'
APIs called as the stack's actor, the names CloudFormation generates, objects read from
the built-in S3, waits on the platform's clock.

The actor is whoever CloudFormation acts as: the stack's service role where the caller
named one (``RoleARN``), else the principal who asked for the operation (as AWS
CloudFormation acts with the caller's own permissions). Either is kept with the stack, so
a deploy resumed after a restart acts as the same principal.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from altus.api.selfcalls import SdkCaller, SdkFailure, SdkUnreachable
from altus.cloudformation.providers.base import ResourceFailed, ServiceFailed
from altus.identity.keys import SessionCredentials
from altus.objects import ObjectSource, ObjectUnavailable

#: The session name CloudFormation's calls are made with when it assumes a stack's role.
SESSION_NAME = "AWSCloudFormation"
#: Characters of the random suffix of generated names (AWS's: upper-case letters and
#: digits, 12 or 13 of them).
_SUFFIX = 13
_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


class Minter(Protocol):
    """The identity layer, as a maker of temporary credentials."""

    def session(self, role_arn: str, session_name: str, seconds: float) -> SessionCredentials:
        """A session of ``role_arn``."""
        ...

    def temporary(self, principal: str, seconds: float) -> SessionCredentials:
        """Credentials acting as ``principal`` itself."""
        ...


class ActorSessions:
    """``altus.api.selfcalls.Sessions`` for CloudFormation's actors: a role ARN is
    assumed as ``AWSCloudFormation``; any other principal ARN (a user, the root, a role's
    session) gets credentials of its own."""

    def __init__(self, minter: Minter) -> None:
        self._minter = minter

    def session(self, role_arn: str, session_name: str, seconds: float) -> SessionCredentials:
        if role_arn.split(":", 5)[-1].startswith("role/"):
            return self._minter.session(role_arn, SESSION_NAME, seconds)
        return self._minter.temporary(role_arn, seconds)


def generated_name(
    stack_name: str,
    logical_id: str,
    seed: str,
    *,
    max_length: int = 64,
    lower: bool = False,
    separator: str = "-",
) -> str:
    """``<stack>-<LogicalId>-<RANDOM>`` as CloudFormation names what a template leaves
    unnamed: the random part is derived from ``seed`` (the same seed, the same name), and
    the stack and logical id parts are shortened, in that order, to fit ``max_length``."""
    digest = hashlib.sha256(f"{seed}/{logical_id}".encode()).digest()
    suffix = "".join(_ALPHABET[byte % len(_ALPHABET)] for byte in digest[:_SUFFIX])
    room = max_length - len(suffix) - 2 * len(separator)
    stack_part, logical_part = stack_name, logical_id
    if room < 2:
        return (suffix if not lower else suffix.lower())[:max_length]
    if len(stack_part) + len(logical_part) > room:
        logical_part = logical_part[: max(room // 2, room - len(stack_part))]
        stack_part = stack_part[: room - len(logical_part)]
    name = separator.join((stack_part, logical_part, suffix))
    if lower:
        name = re.sub(r"[^a-z0-9.-]", "-", name.lower())
    return name


@dataclass
class StackContext:
    """One resource's context in one attempt (``seed``: what its generated names derive
    from; a replacement gets a new one)."""

    stack_name: str
    stack_id: str
    region: str
    account_id: str
    partition: str
    endpoint: str
    actor: str
    seed: str
    logical_id: str
    calls: SdkCaller
    objects: ObjectSource | None
    sleeper: Callable[[float], Awaitable[None]] = asyncio.sleep
    stack_tags: Mapping[str, str] = field(default_factory=dict)
    resource_type: str = ""

    async def call(self, service: str, operation: str, params: Mapping[str, Any]) -> dict[str, Any]:
        try:
            response = await self.calls.call(service, operation, params, self.actor)
        except SdkFailure as failed:
            raise ServiceFailed(
                service, failed.code, failed.message, failed.status, failed.request_id
            ) from None
        except SdkUnreachable as unanswered:
            raise ResourceFailed(
                f"{service} did not answer: {unanswered}", "ServiceInternalError"
            ) from None
        return response.members

    def name(self, *, max_length: int = 64, lower: bool = False, separator: str = "-") -> str:
        return generated_name(
            self.stack_name,
            self.logical_id,
            self.seed,
            max_length=max_length,
            lower=lower,
            separator=separator,
        )

    async def fetch(self, bucket: str, key: str, version: str | None = None) -> bytes:
        if self.objects is None:
            raise ResourceFailed(f"S3 object s3://{bucket}/{key} cannot be read here")
        try:
            return await self.objects.fetch(bucket, key, version, 50 * 1024 * 1024)
        except ObjectUnavailable as error:
            raise ResourceFailed(
                f"S3 error reading s3://{bucket}/{key}: {error.code}: {error.message}", "NotFound"
            ) from None

    async def sleep(self, seconds: float) -> None:
        await self.sleeper(seconds)
