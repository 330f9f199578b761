"""Kinesis's errors, by the shapes of its model (awsJson 1.1: ``__type`` and ``message``;
the model gives none a status, so each is a 400 as Kinesis answers them, but an
internal failure).

Most texts are Kinesis's own, with the stream and the account in them; ``not_found``
and the shard lookups word them once for every operation.
"""

from __future__ import annotations

from altus.errors import UserError


class KinesisError(UserError):
    """Root of the Kinesis service's family."""

    code = "InvalidArgumentException"


class ValidationException(KinesisError):
    code = "ValidationException"


class Unserializable(KinesisError):
    """A member of the wrong JSON type (awsJson's deserialisation failure)."""

    code = "SerializationException"


class InvalidArgument(KinesisError):
    code = "InvalidArgumentException"


class ResourceNotFound(KinesisError):
    code = "ResourceNotFoundException"


class ResourceInUse(KinesisError):
    code = "ResourceInUseException"


class LimitExceeded(KinesisError):
    code = "LimitExceededException"


class ExpiredIterator(KinesisError):
    code = "ExpiredIteratorException"


class ExpiredNextToken(KinesisError):
    code = "ExpiredNextTokenException"


class DryRun(KinesisError):
    code = "DryRunOperationException"


class InternalFailure(KinesisError):
    """The store failed to write what the call asked: nothing of it was kept."""

    code = "InternalFailureException"
    status = 500
    fault = "Service"


def stream_not_found(name: str, account: str) -> ResourceNotFound:
    return ResourceNotFound(f"Stream {name} under account {account} not found.")


def shard_missing(shard_id: str, name: str, account: str) -> ResourceNotFound:
    """A shard GetShardIterator or GetRecords cannot find (by a well-formed id)."""
    return ResourceNotFound(
        f"Shard {shard_id} in stream {name} under account {account} does not exist"
    )


def shard_unknown(shard_id: str, name: str, account: str) -> ResourceNotFound:
    """A shard named by an id no shard can have, or one resharding cannot find."""
    return ResourceNotFound(
        f"Could not find shard {shard_id} in stream {name} under account {account}."
    )
