"""The AWS Parameters and Secrets Lambda Extension's local interface, served by the
platform for every environment: a function reads a secret or a parameter with a plain
HTTP GET to ``localhost:$PARAMETERS_SECRETS_EXTENSION_HTTP_PORT`` instead of an SDK call.

- ``GET /secretsmanager/get?secretId=...[&versionId=...|&versionStage=...]``
- ``GET /systemsmanager/parameters/get?name=...[&version=...|&label=...][&withDecryption=true]``

Each request must carry the environment's session token in
``X-Aws-Parameters-Secrets-Token`` (a 401 otherwise, as the extension answers), which is
how the platform knows whose request it is: the function's role session. Only a token
given to an environment is taken, and, where environments have uids of their own, only
from a socket of that environment's uid. The extension
then does what AWS's does, the SDK call (GetSecretValue, GetParameter) signed with that
session's credentials, here to the platform's own API. So the role's policies, the
secret's resource policy and everything else the API checks apply unchanged. The answer
is the API's JSON with its dates as ISO 8601 strings and its absent members as null, as
the extension's Go SDK writes them; any error is a 400 with the extension's one generic
message, its cause logged.

Where Altus departs from AWS: there is no cache (every request reads the current
value), so ``SECRETS_MANAGER_TTL`` and the other cache settings change nothing; one
listener on the host serves every environment (in the ``isolated`` network mode, init
relays the port inside each environment to it).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import json
import logging
import socket
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

import httpx
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from altus.httpd import HttpServer
from altus.identity.authenticator import Identity
from altus.identity.keys import SessionCredentials
from altus.runtime_api.server import socket_uid

log = logging.getLogger(__name__)

#: The port AWS's extension listens on unless PARAMETERS_SECRETS_EXTENSION_HTTP_PORT says
#: otherwise.
DEFAULT_PORT = 2773
PORT_VARIABLE = "PARAMETERS_SECRETS_EXTENSION_HTTP_PORT"
#: Where init (the linux sandbox's ``isolated`` network) relays that port inside the
#: environment to: the platform's listener. Never seen by the function (init takes it).
RELAY_VARIABLE = "ALTUS_SECRETS_EXTENSION"
TOKEN_HEADER = b"x-aws-parameters-secrets-token"
#: The extension's words for a missing or wrong token, and for every other failure.
BAD_TOKEN = b"Bad session token or header key"
FAILED = b"an unexpected error occurred while executing request"

_SECRET_FIELDS = ("ARN", "CreatedDate", "Name", "SecretBinary", "SecretString", "VersionId")
_PARAMETER_FIELDS = (
    "ARN",
    "DataType",
    "LastModifiedDate",
    "Name",
    "Selector",
    "SourceResult",
    "Type",
    "Value",
    "Version",
)


class SecretsExtension:
    """Listens on loopback (``port``, or any free port where that one is taken: another
    server on this machine has it) until closed."""

    def __init__(self, identity: Identity, endpoint: str | None, region: str, port: int) -> None:
        self._identity = identity
        self._endpoint = endpoint
        self._region = region
        self._wanted = port
        self._server = HttpServer(self.app, keep_alive=5.0, graceful=1.0)
        self._task: asyncio.Task[None] | None = None
        self._client: httpx.AsyncClient | None = None
        #: The port it listens on, once started.
        self.port = 0

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    async def start(self) -> None:
        if self._endpoint is None:  # a platform without a socket: nothing to call
            return
        sock = _bind(self._wanted)
        self.port = sock.getsockname()[1]
        if self.port != self._wanted:
            log.warning(
                "port %d is taken: the Parameters and Secrets extension listens on %d "
                "(functions are told so in %s)",
                self._wanted,
                self.port,
                PORT_VARIABLE,
            )
        self._client = httpx.AsyncClient(base_url=self._endpoint, timeout=30.0)
        self._task = asyncio.get_running_loop().create_task(self._server.serve([sock]))

    async def close(self) -> None:
        if self._task is not None:
            self._server.stop()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._client is not None:
            await self._client.aclose()

    # --- the interface ----------------------------------------------------------------------

    async def app(self, scope: Mapping[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        status, body = await self._answer(scope)
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json" if status == 200 else b"text/plain"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    async def _answer(self, scope: Mapping[str, Any]) -> tuple[int, bytes]:
        if scope["method"] != "GET":
            return 405, b"Method not allowed"
        path = scope["path"].rstrip("/")
        query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
        token = next((v for k, v in scope["headers"] if k == TOKEN_HEADER), None)
        session = self._identity.session_of_token(token.decode("latin-1")) if token else None
        if session is None or not _from_its_environment(scope, session):
            return 401, BAD_TOKEN
        if path == "/secretsmanager/get" and query.get("secretId"):
            request: dict[str, Any] = {"SecretId": query["secretId"]}
            if "versionId" in query:
                request["VersionId"] = query["versionId"]
            if "versionStage" in query:
                request["VersionStage"] = query["versionStage"]
            answer = await self._call(session, "secretsmanager", "GetSecretValue", request)
            return (200, _secret(answer)) if answer is not None else (400, FAILED)
        if path == "/systemsmanager/parameters/get" and query.get("name"):
            answer = await self._call(session, "ssm", "GetParameter", _parameter_request(query))
            return (200, _parameter(answer)) if answer is not None else (400, FAILED)
        return 400, FAILED

    async def _call(
        self, session: SessionCredentials, service: str, operation: str, members: dict[str, Any]
    ) -> dict[str, Any] | None:
        """``operation``'s answer, called as ``session`` on the platform's API; None (its
        error logged) where it fails."""
        assert self._client is not None and self._endpoint is not None
        target = {"secretsmanager": "secretsmanager", "ssm": "AmazonSSM"}[service]
        request = AWSRequest(
            "POST",
            f"{self._endpoint}/",
            data=json.dumps(members).encode(),
            headers={
                "Content-Type": "application/x-amz-json-1.1",
                "X-Amz-Target": f"{target}.{operation}",
            },
        )
        credentials = Credentials(session.key.id, session.key.secret, session.token)
        SigV4Auth(credentials, service, self._region).add_auth(request)
        try:
            response = await self._client.post(
                "/", content=request.body, headers=dict(request.headers.items())
            )
        except httpx.HTTPError as error:
            log.warning("extension: %s for %s failed: %s", operation, session.key.principal, error)
            return None
        if response.status_code != 200:
            log.warning(
                "extension: %s for %s failed: %s %s",
                operation,
                session.key.principal,
                response.status_code,
                response.text[:500],
            )
            return None
        found: dict[str, Any] = response.json()
        return found


def _from_its_environment(scope: Mapping[str, Any], session: SessionCredentials) -> bool:
    """Whether the request comes from the environment the session was given to: on AWS
    the extension is reachable only inside it, so a token seen elsewhere (a presigned URL
    carries one) reads nothing. A session STS made is no environment's; an environment
    with a uid of its own (the linux sandbox) must be the socket's owner, as its Runtime
    API requires (init relays as that uid in isolated networks)."""
    if not session.environment:
        return False
    if session.uid is None:
        return True
    client, server = scope.get("client"), scope.get("server")
    if not client or not server:
        return False
    return socket_uid((client[0], client[1]), (server[0], server[1])) == session.uid


def _bind(port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(("127.0.0.1", port))
    except OSError:
        sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    sock.setblocking(False)
    return sock


def _parameter_request(query: Mapping[str, str]) -> dict[str, Any]:
    """GetParameter's members: a version or a label becomes the name's selector (given
    both, the first in the query counts, as the extension's documentation says)."""
    name = query["name"]
    selector = next((query[k] for k in query if k in ("version", "label")), None)
    members: dict[str, Any] = {"Name": f"{name}:{selector}" if selector else name}
    members["WithDecryption"] = query.get("withDecryption", "false").lower() == "true"
    return members


def _iso(epoch: Any) -> Any:
    if not isinstance(epoch, int | float):
        return epoch
    moment = datetime.datetime.fromtimestamp(epoch, datetime.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _secret(answer: Mapping[str, Any]) -> bytes:
    shown: dict[str, Any] = {field: answer.get(field) for field in _SECRET_FIELDS}
    shown["CreatedDate"] = _iso(shown["CreatedDate"])
    shown["VersionStages"] = answer.get("VersionStages", [])
    shown["ResultMetadata"] = {}
    return json.dumps(shown, separators=(",", ":")).encode()


def _parameter(answer: Mapping[str, Any]) -> bytes:
    found = answer.get("Parameter") or {}
    parameter: dict[str, Any] = {field: found.get(field) for field in _PARAMETER_FIELDS}
    parameter["LastModifiedDate"] = _iso(parameter["LastModifiedDate"])
    return json.dumps(
        {"Parameter": parameter, "ResultMetadata": {}}, separators=(",", ":")
    ).encode()
