"""What a target receives: the whole event, a constant (``Input``), the part of the event
a JSONPath selects (``InputPath``), or an ``InputTransformer``'s template filled from the
event. Pure code.

JSONPath: the subset EventBridge evaluates (its guide, eb-transform-target-input): ``$``,
dot-separated names (dashes, underscores, slashes, any non-dot character), ``[n]``
indexes and ``['name']`` brackets. A path that selects nothing is undefined.

Templates (the API reference's InputTransformer examples): a template that is a JSON
object or array (it starts with ``{`` or ``[``) gets each ``<var>`` outside a string as
the value's JSON (strings quoted; an undefined one as ``null``, so the result stays
JSON), and each ``<var>`` inside a string as the value's text JSON-escaped (a string
without its quotes; anything else as its JSON), so the result stays JSON whatever the
event holds. PutTargets refuses a JSON template that cannot become JSON, and one using a
placeholder as an object key (``check_template``). Any other template is text: each
``<var>`` becomes the value's text, so ``"<a> is <b>"`` (quoted) yields a JSON string and
``<a> is <b>`` bare text. Undefined values in text are empty. Placeholders naming no
variable are left as written.

The predefined variables: ``aws.events.rule-arn``, ``aws.events.rule-name``,
``aws.events.event.ingestion-time`` (ISO 8601), ``aws.events.event`` (the event without
``detail``) and ``aws.events.event.json`` (the whole event).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, Final

_MISSING: Final = object()
_PLACEHOLDER = re.compile(r"<([A-Za-z0-9_.\-]+)>")
_STEP = re.compile(r"\.([^.\[\]]+)|\[(\d+)\]|\['([^']*)'\]|\[\"([^\"]*)\"\]|\.?\[\*\]|\.\*")
#: Variable names InputPathsMap may not define (EventBridge's predefined ones).
RESERVED_PREFIX = "aws."
PREDEFINED: Final = (
    "aws.events.rule-arn",
    "aws.events.rule-name",
    "aws.events.event.ingestion-time",
    "aws.events.event",
    "aws.events.event.json",
)


class PathError(ValueError):
    """A JSONPath this module cannot read."""


def _steps(path: str) -> list[str | int | None]:
    if not path.startswith("$"):
        raise PathError(path)
    steps: list[str | int | None] = []
    position = 1
    while position < len(path):
        found = _STEP.match(path, position)
        if found is None:
            raise PathError(path)
        name, index, single, double = found.groups()
        if index is not None:
            steps.append(int(index))
        elif name is not None:
            steps.append(name)
        elif single is not None or double is not None:
            steps.append(single if single is not None else double)
        else:
            steps.append(None)  # a wildcard: every element or member
        position = found.end()
    return steps


def check_path(path: str) -> bool:
    """Whether ``path`` is a JSONPath this module reads."""
    try:
        _steps(path)
    except PathError:
        return False
    return True


def select(document: Any, path: str) -> Any:
    """What ``path`` selects in ``document``; ``MISSING`` (``is_missing``) if nothing. A
    wildcard yields the list of what it selects in each member."""
    values = [document]
    wild = False
    for step in _steps(path):
        following: list[Any] = []
        for value in values:
            if step is None:
                wild = True
                if isinstance(value, list):
                    following.extend(value)
                elif isinstance(value, dict):
                    following.extend(value.values())
            elif isinstance(step, int):
                if isinstance(value, list) and step < len(value):
                    following.append(value[step])
            elif isinstance(value, dict) and step in value:
                following.append(value[step])
        values = following
    if wild:
        return values
    return values[0] if values else _MISSING


def is_missing(value: Any) -> bool:
    return value is _MISSING


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else _json(value)


def _escaped(value: Any) -> str:
    """The value's text as it may stand inside a JSON string (quotes, backslashes and
    control characters escaped)."""
    return json.dumps(_text(value), ensure_ascii=False)[1:-1]


def _structured(template: str) -> bool:
    return template.lstrip()[:1] in ("{", "[")


def variables(
    paths: Mapping[str, str],
    event: Mapping[str, Any],
    rule_arn: str,
    ingestion_time: str,
) -> dict[str, Any]:
    """The template's variables: each of ``paths`` read from the event, and the
    predefined ones (which no path may replace)."""
    found: dict[str, Any] = {name: select(event, path) for name, path in paths.items()}
    found["aws.events.rule-arn"] = rule_arn
    found["aws.events.rule-name"] = rule_arn.rsplit("/", 1)[-1]
    found["aws.events.event.ingestion-time"] = ingestion_time
    found["aws.events.event"] = {k: v for k, v in event.items() if k != "detail"}
    found["aws.events.event.json"] = dict(event)
    return found


def fill(template: str, values: Mapping[str, Any]) -> str:
    """The template with its placeholders replaced, by the rules above."""
    structured = _structured(template)
    out: list[str] = []
    in_string = False
    position = 0
    while position < len(template):
        char = template[position]
        if char == "<":
            found = _PLACEHOLDER.match(template, position)
            if found is not None and found.group(1) in values:
                value = values[found.group(1)]
                missing = value is _MISSING
                if structured and not in_string:
                    out.append("null" if missing else _json(value))
                elif structured:
                    out.append("" if missing else _escaped(value))
                else:
                    out.append("" if missing else _text(value))
                position = found.end()
                continue
        if structured:
            if char == "\\" and in_string and position + 1 < len(template):
                out.append(template[position : position + 2])
                position += 2
                continue
            if char == '"':
                in_string = not in_string
        out.append(char)
        position += 1
    return "".join(out)


def check_template(template: str, paths: Mapping[str, str]) -> str | None:
    """Why a JSON template (one starting with ``{`` or ``[``) cannot make JSON input,
    else None: a placeholder used as an object key (the API reference's restriction), or
    a template that is not JSON once its placeholders are filled (a placeholder naming
    no variable stays as written, so it is refused here). Text templates are free."""
    if not _structured(template):
        return None
    names = {*paths, *PREDEFINED}
    in_string = False
    position = 0
    while position < len(template):
        char = template[position]
        if char == "\\" and in_string:
            position += 2
            continue
        if char == '"':
            in_string = not in_string
        elif char == "<" and not in_string:
            found = _PLACEHOLDER.match(template, position)
            if found is not None and found.group(1) in names:
                rest = template[found.end() :].lstrip()
                if rest.startswith(":"):
                    return f"the placeholder <{found.group(1)}> cannot be used as an object key."
                position = found.end()
                continue
        position += 1
    try:
        json.loads(fill(template, dict.fromkeys(names, "")))
    except ValueError:
        return "the template is not valid JSON once its placeholders are filled."
    return None


def target_input(
    target: Mapping[str, Any],
    event: Mapping[str, Any],
    event_text: str,
    rule_arn: str,
    ingestion_time: str,
) -> str | None:
    """What ``target`` (the model's Target members) receives for ``event``; None: the
    event itself (``event_text``)."""
    if target.get("Input") is not None:
        return str(target["Input"])
    if target.get("InputPath") is not None:
        selected = select(event, str(target["InputPath"]))
        return "null" if selected is _MISSING else _json(selected)
    transformer = target.get("InputTransformer")
    if transformer is not None:
        values = variables(transformer.get("InputPathsMap") or {}, event, rule_arn, ingestion_time)
        return fill(str(transformer["InputTemplate"]), values)
    return None
