"""Event streams as the framework writes them (framed, laid out by the model), checked
against botocore's own decoder and parser, with Lambda's two events."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator
from typing import Any

import botocore.session
import pytest
from botocore.eventstream import ChecksumMismatch, EventStream, EventStreamBuffer
from botocore.parsers import EventStreamJSONParser

from altus.api import eventstream
from altus.awslambda.invoke import MAX_CHUNK, payload_chunks

SHAPE = (
    botocore.session.get_session()
    .get_service_model("lambda")
    .operation_model("InvokeWithResponseStream")
    .output_shape.members["EventStream"]
)


def encode(events: list[tuple[str, dict[str, Any]]]) -> bytes:
    return b"".join(eventstream.encode(SHAPE, name, members) for name, members in events)


def _decode(data: bytes) -> list[Any]:
    buffer = EventStreamBuffer()
    buffer.add_data(data)
    return list(buffer)


def _lambda_events(data: bytes, piece: int = 7) -> list[dict[str, Any]]:
    """What boto3's ``invoke_with_response_stream(...)["EventStream"]`` yields for
    ``data``, delivered in pieces of ``piece`` bytes as a socket would."""

    class Raw:
        def stream(self) -> Iterator[bytes]:
            for start in range(0, len(data), piece):
                yield data[start : start + piece]

        def close(self) -> None:
            pass

    return list(EventStream(Raw(), SHAPE, EventStreamJSONParser(), "InvokeWithResponseStream"))


def test_payload_chunk_frames_decode_with_their_headers() -> None:
    data = encode(payload_chunks([b"hello", b"\x00\xffbinary"]))
    messages = _decode(data)
    assert [m.payload for m in messages] == [b"hello", b"\x00\xffbinary"]
    assert messages[0].headers == {
        ":event-type": "PayloadChunk",
        ":content-type": "application/octet-stream",
        ":message-type": "event",
    }
    # The prelude: total length, headers length, and the CRC32 of those 8 bytes.
    total, headers_length = struct.unpack(">II", data[:8])
    assert struct.unpack(">I", data[8:12])[0] == zlib.crc32(data[:8])
    first = data[:total]
    assert struct.unpack(">I", first[-4:])[0] == zlib.crc32(first[:-4])
    assert len(first) == 12 + headers_length + len(b"hello") + 4


def test_boto3_reads_chunks_then_invoke_complete() -> None:
    data = encode([*payload_chunks([b"Hello", b"serverless", b"world"]), ("InvokeComplete", {})])
    assert _lambda_events(data) == [
        {"PayloadChunk": {"Payload": b"Hello"}},
        {"PayloadChunk": {"Payload": b"serverless"}},
        {"PayloadChunk": {"Payload": b"world"}},
        {"InvokeComplete": {}},
    ]


def test_invoke_complete_carries_only_the_members_that_have_a_value() -> None:
    data = encode(
        [
            (
                "InvokeComplete",
                {
                    "ErrorCode": "Sandbox.Timedout",
                    "ErrorDetails": '{"errorMessage":"late"}',
                    "LogResult": "bG9n",
                },
            )
        ]
    )
    assert _lambda_events(data) == [
        {
            "InvokeComplete": {
                "ErrorCode": "Sandbox.Timedout",
                "ErrorDetails": '{"errorMessage":"late"}',
                "LogResult": "bG9n",
            }
        }
    ]
    tail = encode([("InvokeComplete", {"ErrorCode": None, "LogResult": "dGFpbA=="})])
    assert _lambda_events(tail) == [{"InvokeComplete": {"LogResult": "dGFpbA=="}}]
    complete = encode([("InvokeComplete", {})])
    assert _decode(complete)[0].headers[":content-type"] == "application/json"
    assert _decode(complete)[0].payload == b"{}"


def test_large_chunks_are_split_and_empty_ones_skipped() -> None:
    big = bytes(range(256)) * (MAX_CHUNK // 128 + 3)
    events = _lambda_events(encode(payload_chunks([b"", big, b""])), piece=65536)
    payloads = [e["PayloadChunk"]["Payload"] for e in events]
    assert len(payloads) == 3
    assert all(len(p) <= MAX_CHUNK for p in payloads)
    assert b"".join(payloads) == big
    assert payload_chunks([b""]) == []


def test_a_corrupted_frame_is_refused_by_the_decoder() -> None:
    data = bytearray(encode(payload_chunks([b"payload"])))
    data[-6] ^= 0xFF  # a payload byte: the message CRC no longer matches
    with pytest.raises(ChecksumMismatch):
        _decode(bytes(data))


def test_any_event_type_round_trips() -> None:
    message = _decode(eventstream.event("Custom", b'{"a":1}', "application/json"))[0]
    assert message.headers[":event-type"] == "Custom"
    assert message.payload == b'{"a":1}'
