"""What the operations on one kind of an API's children share (routes, integrations,
authorizers, stages, deployments, models): reading one or a page of them, and the
locked read, check, plan and write of an update or a delete, so each operation module
keeps only its own rules.

A ``Kind`` is one such kind as its operations address it: the member of the path that
names one (``RouteId``), how the API is found (models refuse HTTP APIs), and whether a
change to it is one a deployment captures (it then auto-deploys, in the same plan)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from altus.api.spec import Call, Members
from altus.apigatewayv2.apis_api import listing
from altus.apigatewayv2.errors import BadRequest
from altus.apigatewayv2.model import ApiState, Change, Drop, Record, public, put
from altus.gateway.deployed import HTTP

if TYPE_CHECKING:
    from altus.apigatewayv2.component import ApiGatewayV2
    from altus.apigatewayv2.state import Core

#: The body of a new child, from the API, its fresh id and the members given.
Made = Callable[[ApiState, str, dict[str, Any]], dict[str, Any]]
#: The body of a child updated, from the API, the child and the members given.
Edited = Callable[[ApiState, Record, dict[str, Any]], dict[str, Any]]


def api_of(gateway: ApiGatewayV2, input: Members) -> ApiState:
    """The API the call addresses (NotFoundException where there is none)."""
    return gateway.core.api(str(input["ApiId"]))


def websocket(plural: str) -> Callable[[ApiGatewayV2, Members], ApiState]:
    """The API the call addresses, for a kind WebSocket APIs have only (``plural``: its
    name in the refusal of an HTTP API)."""

    def within(gateway: ApiGatewayV2, input: Members) -> ApiState:
        state = api_of(gateway, input)
        if state.api.body["ProtocolType"] == HTTP:
            raise BadRequest(f"{plural} are supported for WebSocket APIs only.")
        return state

    return within


def given(input: Members, *ids: str) -> dict[str, Any]:
    """The members of ``input`` given (a member left out arrives as None), less the
    path's ``ids``."""
    return {k: v for k, v in input.items() if k not in ids and v is not None}


async def commit(core: Core, state: ApiState, plan: list[Change], *, captured: bool) -> None:
    """Write ``plan`` about ``state``'s API, auto-deploying what it leaves where it
    changes what a deployment ``captured``."""
    await core.write(core.with_auto_deploy(state, plan) if captured else plan)


@dataclass(frozen=True, slots=True)
class Kind:
    """One kind of an API's children, as its operations address it."""

    kind: str
    #: The path's member naming one (a stage's: its name).
    member: str
    #: The API the call addresses, refused where the kind is not served there.
    within: Callable[[ApiGatewayV2, Members], ApiState] = api_of
    #: Whether a deployment captures the kind: a change to one auto-deploys.
    captured: bool = True

    def named(self, gateway: ApiGatewayV2, input: Members) -> tuple[ApiState, Record]:
        """The API the call addresses and the one of the kind it names (or
        NotFoundException)."""
        state = self.within(gateway, input)
        return state, gateway.core.child(state, self.kind, str(input[self.member]))

    async def get(self, gateway: ApiGatewayV2, call: Call, input: Members) -> Members:
        return self.named(gateway, input)[1].public()

    async def get_all(self, gateway: ApiGatewayV2, call: Call, input: Members) -> Members:
        state = self.within(gateway, input)
        return listing(list(state.of(self.kind).values()), input, Record.public)

    async def create(self, gateway: ApiGatewayV2, input: Members, made: Made) -> Members:
        """Make one of the body ``made`` answers (which may refuse), with a fresh id."""
        core = gateway.core
        async with core.lock:
            state = self.within(gateway, input)
            ident = core.new_id(state.of(self.kind))
            body = made(state, ident, given(input, "ApiId"))
            plan: list[Change] = [put(self.kind, state.api.api_id, ident, body)]
            await commit(core, state, plan, captured=self.captured)
        return public(body)

    async def update(
        self,
        gateway: ApiGatewayV2,
        input: Members,
        edited: Edited,
        also: Callable[[ApiState, Record, dict[str, Any]], list[Change]] | None = None,
    ) -> Members:
        """Replace the one the call names by the body ``edited`` answers (which may
        refuse), with the changes ``also`` makes of the old record and the new body."""
        core = gateway.core
        async with core.lock:
            state, current = self.named(gateway, input)
            body = edited(state, current, given(input, "ApiId", self.member))
            plan: list[Change] = [put(self.kind, state.api.api_id, current.id, body)]
            if also is not None:
                plan += also(state, current, body)
            await commit(core, state, plan, captured=self.captured)
        return public(body)

    async def delete(
        self,
        gateway: ApiGatewayV2,
        input: Members,
        also: Callable[[ApiState, Record], list[Change]] | None = None,
    ) -> Members:
        """Drop the one the call names, with the changes ``also`` makes of it (which
        may refuse: a child still in use)."""
        core = gateway.core
        async with core.lock:
            state, current = self.named(gateway, input)
            plan: list[Change] = [Drop(self.kind, state.api.api_id, current.id)]
            if also is not None:
                plan += also(state, current)
            await commit(core, state, plan, captured=self.captured)
        return {}
