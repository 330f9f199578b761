"""The X-Ray service's errors, by the names of X-Ray's model."""

from __future__ import annotations

from altus.errors import UserError


class XRayError(UserError):
    """Root of the X-Ray service's family."""

    code = "InvalidRequestException"


class InvalidRequest(XRayError):
    code = "InvalidRequestException"
