"""What the API Gateway store keeps, as frozen changes: documents by kind and id (a
REST API whole, with its resources, methods, deployments, stages, authorizers, models,
validators and gateway responses; an API key; a usage plan with its keys; the
account's settings) and the daily request counts of keys in usage plans.

A REST API is one document: a change to any part of it rewrites it whole, in one
transaction, so a crash keeps the API either as it was or as the call left it (never a
method without its resource). A deployment's snapshot (what it serves) is its own
document (kind ``snapshot``, id ``<api id>/<deployment id>``): it never changes once
made, so editing the API never rewrites (or copies) the snapshots of its deployments.
The documents hold AWS's members by the model's names (dates as epoch seconds), what a
Get answers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

#: Document kinds.
API = "api"
KEY = "key"
PLAN = "plan"
ACCOUNT = "account"
SNAPSHOT = "snapshot"

Doc = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Put:
    """Write ``doc`` as the ``kind`` document ``id`` (replacing it)."""

    kind: str
    id: str
    doc: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Drop:
    """Delete the ``kind`` document ``id`` (and, for a plan or key, its counts)."""

    kind: str
    id: str


@dataclass(frozen=True, slots=True)
class Count:
    """Set the requests ``key_id`` made under ``plan_id`` on ``day`` (``YYYY-MM-DD``)."""

    plan_id: str
    key_id: str
    day: str
    used: int


@dataclass(frozen=True, slots=True)
class Forget:
    """Delete every count of a day before ``before`` (``YYYY-MM-DD``)."""

    before: str


Change = Put | Drop | Count | Forget


def snapshot_id(api_id: str, deployment_id: str) -> str:
    """The id of a deployment's snapshot document."""
    return f"{api_id}/{deployment_id}"


@dataclass(slots=True)
class Snapshot:
    """Everything stored: documents by kind then id, counts by (plan, key, day)."""

    docs: dict[str, dict[str, Doc]] = field(default_factory=dict)
    counts: dict[tuple[str, str, str], int] = field(default_factory=dict)
