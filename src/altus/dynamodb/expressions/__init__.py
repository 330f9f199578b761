"""DynamoDB's expression language: ConditionExpression and FilterExpression,
KeyConditionExpression, UpdateExpression and ProjectionExpression, with their
ExpressionAttributeNames and ExpressionAttributeValues. Pure code, no I/O.

Modules: ``grammar`` (the lark grammar, one for all kinds), ``syntax`` (parsing, and
DynamoDB's syntax errors), ``structure`` and ``checks`` (DynamoDB's checks, in its
order), ``build`` (the parse tree to ``ast``, placeholders resolved), ``parse`` (the
entry points, :class:`Usage`, the request-wide checks), ``evaluate`` (conditions
against items), ``update`` (updates applied), ``project`` (projections applied),
``key_condition`` (a Query's plan), ``paths``, ``reserved`` and ``errors``
(:class:`ExpressionProblem` and DynamoDB's texts).
"""

from altus.dynamodb.expressions.ast import Condition, Path, Projection, Update, paths_of
from altus.dynamodb.expressions.errors import ExpressionProblem
from altus.dynamodb.expressions.evaluate import evaluate, resolve
from altus.dynamodb.expressions.key_condition import KeyPlan, RangeCondition, plan_key_condition
from altus.dynamodb.expressions.parse import (
    Usage,
    check_placeholders,
    check_unused,
    parse_condition,
    parse_key_condition,
    parse_projection,
    parse_update,
)
from altus.dynamodb.expressions.project import project, project_paths
from altus.dynamodb.expressions.update import apply_update

__all__ = [
    "Condition",
    "ExpressionProblem",
    "KeyPlan",
    "Path",
    "Projection",
    "RangeCondition",
    "Update",
    "Usage",
    "apply_update",
    "check_placeholders",
    "check_unused",
    "evaluate",
    "parse_condition",
    "parse_key_condition",
    "parse_projection",
    "parse_update",
    "paths_of",
    "plan_key_condition",
    "project",
    "project_paths",
    "resolve",
]
