"""Names S3 checks and the ways it encodes them: bucket names (its naming rules), object
keys (at most 1,024 bytes of UTF-8), keys as listings encode them (``EncodingType=url``)
and as event records do (form encoding: a space is ``+``), and the order keys are kept
in (UTF-8 binary order, which is code point order)."""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import quote, quote_plus

from altus.s3.errors import InvalidBucketName, KeyTooLong

_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
MAX_KEY_BYTES = 1024


def check_bucket_name(name: str) -> None:
    """Raise InvalidBucketName unless ``name`` follows S3's general purpose bucket naming
    rules: 3-63 lowercase letters, digits, dots and hyphens, beginning and ending with a
    letter or digit, no two adjacent dots, not an IP address, none of the reserved
    prefixes and suffixes."""
    bad = (
        not _BUCKET.fullmatch(name)
        or ".." in name
        or ".-" in name
        or "-." in name
        or name.startswith(("xn--", "sthree-", "amzn-s3-demo-"))
        or name.endswith(("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"))
        or _is_ip(name)
    )
    if bad:
        raise InvalidBucketName("The specified bucket is not valid.", BucketName=name)


def _is_ip(name: str) -> bool:
    try:
        ipaddress.IPv4Address(name)
    except ValueError:
        return False
    return True


def check_key(key: str) -> None:
    """Raise KeyTooLong past 1,024 bytes of UTF-8."""
    if len(key.encode("utf-8", "surrogatepass")) > MAX_KEY_BYTES:
        raise KeyTooLong("Your key is too long", Size=len(key.encode()), MaxSizeAllowed=1024)


def listing_encode(text: str) -> str:
    """A key or prefix as a listing with ``EncodingType=url`` carries it: percent-encoded
    (botocore decodes with ``unquote_plus``, so a space must be ``%20``, a ``+`` ``%2B``);
    ``/`` stays, as S3 leaves it."""
    return quote(text, safe="/")


def event_key(key: str) -> str:
    """A key as S3's event records carry it: form encoding, a space as ``+``."""
    return quote_plus(key, safe="/")


def after(prefix: str) -> str | None:
    """The first string (code point order, which is UTF-8 byte order) past every string
    that begins with ``prefix``; None when there is none."""
    chars = list(prefix)
    while chars:
        last = ord(chars.pop())
        if last < 0x10FFFF:
            following = last + 1
            if 0xD800 <= following <= 0xDFFF:
                following = 0xE000  # surrogates are no characters of a key
            return "".join(chars) + chr(following)
    return None
