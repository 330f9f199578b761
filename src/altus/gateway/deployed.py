"""What a deployed API is to the front door (``altus.executeapi``).

The control planes (``altus.apigateway`` for REST APIs, ``altus.apigatewayv2`` for HTTP
and WebSocket APIs) keep their resources as their models say. The front door never reads
those: it asks an ``ApiDirectory`` for a stage and gets one immutable ``Stage``, what the
stage serves now. A deployment is a snapshot (AWS serves what was deployed, not what was
edited since), so its routes, integrations and authorizers are in ``Deployment``; what
takes effect without a deployment (stage variables, throttling, API keys and usage
plans) is read live from the stage and the directory.

The two flavours meet in one shape. A REST API's method on a resource is a ``Route``
whose ``key`` is ``"<METHOD> <resource path>"`` (``"GET /pets/{id}"``, ``"ANY
/{proxy+}"``) and whose ``id`` is the resource's id; an HTTP API's route is itself; a
WebSocket API's routes have keys (``$connect``, ``$default``, ``sendMessage``) and no
method or path.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

HTTP = "HTTP"
REST = "REST"
WEBSOCKET = "WEBSOCKET"

#: Integration types.
AWS_PROXY = "AWS_PROXY"
HTTP_PROXY = "HTTP_PROXY"
MOCK = "MOCK"

#: Authorization types of a route or method.
NONE = "NONE"
AWS_IAM = "AWS_IAM"
CUSTOM = "CUSTOM"
JWT = "JWT"
COGNITO_USER_POOLS = "COGNITO_USER_POOLS"

#: The route key of an HTTP or WebSocket API's catch-all route.
DEFAULT_ROUTE = "$default"
#: The name of an HTTP API's stage served at the API's root.
DEFAULT_STAGE = "$default"


@dataclass(frozen=True, slots=True)
class IntegrationResponse:
    """A REST integration's response (non-proxy integrations): the method response's
    status, chosen by ``selection_pattern`` (none: the default), its header values
    (``method.response.header.<name>`` -> ``'literal'`` or a source) and body templates
    by content type."""

    status: str
    selection_pattern: str | None = None
    parameters: Mapping[str, str] = field(default_factory=dict)
    templates: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Integration:
    """Where a route's requests go."""

    #: ``AWS_PROXY`` (a Lambda function), ``HTTP_PROXY`` (a URL), ``MOCK``; ``AWS`` and
    #: ``HTTP`` (mapping templates) are kept but not served.
    type: str
    #: ``AWS_PROXY``: a function ARN, or API Gateway's form of one
    #: (``arn:aws:apigateway:<region>:lambda:path/2015-03-31/functions/<arn>/invocations``);
    #: ``HTTP_PROXY``: the URL. Either may hold ``${stageVariables.<name>}``.
    uri: str
    #: The HTTP method the integration is called with (``HTTP_PROXY``; ``ANY``: the
    #: request's own).
    method: str = "POST"
    #: ``1.0`` or ``2.0`` (the event a function gets; REST APIs: always ``1.0``).
    payload_format: str = "1.0"
    #: After this long the front door answers the gateway's timeout (504 or 503).
    timeout_ms: int = 29_000
    #: A role API Gateway assumes to invoke the function; None: the function's own
    #: resource policy must allow ``apigateway.amazonaws.com``.
    credentials: str | None = None
    #: HTTP APIs' parameter mapping (``overwrite:path``, ``append:header.x`` ...), as
    #: configured.
    request_parameters: Mapping[str, str] = field(default_factory=dict)
    #: The integration's id (HTTP and WebSocket APIs; "" for a REST method's).
    id: str = ""
    #: REST non-proxy integrations: request templates by content type, and the
    #: integration responses.
    request_templates: Mapping[str, str] = field(default_factory=dict)
    responses: tuple[IntegrationResponse, ...] = ()


@dataclass(frozen=True, slots=True)
class Authorizer:
    """A Lambda (``REQUEST``, ``TOKEN``), ``JWT`` or ``COGNITO_USER_POOLS`` authorizer."""

    id: str
    name: str
    type: str
    #: The authorizer function's invocation URI (Lambda authorizers), as configured.
    uri: str = ""
    credentials: str | None = None
    #: As configured: ``$request.header.Authorization`` (HTTP, WebSocket),
    #: ``method.request.header.Authorization`` (REST), ``$context.x``,
    #: ``$stageVariables.x``, ``stageVariables.x``, ``context.x``.
    identity_sources: tuple[str, ...] = ()
    #: TOKEN authorizers: a token not matching this regular expression is refused (401)
    #: without invoking the function.
    identity_validation_expression: str | None = None
    #: How long an answer is cached, by its identity values; 0: not cached.
    result_ttl: int = 0
    #: ``1.0`` or ``2.0`` (HTTP APIs' REQUEST authorizers; REST and WebSocket: ``1.0``).
    payload_format: str = "1.0"
    #: HTTP APIs, payload 2.0: the function answers ``{"isAuthorized": ...}``, not a
    #: policy.
    simple_responses: bool = False
    jwt_issuer: str | None = None
    jwt_audience: tuple[str, ...] = ()
    #: COGNITO_USER_POOLS: the user pools' ARNs.
    provider_arns: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Route:
    """A route of an HTTP or WebSocket API, or a method of a REST API's resource."""

    #: The route's id (REST: the resource's id).
    id: str
    #: ``GET /pets/{id}``, ``ANY /{proxy+}``, ``$default``; WebSocket: ``$connect``,
    #: ``$disconnect``, ``$default``, or a custom key.
    key: str
    #: ``GET``, ``ANY`` ...; "" for ``$default`` and WebSocket routes.
    method: str
    #: The path template, ``/pets/{id}``; "" for ``$default`` and WebSocket routes.
    path: str
    #: None: the route has none (HTTP APIs answer 500; REST, a method without one).
    integration: Integration | None
    authorization_type: str = NONE
    authorizer_id: str | None = None
    #: JWT (and Cognito) scopes, one of which the token must carry.
    authorization_scopes: tuple[str, ...] = ()
    #: REST methods and WebSocket routes: a valid API key must come with the request.
    api_key_required: bool = False
    operation_name: str | None = None
    #: WebSocket routes: the integration's answer is sent back to the client only when
    #: the route has a route response (``$default``).
    returns_response: bool = False


@dataclass(frozen=True, slots=True)
class Cors:
    """An HTTP API's CORS configuration: the gateway answers preflights itself and adds
    these headers to every answer (the integration's own CORS headers are dropped)."""

    allow_origins: tuple[str, ...] = ()
    allow_methods: tuple[str, ...] = ()
    allow_headers: tuple[str, ...] = ()
    expose_headers: tuple[str, ...] = ()
    allow_credentials: bool = False
    max_age: int | None = None


@dataclass(frozen=True, slots=True)
class GatewayResponse:
    """A REST API's customised gateway response (by type: ``UNAUTHORIZED``,
    ``DEFAULT_4XX`` ...)."""

    status: int | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    #: Body templates by content type, as configured.
    templates: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Deployment:
    """What a deployment serves: a snapshot of the API when it was deployed."""

    id: str
    api_id: str
    #: ``HTTP``, ``REST`` or ``WEBSOCKET``.
    protocol: str
    routes: tuple[Route, ...]
    authorizers: Mapping[str, Authorizer] = field(default_factory=dict)
    cors: Cors | None = None
    #: REST: content types whose bodies are binary (``image/png``, ``*/*``).
    binary_media_types: tuple[str, ...] = ()
    #: REST: ``HEADER`` (the ``x-api-key`` header) or ``AUTHORIZER`` (the authorizer's
    #: ``usageIdentifierKey``).
    api_key_source: str = "HEADER"
    #: HTTP and WebSocket APIs.
    route_selection_expression: str = "$request.method $request.path"
    api_key_selection_expression: str = "$request.header.x-api-key"
    #: REST: gateway responses customised, by type.
    gateway_responses: Mapping[str, GatewayResponse] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Throttle:
    """A steady rate (requests per second) and a burst (a token bucket's size); None:
    not limited."""

    rate: float | None = None
    burst: int | None = None


@dataclass(frozen=True, slots=True)
class Stage:
    """A stage as it serves now: its deployment and its live settings."""

    api_id: str
    #: ``$default`` for an HTTP API's default stage.
    name: str
    deployment: Deployment
    variables: Mapping[str, str] = field(default_factory=dict)
    #: The stage's default throttling (HTTP: DefaultRouteSettings; REST: method settings
    #: ``*/*``).
    throttle: Throttle = Throttle()
    #: Per route: HTTP APIs by route key; REST by ``<resource path>/<METHOD>`` as method
    #: settings name them (``/pets/{id}/GET``).
    route_throttles: Mapping[str, Throttle] = field(default_factory=dict)
    #: ``DisableExecuteApiEndpoint``: its execute-api URLs answer 403 (as the stage's
    #: deployment recorded it: it takes effect when deployed, as on AWS).
    endpoint_disabled: bool = False
    #: The account that owns the API (its ARNs, ``requestContext.accountId``).
    account_id: str = ""
    #: Raised by each flush of the stage's authorizer cache (REST's
    #: FlushStageAuthorizersCache, HTTP's ResetAuthorizersCache): cached answers of an
    #: earlier generation are not used.
    authorizers_flushed: int = 0


@dataclass(frozen=True, slots=True)
class ApiKey:
    id: str
    value: str
    enabled: bool


@dataclass(frozen=True, slots=True)
class Quota:
    limit: int
    #: ``DAY``, ``WEEK`` or ``MONTH``.
    period: str
    offset: int = 0


@dataclass(frozen=True, slots=True)
class UsagePlan:
    """A usage plan as it applies to one stage of one API."""

    id: str
    throttle: Throttle = Throttle()
    quota: Quota | None = None
    #: Per method on this stage, by ``<resource path>/<METHOD>``.
    method_throttles: Mapping[str, Throttle] = field(default_factory=dict)


class ApiDirectory(Protocol):
    """What a control plane tells the front door: its deployed stages, and (REST) API
    keys and usage plans. Answers from memory: it is asked on every request."""

    def protocol(self, api_id: str) -> str | None:
        """``HTTP``, ``REST`` or ``WEBSOCKET``; None where this directory has no such
        API."""
        ...

    def stage(self, api_id: str, stage: str) -> Stage | None:
        """The stage as it serves now; None where the API has no such stage, or nothing
        is deployed to it."""
        ...

    def api_key(self, value: str) -> ApiKey | None:
        """The API key with this value, if any (REST APIs; others have none)."""
        ...

    def usage_plan(self, api_id: str, stage: str, key_id: str) -> UsagePlan | None:
        """The usage plan that lets the key call this stage, if one does."""
        ...

    def count_request(self, plan_id: str, key_id: str, now: float) -> bool:
        """Count one request of ``key_id`` against its plan's quota for the period
        ``now`` is in; False (and nothing counted) where the quota is used up."""
        ...


def stage_arn(region: str, account_id: str, api_id: str) -> str:
    """The prefix of an API's ``execute-api`` ARNs: append ``/<stage>/<METHOD>/<path>``
    (methods, routes), or ``/authorizers/<id>``."""
    return f"arn:aws:execute-api:{region}:{account_id}:{api_id}"


#: A sequence of routes, as the route tables take them.
Routes = Sequence[Route]
