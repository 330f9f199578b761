"""What a resource type is to the deployer: a ``Provider`` that creates, updates and
deletes resources of that type by calling the services' own APIs (``ProviderContext.call``:
botocore against Altus's endpoint, signed as the stack's actor), and says which property
changes need a new resource.

A provider holds no state: everything it needs to update or delete a resource is in the
``Current`` the deployer keeps (its physical id, the properties it was last given, the
attributes it answered with). Properties reach it resolved (no intrinsics; ``AWS::NoValue``
removed), as the template wrote them: strings where the template had strings, numbers and
booleans as the template's YAML or JSON gave them (CloudFormation passes ``"128"`` and
``128`` alike, so providers convert with ``integer``/``boolean`` below).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

#: Properties CloudFormation itself reads on no resource (and providers ignore).
Properties = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Outcome:
    """What creating or updating a resource gave: its physical id (what ``Ref`` answers,
    and what DescribeStackResources shows) and its ``Fn::GetAtt`` attributes by name
    (dotted names as the template writes them: ``Endpoint.Address``)."""

    physical_id: str
    attributes: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Current:
    """A resource as the deployer last recorded it. ``physical_id`` is None for a create
    that may or may not have happened (the server stopped mid-call): ``delete`` then finds
    the resource by the name it would have had (``ProviderContext.name`` gives the same
    name again), or does nothing where it cannot."""

    logical_id: str
    physical_id: str | None
    properties: Properties
    attributes: Mapping[str, Any] = field(default_factory=dict)


class ResourceFailed(Exception):
    """The resource cannot be made as asked: ``message`` is the reason the stack event
    gives, ``code`` the handler error code (``InvalidRequest``, ``NotFound``,
    ``AlreadyExists``, ``GeneralServiceException`` ...)."""

    def __init__(self, message: str, code: str = "InvalidRequest") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class ServiceFailed(ResourceFailed):
    """A service refused a provider's call: its error's ``code`` (``ResourceNotFoundException``)
    and message, as botocore saw them."""

    def __init__(self, service: str, error_code: str, message: str, status: int, request_id: str):
        super().__init__(message, _handler_code(error_code, status))
        self.service = service
        self.error_code = error_code
        self.status = status
        self.request_id = request_id

    @property
    def not_found(self) -> bool:
        """Whether the service said the resource does not exist (a delete's success); an
        operation the service does not serve is no such answer."""
        if self.error_code in ("UnknownOperationException", "InvalidAction"):
            return False
        return (
            self.status == 404
            or "NotFound" in self.error_code
            or self.error_code
            in (
                "NoSuchEntity",
                "NoSuchBucket",
                "AWS.SimpleQueueService.NonExistentQueue",
                "QueueDoesNotExist",
                "ParameterNotFound",
                "StateMachineDoesNotExist",
                "ActivityDoesNotExist",
            )
        )


def _handler_code(error_code: str, status: int) -> str:
    if status == 404 or "NotFound" in error_code or "NoSuch" in error_code:
        return "NotFound"
    if "AlreadyExists" in error_code or "Conflict" in error_code or status == 409:
        return "AlreadyExists"
    if status == 429 or "Throttl" in error_code or "TooMany" in error_code:
        return "Throttling"
    if "AccessDenied" in error_code or status == 403:
        return "AccessDenied"
    if status >= 500:
        return "ServiceInternalError"
    return "InvalidRequest"


class ProviderContext(Protocol):
    """What a provider may use: the stack it works for, calls to the services, and the
    names CloudFormation gives resources the template does not name."""

    @property
    def stack_name(self) -> str: ...

    @property
    def stack_id(self) -> str: ...

    @property
    def resource_type(self) -> str:
        """The resource's type as the template names it (``Custom::Seeder``)."""
        ...

    @property
    def region(self) -> str: ...

    @property
    def account_id(self) -> str: ...

    @property
    def partition(self) -> str: ...

    @property
    def endpoint(self) -> str:
        """The API's URL as clients reach it (``http://127.0.0.1:4566``): what URL
        attributes are made of (an HTTP API's ``ApiEndpoint``, a bucket's website URL)."""
        ...

    @property
    def stack_tags(self) -> Mapping[str, str]:
        """Tags every taggable resource of the stack gets besides its own: the stack's
        tags (the ``aws:cloudformation:*`` ones AWS adds are not set: Altus's services
        refuse the ``aws:`` prefix from callers, as AWS's do)."""
        ...

    async def call(self, service: str, operation: str, params: Mapping[str, Any]) -> dict[str, Any]:
        """Call ``operation`` of ``service`` (botocore's names: ``lambda``,
        ``CreateFunction``) with members by the model's names (blobs as bytes), as the
        stack's actor. Returns the answer's members as JSON values (dates as ISO text).
        Raises ServiceFailed (the service's error) or ResourceFailed (no answer)."""
        ...

    def name(self, *, max_length: int = 64, lower: bool = False, separator: str = "-") -> str:
        """The physical name CloudFormation would generate for this resource:
        ``<stack>-<LogicalId>-<RANDOM>`` cut to ``max_length`` (the random part kept),
        lower-cased where the service wants (buckets). The same resource gets the same
        name each time it is asked for in one attempt (a replacement is a new attempt)."""
        ...

    async def fetch(self, bucket: str, key: str, version: str | None = None) -> bytes:
        """An object from the built-in S3 (a definition or an OpenAPI body ``package``
        uploaded). Raises ResourceFailed where it cannot be read."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait between polls of a resource that is still becoming ready (on the
        platform's clock)."""
        ...


class Provider(Protocol):
    """One resource type."""

    #: Top-level properties whose change (or addition, or removal) needs a new resource
    #: (the schema's ``createOnlyProperties``); any other change is made in place.
    replaced_by: frozenset[str]
    #: The names ``Fn::GetAtt`` may ask of it (a template asking another fails at
    #: validation).
    attributes: frozenset[str]

    async def create(self, ctx: ProviderContext, logical_id: str, props: Properties) -> Outcome:
        """Make the resource; it must be usable when this returns."""
        ...

    async def update(self, ctx: ProviderContext, current: Current, props: Properties) -> Outcome:
        """Change the resource in place from ``current.properties`` to ``props`` (a
        property removed goes back to the service's default). The physical id stays."""
        ...

    async def delete(self, ctx: ProviderContext, current: Current) -> None:
        """Remove the resource; one already gone is no failure."""
        ...


# --- waiting ------------------------------------------------------------------------------

#: Polls of a resource becoming ready before a provider gives up: with ``backoff``'s
#: pauses, about ten minutes.
POLLS = 320


def backoff(poll: int) -> float:
    """The pause after poll number ``poll`` (0-based) of a resource not ready yet: 10 ms,
    doubling to 2 s. Altus's services settle within moments, so the first polls come
    quickly; a resource that takes long is not polled hard."""
    return min(0.01 * 2.0**poll, 2.0)


# --- property readers ---------------------------------------------------------------------


def integer(props: Properties, name: str, default: int | None = None) -> int | None:
    """A numeric property as an int (``"128"`` and ``128`` alike). Raises ResourceFailed
    for a value that is not one."""
    value = props.get(name)
    if value is None:
        return default
    if isinstance(value, bool):
        raise ResourceFailed(f"Property {name} must be a number, not {value!r}")
    try:
        return int(value)
    except (TypeError, ValueError):
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ResourceFailed(
                f"Properties validation failed for property {name}: "
                f"expected type: Number, found: {type(value).__name__}"
            ) from None
        if not number.is_integer():
            raise ResourceFailed(f"Property {name} must be an integer, not {value!r}") from None
        return int(number)


def boolean(props: Properties, name: str, default: bool | None = None) -> bool | None:
    """A boolean property (``"true"``/``"false"`` as CloudFormation takes them too)."""
    value = props.get(name)
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise ResourceFailed(
        f"Properties validation failed for property {name}: expected type: Boolean, "
        f"found: {type(value).__name__}"
    )


def required(props: Properties, *names: str) -> None:
    """Refuse properties missing a required one, as CloudFormation words it."""
    missing = [name for name in names if props.get(name) in (None, "")]
    if missing:
        raise ResourceFailed(
            "Properties validation failed for resource with message: "
            + ", ".join(f"#: required key [{name}] not found" for name in missing)
        )


def tag_list(props: Properties, ctx: ProviderContext, name: str = "Tags") -> list[dict[str, str]]:
    """The resource's tags as ``[{Key, Value}]``: the stack's first, then its own."""
    tags = dict(ctx.stack_tags)
    for tag in props.get(name) or []:
        tags[str(tag["Key"])] = str(tag["Value"])
    return [{"Key": key, "Value": value} for key, value in tags.items()]


def tag_map(props: Properties, ctx: ProviderContext, name: str = "Tags") -> dict[str, str]:
    """The resource's tags as a map (the services that take ``{key: value}``)."""
    return {tag["Key"]: tag["Value"] for tag in tag_list(props, ctx, name)}
