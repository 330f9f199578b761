"""Request bodies a client compressed: the operations whose model has the
``requestcompression`` trait (CloudWatch's PutMetricData) may arrive gzipped
(``Content-Encoding: gzip``), as botocore sends any body of theirs past 10 KB.

The body of a service with such an operation is inflated once, before any protocol
reads it, and kept where ``read_body``
finds it: the protocols never see the compressed form. The compressed body is bounded
by the operation's limit as any body is, and so is what it inflates to (inflated no
further than that): a small body cannot become a large one in memory.
"""

from __future__ import annotations

import zlib
from typing import Any

from starlette.requests import Request

from altus.api.errors import RequestTooLarge, Unparsable
from altus.api.protocols.common import BODY, header_map, read_body


def compresses(model: Any) -> bool:
    """Whether any operation of a service may be sent compressed."""
    return any(model.operation_model(name).request_compression for name in model.operation_names)


def gzipped(request: Request) -> bool:
    """Whether ``Content-Encoding`` names gzip: its tokens (comma-separated), each
    exactly, not any text that holds the word (``notgzip``)."""
    given = header_map(request).get("content-encoding", "")
    return any(token.strip().lower() == "gzip" for token in given.split(","))


async def inflate(request: Request, limit: int) -> None:
    """Decompress a gzipped body (kept for the protocol to read); a body not gzipped is
    left as it is. Before the protocol looks for the operation: the query protocol
    finds it in the body. One whole gzip member, nothing after it: a stream cut short or
    followed by anything else is not a body."""
    if not gzipped(request):
        return
    raw = await read_body(request, limit, "this")
    bound = limit
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        body = inflater.decompress(raw, bound)
    except zlib.error:
        raise Unparsable("Request body is not valid gzip") from None
    if inflater.unconsumed_tail:
        raise RequestTooLarge(f"Request must inflate to fewer than {bound} bytes")
    if not inflater.eof or inflater.unused_data:
        raise Unparsable("Request body is not valid gzip (cut short, or followed by more)")
    request.scope[BODY] = body
