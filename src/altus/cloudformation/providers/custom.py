"""Custom resources (``AWS::CloudFormation::CustomResource`` and any ``Custom::<Name>``):
CloudFormation sends the request to the ``ServiceToken`` (a Lambda function, invoked as an
Event; or an SNS topic, published to) and waits for the answer at the request's
``ResponseURL``, as AWS does.

The response URL is this server's own (``/_altus/cloudformation/custom-resource/<token>``,
served by ``Responses``): an unguessable token per request, so whoever holds it is the
function that was asked. The answer (``Status`` SUCCESS or FAILED, ``Reason``,
``PhysicalResourceId``, ``Data``) gives the resource its physical id (``Ref``) and its
attributes (``Fn::GetAtt`` of any key of ``Data``). An update answered with a new physical
id is a replacement: the old one is sent a Delete at the stack's cleanup, as
CloudFormation does. A wait outlives no restart: a deploy the server stopped during is
rolled back when it starts again (a Delete is sent then).
"""

from __future__ import annotations

import asyncio
import json
import secrets
import uuid
from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from altus.cloudformation.providers.base import (
    Current,
    Outcome,
    Properties,
    ProviderContext,
    ResourceFailed,
)

#: How long CloudFormation waits for an answer unless ``ServiceTimeout`` says less
#: (seconds; its own default and ceiling).
DEFAULT_TIMEOUT = 3600
#: The largest answer read (AWS takes 4 KB; a margin for Data).
MAX_ANSWER = 1024 * 1024
PATH = "/_altus/cloudformation/custom-resource/{token}"
CUSTOM_TYPE = "AWS::CloudFormation::CustomResource"


def is_custom(kind: str) -> bool:
    """Whether a resource type is a custom resource's."""
    return kind == CUSTOM_TYPE or kind.startswith("Custom::")


class Responses:
    """The answers custom resources are waited for, by their requests' tokens."""

    def __init__(self) -> None:
        self._waiting: dict[str, asyncio.Future[dict[str, Any]]] = {}

    def open(self) -> str:
        token = secrets.token_urlsafe(32)
        self._waiting[token] = asyncio.get_running_loop().create_future()
        return token

    async def wait(self, token: str, seconds: float) -> dict[str, Any] | None:
        """The answer to the request ``token`` names, or None past ``seconds``."""
        future = self._waiting[token]
        try:
            return await asyncio.wait_for(asyncio.shield(future), seconds)
        except TimeoutError:
            return None
        finally:
            self._waiting.pop(token, None)

    def routes(self) -> list[BaseRoute]:
        return [Route(PATH, self._answer, methods=["PUT", "POST"])]

    async def _answer(self, request: Request) -> Response:
        future = self._waiting.get(request.path_params["token"])
        if future is None or future.done():
            return Response("no request waits for this answer", status_code=404)
        body = b""
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_ANSWER:
                return Response("the answer is too large", status_code=413)
        try:
            answer = json.loads(body)
        except ValueError:
            return Response("the answer is not JSON", status_code=400)
        if not isinstance(answer, dict) or answer.get("Status") not in ("SUCCESS", "FAILED"):
            return Response("the answer has no Status of SUCCESS or FAILED", status_code=400)
        future.set_result(answer)
        return Response(status_code=200)


class CustomResource:
    replaced_by: frozenset[str] = frozenset()
    #: Any key of the answer's Data may be asked for (checked when it is asked).
    attributes: frozenset[str] = frozenset()
    open_attributes = True

    def __init__(self, responses: Responses) -> None:
        self._responses = responses

    async def create(self, ctx: ProviderContext, logical_id: str, props: Properties) -> Outcome:
        return await self._ask(ctx, logical_id, "Create", props)

    async def update(self, ctx: ProviderContext, current: Current, props: Properties) -> Outcome:
        return await self._ask(
            ctx,
            current.logical_id,
            "Update",
            props,
            physical_id=current.physical_id,
            old=current.properties,
        )

    async def delete(self, ctx: ProviderContext, current: Current) -> None:
        if current.physical_id is None:
            return  # never answered: nothing the function knows of to delete
        await self._ask(
            ctx,
            current.logical_id,
            "Delete",
            current.properties,
            physical_id=current.physical_id,
        )

    async def _ask(
        self,
        ctx: ProviderContext,
        logical_id: str,
        kind: str,
        props: Properties,
        *,
        physical_id: str | None = None,
        old: Properties | None = None,
    ) -> Outcome:
        token_arn = props.get("ServiceToken")
        if not isinstance(token_arn, str) or not token_arn:
            raise ResourceFailed(
                "Properties validation failed for resource with message: "
                "#: required key [ServiceToken] not found"
            )
        timeout = _timeout(props)
        token = self._responses.open()
        request: dict[str, Any] = {
            "RequestType": kind,
            "ServiceToken": token_arn,
            "ResponseURL": ctx.endpoint.rstrip("/") + PATH.format(token=token),
            "StackId": ctx.stack_id,
            "RequestId": str(uuid.uuid4()),
            "LogicalResourceId": logical_id,
            "ResourceType": ctx.resource_type or CUSTOM_TYPE,
            "ResourceProperties": dict(props),
        }
        if physical_id is not None:
            request["PhysicalResourceId"] = physical_id
        if old is not None:
            request["OldResourceProperties"] = dict(old)
        await _send(ctx, token_arn, request)
        answer = await self._responses.wait(token, timeout)
        if answer is None:
            raise ResourceFailed(
                "CloudFormation did not receive a response from your Custom Resource. "
                "Please check your logs for requestId [" + request["RequestId"] + "].",
                "NotStabilized",
            )
        if answer.get("Status") != "SUCCESS":
            reason = answer.get("Reason") or "Custom resource failed"
            raise ResourceFailed(str(reason), "GeneralServiceException")
        data = answer.get("Data") or {}
        if not isinstance(data, Mapping):
            raise ResourceFailed("The response's Data must be an object")
        given = answer.get("PhysicalResourceId") or physical_id
        if not given:
            raise ResourceFailed("The response did not give a PhysicalResourceId")
        return Outcome(str(given), {str(k): v for k, v in data.items()})


async def _send(ctx: ProviderContext, service_token: str, request: Mapping[str, Any]) -> None:
    payload = json.dumps(request)
    parts = service_token.split(":")
    if len(parts) >= 6 and parts[2] == "lambda":
        await ctx.call(
            "lambda",
            "Invoke",
            {"FunctionName": service_token, "InvocationType": "Event", "Payload": payload.encode()},
        )
    elif len(parts) >= 6 and parts[2] == "sns":
        await ctx.call("sns", "Publish", {"TopicArn": service_token, "Message": payload})
    else:
        raise ResourceFailed(
            f"Invalid service token {service_token}: a Lambda function's or an SNS topic's ARN"
        )


def _timeout(props: Properties) -> float:
    value = props.get("ServiceTimeout")
    if value is None:
        return float(DEFAULT_TIMEOUT)
    try:
        seconds = int(value)
    except (TypeError, ValueError):
        raise ResourceFailed("ServiceTimeout must be a number of seconds") from None
    if not 1 <= seconds <= DEFAULT_TIMEOUT:
        raise ResourceFailed("ServiceTimeout must be between 1 and 3600 seconds")
    return float(seconds)
