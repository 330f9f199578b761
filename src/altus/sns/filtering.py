"""Subscription filter policies: checked as SNS checks them, matched with the event
pattern language (``altus.events.patterns``), of which SNS's filter policies are a
subset.

What SNS adds to the language's own checks (whose refusals are event-ruler's texts, as
SNS's are: ``Unrecognized match type wrong-operator``):

- at most five keys (the fields that have value arrays) and 150 combinations (the
  product of the value arrays' lengths, a ``$or`` adding its branches'): ``Filter
  policy can not have more than 5 keys``, ``Filter policy is too complex``;
- numbers within ±1e9 with at most five decimals (EventBridge allows ±5e9 and six);
- no ``wildcard`` (an EventBridge operator SNS does not know);
- with the ``MessageAttributes`` scope (the default), no nesting: ``Filter policy scope
  MessageAttributes does not support nested filter policy``.

A message is matched as an event built from its attributes (String as a string, Number
as a number, String.Array as its JSON array, Binary not at all), or, with the
``MessageBody`` scope, its body parsed as JSON (a body that is no JSON object matches
only a policy that needs no field).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from altus.events.patterns import Pattern, PatternError
from altus.sns.model import Attributes

ATTRIBUTES_SCOPE = "MessageAttributes"
BODY_SCOPE = "MessageBody"
SCOPES = (ATTRIBUTES_SCOPE, BODY_SCOPE)
MAX_KEYS = 5
MAX_COMBINATIONS = 150
NUMERIC_LIMIT = Decimal(1_000_000_000)
MAX_DECIMALS = 5
MAX_POLICY_BYTES = 256 * 1024
NESTED = "Filter policy scope MessageAttributes does not support nested filter policy"


class PolicyError(ValueError):
    """A filter policy SNS refuses; ``str`` is the reason (after ``FilterPolicy: ``),
    ``nested`` is the refusal SNS words without that prefix."""

    def __init__(self, reason: str, *, nested: bool = False) -> None:
        super().__init__(reason)
        self.nested = nested


def is_empty(text: str) -> bool:
    """Setting a policy of nothing, or ``{}``, removes the subscription's policy."""
    return text.strip() in ("", "{}")


def check(text: str, scope: str) -> None:
    """Raise PolicyError unless ``text`` is a filter policy SNS takes for ``scope``."""
    if len(text.encode()) > MAX_POLICY_BYTES:
        raise PolicyError("Filter policy is too large")
    try:
        document = json.loads(text, parse_float=Decimal)
    except RecursionError:
        raise PolicyError("Filter policy is nested too deeply") from None
    except ValueError as error:
        raise PolicyError(f"failed to parse JSON. {error}") from None
    if not isinstance(document, dict):
        raise PolicyError("Filter is not an object")
    _refuse_unknown(document)
    try:
        Pattern.parse(text)
    except PatternError as error:
        raise PolicyError(str(error)) from None
    if scope == ATTRIBUTES_SCOPE and _nested(document):
        raise PolicyError(NESTED, nested=True)
    keys, combinations = _measure(document)
    if keys > MAX_KEYS:
        raise PolicyError(f"Filter policy can not have more than {MAX_KEYS} keys")
    if combinations > MAX_COMBINATIONS:
        raise PolicyError("Filter policy is too complex")


def _refuse_unknown(document: Mapping[str, Any]) -> None:
    """What EventBridge's language takes but SNS does not: ``wildcard``, and numbers
    past SNS's range and precision. Objects of the policy (and ``$or`` branches) are
    fields; objects inside a value array are match expressions."""
    fields: list[Mapping[str, Any]] = [document]
    while fields:
        for key, value in fields.pop().items():
            if key == "$or" and isinstance(value, list):
                fields.extend(b for b in value if isinstance(b, dict))
            elif isinstance(value, dict):
                fields.append(value)
            elif isinstance(value, list):
                for element in value:
                    if isinstance(element, dict) and "wildcard" in element:
                        raise PolicyError("Unrecognized match type wildcard")
                    _check_numbers(element)


def _check_numbers(element: Any) -> None:
    """The numbers of a value array's element (an operand list's too)."""
    values = element.values() if isinstance(element, dict) else [element]
    for value in values:
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, int | Decimal) and not isinstance(item, bool):
                _check_number(item)


def _check_number(value: int | Decimal) -> None:
    exact = Decimal(value)
    exponent = exact.normalize().as_tuple().exponent
    if isinstance(exponent, int) and exponent < -MAX_DECIMALS:
        raise PolicyError(f"Only values upto {MAX_DECIMALS} decimals are supported")
    if not exact.is_finite() or abs(exact) > NUMERIC_LIMIT:
        raise PolicyError("Value must be between -1.0E9 and 1.0E9, inclusive")


def _nested(document: Mapping[str, Any]) -> bool:
    for key, value in document.items():
        if key == "$or" and isinstance(value, list):
            if any(isinstance(b, dict) and _nested(b) for b in value):
                return True
        elif isinstance(value, dict):
            return True
    return False


def _measure(document: Mapping[str, Any]) -> tuple[int, int]:
    """(keys, combinations) of a policy object: each value array is a key and
    multiplies the combinations by its length; a ``$or`` multiplies them by the sum of
    its branches'."""
    keys, combinations = 0, 1
    for key, value in document.items():
        if key == "$or" and isinstance(value, list):
            branches = [_measure(b) for b in value if isinstance(b, dict)]
            keys += sum(k for k, _ in branches)
            combinations *= max(sum(c for _, c in branches), 1)
        elif isinstance(value, dict):
            inner_keys, inner = _measure(value)
            keys += inner_keys
            combinations *= inner
        elif isinstance(value, list):
            keys += 1
            combinations *= max(len(value), 1)
        combinations = min(combinations, MAX_COMBINATIONS + 1)
    return keys, combinations


# --- matching ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FilterPolicy:
    pattern: Pattern
    scope: str

    def matches(self, text: str, attributes: Attributes) -> bool:
        """Whether a message with this body and these attributes passes."""
        if self.scope == BODY_SCOPE:
            try:
                body = json.loads(text)
            except (ValueError, RecursionError):
                body = None
            return self.pattern.matches(body if isinstance(body, dict) else {})
        return self.pattern.matches(attribute_event(attributes))


@functools.lru_cache(maxsize=1024)
def compiled(text: str, scope: str) -> FilterPolicy:
    """A stored (already checked) policy, parsed once."""
    return FilterPolicy(Pattern.parse(text), scope)


def attribute_event(attributes: Attributes) -> dict[str, Any]:
    """What an attribute-scope policy sees of a message: each attribute by its name, as
    the value its data type makes it (Binary ones left out: they never match)."""
    event: dict[str, Any] = {}
    for name, attribute in attributes.items():
        kind, value = attribute.get("Type", ""), attribute.get("Value", "")
        if kind == "String.Array":
            try:
                parsed = json.loads(value)
            except (ValueError, RecursionError):
                continue
            if isinstance(parsed, list):
                event[name] = parsed
        elif kind.startswith("Number"):
            number = _number(value)
            if number is not None:
                event[name] = number
        elif kind.startswith("String"):
            event[name] = value
    return event


def _number(text: str) -> int | float | None:
    try:
        exact = Decimal(text)
    except InvalidOperation:
        return None
    if not exact.is_finite():
        return None
    return int(exact) if exact == exact.to_integral_value() else float(exact)
