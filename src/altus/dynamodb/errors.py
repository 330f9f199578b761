"""DynamoDB's errors, by the shapes of its models (awsJson 1.0), and DynamoDB Streams'.

Texts are DynamoDB's own where they are known (``ResourceNotFoundException``'s
"Requested resource not found", the conditional check's "The conditional request
failed"); the value layer (``values.ValueProblem``) and the expression layer
(``expressions.ExpressionProblem``) word what they refuse, and operations raise those
as ``ValidationException`` (``validation``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from altus.errors import ServiceError, UserError


class DynamoDBError(UserError):
    """Root of the DynamoDB service's family."""

    code = "ValidationException"


class ValidationException(DynamoDBError):
    code = "ValidationException"


class SerializationException(DynamoDBError):
    """A member of the wrong JSON type (awsJson's deserialisation failure)."""

    code = "SerializationException"


class ResourceNotFound(DynamoDBError):
    code = "ResourceNotFoundException"


class ResourceInUse(DynamoDBError):
    code = "ResourceInUseException"


class LimitExceeded(DynamoDBError):
    code = "LimitExceededException"


class ConditionalCheckFailed(DynamoDBError):
    """The item did not meet the write's condition; ``Item`` is the item as stored when
    ``ReturnValuesOnConditionCheckFailure`` is ``ALL_OLD``."""

    code = "ConditionalCheckFailedException"


class TransactionCanceled(DynamoDBError):
    code = "TransactionCanceledException"


class TransactionConflict(DynamoDBError):
    code = "TransactionConflictException"


class IdempotentParameterMismatch(DynamoDBError):
    code = "IdempotentParameterMismatchException"


class TableNotFound(DynamoDBError):
    """DescribeContinuousBackups' word for a table that is not there."""

    code = "TableNotFoundException"


class IndexNotFound(DynamoDBError):
    code = "IndexNotFoundException"


class InternalServerError(DynamoDBError):
    """The store failed: nothing of the call was kept."""

    code = "InternalServerError"
    status = 500
    fault = "Service"


class StreamsError(UserError):
    """Root of the DynamoDB Streams service's family."""

    code = "ValidationException"


class StreamsValidation(StreamsError):
    code = "ValidationException"


class StreamNotFound(StreamsError):
    code = "ResourceNotFoundException"


class ExpiredIterator(StreamsError):
    code = "ExpiredIteratorException"


class TrimmedDataAccess(StreamsError):
    code = "TrimmedDataAccessException"


class StreamsInternal(ServiceError):
    code = "InternalServerError"


# --- the texts shared by operations ------------------------------------------------------------

#: ResourceNotFoundException for a table (or index) that is not there, as DynamoDB says it
#: (the table's name is not in it).
NOT_FOUND = "Requested resource not found"
CONDITION_FAILED = "The conditional request failed"


def table_not_found(name: str | None = None) -> ResourceNotFound:
    """A table the call names that does not exist. DescribeTable's and DeleteTable's
    texts name it (``Requested resource not found: Table: <name> not found``); the item
    operations' do not."""
    if name is None:
        return ResourceNotFound(NOT_FOUND)
    return ResourceNotFound(f"{NOT_FOUND}: Table: {name} not found")


def condition_failed(item: Mapping[str, Any] | None = None) -> ConditionalCheckFailed:
    if item is None:
        return ConditionalCheckFailed(CONDITION_FAILED)
    return ConditionalCheckFailed(CONDITION_FAILED, Item=dict(item))


def validation(message: str) -> ValidationException:
    return ValidationException(message)


def canceled(reasons: Sequence[Mapping[str, Any]]) -> TransactionCanceled:
    """TransactionCanceledException: the reason of each write, in order (``None``
    where the write itself was fine), codes listed in the message as DynamoDB does."""
    codes = ", ".join(str(reason.get("Code", "None")) for reason in reasons)
    return TransactionCanceled(
        f"Transaction cancelled, please refer cancellation reasons for specific reasons [{codes}]",
        CancellationReasons=[dict(reason) for reason in reasons],
    )
