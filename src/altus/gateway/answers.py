"""What a client gets back: a function's proxy response mapped as API Gateway maps it, and
API Gateway's own errors (HTTP APIs' ``{"message": ...}``, REST's gateway responses).
Pure: no I/O.

- Payload 2.0: an object with ``statusCode`` is a response (``headers``, ``cookies``,
  ``body``, ``isBase64Encoded``); any other valid JSON is the body of a 200
  ``application/json`` answer; anything else is malformed.
- Payload 1.0 (REST, HTTP APIs): the object must have ``statusCode``; ``headers`` and
  ``multiValueHeaders`` are merged (a name in ``multiValueHeaders`` takes its values
  from there); REST refuses any other key and a non-string body. REST decodes an
  ``isBase64Encoded`` body only when the client's first ``Accept`` type is one of the
  API's binary media types, and otherwise sends the base64 text as it is.
"""

from __future__ import annotations

import base64
import binascii
import fnmatch
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from altus.gateway.deployed import GatewayResponse

_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9a-z]+")
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
#: Framing is the gateway's business, whatever the function says.
_DROPPED = frozenset({"content-length", "transfer-encoding", "connection"})
_REST_KEYS = frozenset({"statusCode", "headers", "multiValueHeaders", "body", "isBase64Encoded"})
JSON = "application/json"
#: A REST answer's ``body``: text or null.
_OPTIONAL_TEXT = (str, type(None))


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    #: Names lower-case, in order.
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key == name:
                return value
        return None


# --- functions' answers -------------------------------------------------------------------


def http_answer_v2(payload: bytes) -> Answer | None:
    """An HTTP API's answer to a payload 2.0 function's response; None: malformed (500)."""
    try:
        value = json.loads(payload)
    except ValueError:
        return None
    if isinstance(value, str):
        # A string is the body itself ("Hello" answers Hello, not "Hello").
        return Answer(200, [("content-type", JSON)], value.encode("utf-8"))
    if not (isinstance(value, dict) and "statusCode" in value):
        return Answer(200, [("content-type", JSON)], payload.strip())
    status = status_of(value.get("statusCode"))
    headers = single_headers(value.get("headers"))
    cookies = value.get("cookies")
    if cookies is None:
        cookies = []
    if status is None or headers is None or not _strings(cookies):
        return None
    body = _body(value.get("body"), value.get("isBase64Encoded") is True, strict=False)
    if body is None:
        return None
    if not _has_content_type(headers):
        # HTTP APIs label an unlabelled response as text (REST APIs call it JSON).
        headers.append(("content-type", "text/plain; charset=utf-8"))
    headers.extend(("set-cookie", cookie) for cookie in cookies)
    return Answer(status, headers, body)


def proxy_answer_v1(
    payload: bytes,
    *,
    binary_media_types: Sequence[str] = (),
    accept: str | None = None,
    rest: bool,
) -> Answer | None:
    """The answer to a payload 1.0 (REST, or HTTP API 1.0) function's response; None:
    malformed (REST: 502 "Internal server error"; HTTP: 500)."""
    try:
        value = json.loads(payload)
    except ValueError:
        return None
    if not isinstance(value, dict) or "statusCode" not in value:
        return None
    if rest and (set(value) - _REST_KEYS or not isinstance(value.get("body"), _OPTIONAL_TEXT)):
        return None
    status = status_of(value["statusCode"])
    headers = _merged_headers(value.get("headers"), value.get("multiValueHeaders"))
    if status is None or headers is None:
        return None
    encoded = value.get("isBase64Encoded") is True
    if rest and encoded and not _decodes(binary_media_types, accept):
        encoded = False  # REST sends the base64 text unless the client accepts binary
    body = _body(value.get("body"), encoded, strict=rest)
    if body is None:
        return None
    if not _has_content_type(headers):
        headers.append(("content-type", JSON))
    return Answer(status, headers, body)


def _decodes(binary_media_types: Sequence[str], accept: str | None) -> bool:
    if "*/*" in binary_media_types:
        return True
    first = (accept or "").split(",", 1)[0].split(";", 1)[0].strip().lower()
    if not first:
        return False
    return any(
        fnmatch.fnmatchcase(first, pattern.lower()) or fnmatch.fnmatchcase(pattern.lower(), first)
        for pattern in binary_media_types
    )


def status_of(value: Any) -> int | None:
    """A response's ``statusCode`` as a status (a numeric string too); None: not one."""
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 100 <= value <= 599:
        return None
    return value


def _text(value: Any) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    return None


def cookie_list(value: Any) -> list[str] | None:
    """A response's ``cookies`` (each a ``Set-Cookie``); None where malformed."""
    if value is None:
        return []
    return list(value) if _strings(value) else None


def _has_content_type(headers: list[tuple[str, str]]) -> bool:
    # A loop, not any() of a generator: this runs on every answer.
    for name, _ in headers:  # noqa: SIM110
        if name == "content-type":
            return True
    return False


def _strings(value: Any) -> bool:
    return isinstance(value, list) and all(
        isinstance(item, str) and not _CONTROL.search(item) for item in value
    )


def _header(name: Any, value: Any) -> tuple[str, str] | bool | None:
    """A header ready for the wire; False to drop it; None: malformed."""
    lowered = str(name).lower()
    if lowered in _DROPPED or value is None:
        return False
    text = _text(value)
    if text is None or not _TOKEN.fullmatch(lowered) or _CONTROL.search(text):
        return None
    return lowered, text


def single_headers(value: Any) -> list[tuple[str, str]] | None:
    """A response's ``headers`` map, ready for the wire (framing headers dropped; names
    lower-cased); None where one cannot go on the wire (a malformed response)."""
    if value is None:
        return []
    if not isinstance(value, dict):
        return None
    headers: list[tuple[str, str]] = []
    for name, item in value.items():
        if not _add(headers, name, item):
            return None
    return headers


def _add(headers: list[tuple[str, str]], name: Any, value: Any) -> bool:
    """Add one of a response's headers to ``headers`` (unless it is dropped); False
    where it cannot go on the wire."""
    header = _header(name, value)
    if header is None:
        return False
    if header is not False:
        assert isinstance(header, tuple)
        headers.append(header)
    return True


def _merged_headers(single: Any, multi: Any) -> list[tuple[str, str]] | None:
    if multi is None or multi == {}:
        return single_headers(single)
    if not isinstance(multi, dict):
        return None
    from_multi = {str(name).lower() for name in multi}
    headers = single_headers(
        {k: v for k, v in single.items() if str(k).lower() not in from_multi}
        if isinstance(single, dict)
        else single
    )
    if headers is None:
        return None
    for name, values in multi.items():
        if values is None:
            continue
        if not isinstance(values, list):
            return None
        for item in values:
            if not _add(headers, name, item):
                return None
    return headers


def _body(value: Any, encoded: bool, *, strict: bool) -> bytes | None:
    if value is None:
        return b""
    if isinstance(value, str):
        raw = value.encode("utf-8")
    elif strict:
        return None
    else:
        raw = json.dumps(value).encode("utf-8")
    if encoded:
        try:
            return base64.b64decode(raw, validate=True)
        except binascii.Error:
            return None
    return raw


# --- the gateway's own errors -------------------------------------------------------------


def http_error(status: int, message: str, headers: Sequence[tuple[str, str]] = ()) -> Answer:
    """An HTTP API's own error: ``{"message": "..."}`` (``Not Found``, ``Internal Server
    Error``, ``Service Unavailable``, ``Unauthorized``, ``Forbidden``, ``Too Many
    Requests``...)."""
    body = json.dumps({"message": message}).encode("utf-8")
    return Answer(status, [("content-type", JSON), *((n.lower(), v) for n, v in headers)], body)


@dataclass(frozen=True, slots=True)
class _Default:
    status: int
    message: str | None
    error_type: str


#: REST's gateway response types: their default status, message and x-amzn-ErrorType.
REST_DEFAULTS: Mapping[str, _Default] = {
    "ACCESS_DENIED": _Default(
        403, "User is not authorized to access this resource", "AccessDeniedException"
    ),
    "API_CONFIGURATION_ERROR": _Default(
        500, "Internal server error", "InternalServerErrorException"
    ),
    "AUTHORIZER_CONFIGURATION_ERROR": _Default(500, None, "AuthorizerConfigurationException"),
    "AUTHORIZER_FAILURE": _Default(500, None, "AuthorizerConfigurationException"),
    "BAD_REQUEST_PARAMETERS": _Default(
        400, "Missing required request parameters", "BadRequestException"
    ),
    "BAD_REQUEST_BODY": _Default(400, "Invalid request body", "BadRequestException"),
    "DEFAULT_4XX": _Default(400, "Bad Request", "BadRequestException"),
    "DEFAULT_5XX": _Default(500, "Internal server error", "InternalServerErrorException"),
    "EXPIRED_TOKEN": _Default(
        403, "The security token included in the request is expired", "ExpiredTokenException"
    ),
    "INTEGRATION_FAILURE": _Default(504, "Internal server error", "InternalServerErrorException"),
    "INTEGRATION_TIMEOUT": _Default(
        504, "Endpoint request timed out", "InternalServerErrorException"
    ),
    "INVALID_API_KEY": _Default(403, "Forbidden", "ForbiddenException"),
    "INVALID_SIGNATURE": _Default(
        403,
        "The request signature we calculated does not match the signature you provided",
        "InvalidSignatureException",
    ),
    "MISSING_AUTHENTICATION_TOKEN": _Default(
        403, "Missing Authentication Token", "MissingAuthenticationTokenException"
    ),
    "QUOTA_EXCEEDED": _Default(429, "Limit Exceeded", "LimitExceededException"),
    "REQUEST_TOO_LARGE": _Default(413, "Request Too Long", "RequestTooLargeException"),
    "RESOURCE_NOT_FOUND": _Default(404, "Not Found", "NotFoundException"),
    "THROTTLED": _Default(429, "Too Many Requests", "TooManyRequestsException"),
    "UNAUTHORIZED": _Default(401, "Unauthorized", "UnauthorizedException"),
    "UNSUPPORTED_MEDIA_TYPE": _Default(
        415, "Unsupported Media Type", "UnsupportedMediaTypeException"
    ),
    "WAF_FILTERED": _Default(403, "Forbidden", "ForbiddenException"),
}
#: What an authorizer's explicit Deny says (REST spells this body's key ``Message``).
EXPLICIT_DENY = "User is not authorized to access this resource with an explicit deny"
_HEADER_PREFIX = "gatewayresponse.header."
_VARIABLE = re.compile(r"\$\{context\.([\w.]+)\}|\$context\.(\w+(?:\.\w+)*)")


def rest_error(
    kind: str,
    context: Mapping[str, str],
    responses: Mapping[str, GatewayResponse],
    *,
    status: int | None = None,
) -> Answer:
    """A REST API's gateway response of type ``kind``: AWS's default, with the API's
    customisation (of the type itself, else of ``DEFAULT_4XX``/``DEFAULT_5XX``) applied
    over it. ``context``: ``requestId``, ``error.message`` and other ``$context``
    values; ``status``: where the front door knows better than the type (a malformed
    proxy response: 502)."""
    default = REST_DEFAULTS.get(kind, REST_DEFAULTS["DEFAULT_5XX"])
    code = status if status is not None else default.status
    message = context.get("error.message", default.message or "")
    values = {
        **context,
        "error.message": message,
        "error.messageString": json.dumps(message) if default.message or message else "null",
        "error.responseType": kind,
    }
    fallback = responses.get("DEFAULT_4XX" if code < 500 else "DEFAULT_5XX")
    own = responses.get(kind)
    # A status set on DEFAULT_4XX/5XX is every such type's, unless the type sets its own.
    for custom in (fallback, own):
        if custom is not None and custom.status is not None:
            code = custom.status
    headers: dict[str, str] = {"x-amzn-errortype": default.error_type}
    templates: Mapping[str, str] = {}
    for custom in (fallback, own):
        if custom is None:
            continue
        headers.update(_custom_headers(custom.headers, values))
        templates = custom.templates or templates
    if templates:
        content_type, template = (
            (JSON, templates[JSON]) if JSON in templates else next(iter(templates.items()))
        )
        body = _render(template, values)
    else:
        content_type = JSON
        key = "Message" if message == EXPLICIT_DENY else "message"
        body = f'{{"{key}":{values["error.messageString"]}}}'
    listed = [("content-type", content_type), *headers.items()]
    return Answer(code, listed, body.encode("utf-8"))


def _custom_headers(configured: Mapping[str, str], values: Mapping[str, str]) -> dict[str, str]:
    """A gateway response's headers: literals (``'*'``) or ``context.x`` values."""
    headers: dict[str, str] = {}
    for name, source in configured.items():
        bare = name[len(_HEADER_PREFIX) :] if name.startswith(_HEADER_PREFIX) else name
        if len(source) >= 2 and source[0] == source[-1] == "'":
            headers[bare.lower()] = source[1:-1]
        elif source.startswith("context.") and source[8:] in values:
            headers[bare.lower()] = values[source[8:]]
    return headers


def _render(template: str, values: Mapping[str, str]) -> str:
    """A body template with its ``$context`` variables filled (unknown ones: empty)."""
    return _VARIABLE.sub(lambda found: values.get(found.group(1) or found.group(2), ""), template)
