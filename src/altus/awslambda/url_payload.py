"""Function URLs: an HTTP request as the event Lambda gives the function (payload format
2.0), and the function's answer as the HTTP response Lambda makes of it. Pure: no I/O.

The rules, from Lambda's function URL documentation and what it is seen to do:

- Headers are lower-cased, repeated ones comma-joined; ``Cookie`` headers become the
  ``cookies`` list and leave ``headers``. Query parameters are decoded, repeated ones
  comma-joined; ``queryStringParameters`` is absent without a query string.
- The body is passed as text for ``text/*``, ``application/json``, ``application/xml`` and
  ``application/javascript`` (charset aside); anything else, or no Content-Type at all
  (even ``application/x-www-form-urlencoded``), is base64 with ``isBase64Encoded``.
- A response object with ``statusCode`` gives the status, ``headers``, ``cookies`` (each
  a ``Set-Cookie``) and ``body`` (base64-decoded when ``isBase64Encoded``). Any other
  valid JSON is the body itself: status 200, ``application/json``. A response that is
  neither is malformed: 502.
- A streamed response of type ``application/vnd.awslambda.http-integration-response``
  starts with a JSON prelude (``statusCode``, ``headers``, ``cookies``) ended by 8 NUL
  bytes; the body follows. Any other stream is the body, with the stream's content type.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from altus.gateway.answers import cookie_list, single_headers, status_of
from altus.gateway.events import is_text, join_headers, join_query
from altus.runtime_api.stream import HTTP_INTEGRATION

#: Ends the JSON prelude of an HTTP-integration stream.
PRELUDE_END = b"\0" * 8
#: The largest prelude looked for before giving up on one.
MAX_PRELUDE = 64 * 1024


@dataclass(frozen=True, slots=True)
class UrlRequest:
    """What a function URL request's event is made of."""

    method: str
    raw_path: str  # as sent, percent-encoding kept; "/" at least
    raw_query: str
    headers: list[tuple[str, str]]  # in the order received, names in any case
    body: bytes
    source_ip: str
    scheme: str = "http"
    port: int | None = None
    protocol: str = "HTTP/1.1"


@dataclass(frozen=True, slots=True)
class Head:
    """The status line and headers of an answer (names lower-case, in order)."""

    status: int
    headers: list[tuple[str, str]]


@dataclass(frozen=True, slots=True)
class Answer:
    head: Head
    body: bytes


def build_event(
    request: UrlRequest,
    *,
    url_id: str,
    domain_name: str,
    request_id: str,
    now_ms: int | None = None,
    account_id: str = "anonymous",
    iam: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The payload format 2.0 event of a function URL request. ``iam``: who signed the
    request to an ``AWS_IAM`` URL (``requestContext.authorizer.iam``; ``accountId`` is
    then the caller's)."""
    now_ms = int(time.time() * 1000) if now_ms is None else now_ms
    headers, cookies = join_headers(
        request.headers, request.source_ip, request.scheme, request.port
    )
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": request.raw_path,
        "rawQueryString": request.raw_query,
    }
    if cookies:
        event["cookies"] = cookies
    event["headers"] = headers
    if request.raw_query:
        event["queryStringParameters"] = join_query(request.raw_query)
    event["requestContext"] = {
        "accountId": iam["accountId"] if iam is not None else account_id,
        "apiId": url_id,
        "domainName": domain_name,
        "domainPrefix": url_id,
        "http": {
            "method": request.method,
            "path": request.raw_path,
            "protocol": request.protocol,
            "sourceIp": request.source_ip,
            "userAgent": headers.get("user-agent", ""),
        },
        "requestId": request_id,
        "routeKey": "$default",
        "stage": "$default",
        "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now_ms / 1000)),
        "timeEpoch": now_ms,
    }
    if iam is not None:
        event["requestContext"]["authorizer"] = {"iam": iam}
    if request.body:
        if is_text(headers.get("content-type")):
            try:
                event["body"] = request.body.decode("utf-8")
                event["isBase64Encoded"] = False
            except UnicodeDecodeError:
                event["body"] = base64.b64encode(request.body).decode()
                event["isBase64Encoded"] = True
        else:
            event["body"] = base64.b64encode(request.body).decode()
            event["isBase64Encoded"] = True
    else:
        event["isBase64Encoded"] = False
    return event


# --- answers ------------------------------------------------------------------------------


def buffered_answer(payload: bytes, content_type: str | None) -> Answer | None:
    """The HTTP answer to a function's whole response; None when it is malformed (502).

    ``content_type`` is the one the runtime answered with: a function that streamed its
    response to a BUFFERED URL answered with the stream's type, not JSON."""
    if content_type is not None and content_type.split(";")[0].strip() == HTTP_INTEGRATION:
        prelude = split_prelude(payload, final=True)
        if prelude is None:
            return None
        head = prelude_head(prelude[0])
        return Answer(head, prelude[1]) if head is not None else None
    if content_type and not content_type.lower().startswith("application/json"):
        return Answer(Head(200, [("content-type", content_type)]), payload)
    try:
        value = json.loads(payload) if payload.strip() else None
    except ValueError:
        return None
    if isinstance(value, dict) and "statusCode" in value:
        return _structured(value)
    return Answer(Head(200, [("content-type", "application/json")]), payload)


def _structured(value: Mapping[str, Any]) -> Answer | None:
    status = status_of(value.get("statusCode"))
    headers = single_headers(value.get("headers"))
    cookies = cookie_list(value.get("cookies"))
    if status is None or headers is None or cookies is None:
        return None
    body = value.get("body")
    if body is None:
        raw = b""
    elif isinstance(body, str):
        raw = body.encode()
    else:
        raw = json.dumps(body).encode()
    if value.get("isBase64Encoded") is True:
        try:
            raw = base64.b64decode(raw, validate=True)
        except binascii.Error:
            return None
    if not any(name == "content-type" for name, _ in headers):
        headers.append(("content-type", "application/json"))
    headers.extend(("set-cookie", cookie) for cookie in cookies)
    return Answer(Head(status, headers), raw)


def split_prelude(data: bytes, *, final: bool) -> tuple[Mapping[str, Any], bytes] | None:
    """Split an HTTP-integration stream's start into (prelude, the body that follows).
    None while more data is needed (``final`` False) or when there is no valid prelude.
    A stream that ends before the delimiter is all prelude (a function that set its
    status and headers and wrote no body)."""
    end = data.find(PRELUDE_END)
    if end < 0:
        if not final:
            return None
        end, rest = len(data), b""
    else:
        rest = data[end + len(PRELUDE_END) :]
    if end > MAX_PRELUDE:
        return None  # however the stream was cut into chunks: too big a head is refused
    raw = data[:end]
    try:
        prelude = json.loads(raw) if raw.strip() else {}
    except ValueError:
        return None
    return (prelude, rest) if isinstance(prelude, dict) else None


def prelude_head(prelude: Mapping[str, Any]) -> Head | None:
    """The status and headers a prelude names; None when it is malformed."""
    status = status_of(prelude.get("statusCode", 200))
    headers = single_headers(prelude.get("headers"))
    cookies = cookie_list(prelude.get("cookies"))
    if status is None or headers is None or cookies is None:
        return None
    if not any(name == "content-type" for name, _ in headers):
        headers.append(("content-type", "application/octet-stream"))
    headers.extend(("set-cookie", cookie) for cookie in cookies)
    return Head(status, headers)


def with_headers(head: Head, extra: Iterable[tuple[str, str]]) -> Head:
    """``head`` with ``extra`` headers, which replace any of the same name (the platform's
    CORS headers take precedence over the function's)."""
    extra = list(extra)
    if not extra:
        return head
    names = {name for name, _ in extra}
    kept = [(name, value) for name, value in head.headers if name not in names]
    return Head(head.status, kept + extra)
