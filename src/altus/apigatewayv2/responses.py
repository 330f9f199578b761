"""Route responses and integration responses (WebSocket APIs): the one shape both
share. Each is under a parent (a route, an integration) it names in a member of Altus's
own (``_route``, ``_integration``); its key is unique under that parent; it is found
only under the parent the call names; it goes when its parent goes (``drops``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from altus.api.spec import Call, Members
from altus.apigatewayv2.apis_api import listing
from altus.apigatewayv2.children import Kind, commit, given, websocket
from altus.apigatewayv2.errors import Conflict, not_found
from altus.apigatewayv2.model import ApiState, Change, Drop, Record, public, put

if TYPE_CHECKING:
    from altus.apigatewayv2.component import ApiGatewayV2


@dataclass(frozen=True, slots=True)
class Responses:
    kind: str
    parent: Kind
    #: Altus's own member naming the parent.
    link: str
    #: The path's member naming one (``RouteResponseId``).
    member: str
    #: The member of its key (``RouteResponseKey``).
    key: str
    #: Their name in the refusal of HTTP APIs (``Route responses``).
    plural: str
    #: The conflict's message of a key taken under the parent (``{key}`` in it).
    taken: str
    #: The key given, or BadRequest.
    checked_key: Callable[[str], str]

    def ids(self) -> tuple[str, str, str]:
        return ("ApiId", self.parent.member, self.member)

    def scope(self, gateway: ApiGatewayV2, input: Members) -> tuple[ApiState, str]:
        """The API and the parent's id the call names."""
        state = websocket(self.plural)(gateway, input)
        return state, gateway.core.child(state, self.parent.kind, str(input[self.parent.member])).id

    def under(self, state: ApiState, parent: str) -> list[Record]:
        return [r for r in state.of(self.kind).values() if r.body.get(self.link) == parent]

    def drops(self, state: ApiState, parent: str) -> list[Change]:
        """Those under ``parent``, dropped (the parent goes)."""
        return [Drop(self.kind, state.api.api_id, r.id) for r in self.under(state, parent)]

    def named(self, gateway: ApiGatewayV2, input: Members) -> tuple[ApiState, Record]:
        """The API and the one the call names, under the parent it names."""
        state, parent = self.scope(gateway, input)
        ident = str(input[self.member])
        record = gateway.core.child(state, self.kind, ident)
        if record.body.get(self.link) != parent:
            raise not_found(self.kind, gateway.account.account_id, ident)
        return state, record

    async def create(self, gateway: ApiGatewayV2, call: Call, input: Members) -> Members:
        core = gateway.core
        async with core.lock:
            state, parent = self.scope(gateway, input)
            key = self.checked_key(str(input[self.key]))
            if any(other.body[self.key] == key for other in self.under(state, parent)):
                raise Conflict(self.taken.format(key=key))
            ident = core.new_id(state.of(self.kind))
            body = {**given(input, *self.ids()), self.member: ident, self.link: parent}
            plan: list[Change] = [put(self.kind, state.api.api_id, ident, body)]
            await commit(core, state, plan, captured=True)
        return public(body)

    async def get(self, gateway: ApiGatewayV2, call: Call, input: Members) -> Members:
        return self.named(gateway, input)[1].public()

    async def get_all(self, gateway: ApiGatewayV2, call: Call, input: Members) -> Members:
        state, parent = self.scope(gateway, input)
        return listing(self.under(state, parent), input, Record.public)

    async def update(self, gateway: ApiGatewayV2, call: Call, input: Members) -> Members:
        core = gateway.core
        async with core.lock:
            state, current = self.named(gateway, input)
            members = given(input, *self.ids())
            if self.key in members:
                self.checked_key(str(members[self.key]))
            body = {**current.body, **members}
            plan: list[Change] = [put(self.kind, state.api.api_id, current.id, body)]
            await commit(core, state, plan, captured=True)
        return public(body)

    async def delete(self, gateway: ApiGatewayV2, call: Call, input: Members) -> Members:
        core = gateway.core
        async with core.lock:
            state, current = self.named(gateway, input)
            plan: list[Change] = [Drop(self.kind, state.api.api_id, current.id)]
            await commit(core, state, plan, captured=True)
        return {}
