"""The SQS digests: the body's MD5 and the documented attribute encoding."""

import base64
import hashlib

from altus.queues.md5 import encode_attributes, md5_of_attributes, md5_of_body


def test_body_digest_is_md5_of_utf8():
    assert md5_of_body("hello") == "5d41402abc4b2a76b9719d911017c592"
    assert md5_of_body("✓") == hashlib.md5("✓".encode()).hexdigest()


def test_attribute_encoding_is_sorted_length_prefixed_with_transport_bytes():
    attributes = {
        "z": {"DataType": "String", "StringValue": "é"},
        "a": {"DataType": "Binary", "BinaryValue": base64.b64encode(b"\x00\xff").decode()},
        "m": {"DataType": "Number.int", "StringValue": "7"},
    }
    expected = (
        b"\x00\x00\x00\x01a"
        b"\x00\x00\x00\x06Binary"
        b"\x02"
        b"\x00\x00\x00\x02\x00\xff"
        b"\x00\x00\x00\x01m"
        b"\x00\x00\x00\x0aNumber.int"
        b"\x01"
        b"\x00\x00\x00\x017"
        b"\x00\x00\x00\x01z"
        b"\x00\x00\x00\x06String"
        b"\x01"
        b"\x00\x00\x00\x02\xc3\xa9"
    )
    assert encode_attributes(attributes) == expected
    assert md5_of_attributes(attributes) == hashlib.md5(expected).hexdigest()


def test_no_attributes_no_digest():
    assert md5_of_attributes({}) is None
