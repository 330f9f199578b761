"""The front door's own answers: API Gateway's gateway responses, in each flavour's
words.

A step of the pipeline that refuses a request raises ``Refusal`` with the gateway
response type AWS uses for it (``UNAUTHORIZED``, ``THROTTLED`` ...); the front door
renders it once, at the end: a REST API through its (possibly customised) gateway
responses, an HTTP API with its fixed ``{"message": ...}`` bodies.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from altus.gateway.answers import Answer, http_error, rest_error
from altus.gateway.deployed import GatewayResponse

MISSING_AUTHENTICATION_TOKEN = "MISSING_AUTHENTICATION_TOKEN"
UNAUTHORIZED = "UNAUTHORIZED"
ACCESS_DENIED = "ACCESS_DENIED"
INVALID_SIGNATURE = "INVALID_SIGNATURE"
AUTHORIZER_FAILURE = "AUTHORIZER_FAILURE"
AUTHORIZER_CONFIGURATION_ERROR = "AUTHORIZER_CONFIGURATION_ERROR"
INVALID_API_KEY = "INVALID_API_KEY"
THROTTLED = "THROTTLED"
QUOTA_EXCEEDED = "QUOTA_EXCEEDED"
REQUEST_TOO_LARGE = "REQUEST_TOO_LARGE"
INTEGRATION_FAILURE = "INTEGRATION_FAILURE"
INTEGRATION_TIMEOUT = "INTEGRATION_TIMEOUT"
API_CONFIGURATION_ERROR = "API_CONFIGURATION_ERROR"
RESOURCE_NOT_FOUND = "RESOURCE_NOT_FOUND"
DEFAULT_5XX = "DEFAULT_5XX"

#: An HTTP API's answer to each kind: its status and ``message``. Its integration and
#: authorizer failures are all one ``500 Internal Server Error``; a timeout is a 503.
_HTTP: dict[str, tuple[int, str]] = {
    MISSING_AUTHENTICATION_TOKEN: (404, "Not Found"),
    RESOURCE_NOT_FOUND: (404, "Not Found"),
    UNAUTHORIZED: (401, "Unauthorized"),
    ACCESS_DENIED: (403, "Forbidden"),
    INVALID_SIGNATURE: (403, "Forbidden"),
    INVALID_API_KEY: (403, "Forbidden"),
    AUTHORIZER_FAILURE: (500, "Internal Server Error"),
    AUTHORIZER_CONFIGURATION_ERROR: (500, "Internal Server Error"),
    THROTTLED: (429, "Too Many Requests"),
    QUOTA_EXCEEDED: (429, "Too Many Requests"),
    REQUEST_TOO_LARGE: (413, "Request Entity Too Large"),
    INTEGRATION_FAILURE: (500, "Internal Server Error"),
    INTEGRATION_TIMEOUT: (503, "Service Unavailable"),
    API_CONFIGURATION_ERROR: (500, "Internal Server Error"),
    DEFAULT_5XX: (500, "Internal Server Error"),
}


class Refusal(Exception):
    """The gateway answers instead of the integration."""

    def __init__(
        self,
        kind: str,
        *,
        status: int | None = None,
        message: str | None = None,
        headers: Sequence[tuple[str, str]] = (),
    ) -> None:
        super().__init__(kind)
        self.kind = kind
        #: Where AWS answers a type with another status than its default (a REST
        #: function's failure is a 502 ``DEFAULT_5XX``).
        self.status = status
        #: Where AWS words this case otherwise than the type's default.
        self.message = message
        self.headers = tuple(headers)


def render(
    refusal: Refusal,
    *,
    rest: bool,
    request_id: str,
    responses: Mapping[str, GatewayResponse] | None = None,
) -> Answer:
    """The answer to a refused request, in the API's flavour."""
    if not rest:
        status, message = _HTTP.get(refusal.kind, (500, "Internal Server Error"))
        return http_error(status, message, refusal.headers)
    context = {"requestId": request_id}
    if refusal.message is not None:
        context["error.message"] = refusal.message
    answer = rest_error(refusal.kind, context, responses or {}, status=refusal.status)
    if refusal.headers:
        answer = replace(answer, headers=[*answer.headers, *refusal.headers])
    return answer
