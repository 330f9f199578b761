"""A request as API Gateway's logic sees it, and what the front door learnt about it.

The front door (``altus.executeapi``) parses the HTTP request, finds the stage, routes,
and authorises; the pure modules beside this one (routing, events, authorizers, answers)
take these values and nothing of HTTP itself.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from altus.gateway.deployed import Route, Stage


@dataclass(frozen=True, slots=True)
class GatewayRequest:
    """An HTTP request to a deployed API."""

    method: str
    #: Within the stage, as sent (percent-encoding kept); ``/`` at least: ``/pets/1``.
    path: str
    #: As the client sent it below the API: ``/prod/pets/1`` (a named stage), ``/pets/1``
    #: (an HTTP API's ``$default`` stage).
    stage_path: str
    #: The query string without its ``?``: ``a=1&a=2``.
    raw_query: str
    #: As received: names in any case, in order, repeated names kept.
    headers: Sequence[tuple[str, str]]
    body: bytes
    source_ip: str
    #: The Host without its port.
    domain_name: str
    #: The API id on the path form; the Host's first label on the host form.
    domain_prefix: str
    protocol: str = "HTTP/1.1"
    #: How the client reached the gateway (``x-forwarded-proto`` and ``-port``).
    scheme: str = "http"
    port: int | None = None

    def header(self, name: str) -> str | None:
        """The first header of this name (case-insensitive), if any."""
        wanted = name.lower()
        for key, value in self.headers:
            if key.lower() == wanted:
                return value
        return None


@dataclass(frozen=True, slots=True)
class Matched:
    """What routing found: the route, and the path's values for its variables (decoded;
    a greedy variable keeps its slashes)."""

    route: Route
    path_parameters: Mapping[str, str]
    #: The path as routing read it: each segment decoded, no trailing slash (``/a%62c/``
    #: is ``/abc``). What policies are judged against (method ARNs), so that a path
    #: spelled otherwise cannot reach a route a policy denies.
    path: str = "/"


@dataclass(frozen=True, slots=True)
class EventContext:
    """What an event's ``requestContext`` is made of beside the request itself."""

    stage: Stage
    #: The route routing found; None only where no route is involved.
    matched: Matched | None
    request_id: str
    now_ms: int
    region: str
    #: The authorizer's output as ``authorizers.authorizer_context`` or
    #: ``authorizers.jwt_context`` shaped it.
    authorizer: Mapping[str, Any] | None = None
    #: REST: ``identity.apiKey`` and ``identity.apiKeyId``.
    api_key: str | None = None
    api_key_id: str | None = None
    #: ``AWS_IAM`` routes: who signed (``userArn``, ``accessKey``, ``accountId``,
    #: ``caller``, ``user``).
    principal: Mapping[str, str] | None = None
    #: ``extendedRequestId``; the request id when not given.
    extended_request_id: str | None = None
    #: The X-Ray trace header the request carries on to its integration (the
    #: client's ``X-Amzn-Trace-Id`` normalised, or a new trace's; None where the route
    #: invokes no function).
    trace: str | None = None
