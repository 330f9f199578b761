"""The IAM action and resource each Kinesis operation needs: ``kinesis:<Operation>`` on
the stream the call names (``arn:aws:kinesis:<region>:<account>:stream/<name>``), by
``StreamARN``, ``ResourceARN`` or ``StreamName``, for GetRecords by the stream its shard
iterator reads; ``*`` for what names no stream (ListStreams, DescribeLimits, the
operations Altus does not serve that name none)."""

from __future__ import annotations

from altus.api.spec import Members
from altus.kinesis import iterators
from altus.kinesis.component import Kinesis


def actions(kinesis: Kinesis, operation: str, members: Members) -> tuple[str, str]:
    action = f"kinesis:{operation}"
    for member in ("StreamARN", "ResourceARN"):
        arn = members.get(member)
        if isinstance(arn, str) and arn.startswith("arn:"):
            return action, arn
    name = members.get("StreamName")
    if isinstance(name, str) and name:
        return action, kinesis.arn(name)
    shard_iterator = members.get("ShardIterator")
    if operation == "GetRecords" and isinstance(shard_iterator, str):
        iterator = iterators.decode(shard_iterator)
        if iterator is not None:
            return action, kinesis.arn(iterator.stream)
    return action, "*"
