"""The records of API Gateway V2, as frozen data, and the changes a plan is made of.

Every resource (an API and, under it, its routes, integrations, authorizers, stages,
deployments, models, route responses and integration responses) is one ``Record``: its
kind, its API, its id and its ``body``, the members its Get operation answers with, as
the model names them (dates as epoch seconds), JSON-ready. Members of Altus's own start
with ``_`` and are never answered (a deployment's snapshot, a stage's cache
generation). A plan is a list of changes; the store writes it, then memory follows the
same plan (``ApiState.apply``), so the two never differ.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

API = "api"
ROUTE = "route"
INTEGRATION = "integration"
AUTHORIZER = "authorizer"
STAGE = "stage"
DEPLOYMENT = "deployment"
MODEL = "model"
ROUTE_RESPONSE = "routeresponse"
INTEGRATION_RESPONSE = "integrationresponse"

#: The kinds under an API, in the order a listing of everything is written.
CHILDREN = (
    INTEGRATION,
    AUTHORIZER,
    MODEL,
    ROUTE,
    ROUTE_RESPONSE,
    INTEGRATION_RESPONSE,
    DEPLOYMENT,
    STAGE,
)


@dataclass(frozen=True, slots=True)
class Record:
    kind: str
    api_id: str
    #: The API's own id for an API; a stage's name; else the resource's id.
    id: str
    body: Mapping[str, Any]

    def public(self) -> dict[str, Any]:
        return public(self.body)


@dataclass(frozen=True, slots=True)
class Put:
    """Write ``record`` (replacing the one of the same kind, API and id)."""

    record: Record


@dataclass(frozen=True, slots=True)
class Drop:
    kind: str
    api_id: str
    id: str


@dataclass(frozen=True, slots=True)
class DropApi:
    """The API and everything under it."""

    api_id: str


Change = Put | Drop | DropApi


@dataclass(frozen=True, slots=True)
class Snapshot:
    records: list[Record] = field(default_factory=list)


@dataclass(slots=True)
class ApiState:
    """One API and what is under it, in memory: by kind, by id."""

    api: Record
    children: dict[str, dict[str, Record]] = field(default_factory=dict)

    def of(self, kind: str) -> dict[str, Record]:
        return self.children.setdefault(kind, {})

    def after(self, changes: Sequence[Change]) -> ApiState:
        """A new state: this one with ``changes`` applied. Only the kinds they touch
        are copied (the others are shared, never edited), so planning a change does not
        copy every deployment an API has."""
        touched = {c.record.kind if isinstance(c, Put) else getattr(c, "kind", "") for c in changes}
        children = {k: dict(v) if k in touched else v for k, v in self.children.items()}
        out = ApiState(self.api, children)
        out.apply(changes)
        return out

    def apply(self, changes: Iterable[Change]) -> None:
        """Follow ``changes`` about this API (others' are skipped)."""
        for change in changes:
            match change:
                case Put(record) if record.api_id == self.api.api_id:
                    if record.kind == API:
                        self.api = record
                    else:
                        self.of(record.kind)[record.id] = record
                case Drop(kind, api_id, ident) if api_id == self.api.api_id:
                    self.of(kind).pop(ident, None)
                case _:
                    pass


def public(body: Mapping[str, Any]) -> dict[str, Any]:
    """The members an operation answers with (none of Altus's own)."""
    return {k: v for k, v in body.items() if not k.startswith("_")}


def put(kind: str, api_id: str, ident: str, body: Mapping[str, Any]) -> Put:
    return Put(Record(kind, api_id, ident, dict(body)))
