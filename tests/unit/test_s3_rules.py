"""S3's pure rules: byte ranges and conditional reads, bucket names, key encodings,
ETags, notification configurations and filters, and the event record's shape."""

from __future__ import annotations

import datetime
import hashlib
import json

import pytest

from altus.s3 import events, notifications
from altus.s3.errors import (
    InvalidArgument,
    InvalidBucketName,
    InvalidRange,
    KeyTooLong,
    NotModified,
    PreconditionFailed,
)
from altus.s3.files import etag_of, multipart_etag
from altus.s3.names import after, check_bucket_name, check_key, event_key, listing_encode
from altus.s3.reads import ByteRange, byte_range, check_conditions

NOW = datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)
HOUR = datetime.timedelta(hours=1)


@pytest.mark.parametrize(
    ("header", "size", "expected"),
    [
        ("bytes=0-9", 100, ByteRange(0, 9)),
        ("bytes=90-", 100, ByteRange(90, 99)),
        ("bytes=-10", 100, ByteRange(90, 99)),
        ("bytes=-500", 100, ByteRange(0, 99)),
        ("bytes=50-500", 100, ByteRange(50, 99)),
        (None, 100, None),
        ("bytes=5-2", 100, None),  # ignored: the whole object
        ("bytes=0-1,5-6", 100, None),
        ("items=0-1", 100, None),
        ("bytes=a-b", 100, None),
    ],
)
def test_byte_ranges(header: str | None, size: int, expected: ByteRange | None) -> None:
    assert byte_range(header, size) == expected


@pytest.mark.parametrize(
    ("header", "size"), [("bytes=100-", 100), ("bytes=-0", 100), ("bytes=0-", 0)]
)
def test_unsatisfiable_ranges(header: str, size: int) -> None:
    with pytest.raises(InvalidRange):
        byte_range(header, size)


def test_content_range() -> None:
    assert ByteRange(95, 99).content_range(100) == "bytes 95-99/100"


def test_conditions_in_s3s_precedence() -> None:
    etag = '"abc"'
    check_conditions(etag, NOW, if_match='"abc"', if_unmodified_since=NOW - HOUR)
    check_conditions(etag, NOW, if_match="*")
    with pytest.raises(PreconditionFailed):
        check_conditions(etag, NOW, if_match='"other", "x"')
    with pytest.raises(PreconditionFailed):
        check_conditions(etag, NOW, if_unmodified_since=NOW - HOUR)
    with pytest.raises(NotModified):
        check_conditions(etag, NOW, if_none_match="abc", if_modified_since=NOW - HOUR)
    check_conditions(etag, NOW, if_none_match='"other"', if_modified_since=NOW + HOUR)
    with pytest.raises(NotModified):
        check_conditions(etag, NOW, if_modified_since=NOW)
    with pytest.raises(PreconditionFailed):
        check_conditions(etag, NOW, if_none_match='"abc"', copy_source=True)


@pytest.mark.parametrize(
    "name",
    [
        "ab",
        "a" * 64,
        "Upper",
        "a_b",
        "-ab",
        "ab-",
        "a..b",
        "a.-b",
        "10.0.0.1",
        "xn--ab",
        "ab-s3alias",
        "ab--ol-s3",
        "sthree-ab",
    ],
)
def test_bad_bucket_names(name: str) -> None:
    with pytest.raises(InvalidBucketName):
        check_bucket_name(name)


@pytest.mark.parametrize("name", ["abc", "a" * 63, "my.bucket-1", "1.2.3"])
def test_good_bucket_names(name: str) -> None:
    check_bucket_name(name)


def test_keys_and_their_encodings() -> None:
    check_key("é" * 512)  # 1,024 bytes
    with pytest.raises(KeyTooLong):
        check_key("é" * 512 + "x")
    assert event_key("a b/c+d é.jpg") == "a+b/c%2Bd+%C3%A9.jpg"
    assert listing_encode("a b/c+d") == "a%20b/c%2Bd"
    assert after("a/") == "a0"
    assert after("") is None
    assert after("a\U0010ffff") == "b"


def test_etags() -> None:
    assert etag_of(hashlib.md5(b"x").digest()) == f'"{hashlib.md5(b"x").hexdigest()}"'
    parts = [hashlib.md5(b"a").digest(), hashlib.md5(b"b").digest()]
    assert multipart_etag(parts) == f'"{hashlib.md5(b"".join(parts)).hexdigest()}-2"'


ARN = "arn:aws:lambda:us-east-1:000000000000:function:f"


def _config(events_: list[str], **rules: str) -> dict[str, object]:
    made: dict[str, object] = {"LambdaFunctionArn": ARN, "Events": events_}
    if rules:
        made["Filter"] = {
            "Key": {"FilterRules": [{"Name": k, "Value": v} for k, v in rules.items()]}
        }
    return made


def test_notification_configurations_are_checked() -> None:
    kept = notifications.checked(
        {"LambdaFunctionConfigurations": [_config(["s3:ObjectCreated:*"], prefix="a/")]},
        "us-east-1",
    )
    assert kept["LambdaFunctionConfigurations"][0]["Id"]
    bad = [
        [_config(["s3:Nothing"])],
        [_config(["s3:ObjectCreated:*"], name="x")],
        [
            _config(["s3:ObjectCreated:*"], suffix="jpg"),
            _config(["s3:ObjectCreated:Put"], suffix="pg"),
        ],
        [_config(["s3:ObjectCreated:*"]), _config(["s3:ObjectCreated:Copy"], prefix="x")],
        [{**_config(["s3:ObjectCreated:*"]), "LambdaFunctionArn": "arn:aws:sqs:us-east-1:1:q"}],
        [
            {
                **_config(["s3:ObjectCreated:*"]),
                "LambdaFunctionArn": ARN.replace("us-east-1", "eu-west-1"),
            }
        ],
    ]
    for configs in bad:
        with pytest.raises(InvalidArgument):
            notifications.checked({"LambdaFunctionConfigurations": configs}, "us-east-1")
    # Different event types may overlap; disjoint prefixes too.
    notifications.checked(
        {
            "LambdaFunctionConfigurations": [
                _config(["s3:ObjectCreated:*"]),
                _config(["s3:ObjectRemoved:*"]),
                _config(["s3:ObjectTagging:*"], prefix="a"),
                _config(["s3:ObjectTagging:Put"], prefix="b"),
            ]
        },
        "us-east-1",
    )


def test_matching_reads_wildcards_and_encoded_keys() -> None:
    configuration = notifications.checked(
        {
            "LambdaFunctionConfigurations": [
                {**_config(["s3:ObjectCreated:*"], prefix="my+photos/", suffix=".jpg"), "Id": "p"},
                {**_config(["s3:ObjectRemoved:Delete"]), "Id": "d"},
            ]
        },
        "us-east-1",
    )
    assert [
        d.id
        for d in notifications.matching(configuration, "s3:ObjectCreated:Copy", "my photos/a.jpg")
    ] == ["p"]
    assert notifications.matching(configuration, "s3:ObjectCreated:Put", "my photos/a.png") == []
    assert [
        d.id for d in notifications.matching(configuration, "s3:ObjectRemoved:Delete", "x")
    ] == ["d"]
    assert notifications.matching(configuration, "s3:ObjectRemoved:DeleteMarkerCreated", "x") == []


def _change(**fields: object) -> events.Change:
    base: dict[str, object] = {
        "event": "s3:ObjectCreated:Put",
        "bucket": "b",
        "key": "a b.txt",
        "seq": 255,
        "time_ms": 1_700_000_000_123,
        "region": "us-east-1",
        "account": "000000000000",
        "request_id": "r",
        "source_ip": "127.0.0.1",
        "principal": "AWS:000000000000",
        "size": 3,
        "etag": '"abc"',
        "version_id": "v1",
    }
    base.update(fields)
    return events.Change(**base)  # type: ignore[arg-type]


def test_event_record_shape() -> None:
    record = events.record(_change(), "cfg")
    assert record["eventName"] == "ObjectCreated:Put"
    assert record["eventTime"] == "2023-11-14T22:13:20.123Z"
    assert record["s3"] == {
        "s3SchemaVersion": "1.0",
        "configurationId": "cfg",
        "bucket": {
            "name": "b",
            "ownerIdentity": {"principalId": "000000000000"},
            "arn": "arn:aws:s3:::b",
        },
        "object": {
            "key": "a+b.txt",
            "size": 3,
            "eTag": "abc",
            "versionId": "v1",
            "sequencer": "00000000000000FF",
        },
    }
    removed = events.record(
        _change(event="s3:ObjectRemoved:Delete", size=None, etag=None, version_id="null"), "c"
    )
    assert removed["s3"]["object"] == {"key": "a+b.txt", "sequencer": "00000000000000FF"}  # type: ignore[index]
    assert json.loads(events.notification(_change(), "c"))["Records"][0]["eventSource"] == "aws:s3"


def test_eventbridge_event_shape() -> None:
    created = json.loads(events.bridged(_change()) or "")
    assert created["detail-type"] == "Object Created" and created["source"] == "aws.s3"
    assert created["resources"] == ["arn:aws:s3:::b"] and created["version"] == "0"
    assert created["detail"]["reason"] == "PutObject"
    assert created["detail"]["object"]["key"] == "a b.txt"
    deleted = json.loads(
        events.bridged(_change(event="s3:ObjectRemoved:DeleteMarkerCreated", size=None, etag=None))
        or ""
    )
    assert deleted["detail-type"] == "Object Deleted"
    assert deleted["detail"]["deletion-type"] == "Delete Marker Created"
    assert events.bridged(_change(event="s3:ObjectTagging:Put")) is None
