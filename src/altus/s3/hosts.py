"""Which requests are S3's by something other than their signature.

- Virtual-hosted buckets: with a domain configured (``url_domain``, the wildcard DNS
  domain that also serves function URLs), ``<bucket>.s3.<domain>`` and
  ``<bucket>.s3.<region>.<domain>`` (any port) stand for ``/<bucket>``.
- Requests not signed with SigV4: S3's paths (``/{Bucket}/{Key+}``) fit any path, so
  such a request is S3's only where it is plainly meant for S3: presigned (either
  signature version), signed with SigV2, carrying S3's payload header, or naming a
  bucket that exists.
  Anything else is left to the other services, and to the unknown-operation answer.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from starlette.requests import Request

from altus.s3.component import ObjectStorage
from altus.settings import Settings


def virtual_hosts(settings: Settings) -> Callable[[str], str | None] | None:
    domain = settings.url_domain
    if not domain:
        return None
    pattern = re.compile(
        r"^(?P<bucket>[a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\.s3(?:\.[a-z0-9-]+)?\."
        + re.escape(domain.lower().rstrip("."))
        + r"\.?(?::\d+)?$"
    )

    def bucket_of(host: str) -> str | None:
        found = pattern.match(host.lower())
        return found.group("bucket") if found else None

    return bucket_of


def claims_unsigned(storage: ObjectStorage, request: Request, operation: str | None) -> bool:
    query = request.scope.get("query_string", b"")
    if b"AWSAccessKeyId=" in query or b"X-Amz-Credential=" in query:
        return True
    if "x-amz-content-sha256" in request.headers:
        return True
    if request.headers.get("authorization", "").startswith("AWS "):
        return True  # signed with S3's Signature Version 2
    if operation is None:
        return False
    bucket = request.url.path.lstrip("/").split("/", 1)[0]
    return bool(bucket) and bucket in storage.buckets
