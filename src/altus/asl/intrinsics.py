"""Intrinsic functions of the JSONPath query language: ``States.Format('x {}', $.a)`` and
the seventeen others, as a template's ``"key.$"`` (and ``ErrorPath``/``CausePath``) take
them.

An expression is parsed into a small tree (``parse``; cached) and evaluated against the
state's data. Arguments are literals (strings in single quotes, numbers, ``true``,
``false``, ``null``), paths (``$.a``, ``$$.Execution.Id``, ``$var``) or nested calls, at
most 10 deep. In a string literal ``\\'``, ``\\{``, ``\\}`` and ``\\\\`` stand for ``'``,
``{``, ``}`` and ``\\``; any other backslash is an error.

Failures, in AWS's words where known:

- a path argument that selects nothing: ``States.Runtime``, "The function '<call>' had the
  following error: The JsonPath argument for the field '<path>' could not be found in the
  input '<input>'";
- an argument of the wrong type or out of range, bad JSON, bad Base64:
  ``States.IntrinsicFailure``, "The function '<call>' had the following error: <why>".

Limits are AWS's documented ones: ``ArrayRange`` gives at most 1,000 items; the inputs of
``Base64Encode``, ``Base64Decode`` and ``Hash`` are at most 10,000 characters; numbers
given to ``MathAdd``/``MathRandom`` are rounded to integers the way Java's ``Math.round``
does (half up: 1.5 is 2, -1.5 is -1), as AWS's executions show."""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import json
import math
import random
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from altus.asl import paths
from altus.asl.context import Chance
from altus.asl.errors import INTRINSIC_FAILURE, RUNTIME, StatesError

MAX_NESTING = 10
MAX_RANGE_ITEMS = 1000
MAX_INPUT_CHARS = 10_000
INT_MIN, INT_MAX = -(2**31), 2**31 - 1
HASH_ALGORITHMS = {
    "MD5": "md5",
    "SHA-1": "sha1",
    "SHA-256": "sha256",
    "SHA-384": "sha384",
    "SHA-512": "sha512",
}

_START = re.compile(r"\s*States\.[A-Za-z0-9]+\s*\(")
_NAME = re.compile(r"States\.([A-Za-z0-9]+)")
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?")
_WORD = re.compile(r"true|false|null")


class IntrinsicSyntaxError(ValueError):
    """The text is not an intrinsic function call (a definition error)."""


# --- the tree ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Literal:
    value: Any
    #: For a string: its text between the quotes, escapes kept (``States.Format`` needs
    #: to tell ``\\{}`` from ``{}``).
    raw: str | None = None


@dataclass(frozen=True, slots=True)
class PathArgument:
    path: str


@dataclass(frozen=True, slots=True)
class Call:
    name: str
    arguments: tuple[Argument, ...]
    #: The call as written (what causes quote).
    text: str


Argument = Literal | PathArgument | Call


def is_intrinsic(text: str) -> bool:
    """Whether ``text`` is written as an intrinsic call (``States.Name(``...), valid or not."""
    return isinstance(text, str) and _START.match(text) is not None


def check(expression: str) -> str | None:
    """Why ``expression`` is not a valid intrinsic call (syntax, unknown function, nesting
    deeper than 10, wrong number of arguments), or None."""
    try:
        parse(expression)
    except IntrinsicSyntaxError as problem:
        return str(problem)
    return None


@functools.lru_cache(maxsize=2048)
def parse(expression: str) -> Call:
    """The call tree of ``expression``; raises ``IntrinsicSyntaxError``."""
    parser = _Parser(expression)
    call = parser.call(depth=1)
    parser.skip_spaces()
    if parser.position != len(expression):
        raise IntrinsicSyntaxError(
            f"unexpected text after the call at {parser.position}: {expression!r}"
        )
    return call


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.position = 0

    def skip_spaces(self) -> None:
        while self.position < len(self.text) and self.text[self.position].isspace():
            self.position += 1

    def fail(self, why: str) -> IntrinsicSyntaxError:
        return IntrinsicSyntaxError(f"{why} at {self.position} in {self.text!r}")

    def call(self, depth: int) -> Call:
        if depth > MAX_NESTING:
            raise self.fail(f"intrinsic functions nested deeper than {MAX_NESTING}")
        self.skip_spaces()
        start = self.position
        found = _NAME.match(self.text, self.position)
        if found is None:
            raise self.fail("expected an intrinsic function name (States.Name)")
        name = found.group(1)
        if name not in _FUNCTIONS:
            raise self.fail(f"unknown intrinsic function States.{name}")
        self.position = found.end()
        self.skip_spaces()
        if not self.text.startswith("(", self.position):
            raise self.fail("expected '('")
        self.position += 1
        arguments: list[Argument] = []
        self.skip_spaces()
        if self.text.startswith(")", self.position):
            self.position += 1
        else:
            while True:
                arguments.append(self.argument(depth))
                self.skip_spaces()
                if self.text.startswith(",", self.position):
                    self.position += 1
                    continue
                if self.text.startswith(")", self.position):
                    self.position += 1
                    break
                raise self.fail("expected ',' or ')'")
        low, high = _FUNCTIONS[name][1]
        if not low <= len(arguments) <= (high if high is not None else len(arguments)):
            expected = (
                f"{low}" if low == high else f"{low} to {high if high is not None else 'any'}"
            )
            raise self.fail(f"States.{name} takes {expected} argument(s), {len(arguments)} given")
        return Call(name, tuple(arguments), self.text[start : self.position])

    def argument(self, depth: int) -> Argument:
        self.skip_spaces()
        rest = self.text[self.position :]
        if rest.startswith("'"):
            return self.string()
        if rest.startswith("States."):
            return self.call(depth + 1)
        if rest.startswith("$"):
            return self.path()
        number = _NUMBER.match(self.text, self.position)
        if number is not None:
            self.position = number.end()
            text = number.group(0)
            is_int = not any(mark in text for mark in ".eE")
            return Literal(int(text) if is_int else float(text))
        word = _WORD.match(self.text, self.position)
        if word is not None:
            self.position = word.end()
            return Literal({"true": True, "false": False, "null": None}[word.group(0)])
        raise self.fail("expected an argument (a string, number, boolean, null, path or call)")

    def string(self) -> Literal:
        self.position += 1  # the opening quote
        start = self.position
        value: list[str] = []
        while self.position < len(self.text):
            char = self.text[self.position]
            if char == "\\":
                escaped = self.text[self.position + 1 : self.position + 2]
                if escaped not in ("'", "{", "}", "\\"):
                    raise self.fail("an open escape backslash ('\\') in a string")
                value.append(escaped)
                self.position += 2
                continue
            if char == "'":
                raw = self.text[start : self.position]
                self.position += 1
                return Literal("".join(value), raw)
            value.append(char)
            self.position += 1
        raise self.fail("unterminated string")

    def path(self) -> PathArgument:
        start = self.position
        depth = 0
        quote: str | None = None
        while self.position < len(self.text):
            char = self.text[self.position]
            if quote is not None:
                if char == "\\":
                    self.position += 1
                elif char == quote:
                    quote = None
            elif char in "'\"":
                quote = char
            elif char in "[(":
                depth += 1
            elif char in "])":
                if depth == 0:
                    break
                depth -= 1
            elif char == "," and depth == 0:
                break
            self.position += 1
        path = self.text[start : self.position].strip()
        if not paths.is_path(path):
            raise self.fail(f"not a valid path: {path!r}")
        return PathArgument(path)


# --- evaluation ----------------------------------------------------------------------------


def call(
    expression: str,
    data: Any,
    *,
    context: Mapping[str, Any],
    variables: Mapping[str, Any],
    chance: Chance,
) -> Any:
    """The value of ``expression`` against ``data`` (the state's input, or the result for
    ``ResultSelector``). Raises ``StatesError`` as the module says; a syntax error (which
    validation rejects before) is a ``States.IntrinsicFailure`` too."""
    try:
        tree = parse(expression)
    except IntrinsicSyntaxError as problem:
        raise StatesError(INTRINSIC_FAILURE, str(problem)) from None
    return _evaluate(tree, _Scope(data, context, variables, chance))


@dataclass(frozen=True, slots=True)
class _Scope:
    data: Any
    context: Mapping[str, Any]
    variables: Mapping[str, Any]
    chance: Chance


class _Failure(Exception):
    """A function's own complaint, turned into AWS's sentence by ``_evaluate``."""


def _evaluate(node: Call, scope: _Scope) -> Any:
    values = [_argument(argument, node, scope) for argument in node.arguments]
    function = _FUNCTIONS[node.name][0]
    try:
        return function(values, node, scope)
    except _Failure as problem:
        raise StatesError(
            INTRINSIC_FAILURE, f"The function '{node.text}' had the following error: {problem}"
        ) from None


def _argument(argument: Argument, node: Call, scope: _Scope) -> Any:
    if isinstance(argument, Literal):
        return argument.value
    if isinstance(argument, Call):
        return _evaluate(argument, scope)
    found = paths.resolve(
        argument.path, scope.data, context=scope.context, variables=scope.variables
    )
    if isinstance(found, paths.Missing):
        root = paths.root_of(argument.path, scope.data, scope.context, scope.variables)
        raise StatesError(
            RUNTIME,
            f"The function '{node.text}' had the following error: The JsonPath argument for "
            f"the field '{argument.path}' could not be found in the input '{paths.to_json(root)}'",
        )
    return found


# --- argument checks -------------------------------------------------------------------------


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _string(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise _Failure(f"The {what} must be a string, got {_type(value)}")
    return value


def _array(value: Any, what: str) -> list[Any]:
    if not isinstance(value, list):
        raise _Failure(f"The {what} must be an array, got {_type(value)}")
    return value


def _integer(value: Any, what: str) -> int:
    """An integral number (``2`` or ``2.0``)."""
    if not _is_number(value) or (isinstance(value, float) and not value.is_integer()):
        raise _Failure(f"The {what} must be an integer, got {paths.to_json(value)}")
    return int(value)


def _rounded(value: Any, what: str) -> int:
    """A number rounded as Java's ``Math.round`` does (``floor(x + 0.5)``)."""
    if not _is_number(value) or not math.isfinite(value):
        raise _Failure(f"The {what} must be a number, got {_type(value)}")
    return math.floor(value + 0.5) if isinstance(value, float) else int(value)


def _type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if _is_number(value):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def same(left: Any, right: Any) -> bool:
    """JSON equality: numbers by value (``1`` is ``1.0``), booleans are not numbers."""
    if isinstance(left, bool) or isinstance(right, bool):
        return isinstance(left, bool) and isinstance(right, bool) and left == right
    if _is_number(left) and _is_number(right):
        return bool(left == right)
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(map(same, left, right))
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(same(left[k], right[k]) for k in left)
    return type(left) is type(right) and left == right


def _text_of(value: Any) -> str:
    """How ``States.Format`` writes a value: strings as they are, the rest as JSON."""
    return value if isinstance(value, str) else paths.to_json(value)


# --- the functions ---------------------------------------------------------------------------


def _format(values: list[Any], node: Call, scope: _Scope) -> Any:
    template = node.arguments[0]
    raw = template.raw if isinstance(template, Literal) and template.raw is not None else None
    if raw is None:
        text = _string(values[0], "first argument")
        pieces = text.split("{}")
    else:
        pieces = _format_pieces(raw)
    arguments = values[1:]
    if len(pieces) - 1 != len(arguments):
        raise _Failure(
            f"Number of arguments ({len(arguments)}) does not match the number of "
            f"placeholders ({len(pieces) - 1}) in the format string"
        )
    out = [pieces[0]]
    for argument, piece in zip(arguments, pieces[1:], strict=True):
        out.append(_text_of(argument))
        out.append(piece)
    return "".join(out)


def _format_pieces(raw: str) -> list[str]:
    """A literal template's text around its unescaped ``{}``, escapes resolved."""
    pieces: list[str] = []
    current: list[str] = []
    position = 0
    while position < len(raw):
        char = raw[position]
        if char == "\\":
            current.append(raw[position + 1])
            position += 2
        elif raw.startswith("{}", position):
            pieces.append("".join(current))
            current = []
            position += 2
        else:
            current.append(char)
            position += 1
    pieces.append("".join(current))
    return pieces


def _string_to_json(values: list[Any], node: Call, scope: _Scope) -> Any:
    text = _string(values[0], "argument")

    def reject(constant: str) -> Any:
        raise ValueError(constant)

    try:
        return json.loads(text, parse_constant=reject)
    except ValueError as problem:
        raise _Failure(f"The argument is not valid JSON: {problem}") from None


def _json_to_string(values: list[Any], node: Call, scope: _Scope) -> Any:
    return paths.to_json(values[0])


def _array_of(values: list[Any], node: Call, scope: _Scope) -> Any:
    return list(values)


def _array_partition(values: list[Any], node: Call, scope: _Scope) -> Any:
    items = _array(values[0], "first argument")
    size = _integer(values[1], "chunk size")
    if size <= 0:
        raise _Failure(f"The chunk size must be a positive integer, got {size}")
    return [items[start : start + size] for start in range(0, len(items), size)]


def _array_contains(values: list[Any], node: Call, scope: _Scope) -> Any:
    items = _array(values[0], "first argument")
    return any(same(item, values[1]) for item in items)


def _array_range(values: list[Any], node: Call, scope: _Scope) -> Any:
    start = _integer(values[0], "first argument")
    end = _integer(values[1], "second argument")
    step = _integer(values[2], "step")
    if step == 0:
        raise _Failure("The step must not be zero")
    count = max(0, (end - start) // step + 1)
    if count > MAX_RANGE_ITEMS:
        raise _Failure(f"The array cannot have more than {MAX_RANGE_ITEMS} items, got {count}")
    return [start + step * index for index in range(count)]


def _array_get_item(values: list[Any], node: Call, scope: _Scope) -> Any:
    items = _array(values[0], "first argument")
    index = _integer(values[1], "index")
    if not 0 <= index < len(items):
        raise _Failure(f"The index {index} is out of bounds for an array of {len(items)} items")
    return items[index]


def _array_length(values: list[Any], node: Call, scope: _Scope) -> Any:
    return len(_array(values[0], "argument"))


def _array_unique(values: list[Any], node: Call, scope: _Scope) -> Any:
    unique: list[Any] = []
    for item in _array(values[0], "argument"):
        if not any(same(item, kept) for kept in unique):
            unique.append(item)
    return unique


def _limited(value: Any, what: str) -> str:
    text = _string(value, what)
    if len(text) > MAX_INPUT_CHARS:
        raise _Failure(
            f"The {what} cannot be longer than {MAX_INPUT_CHARS} characters, got {len(text)}"
        )
    return text


def _base64_encode(values: list[Any], node: Call, scope: _Scope) -> Any:
    text = _limited(values[0], "argument")
    return base64.b64encode(text.encode()).decode("ascii")


def _base64_decode(values: list[Any], node: Call, scope: _Scope) -> Any:
    text = _limited(values[0], "argument")
    try:
        return base64.b64decode(text, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise _Failure("The argument is not valid Base64 text") from None


def _hash(values: list[Any], node: Call, scope: _Scope) -> Any:
    data = values[0]
    text = _limited(data if isinstance(data, str) else paths.to_json(data), "data")
    algorithm = _string(values[1], "algorithm")
    if algorithm not in HASH_ALGORITHMS:
        supported = ", ".join(HASH_ALGORITHMS)
        raise _Failure(f"The algorithm must be one of {supported}, got {algorithm!r}")
    return hashlib.new(HASH_ALGORITHMS[algorithm], text.encode()).hexdigest()


def _json_merge(values: list[Any], node: Call, scope: _Scope) -> Any:
    left, right, deep = values
    for value, what in ((left, "first"), (right, "second")):
        if not isinstance(value, dict):
            raise _Failure(f"The {what} argument must be an object, got {_type(value)}")
    if not isinstance(deep, bool):
        raise _Failure(f"The third argument must be a boolean, got {_type(deep)}")
    if deep:
        raise _Failure("Deep merge is not supported: the third argument must be false")
    return {**left, **right}


def _math_random(values: list[Any], node: Call, scope: _Scope) -> Any:
    start = _rounded(values[0], "start")
    end = _rounded(values[1], "end")
    if end <= start:
        raise _Failure(f"The end ({end}) must be greater than the start ({start})")
    if len(values) == 3:
        seed = _rounded(values[2], "seed")
        return random.Random(seed).randrange(start, end)
    return start + math.floor(scope.chance.random() * (end - start))


def _math_add(values: list[Any], node: Call, scope: _Scope) -> Any:
    total = 0
    for value, what in ((values[0], "first argument"), (values[1], "second argument")):
        number = _rounded(value, what)
        if not INT_MIN <= number <= INT_MAX:
            raise _Failure(f"The {what} must be between {INT_MIN} and {INT_MAX}, got {number}")
        total += number
    return total


def _string_split(values: list[Any], node: Call, scope: _Scope) -> Any:
    text = _string(values[0], "first argument")
    delimiters = _string(values[1], "delimiter")
    if not delimiters:
        return [text] if text else []
    pattern = "[" + re.escape(delimiters) + "]"
    return [token for token in re.split(pattern, text) if token]


def _uuid(values: list[Any], node: Call, scope: _Scope) -> Any:
    return scope.chance.uuid()


_Function = Callable[[list[Any], Call, _Scope], Any]

#: name -> (implementation, (fewest, most arguments; None: any number)).
_FUNCTIONS: dict[str, tuple[_Function, tuple[int, int | None]]] = {
    "Format": (_format, (1, None)),
    "StringToJson": (_string_to_json, (1, 1)),
    "JsonToString": (_json_to_string, (1, 1)),
    "Array": (_array_of, (0, None)),
    "ArrayPartition": (_array_partition, (2, 2)),
    "ArrayContains": (_array_contains, (2, 2)),
    "ArrayRange": (_array_range, (3, 3)),
    "ArrayGetItem": (_array_get_item, (2, 2)),
    "ArrayLength": (_array_length, (1, 1)),
    "ArrayUnique": (_array_unique, (1, 1)),
    "Base64Encode": (_base64_encode, (1, 1)),
    "Base64Decode": (_base64_decode, (1, 1)),
    "Hash": (_hash, (2, 2)),
    "JsonMerge": (_json_merge, (3, 3)),
    "MathRandom": (_math_random, (2, 3)),
    "MathAdd": (_math_add, (2, 2)),
    "StringSplit": (_string_split, (2, 2)),
    "UUID": (_uuid, (0, 0)),
}

#: The names of the functions (``States.`` omitted), as validation lists them.
NAMES: Sequence[str] = tuple(_FUNCTIONS)
