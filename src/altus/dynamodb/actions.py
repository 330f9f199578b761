"""The IAM action and resource each DynamoDB operation needs: ``dynamodb:<Operation>``
on the table the call names (``TableName``; a table ARN where the member holds one), on
the tables of a batch or transaction (the first named: each further table is authorised
by the operation itself through ``tables``), the resource of a tagging call
(``ResourceArn``), a stream (``StreamArn``: DynamoDB Streams' operations, whose signing
name is ``dynamodb`` too); ``*`` for what names none (ListTables, ListStreams,
DescribeLimits)."""

from __future__ import annotations

from typing import Any

from altus.api.spec import Members, Needs


def _table_arn(component: Any, name: str) -> str:
    return name if name.startswith("arn:") else str(component.arn(name))


def actions(component: Any, operation: str, members: Members) -> Needs:
    action = f"dynamodb:{operation}"
    for member in ("ResourceArn", "StreamArn"):
        value = members.get(member)
        if isinstance(value, str) and value:
            return action, value
    name = members.get("TableName")
    if isinstance(name, str) and name:
        return action, _table_arn(component, name)
    for member in ("RequestItems",):
        tables = members.get(member)
        if isinstance(tables, dict) and tables:
            return action, _table_arn(component, str(next(iter(tables))))
    items = members.get("TransactItems")
    if isinstance(items, list) and items:
        first: Any = next(iter(items[0].values()), {})
        if isinstance(first, dict) and isinstance(first.get("TableName"), str):
            return action, _table_arn(component, first["TableName"])
    return action, "*"
