"""TransactWriteItems' and ExecuteTransaction's idempotency: a ``ClientRequestToken``
makes a write call idempotent for ten minutes after it completes (the API reference).
The same token with the same request is answered as the first call was, writing
nothing; the same token with a different request is
IdempotentParameterMismatchException; past ten minutes the token names a new request.

**Kept with the write.** A call's token is claimed in the store's transaction that
writes its items (``claim``: ``store.TokenClaim``, kept ``WINDOW`` seconds), so it
holds across a crash and a restart exactly when the writes do: a retry after a crash
that lost the answer is answered as a repeat, and one after a crash that lost the write
runs. A second call of a token while the first is under way waits for the first's
store transaction (the token is one of the names it locks) and is then a repeat: no
lock is kept in memory.

What is kept is a successful call's token only: a call cancelled (a condition failed,
an item that cannot take its update) wrote nothing, its token with it, and a retry of
it runs again, as DynamoDB does ("If it failed the first time, DynamoDB will apply the
writes in the request": Alex DeBrie's "DynamoDB Transactions: Use Cases and Examples";
the API reference speaks of the first call being "successful"). The request compared is
``TransactItems``, or ExecuteTransaction's ``TransactStatements`` (``fingerprint``;
whether DynamoDB also compares ReturnConsumedCapacity and ReturnItemCollectionMetrics
is not verified: a repeat may ask for capacity the first call did not). The two
operations share the tokens: one used by the other names another request, a mismatch
(not verified).
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from altus.dynamodb.errors import IdempotentParameterMismatch
from altus.dynamodb.store import TokenClaim

#: Seconds a token stays bound to its request after the call completes.
WINDOW = 600.0


#: Altus's wording. (text not verified)
MISMATCH = (
    "The ClientRequestToken was used in the last 10 minutes by a request with different parameters"
)


def claim(token: str | None, digest: str, now: float) -> TokenClaim | None:
    """What a call of ``token`` (None: no token) keeps with its write: the token, what
    the request was, and until when (``WINDOW`` from now)."""
    return None if token is None else TokenClaim(token, digest, now + WINDOW)


def mismatch() -> IdempotentParameterMismatch:
    """The token was used in the last ten minutes by another request."""
    return IdempotentParameterMismatch(MISMATCH)


def fingerprint(transact_items: Any) -> str:
    """A digest of ``TransactItems`` (or ``TransactStatements``) that two equal requests
    share (blobs by their bytes, maps by their keys in any order)."""

    def plain(value: Any) -> Any:
        if isinstance(value, (bytes, bytearray, memoryview)):
            return {"<blob>": base64.b64encode(bytes(value)).decode()}
        raise TypeError(f"not JSON: {type(value).__name__}")

    text = json.dumps(transact_items, sort_keys=True, default=plain, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()
