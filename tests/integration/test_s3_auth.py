"""S3 under ``altus up --auth iam``: bodies streamed to the object store unread, their
signatures checked over the payload hash they declare and the bytes checked against it as
they pass (a hex SHA-256, signed aws-chunked, unsigned aws-chunked with a checksum
trailer); presigned URLs of both signature versions; virtual-hosted buckets."""

from __future__ import annotations

import hashlib
import io
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import boto3
import httpx
import pytest
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError
from botocore.httpchecksum import AwsChunkedWrapper, Crc32Checksum

from altus.api.payload import ChunkSigner
from altus.identity import sigv4
from tests.conftest import Server, start_server

pytestmark = pytest.mark.integration

NO_RETRIES = Config(retries={"max_attempts": 0})
DOMAIN = "altus.test"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data_dir = tmp_path_factory.mktemp("s3auth")
    running = start_server(
        data_dir,
        {"ALTUS_AUTH": "iam", "ALTUS_SANDBOX": "process", "ALTUS_URL_DOMAIN": DOMAIN},
    )
    try:
        s3(running).create_bucket(Bucket="signed")
        yield running
    finally:
        running.stop()


def _keys(server: Server) -> tuple[str, str]:
    import configparser

    parser = configparser.ConfigParser()
    parser.read(server.data_dir / "credentials")
    section = parser["altus"]
    return section["aws_access_key_id"], section["aws_secret_access_key"]


def s3(server: Server, secret: str | None = None, **config: Any) -> Any:
    key, real = _keys(server)
    return boto3.client(
        "s3",
        endpoint_url=server.url,
        region_name="us-east-1",
        aws_access_key_id=key,
        aws_secret_access_key=secret or real,
        config=NO_RETRIES.merge(Config(**config)) if config else NO_RETRIES,
    )


def _signed(
    server: Server, method: str, path: str, headers: dict[str, str], payload_hash: str
) -> dict[str, str]:
    """Headers signed by botocore's S3 signer for a request with this payload hash."""
    key, secret = _keys(server)

    class Declared(S3SigV4Auth):  # type: ignore[misc]
        def payload(self, request: Any) -> str:
            return payload_hash

    request = AWSRequest(method=method, url=f"{server.url}{path}", headers=headers)
    Declared(Credentials(key, secret), "s3", "us-east-1").add_auth(request)
    return dict(request.headers.items())


def test_boto3_puts_and_gets_signed_objects_and_a_wrong_secret_is_refused(server: Server) -> None:
    client = s3(server)
    client.put_object(Bucket="signed", Key="a", Body=b"hello" * 1000)
    assert client.get_object(Bucket="signed", Key="a")["Body"].read() == b"hello" * 1000
    with pytest.raises(ClientError) as refused:
        s3(server, secret="wrong").get_object(Bucket="signed", Key="a")
    assert refused.value.response["Error"]["Code"] == "SignatureDoesNotMatch"
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_a_body_other_than_the_signed_hash_is_refused_and_nothing_is_stored(
    server: Server,
) -> None:
    signed_for = hashlib.sha256(b"the signed body").hexdigest()
    headers = _signed(server, "PUT", "/signed/swapped", {}, signed_for)
    answer = httpx.put(f"{server.url}/signed/swapped", content=b"another body", headers=headers)
    assert answer.status_code == 400
    assert b"<Code>XAmzContentSHA256Mismatch</Code>" in answer.content
    with pytest.raises(ClientError) as missing:
        s3(server).head_object(Bucket="signed", Key="swapped")
    assert missing.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_an_unsigned_chunked_upload_with_a_checksum_trailer(server: Server) -> None:
    data = bytes(range(256)) * 2000
    body = AwsChunkedWrapper(
        io.BytesIO(data), checksum_cls=Crc32Checksum, checksum_name="x-amz-checksum-crc32"
    ).read()
    headers = {
        "Content-Encoding": "aws-chunked",
        "X-Amz-Trailer": "x-amz-checksum-crc32",
        "X-Amz-Decoded-Content-Length": str(len(data)),
        "Content-Length": str(len(body)),
    }
    path = "/signed/trailer"
    signed = _signed(server, "PUT", path, headers, "STREAMING-UNSIGNED-PAYLOAD-TRAILER")
    answer = httpx.put(f"{server.url}{path}", content=body, headers=signed)
    assert answer.status_code == 200, answer.text
    got = s3(server).get_object(Bucket="signed", Key="trailer", ChecksumMode="ENABLED")
    assert got["Body"].read() == data
    crc = Crc32Checksum()
    crc.update(data)
    assert got["ChecksumCRC32"] == crc.b64digest()
    # The same upload with its trailer altered: refused, and the object unchanged.
    forged = body.replace(crc.b64digest().encode(), b"AAAAAA==")
    signed = _signed(server, "PUT", path, headers, "STREAMING-UNSIGNED-PAYLOAD-TRAILER")
    answer = httpx.put(f"{server.url}{path}", content=forged, headers=signed)
    assert answer.status_code == 400 and b"<Code>BadDigest</Code>" in answer.content


def _chunk_signed_body(seed_headers: dict[str, str], server: Server, chunks: list[bytes]) -> bytes:
    _, secret = _keys(server)
    credential = seed_headers["Authorization"].split("Credential=")[1].split(",")[0]
    date = credential.split("/")[1]
    signer = ChunkSigner(
        sigv4.signing_key(secret, date, "us-east-1", "s3"),
        seed_headers["X-Amz-Date"],
        f"{date}/us-east-1/s3/aws4_request",
        seed_headers["Authorization"].split("Signature=")[1],
    )
    out = []
    previous = signer.seed
    for chunk in [*chunks, b""]:
        previous = signer.chunk(previous, hashlib.sha256(chunk).hexdigest())
        out.append(f"{len(chunk):x};chunk-signature={previous}\r\n".encode() + chunk + b"\r\n")
    return b"".join(out)


def test_a_chunk_signed_upload(server: Server) -> None:
    chunks = [b"a" * 65536, b"b" * 1000]
    data = b"".join(chunks)
    headers = {
        "Content-Encoding": "aws-chunked",
        "X-Amz-Decoded-Content-Length": str(len(data)),
    }
    path = "/signed/chunked"
    signed = _signed(server, "PUT", path, headers, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD")
    body = _chunk_signed_body(signed, server, chunks)
    answer = httpx.put(f"{server.url}{path}", content=body, headers=signed)
    assert answer.status_code == 200, answer.text
    assert s3(server).get_object(Bucket="signed", Key="chunked")["Body"].read() == data
    # A chunk altered in flight breaks its signature.
    signed = _signed(
        server, "PUT", "/signed/chunked2", headers, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
    )
    body = _chunk_signed_body(signed, server, chunks).replace(b"b" * 10, b"c" * 10, 1)
    answer = httpx.put(f"{server.url}/signed/chunked2", content=body, headers=signed)
    assert answer.status_code == 403 and b"<Code>SignatureDoesNotMatch</Code>" in answer.content


@pytest.mark.parametrize("version", ["s3", "s3v4"])
def test_presigned_urls_of_both_signature_versions(server: Server, version: str) -> None:
    client = s3(server, signature_version=version)
    key = f"presigned-{version}"
    put = client.generate_presigned_url(
        "put_object", Params={"Bucket": "signed", "Key": key}, ExpiresIn=60
    )
    assert ("AWSAccessKeyId=" in put) == (version == "s3")
    # httpx sends no Content-Type of its own (urllib would, and the URL signs it as empty).
    assert httpx.put(put, content=b"uploaded").status_code == 200
    get = client.generate_presigned_url("get_object", Params={"Bucket": "signed", "Key": key})
    with urllib.request.urlopen(get) as answer:
        assert answer.read() == b"uploaded"
    tampered = get.replace(f"/{key}", "/a")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(tampered)
    assert refused.value.code == 403


def test_a_virtual_hosted_bucket_is_served_and_its_signature_holds(server: Server) -> None:
    s3(server).put_object(Bucket="signed", Key="dir/virtual.txt", Body=b"by host")
    port = urlsplit(server.url).port
    host = f"signed.s3.{DOMAIN}:{port}"
    key, secret = _keys(server)
    request = AWSRequest(method="GET", url=f"http://{host}/dir/virtual.txt")
    S3SigV4Auth(Credentials(key, secret), "s3", "us-east-1").add_auth(request)
    headers = {**dict(request.headers.items()), "Host": host}
    answer = httpx.get(f"{server.url}/dir/virtual.txt", headers=headers)
    assert answer.status_code == 200 and answer.content == b"by host"


def test_sigv2_presigned_urls_carry_metadata_and_expire(server: Server) -> None:
    client = s3(server, signature_version="s3")
    put = client.generate_presigned_url(
        "put_object",
        Params={
            "Bucket": "signed",
            "Key": "with-meta",
            "ContentType": "text/x-note",
            "Metadata": {"colour": "blue"},
        },
    )
    # The URL carries the content type and metadata: a client sends only the body.
    assert httpx.put(put, content=b"noted").status_code == 200
    head = s3(server).head_object(Bucket="signed", Key="with-meta")
    assert head["ContentType"] == "text/x-note" and head["Metadata"] == {"colour": "blue"}
    expired = client.generate_presigned_url(
        "get_object", Params={"Bucket": "signed", "Key": "with-meta"}, ExpiresIn=-60
    )
    answer = httpx.get(expired)
    assert answer.status_code == 403
    assert b"<Code>AccessDenied</Code><Message>Request has expired</Message>" in answer.content


def test_sigv2_header_signed_requests(server: Server) -> None:
    client = s3(server, signature_version="s3")
    client.put_object(Bucket="signed", Key="v2", Body=b"old style")
    assert client.get_object(Bucket="signed", Key="v2")["Body"].read() == b"old style"
    with pytest.raises(ClientError) as refused:
        s3(server, secret="wrong", signature_version="s3").get_object(Bucket="signed", Key="v2")
    assert refused.value.response["Error"]["Code"] == "SignatureDoesNotMatch"


def test_answers_carry_s3s_request_ids(server: Server) -> None:
    metadata = s3(server).list_buckets()["ResponseMetadata"]
    assert metadata["RequestId"] and metadata["HostId"]
    with pytest.raises(ClientError) as missing:
        s3(server).get_object(Bucket="signed", Key="nothing-here")
    assert missing.value.response["ResponseMetadata"]["RequestId"]
