"""A request body as the operation reads it: the bytes of an S3 upload with its wire
form taken off and everything the request says about them checked as they pass.

What a client declares of its body (``X-Amz-Content-SHA256``, ``Content-Encoding:
aws-chunked``):

- plain bytes, with their SHA-256 in hex (checked at the end where the signature relied
  on it) or ``UNSIGNED-PAYLOAD``;
- ``aws-chunked``: ``<hex size>[;chunk-signature=<sig>]\\r\\n<bytes>\\r\\n`` per chunk, a
  last chunk of size 0, then trailing headers (``name:value\\r\\n``) and an empty line.
  ``STREAMING-AWS4-HMAC-SHA256-PAYLOAD`` signs every chunk, each signature chained to the
  one before from the request's own (the seed); ``STREAMING-UNSIGNED-PAYLOAD-TRAILER``
  signs nothing and ends with a checksum trailer; ``...-PAYLOAD-TRAILER`` signs both.

Checksums the request names (``x-amz-checksum-<algorithm>`` headers or trailers,
``Content-MD5``) are computed over the decoded bytes and compared when the body ends.
Anything wrong raises an ``AltusError`` from the iterator, so an operation that writes
only once the body has ended whole keeps nothing of a bad one.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import zlib
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from awscrt import checksums as crt

from altus.errors import UserError

#: Scope key: what the signature leaves to be checked of the body (``PayloadRules``).
PAYLOAD = "altus.payload"

EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
SHA256_MISMATCH = "The provided 'x-amz-content-sha256' header does not match what was computed."
#: The longest chunk header or trailer line read (a size, a signature, a checksum).
_MAX_LINE = 4096


class BadDigest(UserError):
    code = "BadDigest"


class InvalidDigest(UserError):
    code = "InvalidDigest"


class ContentSha256Mismatch(UserError):
    code = "XAmzContentSHA256Mismatch"


class IncompleteBody(UserError):
    code = "IncompleteBody"


class InvalidChunking(UserError):
    code = "InvalidRequest"


class InvalidContentSha256(UserError):
    code = "InvalidArgument"


class ChunkSignatureMismatch(UserError):
    code = "SignatureDoesNotMatch"
    status = 403


class _Digest(Protocol):
    def update(self, data: bytes, /) -> None: ...

    def value(self) -> bytes: ...


class _Crc:
    """A running CRC over the bytes given so far (``step(data, previous)``)."""

    def __init__(self, step: Callable[[bytes, int], int], size: int) -> None:
        self._step = step
        self._size = size
        self._crc = 0

    def update(self, data: bytes) -> None:
        self._crc = self._step(data, self._crc)

    def value(self) -> bytes:
        return self._crc.to_bytes(self._size, "big")


class _Hash:
    def __init__(self, name: str) -> None:
        self._hash = hashlib.new(name)

    def update(self, data: bytes) -> None:
        self._hash.update(data)

    def value(self) -> bytes:
        return self._hash.digest()


#: The checksum algorithms S3 takes, by the name in ``x-amz-checksum-<name>``.
_ALGORITHMS: Mapping[str, Callable[[], _Digest]] = {
    "crc32": lambda: _Crc(zlib.crc32, 4),
    "crc32c": lambda: _Crc(crt.crc32c, 4),
    "crc64nvme": lambda: _Crc(crt.crc64nvme, 8),
    "sha1": lambda: _Hash("sha1"),
    "sha256": lambda: _Hash("sha256"),
}
_DIGEST_SIZES = {"crc32": 4, "crc32c": 4, "crc64nvme": 8, "sha1": 20, "sha256": 32}


@dataclass(frozen=True, slots=True)
class ChunkSigner:
    """What a signed chunked upload's chunk signatures are checked with: the request's
    signing key and scope, and its own signature (the first chunk's ``previous``)."""

    key: bytes
    amz_date: str
    scope: str
    seed: str

    def chunk(self, previous: str, data_sha256: str) -> str:
        to_sign = "\n".join(
            (
                "AWS4-HMAC-SHA256-PAYLOAD",
                self.amz_date,
                self.scope,
                previous,
                EMPTY_SHA256,
                data_sha256,
            )
        )
        return hmac.new(self.key, to_sign.encode(), hashlib.sha256).hexdigest()

    def trailer(self, previous: str, trailers: str) -> str:
        to_sign = "\n".join(
            (
                "AWS4-HMAC-SHA256-TRAILER",
                self.amz_date,
                self.scope,
                previous,
                hashlib.sha256(trailers.encode("latin-1")).hexdigest(),
            )
        )
        return hmac.new(self.key, to_sign.encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True, slots=True)
class PayloadRules:
    """What authentication left to check as the body is read: the SHA-256 the signature
    was made over (hex), and the chunk signatures' signer."""

    sha256: str | None = None
    chunks: ChunkSigner | None = None


_SIGNATURE_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your key and signing method."
)


def is_streaming(declared: str | None) -> bool:
    return declared is not None and declared.startswith("STREAMING-")


@dataclass
class Payload:
    """One request's body, decoded and checked (``stream``); after it ends, the
    checksums it was sent with (``checksums``: upper-case algorithm -> base64), every
    one verified."""

    headers: Mapping[str, str]
    rules: PayloadRules = field(default_factory=PayloadRules)
    checksums: dict[str, str] = field(default_factory=dict)
    content_md5_verified: bool = False

    async def stream(self, raw: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
        declared = self.headers.get("x-amz-content-sha256")
        chunked = is_streaming(declared) or "aws-chunked" in self.headers.get(
            "content-encoding", ""
        )
        digests = self._digests()
        md5 = self._content_md5()
        running_md5 = hashlib.md5(usedforsecurity=False) if md5 is not None else None
        sha256 = hashlib.sha256() if self.rules.sha256 is not None and not chunked else None
        trailers: dict[str, str] = {}
        size = 0
        source = _Chunks(raw, self.rules.chunks, trailers).data() if chunked else raw
        async for data in source:
            if not data:
                continue
            size += len(data)
            for digest in digests.values():
                digest.update(data)
            if running_md5 is not None:
                running_md5.update(data)
            if sha256 is not None:
                sha256.update(data)
            yield data
        self._check_length(size, chunked)
        if sha256 is not None and sha256.hexdigest() != self.rules.sha256:
            raise ContentSha256Mismatch(SHA256_MISMATCH)
        if running_md5 is not None and running_md5.digest() != md5:
            raise BadDigest("The Content-MD5 you specified did not match what we received.")
        self.content_md5_verified = md5 is not None
        for name, digest in digests.items():
            given = self.headers.get(f"x-amz-checksum-{name}") or trailers.get(
                f"x-amz-checksum-{name}"
            )
            if given is None:
                raise InvalidChunking(
                    f"The x-amz-checksum-{name} trailer the request announced was not sent."
                )
            if _decoded(given, name) != digest.value():
                raise BadDigest(
                    f"The {name.upper()} you specified did not match the calculated checksum."
                )
            self.checksums[name.upper()] = given

    def _digests(self) -> dict[str, _Digest]:
        """A running digest per checksum the request names, in a header or (announced
        by ``x-amz-trailer``) a trailer. A header's value is checked for form first."""
        names: list[str] = []
        for header, value in self.headers.items():
            if header.startswith("x-amz-checksum-") and header != "x-amz-checksum-type":
                name = header.removeprefix("x-amz-checksum-")
                if name in _ALGORITHMS:
                    _decoded(value, name)
                    names.append(name)
        for trailer in self.headers.get("x-amz-trailer", "").split(","):
            name = trailer.strip().lower().removeprefix("x-amz-checksum-")
            if trailer.strip() and name in _ALGORITHMS and name not in names:
                names.append(name)
        return {name: _ALGORITHMS[name]() for name in names}

    def _content_md5(self) -> bytes | None:
        given = self.headers.get("content-md5")
        if given is None:
            return None
        try:
            md5 = base64.b64decode(given.strip(), validate=True)
        except (binascii.Error, ValueError):
            md5 = b""
        if len(md5) != 16:
            raise InvalidDigest("The Content-MD5 you specified was invalid.")
        return md5

    def _check_length(self, size: int, chunked: bool) -> None:
        announced = self.headers.get(
            "x-amz-decoded-content-length" if chunked else "content-length"
        )
        if announced is not None and announced.isdigit() and int(announced) != size:
            raise IncompleteBody(
                "You did not provide the number of bytes specified by the Content-Length "
                "HTTP header."
            )


def _decoded(value: str, name: str) -> bytes:
    try:
        raw = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != _DIGEST_SIZES[name]:
        raise InvalidChunking(f"Value for x-amz-checksum-{name} header is invalid.")
    return raw


class _Chunks:
    """The aws-chunked decoder: data out as it arrives (a chunk is never held whole),
    each chunk's signature checked once its last byte has passed."""

    def __init__(
        self, raw: AsyncIterator[bytes], signer: ChunkSigner | None, trailers: dict[str, str]
    ) -> None:
        self._raw = raw
        self._signer = signer
        self._trailers = trailers
        self._buffer = bytearray()
        self._ended = False

    async def _fill(self) -> bool:
        """More bytes into the buffer; False once the body has ended."""
        if self._ended:
            return False
        try:
            chunk = await anext(self._raw)
        except StopAsyncIteration:
            self._ended = True
            return False
        self._buffer += chunk
        return True

    async def _line(self) -> str:
        while True:
            end = self._buffer.find(b"\r\n")
            if end >= 0:
                line = bytes(self._buffer[:end])
                del self._buffer[: end + 2]
                return line.decode("latin-1")
            if len(self._buffer) > _MAX_LINE:
                raise InvalidChunking("The chunk encoding of the request body is malformed.")
            if not await self._fill():
                raise IncompleteBody("The request body ended before its last chunk.")

    async def data(self) -> AsyncIterator[bytes]:
        previous = self._signer.seed if self._signer is not None else ""
        while True:
            header = await self._line()
            size_text, _, extension = header.partition(";")
            try:
                size = int(size_text.strip(), 16)
            except ValueError:
                raise InvalidChunking(
                    "The chunk encoding of the request body is malformed."
                ) from None
            given = extension.strip().removeprefix("chunk-signature=")
            hashed = hashlib.sha256() if self._signer is not None else None
            left = size
            while left:
                if not self._buffer and not await self._fill():
                    raise IncompleteBody("The request body ended inside a chunk.")
                piece = bytes(self._buffer[:left])
                del self._buffer[: len(piece)]
                left -= len(piece)
                if hashed is not None:
                    hashed.update(piece)
                yield piece
            if self._signer is not None and hashed is not None:
                expected = self._signer.chunk(previous, hashed.hexdigest())
                if not hmac.compare_digest(expected, given):
                    raise ChunkSignatureMismatch(_SIGNATURE_MISMATCH)
                previous = expected
            if size == 0:
                await self._read_trailers(previous)
                return
            if await self._line() != "":
                raise InvalidChunking("The chunk encoding of the request body is malformed.")

    async def _read_trailers(self, previous: str) -> None:
        canonical: list[str] = []
        signature: str | None = None
        while True:
            if not self._buffer and not await self._fill():
                return  # the body may end right after the last chunk
            line = await self._line()
            if line == "":
                break
            name, sep, value = line.partition(":")
            if not sep:
                raise InvalidChunking("The trailing headers of the request body are malformed.")
            name, value = name.strip().lower(), value.strip()
            if name == "x-amz-trailer-signature":
                signature = value
            else:
                self._trailers[name] = value
                canonical.append(f"{name}:{value}\n")
        if self._signer is not None and canonical:
            expected = self._signer.trailer(previous, "".join(canonical))
            if signature is None or not hmac.compare_digest(expected, signature):
                raise ChunkSignatureMismatch(_SIGNATURE_MISMATCH)


def rules_of(scope: Mapping[str, Any]) -> PayloadRules:
    found = scope.get(PAYLOAD)
    return found if isinstance(found, PayloadRules) else PayloadRules()
