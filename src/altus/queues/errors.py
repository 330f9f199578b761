"""Errors of the queue layer, each with the two names SQS reports it by.

SQS moved from the query protocol to awsJson 1.0 and kept both names of every error:
``code`` is the JSON ``__type`` (the model's shape name, which boto3 maps to
``client.exceptions.<Name>``) and ``query_code`` is the legacy code, sent in the
``x-amzn-query-error: <query_code>;Sender`` header and as ``<Code>`` in the query
protocol's XML (``AWS.SimpleQueueService.NonExistentQueue`` for ``QueueDoesNotExist``).
"""

from __future__ import annotations

from typing import ClassVar

from altus.errors import ServiceError, UserError


class QueueError(UserError):
    """Root of the queue layer's family: the caller's fault, HTTP 400 (as SQS answers)."""

    code = "InvalidParameterValue"
    query_code: ClassVar[str] = "InvalidParameterValue"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        # How the awsJson protocol carries the legacy code (botocore reads it from here).
        self.headers["x-amzn-query-error"] = f"{self.query_code};Sender"


class InvalidParameterValue(QueueError):
    pass


class MissingParameter(QueueError):
    code = query_code = "MissingParameter"


class InvalidAction(QueueError):
    code = query_code = "InvalidAction"


class UnsupportedOperation(QueueError):
    code = "UnsupportedOperation"
    query_code = "AWS.SimpleQueueService.UnsupportedOperation"


class QueueDoesNotExist(QueueError):
    code = "QueueDoesNotExist"
    query_code = "AWS.SimpleQueueService.NonExistentQueue"

    def __init__(self, message: str = "The specified queue does not exist.") -> None:
        super().__init__(message)


class QueueNameExists(QueueError):
    code = "QueueNameExists"
    query_code = "QueueAlreadyExists"


class QueueDeletedRecently(QueueError):
    code = "QueueDeletedRecently"
    query_code = "AWS.SimpleQueueService.QueueDeletedRecently"


class InvalidAttributeName(QueueError):
    code = query_code = "InvalidAttributeName"


class InvalidAttributeValue(QueueError):
    code = query_code = "InvalidAttributeValue"


class InvalidMessageContents(QueueError):
    code = query_code = "InvalidMessageContents"


class ReceiptHandleIsInvalid(QueueError):
    code = query_code = "ReceiptHandleIsInvalid"


class MessageNotInflight(QueueError):
    code = "MessageNotInflight"
    query_code = "AWS.SimpleQueueService.MessageNotInflight"


class PurgeQueueInProgress(QueueError):
    code = "PurgeQueueInProgress"
    query_code = "AWS.SimpleQueueService.PurgeQueueInProgress"


class OverLimit(QueueError):
    code = query_code = "OverLimit"


class BatchEntryIdsNotDistinct(QueueError):
    code = "BatchEntryIdsNotDistinct"
    query_code = "AWS.SimpleQueueService.BatchEntryIdsNotDistinct"


class EmptyBatchRequest(QueueError):
    code = "EmptyBatchRequest"
    query_code = "AWS.SimpleQueueService.EmptyBatchRequest"


class TooManyEntriesInBatchRequest(QueueError):
    code = "TooManyEntriesInBatchRequest"
    query_code = "AWS.SimpleQueueService.TooManyEntriesInBatchRequest"


class InvalidBatchEntryId(QueueError):
    code = "InvalidBatchEntryId"
    query_code = "AWS.SimpleQueueService.InvalidBatchEntryId"


class BatchRequestTooLong(QueueError):
    code = "BatchRequestTooLong"
    query_code = "AWS.SimpleQueueService.BatchRequestTooLong"


class QueueStoreFailure(ServiceError):
    """The queue store could not apply a change; nothing was acknowledged."""

    code = query_code = "InternalFailure"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.headers["x-amzn-query-error"] = f"{self.query_code};Receiver"


def query_code_of(error: Exception) -> str:
    """The legacy (query protocol) code of any error rendered by the queue API."""
    code = getattr(error, "query_code", None) or getattr(error, "code", "InternalFailure")
    return str(code)
