"""botocore's service models, as the service framework reads them, and the overrides a
service declares where Altus departs from its model.

botocore ships the model every AWS SDK call is checked and serialised by; the server
reads the same data, so both ends agree on operation names, wire locations, shapes and
constraints. Where Altus goes beyond a model (a destination that is a webhook URL, a
standard function's narrower limits, the query-era wire names and error codes SQS's
JSON model no longer carries), the difference is declared once, in the service's
``Overrides``, and everything that reads the model reads it through them.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import botocore.loaders
import botocore.model


@functools.cache
def _loader() -> Any:
    return botocore.loaders.create_loader()


@functools.cache
def service_model(service: str) -> Any:
    """botocore's ``ServiceModel`` of ``service`` (e.g. ``lambda``, ``sqs``, ``logs``): its
    latest API version with its SDK extras, as a botocore session loads it, without the
    session (making one registers the client's event handlers: time ``altus up`` would
    spend before it answers, for nothing a server uses)."""
    data = _loader().load_service_model(service, "service-2")
    return botocore.model.ServiceModel(data, service_name=service)


@dataclass(frozen=True)
class Overrides:
    """A service's departures from its model, each keyed by shape name (or, for wire
    names, ``Shape.Member``)."""

    #: Constraints replacing the model's (``{"Timeout": {"max": 900}}``).
    limits: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    #: A regular expression accepted besides the model's pattern.
    patterns: Mapping[str, str] = field(default_factory=dict)
    #: Error shape -> the legacy error code the query protocol (and the awsJson
    #: ``x-amzn-query-error`` header of a query-compatible service) reports it by.
    error_codes: Mapping[str, str] = field(default_factory=dict)
    #: Error shape -> HTTP status, for errors whose model says none.
    error_statuses: Mapping[str, int] = field(default_factory=dict)
    #: ``Shape.Member`` (or a list or map shape's name) -> its query-era wire name.
    wire_names: Mapping[str, str] = field(default_factory=dict)
    #: Map shape -> (key name, value name) on the query wire.
    map_names: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    #: The XML namespace of query and rest-xml responses, for a model that lost its own
    #: (or, S3's, never had one in its metadata).
    xml_namespace: str | None = None
    #: Output shape -> the root element of its XML document, where the service names it
    #: otherwise than the model does (S3's ``ListBucketResult`` for ListObjectsV2Output).
    xml_roots: Mapping[str, str] = field(default_factory=dict)
    #: Shapes whose enum the service checks itself, with a wider set or its own words
    #: (SQS reads message system attribute names among queue attribute names).
    open_enums: frozenset[str] = frozenset()

    def limit(self, shape: Any) -> Mapping[str, Any]:
        """The shape's metadata with this service's narrowed limits applied."""
        narrowed = self.limits.get(shape.name)
        return {**shape.metadata, **narrowed} if narrowed else shape.metadata

    def wire_name(self, owner: Any, member: str, shape: Any) -> str:
        """What ``owner.member`` is called on the query wire (the model's
        ``locationName``, else an override, else the member's own name)."""
        name = shape.serialization.get("name")
        if name and name != member:
            return str(name)
        return self.wire_names.get(f"{owner.name}.{member}") or self.wire_names.get(
            shape.name, member
        )


NO_OVERRIDES = Overrides()
