"""AWS's event-stream framing (``application/vnd.amazon.eventstream``), the encoding side,
for the events of InvokeWithResponseStream.

A message is::

    total length (u32) | headers length (u32) | CRC32 of those 8 bytes (u32)
    headers | payload | CRC32 of everything before it (u32)

all big-endian; each header is its name's length (u8), the name, a value type (u8; 7 is
a string) and, for a string, its length (u16) and bytes. SDKs check both CRCs, and route
a message by its ``:message-type`` (``event``), ``:event-type`` (the member of the event
union) and ``:content-type`` headers. Lambda's two events: ``PayloadChunk``, whose
``Payload`` member is the event payload (raw bytes), and ``InvokeComplete``, whose
members are the JSON payload.
"""

from __future__ import annotations

import json
import struct
import zlib

EVENT_STREAM = "application/vnd.amazon.eventstream"
#: A chunk larger than this is sent as several PayloadChunk events. SDKs refuse
#: messages past 16 MB (botocore's decoder among them); Lambda's own chunks are small.
MAX_CHUNK = 1024 * 1024

_STRING = 7
_PRELUDE = struct.Struct(">II")
_CRC = struct.Struct(">I")


def _header(name: str, value: str) -> bytes:
    raw_name, raw_value = name.encode(), value.encode()
    return (
        bytes((len(raw_name),))
        + raw_name
        + bytes((_STRING,))
        + struct.pack(">H", len(raw_value))
        + raw_value
    )


def _headers(event_type: str, content_type: str) -> bytes:
    return (
        _header(":event-type", event_type)
        + _header(":content-type", content_type)
        + _header(":message-type", "event")
    )


# The headers of the two events never change: encode them once.
_CHUNK_HEADERS = _headers("PayloadChunk", "application/octet-stream")
_COMPLETE_HEADERS = _headers("InvokeComplete", "application/json")


def message(headers: bytes, payload: bytes) -> bytes:
    """One framed message of already-encoded ``headers`` and ``payload``."""
    total = _PRELUDE.size + _CRC.size + len(headers) + len(payload) + _CRC.size
    prelude = _PRELUDE.pack(total, len(headers))
    head = prelude + _CRC.pack(zlib.crc32(prelude)) + headers
    crc = zlib.crc32(payload, zlib.crc32(head))
    return head + payload + _CRC.pack(crc)


def event(event_type: str, payload: bytes, content_type: str) -> bytes:
    """An event message of any type (for tests and other event streams)."""
    return message(_headers(event_type, content_type), payload)


def payload_chunks(chunks: list[bytes]) -> bytes:
    """PayloadChunk events for ``chunks``, in order, as one write; empty chunks are
    skipped and large ones split."""
    out = bytearray()
    for chunk in chunks:
        for start in range(0, len(chunk), MAX_CHUNK):
            out += message(_CHUNK_HEADERS, chunk[start : start + MAX_CHUNK])
    return bytes(out)


def invoke_complete(
    error_code: str | None = None, error_details: str | None = None, log_result: str | None = None
) -> bytes:
    """The InvokeComplete event: ``{}`` for a success without a log tail, as Lambda
    sends it; the members that have a value otherwise."""
    members = {"ErrorCode": error_code, "ErrorDetails": error_details, "LogResult": log_result}
    body = {name: value for name, value in members.items() if value is not None}
    return message(_COMPLETE_HEADERS, json.dumps(body, separators=(",", ":")).encode())
