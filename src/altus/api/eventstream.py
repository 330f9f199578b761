"""AWS's event-stream framing (``application/vnd.amazon.eventstream``), the encoding side:
the events of an output event stream (InvokeWithResponseStream's), laid out by the model.

A message is::

    total length (u32) | headers length (u32) | CRC32 of those 8 bytes (u32)
    headers | payload | CRC32 of everything before it (u32)

all big-endian; each header is its name's length (u8), the name, a value type (u8; 7 is
a string) and, for a string, its length (u16) and bytes. SDKs check both CRCs, and route
a message by its ``:message-type`` (``event``), ``:event-type`` (the member of the event
union) and ``:content-type`` headers.
"""

from __future__ import annotations

import functools
import json
import struct
import zlib
from collections.abc import Mapping
from typing import Any

EVENT_STREAM = "application/vnd.amazon.eventstream"

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


@functools.lru_cache(maxsize=256)
def _headers(event_type: str, content_type: str) -> bytes:
    return (
        _header(":event-type", event_type)
        + _header(":content-type", content_type)
        + _header(":message-type", "event")
    )


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


def encode(shape: Any, event_type: str, members: Mapping[str, Any]) -> bytes:
    """One event of an event stream, laid out by its shape in the model: a member marked
    ``eventpayload`` is the payload (raw bytes for a blob, JSON for a structure), the
    members marked ``eventheader`` are headers (strings), and otherwise the members are
    the payload as one JSON object."""
    event = shape.members[event_type]
    payload: bytes = b""
    content_type = "application/json"
    extra = b""
    body: dict[str, Any] = {}
    for name, member in event.members.items():
        value = members.get(name)
        if value is None:
            continue
        if member.serialization.get("eventpayload"):
            if member.type_name == "blob":
                payload = bytes(value)
                content_type = "application/octet-stream"
            elif member.type_name == "string":
                payload = str(value).encode()
                content_type = "text/plain"
            else:
                payload = json.dumps(value, separators=(",", ":")).encode()
            return message(_headers(event_type, content_type) + extra, payload)
        if member.serialization.get("eventheader"):
            extra += _header(name, str(value))
        else:
            body[name] = value
    payload = json.dumps(body, separators=(",", ":")).encode()
    return message(_headers(event_type, content_type) + extra, payload)
