"""The CloudWatch metrics service, as the framework sees it: botocore's ``cloudwatch``
model (Smithy RPC v2 CBOR, which boto3 speaks; awsJson 1.0 and the query protocol,
which older SDKs and the AWS CLI may), the metric operations Altus serves (alarms,
dashboards, insight rules and the rest are refused as unknown), its rollups in a
database of their own, and its component: the platform's metric sink."""

from __future__ import annotations

from altus.api.spec import Schemas, ServiceSpec
from altus.api.validate import Problem, Unreadable, coral_message
from altus.cloudwatch import actions, api
from altus.cloudwatch.component import Metrics
from altus.cloudwatch.errors import CloudWatchError, InvalidParameterValue, Validation
from altus.cloudwatch.sql_store import SCHEMA
from altus.errors import AltusError


class CloudWatchViolations:
    """CloudWatch reports broken constraints as ``ValidationError`` in Coral's words,
    and a member of the wrong type as an invalid parameter value."""

    def invalid(self, problems: list[Problem]) -> AltusError:
        return Validation(coral_message(problems))

    def unreadable(self, error: Unreadable) -> AltusError:
        where = query_path(error.path) if error.path else error.member
        return InvalidParameterValue(
            f"The value for parameter {where} is invalid: expected {error.expected}."
        )


def query_path(path: str) -> str:
    """A member's path as CloudWatch words it, whatever the protocol
    (``MetricData.member.1.Timestamp``), from the validator's
    (``metricData.1.member.timestamp``)."""
    parts = path.split(".")
    out: list[str] = []
    index = 0
    while index < len(parts):
        part = parts[index]
        if part.isdigit() and parts[index + 1 : index + 2] == ["member"]:
            out += ["member", part]
            index += 2
            continue
        out.append(part[:1].upper() + part[1:])
        index += 1
    return ".".join(out)


#: PutMetricData's largest body, as AWS documents it ("limited to 1 MB in size for HTTP
#: POST requests"); a gzipped one, once inflated.
PUT_LIMIT = 1024 * 1024


SPEC = ServiceSpec(
    name="cloudwatch",
    operations={
        "PutMetricData": api.put_metric_data,
        "GetMetricStatistics": api.get_metric_statistics,
        "GetMetricData": api.get_metric_data,
        "ListMetrics": api.list_metrics,
    },
    errors=CloudWatchError,
    violations=CloudWatchViolations(),
    build=Metrics,
    body_limits={"PutMetricData": PUT_LIMIT},
    # The rollups may lose their last moments in a power cut (as Logs' events may).
    schemas=(Schemas((SCHEMA,), database="metrics", durable=False),),
    actions=actions.actions,
)
