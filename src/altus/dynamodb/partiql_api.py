"""PartiQL for DynamoDB: ExecuteStatement, BatchExecuteStatement and ExecuteTransaction.
A statement is parsed (``partiql``), planned against its table (``partiql_plans``) and
run as the item operations run: a write is one store write (``DynamoDB.write``), a
SELECT a Query or a Scan (``partiql_reads``).

**ExecuteStatement** answers ``Items``: a SELECT's page, a write's ``RETURNING`` item
(none without RETURNING, and none when the MODIFIED projection leaves nothing: the
conformance suite). An INSERT of a key that is there is DuplicateItemException; a
failed condition ConditionalCheckFailedException, with the item under
``ReturnValuesOnConditionCheckFailure`` ALL_OLD.

**BatchExecuteStatement** runs up to 25 statements (the model's bound), all reads or
all writes ("Read and write requests together in the same batch is not supported.":
DynamoDB Local's text), each on its own: a statement that fails answers an ``Error``
(``Code`` and ``Message``) in its place and the others run. A read must name its
table's whole key by equality; it answers its ``Item`` (absent when there is none). A
member that reached its table names it in ``TableName``, one refused before does not;
``ReturnValuesOnConditionCheckFailure`` gives a failed member no item (the conformance
suite records all three). The writes are one store write each, in order.

**ExecuteTransaction** runs up to 100 statements all or nothing: reads (each by its
table's whole key, at one moment, as TransactGetItems) or writes (one store write, as
TransactWriteItems, with ``EXISTS`` as a condition check). A statement refused while
the transaction is checked is "Validation failed in TransactStatements[<i>]: <text>"
(RETURNING, an index read: the conformance suite); a key the WHERE does not name
cancels the transaction with a ValidationError reason (DynamoDB Local's behaviour). A
failed condition cancels it as TransactWriteItems does; an INSERT of a key that is
there cancels it with reason ``ValidationError`` "Duplicate primary key exists in
table" (DynamoDB Local's mapping; DynamoDB's is not verified).

**Idempotency**: a write transaction's ``ClientRequestToken`` is claimed in its store
write, as TransactWriteItems' is (``transaction_tokens``: kept ten minutes, across a
restart; a cancelled transaction keeps none). The request compared is
``TransactStatements`` (statements, parameters, ReturnValuesOnConditionCheckFailure);
the same token with other statements is IdempotentParameterMismatchException. A repeat
writes nothing and answers as the first call did (``{}``) with, where
ReturnConsumedCapacity asks, the read capacity of reading the items its statements name
as they are now, doubled as a transaction's read (the conformance suite's record: 2
units for one small item). A read-only transaction's token is neither kept nor checked:
its reads run at every call, as TransactGetItems' do, which takes no token (botocore
sends a token with every ExecuteTransaction; what DynamoDB does with one on reads is not
documented, and not verified).

**Capacity** is the item operations': reads by 4 KB (half when eventually consistent),
writes by 1 KB with their indexes; transactions double both and show the read/write
split. A batch reports one entry per table.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from altus.api.spec import Call, Members, Needs, Operation
from altus.dynamodb import rows, writing
from altus.dynamodb.component import DynamoDB
from altus.dynamodb.errors import (
    DynamoDBError,
    ResourceNotFound,
    ValidationException,
    canceled,
)
from altus.dynamodb.expressions import evaluate, project_paths
from altus.dynamodb.item_writes import cancellation, failed, write_cost
from altus.dynamodb.model import Check, Index, ItemWrite, Table, Written
from altus.dynamodb.partiql import Delete, Exists, Insert, Modify, Select, Statement, parse
from altus.dynamodb.partiql_plans import (
    INCOMPLETE_KEY,
    Get,
    Write,
    plan_get,
    plan_read,
    plan_write,
    shape,
)
from altus.dynamodb.partiql_reads import (
    NO_LIMIT,
    decode_token,
    encode_token,
    read_page,
    statement_digest,
)
from altus.dynamodb.requests import capacity, read_units
from altus.dynamodb.store import ConditionsFailed, TokenClaim, TokenRepeated
from altus.dynamodb.transaction_tokens import claim, fingerprint, mismatch
from altus.dynamodb.transactions_api import SAME_ITEM, TRANSACTION_FACTOR
from altus.dynamodb.values import Item, item_size

DUPLICATE = "Duplicate primary key exists in table"
TRANSACTION_INDEX = "Reads on indices are not supported within transactions."
TRANSACTION_RETURNING = "RETURNING clause is not supported in ExecuteTransaction."
#: DynamoDB Local's texts; DynamoDB's are not verified.
EXISTS_OUTSIDE = "EXISTS can only be used in ExecuteTransaction write requests."
BATCH_MIXED = "Read and write requests together in the same batch is not supported."
TRANSACTION_MIXED = (
    "ExecuteTransaction API does not support both read and write operations in the same request."
)
TRANSACTION_SELECT_KEY = (
    "Select statements within ExecuteTransaction must specify the primary key in the where clause."
)
#: The conformance suite records only that it contains "must specify the primary key in
#: the where clause". (text not verified)
BATCH_SELECT_KEY = (
    "Select statements within BatchExecuteStatement must specify the primary key in the "
    "where clause."
)
#: The codes a batch member's Error has, by the error's code.
_BATCH_CODES = {
    "ValidationException": "ValidationError",
    "ConditionalCheckFailedException": "ConditionalCheckFailed",
    "DuplicateItemException": "DuplicateItem",
    "ResourceNotFoundException": "ResourceNotFound",
    "TransactionConflictException": "TransactionConflict",
    "InternalServerError": "InternalServerError",
}
#: The errors that cancel a transaction at the statement rather than refuse it whole.
_CANCELLING = (
    INCOMPLETE_KEY,
    "Multiple conditions on same key",
    "Key attribute should be present in the item",
    "Key attribute's data type should match",
)


class DuplicateItem(DynamoDBError):
    """An INSERT of a key an item already has."""

    code = "DuplicateItemException"


# --- what the operations share ----------------------------------------------------------


def _returned(write: Write, written: Written) -> list[dict[str, Any]]:
    """What a write's RETURNING clause returns (empty without one)."""
    if write.returning is None:
        return []
    which, image = write.returning.split()
    item = written.old if image == "OLD" else written.new
    if item is None:
        return []
    shown = dict(item) if which == "ALL" else project_paths(item, write.plan.targets)
    return [shown] if shown else []


@dataclass
class _Costs:
    """Units consumed, per table in the order tables first appear."""

    tables: dict[str, Table] = field(default_factory=dict)
    units: dict[str, float] = field(default_factory=dict)
    indexes: dict[str, dict[Index, float]] = field(default_factory=dict)

    def add(self, table: Table, units: float, indexes: Mapping[Index, float] | None = None) -> None:
        self.tables.setdefault(table.id, table)
        self.units[table.id] = self.units.get(table.id, 0.0) + units
        charged = self.indexes.setdefault(table.id, {})
        for index, value in (indexes or {}).items():
            charged[index] = charged.get(index, 0.0) + value

    def shown(self, input: Members, *, read: bool, split: bool = False) -> list[dict[str, Any]]:
        entries = [
            capacity(
                input, table, self.units[id_], read=read, indexes=self.indexes[id_], split=split
            )
            for id_, table in self.tables.items()
        ]
        return [entry for entry in entries if entry is not None]


def _answer_capacity(output: Members, input: Members, costs: _Costs, *, read: bool) -> Members:
    if input.get("ReturnConsumedCapacity") in ("TOTAL", "INDEXES"):
        output["ConsumedCapacity"] = costs.shown(input, read=read)
    return output


# --- ExecuteStatement -------------------------------------------------------------------


async def execute_statement(dynamodb: DynamoDB, call: Call, input: Members) -> Members:
    statement = parse(input["Statement"], input.get("Parameters"))
    if isinstance(statement, Exists):
        raise ValidationException(EXISTS_OUTSIDE)
    if isinstance(statement, Select):
        return await _select(dynamodb, input, statement)
    old_on_failure = input.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD"
    write = plan_write(dynamodb, statement, old_on_failure=old_on_failure)
    try:
        (written,) = await dynamodb.write([write.plan.write])
    except ConditionsFailed as failure:
        if write.kind == "INSERT":
            raise DuplicateItem(DUPLICATE) from None
        raise failed(write.plan, failure.failed.get(0)) from None
    output: Members = {"Items": _returned(write, written)}
    table_units, index_units = write_cost(write.table, written)
    shown = capacity(input, write.table, table_units, read=False, indexes=index_units)
    if shown is not None:
        output["ConsumedCapacity"] = shown
    return output


async def _select(dynamodb: DynamoDB, input: Members, statement: Select) -> Members:
    read = plan_read(dynamodb, statement, consistent=bool(input.get("ConsistentRead")))
    digest = statement_digest(input["Statement"], input.get("Parameters"), read)
    token = input.get("NextToken")
    resume = decode_token(token, digest, read) if token is not None else None
    page = await read_page(dynamodb, read, int(input.get("Limit") or NO_LIMIT), resume)
    output: Members = {"Items": page.items}
    if page.next is not None:
        output["NextToken"] = encode_token(digest, page.next)
        output["LastEvaluatedKey"] = dict(page.next.key)
    units = read_units(page.size, read.consistent)
    if read.index is None:
        shown = capacity(input, read.table, units, read=True)
    else:
        shown = capacity(input, read.table, 0.0, read=True, indexes={read.index: units})
    if shown is not None:
        output["ConsumedCapacity"] = shown
    return output


# --- BatchExecuteStatement --------------------------------------------------------------


def _error(error: DynamoDBError, table: Table | None = None) -> dict[str, Any]:
    response: dict[str, Any] = {
        "Error": {"Code": _BATCH_CODES.get(error.code, "ValidationError"), "Message": error.message}
    }
    if table is not None:
        response["TableName"] = table.name
    return response


async def batch_execute_statement(dynamodb: DynamoDB, call: Call, input: Members) -> Members:
    members = input["Statements"]
    parsed: list[Statement | DynamoDBError] = []
    for member in members:
        try:
            statement = parse(member["Statement"], member.get("Parameters"))
            if isinstance(statement, Exists):
                raise ValidationException(EXISTS_OUTSIDE)
            parsed.append(statement)
        except DynamoDBError as error:
            parsed.append(error)
    kinds = {isinstance(s, Select) for s in parsed if not isinstance(s, DynamoDBError)}
    if len(kinds) > 1:
        raise ValidationException(BATCH_MIXED)
    costs = _Costs()
    if kinds == {True}:
        responses = await _batch_reads(dynamodb, members, parsed, costs)
    else:
        responses = await _batch_writes(dynamodb, parsed, costs)
    return _answer_capacity({"Responses": responses}, input, costs, read=kinds == {True})


async def _batch_reads(
    dynamodb: DynamoDB,
    members: Sequence[Mapping[str, Any]],
    parsed: Sequence[Statement | DynamoDBError],
    costs: _Costs,
) -> list[dict[str, Any]]:
    responses: list[dict[str, Any]] = [{} for _ in parsed]
    gets: dict[str, list[tuple[int, Get, bool]]] = {}
    for at, statement in enumerate(parsed):
        if isinstance(statement, DynamoDBError):
            responses[at] = _error(statement)
            continue
        assert isinstance(statement, Select)
        try:
            get = plan_get(dynamodb, statement, missing=BATCH_SELECT_KEY, on_index=BATCH_SELECT_KEY)
        except DynamoDBError as error:
            responses[at] = _error(error)
            continue
        consistent = bool(members[at].get("ConsistentRead"))
        gets.setdefault(get.table.id, []).append((at, get, consistent))
    for planned in gets.values():
        # One read per table (the store reads consistently; ConsistentRead sets the price).
        table = planned[0][1].table
        found = await dynamodb.get(table, [get.key for _, get, _ in planned])
        for (at, get, consistent), item in zip(planned, found, strict=True):
            costs.add(table, read_units(item_size(item or {}), consistent))
            responses[at] = {"TableName": table.name}
            if item is not None and (get.filter is None or evaluate(get.filter, item)):
                responses[at]["Item"] = shape(item, get.projection)
    return responses


async def _batch_writes(
    dynamodb: DynamoDB, parsed: Sequence[Statement | DynamoDBError], costs: _Costs
) -> list[dict[str, Any]]:
    responses: list[dict[str, Any]] = []
    for statement in parsed:
        if isinstance(statement, DynamoDBError):
            responses.append(_error(statement))
            continue
        try:
            write = plan_write(dynamodb, statement, old_on_failure=False)
        except DynamoDBError as error:
            responses.append(_error(error))
            continue
        responses.append(await _batch_write(dynamodb, write, costs))
    return responses


async def _batch_write(dynamodb: DynamoDB, write: Write, costs: _Costs) -> dict[str, Any]:
    try:
        (written,) = await dynamodb.write([write.plan.write])
    except ConditionsFailed:
        # A failed member carries no item, whatever ReturnValuesOnConditionCheckFailure
        # says (the conformance suite).
        refused = DuplicateItem(DUPLICATE) if write.kind == "INSERT" else failed(write.plan, None)
        return _error(refused, write.table)
    except ValidationException as error:
        return _error(error, write.table)
    table_units, index_units = write_cost(write.table, written)
    costs.add(write.table, table_units, index_units)
    answered: dict[str, Any] = {"TableName": write.table.name}
    returned = _returned(write, written)
    if returned:
        answered["Item"] = returned[0]
    return answered


# --- ExecuteTransaction -----------------------------------------------------------------


def _prefixed(at: int, message: str) -> ValidationException:
    return ValidationException(f"Validation failed in TransactStatements[{at}]: {message}")


def _parsed_transaction(statements: Sequence[Mapping[str, Any]]) -> list[Statement]:
    """Every statement parsed, reads and writes not mixed (EXISTS is a write's)."""
    parsed: list[Statement] = []
    for at, member in enumerate(statements):
        try:
            statement = parse(member["Statement"], member.get("Parameters"))
        except ValidationException as error:
            raise _prefixed(at, error.message) from None
        if parsed and isinstance(statement, Select) != isinstance(parsed[0], Select):
            raise ValidationException(TRANSACTION_MIXED)
        parsed.append(statement)
    return parsed


def _cancel_at(at: int, count: int, message: str) -> DynamoDBError:
    reasons: list[dict[str, Any]] = [{"Code": "None"}] * count
    reasons[at] = {"Code": "ValidationError", "Message": message}
    return canceled(reasons)


def _planned(
    dynamodb: DynamoDB, statements: Sequence[Mapping[str, Any]], parsed: Sequence[Statement]
) -> list[Get] | list[Write]:
    gets: list[Get] = []
    writes: list[Write] = []
    for at, statement in enumerate(parsed):
        returning = statement.returning if isinstance(statement, (Modify, Delete)) else None
        if returning is not None:
            raise _prefixed(at, TRANSACTION_RETURNING)
        try:
            if isinstance(statement, Select):
                get = plan_get(
                    dynamodb, statement, missing=TRANSACTION_SELECT_KEY, on_index=TRANSACTION_INDEX
                )
                gets.append(get)
            else:
                old_on_failure = (
                    statements[at].get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD"
                )
                writes.append(plan_write(dynamodb, statement, old_on_failure=old_on_failure))
        except ResourceNotFound:
            raise
        except ValidationException as error:
            if error.message.startswith(_CANCELLING):
                raise _cancel_at(at, len(parsed), error.message) from None
            raise _prefixed(at, error.message) from None
    keys = [(get.table, get.key) for get in gets] + [(w.table, w.plan.write.key) for w in writes]
    seen: set[tuple[str, rows.Address]] = set()
    for table, key in keys:
        address = (table.id, rows.primary(table, key))
        if address in seen:
            raise ValidationException(SAME_ITEM)
        seen.add(address)
    return gets if gets else writes


async def execute_transaction(dynamodb: DynamoDB, call: Call, input: Members) -> Members:
    statements = input["TransactStatements"]
    planned = _planned(dynamodb, statements, _parsed_transaction(statements))
    if planned and isinstance(planned[0], Get):
        return await _transact_reads(
            dynamodb, input, [get for get in planned if isinstance(get, Get)]
        )
    writes = [write for write in planned if isinstance(write, Write)]
    given = input.get("ClientRequestToken")
    token = None
    if given is not None:
        token = claim(given, fingerprint(statements), dynamodb.now())
    try:
        written = await _apply(dynamodb, writes, token)
    except TokenRepeated as repeat:
        if not repeat.same:
            raise mismatch() from None
        return await _repeat(dynamodb, input, writes)
    return _written_answer(input, writes, written)


async def _transact_reads(dynamodb: DynamoDB, input: Members, gets: Sequence[Get]) -> Members:
    # The items of every table read at one moment: a store transaction that writes nothing.
    found = await dynamodb.write([ItemWrite(get.table, get.key, Check()) for get in gets])
    responses: list[dict[str, Any]] = []
    costs = _Costs()
    for get, change in zip(gets, found, strict=True):
        item = change.old
        costs.add(get.table, read_units(item_size(item or {}), True) * TRANSACTION_FACTOR)
        if item is not None and (get.filter is None or evaluate(get.filter, item)):
            responses.append({"Item": shape(item, get.projection)})
        else:
            responses.append({})
    output: Members = {"Responses": responses}
    if input.get("ReturnConsumedCapacity") in ("TOTAL", "INDEXES"):
        output["ConsumedCapacity"] = costs.shown(input, read=True, split=True)
    return output


def _written_answer(input: Members, writes: Sequence[Write], written: Sequence[Written]) -> Members:
    """A write transaction's answer: nothing but, where asked, the write capacity it
    consumed (doubled, as a transaction's)."""
    output: Members = {}
    if input.get("ReturnConsumedCapacity") in ("TOTAL", "INDEXES"):
        costs = _Costs()
        for write, change in zip(writes, written, strict=True):
            table_units, charged = write_cost(write.table, change)
            doubled = {index: units * TRANSACTION_FACTOR for index, units in charged.items()}
            costs.add(write.table, table_units * TRANSACTION_FACTOR, doubled)
        output["ConsumedCapacity"] = costs.shown(input, read=False, split=True)
    return output


async def _apply(
    dynamodb: DynamoDB, writes: Sequence[Write], token: TokenClaim | None = None
) -> list[Written]:
    """Write all or nothing, ``token`` kept with the writes (``TokenRepeated``
    propagates: nothing was written)."""
    none = {"Code": "None"}
    try:
        return await dynamodb.write([write.plan.write for write in writes], token)
    except ConditionsFailed as failure:
        reasons = [
            _reason(write, failure.failed[at]) if at in failure.failed else none
            for at, write in enumerate(writes)
        ]
        raise canceled(reasons) from None
    except ValidationException as problem:
        culprit = await _failing(dynamodb, [write.plan.write for write in writes])
        if culprit is None:
            raise
        raise _cancel_at(culprit, len(writes), problem.message) from None


def _reason(write: Write, stored: Item | None) -> dict[str, Any]:
    if write.kind == "INSERT":
        return {"Code": "ValidationError", "Message": DUPLICATE}
    return cancellation(write.plan, stored)


async def _failing(dynamodb: DynamoDB, writes: Sequence[ItemWrite]) -> int | None:
    """Which of ``writes`` cannot be applied to its item as it is now (read in one
    transaction that writes nothing): the store reports only the problem's text."""
    stored = await dynamodb.write([ItemWrite(w.table, w.key, Check()) for w in writes])
    for at, (write, found) in enumerate(zip(writes, stored, strict=True)):
        try:
            writing.after(write, found.old)
        except ValidationException:
            return at
    return None


async def _repeat(dynamodb: DynamoDB, input: Members, writes: Sequence[Write]) -> Members:
    """A repeat's answer: the first call's (``{}``), with the read capacity of reading
    the items its statements name as they are now (what the first call left, unless
    written since; read at one moment), as a transaction's read."""
    output: Members = {}
    if input.get("ReturnConsumedCapacity") in ("TOTAL", "INDEXES"):
        keys = [ItemWrite(write.table, write.plan.write.key, Check()) for write in writes]
        stored = await dynamodb.write(keys)
        costs = _Costs()
        for write, found in zip(writes, stored, strict=True):
            units = read_units(item_size(found.old or {}), True) * TRANSACTION_FACTOR
            costs.add(write.table, units)
        output["ConsumedCapacity"] = costs.shown(input, read=True, split=True)
    return output


# --- what each statement needs of IAM -----------------------------------------------------

_PERMISSIONS = {Select: "PartiQLSelect", Insert: "PartiQLInsert", Modify: "PartiQLUpdate"}


def needs(component: Any, operation: str, members: Members) -> list[Needs]:
    """The IAM action and resource each statement of a call needs (the Developer Guide,
    "IAM security policies with PartiQL for DynamoDB"): ``dynamodb:PartiQLSelect``,
    ``PartiQLInsert``, ``PartiQLUpdate`` or ``PartiQLDelete`` on its table, or on its
    index (``table/<t>/index/<i>``) for a SELECT of one; an EXISTS check needs
    PartiQLSelect (not verified). A statement that does not parse needs nothing: it is
    refused before it touches a table."""
    if operation == "ExecuteStatement":
        members_list: Sequence[Mapping[str, Any]] = [members]
    else:
        members_list = members.get("Statements") or members.get("TransactStatements") or []
    found: list[Needs] = []
    for member in members_list:
        try:
            statement = parse(member["Statement"], member.get("Parameters"))
        except DynamoDBError:
            continue
        if isinstance(statement, Exists):
            statement = statement.select
        action = _PERMISSIONS.get(type(statement), "PartiQLDelete")
        resource = str(component.arn(statement.source.table))
        if isinstance(statement, Select) and statement.source.index is not None:
            resource = f"{resource}/index/{statement.source.index}"
        need = (f"dynamodb:{action}", resource)
        if need not in found:
            found.append(need)
    return found


OPERATIONS: dict[str, Operation] = {
    "ExecuteStatement": execute_statement,
    "BatchExecuteStatement": batch_execute_statement,
    "ExecuteTransaction": execute_transaction,
}
