"""The parameter store: every version of every parameter, their labels and tags.

Writes are all-or-nothing, durable before they return, and guarded: a new version is
written only if the parameter's latest version is still the one it was planned against,
so two writers never both make version N (the loser gets ``StoreConflict``). SecureString
values are encrypted before they reach the database and decrypted when read.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Protocol

from altus.ssm.model import Parameter, ParameterVersion, PutPlan


class StoreConflict(Exception):
    """The parameter changed (or appeared, or went) since it was read: nothing was
    written."""


class ParameterStore(Protocol):
    async def parameter(self, name: str) -> Parameter | None:
        """The parameter ``name`` (its latest version, version numbers, labels and tags),
        or None."""
        ...

    async def version(self, name: str, version: int) -> ParameterVersion | None:
        """One version of a parameter, with its labels; None if it is not kept."""
        ...

    async def history(self, name: str, after: int, limit: int) -> list[ParameterVersion]:
        """Up to ``limit`` versions of ``name`` numbered above ``after``, oldest first,
        with their labels."""
        ...

    async def listing(self, after: str, limit: int, prefix: str = "") -> list[Parameter]:
        """Up to ``limit`` parameters whose names come after ``after`` (bytewise) and
        start with ``prefix``, in name order."""
        ...

    async def count(self, tier: str) -> int:
        """How many parameters there are of ``tier``."""
        ...

    async def put(self, plan: PutPlan) -> None:
        """Write ``plan``'s version (and drop the version it drops, with its labels; a
        new parameter gets the plan's tags). Raises StoreConflict, writing nothing, when
        the parameter's latest version is no longer ``plan.expected`` or the dropped
        version has a label."""
        ...

    async def delete(self, names: Sequence[str]) -> list[str]:
        """Delete these parameters (every version, label and tag); the names that were
        there."""
        ...

    async def label(self, name: str, version: int, labels: Sequence[str]) -> None:
        """Attach ``labels`` to ``version``, moving any the parameter has on another
        version. Raises StoreConflict, writing nothing, if the version is gone or would
        carry more than ``MAX_LABELS``."""
        ...

    async def unlabel(self, name: str, version: int, labels: Sequence[str]) -> list[str]:
        """Detach those of ``labels`` that are on ``version``; the ones detached."""
        ...

    async def retag(
        self, name: str, change: Callable[[dict[str, str]], dict[str, str]]
    ) -> Mapping[str, str] | None:
        """Replace the parameter's tags by ``change(tags)`` in one transaction (an error
        ``change`` raises leaves them as they were); the new tags, or None if there is
        no such parameter."""
        ...
