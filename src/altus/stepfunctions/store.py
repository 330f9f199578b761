"""The Step Functions store: configuration (state machines with their revisions,
versions, aliases, activities), executions, each execution's journal, and task tokens.

Every write is durable before it returns and all-or-nothing. Writes that must agree
with what is stored compare and set in the same transaction (an execution closes only
from the status the writer saw; a token is answered once; an activity task is taken by
one worker), so two frontends sharing a PostgreSQL database, or a crash between two
writes, never close an execution twice or hand a task to two workers.

The journal is ``altus.asl.host``'s: per execution, records keyed by where in the
execution they were made (unique per execution), the public ones numbered 1, 2, ... in
the order they were appended (the history events); ``SqlJournal`` (``journal``) puts the
interpreter's interface on it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from altus.asl.host import MapRunCounts, MapRunSettings, NewRecord, Record
from altus.stepfunctions.model import (
    Change,
    Execution,
    ExecutionFilter,
    MapRun,
    Revision,
    Snapshot,
    TaskToken,
)


class StepFunctionsStore(Protocol):
    # --- configuration ----------------------------------------------------------------

    async def load(self) -> Snapshot:
        """Every state machine (with its current revision), version, alias and activity,
        each list in ARN order (read once, at start)."""
        ...

    async def apply(self, plan: Sequence[Change]) -> None:
        """Write ``plan`` in order in one transaction, all of it or (raising) none. A put
        replaces the record of the same ARN (a machine's put keeps its revision as a
        revision too, for executions started from it); dropping a machine drops its
        revisions, versions and aliases (not its executions); dropping what is not there
        does nothing."""
        ...

    async def revision(self, machine_arn: str, key: str) -> Revision | None:
        """The machine's revision ``key`` (``Revision.key``) as it was written, while the
        machine exists; else None."""
        ...

    # --- executions ---------------------------------------------------------------------

    async def create_execution(self, execution: Execution) -> Execution | None:
        """Store ``execution`` unless one of its ARN is stored already: None when it
        was stored, else the one there before, unchanged (the caller decides whether
        that is the same start repeated)."""
        ...

    async def execution(self, arn: str) -> Execution | None: ...

    async def update_execution(self, execution: Execution, expect: str) -> bool:
        """Replace the stored execution of ``execution.arn`` with it if the stored one's
        status is ``expect``: True; else (another writer got there first, or it is not
        stored) False and nothing changes."""
        ...

    async def finish_execution(
        self, execution: Execution, expect: str, records: Sequence[NewRecord], now: float
    ) -> list[Record] | None:
        """``update_execution`` and ``append`` in one transaction: the execution's new
        state (closed, redriven) and the events that say so, or neither. Returns the
        records as appended, or None (nothing written) when the stored status is not
        ``expect``. A record key already in its journal raises ValueError."""
        ...

    async def list_executions(
        self, where: ExecutionFilter, after: tuple[float, str] | None, limit: int
    ) -> list[Execution]:
        """Up to ``limit`` executions matching ``where``, newest first (by start, then
        ARN, descending), after ``(start, arn)`` in that order when given."""
        ...

    async def running(self, machine_arn: str) -> int:
        """How many executions of the machine (any of its versions) are RUNNING."""
        ...

    # --- the journal ---------------------------------------------------------------------

    async def append(
        self, execution_arn: str, records: Sequence[NewRecord], now: float
    ) -> list[Record]:
        """Append ``records`` to the execution's journal, all or (raising) none, in
        order, stamped ``now``: the public ones get the next event ids (1 for the
        first). Returns them as recorded. A key already in the journal (or twice in
        ``records``) raises ValueError and writes nothing."""
        ...

    async def append_batch(
        self, appends: Sequence[tuple[str, Sequence[NewRecord]]], now: float
    ) -> list[list[Record] | Exception]:
        """``append`` of each ``(execution ARN, records)`` in one transaction (one durable
        write for them all), in order, each all-or-nothing on its own: per append, the
        records as recorded, or the error that kept it out (ValueError for a key already
        in its journal). An append whose every record is in the journal already exactly
        as given (type, details, previous id, public or not: a batch written again after
        its first commit landed unacknowledged) is answered with them as recorded.
        Raises only when the transaction itself fails (then none is written)."""
        ...

    async def load_journal(self, execution_arn: str) -> list[Record]:
        """Every record of the execution's journal, in the order appended."""
        ...

    async def history(
        self, execution_arn: str, after: int, limit: int, reverse: bool
    ) -> list[Record]:
        """Up to ``limit`` public records (history events) by id: ascending from after
        ``after`` (0: from the first), or with ``reverse`` descending from before
        ``after`` (0: from the last)."""
        ...

    async def event_count(self, execution_arn: str) -> int:
        """How many history events the execution has."""
        ...

    # --- task tokens ------------------------------------------------------------------------

    async def open_token(self, token: TaskToken) -> TaskToken:
        """Store ``token`` unless its token is stored already; returns what is stored
        after (a resumed execution reopening its token finds it as it was, answer and
        all)."""
        ...

    async def token(self, token: str) -> TaskToken | None: ...

    async def answer_token(
        self, token: str, status: str, answer: str, now: float
    ) -> TaskToken | None:
        """Answer the token (``status`` ``succeeded`` or ``failed``) if it is still
        answerable (``open`` or ``started``). Returns the token as it was before the
        call (None: no such token): its status says whether this call answered it."""
        ...

    async def beat_token(self, token: str, now: float) -> TaskToken | None:
        """A heartbeat: touch ``updated`` if the token is answerable. Returns the token
        as it was before (None: no such token)."""
        ...

    async def close_token(self, token: str, now: float) -> None:
        """Close the token whatever its status (nothing if there is none)."""
        ...

    async def close_tokens(self, execution_arn: str, now: float) -> list[str]:
        """Close every answerable token (``open``, ``started``) of the execution (it was
        stopped: a late SendTask* says TaskTimedOut, no worker gets its activity task);
        the tokens closed."""
        ...

    async def claim_task(
        self, activity_arn: str, worker: str | None, now: float
    ) -> TaskToken | None:
        """Take the activity's oldest ``open`` task for ``worker`` (status ``started``),
        atomically: two callers never take the same task. Returns it as taken, or None
        when none is open."""
        ...

    # --- map runs -------------------------------------------------------------------------

    async def create_map_run(self, run: MapRun) -> MapRun:
        """Store ``run`` unless one of its ARN is stored; returns what is stored after
        (a resumed execution finds its Map Run as it was, settings and all; one stored
        without a definition gets ``run``'s)."""
        ...

    async def map_run(self, arn: str) -> MapRun | None: ...

    async def report_map_run(
        self,
        arn: str,
        items: MapRunCounts,
        executions: MapRunCounts,
        status: str | None,
        stop: float | None,
    ) -> MapRun | None:
        """Write the counts (and ``status``, ``stop`` when given) of the Map Run if it is
        RUNNING; a closed one is left as it is. Returns it as stored after (None: no
        such Map Run)."""
        ...

    async def redrive_map_run(self, arn: str, redrive_count: int, when: float) -> MapRun | None:
        """Open the closed Map Run again (RUNNING, no stop date) as its
        ``redrive_count``-th redrive at ``when``, unless its recorded ``redrive_count``
        is that already. Returns it as stored after (None: no such Map Run)."""
        ...

    async def update_map_run(self, arn: str, settings: MapRunSettings) -> MapRun | None:
        """Replace the Map Run's settings (UpdateMapRun). Returns it as stored after
        (None: no such Map Run)."""
        ...

    async def list_map_runs(
        self, execution_arn: str, after: tuple[float, str] | None, limit: int
    ) -> list[MapRun]:
        """Up to ``limit`` Map Runs of the execution, oldest first (by start, then ARN),
        after ``(start, arn)`` when given."""
        ...
