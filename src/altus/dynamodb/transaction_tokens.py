"""TransactWriteItems' idempotency: a ``ClientRequestToken`` makes a call idempotent for
ten minutes after it completes (the API reference). The same token with the same
request is answered as the first call was, writing nothing; the same token with a
different request is IdempotentParameterMismatchException; past ten minutes the token
names a new request.

**Kept in memory.** The tokens live on the component, not in the store (the service's
schema is not this module's to extend): a restart forgets them, so a retry after a
restart is run again. Its conditions then judge the items the first call wrote, which
is the outcome a retry without a token has.

What is remembered is a successful call only: a call cancelled wrote nothing, and a
retry of it runs again (whether DynamoDB also holds a cancelled call's token against a
different request is not verified). The request compared is ``TransactItems`` (whether
DynamoDB also compares ReturnConsumedCapacity and ReturnItemCollectionMetrics is not
verified). Calls with one token are serialised, so a retry sent while the first call
runs waits for its answer instead of writing twice.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import json
from collections import OrderedDict
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from altus.dynamodb.errors import IdempotentParameterMismatch
from altus.dynamodb.model import Table

#: Seconds a token stays bound to its request after the call completes.
WINDOW = 600.0
#: Tokens kept at most (the oldest are forgotten first): a bound on memory that a
#: client sending a thousand transactions a second for ten minutes stays under.
MAX_KEPT = 1_000_000


@dataclass(frozen=True, slots=True)
class Remembered:
    """A completed call: what it asked (as a fingerprint), when, what it answered (but
    its consumed capacity), and the bytes it wrote per table (a repeat reports the read
    capacity of reading them, as DynamoDB's repeat does)."""

    fingerprint: str
    at: float
    answer: Mapping[str, Any]
    sizes: tuple[tuple[Table, tuple[int, ...]], ...] = ()


def fingerprint(transact_items: Any) -> str:
    """A digest of ``TransactItems`` that two equal requests share (blobs by their bytes,
    maps by their keys in any order)."""

    def plain(value: Any) -> Any:
        if isinstance(value, (bytes, bytearray, memoryview)):
            return {"<blob>": base64.b64encode(bytes(value)).decode()}
        raise TypeError(f"not JSON: {type(value).__name__}")

    text = json.dumps(transact_items, sort_keys=True, default=plain, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass
class TransactionTokens:
    """The tokens of the last ten minutes' transactions, oldest first."""

    kept: OrderedDict[str, Remembered] = field(default_factory=OrderedDict)
    #: A lock per token in use, with the number of calls holding or awaiting it.
    _locks: dict[str, tuple[asyncio.Lock, int]] = field(default_factory=dict)

    @contextlib.asynccontextmanager
    async def held(self, token: str) -> AsyncIterator[None]:
        """Serialise the calls of one token."""
        lock, users = self._locks.get(token, (asyncio.Lock(), 0))
        self._locks[token] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[token]
            if users == 1:
                del self._locks[token]
            else:
                self._locks[token] = (lock, users - 1)

    def recall(self, token: str, digest: str, now: float) -> Remembered | None:
        """The call ``token`` completed within the window, if any; the mismatch error if
        it was another request."""
        self._forget(now)
        found = self.kept.get(token)
        if found is None:
            return None
        if found.fingerprint != digest:
            # Altus's wording. (text not verified)
            raise IdempotentParameterMismatch(
                "The ClientRequestToken was used in the last 10 minutes by a request with "
                "different parameters"
            )
        return found

    def remember(self, token: str, remembered: Remembered) -> None:
        self.kept.pop(token, None)
        self.kept[token] = remembered
        while len(self.kept) > MAX_KEPT:
            self.kept.popitem(last=False)

    def _forget(self, now: float) -> None:
        # Calls complete in time order, so the expired ones lead.
        while self.kept:
            oldest = next(iter(self.kept.values()))
            if now - oldest.at < WINDOW:
                return
            self.kept.popitem(last=False)
