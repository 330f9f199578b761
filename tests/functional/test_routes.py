"""Route coverage: every operation of every registered service's model, serialised by
botocore exactly as the SDKs send it (in each protocol the service serves), reaches that
service and that operation through the one dispatcher; every operation a service
implements is one of its model's."""

from __future__ import annotations

import asyncio
import datetime
from collections.abc import Iterator
from typing import Any, cast
from urllib.parse import unquote, urlencode

import pytest
from botocore.awsrequest import prepare_request_dict
from botocore.serialize import create_serializer
from starlette.requests import Request
from starlette.types import Message

from altus.api.model import service_model
from altus.api.service import BoundService
from altus.api.spec import Needs
from altus.app import create_app
from altus.platform import Platform, build_platform
from altus.registry import SERVICES
from altus.settings import Settings


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("routes"), store="memory:", sandbox="process"
    )
    built = build_platform(settings)
    yield built
    built.storage.close()


def sample(shape: Any, depth: int = 0) -> Any:
    """A value of ``shape`` good enough for botocore to serialise (required members
    only, the shortest that pass its own checks)."""
    kind = shape.type_name
    if kind == "structure":
        if depth > 6:
            return {}
        return {name: sample(shape.members[name], depth + 1) for name in shape.required_members}
    if kind == "list":
        return [sample(shape.member, depth + 1)]
    if kind == "map":
        return {"k": sample(shape.value, depth + 1)}
    if kind in ("integer", "long"):
        return max(1, int(shape.metadata.get("min", 1)))
    if kind in ("double", "float"):
        return 1.0
    if kind == "boolean":
        return True
    if kind == "blob":
        return b"x"
    if kind == "timestamp":
        return datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    enum = getattr(shape, "enum", None)
    return enum[0] if enum else "x" * max(1, int(shape.metadata.get("min", 1)))


def cases() -> Iterator[tuple[str, str, str]]:
    for spec in SERVICES:
        model = service_model(spec.name)
        protocols = [*(model.metadata.get("protocols") or [model.protocol]), *spec.extra_protocols]
        for protocol in protocols:
            for operation in model.operation_names:
                yield spec.name, protocol, operation


def scope_of(
    model: Any, protocol: str, operation: str, params: dict[str, Any] | None = None
) -> tuple[dict[str, Any], bytes]:
    """The ASGI scope and body of a request botocore makes for ``operation`` (with
    ``params``, or the least its model requires), signed (as far as the dispatcher looks)
    for the model's signing name."""
    op = model.operation_model(operation)
    if params is None:
        params = sample(op.input_shape) if op.input_shape is not None else {}
    request = create_serializer(protocol, include_validation=False).serialize_to_request(params, op)
    prepare_request_dict(request, "http://127.0.0.1:9000")
    body = request["body"]
    if isinstance(body, dict):  # the query serialiser leaves the form as a dict
        body = urlencode(body)
    raw = body.encode() if isinstance(body, str) else bytes(body or b"")
    signing = model.metadata.get("signingName") or model.metadata["endpointPrefix"]
    headers = {k.lower(): str(v) for k, v in request["headers"].items()}
    headers["host"] = "127.0.0.1:9000"
    headers["authorization"] = (
        f"AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/"
        f"{signing}/aws4_request, SignedHeaders=host, Signature=x"
    )
    if protocol == "query":
        headers["content-type"] = "application/x-www-form-urlencoded; charset=utf-8"
    url = request["url"].split("://", 1)[1].split("/", 1)[1]
    path, _, query = ("/" + url).partition("?")
    scope = {
        "type": "http",
        "method": request["method"],
        "scheme": "http",
        "path": unquote(path),
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "server": ("127.0.0.1", 9000),
        "client": ("127.0.0.1", 1),
        "headers": [(k.encode(), v.encode()) for k, v in headers.items()],
        "http_version": "1.1",
    }
    return scope, raw


#: Operations whose requests are byte for byte another's, answered as that other: S3's
#: deprecated notification and lifecycle calls (their successors share the URI and the
#: body's root), and ListDirectoryBuckets (sent to S3 Express's own endpoint on AWS).
SAME_REQUEST = {
    ("s3", "GetBucketLifecycle"): "GetBucketLifecycleConfiguration",
    ("s3", "PutBucketLifecycle"): "PutBucketLifecycleConfiguration",
    ("s3", "GetBucketNotification"): "GetBucketNotificationConfiguration",
    ("s3", "PutBucketNotification"): "PutBucketNotificationConfiguration",
    ("s3", "ListDirectoryBuckets"): "ListBuckets",
}


@pytest.mark.parametrize(("service", "protocol", "operation"), list(cases()))
def test_every_operation_reaches_its_service(
    platform: Platform, service: str, protocol: str, operation: str
) -> None:
    model = service_model(service)
    scope, body = scope_of(model, protocol, operation)
    app = create_app(platform)

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def resolve() -> tuple[Any, str | None]:
        found = await app.route(scope, receive)
        if not isinstance(found, BoundService):
            return found, None
        request = Request(scope, receive)
        return found, await found.protocol_for(request).operation(request)

    found, name = asyncio.run(resolve())
    assert isinstance(found, BoundService) and found.spec.name == service
    assert name == SAME_REQUEST.get((service, operation), operation)


def test_every_implemented_operation_is_in_its_model() -> None:
    for spec in SERVICES:
        names = set(service_model(spec.name).operation_names)
        assert set(spec.operations) <= names, set(spec.operations) - names


def test_every_error_code_is_a_model_shape_or_a_common_aws_error() -> None:
    """An error's code is the shape name the framework renders it by (its status, its
    message member, its legacy code come from there), or one of the errors AWS documents
    as common to its APIs."""
    import altus.registry  # noqa: F401  (every service's errors imported)
    from altus.errors import AltusError

    common = {
        "ValidationException",
        "ValidationError",  # the query protocol's name for it (STS, IAM)
        "AccessDenied",  # the query protocol's AccessDeniedException (STS, IAM, SQS)
        "UnknownOperationException",
        "InternalFailure",
        "SerializationException",
        "RequestTooLargeException",
        "InvalidAction",
        "InvalidParameterValue",
        "MissingParameter",
        # The authentication errors every AWS API answers (altus.identity.errors).
        "MissingAuthenticationTokenException",
        "IncompleteSignatureException",
        "UnrecognizedClientException",
        "InvalidSignatureException",
        "ExpiredTokenException",
    }
    shapes = {name for spec in SERVICES for name in service_model(spec.name).shape_names}
    documented = {code for spec in SERVICES for code in spec.documented_errors}

    def subclasses(cls: type[AltusError]) -> Iterator[type[AltusError]]:
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    for error in subclasses(AltusError):
        code = error.code
        assert code in shapes or code in common or code in documented, (
            f"{error.__module__}.{error.__name__}: {code}"
        )


def test_path_unknown_to_every_service_is_unknown_operation(platform: Platform) -> None:
    app = create_app(platform)
    scope = {
        "type": "http",
        "method": "GET",
        "scheme": "http",
        "path": "/nowhere",
        "raw_path": b"/nowhere",
        "query_string": b"",
        "root_path": "",
        "server": ("127.0.0.1", 9000),
        "client": ("127.0.0.1", 1),
        "headers": [],
        "http_version": "1.1",
    }
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    assert sent[0]["status"] == 404
    headers = dict(sent[0]["headers"])
    assert headers[b"x-amzn-errortype"] == b"UnknownOperationException"


def test_registry_has_no_two_services_of_one_name() -> None:
    names = [spec.name for spec in SERVICES]
    assert len(names) == len(set(names))


def test_every_operation_of_every_service_maps_to_an_iam_action(platform: Platform) -> None:
    """The one table of what each call needs (``ServiceSpec.actions``): every operation of
    every model, implemented or not, names an action of its own service (or none, for
    what can never be denied) on a resource ARN or ``*``; a call acting on several
    resources may need several (a list of needs, each checked)."""
    for bound in platform.services:
        for name in bound.model.operation_names:
            spec = bound.spec
            needed = (
                spec.actions(bound.component, name, {})
                if spec.actions
                else (f"{bound.signing_name}:{name}", "*")
            )
            if needed is None:
                assert (spec.name, name) in {
                    ("sts", "GetCallerIdentity"),
                    ("sts", "GetSessionToken"),
                    ("sts", "AssumeRole"),
                    # Authorised by the operation itself, once per bus its entries name,
                    # once per key it deletes.
                    ("events", "PutEvents"),
                    ("s3", "DeleteObjects"),
                }
                continue
            # One need (action, resource[, policies]), or a list of them (as
            # ``BoundService._authorize`` reads it), never an empty one.
            single = bool(needed) and isinstance(needed[0], str)
            needs = cast("list[Needs]", [needed] if single else list(needed))
            assert needs, (spec.name, name)
            for need in needs:
                action, resource = need[0], need[1]
                # CloudWatch signs as ``monitoring`` and authorises as ``cloudwatch``.
                prefix = {"monitoring": "cloudwatch"}.get(bound.signing_name, bound.signing_name)
                assert action.startswith(f"{prefix}:"), (spec.name, name, action)
                assert resource == "*" or resource.startswith("arn:aws:"), (spec.name, name)
