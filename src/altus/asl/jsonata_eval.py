"""Field values of the JSONata query language: a string that is wholly ``{% expr %}`` is
a JSONata 2 expression, evaluated with ``$states`` (``input``, ``result``,
``errorOutput``, ``context``) and every workflow variable bound by name; objects and
arrays are walked; any other value is itself.

Step Functions adds ``$partition``, ``$range``, ``$hash``, ``$random([seed])``, ``$uuid()``
and ``$parse`` to the standard library and takes ``$eval`` away; they are bound here on
each evaluation (``$random`` and ``$uuid`` draw on the ``Chance`` given).

jsonata-python stands for JavaScript's JSONata, with two differences smoothed over here:
it returns Python floats for integral results (``6/2`` is ``3.0``; Step Functions prints
``3``), and it reads a JSON ``null`` in its input as "no value" unless the input carries
its own null marker, so inputs are converted to that marker and back.

Failures are ``StatesError("States.QueryEvaluationError", cause)`` with AWS's sentences
(the interpreter prefixes "An error occurred while executing the state ..."):

- "The JSONata expression '<expr>' specified for the field '<field>' returned nothing
  (undefined)." for an expression with no result;
- "The JSONata expression '<expr>' specified for the field '<field>' threw an error during
  evaluation. <CODE>: <message>" for a JSONata error (``T0410``, ``D3001``...), and
  "...during evaluation: <message>" for one without a code.

``field`` names where the value sits, nested with ``/key`` and ``[index]`` as AWS writes
it (``Output/a/b``, ``Arguments/Items[0]``)."""

from __future__ import annotations

import functools
import hashlib
import json
import math
import random
import re
from collections.abc import Callable, Mapping
from typing import Any

import jsonata
from jsonata import jexception, utils

from altus.asl.context import Chance
from altus.asl.errors import QUERY_EVALUATION_ERROR, StatesError

HASH_ALGORITHMS = {
    "MD5": "md5",
    "SHA-1": "sha1",
    "SHA-256": "sha256",
    "SHA-384": "sha384",
    "SHA-512": "sha512",
}
#: Integral floats beyond this are left as floats (they lost their precision anyway).
_EXACT = 2**53


def is_expression(value: Any) -> bool:
    """Whether ``value`` is a JSONata expression field: a string ``{% ... %}``."""
    return (
        isinstance(value, str)
        and len(value) >= 4
        and value.startswith("{%")
        and value.endswith("%}")
    )


def evaluate(
    value: Any,
    *,
    states: Mapping[str, Any],
    variables: Mapping[str, Any],
    chance: Chance,
    field: str,
) -> Any:
    """The value of the field ``field`` whose definition is ``value`` (see the module)."""
    if not _has_expression(value):
        return value
    bindings = _bindings(states, variables, chance)
    return _walk(value, bindings, field)


def _has_expression(value: Any) -> bool:
    if isinstance(value, str):
        return is_expression(value)
    if isinstance(value, dict):
        return any(_has_expression(item) for item in value.values())
    if isinstance(value, list):
        return any(_has_expression(item) for item in value)
    return False


def _walk(value: Any, bindings: dict[str, Any], field: str) -> Any:
    if isinstance(value, str):
        return _expression(value, bindings, field) if is_expression(value) else value
    if isinstance(value, dict):
        return {key: _walk(item, bindings, f"{field}/{key}") for key, item in value.items()}
    if isinstance(value, list):
        return [_walk(item, bindings, f"{field}[{index}]") for index, item in enumerate(value)]
    return value


def _expression(value: str, bindings: dict[str, Any], field: str) -> Any:
    text = value[2:-2].strip()
    opening = f"The JSONata expression '{text}' specified for the field '{field}'"
    try:
        result = _compiled(text).evaluate(None, bindings)
    except jexception.JException as problem:
        raise StatesError(
            QUERY_EVALUATION_ERROR,
            f"{opening} threw an error during evaluation. {_message(problem)}",
        ) from None
    except _FunctionError as problem:
        raise StatesError(
            QUERY_EVALUATION_ERROR, f"{opening} threw an error during evaluation: {problem}"
        ) from None
    except RecursionError:
        raise StatesError(
            QUERY_EVALUATION_ERROR,
            f"{opening} threw an error during evaluation: the expression nests too deep",
        ) from None
    if result is None:
        raise StatesError(QUERY_EVALUATION_ERROR, f"{opening} returned nothing (undefined).")
    return _from_jsonata(result)


class _Unparsable:
    """A compiled expression that failed to parse: evaluating it raises the parse error."""

    def __init__(self, problem: jexception.JException) -> None:
        self.problem = problem

    def evaluate(self, data: Any, bindings: Mapping[str, Any]) -> Any:
        raise self.problem


@functools.lru_cache(maxsize=2048)
def _compiled(text: str) -> Any:
    """The parsed expression (parsing costs more than most evaluations)."""
    try:
        compiled = jsonata.Jsonata(text)
    except jexception.JException as problem:
        return _Unparsable(problem)
    compiled.set_output_convert_nulls(False)
    return compiled


def _message(problem: jexception.JException) -> str:
    """``<CODE>: <message>`` as jsonata-js words it (jsonata-python's catalogue says
    "Object" where jsonata-js says "function")."""
    message = re.sub(r"\bObject\b", "function", str(problem))
    message = re.sub(r'of function (?!")(\S+)', r'of function "\1"', message)
    code = getattr(problem, "error", None)
    return f"{code}: {message}" if code else message


# --- values in and out ----------------------------------------------------------------------


def _to_jsonata(value: Any) -> Any:
    if value is None:
        return utils.Utils.NULL_VALUE
    if isinstance(value, dict):
        return {key: _to_jsonata(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_to_jsonata(item) for item in value]
    return value


def _from_jsonata(value: Any) -> Any:
    if value is utils.Utils.NULL_VALUE or value is None:
        return None
    if isinstance(value, bool | str):
        return value
    if isinstance(value, float):
        if value.is_integer() and abs(value) < _EXACT:
            return int(value)
        return value
    if isinstance(value, dict):
        return {key: _from_jsonata(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [_from_jsonata(item) for item in value if item is not None]
    if isinstance(value, int):
        return value
    # A function or another engine object is not JSON: like JSON.stringify, nothing.
    return None


# --- Step Functions' functions --------------------------------------------------------------


class _FunctionError(Exception):
    """A Step Functions function's complaint about its arguments."""


def _bindings(
    states: Mapping[str, Any], variables: Mapping[str, Any], chance: Chance
) -> dict[str, Any]:
    bindings: dict[str, Any] = {name: _to_jsonata(value) for name, value in variables.items()}
    bindings["states"] = _to_jsonata(dict(states))
    functions: dict[str, Callable[..., Any]] = {
        "partition": _partition,
        "range": _range,
        "hash": _hash,
        "random": lambda *seed: _random(chance, *seed),
        "uuid": lambda: chance.uuid(),
        "parse": _parse,
    }
    for name, implementation in functions.items():
        bindings[name] = jsonata.Jsonata.JLambda(implementation)
    # Not in Step Functions' JSONata: calling it is "Attempted to invoke a non-function".
    bindings["eval"] = None
    return bindings


def _plain(value: Any) -> Any:
    """An argument as plain JSON (None for JSON null or no value)."""
    return _from_jsonata(value)


def _number(value: Any, what: str) -> float:
    plain = _plain(value)
    if not isinstance(plain, int | float) or isinstance(plain, bool):
        raise _FunctionError(f"The {what} must be a number")
    return plain


def _integer(value: Any, what: str) -> int:
    number = _number(value, what)
    if isinstance(number, float) and not number.is_integer():
        raise _FunctionError(f"The {what} must be an integer")
    return int(number)


def _partition(array: Any = None, size: Any = None, *extra: Any) -> Any:
    items = _plain(array)
    if not isinstance(items, list):
        raise _FunctionError("The first argument of $partition must be an array")
    chunk = _integer(size, "chunk size of $partition")
    if chunk <= 0:
        raise _FunctionError("The chunk size of $partition must be a positive integer")
    return [_to_jsonata(items[start : start + chunk]) for start in range(0, len(items), chunk)]


def _range(start: Any = None, end: Any = None, step: Any = None, *extra: Any) -> Any:
    first = _number(start, "start of $range")
    last = _number(end, "end of $range")
    increment = _number(step, "step of $range")
    if increment == 0:
        raise _FunctionError("The step of $range must not be zero")
    count = max(0, math.floor((last - first) / increment) + 1)
    if count > 1000:
        raise _FunctionError("$range cannot generate more than 1000 items")
    return [first + increment * index for index in range(count)]


def _hash(data: Any = None, algorithm: Any = None, *extra: Any) -> Any:
    text = _plain(data)
    if not isinstance(text, str):
        raise _FunctionError("The first argument of $hash must be a string")
    name = _plain(algorithm)
    if name not in HASH_ALGORITHMS:
        supported = ", ".join(HASH_ALGORITHMS)
        raise _FunctionError(f"The algorithm of $hash must be one of {supported}")
    return hashlib.new(HASH_ALGORITHMS[name], text.encode()).hexdigest()


def _random(chance: Chance, *seed: Any) -> Any:
    if seed and _plain(seed[0]) is not None:
        return random.Random(_number(seed[0], "seed of $random")).random()
    return chance.random()


def _parse(text: Any = None, *extra: Any) -> Any:
    plain = _plain(text)
    if not isinstance(plain, str):
        raise _FunctionError("The argument of $parse must be a string")
    try:
        return _to_jsonata(json.loads(plain))
    except ValueError as problem:
        raise _FunctionError(f"The argument of $parse is not valid JSON: {problem}") from None
