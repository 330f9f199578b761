"""The body decoder of S3 uploads (altus.api.payload): aws-chunked with and without
signatures, trailers and checksums, against AWS's worked example and botocore's encoder."""

from __future__ import annotations

import base64
import hashlib
import io
import zlib
from collections.abc import AsyncIterator

import anyio
import pytest
from botocore.httpchecksum import AwsChunkedWrapper, Crc32Checksum

from altus.api.payload import (
    BadDigest,
    ChunkSignatureMismatch,
    ChunkSigner,
    ContentSha256Mismatch,
    IncompleteBody,
    InvalidChunking,
    InvalidDigest,
    Payload,
    PayloadRules,
)
from altus.identity import sigv4

# AWS's example of a signed chunked upload (S3 API reference, "Signature calculations for
# the Authorization header: transferring payload in multiple chunks"): 65 KB of "a" in a
# 64 KB chunk, a 1 KB chunk and the empty last one.
_KEY = sigv4.signing_key("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "20130524", "us-east-1", "s3")
_SIGNER = ChunkSigner(
    _KEY,
    "20130524T000000Z",
    "20130524/us-east-1/s3/aws4_request",
    "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9",
)
_EXAMPLE_SIGNATURES = (
    "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
    "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
    "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9",
)


def _signed_body(chunks: list[bytes], signer: ChunkSigner = _SIGNER) -> bytes:
    out = []
    previous = signer.seed
    for chunk in chunks:
        previous = signer.chunk(previous, hashlib.sha256(chunk).hexdigest())
        out.append(f"{len(chunk):x};chunk-signature={previous}\r\n".encode() + chunk + b"\r\n")
    return b"".join(out)


async def _pieces(raw: bytes, size: int) -> AsyncIterator[bytes]:
    for start in range(0, len(raw), size):
        yield raw[start : start + size]


def _decode(
    raw: bytes, headers: dict[str, str], rules: PayloadRules | None = None, piece: int = 7000
) -> tuple[bytes, Payload]:
    payload = Payload(headers, rules or PayloadRules())

    async def run() -> bytes:
        out = bytearray()
        async for data in payload.stream(_pieces(raw, piece)):
            out += data
        return bytes(out)

    return anyio.run(run), payload


def test_chunk_signatures_are_aws_worked_example() -> None:
    previous = _SIGNER.seed
    for chunk, expected in zip((b"a" * 65536, b"a" * 1024, b""), _EXAMPLE_SIGNATURES, strict=True):
        previous = _SIGNER.chunk(previous, hashlib.sha256(chunk).hexdigest())
        assert previous == expected


@pytest.mark.parametrize("piece", [1, 13, 4096, 1 << 20])
def test_signed_chunks_decode_whatever_the_network_split(piece: int) -> None:
    raw = _signed_body([b"a" * 65536, b"a" * 1024, b""])
    headers = {
        "x-amz-content-sha256": "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
        "content-encoding": "aws-chunked",
        "x-amz-decoded-content-length": str(66560),
    }
    data, _ = _decode(raw, headers, PayloadRules(chunks=_SIGNER), piece)
    assert data == b"a" * 66560


def test_a_chunk_altered_in_flight_is_refused() -> None:
    raw = bytearray(_signed_body([b"a" * 1000, b""]))
    raw[raw.index(b"\r\n") + 10] = ord("b")
    headers = {"x-amz-content-sha256": "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"}
    with pytest.raises(ChunkSignatureMismatch):
        _decode(bytes(raw), headers, PayloadRules(chunks=_SIGNER))


def test_signed_trailer_is_checked() -> None:
    data = b"hello world" * 100
    crc = base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()
    body = _signed_body([data])
    previous = body.rsplit(b"chunk-signature=", 1)[1][:64].decode()
    last = _SIGNER.chunk(previous, hashlib.sha256(b"").hexdigest())
    trailer_sig = _SIGNER.trailer(last, f"x-amz-checksum-crc32:{crc}\n")
    raw = (
        body
        + f"0;chunk-signature={last}\r\n".encode()
        + f"x-amz-checksum-crc32:{crc}\r\nx-amz-trailer-signature:{trailer_sig}\r\n\r\n".encode()
    )
    headers = {
        "x-amz-content-sha256": "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
        "x-amz-trailer": "x-amz-checksum-crc32",
    }
    decoded, payload = _decode(raw, headers, PayloadRules(chunks=_SIGNER))
    assert decoded == data and payload.checksums == {"CRC32": crc}
    forged = raw.replace(trailer_sig.encode(), b"0" * 64)
    with pytest.raises(ChunkSignatureMismatch):
        _decode(forged, headers, PayloadRules(chunks=_SIGNER))


def _botocore_unsigned(data: bytes) -> bytes:
    """What botocore sends for a streamed upload with a checksum trailer."""
    wrapper = AwsChunkedWrapper(
        io.BytesIO(data), checksum_cls=Crc32Checksum, checksum_name="x-amz-checksum-crc32"
    )
    return wrapper.read()


_TRAILER_HEADERS = {
    "x-amz-content-sha256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
    "content-encoding": "aws-chunked",
    "x-amz-trailer": "x-amz-checksum-crc32",
}


def test_botocore_unsigned_trailer_upload_decodes_and_its_checksum_holds() -> None:
    data = bytes(range(256)) * 4000
    decoded, payload = _decode(
        _botocore_unsigned(data),
        {**_TRAILER_HEADERS, "x-amz-decoded-content-length": str(len(data))},
    )
    assert decoded == data
    assert payload.checksums == {
        "CRC32": base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()
    }


def test_a_wrong_trailer_checksum_is_bad_digest() -> None:
    raw = _botocore_unsigned(b"x" * 5000)
    crc = raw.rsplit(b"x-amz-checksum-crc32:", 1)[1].split(b"\r\n")[0]
    with pytest.raises(BadDigest, match="The CRC32 you specified did not match"):
        _decode(raw.replace(crc, b"AAAAAA=="), _TRAILER_HEADERS)


def test_a_body_cut_short_is_incomplete() -> None:
    raw = _botocore_unsigned(b"x" * 5000)
    with pytest.raises(IncompleteBody):
        _decode(raw[:3000], _TRAILER_HEADERS)


def test_a_garbled_chunk_size_is_refused() -> None:
    with pytest.raises(InvalidChunking):
        _decode(b"zz\r\nabc\r\n0\r\n\r\n", _TRAILER_HEADERS)


def test_plain_body_checks_declared_sha256_content_md5_and_header_checksums() -> None:
    data = b"some object bytes"
    md5 = base64.b64encode(hashlib.md5(data).digest()).decode()
    sha1 = base64.b64encode(hashlib.sha1(data).digest()).decode()
    headers = {"content-md5": md5, "x-amz-checksum-sha1": sha1}
    rules = PayloadRules(sha256=hashlib.sha256(data).hexdigest())
    decoded, payload = _decode(data, headers, rules)
    assert decoded == data and payload.checksums == {"SHA1": sha1}
    assert payload.content_md5_verified
    with pytest.raises(ContentSha256Mismatch):
        _decode(data + b"!", {}, rules)
    with pytest.raises(BadDigest, match="Content-MD5"):
        _decode(b"other", {"content-md5": md5})
    with pytest.raises(InvalidDigest):
        _decode(data, {"content-md5": "not-base64!"})
    with pytest.raises(InvalidChunking, match="x-amz-checksum-sha1"):
        _decode(data, {"x-amz-checksum-sha1": "AAAA"})


@pytest.mark.parametrize("algorithm", ["crc32c", "crc64nvme", "sha256"])
def test_every_checksum_algorithm_is_verified(algorithm: str) -> None:
    from botocore.httpchecksum import _CHECKSUM_CLS

    data = b"checksum me" * 1000
    checksum = _CHECKSUM_CLS[algorithm]()
    checksum.update(data)
    value = base64.b64encode(checksum.digest()).decode()
    _, payload = _decode(data, {f"x-amz-checksum-{algorithm}": value})
    assert payload.checksums == {algorithm.upper(): value}
    with pytest.raises(BadDigest):
        _decode(data + b".", {f"x-amz-checksum-{algorithm}": value})
