"""``StepFunctionsStore`` in SQL, in the main database (the ``stepfunctions`` schema).

A row per record, its document as JSON beside the columns queries filter or order on
(an execution's machine, version, alias, map run, status and start; a token's activity,
status and age). The journal is a row per record: ``seq`` orders a journal, ``key`` is
unique per execution, ``event_id`` (NULL for Altus's own records) is unique per
execution too, so two writers can never give two events one id.

Compare-and-set writes are conditional UPDATEs whose row count says whether they
happened: the same on SQLite (one writer) and PostgreSQL (row locks), with no ``FOR
UPDATE``.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Sequence
from typing import Any

from altus.asl.host import (
    PREVIOUS_IN_APPEND,
    MapRunCounts,
    MapRunSettings,
    NewRecord,
    Record,
    resolve_previous,
)
from altus.stepfunctions import codec
from altus.stepfunctions.model import (
    ANSWERABLE,
    OPEN,
    STARTED,
    TOKEN_CLOSED,
    Activity,
    Alias,
    Change,
    DropActivity,
    DropAlias,
    DropMachine,
    DropVersion,
    Execution,
    ExecutionFilter,
    MapRun,
    PutActivity,
    PutAlias,
    PutMachine,
    PutVersion,
    Revision,
    Snapshot,
    StateMachine,
    TaskToken,
    Version,
)
from altus.store.database import Database, DatabaseError, Migration, Schema, Transaction

SCHEMA = Schema(
    "stepfunctions",
    (
        Migration(
            """
        CREATE TABLE sfn_machines (arn TEXT PRIMARY KEY, body TEXT NOT NULL);
        CREATE TABLE sfn_revisions (
            machine_arn TEXT NOT NULL,
            rkey TEXT NOT NULL,
            body TEXT NOT NULL,
            PRIMARY KEY (machine_arn, rkey)
        );
        CREATE TABLE sfn_versions (
            arn TEXT PRIMARY KEY, machine_arn TEXT NOT NULL, body TEXT NOT NULL
        );
        CREATE TABLE sfn_aliases (
            arn TEXT PRIMARY KEY, machine_arn TEXT NOT NULL, body TEXT NOT NULL
        );
        CREATE TABLE sfn_activities (arn TEXT PRIMARY KEY, body TEXT NOT NULL);
        CREATE TABLE sfn_executions (
            arn TEXT PRIMARY KEY,
            machine_arn TEXT NOT NULL,
            version_arn TEXT,
            alias_arn TEXT,
            map_run_arn TEXT,
            status TEXT NOT NULL,
            start REAL NOT NULL,
            redrive_count INTEGER NOT NULL,
            body TEXT NOT NULL
        );
        CREATE INDEX sfn_executions_machine ON sfn_executions (machine_arn, start);
        CREATE TABLE sfn_journal (
            execution_arn TEXT NOT NULL,
            seq INTEGER NOT NULL,
            jkey TEXT NOT NULL,
            event_id INTEGER,
            previous_id INTEGER NOT NULL,
            ts REAL NOT NULL,
            type TEXT NOT NULL,
            details TEXT NOT NULL,
            PRIMARY KEY (execution_arn, seq),
            UNIQUE (execution_arn, jkey),
            UNIQUE (execution_arn, event_id)
        );
        CREATE TABLE sfn_tokens (
            token TEXT PRIMARY KEY,
            execution_arn TEXT NOT NULL,
            activity_arn TEXT,
            status TEXT NOT NULL,
            created REAL NOT NULL,
            body TEXT NOT NULL
        );
        CREATE INDEX sfn_tokens_activity ON sfn_tokens (activity_arn, status, created)
        """,
            postgresql="""
        CREATE TABLE sfn_machines (arn TEXT COLLATE "C" PRIMARY KEY, body TEXT NOT NULL);
        CREATE TABLE sfn_revisions (
            machine_arn TEXT COLLATE "C" NOT NULL,
            rkey TEXT COLLATE "C" NOT NULL,
            body TEXT NOT NULL,
            PRIMARY KEY (machine_arn, rkey)
        );
        CREATE TABLE sfn_versions (
            arn TEXT COLLATE "C" PRIMARY KEY, machine_arn TEXT NOT NULL, body TEXT NOT NULL
        );
        CREATE TABLE sfn_aliases (
            arn TEXT COLLATE "C" PRIMARY KEY, machine_arn TEXT NOT NULL, body TEXT NOT NULL
        );
        CREATE TABLE sfn_activities (arn TEXT COLLATE "C" PRIMARY KEY, body TEXT NOT NULL);
        CREATE TABLE sfn_executions (
            arn TEXT COLLATE "C" PRIMARY KEY,
            machine_arn TEXT NOT NULL,
            version_arn TEXT,
            alias_arn TEXT,
            map_run_arn TEXT,
            status TEXT NOT NULL,
            start DOUBLE PRECISION NOT NULL,
            redrive_count INTEGER NOT NULL,
            body TEXT NOT NULL
        );
        CREATE INDEX sfn_executions_machine ON sfn_executions (machine_arn, start);
        CREATE TABLE sfn_journal (
            execution_arn TEXT NOT NULL,
            seq BIGINT NOT NULL,
            jkey TEXT NOT NULL,
            event_id BIGINT,
            previous_id BIGINT NOT NULL,
            ts DOUBLE PRECISION NOT NULL,
            type TEXT NOT NULL,
            details TEXT NOT NULL,
            PRIMARY KEY (execution_arn, seq),
            UNIQUE (execution_arn, jkey),
            UNIQUE (execution_arn, event_id)
        );
        CREATE TABLE sfn_tokens (
            token TEXT PRIMARY KEY,
            execution_arn TEXT NOT NULL,
            activity_arn TEXT,
            status TEXT NOT NULL,
            created DOUBLE PRECISION NOT NULL,
            body TEXT NOT NULL
        );
        CREATE INDEX sfn_tokens_activity ON sfn_tokens (activity_arn, status, created)
        """,
        ),
        # Map Runs (DescribeMapRun, ListMapRuns by execution, UpdateMapRun).
        Migration(
            """
        CREATE TABLE sfn_map_runs (
            arn TEXT PRIMARY KEY,
            execution_arn TEXT NOT NULL,
            status TEXT NOT NULL,
            start REAL NOT NULL,
            body TEXT NOT NULL
        );
        CREATE INDEX sfn_map_runs_execution ON sfn_map_runs (execution_arn, start)
        """,
            postgresql="""
        CREATE TABLE sfn_map_runs (
            arn TEXT COLLATE "C" PRIMARY KEY,
            execution_arn TEXT NOT NULL,
            status TEXT NOT NULL,
            start DOUBLE PRECISION NOT NULL,
            body TEXT NOT NULL
        );
        CREATE INDEX sfn_map_runs_execution ON sfn_map_runs (execution_arn, start)
        """,
        ),
        # A Map Run's child executions (ListExecutions by mapRunArn).
        Migration("CREATE INDEX sfn_executions_map_run ON sfn_executions (map_run_arn, start)"),
    ),
)


def _put_revision(tx: Transaction, revision: Revision) -> None:
    tx.execute(
        "INSERT INTO sfn_revisions (machine_arn, rkey, body) VALUES (?, ?, ?) "
        "ON CONFLICT (machine_arn, rkey) DO UPDATE SET body = excluded.body",
        (revision.machine_arn, revision.key, codec.compact(codec.revision_doc(revision))),
    )


def _apply_one(tx: Transaction, change: Change) -> None:
    match change:
        case PutMachine(machine):
            tx.execute(
                "INSERT INTO sfn_machines (arn, body) VALUES (?, ?) "
                "ON CONFLICT (arn) DO UPDATE SET body = excluded.body",
                (machine.arn, codec.machine_body(machine)),
            )
            _put_revision(tx, machine.revision)
        case DropMachine(arn):
            for table in ("sfn_versions", "sfn_aliases", "sfn_revisions"):
                tx.execute(f"DELETE FROM {table} WHERE machine_arn = ?", (arn,))
            tx.execute("DELETE FROM sfn_machines WHERE arn = ?", (arn,))
        case PutVersion(version):
            tx.execute(
                "INSERT INTO sfn_versions (arn, machine_arn, body) VALUES (?, ?, ?) "
                "ON CONFLICT (arn) DO UPDATE SET body = excluded.body",
                (version.arn, version.machine_arn, codec.version_body(version)),
            )
        case DropVersion(arn):
            tx.execute("DELETE FROM sfn_versions WHERE arn = ?", (arn,))
        case PutAlias(alias):
            tx.execute(
                "INSERT INTO sfn_aliases (arn, machine_arn, body) VALUES (?, ?, ?) "
                "ON CONFLICT (arn) DO UPDATE SET body = excluded.body",
                (alias.arn, alias.machine_arn, codec.alias_body(alias)),
            )
        case DropAlias(arn):
            tx.execute("DELETE FROM sfn_aliases WHERE arn = ?", (arn,))
        case PutActivity(activity):
            tx.execute(
                "INSERT INTO sfn_activities (arn, body) VALUES (?, ?) "
                "ON CONFLICT (arn) DO UPDATE SET body = excluded.body",
                (activity.arn, codec.activity_body(activity)),
            )
        case DropActivity(arn):
            tx.execute("DELETE FROM sfn_activities WHERE arn = ?", (arn,))
        case _:
            raise TypeError(f"not a Step Functions change: {change!r}")


def _execution_row(execution: Execution) -> tuple[Any, ...]:
    return (
        execution.machine_arn,
        execution.version_arn,
        execution.alias_arn,
        execution.map_run_arn,
        execution.status,
        execution.start,
        execution.redrive_count,
        codec.execution_body(execution),
    )


def _update_execution(tx: Transaction, execution: Execution, expect: str) -> bool:
    cursor = tx.execute(
        "UPDATE sfn_executions SET machine_arn = ?, version_arn = ?, alias_arn = ?, "
        "map_run_arn = ?, status = ?, start = ?, redrive_count = ?, body = ? "
        "WHERE arn = ? AND status = ?",
        (*_execution_row(execution), execution.arn, expect),
    )
    return cursor.rowcount == 1


def _record(row: Sequence[Any]) -> Record:
    key, event_id, previous_id, ts, kind, details = row
    return Record(
        key=key,
        type=kind,
        details=json.loads(details),
        timestamp=float(ts),
        id=None if event_id is None else int(event_id),
        previous_id=int(previous_id),
    )


_RECORD_COLUMNS = "jkey, event_id, previous_id, ts, type, details"


def _append(
    tx: Transaction,
    execution_arn: str,
    records: Sequence[NewRecord],
    now: float,
    *,
    again: bool = False,
) -> list[Record]:
    keys = [record.key for record in records]
    if len(set(keys)) != len(keys):
        raise ValueError("a journal key appears twice in one append")
    if not keys:
        return []
    marks = ", ".join("?" for _ in keys)
    found = tx.execute(
        # No ORDER BY: with one, SQLite walks the execution's whole journal in seq order
        # instead of looking the keys up (measured: a Map of 1,000 tasks ran 3x slower).
        f"SELECT {_RECORD_COLUMNS} FROM sfn_journal WHERE execution_arn = ? AND jkey IN ({marks})",
        (execution_arn, *keys),
    ).fetchall()
    if found:
        if again:
            return _already(found, records)
        raise ValueError(f"journal key {found[0][0]!r} is already recorded")
    # Two subqueries, not two aggregates in one: SQLite answers each MAX from its index
    # in one step only alone (together it scans every row of the execution: measured,
    # an append of a 7,000-event history took 0.6 ms instead of 2 us).
    seq, last_id = tx.execute(
        "SELECT COALESCE((SELECT MAX(seq) FROM sfn_journal WHERE execution_arn = ?), 0), "
        "COALESCE((SELECT MAX(event_id) FROM sfn_journal WHERE execution_arn = ?), 0)",
        (execution_arn, execution_arn),
    ).fetchone()
    seq, last_id = int(seq), int(last_id)
    appended: list[Record] = []
    for record in records:
        seq += 1
        event_id: int | None = None
        previous = resolve_previous(record, last_id)
        if record.public:
            last_id += 1
            event_id = last_id
        tx.execute(
            "INSERT INTO sfn_journal (execution_arn, seq, jkey, event_id, previous_id, ts, "
            "type, details) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                execution_arn,
                seq,
                record.key,
                event_id,
                previous,
                now,
                record.type,
                codec.compact(dict(record.details)),
            ),
        )
        appended.append(Record(record.key, record.type, record.details, now, event_id, previous))
    return appended


def _already(rows: Sequence[Any], records: Sequence[NewRecord]) -> list[Record]:
    """The records of an append found recorded already: all of them, as given (a write
    tried again after its first commit landed unacknowledged), are returned as
    recorded; anything else is a key recorded twice (``ValueError``)."""
    recorded = {record.key: record for record in (_record(row) for row in rows)}
    same = len(recorded) == len(records)
    last_id: int | None = None
    for new in records:
        found = recorded.get(new.key)
        if not same or found is None:
            same = False
            break
        # A PREVIOUS_IN_APPEND with no public record before it in the append was
        # resolved against the journal as it then was: any previous id matches it.
        previous = (
            found.previous_id
            if new.previous_id == PREVIOUS_IN_APPEND and last_id is None
            else resolve_previous(new, last_id or 0)
        )
        same = (found.type, found.previous_id, found.id is not None) == (
            new.type,
            previous,
            new.public,
        ) and codec.compact(dict(found.details)) == codec.compact(dict(new.details))
        last_id = found.id if found.id is not None else last_id
    if not same:
        key = next(key for key in recorded)
        raise ValueError(f"journal key {key!r} is already recorded")
    return [recorded[new.key] for new in records]


def _token_row(tx: Transaction, token: str) -> TaskToken | None:
    row = tx.execute("SELECT body FROM sfn_tokens WHERE token = ?", (token,)).fetchone()
    return codec.token_of(row[0]) if row is not None else None


def _set_token(tx: Transaction, was: TaskToken, now: TaskToken, statuses: Sequence[str]) -> bool:
    """Write ``now`` over ``was`` if its status is still one of ``statuses``."""
    marks = ", ".join("?" for _ in statuses)
    cursor = tx.execute(
        f"UPDATE sfn_tokens SET status = ?, body = ? WHERE token = ? AND status IN ({marks})",
        (now.status, codec.token_body(now), was.token, *statuses),
    )
    return cursor.rowcount == 1


_COUNTS = (
    ("pending", "pending"),
    ("running", "running"),
    ("succeeded", "succeeded"),
    ("failed", "failed"),
    ("timed_out", "timedOut"),
    ("aborted", "aborted"),
    ("total", "total"),
    ("results_written", "resultsWritten"),
)


def _counts_doc(counts: MapRunCounts) -> dict[str, int]:
    return {name: getattr(counts, field) for field, name in _COUNTS}


def _counts_of(doc: Any) -> MapRunCounts:
    return MapRunCounts(**{field: int(doc.get(name, 0)) for field, name in _COUNTS})


def map_run_body(run: MapRun) -> str:
    settings = run.settings
    return codec.compact(
        {
            "arn": run.arn,
            "executionArn": run.execution_arn,
            "status": run.status,
            "start": run.start,
            "stop": run.stop,
            "maxConcurrency": settings.max_concurrency,
            "toleratedFailurePercentage": settings.tolerated_failure_percentage,
            "toleratedFailureCount": settings.tolerated_failure_count,
            "itemCounts": _counts_doc(run.items),
            "executionCounts": _counts_doc(run.executions),
            "redriveCount": run.redrive_count,
            "redriveDate": run.redrive_date,
            "definition": run.definition,
            "label": run.label,
        }
    )


def map_run_of(body: str) -> MapRun:
    doc = json.loads(body)
    return MapRun(
        arn=doc["arn"],
        execution_arn=doc["executionArn"],
        status=doc["status"],
        start=float(doc["start"]),
        stop=doc.get("stop"),
        settings=MapRunSettings(
            max_concurrency=int(doc.get("maxConcurrency") or 0),
            tolerated_failure_percentage=doc.get("toleratedFailurePercentage"),
            tolerated_failure_count=doc.get("toleratedFailureCount"),
        ),
        items=_counts_of(doc.get("itemCounts") or {}),
        executions=_counts_of(doc.get("executionCounts") or {}),
        redrive_count=int(doc.get("redriveCount") or 0),
        redrive_date=doc.get("redriveDate"),
        definition=str(doc.get("definition") or ""),
        label=str(doc.get("label") or ""),
    )


def _map_run_row(tx: Transaction, arn: str) -> MapRun | None:
    row = tx.execute("SELECT body FROM sfn_map_runs WHERE arn = ?", (arn,)).fetchone()
    return map_run_of(row[0]) if row is not None else None


def _change_map_run(
    tx: Transaction, arn: str, change: Callable[[MapRun], MapRun | None]
) -> MapRun | None:
    """The Map Run changed by ``change`` (None: left as it is), compared and set on its
    body: an UpdateMapRun and the run's own report racing on PostgreSQL both land."""
    for _ in range(100):  # a lost race reads again
        row = tx.execute("SELECT body FROM sfn_map_runs WHERE arn = ?", (arn,)).fetchone()
        if row is None:
            return None
        found = map_run_of(row[0])
        now = change(found)
        if now is None:
            return found
        cursor = tx.execute(
            "UPDATE sfn_map_runs SET status = ?, body = ? WHERE arn = ? AND body = ?",
            (now.status, map_run_body(now), arn, row[0]),
        )
        if cursor.rowcount == 1:
            return now
    raise DatabaseError(f"Map Run {arn} kept changing under its writer")


class SqlStepFunctionsStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    # --- configuration ----------------------------------------------------------------

    async def load(self) -> Snapshot:
        def work(tx: Transaction) -> Snapshot:
            def bodies(table: str) -> list[str]:
                return [row[0] for row in tx.execute(f"SELECT body FROM {table} ORDER BY arn")]

            machines: list[StateMachine] = [codec.machine_of(b) for b in bodies("sfn_machines")]
            versions: list[Version] = [codec.version_of(b) for b in bodies("sfn_versions")]
            aliases: list[Alias] = [codec.alias_of(b) for b in bodies("sfn_aliases")]
            activities: list[Activity] = [codec.activity_of(b) for b in bodies("sfn_activities")]
            return Snapshot(machines, versions, aliases, activities)

        return await self._db.read(work)

    async def apply(self, plan: Sequence[Change]) -> None:
        changes = list(plan)

        def work(tx: Transaction) -> None:
            for change in changes:
                _apply_one(tx, change)

        await self._db.write(work)

    async def revision(self, machine_arn: str, key: str) -> Revision | None:
        def work(tx: Transaction) -> Revision | None:
            row = tx.execute(
                "SELECT body FROM sfn_revisions WHERE machine_arn = ? AND rkey = ?",
                (machine_arn, key),
            ).fetchone()
            return codec.revision_of(json.loads(row[0])) if row is not None else None

        return await self._db.read(work)

    # --- executions ---------------------------------------------------------------------

    async def create_execution(self, execution: Execution) -> Execution | None:
        def work(tx: Transaction) -> Execution | None:
            row = tx.execute(
                "SELECT body FROM sfn_executions WHERE arn = ?", (execution.arn,)
            ).fetchone()
            if row is not None:
                return codec.execution_of(row[0])
            tx.execute(
                "INSERT INTO sfn_executions (machine_arn, version_arn, alias_arn, "
                "map_run_arn, status, start, redrive_count, body, arn) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (*_execution_row(execution), execution.arn),
            )
            return None

        return await self._db.write(work)

    async def execution(self, arn: str) -> Execution | None:
        def work(tx: Transaction) -> Execution | None:
            row = tx.execute("SELECT body FROM sfn_executions WHERE arn = ?", (arn,)).fetchone()
            return codec.execution_of(row[0]) if row is not None else None

        return await self._db.read(work)

    async def update_execution(self, execution: Execution, expect: str) -> bool:
        return await self._db.write(lambda tx: _update_execution(tx, execution, expect))

    async def finish_execution(
        self, execution: Execution, expect: str, records: Sequence[NewRecord], now: float
    ) -> list[Record] | None:
        given = list(records)

        def work(tx: Transaction) -> list[Record] | None:
            if not _update_execution(tx, execution, expect):
                return None
            return _append(tx, execution.arn, given, now)

        return await self._db.write(work)

    async def list_executions(
        self, where: ExecutionFilter, after: tuple[float, str] | None, limit: int
    ) -> list[Execution]:
        clauses: list[str] = []
        params: list[Any] = []
        for column, value in (
            ("machine_arn", where.machine_arn),
            ("version_arn", where.version_arn),
            ("alias_arn", where.alias_arn),
            ("map_run_arn", where.map_run_arn),
            ("status", where.status),
        ):
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(value)
        if where.redriven is not None:
            clauses.append("redrive_count > 0" if where.redriven else "redrive_count = 0")
        if after is not None:
            clauses.append("(start < ? OR (start = ? AND arn < ?))")
            params.extend((after[0], after[0], after[1]))
        sql = "SELECT body FROM sfn_executions"
        if clauses:
            sql += " WHERE " + " AND ".join(clauses)
        sql += " ORDER BY start DESC, arn DESC LIMIT ?"
        params.append(limit)

        def work(tx: Transaction) -> list[Execution]:
            return [codec.execution_of(row[0]) for row in tx.execute(sql, params)]

        return await self._db.read(work)

    async def running(self, machine_arn: str) -> int:
        def work(tx: Transaction) -> int:
            row = tx.execute(
                "SELECT COUNT(*) FROM sfn_executions WHERE machine_arn = ? AND status = ?",
                (machine_arn, "RUNNING"),
            ).fetchone()
            return int(row[0])

        return await self._db.read(work)

    # --- the journal ---------------------------------------------------------------------

    async def append(
        self, execution_arn: str, records: Sequence[NewRecord], now: float
    ) -> list[Record]:
        given = list(records)
        return await self._db.write(lambda tx: _append(tx, execution_arn, given, now))

    async def append_batch(
        self, appends: Sequence[tuple[str, Sequence[NewRecord]]], now: float
    ) -> list[list[Record] | Exception]:
        given = [(arn, list(records)) for arn, records in appends]

        def work(tx: Transaction) -> list[list[Record] | Exception]:
            results: list[list[Record] | Exception] = []
            for arn, records in given:
                try:
                    with tx.savepoint():
                        results.append(_append(tx, arn, records, now, again=True))
                except (ValueError, DatabaseError) as error:
                    results.append(error)
            return results

        return await self._db.write(work)

    async def load_journal(self, execution_arn: str) -> list[Record]:
        def work(tx: Transaction) -> list[Record]:
            return [
                _record(row)
                for row in tx.execute(
                    f"SELECT {_RECORD_COLUMNS} FROM sfn_journal WHERE execution_arn = ? "
                    "ORDER BY seq",
                    (execution_arn,),
                )
            ]

        return await self._db.read(work)

    async def history(
        self, execution_arn: str, after: int, limit: int, reverse: bool
    ) -> list[Record]:
        if reverse:
            bound = "AND event_id < ?" if after else "AND ? = 0"
            order = "DESC"
        else:
            bound, order = "AND event_id > ?", "ASC"

        def work(tx: Transaction) -> list[Record]:
            return [
                _record(row)
                for row in tx.execute(
                    f"SELECT {_RECORD_COLUMNS} FROM sfn_journal WHERE execution_arn = ? "
                    f"AND event_id IS NOT NULL {bound} ORDER BY event_id {order} LIMIT ?",
                    (execution_arn, after, limit),
                )
            ]

        return await self._db.read(work)

    async def event_count(self, execution_arn: str) -> int:
        def work(tx: Transaction) -> int:
            row = tx.execute(
                "SELECT COUNT(event_id) FROM sfn_journal WHERE execution_arn = ?",
                (execution_arn,),
            ).fetchone()
            return int(row[0])

        return await self._db.read(work)

    # --- task tokens ------------------------------------------------------------------------

    async def open_token(self, token: TaskToken) -> TaskToken:
        def work(tx: Transaction) -> TaskToken:
            found = _token_row(tx, token.token)
            if found is not None:
                return found
            tx.execute(
                "INSERT INTO sfn_tokens (token, execution_arn, activity_arn, status, created, "
                "body) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    token.token,
                    token.execution_arn,
                    token.activity_arn,
                    token.status,
                    token.created,
                    codec.token_body(token),
                ),
            )
            return token

        return await self._db.write(work)

    async def token(self, token: str) -> TaskToken | None:
        return await self._db.read(lambda tx: _token_row(tx, token))

    async def answer_token(
        self, token: str, status: str, answer: str, now: float
    ) -> TaskToken | None:
        def work(tx: Transaction) -> TaskToken | None:
            was = _token_row(tx, token)
            if was is None or was.status not in ANSWERABLE:
                return was
            answered = dataclasses.replace(was, status=status, answer=answer, updated=now)
            if not _set_token(tx, was, answered, tuple(ANSWERABLE)):
                return _token_row(tx, token)
            return was

        return await self._db.write(work)

    async def beat_token(self, token: str, now: float) -> TaskToken | None:
        def work(tx: Transaction) -> TaskToken | None:
            was = _token_row(tx, token)
            if was is None or was.status not in ANSWERABLE:
                return was
            _set_token(tx, was, dataclasses.replace(was, updated=now), (was.status,))
            return was

        return await self._db.write(work)

    async def close_token(self, token: str, now: float) -> None:
        def work(tx: Transaction) -> None:
            was = _token_row(tx, token)
            if was is not None and was.status != TOKEN_CLOSED:
                closed = dataclasses.replace(was, status=TOKEN_CLOSED, updated=now)
                _set_token(tx, was, closed, (was.status,))

        await self._db.write(work)

    async def close_tokens(self, execution_arn: str, now: float) -> list[str]:
        def work(tx: Transaction) -> list[str]:
            rows = tx.execute(
                "SELECT body FROM sfn_tokens WHERE execution_arn = ? AND status IN (?, ?)",
                (execution_arn, OPEN, STARTED),
            ).fetchall()
            closed: list[str] = []
            for row in rows:
                was = codec.token_of(row[0])
                if _set_token(
                    tx,
                    was,
                    dataclasses.replace(was, status=TOKEN_CLOSED, updated=now),
                    (OPEN, STARTED),
                ):
                    closed.append(was.token)
            return closed

        return await self._db.write(work)

    async def claim_task(
        self, activity_arn: str, worker: str | None, now: float
    ) -> TaskToken | None:
        def work(tx: Transaction) -> TaskToken | None:
            rows = tx.execute(
                "SELECT body FROM sfn_tokens WHERE activity_arn = ? AND status = ? "
                "ORDER BY created, token LIMIT 16",
                (activity_arn, OPEN),
            ).fetchall()
            for row in rows:
                was = codec.token_of(row[0])
                taken = dataclasses.replace(was, status=STARTED, worker=worker, updated=now)
                # Conditional: a concurrent claimer (PostgreSQL) that took it first wins.
                if _set_token(tx, was, taken, (OPEN,)):
                    return taken
            return None

        return await self._db.write(work)

    # --- map runs -------------------------------------------------------------------------

    async def create_map_run(self, run: MapRun) -> MapRun:
        def work(tx: Transaction) -> MapRun:
            found = _map_run_row(tx, run.arn)
            if found is not None and not found.definition and run.definition:
                # Recorded by an Altus whose Map Runs kept no definition (their items
                # ran inside the parent): its children, from now on, run this one.
                filled = dataclasses.replace(found, definition=run.definition, label=run.label)
                return _change_map_run(tx, run.arn, lambda _: filled) or filled
            if found is not None:
                return found
            tx.execute(
                "INSERT INTO sfn_map_runs (arn, execution_arn, status, start, body) "
                "VALUES (?, ?, ?, ?, ?)",
                (run.arn, run.execution_arn, run.status, run.start, map_run_body(run)),
            )
            return run

        return await self._db.write(work)

    async def map_run(self, arn: str) -> MapRun | None:
        return await self._db.read(lambda tx: _map_run_row(tx, arn))

    async def report_map_run(
        self,
        arn: str,
        items: MapRunCounts,
        executions: MapRunCounts,
        status: str | None,
        stop: float | None,
    ) -> MapRun | None:
        def change(found: MapRun) -> MapRun | None:
            if found.status != "RUNNING":
                return None
            return dataclasses.replace(
                found,
                items=items,
                executions=executions,
                status=status or found.status,
                stop=stop if stop is not None else found.stop,
            )

        return await self._db.write(lambda tx: _change_map_run(tx, arn, change))

    async def redrive_map_run(self, arn: str, redrive_count: int, when: float) -> MapRun | None:
        def change(found: MapRun) -> MapRun | None:
            if found.redrive_count >= redrive_count:
                return None
            return dataclasses.replace(
                found,
                status="RUNNING",
                stop=None,
                redrive_count=redrive_count,
                redrive_date=when,
            )

        return await self._db.write(lambda tx: _change_map_run(tx, arn, change))

    async def update_map_run(self, arn: str, settings: MapRunSettings) -> MapRun | None:
        return await self._db.write(
            lambda tx: _change_map_run(
                tx, arn, lambda found: dataclasses.replace(found, settings=settings)
            )
        )

    async def list_map_runs(
        self, execution_arn: str, after: tuple[float, str] | None, limit: int
    ) -> list[MapRun]:
        sql = "SELECT body FROM sfn_map_runs WHERE execution_arn = ?"
        params: list[Any] = [execution_arn]
        if after is not None:
            sql += " AND (start > ? OR (start = ? AND arn > ?))"
            params.extend((after[0], after[0], after[1]))
        sql += " ORDER BY start, arn LIMIT ?"
        params.append(limit)

        def work(tx: Transaction) -> list[MapRun]:
            return [map_run_of(row[0]) for row in tx.execute(sql, params)]

        return await self._db.read(work)
