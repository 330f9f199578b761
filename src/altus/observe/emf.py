"""CloudWatch's embedded metric format (EMF): metrics written as JSON log lines.

A log event is an EMF document when it is a JSON object (on Lambda, possibly after the
runtime's own prefix: timestamp, request id, level) whose ``_aws`` member holds a
``Timestamp`` (epoch milliseconds) and ``CloudWatchMetrics``: directives naming a
``Namespace``, ``Dimensions`` (sets of root members whose string values are the
dimensions; a set may be empty) and ``Metrics`` (``Name``, optional ``Unit`` and
``StorageResolution``) whose values are root members, a number or an array of numbers.
Every dimension set of a directive makes a series of each of its metrics.

As CloudWatch Logs does, a document that breaks the specification yields no metric at
all (the log event itself is kept as it was): a missing or mistyped member, a dimension
that is not a string, a metric value that is not numeric, a unit CloudWatch does not
know, more than 100 metrics in a directive or values in an array, more than 30 keys in a
dimension set, a document over 256 KB (a log event's limit), a namespace beginning
``AWS/`` (reserved for AWS's own metrics: CloudWatch refuses customer metrics there), a
``Timestamp`` more than 14 days before or 2 hours after the time it is read
(PutMetricData's rule). Altus adds one limit of its own, so that the
work a document costs stays proportional to its size: at most ``MAX_SERIES`` series (its
distinct dimension sets x its metrics) a document. ``parse`` is pure (the time is given):
it never raises on any input.
"""

from __future__ import annotations

import json
import math
from typing import Any, TypeGuard

from altus.observe.metrics import Aggregate, SeriesKey, Statistics

#: A quick test a log message must pass before it is parsed.
MARKER = '"_aws"'

UNITS = frozenset(
    {
        "Seconds",
        "Microseconds",
        "Milliseconds",
        "Bytes",
        "Kilobytes",
        "Megabytes",
        "Gigabytes",
        "Terabytes",
        "Bits",
        "Kilobits",
        "Megabits",
        "Gigabits",
        "Terabits",
        "Percent",
        "Count",
        "Bytes/Second",
        "Kilobytes/Second",
        "Megabytes/Second",
        "Gigabytes/Second",
        "Terabytes/Second",
        "Bits/Second",
        "Kilobits/Second",
        "Megabits/Second",
        "Gigabits/Second",
        "Terabits/Second",
        "Count/Second",
        "None",
    }
)
MAX_METRICS = 100
MAX_VALUES = 100
MAX_DIMENSIONS = 30
MAX_NAME = 1024
MAX_DIMENSION_VALUE = 1024
#: Series one document may make (distinct dimension sets x metrics, over its
#: directives): altus's own bound on the work one log line can cause.
MAX_SERIES = 1000
#: CloudWatch Logs' limit on one log event (and so on an EMF document), in bytes.
MAX_DOCUMENT = 256 * 1024
#: Namespaces customers may not publish into.
RESERVED_PREFIX = "AWS/"
#: How far a timestamp may lie before / after now (PutMetricData's rule), in seconds.
MAX_AGE = 14 * 86400
MAX_AHEAD = 2 * 3600


class _Invalid(Exception):
    """The document breaks the specification: none of its metrics count."""


def looks_like(message: str) -> bool:
    """Cheap: whether ``message`` may be an EMF document (worth parsing)."""
    return MARKER in message


def parse(message: str, now: float) -> list[Aggregate]:
    """The metrics of one log message, read at ``now`` (epoch seconds): one aggregate
    per series (directive, dimension set, metric); none if the message is not a valid
    EMF document."""
    start = message.find("{")
    if start < 0 or MARKER not in message or len(message) > MAX_DOCUMENT:
        return []
    try:
        root = json.loads(message[start:])
    except (ValueError, RecursionError):
        return []
    if not isinstance(root, dict):
        return []
    try:
        return _extract(root, now)
    except _Invalid:
        return []


def _extract(root: dict[str, Any], now: float) -> list[Aggregate]:
    meta = root.get("_aws")
    if not isinstance(meta, dict):
        raise _Invalid
    timestamp = meta.get("Timestamp")
    directives = meta.get("CloudWatchMetrics")
    if not _is_number(timestamp) or not isinstance(directives, list):
        raise _Invalid
    seconds = float(timestamp) / 1000
    if not now - MAX_AGE <= seconds <= now + MAX_AHEAD:
        raise _Invalid
    second = int(seconds // 1)
    out: dict[tuple[SeriesKey, int], Aggregate] = {}
    series = 0
    for directive in directives:
        if not isinstance(directive, dict):
            raise _Invalid
        namespace = directive.get("Namespace")
        sets = directive.get("Dimensions")
        metrics = directive.get("Metrics")
        if not _is_name(namespace) or not isinstance(metrics, list):
            raise _Invalid
        assert isinstance(namespace, str)
        if namespace.startswith(RESERVED_PREFIX):
            raise _Invalid
        if not isinstance(sets, list) or not sets or len(metrics) > MAX_METRICS:
            raise _Invalid
        # A set named twice is one series (and costs its work once).
        dimension_sets = list(dict.fromkeys(_dimensions(root, keys) for keys in sets))
        series += len(dimension_sets) * len(metrics)
        if series > MAX_SERIES:
            raise _Invalid
        for definition in metrics:
            name, unit, resolution = _definition(definition)
            # The values' statistics are worked out once and merged into each series.
            values = Statistics()
            for value in _values(root.get(name)):
                values.add(value)
            for dims in dimension_sets:
                key = SeriesKey(namespace, name, dims, unit)
                found = out.get((key, resolution))
                if found is None:
                    found = out[(key, resolution)] = Aggregate(
                        key, second, Statistics(), resolution
                    )
                found.values.merge(values)
    return list(out.values())


def _dimensions(root: dict[str, Any], keys: Any) -> tuple[tuple[str, str], ...]:
    if not isinstance(keys, list) or len(keys) > MAX_DIMENSIONS:
        raise _Invalid
    pairs: dict[str, str] = {}
    for key in keys:
        if not _is_name(key):
            raise _Invalid
        value = root.get(key)
        if not isinstance(value, str) or not 0 < len(value) <= MAX_DIMENSION_VALUE:
            raise _Invalid
        pairs[key] = value
    return tuple(sorted(pairs.items()))


def _definition(definition: Any) -> tuple[str, str, int]:
    if not isinstance(definition, dict):
        raise _Invalid
    name = definition.get("Name")
    unit = definition.get("Unit", "None")
    resolution = definition.get("StorageResolution", 60)
    if not _is_name(name) or unit not in UNITS:
        raise _Invalid
    assert isinstance(name, str)
    if isinstance(resolution, bool) or resolution not in (1, 60):
        raise _Invalid
    return name, unit, int(resolution)


def _values(target: Any) -> list[float]:
    if _is_number(target):
        return [float(target)]
    if (
        isinstance(target, list)
        and 0 < len(target) <= MAX_VALUES
        and all(_is_number(v) for v in target)
    ):
        return [float(v) for v in target]
    raise _Invalid


def _is_number(value: Any) -> TypeGuard[int | float]:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(float(value))
    )


def _is_name(value: Any) -> TypeGuard[str]:
    return isinstance(value, str) and 0 < len(value) <= MAX_NAME
