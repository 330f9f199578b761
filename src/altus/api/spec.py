"""What a service is to the framework: its ``ServiceSpec``.

A service is one package that declares, in one ``ServiceSpec``:

- the botocore model it speaks (``model``: the protocol, target prefix, signing name,
  operations and shapes come from there) and where Altus departs from it
  (``overrides``);
- its operations: ``async def op(component, call, input) -> output``, plain members in
  (checked against the model, of the model's types) and members out, with no HTTP and
  no formatting;
- its error root and how it words what its model refuses (``violations``);
- its schemas (migrations of its own tables, per database);
- the component the platform builds (``build``), starts, interrupts and closes in
  registry order;
- anything it serves besides its model's operations: raw HTTP routes (function URLs,
  its pages under ``/_altus``) and Host rules.

One registry (``altus.registry``) lists the specs; the dispatcher, the protocols, the
platform and the route-coverage test read them from there.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from starlette.requests import Request
from starlette.routing import BaseRoute

from altus.api.model import NO_OVERRIDES, Overrides
from altus.api.validate import Violations
from altus.arns import Account
from altus.clock import Clock
from altus.errors import AltusError
from altus.sources import SourceRegistry
from altus.store.database import Schema
from altus.targets import TargetRegistry

if TYPE_CHECKING:
    from altus.identity.authenticator import Identity
    from altus.settings import Settings
    from altus.store.storage import Storage

#: An operation's members, by the model's member names, of the model's types (blobs as
#: bytes; a blob payload as a ``Body``; timestamps as datetimes).
Members = dict[str, Any]


@dataclass(slots=True)
class Call:
    """One call of an operation: what an operation may know of its request besides its
    members."""

    service: str
    operation: str
    request_id: str
    account: Account
    #: The request, for what no member carries (the caller's address, a raw header).
    request: Request
    #: Headers to add to the response (e.g. a Content-Type the operation decides).
    response_headers: dict[str, str] = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        """``scheme://host[:port]`` as the client addressed this server."""
        return str(self.request.base_url).rstrip("/")


Operation = Callable[[Any, Call, Members], Awaitable[Members]]

#: What a call needs: its IAM action, the resource's ARN, and the resource's own policies
#: (a Lambda function's, from AddPermission), which may allow it too.
Needs = tuple[str, str] | tuple[str, str, Sequence[Mapping[str, Any]]]


class Component(Protocol):
    """What the platform starts, interrupts (a shutdown began: end long polls) and
    closes, in registry order (closes in reverse)."""

    async def start(self) -> None: ...

    def interrupt(self) -> None: ...

    async def close(self) -> None: ...


class Context(Protocol):
    """What a service's ``build`` gets from the platform."""

    settings: Settings
    account: Account
    storage: Storage
    #: The platform's clock (a fake one in tests): what every timer of a service reads.
    clock: Clock
    #: Who may call: the server's keys, and the sessions of roles (``altus.identity``).
    identity: Identity
    #: The API's URL as this machine's processes reach it (what functions call services
    #: at); None where the server has no socket (a platform built without serving).
    endpoint: str | None

    def component(self, service: str) -> Any:
        """The component of a service registered (and built) before this one."""
        ...

    def provided(self, part: str) -> Any:
        """A part given to the platform instead of the one the settings would make
        (the test harness's: ``sandbox``, an in-process sandbox backend); else None."""
        ...

    @property
    def targets(self) -> TargetRegistry: ...

    #: What event source mappings read from, by the ARN's service (``altus.sources``).
    sources: SourceRegistry


@dataclass(frozen=True, slots=True)
class Schemas:
    """Migrations a service brings, and the database they go in (``main`` unless the
    service keeps its own: see ``Storage.database``)."""

    schemas: tuple[Schema, ...]
    database: str = "main"
    durable: bool = True


@dataclass(frozen=True)
class ServiceSpec:
    """One service, as the framework and the platform see it."""

    #: botocore's name of the service (its model): ``lambda``, ``sqs``, ``logs``.
    name: str
    operations: Mapping[str, Operation]
    #: Every error the service raises on purpose derives from this class.
    errors: type[AltusError]
    violations: Violations
    build: Callable[[Context], Component]
    schemas: Sequence[Schemas] = ()
    overrides: Overrides = NO_OVERRIDES
    #: Protocols served besides the model's own (``query`` for SQS's older clients).
    extra_protocols: tuple[str, ...] = ()
    #: Request bodies (not blob payloads) larger than this are refused unread; per
    #: operation, or for every operation.
    body_limits: Mapping[str, int] = field(default_factory=dict)
    body_limit: int = 6 * 1024 * 1024 + 64 * 1024
    #: Raw HTTP routes, given the component: what the service serves besides its model
    #: (its pages under ``/_altus``), authenticated as its operations are.
    routes: Callable[[Any], Sequence[BaseRoute]] | None = None
    #: Raw routes that authorise by themselves, never by the caller's signature
    #: (function URLs, whose AuthType decides), given the component.
    open_routes: Callable[[Any], Sequence[BaseRoute]] | None = None
    #: Whether blob payloads are streamed to the operation unread even where signatures
    #: are checked (S3): the signature covers the payload hash the request declares
    #: (``X-Amz-Content-SHA256``), and the body is checked against it as it is read.
    streamed_bodies: bool = False
    #: How far a signed request's time may be from the server's, either way (Lambda and
    #: CloudWatch Logs: 5 minutes; SQS, STS: 15).
    clock_skew_minutes: int = 5
    #: The IAM action and resource ARN a call needs, given the component, the operation
    #: and its members (None: no permission needed; several: each of them, for a call
    #: that acts on several resources); unset: ``<signing name>:<operation>`` on ``*``.
    actions: Callable[[Any, str, Members], Needs | Sequence[Needs] | None] | None = None
    #: Host rules: a host of this form is served by these routes alone (the
    #: ``{id}`` part of e.g. ``{id}.lambda-url.{region}.{domain}``), given the component
    #: and the settings; None where the settings turn them off.
    hosts: Callable[[Any, Settings], HostRule | None] | None = None
    #: Virtual hosts, given the settings: a function from a request's Host to the first
    #: path segment it stands for (S3's ``<bucket>.s3.<domain>`` is ``/<bucket>``), or
    #: None where the host is not one; the request is then served path-style. None: the
    #: service has none (or the settings turn them off).
    virtual_hosts: Callable[[Settings], Callable[[str], str | None] | None] | None = None
    #: Where the model's operations are served below a prefix too: a function of a path
    #: giving the length of the prefix to take off it, or None where it has none (the
    #: ``@connections`` API below a WebSocket stage's URL,
    #: ``/_aws/execute-api/<api>/<stage>/@connections/<id>``). The path the request was
    #: signed with is kept for its signature.
    mount: Callable[[str], int | None] | None = None
    #: Whether an unsigned request whose path fits this operation (found by the model's
    #: paths; None where none fits) is this service's, given the component, the request
    #: and the operation: a model whose paths fit any path (S3's) claims only what is
    #: plainly its own, and answers what is plainly its own on no path of its model.
    #: None: every request that fits an operation, and nothing else.
    unsigned_claim: Callable[[Any, Request, str | None], bool] | None = None
    #: The error shape whose members an error unknown to the model is rendered with
    #: (Lambda's errors all carry ``Type``); None: just its message.
    default_error_shape: str | None = None
    #: Members a request implies by where it was sent, added before validation (SQS: a
    #: query request sent to a queue's own URL names that queue).
    implied: Callable[[Request, Members], Members] | None = None
    #: Members a call implies by who makes it, added where requests are authenticated,
    #: before authorisation (IAM: a call about access keys that names no user is about
    #: the user who signed it), given the component, the operation, the members and the
    #: caller (``altus.identity.Principal``).
    implied_by_caller: Callable[[Any, str, Members, Any], Members] | None = None
    #: The error for a request naming no operation this service serves: its name (or
    #: None when it names none of the model's) -> the error. Default: UnknownOperation.
    unknown: Callable[[str | None], AltusError] | None = None
    #: Error codes the service documents that its model has no shape for (S3's
    #: InvalidBucketName, BucketNotEmpty, InvalidRange ...), rendered with their class's
    #: status.
    documented_errors: frozenset[str] = frozenset()


@dataclass(frozen=True)
class HostRule:
    """Requests whose Host matches ``matches`` go to ``app`` (an ASGI app) whatever their
    path: function URL hosts, S3 virtual-hosted buckets, execute-api hosts."""

    matches: Callable[[str], bool]
    app: Callable[[Any, Any, Any], Awaitable[None]]
