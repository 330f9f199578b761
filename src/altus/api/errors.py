"""The framework's own errors, and how any error is rendered: from the service's model.

A service's errors carry the model's *shape name* as their ``code``. What the wire says
of one comes from that shape (``ErrorView``): its HTTP status, whether it is the sender's
fault, what its message member is called (``Message`` or ``message``), which members go
in headers, the code the query protocol reports (the shape's ``error.code``, or an
override for a service whose model lost them). Errors the model does not know (the
framework's, a service's generic ones) fall back to their class's status and fault.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from altus.api.model import Overrides
from altus.errors import AltusError, ServiceError, UserError


class UnknownOperation(UserError):
    """No operation of any service answers this request."""

    code = "UnknownOperationException"
    status = 404


class RequestTooLarge(UserError):
    code = "RequestTooLargeException"
    status = 413


class Unparsable(UserError):
    """A body the protocol cannot read at all (not JSON, not a form, not XML)."""

    code = "SerializationException"


class InternalFailure(ServiceError):
    """Anything unexpected: the traceback goes to the server's log, never the client."""

    code = "InternalFailure"

    def __init__(self) -> None:
        super().__init__("An internal error occurred.")


@dataclass(frozen=True, slots=True)
class ErrorView:
    """One error as its service's model says to render it."""

    code: str
    #: The legacy code (query protocol ``<Code>``, ``x-amzn-query-error``).
    query_code: str
    status: int
    sender: bool
    message: str
    #: Members for the body, by their wire names (message included).
    body: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)


def view(
    model: Any, overrides: Overrides, error: AltusError, default_shape: str | None = None
) -> ErrorView:
    """How ``error`` is rendered by the service of ``model``."""
    shape = _shape(model, error.code) or (_shape(model, default_shape) if default_shape else None)
    known = shape is not None and shape.name == error.code
    meta = shape.metadata.get("error", {}) if known and shape is not None else {}
    status = int(
        meta.get("httpStatusCode") or overrides.error_statuses.get(error.code) or error.status
    )
    sender = bool(meta.get("senderFault", error.fault == "User"))
    query_code = str(
        overrides.error_codes.get(error.code) or meta.get("code") or error.query_code or error.code
    )
    body: dict[str, Any] = {}
    headers: dict[str, str] = {}
    fields: Mapping[str, Any] = error.fields
    message_key = "message"
    if shape is not None:
        for name, member in shape.members.items():
            if name.lower() == "message":
                message_key = name
                continue
            if name == "Type":
                body["Type"] = "User" if sender else "Service"
                continue
            if name not in fields:
                continue
            location = member.serialization.get("location")
            if location == "header":
                headers[member.serialization.get("name", name)] = str(fields[name])
            else:
                body[name] = fields[name]
    for name, value in fields.items():
        if shape is None or name not in shape.members:
            body.setdefault(name, value)
    body[message_key] = error.message
    return ErrorView(
        code=error.code,
        query_code=query_code,
        status=status,
        sender=sender,
        message=error.message,
        body=body,
        headers=headers,
    )


def _shape(model: Any, name: str | None) -> Any:
    if not name:
        return None
    try:
        shape = model.shape_for(name)
    except Exception:  # botocore raises NoShapeFoundError
        return None
    return shape if shape.metadata.get("exception") else None
