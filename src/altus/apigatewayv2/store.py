"""The store of API Gateway V2's records.

Writes are durable before they return, a plan all-or-nothing in one transaction: an
API deleted goes with everything under it, and an auto-deployment (a new deployment
and the stages pointed at it) goes with the change that caused it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from altus.apigatewayv2.model import Change, Snapshot


class RecordStore(Protocol):
    async def load(self) -> Snapshot:
        """Everything stored (read once, at start), in (API, kind, id) order."""
        ...

    async def apply(self, plan: Sequence[Change]) -> None:
        """Write ``plan`` in order in one transaction, all of it or (raising) none. A
        put replaces the record of the same kind, API and id; dropping an API drops
        every record under it; dropping what is not there does nothing."""
        ...
