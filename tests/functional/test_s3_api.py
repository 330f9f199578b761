"""S3 through boto3's ``s3`` client against a server in this process, on each store:
buckets, objects (content headers, metadata, ranges, conditional reads), listings,
copies, multipart uploads, presigned URLs (with a plain HTTP client), versioning,
tagging and bucket policies, and S3's errors."""

from __future__ import annotations

import datetime
import hashlib
import io
import os
from collections.abc import Iterator
from typing import Any

import boto3
import httpx
import pytest
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.conftest import Server

MIB = 1024 * 1024


@pytest.fixture(scope="module")
def s3(inproc_stored: Server) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=inproc_stored.url,
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
        config=Config(retries={"total_max_attempts": 1}),
    )


_made = iter(range(10_000))


@pytest.fixture
def bucket(s3: Any) -> Iterator[str]:
    name = f"bucket-{next(_made)}"
    s3.create_bucket(Bucket=name)
    yield name


def error_of(call: Any, **kwargs: Any) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as raised:
        call(**kwargs)
    error = raised.value.response["Error"]
    return (
        error["Code"],
        error.get("Message", ""),
        raised.value.response["ResponseMetadata"]["HTTPStatusCode"],
    )


def md5_etag(data: bytes) -> str:
    return f'"{hashlib.md5(data).hexdigest()}"'


# --- buckets ------------------------------------------------------------------------------


def test_bucket_lifecycle(s3: Any) -> None:
    assert error_of(s3.create_bucket, Bucket="Bad_Name") == (
        "InvalidBucketName",
        "The specified bucket is not valid.",
        400,
    )
    for bad in ("ab", "a..b", "192.168.1.1", "xn--abc", "-abc", "abc-s3alias"):
        assert error_of(s3.create_bucket, Bucket=bad)[0] == "InvalidBucketName"
    made = s3.create_bucket(Bucket="life-cycle")
    assert made["Location"] == "/life-cycle"
    s3.create_bucket(Bucket="life-cycle")  # us-east-1: owning it already is fine
    s3.head_bucket(Bucket="life-cycle")
    assert "life-cycle" in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    assert s3.get_bucket_location(Bucket="life-cycle")["LocationConstraint"] is None
    assert (
        error_of(
            s3.create_bucket,
            Bucket="elsewhere",
            CreateBucketConfiguration={"LocationConstraint": "eu-west-1"},
        )[0]
        == "IllegalLocationConstraintException"
    )
    s3.put_object(Bucket="life-cycle", Key="k", Body=b"x")
    assert error_of(s3.delete_bucket, Bucket="life-cycle") == (
        "BucketNotEmpty",
        "The bucket you tried to delete is not empty",
        409,
    )
    s3.delete_object(Bucket="life-cycle", Key="k")
    s3.delete_bucket(Bucket="life-cycle")
    assert error_of(s3.head_bucket, Bucket="life-cycle")[2] == 404
    assert error_of(s3.list_objects_v2, Bucket="life-cycle") == (
        "NoSuchBucket",
        "The specified bucket does not exist",
        404,
    )


# --- objects ------------------------------------------------------------------------------


def test_objects_keep_their_headers_and_metadata(s3: Any, bucket: str) -> None:
    data = b"hello, world"
    put = s3.put_object(
        Bucket=bucket,
        Key="dir/a file.txt",
        Body=data,
        ContentType="text/plain",
        ContentEncoding="identity",
        ContentDisposition='attachment; filename="a.txt"',
        ContentLanguage="en",
        CacheControl="max-age=60",
        Expires=datetime.datetime(2030, 1, 1, tzinfo=datetime.UTC),
        Metadata={"Colour": "blue", "n": "1"},
    )
    assert put["ETag"] == md5_etag(data)
    got = s3.get_object(Bucket=bucket, Key="dir/a file.txt")
    assert got["Body"].read() == data
    assert got["ETag"] == md5_etag(data) and got["ContentLength"] == len(data)
    assert got["ContentType"] == "text/plain"
    assert got["ContentEncoding"] == "identity"
    assert got["ContentDisposition"] == 'attachment; filename="a.txt"'
    assert got["ContentLanguage"] == "en" and got["CacheControl"] == "max-age=60"
    assert got["Metadata"] == {"colour": "blue", "n": "1"}
    assert got["AcceptRanges"] == "bytes"
    head = s3.head_object(Bucket=bucket, Key="dir/a file.txt")
    assert head["ContentLength"] == len(data) and head["ETag"] == md5_etag(data)
    # Without a Content-Type, S3's default.
    s3.put_object(Bucket=bucket, Key="plain", Body=b"")
    empty = s3.get_object(Bucket=bucket, Key="plain")
    assert empty["Body"].read() == b"" and empty["ContentType"] == "binary/octet-stream"
    assert empty["ETag"] == md5_etag(b"")


def test_object_errors(s3: Any, bucket: str) -> None:
    assert error_of(s3.get_object, Bucket=bucket, Key="missing") == (
        "NoSuchKey",
        "The specified key does not exist.",
        404,
    )
    assert error_of(s3.head_object, Bucket=bucket, Key="missing")[2] == 404
    assert error_of(s3.put_object, Bucket="no-such-bucket-here", Key="k", Body=b"")[0] == (
        "NoSuchBucket"
    )
    code, _, status = error_of(
        s3.put_object, Bucket=bucket, Key="k", Body=b"", Metadata={"big": "x" * 2048}
    )
    assert (code, status) == ("MetadataTooLarge", 400)
    assert error_of(s3.put_object, Bucket=bucket, Key="k" * 1025, Body=b"")[0] == "KeyTooLongError"
    s3.put_object(Bucket=bucket, Key="k" * 1024, Body=b"fits")
    code, _, status = error_of(
        s3.put_object, Bucket=bucket, Key="md5", Body=b"abc", ContentMD5="1B2M2Y8AsgTpgAmY7PhCfg=="
    )
    assert (code, status) == ("BadDigest", 400)
    assert error_of(s3.head_object, Bucket=bucket, Key="md5")[2] == 404  # nothing kept
    # Deleting what is not there succeeds.
    assert (
        s3.delete_object(Bucket=bucket, Key="missing")["ResponseMetadata"]["HTTPStatusCode"] == 204
    )


def test_ranges_and_conditions(s3: Any, bucket: str) -> None:
    data = bytes(range(100))
    etag = s3.put_object(Bucket=bucket, Key="r", Body=data)["ETag"]

    def ranged(spec: str) -> tuple[bytes, str, int]:
        got = s3.get_object(Bucket=bucket, Key="r", Range=spec)
        return got["Body"].read(), got["ContentRange"], got["ResponseMetadata"]["HTTPStatusCode"]

    assert ranged("bytes=0-9") == (data[:10], "bytes 0-9/100", 206)
    assert ranged("bytes=90-") == (data[90:], "bytes 90-99/100", 206)
    assert ranged("bytes=-5") == (data[95:], "bytes 95-99/100", 206)
    assert ranged("bytes=95-500") == (data[95:], "bytes 95-99/100", 206)
    code, _, status = error_of(s3.get_object, Bucket=bucket, Key="r", Range="bytes=100-")
    assert (code, status) == ("InvalidRange", 416)
    assert s3.head_object(Bucket=bucket, Key="r", Range="bytes=0-0")["ContentLength"] == 1

    modified = s3.head_object(Bucket=bucket, Key="r")["LastModified"]
    later = modified + datetime.timedelta(hours=1)
    earlier = modified - datetime.timedelta(hours=1)
    assert s3.get_object(Bucket=bucket, Key="r", IfMatch=etag)["Body"].read() == data
    assert error_of(s3.get_object, Bucket=bucket, Key="r", IfMatch='"nope"')[:1] == (
        "PreconditionFailed",
    )
    assert error_of(s3.get_object, Bucket=bucket, Key="r", IfNoneMatch=etag)[2] == 304
    assert error_of(s3.get_object, Bucket=bucket, Key="r", IfModifiedSince=later)[2] == 304
    assert error_of(s3.get_object, Bucket=bucket, Key="r", IfUnmodifiedSince=earlier)[2] == 412
    # If-Match holding outranks If-Unmodified-Since failing; If-None-Match failing
    # outranks If-Modified-Since holding.
    assert s3.get_object(Bucket=bucket, Key="r", IfMatch=etag, IfUnmodifiedSince=earlier)
    assert (
        error_of(s3.get_object, Bucket=bucket, Key="r", IfNoneMatch=etag, IfModifiedSince=earlier)[
            2
        ]
        == 304
    )
    assert error_of(s3.head_object, Bucket=bucket, Key="r", IfMatch='"nope"')[2] == 412
    # Overrides of the response's headers.
    got = s3.get_object(
        Bucket=bucket,
        Key="r",
        ResponseContentType="application/x-test",
        ResponseContentDisposition="inline",
        ResponseCacheControl="no-cache",
    )
    assert got["ContentType"] == "application/x-test"
    assert got["ContentDisposition"] == "inline" and got["CacheControl"] == "no-cache"


def test_listings(s3: Any, bucket: str) -> None:
    keys = ["a/1", "a/2", "a/b/3", "b/4", "c 5", "c+6", "d", "é/7"]
    for key in keys:
        s3.put_object(Bucket=bucket, Key=key, Body=key.encode())
    listed = s3.list_objects_v2(Bucket=bucket)
    assert [o["Key"] for o in listed["Contents"]] == sorted(keys, key=lambda k: k.encode())
    assert listed["KeyCount"] == len(keys) and listed["IsTruncated"] is False
    assert listed["Contents"][0]["Size"] == 3 and listed["Contents"][0]["ETag"] == md5_etag(b"a/1")

    grouped = s3.list_objects_v2(Bucket=bucket, Delimiter="/")
    assert [p["Prefix"] for p in grouped["CommonPrefixes"]] == ["a/", "b/", "é/"]
    assert [o["Key"] for o in grouped["Contents"]] == ["c 5", "c+6", "d"]
    assert grouped["KeyCount"] == 6
    inside = s3.list_objects_v2(Bucket=bucket, Prefix="a/", Delimiter="/")
    assert [o["Key"] for o in inside["Contents"]] == ["a/1", "a/2"]
    assert [p["Prefix"] for p in inside["CommonPrefixes"]] == ["a/b/"]

    # Pages of two, prefixes counting as keys.
    seen: list[str] = []
    token: str | None = None
    for _ in range(10):
        args: dict[str, Any] = {"Bucket": bucket, "Delimiter": "/", "MaxKeys": 2}
        if token:
            args["ContinuationToken"] = token
        page = s3.list_objects_v2(**args)
        assert page["KeyCount"] <= 2
        seen += [o["Key"] for o in page.get("Contents", [])]
        seen += [p["Prefix"] for p in page.get("CommonPrefixes", [])]
        if not page["IsTruncated"]:
            break
        token = page["NextContinuationToken"]
    assert sorted(seen) == sorted(["a/", "b/", "é/", "c 5", "c+6", "d"])
    after = s3.list_objects_v2(Bucket=bucket, StartAfter="c+6")
    assert [o["Key"] for o in after["Contents"]] == ["d", "é/7"]
    owned = s3.list_objects_v2(Bucket=bucket, FetchOwner=True, MaxKeys=1)
    assert owned["Contents"][0]["Owner"]["ID"] and owned["IsTruncated"]

    # Version 1: Marker and NextMarker (with a delimiter).
    first = s3.list_objects(Bucket=bucket, MaxKeys=3)
    assert [o["Key"] for o in first["Contents"]] == ["a/1", "a/2", "a/b/3"]
    assert first["IsTruncated"]
    rest = s3.list_objects(Bucket=bucket, Marker="a/b/3")
    assert rest["Contents"][0]["Key"] == "b/4"
    paged = s3.list_objects(Bucket=bucket, Delimiter="/", MaxKeys=1)
    assert paged["NextMarker"] == "a/"
    paginator = s3.get_paginator("list_objects_v2")
    everything = [
        o["Key"]
        for page in paginator.paginate(Bucket=bucket, PaginationConfig={"PageSize": 3})
        for o in page.get("Contents", [])
    ]
    assert len(everything) == len(keys)


def test_copies(s3: Any, bucket: str) -> None:
    s3.put_object(
        Bucket=bucket, Key="src key", Body=b"payload", ContentType="text/a", Metadata={"a": "1"}
    )
    copied = s3.copy_object(Bucket=bucket, Key="dst", CopySource=f"{bucket}/src key")
    assert copied["CopyObjectResult"]["ETag"] == md5_etag(b"payload")
    got = s3.get_object(Bucket=bucket, Key="dst")
    assert got["Body"].read() == b"payload"
    assert got["ContentType"] == "text/a" and got["Metadata"] == {"a": "1"}
    s3.copy_object(
        Bucket=bucket,
        Key="replaced",
        CopySource={"Bucket": bucket, "Key": "src key"},
        MetadataDirective="REPLACE",
        ContentType="text/b",
        Metadata={"b": "2"},
    )
    replaced = s3.head_object(Bucket=bucket, Key="replaced")
    assert replaced["ContentType"] == "text/b" and replaced["Metadata"] == {"b": "2"}
    code, message, _ = error_of(
        s3.copy_object, Bucket=bucket, Key="src key", CopySource=f"{bucket}/src key"
    )
    assert code == "InvalidRequest" and "copy an object to itself" in message
    s3.copy_object(
        Bucket=bucket,
        Key="src key",
        CopySource=f"{bucket}/src key",
        MetadataDirective="REPLACE",
        Metadata={"c": "3"},
    )
    assert s3.head_object(Bucket=bucket, Key="src key")["Metadata"] == {"c": "3"}
    assert error_of(
        s3.copy_object,
        Bucket=bucket,
        Key="x",
        CopySource=f"{bucket}/src key",
        CopySourceIfMatch='"other"',
    )[:1] == ("PreconditionFailed",)
    assert error_of(s3.copy_object, Bucket=bucket, Key="x", CopySource=f"{bucket}/none")[0] == (
        "NoSuchKey"
    )
    # Deleting the source leaves the copy whole.
    s3.delete_object(Bucket=bucket, Key="src key")
    assert s3.get_object(Bucket=bucket, Key="dst")["Body"].read() == b"payload"


def test_delete_objects(s3: Any, bucket: str) -> None:
    for key in ("x1", "x2", "x3"):
        s3.put_object(Bucket=bucket, Key=key, Body=b"1")
    answer = s3.delete_objects(
        Bucket=bucket, Delete={"Objects": [{"Key": "x1"}, {"Key": "x2"}, {"Key": "gone"}]}
    )
    assert sorted(d["Key"] for d in answer["Deleted"]) == ["gone", "x1", "x2"]
    quiet = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "x3"}], "Quiet": True})
    assert "Deleted" not in quiet and "Errors" not in quiet
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0


# --- multipart ----------------------------------------------------------------------------


def test_multipart_upload_of_a_large_object(s3: Any, bucket: str) -> None:
    data = os.urandom(20 * MIB + 17)
    chunk = 8 * MIB
    s3.upload_fileobj(
        io.BytesIO(data),
        bucket,
        "big",
        Config=TransferConfig(multipart_threshold=chunk, multipart_chunksize=chunk),
    )
    parts = [data[i : i + chunk] for i in range(0, len(data), chunk)]
    joined = b"".join(hashlib.md5(p).digest() for p in parts)
    expected = f'"{hashlib.md5(joined).hexdigest()}-{len(parts)}"'
    head = s3.head_object(Bucket=bucket, Key="big")
    assert head["ETag"] == expected and head["ContentLength"] == len(data)
    out = io.BytesIO()
    s3.download_fileobj(bucket, "big", out)
    assert hashlib.sha256(out.getvalue()).digest() == hashlib.sha256(data).digest()
    second = s3.get_object(Bucket=bucket, Key="big", PartNumber=2)
    assert second["PartsCount"] == 3 and second["ContentLength"] == chunk
    assert second["Body"].read() == parts[1]
    ranged = s3.get_object(Bucket=bucket, Key="big", Range=f"bytes={chunk - 3}-{chunk + 2}")
    assert ranged["Body"].read() == data[chunk - 3 : chunk + 3]


def test_multipart_refusals(s3: Any, bucket: str) -> None:
    upload = s3.create_multipart_upload(Bucket=bucket, Key="mp", ContentType="text/x")["UploadId"]
    small = s3.upload_part(Bucket=bucket, Key="mp", UploadId=upload, PartNumber=1, Body=b"a" * 10)
    last = s3.upload_part(Bucket=bucket, Key="mp", UploadId=upload, PartNumber=2, Body=b"b")
    listed = s3.list_parts(Bucket=bucket, Key="mp", UploadId=upload)
    assert [(p["PartNumber"], p["Size"]) for p in listed["Parts"]] == [(1, 10), (2, 1)]
    uploads = s3.list_multipart_uploads(Bucket=bucket)["Uploads"]
    assert [(u["Key"], u["UploadId"]) for u in uploads] == [("mp", upload)]

    def complete(parts: list[dict[str, Any]]) -> tuple[str, str, int]:
        return error_of(
            s3.complete_multipart_upload,
            Bucket=bucket,
            Key="mp",
            UploadId=upload,
            MultipartUpload={"Parts": parts},
        )

    one = {"PartNumber": 1, "ETag": small["ETag"]}
    two = {"PartNumber": 2, "ETag": last["ETag"]}
    assert complete([one, two])[:1] == ("EntityTooSmall",)
    assert complete([two, one])[:1] == ("InvalidPartOrder",)
    assert complete([{"PartNumber": 1, "ETag": '"0000"'}])[:1] == ("InvalidPart",)
    assert complete([{"PartNumber": 3, "ETag": small["ETag"]}])[:1] == ("InvalidPart",)
    # A last part may be small: one part alone completes.
    done = s3.complete_multipart_upload(
        Bucket=bucket, Key="mp", UploadId=upload, MultipartUpload={"Parts": [one]}
    )
    expected = hashlib.md5(hashlib.md5(b"a" * 10).digest()).hexdigest()
    assert done["ETag"] == f'"{expected}-1"'
    got = s3.get_object(Bucket=bucket, Key="mp")
    assert got["Body"].read() == b"a" * 10 and got["ContentType"] == "text/x"
    assert error_of(s3.list_parts, Bucket=bucket, Key="mp", UploadId=upload)[:1] == (
        "NoSuchUpload",
    )

    aborted = s3.create_multipart_upload(Bucket=bucket, Key="ab")["UploadId"]
    s3.upload_part(Bucket=bucket, Key="ab", UploadId=aborted, PartNumber=1, Body=b"z")
    s3.abort_multipart_upload(Bucket=bucket, Key="ab", UploadId=aborted)
    code, message, status = error_of(
        s3.upload_part, Bucket=bucket, Key="ab", UploadId=aborted, PartNumber=1, Body=b"z"
    )
    assert (code, status) == ("NoSuchUpload", 404) and "upload ID may be invalid" in message


def test_upload_part_copy(s3: Any, bucket: str) -> None:
    source = os.urandom(6 * MIB)
    s3.put_object(Bucket=bucket, Key="source", Body=source)
    upload = s3.create_multipart_upload(Bucket=bucket, Key="built")["UploadId"]
    first = s3.upload_part_copy(
        Bucket=bucket,
        Key="built",
        UploadId=upload,
        PartNumber=1,
        CopySource={"Bucket": bucket, "Key": "source"},
    )["CopyPartResult"]
    second = s3.upload_part_copy(
        Bucket=bucket,
        Key="built",
        UploadId=upload,
        PartNumber=2,
        CopySource=f"{bucket}/source",
        CopySourceRange="bytes=0-99",
    )["CopyPartResult"]
    assert first["ETag"] == md5_etag(source) and second["ETag"] == md5_etag(source[:100])
    s3.complete_multipart_upload(
        Bucket=bucket,
        Key="built",
        UploadId=upload,
        MultipartUpload={
            "Parts": [
                {"PartNumber": 1, "ETag": first["ETag"]},
                {"PartNumber": 2, "ETag": second["ETag"]},
            ]
        },
    )
    assert s3.get_object(Bucket=bucket, Key="built")["Body"].read() == source + source[:100]


# --- presigned URLs -----------------------------------------------------------------------


@pytest.mark.parametrize("signature", ["s3", "s3v4"])
def test_presigned_urls_work_with_a_plain_http_client(
    inproc_stored: Server, bucket: str, signature: str
) -> None:
    s3 = boto3.client(
        "s3",
        endpoint_url=inproc_stored.url,
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
        config=Config(signature_version=signature),
    )
    put = s3.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": "a b/pre"})
    answer = httpx.put(put, content=b"sent by httpx")
    assert answer.status_code == 200
    assert answer.headers["etag"] == md5_etag(b"sent by httpx")
    get = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "a b/pre"})
    fetched = httpx.get(get)
    assert fetched.status_code == 200 and fetched.content == b"sent by httpx"


# --- versioning ---------------------------------------------------------------------------


def test_versioning(s3: Any, bucket: str) -> None:
    assert "Status" not in s3.get_bucket_versioning(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="v", Body=b"before")  # the null version
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    one = s3.put_object(Bucket=bucket, Key="v", Body=b"one")["VersionId"]
    two = s3.put_object(Bucket=bucket, Key="v", Body=b"two")["VersionId"]
    assert one != two and "null" not in (one, two)
    assert s3.get_object(Bucket=bucket, Key="v")["Body"].read() == b"two"
    assert s3.get_object(Bucket=bucket, Key="v", VersionId=one)["Body"].read() == b"one"
    assert s3.get_object(Bucket=bucket, Key="v", VersionId="null")["Body"].read() == b"before"
    assert s3.get_object(Bucket=bucket, Key="v")["VersionId"] == two
    assert error_of(s3.get_object, Bucket=bucket, Key="v", VersionId="nope")[:1] == (
        "NoSuchVersion",
    )

    deleted = s3.delete_object(Bucket=bucket, Key="v")
    assert deleted["DeleteMarker"] is True
    marker = deleted["VersionId"]
    assert error_of(s3.get_object, Bucket=bucket, Key="v")[:1] == ("NoSuchKey",)
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0
    listed = s3.list_object_versions(Bucket=bucket)
    assert [(v["VersionId"], v["IsLatest"]) for v in listed["Versions"]] == [
        (two, False),
        (one, False),
        ("null", False),
    ]
    assert [(m["VersionId"], m["IsLatest"]) for m in listed["DeleteMarkers"]] == [(marker, True)]
    paged = s3.list_object_versions(Bucket=bucket, MaxKeys=2)
    assert paged["IsTruncated"] and paged["NextKeyMarker"] == "v"
    rest = s3.list_object_versions(
        Bucket=bucket, KeyMarker="v", VersionIdMarker=paged["NextVersionIdMarker"]
    )
    assert [v["VersionId"] for v in rest["Versions"]] == [one, "null"]

    # Deleting the marker brings the object back.
    s3.delete_object(Bucket=bucket, Key="v", VersionId=marker)
    assert s3.get_object(Bucket=bucket, Key="v")["Body"].read() == b"two"
    s3.delete_object(Bucket=bucket, Key="v", VersionId=two)
    assert s3.get_object(Bucket=bucket, Key="v")["Body"].read() == b"one"

    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Suspended"})
    assert "VersionId" not in s3.put_object(Bucket=bucket, Key="v", Body=b"null again")
    assert s3.get_object(Bucket=bucket, Key="v", VersionId="null")["Body"].read() == b"null again"
    versions = s3.list_object_versions(Bucket=bucket)["Versions"]
    assert sorted(v["VersionId"] for v in versions) == sorted(["null", one])


# --- tags and policies --------------------------------------------------------------------


def test_tags_and_policies(s3: Any, bucket: str) -> None:
    assert error_of(s3.get_bucket_tagging, Bucket=bucket)[:1] == ("NoSuchTagSet",)
    s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": [{"Key": "team", "Value": "x"}]})
    assert s3.get_bucket_tagging(Bucket=bucket)["TagSet"] == [{"Key": "team", "Value": "x"}]
    s3.delete_bucket_tagging(Bucket=bucket)
    assert error_of(s3.get_bucket_tagging, Bucket=bucket)[:1] == ("NoSuchTagSet",)

    s3.put_object(Bucket=bucket, Key="t", Body=b"", Tagging="a=1&b=two")
    assert s3.get_object_tagging(Bucket=bucket, Key="t")["TagSet"] == [
        {"Key": "a", "Value": "1"},
        {"Key": "b", "Value": "two"},
    ]
    assert (
        s3.head_object(Bucket=bucket, Key="t")["ResponseMetadata"]["HTTPHeaders"][
            "x-amz-tagging-count"
        ]
        == "2"
    )
    s3.put_object_tagging(Bucket=bucket, Key="t", Tagging={"TagSet": [{"Key": "c", "Value": ""}]})
    assert s3.get_object_tagging(Bucket=bucket, Key="t")["TagSet"] == [{"Key": "c", "Value": ""}]
    s3.delete_object_tagging(Bucket=bucket, Key="t")
    assert s3.get_object_tagging(Bucket=bucket, Key="t")["TagSet"] == []

    assert error_of(s3.get_bucket_policy, Bucket=bucket)[:1] == ("NoSuchBucketPolicy",)
    assert error_of(s3.put_bucket_policy, Bucket=bucket, Policy="not json")[:1] == (
        "MalformedPolicy",
    )
    policy = (
        '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*",'
        f'"Action":"s3:GetObject","Resource":"arn:aws:s3:::{bucket}/*"}}]}}'
    )
    s3.put_bucket_policy(Bucket=bucket, Policy=policy)
    assert s3.get_bucket_policy(Bucket=bucket)["Policy"] == policy
    s3.delete_bucket_policy(Bucket=bucket)
    assert error_of(s3.get_bucket_policy, Bucket=bucket)[:1] == ("NoSuchBucketPolicy",)


# --- paging and the answers' details ------------------------------------------------------


def test_version_listing_pages_past_common_prefixes(s3: Any, bucket: str) -> None:
    for key in ("a/1", "a/2", "b/1", "c"):
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")
    pages: list[tuple[list[str], list[str]]] = []
    marker: dict[str, str] = {}
    for _ in range(10):  # bounded: four pages expected
        page = s3.list_object_versions(Bucket=bucket, Delimiter="/", MaxKeys=1, **marker)
        pages.append(
            (
                [p["Prefix"] for p in page.get("CommonPrefixes", [])],
                [v["Key"] for v in page.get("Versions", [])],
            )
        )
        if not page["IsTruncated"]:
            break
        marker = {"KeyMarker": page["NextKeyMarker"]}
    assert pages == [(["a/"], []), (["b/"], []), ([], ["c"])]
    nothing = s3.list_object_versions(Bucket=bucket, MaxKeys=0)
    assert "Versions" not in nothing and "CommonPrefixes" not in nothing


def test_upload_listing_pages_through_every_upload(s3: Any, bucket: str) -> None:
    made = {
        s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
        for key in ("k1", "k2", "k2", "k2", "k3")
    }
    seen: list[str] = []
    pages = s3.get_paginator("list_multipart_uploads").paginate(
        Bucket=bucket, PaginationConfig={"PageSize": 2}
    )
    for page in pages:
        seen += [u["UploadId"] for u in page.get("Uploads", [])]
    assert sorted(seen) == sorted(made) and len(seen) == len(made)


def test_not_modified_carries_validators_only(s3: Any, inproc_stored: Server, bucket: str) -> None:
    etag = s3.put_object(Bucket=bucket, Key="n", Body=b"x", ContentType="text/plain")["ETag"]
    url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "n"})
    for method in ("GET", "HEAD"):
        answer = httpx.request(method, url, headers={"If-None-Match": etag})
        assert answer.status_code == 304 and answer.content == b""
        assert answer.headers["etag"] == etag and answer.headers["last-modified"]
        assert "content-type" not in answer.headers


def test_delete_markers_are_named_in_the_refusals(s3: Any, bucket: str) -> None:
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    s3.put_object(Bucket=bucket, Key="d", Body=b"x")
    marker = s3.delete_object(Bucket=bucket, Key="d")["VersionId"]
    for read in (s3.get_object, s3.head_object):
        with pytest.raises(ClientError) as raised:
            read(Bucket=bucket, Key="d")
        answer = raised.value.response
        headers = answer["ResponseMetadata"]["HTTPHeaders"]
        assert answer["ResponseMetadata"]["HTTPStatusCode"] == 404
        assert headers["x-amz-delete-marker"] == "true"
        assert headers["x-amz-version-id"] == marker
        with pytest.raises(ClientError) as raised:
            read(Bucket=bucket, Key="d", VersionId=marker)
        answer = raised.value.response
        headers = answer["ResponseMetadata"]["HTTPHeaders"]
        assert answer["ResponseMetadata"]["HTTPStatusCode"] == 405
        assert headers["x-amz-delete-marker"] == "true"
        assert headers["x-amz-version-id"] == marker and headers["last-modified"]
    assert error_of(s3.get_object, Bucket=bucket, Key="d")[:2] == (
        "NoSuchKey",
        "The specified key does not exist.",
    )
    assert error_of(s3.get_object, Bucket=bucket, Key="d", VersionId=marker)[0] == (
        "MethodNotAllowed"
    )


def test_ranges_refused_where_s3_refuses_them(s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="src", Body=b"0123456789")
    assert error_of(s3.get_object, Bucket=bucket, Key="src", Range="bytes=0-1", PartNumber=1) == (
        "InvalidRequest",
        "Cannot specify both Range header and partNumber query parameter.",
        400,
    )
    upload = s3.create_multipart_upload(Bucket=bucket, Key="dst")["UploadId"]
    for spec in ("bytes=5-10", "bytes=5-4", "bytes=10-12"):
        assert error_of(
            s3.upload_part_copy,
            Bucket=bucket,
            Key="dst",
            UploadId=upload,
            PartNumber=1,
            CopySource=f"{bucket}/src",
            CopySourceRange=spec,
        ) == ("InvalidArgument", "Range specified is not valid for source object of size: 10", 400)
    assert error_of(
        s3.upload_part_copy,
        Bucket=bucket,
        Key="dst",
        UploadId=upload,
        PartNumber=1,
        CopySource=f"{bucket}/src",
        CopySourceRange="bytes=-3",
    )[0] == ("InvalidArgument")
    done = s3.upload_part_copy(
        Bucket=bucket,
        Key="dst",
        UploadId=upload,
        PartNumber=1,
        CopySource=f"{bucket}/src",
        CopySourceRange="bytes=5-9",
    )
    assert done["CopyPartResult"]["ETag"] == md5_etag(b"56789")


def test_documents_are_rooted_as_s3_roots_them(s3: Any, bucket: str) -> None:
    """Root elements by S3's names (the model leaves them unnamed), in S3's namespace."""
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    base = s3.meta.endpoint_url
    headers = {"x-amz-content-sha256": "UNSIGNED-PAYLOAD"}
    for path, root in (
        (f"/{bucket}?list-type=2", "ListBucketResult"),
        (f"/{bucket}", "ListBucketResult"),
        (f"/{bucket}?versions", "ListVersionsResult"),
        (f"/{bucket}?versioning", "VersioningConfiguration"),
        ("/", "ListAllMyBucketsResult"),
        (f"/{bucket}/k?tagging", "Tagging"),
    ):
        answer = httpx.get(base + path, headers=headers)
        assert answer.status_code == 200, (path, answer.text)
        document = answer.text.split("?>", 1)[1]
        assert document.startswith(f'<{root} xmlns="http://s3.amazonaws.com/doc/2006-03-01/"'), (
            path,
            document[:120],
        )


def test_headers_a_sigv2_url_carries_are_read_as_sent(s3: Any, bucket: str) -> None:
    """A SigV2 presigned URL's query holds what were its headers; a value that is no
    Latin-1 text is still read (as its bytes), never a server error."""
    url = f"{s3.meta.endpoint_url}/{bucket}/carried?AWSAccessKeyId=x&Expires=1&Signature=s"
    answer = httpx.put(f"{url}&x-amz-meta-a=%E2%82%AC&x-amz-meta-a=second", content=b"v")
    assert answer.status_code == 200, answer.text
    metadata = s3.head_object(Bucket=bucket, Key="carried")["Metadata"]
    assert set(metadata) == {"a"}  # the first value only
