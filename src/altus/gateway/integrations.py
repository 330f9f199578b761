"""Where an integration sends a request: a Lambda function's ARN, or an HTTP proxy's URL,
with stage variables substituted. Pure: no I/O.

- ``AWS_PROXY`` URIs are a function ARN (HTTP APIs) or API Gateway's form of one,
  ``arn:aws:apigateway:<region>:lambda:path/2015-03-31/functions/<arn>/invocations``.
- REST ``HTTP_PROXY``: the URI's ``{name}`` placeholders (``{proxy}`` for a greedy
  ``{proxy+}``) are filled from the path parameters; the query string follows.
- HTTP APIs' ``HTTP_PROXY``: placeholders are filled the same way (``{proxy}`` takes a
  greedy route's greedy part); the ``$default`` route appends the request's whole path
  within the stage, as API Gateway sends it "the full request path".
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from urllib.parse import quote, unquote

from altus.gateway.deployed import DEFAULT_ROUTE
from altus.gateway.request import GatewayRequest, Matched

_STAGE_VARIABLE = re.compile(r"\$\{stageVariables\.([A-Za-z0-9_\-.]+)\}")
_APIGATEWAY_LAMBDA = re.compile(
    r"arn:aws[a-z\-]*:apigateway:[a-z0-9\-]+:lambda:path/2015-03-31/functions/(.+)/invocations"
)
_FUNCTION = re.compile(r"arn:aws[a-z\-]*:lambda:[a-z0-9\-]+:\d{12}:function:[^/]+")
_PLACEHOLDER = re.compile(r"\{([A-Za-z0-9._\-]+)\+?\}")


def substitute(text: str, variables: Mapping[str, str]) -> str:
    """``text`` with each ``${stageVariables.x}`` replaced (an undefined one: empty)."""
    if "${" not in text:
        return text
    return _STAGE_VARIABLE.sub(lambda found: variables.get(found.group(1), ""), text)


def function_arn(uri: str, variables: Mapping[str, str]) -> str | None:
    """The function an ``AWS_PROXY`` integration invokes (qualifier kept); None: the URI
    names no Lambda function."""
    return _function_of(substitute(uri, variables))


@lru_cache(maxsize=4096)
def _function_of(text: str) -> str | None:
    # Asked on every request with the few URIs a server's APIs name: remembered.
    wrapped = _APIGATEWAY_LAMBDA.fullmatch(text)
    if wrapped is not None:
        text = wrapped.group(1)
    return text if _FUNCTION.fullmatch(text) else None


def http_target(
    uri: str,
    variables: Mapping[str, str],
    matched: Matched,
    request: GatewayRequest,
    *,
    rest: bool,
) -> str:
    """The URL an ``HTTP_PROXY`` integration calls for this request."""
    base = substitute(uri, variables)
    parameters = matched.path_parameters
    greedy = _greedy_name(matched.route.path)
    raw_segments = [part for part in request.path.split("/")[1:]]

    def fill(found: re.Match[str]) -> str:
        name = found.group(1)
        if name == "proxy" and greedy is not None and greedy in parameters:
            name = greedy
        value = parameters.get(name)
        if value is None:
            return found.group(0)
        if name == greedy:
            # The greedy part as the client sent it (its encoded slashes stay encoded),
            # so it cannot climb out of the integration's path.
            taken = len([part for part in matched.route.path.split("/") if part]) - 1
            return _contained(raw_segments[taken:])
        return _segment(value)

    filled = _PLACEHOLDER.sub(fill, base)
    if not rest and matched.route.key == DEFAULT_ROUTE:
        filled = filled.rstrip("/") + "/" + _contained(raw_segments)
    if request.raw_query:
        filled += ("&" if "?" in filled else "?") + request.raw_query
    return filled


def _segment(value: str) -> str:
    """One path segment's value, encoded whole (``/`` too); a ``.`` or ``..`` as its
    escaped dots, which no URL resolution removes."""
    if value in (".", ".."):
        return "%2E" * len(value)
    return quote(value, safe="")


def _contained(raw_segments: list[str]) -> str:
    """Raw path segments, joined, with any dot segment (however it was encoded) made
    an escaped one: the request's path cannot reach above the integration's base."""
    return "/".join(
        "%2E" * len(unquote(part)) if unquote(part) in (".", "..") else part
        for part in raw_segments
    )


def _greedy_name(path: str) -> str | None:
    last = path.rsplit("/", 1)[-1]
    if last.startswith("{") and last.endswith("+}"):
        return last[1:-2]
    return None
