"""Running a parsed query over rows, pure: the caller pushes the events' rows (in
``@timestamp`` order, newest first, as Insights shows them by default) until told to
stop, then takes the results.

Commands run in order as stages. ``fields``, ``filter``, ``parse``, ``dedup`` and
``limit`` pass rows on as they come (``limit`` says when nothing more is wanted, so
the scan stops early); ``stats`` keeps one state per group and passes its rows on at
the end; ``sort`` keeps at most twice the result count, trimming to the result count
(what may follow a sort is at most that many rows). At most ``cap`` rows are kept."""

from __future__ import annotations

import functools
import itertools
from collections.abc import Sequence
from typing import Any

from altus.logs.insights import ast
from altus.logs.insights.evaluate import evaluate
from altus.logs.insights.fields import DEFAULT_COLUMNS
from altus.logs.insights.functions import Accumulator
from altus.logs.insights.values import number, sort_key, text, truthy

Row = dict[str, Any]


class _Stage:
    def __init__(self) -> None:
        self.next: _Stage | None = None

    def push(self, row: Row) -> bool:
        """Take a row; False once no more rows are wanted."""
        assert self.next is not None
        return self.next.push(row)

    def end(self) -> None:
        if self.next is not None:
            self.next.end()


class _Fields(_Stage):
    def __init__(self, columns: Sequence[ast.Named]) -> None:
        super().__init__()
        self.columns = columns

    def push(self, row: Row) -> bool:
        for name, expr in self.columns:
            if not (isinstance(expr, ast.Field) and expr.name == name):
                row[name] = evaluate(expr, row)
        return super().push(row)


class _Filter(_Stage):
    def __init__(self, condition: ast.Expr) -> None:
        super().__init__()
        self.condition = condition

    def push(self, row: Row) -> bool:
        return super().push(row) if truthy(evaluate(self.condition, row)) else True


class _Parse(_Stage):
    def __init__(self, command: ast.Parse) -> None:
        super().__init__()
        self.command = command

    def push(self, row: Row) -> bool:
        source = row.get(self.command.source)
        found = None if source is None else self.command.pattern.search(text(source))
        if found is not None:
            values = (
                found.groupdict()
                if found.re.groupindex
                else dict(zip(self.command.names, found.groups(), strict=True))
            )
            for name, value in values.items():
                if value is not None:
                    row[name] = value
        return super().push(row)


class _Limit(_Stage):
    def __init__(self, count: int) -> None:
        super().__init__()
        self.left = count

    def push(self, row: Row) -> bool:
        if self.left <= 0:
            return False
        self.left -= 1
        return super().push(row) and self.left > 0


class _Dedup(_Stage):
    def __init__(self, names: Sequence[str]) -> None:
        super().__init__()
        self.names = names
        self.seen: set[tuple[str | None, ...]] = set()

    def push(self, row: Row) -> bool:
        key = tuple(None if row.get(n) is None else text(row.get(n)) for n in self.names)
        if key in self.seen:
            return True
        self.seen.add(key)
        return super().push(row)


class _Count(_Stage):
    """Counts the rows that got past the filters (``recordsMatched``)."""

    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def push(self, row: Row) -> bool:
        self.count += 1
        return super().push(row)


class _Stats(_Stage):
    def __init__(self, command: ast.Stats) -> None:
        super().__init__()
        self.command = command
        self.groups: dict[tuple[str | None, ...], tuple[list[Any], list[Accumulator]]] = {}

    def push(self, row: Row) -> bool:
        values = [evaluate(expr, row) for _, expr in self.command.groups]
        key = tuple(None if v is None else text(v) for v in values)
        group = self.groups.get(key)
        if group is None:
            group = (values, [Accumulator(a.name) for a in self.command.aggregates])
            self.groups[key] = group
        timestamp = int(number(row.get("@timestamp")) or 0)
        for aggregate, accumulator in zip(self.command.aggregates, group[1], strict=True):
            if not aggregate.args or isinstance(aggregate.args[0], ast.Star):
                accumulator.add(None, timestamp, star=True)
            else:
                accumulator.add(evaluate(aggregate.args[0], row), timestamp)
        return True

    def end(self) -> None:
        assert self.next is not None
        wanted = True
        for values, accumulators in self.groups.values():
            if not wanted:
                break
            results = []
            for aggregate, accumulator in zip(self.command.aggregates, accumulators, strict=True):
                percent = None
                if len(aggregate.args) > 1:
                    percent = number(evaluate(aggregate.args[1], {}))
                results.append(accumulator.result(percent))
            row: Row = {}
            for (name, _), value in zip(self.command.groups, values, strict=True):
                row[name] = value
            for name, expr in self.command.columns:
                row[name] = evaluate(expr, row, results)
            wanted = self.next.push(row)
        self.groups.clear()
        super().end()


class _Sort(_Stage):
    def __init__(self, command: ast.Sort, keep: int) -> None:
        super().__init__()
        self.keys = command.keys
        self.keep = keep
        self.rows: list[tuple[list[Any], int, Row]] = []
        self.seen = 0

    def push(self, row: Row) -> bool:
        values = [
            row[key.written] if key.written in row else evaluate(key.expr, row) for key in self.keys
        ]
        self.rows.append((values, self.seen, row))
        self.seen += 1
        if len(self.rows) >= 2 * self.keep:
            self._trim()
        return True

    def _compare(self, a: tuple[list[Any], int, Row], b: tuple[list[Any], int, Row]) -> int:
        for key, x, y in zip(self.keys, a[0], b[0], strict=True):
            if x is None or y is None:
                if x is None and y is None:
                    continue
                return 1 if x is None else -1  # absent values last, either way
            kx, ky = sort_key(x), sort_key(y)
            if kx != ky:
                result = -1 if kx < ky else 1
                return -result if key.descending else result
        return a[1] - b[1]

    def _trim(self) -> None:
        self.rows.sort(key=functools.cmp_to_key(self._compare))
        del self.rows[self.keep :]

    def end(self) -> None:
        assert self.next is not None
        self._trim()
        for _, _, row in self.rows:
            if not self.next.push(row):
                break
        self.rows.clear()
        super().end()


class _Sink(_Stage):
    def __init__(self, cap: int) -> None:
        super().__init__()
        self.cap = cap
        self.rows: list[Row] = []

    def push(self, row: Row) -> bool:
        self.rows.append(row)
        return len(self.rows) < self.cap


class Execution:
    """One run of a query: ``push`` rows, then ``finish``."""

    def __init__(self, query: ast.Query, cap: int) -> None:
        self.columns: list[str] | None = None
        self.aggregated = False
        self.counter = _Count()
        self.sink = _Sink(cap)
        stages: list[_Stage] = []
        counted = False
        for command in query.commands:
            if isinstance(command, ast.Stats | ast.Sort) and not counted:
                stages.append(self.counter)
                counted = True
            stages.append(self._stage(command, cap))
        if not counted:
            stages.append(self.counter)
        stages.append(self.sink)
        for before, after in itertools.pairwise(stages):
            before.next = after
        self.head = stages[0]
        self.done = False

    def _stage(self, command: ast.Command, cap: int) -> _Stage:
        if isinstance(command, ast.Fields):
            self._show([name for name, _ in command.columns])
            return _Fields(command.columns)
        if isinstance(command, ast.Display):
            self.columns = list(command.names)
            return _Stage()
        if isinstance(command, ast.Filter):
            return _Filter(command.condition)
        if isinstance(command, ast.Parse):
            return _Parse(command)
        if isinstance(command, ast.Limit):
            return _Limit(command.count)
        if isinstance(command, ast.Dedup):
            return _Dedup(command.names)
        if isinstance(command, ast.Sort):
            return _Sort(command, cap)
        assert isinstance(command, ast.Stats)
        self.aggregated = True
        self.columns = [name for name, _ in command.groups] + [n for n, _ in command.columns]
        return _Stats(command)

    def _show(self, names: list[str]) -> None:
        shown = self.columns if self.columns is not None else []
        self.columns = shown + [n for n in names if n not in shown]

    @property
    def matched(self) -> int:
        return self.counter.count

    def push(self, row: Row) -> bool:
        """Take an event's row; False once the query wants no more."""
        if self.done:
            return False
        if not self.head.push(row):
            self.done = True
        return not self.done

    def finish(self) -> list[list[tuple[str, str]]]:
        """The results: each row's (field, value) pairs, in column order, absent fields
        left out, ``@ptr`` last for rows that are events."""
        self.head.end()
        columns = list(self.columns) if self.columns is not None else list(DEFAULT_COLUMNS)
        results = []
        for row in self.sink.rows:
            pairs = [(c, text(row[c])) for c in columns if row.get(c) is not None]
            if not self.aggregated and row.get("@ptr") is not None and "@ptr" not in columns:
                pairs.append(("@ptr", str(row["@ptr"])))
            results.append(pairs)
        return results
