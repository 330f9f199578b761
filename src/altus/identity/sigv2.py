"""S3's Signature Version 2: the presigned URLs boto3's ``generate_presigned_url``
makes for S3 unless told to use SigV4 (``?AWSAccessKeyId=...&Expires=...&Signature=...``),
and the ``Authorization: AWS <key>:<signature>`` header of clients configured with
``signature_version="s3"``. Every other request is signed with SigV4.

The string signed (HMAC-SHA1, base64): the method, ``Content-MD5``, ``Content-Type``, the
expiry (epoch seconds; a header-signed request's ``Date``, or empty when ``x-amz-date``
is sent), the ``x-amz-*`` headers (``name:value`` lines, sorted; in a presigned URL
those botocore moved into the query count as headers), and the resource: the path-style
path as sent with the sub-resources and response overrides of the query, sorted.
"""

from __future__ import annotations

import base64
import datetime
import email.utils
import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import unquote_plus

from altus.identity.errors import IncompleteSignature, InvalidSignature, SignatureExpired

Headers = Sequence[tuple[bytes, bytes]]

#: The query parameters that are part of the signed resource (S3's list).
_SUB_RESOURCES = frozenset(
    {
        "acl", "cors", "delete", "lifecycle", "location", "logging", "notification",
        "partNumber", "policy", "requestPayment", "restore", "tagging", "torrent",
        "uploadId", "uploads", "versionId", "versioning", "versions", "website",
        "response-cache-control", "response-content-disposition",
        "response-content-encoding", "response-content-language", "response-content-type",
        "response-expires",
    }
)  # fmt: skip

#: How far a header-signed request's time may stray (S3's 15 minutes).
_SKEW_S = 15 * 60

_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. Check "
    "your key and signing method."
)


@dataclass(frozen=True, slots=True)
class PresignedV2:
    access_key: str
    signature: str
    #: The URL's expiry (epoch seconds); None for a header-signed request.
    expires: int | None
    session_token: str | None
    #: A header-signed request's ``Date`` or ``x-amz-date`` (what its time is checked by).
    date: str | None = None


def parse_header(authorization: str, headers: Headers) -> PresignedV2 | None:
    """An ``Authorization: AWS <key>:<signature>`` header's parts, or None where the
    header is not SigV2's."""
    if not authorization.startswith("AWS "):
        return None
    key, sep, signature = authorization[4:].strip().partition(":")
    if not sep or not key or not signature:
        raise IncompleteSignature(
            "Authorization header is invalid -- one and only one ' ' (space) required"
        )
    found = _joined(headers)
    date = found.get("x-amz-date") or found.get("date")
    if not date:
        raise IncompleteSignature("AWS authentication requires a valid Date or x-amz-date header")
    return PresignedV2(key, signature, None, found.get("x-amz-security-token"), date)


def parse(query_string: bytes) -> PresignedV2 | None:
    """The query's SigV2 presigned parameters, or None where it has none."""
    if b"AWSAccessKeyId=" not in query_string:
        return None
    params = dict(_pairs(query_string))
    missing = [n for n in ("AWSAccessKeyId", "Signature", "Expires") if not params.get(n)]
    if missing:
        raise IncompleteSignature(
            "Query-string authentication requires the Signature, Expires and AWSAccessKeyId "
            "parameters"
        )
    try:
        expires = int(params["Expires"])
    except ValueError:
        raise IncompleteSignature("Invalid date (should be seconds since epoch)") from None
    return PresignedV2(
        params["AWSAccessKeyId"],
        params["Signature"],
        expires,
        params.get("x-amz-security-token"),
    )


def verify(
    presigned: PresignedV2,
    secret: str,
    now: float,
    method: str,
    raw_path: bytes,
    query_string: bytes,
    headers: Headers,
) -> None:
    """Raise unless the request is in time (a URL unexpired; a header-signed request
    within 15 minutes of ``now``) and signed by ``secret`` for this request."""
    found = _joined(headers)
    if presigned.expires is not None:
        if now > presigned.expires:
            raise SignatureExpired("Request has expired")
        stamp = str(presigned.expires)
        # What botocore moved from the headers into the URL is signed as headers.
        for key, value in _pairs(query_string):
            lowered = key.lower()
            if lowered.startswith("x-amz-") or lowered in ("content-type", "content-md5"):
                found.setdefault(lowered, value)
    else:
        when = _http_time(presigned.date or "")
        if when is None or abs(now - when) > _SKEW_S:
            raise SignatureExpired(
                "The difference between the request time and the current time is too large."
            )
        # With ``x-amz-date`` the Date line is empty (the time is signed as that header).
        stamp = "" if "x-amz-date" in found else found.get("date", "")
    amz = {k: v for k, v in found.items() if k.startswith("x-amz-")}
    if presigned.session_token is not None:
        amz.setdefault("x-amz-security-token", presigned.session_token)
    resource = raw_path.decode("latin-1") or "/"
    subs = sorted((k, v) for k, v in _pairs(query_string) if k in _SUB_RESOURCES)
    if subs:
        resource += "?" + "&".join(f"{k}={v}" if v else k for k, v in subs)
    to_sign = "\n".join(
        (
            method.upper(),
            found.get("content-md5", ""),
            found.get("content-type", ""),
            stamp,
            *(f"{k}:{amz[k]}" for k in sorted(amz)),
            resource,
        )
    )
    expected = base64.b64encode(
        hmac.new(secret.encode(), to_sign.encode("utf-8"), hashlib.sha1).digest()
    ).decode()
    if not hmac.compare_digest(expected.encode(), presigned.signature.encode("utf-8", "replace")):
        raise InvalidSignature(_MISMATCH)


def _joined(headers: Headers) -> dict[str, str]:
    """Headers by lower-case name, a repeated one's values joined with commas (in their
    order), as SigV4 reads them: a signature over one value never vouches for another
    sent beside it."""
    found: dict[str, list[str]] = {}
    for name, value in headers:
        found.setdefault(name.decode("latin-1").lower(), []).append(value.decode("latin-1").strip())
    return {name: ",".join(values) for name, values in found.items()}


def _pairs(query_string: bytes) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for part in query_string.decode("latin-1").split("&"):
        if part:
            key, _, value = part.partition("=")
            pairs.append((unquote_plus(key), unquote_plus(value)))
    return pairs


def _http_time(text: str) -> float | None:
    """An RFC 7231 date, or an ISO basic ``x-amz-date``, as epoch seconds."""
    try:
        if len(text) == 16 and text[8] == "T" and text.endswith("Z"):
            parsed = datetime.datetime.strptime(text, "%Y%m%dT%H%M%SZ").replace(tzinfo=datetime.UTC)
            return parsed.timestamp()
        return email.utils.parsedate_to_datetime(text).timestamp()
    except (TypeError, ValueError):
        return None
