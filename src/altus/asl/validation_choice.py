"""Choice rules. A JSONPath rule is a boolean combination (``And``, ``Or``, ``Not``) or a
``Variable`` with exactly one comparison operator whose value has the operator's type; a
JSONata rule is a ``Condition``. Only the rules directly in ``Choices`` carry ``Next`` (and
``Assign``, ``Output``); AWS reports a top-level rule without it as ``These fields are
required: [Next] at /States/Choice/Choices[0]`` (recorded against AWS)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from altus.asl.definition import JSONATA, JSONPATH
from altus.asl.validation_context import Context, is_expression
from altus.asl.validation_fields import check_assign, check_language_fields
from altus.asl.validation_values import check_jsonata, check_reference_path

_STRING: tuple[str, ...] = ("StringEquals", "StringLessThan", "StringGreaterThan")
_STRING += ("StringLessThanEquals", "StringGreaterThanEquals")
_NUMERIC: tuple[str, ...] = ("NumericEquals", "NumericLessThan", "NumericGreaterThan")
_NUMERIC += ("NumericLessThanEquals", "NumericGreaterThanEquals")
_TIMESTAMP: tuple[str, ...] = ("TimestampEquals", "TimestampLessThan", "TimestampGreaterThan")
_TIMESTAMP += ("TimestampLessThanEquals", "TimestampGreaterThanEquals")
_TESTS = ("IsNull", "IsPresent", "IsNumeric", "IsString", "IsBoolean", "IsTimestamp")

#: Each comparison operator and the JSON type of its value (PATH: a reference path).
OPERATORS: Mapping[str, str] = {
    **dict.fromkeys(_STRING, "STRING"),
    "StringMatches": "STRING",
    **dict.fromkeys(_NUMERIC, "NUMBER"),
    "BooleanEquals": "BOOLEAN",
    **dict.fromkeys(_TIMESTAMP, "TIMESTAMP"),
    **dict.fromkeys(_TESTS, "BOOLEAN"),
    **{f"{name}Path": "PATH" for name in (*_STRING, *_NUMERIC, *_TIMESTAMP, "BooleanEquals")},
}
_COMBINATORS = ("And", "Or", "Not")
_TOP_ONLY = frozenset(("Next", "Assign", "Output"))
_JSONPATH_RULE = frozenset(("Variable", "Comment", *OPERATORS, *_COMBINATORS))
_JSONATA_RULE = frozenset(("Condition", "Comment"))

_TIMESTAMP_TEXT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")


def is_timestamp(value: object) -> bool:
    """An RFC 3339 timestamp with an uppercase ``T`` and a ``Z`` or an offset, as the
    States Language requires (``2016-03-14T01:59:00Z``)."""
    if not isinstance(value, str) or not _TIMESTAMP_TEXT.fullmatch(value):
        return False
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def check_choice(ctx: Context, state: Mapping[str, Any], language: str, location: str) -> None:
    if "Default" in state:
        ctx.type_is(state["Default"], "STRING", f"{location}/Default")
    if not ctx.required(state, ("Choices",), location):
        return
    choices = state["Choices"]
    here = f"{location}/Choices"
    if not ctx.type_is(choices, "ARRAY", here):
        return
    if not choices:
        ctx.error("Minimum number of items is 1", here)
    for index, rule in enumerate(choices):
        _check_rule(ctx, rule, language, f"{here}[{index}]", top=True)


def _check_rule(ctx: Context, rule: object, language: str, location: str, top: bool) -> None:
    if not ctx.type_is(rule, "OBJECT", location):
        return
    assert isinstance(rule, Mapping)
    allowed = _JSONATA_RULE if language == JSONATA else _JSONPATH_RULE
    if top:
        allowed = allowed | _TOP_ONLY
    # A field of the other language is reported by the language check, not as unknown.
    other = "Variable" if language == JSONATA else "Condition"
    ctx.allowed({name: None for name in rule if name != other}, allowed, location)
    check_language_fields(ctx, rule, language, location)
    if top:
        if ctx.required(rule, ("Next",), location):
            ctx.type_is(rule["Next"], "STRING", f"{location}/Next")
        if "Assign" in rule:
            check_assign(ctx, rule["Assign"], language, f"{location}/Assign")
        if language == JSONATA:
            for name in ("Output", "Assign"):
                if name in rule:
                    check_jsonata(ctx, rule[name], f"{location}/{name}")
    if language == JSONATA:
        if ctx.required(rule, ("Condition",), location):
            condition = rule["Condition"]
            if not isinstance(condition, bool) and not is_expression(condition):
                ctx.error(
                    "The field 'Condition' must be a boolean or a JSONata expression",
                    f"{location}/Condition",
                )
            check_jsonata(ctx, condition, f"{location}/Condition")
        return
    if "Condition" not in rule:
        _check_jsonpath_rule(ctx, rule, location)


def _check_jsonpath_rule(ctx: Context, rule: Mapping[str, Any], location: str) -> None:
    combinators = [name for name in _COMBINATORS if name in rule]
    operators = [name for name in OPERATORS if name in rule]
    if len(combinators) + len(operators) != 1:
        found = ", ".join(combinators + operators)
        ctx.error(
            "A Choice Rule must have exactly one comparison operator or one of [And, Or, Not]"
            + (f", found [{found}]" if found else ""),
            location,
        )
    for name in combinators:
        here = f"{location}/{name}"
        value = rule[name]
        if name == "Not":
            _check_rule(ctx, value, JSONPATH, here, top=False)
            continue
        if not ctx.type_is(value, "ARRAY", here):
            continue
        if not value:
            ctx.error("Minimum number of items is 1", here)
        for index, nested in enumerate(value):
            _check_rule(ctx, nested, JSONPATH, f"{here}[{index}]", top=False)
    if combinators and "Variable" in rule:
        ctx.error("Field 'Variable' is not supported", location)
    if not operators:
        return
    if ctx.required(rule, ("Variable",), location):
        check_reference_path(ctx, rule["Variable"], "Variable", f"{location}/Variable")
    for name in operators:
        _check_operand(ctx, name, rule[name], f"{location}/{name}")


def _check_operand(ctx: Context, operator: str, value: object, location: str) -> None:
    expected = OPERATORS[operator]
    if expected == "PATH":
        check_reference_path(ctx, value, operator, location)
    elif expected == "TIMESTAMP":
        if ctx.type_is(value, "STRING", location) and not is_timestamp(value):
            ctx.error(f"The value for the field '{operator}' must be a valid timestamp", location)
    else:
        ctx.type_is(value, expected, location)
