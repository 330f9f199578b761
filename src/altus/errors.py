"""The root of Altus's error families.

Each layer roots its own family here (``control.errors``, ``engine.errors``,
``sandbox.errors`` ...). An error that can reach a client carries the AWS error code and
HTTP status it is reported with, so the API edge renders any of them the same way and
never needs to know which layer raised it.
"""

from __future__ import annotations

from typing import Any, ClassVar


class AltusError(Exception):
    """Something Altus refuses or fails to do, with the AWS shape it is reported in."""

    code: ClassVar[str] = "ServiceException"
    #: The code the query protocol reports it by, where that differs and no model says
    #: (the identity layer's ``SignatureDoesNotMatch`` for ``InvalidSignatureException``).
    query_code: ClassVar[str | None] = None
    status: ClassVar[int] = 500
    #: "User" for a caller's fault, "Service" for ours (AWS's ``Type`` field).
    fault: ClassVar[str] = "Service"

    def __init__(self, message: str, **fields: Any) -> None:
        super().__init__(message)
        self.message = message
        #: Members of the error's shape besides its message (``Reason`` on a throttle;
        #: those the model puts in headers, such as ``retryAfterSeconds``, go there).
        self.fields = fields


class UserError(AltusError):
    """The caller's request is at fault: a 4xx."""

    fault = "User"
    status = 400


class ServiceError(AltusError):
    """Altus failed: a 5xx (``ServiceException``)."""
