"""Which stream and which shard a call names.

Every operation that takes ``StreamName`` also takes ``StreamARN``: either, or both if
they agree. An ARN of another region or account names no stream here.
"""

from __future__ import annotations

from altus.api.spec import Members
from altus.kinesis import keys
from altus.kinesis.component import Kinesis
from altus.kinesis.errors import (
    InvalidArgument,
    ValidationException,
    shard_unknown,
    stream_not_found,
)


def missing(path: str) -> ValidationException:
    """A member the operation needs that the model no longer requires, in Coral's words."""
    return ValidationException(
        f"1 validation error detected: Value null at '{path}' failed to satisfy "
        "constraint: Member must not be null"
    )


def named(kinesis: Kinesis, input: Members, arn_member: str = "StreamARN") -> str:
    """The stream's name, from ``StreamName`` and/or the ARN member."""
    name: str | None = input.get("StreamName")
    arn: str | None = input.get(arn_member)
    if arn is None:
        if name is None:
            raise missing("streamName")
        return name
    parsed = kinesis.name_of_arn(arn)
    if parsed is None:
        raise InvalidArgument(f"{arn_member} {arn} is not the ARN of a stream.")
    arn_name, account = parsed
    if not kinesis.is_local(arn):
        raise stream_not_found(arn_name, account)
    if name is not None and name != arn_name:
        raise InvalidArgument(
            f"StreamName {name} and {arn_member} {arn} do not name the same stream."
        )
    return arn_name


def shard_number(kinesis: Kinesis, text: str, stream: str) -> int:
    """The shard a shard id names, read as Kinesis reads ids (``keys.shard_number``);
    an id no shard can have is refused as Kinesis refuses it."""
    number = keys.shard_number(text)
    if number is None:
        raise shard_unknown(text, stream, kinesis.account_id)
    return number
