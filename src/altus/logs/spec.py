"""The Logs service, as the framework sees it: botocore's ``logs`` model (awsJson 1.1),
the operations Altus serves, its tables (a database of their own), its component."""

from __future__ import annotations

from altus.api.model import Overrides
from altus.api.spec import Schemas, ServiceSpec
from altus.api.validate import Problem, Unreadable, coral_message
from altus.errors import AltusError
from altus.identity.errors import CODES as IDENTITY_CODES
from altus.logs import actions, api
from altus.logs.component import Logs
from altus.logs.errors import InvalidParameter, LogsError, Unserializable
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
        "DeleteLogGroup": api.delete_log_group,
    },
    errors=LogsError,
    violations=LogsViolations(),
    build=Logs,
    schemas=(Schemas((SCHEMA,), database="logs", durable=False),),
    # CloudWatch Logs refuses credentials with 400, not the 403 Lambda and SQS use.
    overrides=Overrides(error_statuses=dict.fromkeys(IDENTITY_CODES, 400)),
    actions=actions.actions,
)
