"""Verifying AWS Signature Version 4, as a service does: from the request as it arrived
(its raw path and query, its headers, its body), rebuild the canonical request the client
signed, derive the signing key from the secret of the access key it names, and compare.

Two places carry a signature: the ``Authorization`` header (``AWS4-HMAC-SHA256
Credential=<key>/<date>/<region>/<service>/aws4_request, SignedHeaders=..., Signature=...``)
and a presigned URL's query (``X-Amz-Algorithm``, ``X-Amz-Credential``, ``X-Amz-Date``,
``X-Amz-Expires``, ``X-Amz-SignedHeaders``, ``X-Amz-Signature``). ``parse`` reads either
(``None``: the request carries no credentials at all); ``verify`` checks one against a
secret. Both raise the identity layer's errors, worded as AWS words them.

What the canonical request is made of (the AWS documentation's algorithm, and what
botocore signs): the method; the path, which every service but S3 encodes a second time
(its dot segments and repeated slashes removed first); the query with every key and value
encoded by SigV4's rules and sorted; the signed headers, lower-cased, their values
trimmed and inner runs of spaces collapsed; their names; the payload's hash, which is the
``X-Amz-Content-SHA256`` header where the client sent one (``UNSIGNED-PAYLOAD``,
S3's streaming forms), else the SHA-256 of the body.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import quote, unquote_plus

from altus.identity.errors import (
    IncompleteSignature,
    InvalidSignature,
    SignatureExpired,
)

ALGORITHM = "AWS4-HMAC-SHA256"
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
#: The longest a presigned URL may live (a week).
MAX_EXPIRES = 604800
_AMZ_DATE = "%Y%m%dT%H%M%SZ"
_SIGNATURE_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. Check "
    "your AWS Secret Access Key and signing method. Consult the service documentation for "
    "details."
)

Headers = Sequence[tuple[bytes, bytes]]


@dataclass(frozen=True, slots=True)
class Signed:
    """What a request says about its signature, before any of it is checked."""

    access_key: str
    #: The credential scope: ``yyyymmdd``, region, service.
    date: str
    region: str
    service: str
    signed_headers: tuple[str, ...]
    signature: str
    #: ``X-Amz-Date`` (``yyyymmddThhmmssZ``).
    amz_date: str
    session_token: str | None
    #: Seconds a presigned URL lives (None: signed in the Authorization header).
    expires: int | None = None

    @property
    def presigned(self) -> bool:
        return self.expires is not None


def parse(query_string: bytes, headers: Headers) -> Signed | None:
    """The signature a request carries, or None where it carries none. Raises
    IncompleteSignature where it carries one that is malformed."""
    found: dict[str, str] = {}
    for name, value in headers:
        key = name.decode("latin-1").lower()
        if key in ("authorization", "x-amz-date", "date", "x-amz-security-token"):
            found.setdefault(key, value.decode("latin-1"))
    authorization = found.get("authorization")
    if authorization is not None:
        return _from_header(authorization, found)
    if b"X-Amz-Signature" in query_string or b"X-Amz-Credential" in query_string:
        return _from_query(_pairs(query_string))
    return None


def _from_header(authorization: str, headers: dict[str, str]) -> Signed:
    algorithm, _, rest = authorization.strip().partition(" ")
    if algorithm != ALGORITHM:
        raise IncompleteSignature(
            f"Authorization header requires '{ALGORITHM}' algorithm. Authorization={authorization}"
        )
    parts: dict[str, str] = {}
    for part in rest.split(","):
        key, sep, value = part.strip().partition("=")
        if sep:
            parts[key] = value
    missing = [
        f"Authorization header requires '{name}' parameter."
        for name in ("Credential", "Signature", "SignedHeaders")
        if not parts.get(name)
    ]
    amz_date = headers.get("x-amz-date") or _from_http_date(headers.get("date"))
    if amz_date is None:
        missing.append(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."
        )
    if missing:
        raise IncompleteSignature(" ".join(missing) + f" Authorization={authorization}")
    assert amz_date is not None
    access_key, date, region, service = _credential(parts["Credential"], authorization)
    return Signed(
        access_key=access_key,
        date=date,
        region=region,
        service=service,
        signed_headers=tuple(parts["SignedHeaders"].split(";")),
        signature=parts["Signature"],
        amz_date=amz_date,
        session_token=headers.get("x-amz-security-token"),
    )


def _from_query(pairs: list[tuple[str, str]]) -> Signed:
    params = dict(pairs)
    missing = [
        name
        for name in (
            "X-Amz-Algorithm",
            "X-Amz-Credential",
            "X-Amz-Date",
            "X-Amz-SignedHeaders",
            "X-Amz-Signature",
        )
        if not params.get(name)
    ]
    if missing:
        raise IncompleteSignature(
            "AWS query-string parameters must include "
            + ", ".join(f"'{name}'" for name in missing)
            + ". Re-examine the query-string parameters."
        )
    if params["X-Amz-Algorithm"] != ALGORITHM:
        raise IncompleteSignature(
            f"X-Amz-Algorithm only supports '{ALGORITHM}'; got '{params['X-Amz-Algorithm']}'"
        )
    try:
        expires = int(params.get("X-Amz-Expires", "900"))
    except ValueError:
        raise IncompleteSignature("X-Amz-Expires should be a number") from None
    if not 0 < expires <= MAX_EXPIRES:
        raise IncompleteSignature(
            "X-Amz-Expires must be less than a week (in seconds); that is, the given "
            f"X-Amz-Expires must be less than {MAX_EXPIRES} seconds"
        )
    access_key, date, region, service = _credential(
        params["X-Amz-Credential"], params["X-Amz-Credential"]
    )
    return Signed(
        access_key=access_key,
        date=date,
        region=region,
        service=service,
        signed_headers=tuple(params["X-Amz-SignedHeaders"].split(";")),
        signature=params["X-Amz-Signature"],
        amz_date=params["X-Amz-Date"],
        session_token=params.get("X-Amz-Security-Token"),
        expires=expires,
    )


def _credential(credential: str, context: str) -> tuple[str, str, str, str]:
    parts = credential.split("/")
    if len(parts) != 5 or parts[4] != "aws4_request" or not all(parts):
        raise IncompleteSignature(
            f"Credential should be scoped to a valid date, region, service and terminal "
            f"'aws4_request'. Credential={credential}"
        )
    return parts[0], parts[1], parts[2], parts[3]


def _from_http_date(value: str | None) -> str | None:
    """An RFC 7231 ``Date`` header as ``yyyymmddThhmmssZ`` (None if absent or bad)."""
    if not value:
        return None
    try:
        parsed = datetime.datetime.strptime(value.strip(), "%a, %d %b %Y %H:%M:%S GMT")
    except ValueError:
        return None
    return parsed.strftime(_AMZ_DATE)


def _pairs(query_string: bytes) -> list[tuple[str, str]]:
    """The query's (key, value) pairs, decoded, in their order."""
    pairs: list[tuple[str, str]] = []
    for part in query_string.decode("latin-1").split("&"):
        if part:
            key, _, value = part.partition("=")
            pairs.append((unquote_plus(key), unquote_plus(value)))
    return pairs


# --- verifying ------------------------------------------------------------------------------


def check_time(signed: Signed, now: datetime.datetime, skew_minutes: int) -> None:
    """The request's time against the clock: within ``skew_minutes`` either way, and for
    a presigned URL, not past its expiry. Raises SignatureExpired (or InvalidSignature for
    a date that is not one)."""
    stamp = _amz_time(signed.amz_date)
    if stamp is None:
        raise IncompleteSignature(
            f"Date must be in ISO-8601 'basic format'. Got '{signed.amz_date}'. See "
            "http://en.wikipedia.org/wiki/ISO_8601"
        ) from None
    if signed.date != signed.amz_date[:8]:
        raise InvalidSignature(
            f"Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date "
            f"from HTTP: '{signed.date}' != '{signed.amz_date[:8]}', from '{signed.amz_date}'."
        )
    window = datetime.timedelta(minutes=skew_minutes)
    if stamp.year > 9000:  # no arithmetic near datetime's end (a forged far future)
        raise SignatureExpired("Request is not yet valid")
    if signed.presigned:
        assert signed.expires is not None
        if now > stamp + datetime.timedelta(seconds=signed.expires):
            raise SignatureExpired("Request has expired")
        if stamp - now > window:
            raise SignatureExpired("Request is not yet valid")
        return
    if stamp < now - window:
        raise SignatureExpired(
            f"Signature expired: {signed.amz_date} is now earlier than "
            f"{(now - window).strftime(_AMZ_DATE)} ({now.strftime(_AMZ_DATE)} - "
            f"{skew_minutes} min.)"
        )
    if stamp > now + window:
        raise SignatureExpired(
            f"Signature not yet current: {signed.amz_date} is still later than "
            f"{(now + window).strftime(_AMZ_DATE)} ({now.strftime(_AMZ_DATE)} + "
            f"{skew_minutes} min.)"
        )


def verify(
    signed: Signed,
    secret: str,
    method: str,
    raw_path: bytes,
    query_string: bytes,
    headers: Headers,
    body: bytes,
    *,
    s3: bool = False,
) -> None:
    """Raise InvalidSignature unless ``signed`` is the signature of this request by
    ``secret``. ``s3``: the path is signed as sent (S3 does not encode it twice)."""
    candidates = _payload_hashes(signed, headers, body, s3=s3)
    for payload_hash in candidates:
        if _holds(signed, secret, method, raw_path, query_string, headers, payload_hash, s3):
            return
    raise InvalidSignature(_SIGNATURE_MISMATCH)


def verify_declared(
    signed: Signed,
    secret: str,
    method: str,
    raw_path: bytes,
    query_string: bytes,
    headers: Headers,
    payload_hash: str,
) -> None:
    """As ``verify``, for an S3 request whose body is streamed to the operation unread:
    the signature is checked over the payload hash the request declares
    (``X-Amz-Content-SHA256``: a hex SHA-256, ``UNSIGNED-PAYLOAD``, ``STREAMING-...``),
    and the body against that declaration as it is read (``altus.api.payload``)."""
    if not _holds(signed, secret, method, raw_path, query_string, headers, payload_hash, True):
        raise InvalidSignature(_SIGNATURE_MISMATCH)


def _holds(
    signed: Signed,
    secret: str,
    method: str,
    raw_path: bytes,
    query_string: bytes,
    headers: Headers,
    payload_hash: str,
    s3: bool,
) -> bool:
    if "host" not in signed.signed_headers:
        return False
    key = signing_key(secret, signed.date, signed.region, signed.service)
    canonical = canonical_request(
        signed, method, raw_path, query_string, headers, payload_hash, s3=s3
    )
    expected = signature(key, string_to_sign(signed, canonical))
    return hmac.compare_digest(expected.encode(), signed.signature.encode("utf-8", "replace"))


def scope_of(signed: Signed) -> str:
    return f"{signed.date}/{signed.region}/{signed.service}/aws4_request"


def _payload_hashes(signed: Signed, headers: Headers, body: bytes, *, s3: bool) -> list[str]:
    """The payload hashes the signature may have been made with. The body is always
    bound: a declared ``X-Amz-Content-SHA256`` must be its hash, and a payload left
    unsigned (``UNSIGNED-PAYLOAD``, S3's way) is taken only for S3 or an empty body, so
    a captured signature never carries another body."""
    body_hash = hashlib.sha256(body).hexdigest()
    unsigned_ok = s3 or not body
    for name, value in headers:
        if name.lower() == b"x-amz-content-sha256":
            declared = value.decode("latin-1").strip()
            if declared == UNSIGNED_PAYLOAD and unsigned_ok:
                return [declared]
            if declared != body_hash:
                raise InvalidSignature(
                    "The provided 'x-amz-content-sha256' header does not match what was computed."
                )
            return [declared]
    # A presigned URL may be signed without its payload (S3's URLs are).
    return [body_hash, UNSIGNED_PAYLOAD] if signed.presigned and unsigned_ok else [body_hash]


def canonical_request(
    signed: Signed,
    method: str,
    raw_path: bytes,
    query_string: bytes,
    headers: Headers,
    payload_hash: str,
    *,
    s3: bool = False,
) -> str:
    path = raw_path.decode("latin-1") or "/"
    canonical_path = path if s3 else quote(_remove_dot_segments(path), safe="/~")
    return "\n".join(
        (
            method.upper(),
            canonical_path,
            canonical_query(query_string, drop_signature=signed.presigned),
            canonical_headers(signed.signed_headers, headers) + "\n",
            ";".join(signed.signed_headers),
            payload_hash,
        )
    )


def canonical_query(query_string: bytes, *, drop_signature: bool = False) -> str:
    """Every key and value encoded by SigV4's rules (unreserved characters kept, the rest
    percent-encoded, spaces as ``%20``), sorted by key, then value."""
    encoded = sorted(
        (quote(key, safe="-_.~"), quote(value, safe="-_.~"))
        for key, value in _pairs(query_string)
        if not (drop_signature and key == "X-Amz-Signature")
    )
    return "&".join(f"{key}={value}" for key, value in encoded)


def canonical_headers(names: Sequence[str], headers: Headers) -> str:
    """``name:value`` for each signed header: repeated headers joined with commas, values
    trimmed and inner runs of spaces collapsed."""
    values: dict[str, list[str]] = {}
    for name, value in headers:
        key = name.decode("latin-1").lower()
        if key in names:
            values.setdefault(key, []).append(" ".join(value.decode("latin-1").split()))
    return "\n".join(f"{name}:{','.join(values.get(name, ()))}" for name in names)


def string_to_sign(signed: Signed, canonical: str) -> str:
    scope = scope_of(signed)
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    return f"{ALGORITHM}\n{signed.amz_date}\n{scope}\n{digest}"


def _amz_time(text: str) -> datetime.datetime | None:
    """``YYYYMMDDTHHMMSSZ`` as a UTC time (strptime costs a third of a verification);
    None if it is not one."""
    if len(text) != 16 or text[8] != "T" or text[15] != "Z":
        return None
    digits = text[:8] + text[9:15]
    if not digits.isascii() or not digits.isdigit():
        return None
    try:
        return datetime.datetime(
            int(text[0:4]),
            int(text[4:6]),
            int(text[6:8]),
            int(text[9:11]),
            int(text[11:13]),
            int(text[13:15]),
            tzinfo=datetime.UTC,
        )
    except ValueError:
        return None


@functools.lru_cache(maxsize=256)
def signing_key(secret: str, date: str, region: str, service: str) -> bytes:
    """The key a day's signatures for one region and service are made with (the same
    for every request of that day: derived once)."""
    key = hmac.new(f"AWS4{secret}".encode(), date.encode(), hashlib.sha256).digest()
    for part in (region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def signature(key: bytes, to_sign: str) -> str:
    return hmac.new(key, to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


def _remove_dot_segments(path: str) -> str:
    """The path without ``.`` and ``..`` segments and repeated slashes (RFC 3986 5.2.4,
    and AWS's rule for empty segments), its leading and trailing slash kept."""
    kept: list[str] = []
    for segment in path.split("/"):
        if not segment or segment == ".":
            continue
        if segment == "..":
            if kept:
                kept.pop()
            continue
        kept.append(segment)
    if not kept:
        return "/"
    trailing = "/" if path.endswith("/") else ""
    leading = "/" if path.startswith("/") else ""
    return leading + "/".join(kept) + trailing
