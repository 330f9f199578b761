"""Requests in CBOR, refused with a clear answer.

The AWS SDKs for Java (v1 from 1.11.71, and v2), and so the KCL and the Flink and
Spark connectors, send Kinesis requests in CBOR (``application/x-amz-cbor-1.1``) unless
told not to; boto3, the AWS CLI and the JavaScript and Go SDKs send JSON, the only form
Altus serves. A CBOR request is answered 400 with an error that says so and how to turn
CBOR off. The answer is itself CBOR (a map of ``__type`` and ``message``), with the code
in ``x-amzn-ErrorType`` too, because the Java SDK parses an error body in the protocol
it sent: a JSON body would reach its user without the message.

It is a raw route of the service, matched by Content-Type before the JSON protocol
tries to read the body (docs/kinesis.md).
"""

from __future__ import annotations

from typing import Any

import cbor2
from starlette.datastructures import URLPath
from starlette.responses import Response
from starlette.routing import BaseRoute, Match, NoMatchFound
from starlette.types import Receive, Scope, Send

from altus import ids

CONTENT_TYPE = b"application/x-amz-cbor-1.1"
CODE = "InvalidArgumentException"
MESSAGE = (
    "Altus serves Kinesis in JSON only, and this request was sent in CBOR "
    "(application/x-amz-cbor-1.1). Turn CBOR off in the AWS SDK for Java: for SDK v1 set "
    "the environment variable AWS_CBOR_DISABLE=true (or the system property "
    "-Dcom.amazonaws.sdk.disableCbor=true); for SDK v2 set CBOR_ENABLED=false (or "
    "-Daws.cborEnabled=false)."
)


def is_cbor(scope: Scope) -> bool:
    for name, value in scope["headers"]:
        if name == b"content-type":
            given: bytes = value.split(b";", 1)[0].strip().lower()
            return given == CONTENT_TYPE
    return False


class CborRefusal(BaseRoute):
    """Any request of the service whose body is CBOR."""

    #: Where the service looks for its raw routes: every path (Kinesis posts to ``/``).
    path = "/"

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        return (Match.FULL, {}) if is_cbor(scope) else (Match.NONE, {})

    def url_path_for(self, name: str, /, **path_params: Any) -> URLPath:
        raise NoMatchFound(name, path_params)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = cbor2.dumps({"__type": CODE, "message": MESSAGE})
        headers = {"x-amzn-RequestId": ids.request_id(), "x-amzn-ErrorType": CODE}
        response = Response(body, 400, headers, media_type=CONTENT_TYPE.decode())
        await response(scope, receive, send)


def routes(component: object) -> list[BaseRoute]:
    return [CborRefusal()]
