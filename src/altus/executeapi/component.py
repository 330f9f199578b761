"""The front door's component: what serving deployed APIs needs besides the request.

It asks the control planes (REST APIs first, then HTTP and WebSocket APIs) for stages,
invokes functions through the Lambda component as ``apigateway.amazonaws.com``, and keeps
what lives only in memory: compiled route tables (one per deployment: deployments never
change), token buckets, Lambda authorizers' cached answers and JWT issuers' keys.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Hashable
from datetime import datetime
from typing import Any, Protocol

import httpx

from altus.api.spec import Context
from altus.gateway.authorizers import Verdict
from altus.gateway.deployed import REST, ApiDirectory, Deployment
from altus.gateway.jwt import JwtKeys
from altus.gateway.request import Matched
from altus.gateway.routing import HttpRoutes, RestResources
from altus.gateway.throttle import Throttles
from altus.targets import Called, ServiceCallable

#: The principal API Gateway invokes functions as.
SERVICE_PRINCIPAL = "apigateway.amazonaws.com"

#: How many compiled route tables and cached authorizer answers are kept.
_TABLES = 1024
_VERDICTS = 10_000
#: How many routing results are kept, and the longest path one is kept for.
_MATCHES = 4096
_MATCHED_PATH = 512


class Connection(Protocol):
    """A WebSocket API's client connection, as the management API sees it."""

    #: The API and stage it is connected to.
    api_id: str
    stage: str
    connected_at: datetime
    last_active_at: datetime
    source_ip: str
    user_agent: str

    async def send(self, data: bytes) -> bool:
        """Send one message to the client; False when the connection has closed."""
        ...

    async def close(self, code: int = 1000, reason: str = "") -> None:
        """Close the connection (the client gets a close frame; ``$disconnect`` runs)."""
        ...


class ExecuteApi:
    def __init__(self, context: Context) -> None:
        self.account = context.account
        self.settings = context.settings
        self.clock = context.clock
        self.identity = context.identity
        #: REST APIs' directory (their API keys and usage plans too), then HTTP and
        #: WebSocket APIs'.
        self.directories: tuple[ApiDirectory, ...] = (
            context.component("apigateway").directory,
            context.component("apigatewayv2"),
        )
        self.functions: ServiceCallable = context.component("lambda")
        #: Whether an integration's role exists and trusts API Gateway.
        self.roles: Any = context.component("iam")
        #: HTTP_PROXY integrations and JWT issuers' key sets. Integrations are called as
        #: API Gateway calls them: no redirects followed, no proxies from the environment.
        self.http = httpx.AsyncClient(follow_redirects=False, trust_env=False)
        self.jwt_keys = JwtKeys(self.http, self.clock.now)
        self.throttles = Throttles()
        self._tables: OrderedDict[tuple[str, str], HttpRoutes | RestResources] = OrderedDict()
        #: (API, deployment, method, path) -> what routing found: most requests repeat a
        #: few paths, and a lookup costs less than a walk of the route table.
        self._matches: dict[tuple[str, str, str, str], Matched | None] = {}
        self._verdicts: OrderedDict[Hashable, tuple[float, Verdict]] = OrderedDict()
        #: WebSocket connections open now, by id (none survive the process).
        self.connections: dict[str, Connection] = {}
        self._closing: set[asyncio.Task[None]] = set()
        #: Invocations the gateway stopped waiting for, running on.
        self._running: set[asyncio.Future[Called]] = set()

    async def start(self) -> None:
        return None

    def interrupt(self) -> None:
        """A shutdown: every WebSocket client is told the server is going away."""
        loop = asyncio.get_running_loop()
        for connection in list(self.connections.values()):
            task = loop.create_task(connection.close(1001, "Going away"))
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)

    async def close(self) -> None:
        for task in list(self._running):
            task.cancel()
        await self.http.aclose()

    # --- what a request needs ---------------------------------------------------------------

    def directory(self, api_id: str) -> tuple[ApiDirectory, str] | None:
        """The control plane that has this API, and the API's protocol."""
        for directory in self.directories:
            protocol = directory.protocol(api_id)
            if protocol is not None:
                return directory, protocol
        return None

    def invoke(
        self,
        source_arn: str,
        account_id: str,
        function: str,
        payload: bytes,
        role: str | None,
        timeout: float,
        trace: str | None = None,
    ) -> Awaitable[Called]:
        """The function's answer to API Gateway, invoked for ``source_arn`` (a method's,
        route's or authorizer's ARN). After ``timeout`` seconds: TimeoutError, and the
        invocation runs on, its answer going nowhere, as API Gateway leaves a function it
        stopped waiting for (and as it does when the client goes away)."""
        call = self.functions.call_as_service(
            SERVICE_PRINCIPAL, source_arn, account_id, function, payload, role=role, trace=trace
        )
        longest = self.functions.longest_invoke(function)
        if longest is not None and longest <= timeout:
            # The function ends (or times out) before the gateway would stop waiting:
            # the invoke itself is awaited, with no task and no timer (the warm path).
            return call
        return self._bounded(call, timeout)

    async def _bounded(self, call: Awaitable[Called], timeout: float) -> Called:
        task = asyncio.ensure_future(call)
        try:
            async with asyncio.timeout(timeout):
                return await asyncio.shield(task)
        except BaseException:
            if not task.done():
                self._running.add(task)
                task.add_done_callback(self._finished)
            raise

    def _finished(self, task: asyncio.Future[Called]) -> None:
        self._running.discard(task)
        if not task.cancelled():
            task.exception()  # whatever it was, nobody waits for it now

    def may_assume(self, role: str | None) -> bool:
        """Whether API Gateway may invoke with ``role`` (an integration's or authorizer's
        credentials): where requests are authenticated, the role must exist and trust
        ``apigateway.amazonaws.com``; None (no role) may always be used."""
        if role is None or not self.identity.enforcing:
            return True
        return bool(self.roles.assumable_by(role, SERVICE_PRINCIPAL))

    def match(self, deployment: Deployment, method: str, path: str) -> Matched | None:
        """The route a request for ``path`` (within the stage, as sent) takes in
        ``deployment``; None: no route (a deployment never changes, so neither does the
        answer)."""
        key = (deployment.api_id, deployment.id, method, path)
        try:
            return self._matches[key]
        except KeyError:
            pass
        found = self.routes(deployment).match(method, path)
        if len(path) <= _MATCHED_PATH:
            if len(self._matches) >= _MATCHES:
                # Emptied rather than kept in order: cheaper on every request, and a
                # server's paths refill it at once.
                self._matches.clear()
            self._matches[key] = found
        return found

    def routes(self, deployment: Deployment) -> HttpRoutes | RestResources:
        """A deployment's routes, compiled once (a deployment never changes)."""
        key = (deployment.api_id, deployment.id)
        table = self._tables.get(key)
        if table is None:
            if deployment.protocol == REST:
                table = RestResources(deployment.routes)
            else:
                table = HttpRoutes(deployment.routes)
            self._tables[key] = table
            if len(self._tables) > _TABLES:
                self._tables.popitem(last=False)
        return table

    def cached_verdict(self, key: Hashable) -> Verdict | None:
        found = self._verdicts.get(key)
        if found is None:
            return None
        expires, verdict = found
        if self.clock.now() >= expires:
            del self._verdicts[key]
            return None
        self._verdicts.move_to_end(key)
        return verdict

    def cache_verdict(self, key: Hashable, verdict: Verdict, ttl: int) -> None:
        self._verdicts[key] = (self.clock.now() + ttl, verdict)
        self._verdicts.move_to_end(key)
        if len(self._verdicts) > _VERDICTS:
            self._verdicts.popitem(last=False)

    def health(self) -> dict[str, Any]:
        return {
            "route_tables": len(self._tables),
            "routing_results": len(self._matches),
            "cached_authorizations": len(self._verdicts),
            "connections": len(self.connections),
        }
