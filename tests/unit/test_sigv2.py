"""S3 URLs presigned with Signature Version 2, as boto3 makes them by default."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

import boto3
import pytest

from altus.identity import sigv2
from altus.identity.errors import InvalidSignature, SignatureExpired

_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


def _presign(method: str, params: dict[str, str], token: str | None = None) -> str:
    client = boto3.client(
        "s3",
        endpoint_url="http://127.0.0.1:4566",
        region_name="us-east-1",
        aws_access_key_id="AKIDEXAMPLE",
        aws_secret_access_key=_SECRET,
        aws_session_token=token,
    )
    url: str = client.generate_presigned_url(method, Params=params, ExpiresIn=300)
    return url


@pytest.mark.parametrize(
    ("operation", "method", "params"),
    [
        ("get_object", "GET", {"Bucket": "b", "Key": "a dir/ü.txt"}),
        ("put_object", "PUT", {"Bucket": "b", "Key": "k"}),
        (
            "get_object",
            "GET",
            {"Bucket": "b", "Key": "k", "VersionId": "v1", "ResponseContentType": "text/x"},
        ),
    ],
)
def test_boto3_presigned_v2_urls_verify(
    operation: str, method: str, params: dict[str, str]
) -> None:
    url = urlsplit(_presign(operation, params))
    assert "AWSAccessKeyId=" in url.query  # boto3's default for S3 is SigV2
    query = url.query.encode()
    presigned = sigv2.parse(query)
    assert presigned is not None and presigned.access_key == "AKIDEXAMPLE"
    sigv2.verify(presigned, _SECRET, time.time(), method, url.path.encode(), query, [])
    with pytest.raises(InvalidSignature):
        sigv2.verify(presigned, _SECRET, time.time(), method, b"/b/other", query, [])
    with pytest.raises(InvalidSignature):
        sigv2.verify(presigned, "other", time.time(), method, url.path.encode(), query, [])
    with pytest.raises(SignatureExpired):
        sigv2.verify(presigned, _SECRET, time.time() + 301, method, url.path.encode(), query, [])


def test_a_session_token_is_signed() -> None:
    url = urlsplit(_presign("get_object", {"Bucket": "b", "Key": "k"}, token="TOKEN"))
    presigned = sigv2.parse(url.query.encode())
    assert presigned is not None and presigned.session_token == "TOKEN"
    sigv2.verify(presigned, _SECRET, time.time(), "GET", url.path.encode(), url.query.encode(), [])


def test_a_sigv4_query_is_not_sigv2() -> None:
    assert sigv2.parse(b"X-Amz-Credential=a&X-Amz-Signature=b") is None


def test_a_repeated_header_is_read_whole_not_one_value_of_it() -> None:
    """A signature over one value of a header does not vouch for another sent beside it
    (the operation reads the first)."""
    url = urlsplit(_presign("put_object", {"Bucket": "b", "Key": "k", "ACL": "private"}))
    query = url.query.encode()
    presigned = sigv2.parse(query)
    assert presigned is not None
    signed = [(b"x-amz-acl", b"private")]
    sigv2.verify(presigned, _SECRET, time.time(), "PUT", url.path.encode(), b"", signed)
    smuggled = [(b"x-amz-acl", b"public-read"), (b"x-amz-acl", b"private")]
    with pytest.raises(InvalidSignature):
        sigv2.verify(presigned, _SECRET, time.time(), "PUT", url.path.encode(), b"", smuggled)


def test_a_signature_that_is_not_ascii_is_refused_not_a_crash() -> None:
    presigned = sigv2.PresignedV2("AKIDEXAMPLE", "é", int(time.time()) + 60, None)
    with pytest.raises(InvalidSignature):
        sigv2.verify(presigned, _SECRET, time.time(), "GET", b"/b/k", b"", [])
