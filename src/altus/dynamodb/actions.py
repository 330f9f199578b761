"""The IAM actions and resources each DynamoDB operation needs (the Service Authorization
Reference's "Actions defined by Amazon DynamoDB", the Developer Guide's "Using IAM with
DynamoDB transactions" and "IAM security policies with PartiQL for DynamoDB"):

- ``dynamodb:<Operation>`` on the table the call names (``TableName``: a name, or the
  table's ARN, authorised as given), the resource of a tagging call (``ResourceArn``),
  a stream (``StreamArn``: DynamoDB Streams' operations, whose signing name is
  ``dynamodb`` too);
- a batch: ``dynamodb:BatchGetItem`` / ``dynamodb:BatchWriteItem`` on each table of
  ``RequestItems``;
- a transaction: each action as the operation it stands for, on its table
  (TransactWriteItems' Put ``dynamodb:PutItem``, Update ``dynamodb:UpdateItem``, Delete
  ``dynamodb:DeleteItem``, ConditionCheck ``dynamodb:ConditionCheckItem``;
  TransactGetItems' Get ``dynamodb:GetItem``): there is no ``dynamodb:TransactWriteItems``
  action;
- PartiQL (ExecuteStatement, and each statement of BatchExecuteStatement and
  ExecuteTransaction): ``dynamodb:PartiQLSelect`` / ``PartiQLInsert`` / ``PartiQLUpdate``
  / ``PartiQLDelete`` by the statement's verb, on the table it names, or on the index a
  SELECT reads (``"table"."index"``: "on the table or index"). ``EXISTS(SELECT ...)``, a
  transaction's condition check, is a read: ``PartiQLSelect`` (not verified);
- GetRecords: on the stream its shard iterator names (read unverified here: an iterator
  whose signature does not hold is refused by GetRecords itself);
- ``*`` for what names none (ListTables, ListStreams, DescribeLimits).

A call on several tables needs every one of its needs (each authorised in turn,
``BoundService._authorize``); they are listed once each, in the request's order, and
one alone is given as such.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from altus.api.spec import Members, Needs
from altus.dynamodb.partiql_syntax import LexError, tokenize
from altus.dynamodb.streams_api import ShardIterator

#: A transaction's action kinds, and the IAM action each stands for.
WRITE_ACTIONS = {
    "Put": "dynamodb:PutItem",
    "Update": "dynamodb:UpdateItem",
    "Delete": "dynamodb:DeleteItem",
    "ConditionCheck": "dynamodb:ConditionCheckItem",
}
GET_ACTIONS = {"Get": "dynamodb:GetItem"}
#: A PartiQL statement's first word, and the IAM action it needs.
PARTIQL_ACTIONS = {
    "SELECT": "dynamodb:PartiQLSelect",
    "EXISTS": "dynamodb:PartiQLSelect",
    "INSERT": "dynamodb:PartiQLInsert",
    "UPDATE": "dynamodb:PartiQLUpdate",
    # ``FROM t WHERE ... SET ...``: UPDATE's other form.
    "FROM": "dynamodb:PartiQLUpdate",
    "DELETE": "dynamodb:PartiQLDelete",
}
_NAMES = ("NAME", "QUOTED")


def _table_arn(component: Any, name: str) -> str:
    return name if name.startswith("arn:") else str(component.arn(name))


def actions(component: Any, operation: str, members: Members) -> Needs | list[Needs]:
    action = f"dynamodb:{operation}"
    for member in ("ResourceArn", "StreamArn"):
        value = members.get(member)
        if isinstance(value, str) and value:
            return action, value
    name = members.get("TableName")
    if isinstance(name, str) and name:
        return action, _table_arn(component, name)
    needs: list[Needs] = []
    tables = members.get("RequestItems")
    if isinstance(tables, Mapping):
        needs = [(action, _table_arn(component, str(table))) for table in tables]
    elif operation == "TransactWriteItems":
        needs = _transaction(component, members.get("TransactItems"), WRITE_ACTIONS)
    elif operation == "TransactGetItems":
        needs = _transaction(component, members.get("TransactItems"), GET_ACTIONS)
    elif operation == "ExecuteStatement":
        needs = [_statement(component, members.get("Statement"))]
    elif operation in ("BatchExecuteStatement", "ExecuteTransaction"):
        member = "Statements" if operation == "BatchExecuteStatement" else "TransactStatements"
        given = members.get(member)
        if isinstance(given, list):
            needs = [
                _statement(component, entry.get("Statement"))
                for entry in given
                if isinstance(entry, Mapping)
            ]
    elif operation == "GetRecords":
        text = members.get("ShardIterator")
        iterator = ShardIterator.decode(text) if isinstance(text, str) else None
        if iterator is not None:
            return action, iterator.stream_arn
    found = _once(needs)
    if not found:
        return action, "*"
    return found[0] if len(found) == 1 else found


def _transaction(component: Any, items: Any, kinds: Mapping[str, str]) -> list[Needs]:
    """Each action of a transaction as the operation it stands for, on its table."""
    needs: list[Needs] = []
    for item in items if isinstance(items, list) else ():
        if not isinstance(item, Mapping):
            continue
        for kind, action in kinds.items():
            body = item.get(kind)
            if isinstance(body, Mapping) and isinstance(body.get("TableName"), str):
                needs.append((action, _table_arn(component, body["TableName"])))
    return needs


def _statement(component: Any, text: Any) -> Needs:
    """What a PartiQL statement needs: its verb's action on the table (or index) it names.
    Read with the statement parser's own lexer, so the names are those the statement
    runs on; one it cannot read names ``*`` (and is refused as malformed by the
    operation, if it is allowed at all)."""
    if not isinstance(text, str):
        return PARTIQL_ACTIONS["SELECT"], "*"
    try:
        tokens = tokenize(text)
    except LexError:
        return PARTIQL_ACTIONS["SELECT"], "*"
    verb = tokens[0].type if tokens else "SELECT"
    action = PARTIQL_ACTIONS.get(verb, PARTIQL_ACTIONS["SELECT"])
    # The source follows the first FROM (SELECT, EXISTS(SELECT ...), DELETE, UPDATE's
    # FROM form), INTO (INSERT) or UPDATE.
    after = "INTO" if verb == "INSERT" else "UPDATE" if verb == "UPDATE" else "FROM"
    at = next((i for i, token in enumerate(tokens) if token.type == after), None)
    if at is None or at + 1 >= len(tokens) or tokens[at + 1].type not in _NAMES:
        return action, "*"
    table = _name(str(tokens[at + 1]), tokens[at + 1].type)
    resource = _table_arn(component, table)
    rest = tokens[at + 2 : at + 4]
    if (
        action == PARTIQL_ACTIONS["SELECT"]
        and len(rest) == 2
        and rest[0].type == "DOT"
        and rest[1].type in _NAMES
    ):
        resource += f"/index/{_name(str(rest[1]), rest[1].type)}"
    return action, resource


def _name(text: str, kind: str) -> str:
    return text[1:-1].replace('""', '"') if kind == "QUOTED" else text


def _once(needs: Iterable[Needs]) -> list[Needs]:
    seen: set[tuple[str, str]] = set()
    out: list[Needs] = []
    for need in needs:
        if (need[0], need[1]) not in seen:
            seen.add((need[0], need[1]))
            out.append(need)
    return out
