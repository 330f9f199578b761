"""A Map's items: from its input (``ItemsPath``, ``Items``), each through ``ItemSelector``;
for a distributed Map also parsed from what its ``ItemReader`` read (JSON, JSON Lines,
CSV with its header options) and grouped by its ``ItemBatcher``."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from typing import Any

from altus.asl import context as asl_context
from altus.asl import errors
from altus.asl.errors import StatesError
from altus.asl.interpreter import events
from altus.asl.interpreter.dataflow import DataFlow
from altus.asl.interpreter.failures import Fatal
from altus.asl.interpreter.frames import Visit

_DELIMITERS = {"COMMA": ",", "PIPE": "|", "SEMICOLON": ";", "SPACE": " ", "TAB": "\t"}


def from_input(flow: DataFlow, effective: Any) -> list[Any]:
    """The items the state's input holds."""
    state = flow.state
    if flow.jsonata:
        items = (
            flow.expression(state["Items"], "Items", input=flow.visit.input)
            if "Items" in state
            else flow.visit.input
        )
    elif "ItemsPath" in state:
        items = flow.read(state["ItemsPath"], effective, "ItemsPath")
    else:
        items = effective
    if not isinstance(items, list):
        field = "Items" if flow.jsonata else "ItemsPath"
        raise Fatal(
            flow.visit.error(
                StatesError(
                    errors.RUNTIME,
                    f"Map state input must be an array, but the value of the field '{field}' "
                    f"is not: {events.text(items)}",
                )
            )
        )
    return items


def select(visit: Visit, retries: int, index: int, item: Any) -> Any:
    """``item`` through ``ItemSelector`` (or the older ``Parameters``), which sees
    ``$$.Map.Item`` = ``{Index, Value}``."""
    state = visit.state
    field = "ItemSelector" if "ItemSelector" in state else "Parameters"
    if field not in state:
        return item
    context = asl_context.context_object(
        visit.run.info,
        state_name=visit.name,
        entered_time=visit.entered.timestamp,
        retry_count=retries,
        map_item=(index, item),
    )
    flow = DataFlow(visit, context)
    if flow.jsonata:
        return flow.expression(state[field], field, input=visit.input)
    return flow.template(state[field], flow.effective_input(), field)


class ReaderError(Exception):
    """What the reader read is not what its ``ReaderConfig`` says."""


def parse(body: Any, config: Mapping[str, Any]) -> list[Any]:
    """The items of an object's ``body`` read as ``config["InputType"]``."""
    kind = config.get("InputType", "JSON")
    if kind == "JSON":
        value = json.loads(body) if isinstance(body, str) else body
        if not isinstance(value, list):
            raise ReaderError("Attempting to map over non-iterable node.")
        return value
    if kind == "JSONL":
        return [json.loads(line) for line in str(body).splitlines() if line.strip()]
    if kind == "CSV":
        return _csv(str(body), config)
    raise ReaderError(f"The InputType '{kind}' is not supported here.")


def _csv(body: str, config: Mapping[str, Any]) -> list[Any]:
    delimiter = _DELIMITERS.get(str(config.get("CSVDelimiter", "COMMA")), ",")
    rows = list(csv.reader(io.StringIO(body), delimiter=delimiter))
    if config.get("CSVHeaderLocation", "FIRST_ROW") == "GIVEN":
        header = list(config.get("CSVHeaders", []))
    else:
        if not rows:
            return []
        header, rows = rows[0], rows[1:]
    items = []
    for row in rows:
        if not row:
            continue
        if len(row) > len(header):
            raise ReaderError("The number of fields in a row exceeds the number of headers.")
        items.append({name: (row[i] if i < len(row) else "") for i, name in enumerate(header)})
    return items


def batches(
    items: list[Any],
    *,
    max_items: int | None,
    max_bytes: int | None,
    batch_input: Any,
) -> list[dict[str, Any]]:
    """``items`` grouped: each batch ``{"BatchInput": ..., "Items": [...]}`` of at most
    ``max_items`` items and ``max_bytes`` bytes of JSON."""
    grouped: list[dict[str, Any]] = []
    current: list[Any] = []

    def closed(group: list[Any]) -> dict[str, Any]:
        batch: dict[str, Any] = {}
        if batch_input is not None:
            batch["BatchInput"] = batch_input
        batch["Items"] = group
        return batch

    for item in items:
        candidate = [*current, item]
        too_many = max_items is not None and len(candidate) > max_items
        too_big = max_bytes is not None and len(events.text(closed(candidate)).encode()) > max_bytes
        if current and (too_many or too_big):
            grouped.append(closed(current))
            current = [item]
        else:
            current = candidate
    if current:
        grouped.append(closed(current))
    return grouped
