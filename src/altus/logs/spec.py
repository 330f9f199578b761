"""The Logs service, as the framework sees it: botocore's ``logs`` model (awsJson 1.1),
the operations Altus serves, its tables (the events in a database of their own, the
groups' settings in the main one), its component."""

from __future__ import annotations

from altus.api.model import Overrides
from altus.api.spec import Schemas, ServiceSpec
from altus.api.validate import Problem, Unreadable, coral_message
from altus.errors import AltusError
from altus.identity.errors import CODES as IDENTITY_CODES
from altus.logs import actions, api, groups_api, insights_api, streams_api
from altus.logs.component import Logs
from altus.logs.errors import InvalidParameter, LogsError, Unserializable
from altus.logs.sql_group_store import SCHEMA as GROUPS_SCHEMA
from altus.logs.sql_store import SCHEMA


class LogsViolations:
    """CloudWatch Logs reports broken constraints as ``InvalidParameterException`` (in
    Coral's words) and a member of the wrong type as ``SerializationException``."""

    def invalid(self, problems: list[Problem]) -> AltusError:
        return InvalidParameter(coral_message(problems))

    def unreadable(self, error: Unreadable) -> AltusError:
        where = f"'{error.path}': " if error.path else ""
        return Unserializable(f"{where}expected {error.expected}")


SPEC = ServiceSpec(
    name="logs",
    operations={
        "DescribeLogGroups": api.describe_log_groups,
        "DescribeLogStreams": api.describe_log_streams,
        "GetLogEvents": api.get_log_events,
        "FilterLogEvents": api.filter_log_events,
        "CreateLogGroup": groups_api.create_log_group,
        "DeleteLogGroup": groups_api.delete_log_group,
        "PutRetentionPolicy": groups_api.put_retention_policy,
        "DeleteRetentionPolicy": groups_api.delete_retention_policy,
        "AssociateKmsKey": groups_api.associate_kms_key,
        "DisassociateKmsKey": groups_api.disassociate_kms_key,
        "TagResource": groups_api.tag_resource,
        "UntagResource": groups_api.untag_resource,
        "ListTagsForResource": groups_api.list_tags_for_resource,
        "TagLogGroup": groups_api.tag_log_group,
        "UntagLogGroup": groups_api.untag_log_group,
        "ListTagsLogGroup": groups_api.list_tags_log_group,
        "CreateLogStream": streams_api.create_log_stream,
        "DeleteLogStream": streams_api.delete_log_stream,
        "PutLogEvents": streams_api.put_log_events,
        "StartQuery": insights_api.start_query,
        "GetQueryResults": insights_api.get_query_results,
        "StopQuery": insights_api.stop_query,
        "DescribeQueries": insights_api.describe_queries,
    },
    errors=LogsError,
    violations=LogsViolations(),
    build=Logs,
    # The events may lose their last moments in a power cut; the groups' settings
    # (CreateLogGroup's, retention, tags) are configuration, kept with the rest of it.
    schemas=(
        Schemas((SCHEMA,), database="logs", durable=False),
        Schemas((GROUPS_SCHEMA,)),
    ),
    overrides=Overrides(
        # CloudWatch Logs refuses credentials with 400, not the 403 Lambda and SQS use.
        error_statuses=dict.fromkeys(IDENTITY_CODES, 400),
        # The tagging operations take a group's ``...:*`` ARN past the model's pattern
        # and refuse it themselves (ValidationException ``Invalid resourceArn``).
        patterns={"AmazonResourceName": r"[\w+=/:,.@*-]*"},
    ),
    actions=actions.actions,
)
