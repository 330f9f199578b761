"""How the console reads and changes things: through Altus's own API, as the signed-in
principal, exactly as a client would. Service operations go through botocore
(``altus.api.selfcalls.BotocoreCalls``: the same dispatcher, SigV4 check, IAM
authorisation, validation and operation as any SDK call); Altus's own JSON routes
(``/_altus/cost`` ...) are requests signed with botocore's SigV4 signer for the
service whose raw routes they are (``lambda``; ``xray`` for the traces).

Failures come back as one exception with the service's error code and message, so a
page shows "AccessDeniedException: User ... is not authorized ..." where IAM refused,
and a route or service this server does not have reads as ``Unavailable``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any, Protocol
from urllib.parse import urlencode

import httpx
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from altus.api.selfcalls import SdkFailure, SdkResponse, SdkUnreachable
from altus.console.sessions import Principals

#: How long a request to one of Altus's own routes may take, in seconds, by default.
DEFAULT_TIMEOUT = 60.0


class Calls(Protocol):
    """``altus.api.selfcalls.BotocoreCalls``, as the console uses it."""

    async def call(
        self, service: str, operation: str, params: Mapping[str, Any], role_arn: str
    ) -> SdkResponse: ...


#: Error codes that mean "this server has no such operation or route".
_MISSING = ("UnknownOperationException", "UnknownOperation", "InvalidAction")
#: Error codes that mean "IAM said no".
DENIED = ("AccessDenied", "AccessDeniedException", "AuthorizationError", "UnauthorizedOperation")


class CallFailed(Exception):
    def __init__(self, service: str, code: str, message: str, status: int) -> None:
        super().__init__(f"{code}: {message}")
        self.service = service
        self.code = code
        self.message = message
        self.status = status

    @property
    def denied(self) -> bool:
        return self.code in DENIED


class Unavailable(CallFailed):
    """The service or route is not on this server (yet)."""


class Api:
    """The API as one principal sees it."""

    def __init__(
        self,
        calls: Calls,
        principals: Principals,
        endpoint: str,
        region: str,
        principal: str,
        http: Callable[[], httpx.AsyncClient],
        invokes: Calls | None = None,
    ) -> None:
        self._calls = calls
        self._invokes = invokes or calls
        self._principals = principals
        self._endpoint = endpoint
        self._region = region
        self._http = http
        self.principal = principal

    async def call(self, service: str, operation: str, **params: Any) -> dict[str, Any]:
        """``operation`` of ``service`` (botocore's names) with ``params``; its members.
        CallFailed (Unavailable where the server has no such operation)."""
        return await self._call(self._calls, service, operation, params)

    async def invoke(self, **params: Any) -> dict[str, Any]:
        """Lambda's Invoke, on a pool of its own: invokes run as long as their function
        does, and must not hold the threads every page's reads go through."""
        return await self._call(self._invokes, "lambda", "Invoke", params)

    async def _call(
        self, calls: Calls, service: str, operation: str, params: dict[str, Any]
    ) -> dict[str, Any]:
        try:
            response = await calls.call(service, operation, params, self.principal)
        except SdkFailure as failed:
            kind = Unavailable if _missing(failed.code, failed.status) else CallFailed
            raise kind(service, failed.code or "Error", failed.message, failed.status) from None
        except SdkUnreachable as unreachable:
            raise Unavailable(service, "Unreachable", str(unreachable), 0) from None
        return response.members

    async def own(
        self,
        method: str,
        path: str,
        query: Mapping[str, str] | None = None,
        body: Any = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> Any:
        """One of Altus's own JSON routes, signed as the principal; the decoded JSON."""
        status, headers, content = await self.own_raw(method, path, query, body, timeout)
        if status >= 400:
            code, message = _error_of(headers, content)
            if status == 404 and not code and _said(content):
                # The route is there, and said what it did not find: not a missing route.
                code = "ResourceNotFoundException"
            kind = Unavailable if _missing(code, status) else CallFailed
            raise kind("altus", code, message, status)
        try:
            return json.loads(content)
        except ValueError:
            raise CallFailed(
                "altus", "BadResponse", "the route did not answer JSON", status
            ) from None

    async def own_raw(
        self,
        method: str,
        path: str,
        query: Mapping[str, str] | None = None,
        body: Any = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> tuple[int, Mapping[str, str], bytes]:
        """The status, headers and body of a signed request to ``path`` (waiting at most
        ``timeout`` seconds for its answer)."""
        url = self._endpoint + path + ("?" + urlencode(query) if query else "")
        data = json.dumps(body).encode() if body is not None else b""
        credentials = self._principals.credentials(self.principal)
        request = AWSRequest(
            method=method,
            url=url,
            data=data,
            headers={"Content-Type": "application/json"} if body is not None else {},
        )
        signer = Credentials(credentials.key.id, credentials.key.secret, credentials.token)
        SigV4Auth(signer, _signing_name(path), self._region).add_auth(request)
        try:
            answer = await self._http().request(
                method,
                url,
                content=data,
                headers=dict(request.headers.items()),
                timeout=httpx.Timeout(timeout, connect=10),
            )
        except httpx.HTTPError as error:
            raise Unavailable("altus", "Unreachable", str(error), 0) from None
        return answer.status_code, answer.headers, answer.content


def _missing(code: str, status: int) -> bool:
    return code in _MISSING or (status == 404 and not code)


#: Altus's own routes of services other than Lambda, by path: the service whose name a
#: request to them is signed with (the dispatcher routes a signed request by it).
_ROUTES_OF = (("/_altus/traces/", "xray"),)


def _signing_name(path: str) -> str:
    return next((name for prefix, name in _ROUTES_OF if path.startswith(prefix)), "lambda")


def _said(content: bytes) -> bool:
    """Whether an answer is a JSON object with a message."""
    try:
        body = json.loads(content)
    except ValueError:
        return False
    return isinstance(body, dict) and bool(body.get("message") or body.get("Message"))


def _error_of(headers: Mapping[str, str], content: bytes) -> tuple[str, str]:
    code = headers.get("x-amzn-errortype", "").split(":", 1)[0]
    message = ""
    try:
        body = json.loads(content)
    except ValueError:
        body = None
    if isinstance(body, dict):
        code = code or str(body.get("__type") or body.get("Type") or body.get("code") or "")
        code = code.rsplit("#", 1)[-1]
        message = str(body.get("message") or body.get("Message") or "")
    return code, message or content.decode("utf-8", "replace")[:300]
