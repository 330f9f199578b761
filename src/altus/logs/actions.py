"""The IAM action and resource each CloudWatch Logs operation needs: ``logs:<Operation>``
on the resource CloudWatch Logs authorizes it against.

- An operation on a log stream (PutLogEvents, GetLogEvents, CreateLogStream,
  DeleteLogStream): the stream's ARN,
  ``arn:aws:logs:<region>:<account>:log-group:<group>:log-stream:<stream>``.
- An operation on a group named by ``logGroupName`` / ``logGroupIdentifier``: the same
  with an empty stream name (``...:log-group:<group>:log-stream:``), which is what
  CloudWatch Logs names in its AccessDenied messages for CreateLogGroup,
  DescribeLogStreams and the like. So the policies written for Lambda,
  ``...:log-group:/aws/lambda/<fn>:*``, grant them, as they do on AWS.
- The tagging operations by ARN: the ``resourceArn`` given (the group's ARN). A
  CreateLogGroup with tags also needs ``logs:TagResource`` on the group's ARN.
- StartQuery: ``logs:StartQuery`` on each group queried (as a group operation above).
  GetQueryResults, StopQuery and DescribeQueries (which act on queries, not groups):
  ``*``, as the service authorization reference lists them.
- Anything else (DescribeLogGroups): ``*``.
"""

from __future__ import annotations

from altus.api.spec import Members, Needs
from altus.logs.api import group_named
from altus.logs.component import Logs
from altus.logs.errors import LogsError
from altus.logs.insights_api import query_groups

_STREAM_OPERATIONS = frozenset(
    {"PutLogEvents", "GetLogEvents", "CreateLogStream", "DeleteLogStream"}
)
_TAG_OPERATIONS = frozenset({"TagResource", "UntagResource", "ListTagsForResource"})
_QUERY_OPERATIONS = frozenset({"GetQueryResults", "StopQuery", "DescribeQueries"})


def actions(logs: Logs, operation: str, members: Members) -> Needs | list[Needs]:
    action = f"logs:{operation}"
    if operation in _TAG_OPERATIONS:
        arn = members.get("resourceArn")
        return action, str(arn) if isinstance(arn, str) and arn.startswith("arn:") else "*"
    if operation in _QUERY_OPERATIONS:
        return action, "*"
    if operation == "StartQuery":
        try:
            groups = query_groups(members)
        except LogsError:
            return action, "*"  # refused by the operation itself, once allowed to try
        return [(action, _group_resource(logs, g)) for g in dict.fromkeys(groups)]
    group = group_named(members)
    if not group:
        return action, "*"
    stream = members.get("logStreamName") if operation in _STREAM_OPERATIONS else None
    resource = logs.account.arn("logs", f"log-group:{group}:log-stream:{stream or ''}")
    if operation == "CreateLogGroup" and members.get("tags"):
        group_arn = logs.account.arn("logs", f"log-group:{group}")
        return [(action, resource), ("logs:TagResource", group_arn)]
    return action, resource


def _group_resource(logs: Logs, group: str) -> str:
    return logs.account.arn("logs", f"log-group:{group}:log-stream:")
