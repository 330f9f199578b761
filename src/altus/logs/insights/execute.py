"""Running a parsed query over rows, pure: the caller pushes the events' rows (in
``@timestamp`` order, newest first, as Insights shows them by default) until told to
stop, then takes the results.

Commands run in order as stages. ``fields``, ``filter``, ``parse``, ``dedup`` and
``limit`` pass rows on as they come (``limit`` says when nothing more is wanted, so
the scan stops early); ``stats`` keeps one state per group and passes its rows on at
the end; ``sort`` computes each row's key once and, when nothing but ``limit``,
``fields``, ``display`` or ``parse`` follows it (nothing that drops rows), keeps at
most twice what can be shown (the result count, or the smallest ``limit`` after it),
trimming to that many with a heap; otherwise it keeps every row. At most ``cap`` rows
are kept as results. What a query holds is bounded (``limits.py``): past a bound it
raises ``TooLarge``; a regex match past its timeout raises ``MatchTimeout``."""

from __future__ import annotations

import heapq
import itertools
import operator
from collections.abc import Sequence
from typing import Any

from altus.logs import timed_regex
from altus.logs.insights import ast
from altus.logs.insights.evaluate import evaluate
from altus.logs.insights.fields import DEFAULT_COLUMNS
from altus.logs.insights.functions import Accumulator
from altus.logs.insights.limits import (
    MAX_DEDUP_KEYS,
    MAX_GROUPS,
    Budget,
    TooLarge,
    row_size,
)
from altus.logs.insights.values import number, sort_key, text, truthy

Row = dict[str, Any]

#: What may follow a ``sort`` that lets it keep only the rows that can be shown: none
#: of these drops a row.
_KEEPS_ROWS = (ast.Limit, ast.Fields, ast.Display, ast.Parse)


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
        found = None if source is None else timed_regex.search(self.command.pattern, text(source))
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
        if len(self.seen) >= MAX_DEDUP_KEYS:
            raise TooLarge(
                f"Query exceeded the memory limit: dedup saw more than {MAX_DEDUP_KEYS} "
                "distinct values"
            )
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
    def __init__(self, command: ast.Stats, budget: Budget) -> None:
        super().__init__()
        self.command = command
        self.budget = budget
        self.groups: dict[tuple[str | None, ...], tuple[list[Any], list[Accumulator]]] = {}

    def push(self, row: Row) -> bool:
        values = [evaluate(expr, row) for _, expr in self.command.groups]
        key = tuple(None if v is None else text(v) for v in values)
        group = self.groups.get(key)
        if group is None:
            if len(self.groups) >= MAX_GROUPS:
                raise TooLarge(
                    f"Query exceeded the memory limit: stats made more than {MAX_GROUPS} groups"
                )
            group = (values, [Accumulator(a.name, self.budget) for a in self.command.aggregates])
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


class _Descending:
    """A text's chunks ordering the other way (numbers are negated instead, so most
    comparisons stay in C)."""

    __slots__ = ("key",)

    def __init__(self, key: tuple[Any, ...]) -> None:
        self.key = key

    def __lt__(self, other: _Descending) -> bool:
        return other.key < self.key

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Descending) and self.key == other.key

    __hash__ = None  # type: ignore[assignment]


_BY_KEY = operator.itemgetter(0)


class _Sort(_Stage):
    """Rows in the keys' order (absent values last, either way; ties in arrival
    order). ``keep`` None: every row is kept."""

    def __init__(self, command: ast.Sort, keep: int | None, budget: Budget) -> None:
        super().__init__()
        self.keys = command.keys
        self.keep = keep
        self.budget = budget
        self.rows: list[tuple[tuple[Any, ...], Row, int]] = []
        self.seen = 0

    def _key(self, row: Row) -> tuple[Any, ...]:
        parts: list[Any] = []
        for key in self.keys:
            value = row[key.written] if key.written in row else evaluate(key.expr, row)
            if value is None:
                parts.append((1,))
            elif key.descending:
                kind, nan, found, chunks = sort_key(value)
                parts.append((0, -kind, -nan, -found, _Descending(chunks) if chunks else ()))
            else:
                parts.append((0, *sort_key(value)))
        parts.append(self.seen)
        return tuple(parts)

    def push(self, row: Row) -> bool:
        size = row_size(row)
        self.budget.hold(size)
        self.rows.append((self._key(row), row, size))
        self.seen += 1
        if self.keep is not None and len(self.rows) >= self.keep + max(self.keep, 1000):
            self._trim(self.keep)
        return True

    def _trim(self, keep: int) -> None:
        if 4 * keep <= len(self.rows):
            kept = heapq.nsmallest(keep, self.rows, key=_BY_KEY)
        else:  # keeping most of them: a sort (comparing in C) is quicker than a heap
            kept = sorted(self.rows, key=_BY_KEY)[:keep]
        self.budget.release(sum(size for _, _, size in self.rows) - sum(s for _, _, s in kept))
        self.rows = kept

    def end(self) -> None:
        assert self.next is not None
        if self.keep is not None:
            self._trim(self.keep)  # in order
        else:
            self.rows.sort(key=_BY_KEY)
        for _, row, size in self.rows:
            self.budget.release(size)
            if not self.next.push(row):
                break
        self.rows = []
        super().end()


class _Sink(_Stage):
    def __init__(self, cap: int, budget: Budget) -> None:
        super().__init__()
        self.cap = cap
        self.budget = budget
        self.rows: list[Row] = []

    def push(self, row: Row) -> bool:
        self.budget.hold(row_size(row))
        self.rows.append(row)
        return len(self.rows) < self.cap


class Execution:
    """One run of a query: ``push`` rows, then ``finish``."""

    def __init__(self, query: ast.Query, cap: int) -> None:
        self.columns: list[str] | None = None
        self.aggregated = False
        self.budget = Budget()
        self.counter = _Count()
        self.sink = _Sink(cap, self.budget)
        stages: list[_Stage] = []
        counted = False
        for index, command in enumerate(query.commands):
            if isinstance(command, ast.Stats | ast.Sort) and not counted:
                stages.append(self.counter)
                counted = True
            stages.append(self._stage(command, cap, query.commands[index + 1 :]))
        if not counted:
            stages.append(self.counter)
        stages.append(self.sink)
        for before, after in itertools.pairwise(stages):
            before.next = after
        self.head = stages[0]
        self.done = False
        #: Whether rows reach the results as they come (no ``stats`` or ``sort``
        #: holding them back), so the results so far are worth showing.
        self.streaming = not any(isinstance(c, ast.Stats | ast.Sort) for c in query.commands)

    def _stage(self, command: ast.Command, cap: int, following: Sequence[ast.Command]) -> _Stage:
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
            keep = None
            if all(isinstance(c, _KEEPS_ROWS) for c in following):
                keep = min([cap, *(c.count for c in following if isinstance(c, ast.Limit))])
            return _Sort(command, keep, self.budget)
        assert isinstance(command, ast.Stats)
        self.aggregated = True
        self.columns = [name for name, _ in command.groups] + [n for n, _ in command.columns]
        return _Stats(command, self.budget)

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
        return self._render(self.sink.rows)

    def partial(self) -> list[list[tuple[str, str]]]:
        """The results so far, while rows are still pushed: those that reached the
        results, for a query that shows rows as they come (none for one that sorts or
        aggregates: its rows come at the end)."""
        return self._render(self.sink.rows) if self.streaming else []

    def _render(self, rows: Sequence[Row]) -> list[list[tuple[str, str]]]:
        columns = list(self.columns) if self.columns is not None else list(DEFAULT_COLUMNS)
        results = []
        for row in rows:
            pairs = [(c, text(row[c])) for c in columns if row.get(c) is not None]
            if not self.aggregated and row.get("@ptr") is not None and "@ptr" not in columns:
                pairs.append(("@ptr", str(row["@ptr"])))
            results.append(pairs)
        return results
