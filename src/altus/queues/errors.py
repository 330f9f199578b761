"""Errors of the queue layer, by the shape names of SQS's model.

SQS moved from the query protocol to awsJson 1.0 and kept both names of every error:
the JSON ``__type`` is the model's shape name (which boto3 maps to
``client.exceptions.<Name>``), and the legacy code (``AWS.SimpleQueueService.
NonExistentQueue`` for ``QueueDoesNotExist``) travels in the ``x-amzn-query-error``
header and is the query protocol's ``<Code>``. The current model no longer carries the
legacy codes; ``LEGACY_CODES`` does (from the query-era model), and the service's spec
hands them to the framework, which renders every error.
"""

from __future__ import annotations

from altus.errors import ServiceError, UserError

#: Shape name -> the legacy (query protocol) code, where the two differ.
LEGACY_CODES = {
    "QueueDoesNotExist": "AWS.SimpleQueueService.NonExistentQueue",
    "QueueNameExists": "QueueAlreadyExists",
    "QueueDeletedRecently": "AWS.SimpleQueueService.QueueDeletedRecently",
    "PurgeQueueInProgress": "AWS.SimpleQueueService.PurgeQueueInProgress",
    "MessageNotInflight": "AWS.SimpleQueueService.MessageNotInflight",
    "TooManyEntriesInBatchRequest": "AWS.SimpleQueueService.TooManyEntriesInBatchRequest",
    "EmptyBatchRequest": "AWS.SimpleQueueService.EmptyBatchRequest",
    "BatchEntryIdsNotDistinct": "AWS.SimpleQueueService.BatchEntryIdsNotDistinct",
    "BatchRequestTooLong": "AWS.SimpleQueueService.BatchRequestTooLong",
    "InvalidBatchEntryId": "AWS.SimpleQueueService.InvalidBatchEntryId",
    "UnsupportedOperation": "AWS.SimpleQueueService.UnsupportedOperation",
}
#: Shape name -> HTTP status, where the query-era model said other than 400.
STATUSES = {"PurgeQueueInProgress": 403}


def legacy_code(error: UserError | ServiceError) -> str:
    """The code a batch result entry and the query protocol report an error by."""
    return LEGACY_CODES.get(error.code, error.code)


class QueueError(UserError):
    """Root of the queue layer's family: the caller's fault, HTTP 400 (as SQS answers)."""

    code = "InvalidParameterValue"


class InvalidParameterValue(QueueError):
    pass


class MissingParameter(QueueError):
    code = "MissingParameter"


class InvalidAction(QueueError):
    code = "InvalidAction"


class UnsupportedOperation(QueueError):
    code = "UnsupportedOperation"


class QueueDoesNotExist(QueueError):
    code = "QueueDoesNotExist"

    def __init__(self, message: str = "The specified queue does not exist.") -> None:
        super().__init__(message)


class QueueNameExists(QueueError):
    code = "QueueNameExists"


class QueueDeletedRecently(QueueError):
    code = "QueueDeletedRecently"


class InvalidAttributeName(QueueError):
    code = "InvalidAttributeName"


class InvalidAttributeValue(QueueError):
    code = "InvalidAttributeValue"


class InvalidMessageContents(QueueError):
    code = "InvalidMessageContents"


class ReceiptHandleIsInvalid(QueueError):
    code = "ReceiptHandleIsInvalid"


class MessageNotInflight(QueueError):
    code = "MessageNotInflight"


class PurgeQueueInProgress(QueueError):
    code = "PurgeQueueInProgress"


class BatchEntryIdsNotDistinct(QueueError):
    code = "BatchEntryIdsNotDistinct"


class EmptyBatchRequest(QueueError):
    code = "EmptyBatchRequest"


class TooManyEntriesInBatchRequest(QueueError):
    code = "TooManyEntriesInBatchRequest"


class InvalidBatchEntryId(QueueError):
    code = "InvalidBatchEntryId"


class BatchRequestTooLong(QueueError):
    code = "BatchRequestTooLong"


class QueueStoreFailure(ServiceError):
    """The queue store could not apply a change; nothing was acknowledged."""

    code = "InternalFailure"
