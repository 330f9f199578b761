"""The identity layer's errors: a request's credentials refused, worded as AWS words them.

Each carries the code JSON and REST services answer with (``InvalidSignatureException``)
and the one query-protocol services use for the same failure (``SignatureDoesNotMatch``),
which is also what SQS's JSON protocol reports in ``x-amzn-query-error``. The status is
403, as Lambda and SQS answer; a service that answers otherwise (CloudWatch Logs: 400)
says so in its overrides.
"""

from __future__ import annotations

from altus.errors import UserError


class IdentityError(UserError):
    status = 403


class MissingAuthenticationToken(IdentityError):
    code = "MissingAuthenticationTokenException"
    query_code = "MissingAuthenticationToken"

    def __init__(self) -> None:
        super().__init__("Missing Authentication Token")


class IncompleteSignature(IdentityError):
    """A signature that is there but malformed (a part missing, a bad scope or date)."""

    code = "IncompleteSignatureException"
    query_code = "IncompleteSignature"


class UnrecognizedClient(IdentityError):
    """An access key Altus does not know (or no longer active)."""

    code = "UnrecognizedClientException"
    query_code = "InvalidClientTokenId"

    def __init__(
        self, message: str = "The security token included in the request is invalid."
    ) -> None:
        super().__init__(message)


class InvalidSignature(IdentityError):
    code = "InvalidSignatureException"
    query_code = "SignatureDoesNotMatch"


class SignatureExpired(InvalidSignature):
    """The request's time is outside the allowed skew, or its presigned URL expired."""


class AccessDenied(IdentityError):
    """Authenticated, and not allowed: no policy allows it, or one denies it."""

    code = "AccessDeniedException"
    query_code = "AccessDenied"


class ExpiredToken(IdentityError):
    code = "ExpiredTokenException"
    query_code = "ExpiredToken"

    def __init__(self) -> None:
        super().__init__("The security token included in the request is expired")


#: Every code this layer answers with (JSON and REST services' names).
CODES = tuple(
    sorted(
        {
            kind.code
            for kind in (
                MissingAuthenticationToken,
                IncompleteSignature,
                UnrecognizedClient,
                InvalidSignature,
                ExpiredToken,
                AccessDenied,
            )
        }
    )
)
