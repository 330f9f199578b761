"""What differs between the streams a stream poller reads (Kinesis, DynamoDB Streams):
the record shape Lambda delivers, where a record's sequence number sits in it (what a
ReportBatchItemFailures ``itemIdentifier`` names), what filters test, the batch info of
the on-failure record and how it writes times, and how much of the 6 MB event a record
takes. The poller itself (order, checkpoints, retries, bisection, windows) is one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from altus.events.invoking import iso_time
from altus.events.records import dynamodb_record, kinesis_record
from altus.sources import StreamRecord

#: Lambda's event record of a stream record: (record, shard id, stream ARN, region,
#: the function's role).
RecordShape = Callable[[StreamRecord, str, str, str, str], dict[str, Any]]


@dataclass(frozen=True, slots=True)
class StreamShape:
    record: RecordShape
    #: A delivered record's sequence number.
    sequence: Callable[[dict[str, Any]], str]
    #: The part of a record filters parse (``records.filterable``).
    filter_key: str
    #: The on-failure record's member describing the discarded batch.
    batch_info: str
    #: How that member writes a record's arrival.
    arrival: Callable[[float], str]
    #: About how many bytes of the event's JSON a record takes.
    size: Callable[[StreamRecord], int]


def _kinesis(
    record: StreamRecord, shard_id: str, arn: str, region: str, role: str
) -> dict[str, Any]:
    return kinesis_record(record, shard_id, arn, region, role)


def _dynamodb(
    record: StreamRecord, shard_id: str, arn: str, region: str, role: str
) -> dict[str, Any]:
    return dynamodb_record(record, arn)


def _whole_seconds(epoch: float) -> str:
    """``2019-11-14T00:13:19Z``: DDBStreamBatchInfo's arrivals (records carry whole
    seconds)."""
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


KINESIS = StreamShape(
    record=_kinesis,
    sequence=lambda r: str(r["kinesis"]["sequenceNumber"]),
    filter_key="data",
    batch_info="KinesisBatchInfo",
    arrival=iso_time,
    # Data goes in base64, next to about 600 bytes of metadata.
    size=lambda r: len(r.data) * 4 // 3 + 600,
)

DYNAMODB = StreamShape(
    record=_dynamodb,
    sequence=lambda r: str(r["dynamodb"]["SequenceNumber"]),
    filter_key="dynamodb",
    batch_info="DDBStreamBatchInfo",
    arrival=_whole_seconds,
    # The source's data is the record's JSON already; the stream's ARN comes on top.
    size=lambda r: len(r.data) + 600,
)

_SHAPES = {"kinesis": KINESIS, "dynamodb": DYNAMODB}


def shape_of(source: str) -> StreamShape:
    """The shape of a stream source's records, by the service part of its ARN."""
    return _SHAPES[source]
