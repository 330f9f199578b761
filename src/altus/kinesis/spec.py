"""The Kinesis Data Streams service, as the framework sees it: botocore's ``kinesis``
model (awsJson 1.1, ``X-Amz-Target: Kinesis_20131202.<Op>``), the stream and record
operations Altus serves (consumers, encryption, resource policies, channels and queues
are refused as unknown), its tables, its component, and the refusal of CBOR requests."""

from __future__ import annotations

from altus.api.spec import Schemas, ServiceSpec
from altus.api.validate import Problem, Unreadable, coral_message
from altus.errors import AltusError
from altus.kinesis import actions, api, cbor, records_api
from altus.kinesis.component import Kinesis
from altus.kinesis.errors import KinesisError, Unserializable, ValidationException
from altus.kinesis.sql_store import SCHEMA

_MIB = 1024 * 1024


class KinesisViolations:
    """Kinesis reports broken constraints as ``ValidationException`` in Coral's words,
    and a member of the wrong type as ``SerializationException``."""

    def invalid(self, problems: list[Problem]) -> AltusError:
        return ValidationException(coral_message(problems))

    def unreadable(self, error: Unreadable) -> AltusError:
        where = f"'{error.path}': " if error.path else ""
        return Unserializable(f"{where}expected {error.expected}")


SPEC = ServiceSpec(
    name="kinesis",
    operations={
        "CreateStream": api.create_stream,
        "DeleteStream": api.delete_stream,
        "DescribeStream": api.describe_stream,
        "DescribeStreamSummary": api.describe_stream_summary,
        "ListStreams": api.list_streams,
        "ListShards": api.list_shards,
        "IncreaseStreamRetentionPeriod": api.increase_stream_retention_period,
        "DecreaseStreamRetentionPeriod": api.decrease_stream_retention_period,
        "AddTagsToStream": api.add_tags_to_stream,
        "RemoveTagsFromStream": api.remove_tags_from_stream,
        "ListTagsForStream": api.list_tags_for_stream,
        "TagResource": api.tag_resource,
        "UntagResource": api.untag_resource,
        "ListTagsForResource": api.list_tags_for_resource,
        "SplitShard": api.split_shard,
        "MergeShards": api.merge_shards,
        "UpdateShardCount": api.update_shard_count,
        "UpdateStreamMode": api.update_stream_mode,
        "UpdateMaxRecordSize": api.update_max_record_size,
        "DescribeLimits": api.describe_limits,
        "EnableEnhancedMonitoring": api.enable_enhanced_monitoring,
        "DisableEnhancedMonitoring": api.disable_enhanced_monitoring,
        "PutRecord": records_api.put_record,
        "PutRecords": records_api.put_records,
        "GetShardIterator": records_api.get_shard_iterator,
        "GetRecords": records_api.get_records,
    },
    errors=KinesisError,
    violations=KinesisViolations(),
    build=Kinesis,
    schemas=(Schemas((SCHEMA,)),),
    # Records travel in base64 (4/3 of their size): room for the largest record a
    # stream may take (10 MiB) and its JSON, so that what is over Kinesis's own limits
    # (a record's size, 5 MiB per PutRecords) is refused in Kinesis's words.
    body_limits={"PutRecords": 14 * _MIB, "PutRecord": 14 * _MIB},
    routes=cbor.routes,
    actions=actions.actions,
)
