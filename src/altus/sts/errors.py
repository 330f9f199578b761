"""STS's errors, by the codes of its model and the query protocol."""

from __future__ import annotations

from altus.errors import UserError


class StsError(UserError):
    """Root of the STS service's family."""

    code = "ValidationError"


class ValidationError(StsError):
    code = "ValidationError"


class InvalidAction(StsError):
    code = "InvalidAction"


class AccessDenied(StsError):
    code = "AccessDenied"
    status = 403


class MalformedPolicyDocument(StsError):
    code = "MalformedPolicyDocumentException"


class PackedPolicyTooLarge(StsError):
    code = "PackedPolicyTooLargeException"
