"""The digests SQS answers with: ``MD5OfMessageBody``, ``MD5OfMessageAttributes`` and
``MD5OfMessageSystemAttributes``.

The body's digest is the MD5 of its UTF-8 bytes. The attributes' digest covers the
attributes sorted by name, each encoded as: the name and the data type, each a 4-byte
big-endian length and UTF-8 bytes; one transport byte (1 for String and Number types,
custom suffixes included, 2 for Binary); the value, a 4-byte length and its bytes (the
UTF-8 string, or the raw binary). Clients recompute these to check what SQS received.
"""

from __future__ import annotations

import base64
import hashlib
import struct
from collections.abc import Mapping

#: An attribute in SQS wire form: ``{"DataType": "String", "StringValue": "..."}`` or
#: ``{"DataType": "Binary", "BinaryValue": "<base64>"}``.
WireAttribute = Mapping[str, str]

_STRING, _BINARY = 1, 2


def md5_of_body(body: str) -> str:
    return hashlib.md5(body.encode("utf-8"), usedforsecurity=False).hexdigest()


def _field(data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + data


def encode_attributes(attributes: Mapping[str, WireAttribute]) -> bytes:
    """The byte string whose MD5 is ``MD5OfMessageAttributes``."""
    out = bytearray()
    for name in sorted(attributes):
        attribute = attributes[name]
        data_type = attribute["DataType"]
        out += _field(name.encode("utf-8"))
        out += _field(data_type.encode("utf-8"))
        if data_type.split(".", 1)[0] == "Binary":
            out.append(_BINARY)
            out += _field(base64.b64decode(attribute["BinaryValue"]))
        else:
            out.append(_STRING)
            out += _field(attribute["StringValue"].encode("utf-8"))
    return bytes(out)


def md5_of_attributes(attributes: Mapping[str, WireAttribute]) -> str | None:
    """``MD5OfMessageAttributes``, or None when there are none (SQS then omits it)."""
    if not attributes:
        return None
    return hashlib.md5(encode_attributes(attributes), usedforsecurity=False).hexdigest()
