"""The API Gateway store: documents (REST APIs, API keys, usage plans, the account)
and daily usage counts.

Writes are durable before they return; a plan is written all-or-nothing in one
transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from altus.apigateway.model import Change, Snapshot


class GatewayStore(Protocol):
    async def load(self) -> Snapshot:
        """Everything stored (read once, at start)."""
        ...

    async def apply(self, plan: Sequence[Change]) -> None:
        """Write ``plan`` in order in one transaction, all of it or (raising) none. A
        put replaces the document of the same kind and id; dropping a key or a plan
        drops its counts; ``Forget`` drops the counts of days before its day;
        dropping what is not there does nothing."""
        ...
