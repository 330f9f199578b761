"""SNS's errors, by the shapes of its model (the query protocol: each renders with its
legacy code, ``InvalidParameter`` for ``InvalidParameterException``, and the status the
model gives it).

Most refusals are ``InvalidParameter`` with a text that names the parameter
(``Invalid parameter: TopicArn``), sometimes with a reason after it; ``invalid`` words
them once. The texts are AWS's own where they were recorded from the real service.
"""

from __future__ import annotations

from altus.errors import ServiceError, UserError


class SnsError(UserError):
    """Root of the SNS service's family."""

    code = "InvalidParameterException"


class InvalidParameter(SnsError):
    code = "InvalidParameterException"


class InvalidParameterValue(SnsError):
    """A message attribute SNS cannot take (legacy code ``ParameterValueInvalid``)."""

    code = "InvalidParameterValueException"


class ValidationError(SnsError):
    """What the model itself refuses (a required member missing, a value of the wrong
    type), in Coral's words, as SNS answers them."""

    code = "ValidationError"


class NotFound(SnsError):
    code = "NotFoundException"


class ResourceNotFound(SnsError):
    code = "ResourceNotFoundException"


class AuthorizationError(SnsError):
    code = "AuthorizationErrorException"


class TagLimitExceeded(SnsError):
    code = "TagLimitExceededException"


class FilterPolicyLimitExceeded(SnsError):
    code = "FilterPolicyLimitExceededException"


class EmptyBatchRequest(SnsError):
    code = "EmptyBatchRequestException"


class TooManyEntriesInBatchRequest(SnsError):
    code = "TooManyEntriesInBatchRequestException"


class BatchEntryIdsNotDistinct(SnsError):
    code = "BatchEntryIdsNotDistinctException"


class InvalidBatchEntryId(SnsError):
    code = "InvalidBatchEntryIdException"


class BatchRequestTooLong(SnsError):
    code = "BatchRequestTooLongException"


class InternalError(ServiceError):
    """The store failed to write what the call asked: nothing of it was kept."""

    code = "InternalErrorException"


def invalid(parameter: str, reason: str | None = None) -> InvalidParameter:
    """``Invalid parameter: <parameter>`` and, where AWS gives one, `` Reason: <why>``."""
    if reason is None:
        return InvalidParameter(f"Invalid parameter: {parameter}")
    return InvalidParameter(f"Invalid parameter: {parameter} Reason: {reason}")


def topic_not_found() -> NotFound:
    return NotFound("Topic does not exist")


def subscription_not_found() -> NotFound:
    return NotFound("Subscription does not exist")
