"""The value tests of the event pattern language: what one element of a pattern's leaf
array (``"x"``, ``{"prefix": "a"}``, ``{"numeric": [">", 0]}``...) asks of one scalar
of the event. ``patterns`` builds the tree around them; see its docstring for the
language as a whole and the decisions taken where AWS's documents and its engine differ.

Each test is compiled once, when the pattern is parsed, into a small object whose
``test`` answers for one *present* scalar (str, int, float, bool or None) and never
raises: string operators answer False for anything but a string, ``numeric`` for
anything but a JSON number. Absence is not a value: only ``{"exists": false}`` accepts
it (``accepts_absent``).

Reasons given for bad operands are the texts of aws/event-ruler, the engine behind
EventBridge (``Event pattern is not valid. Reason: <text>``), quirks included (a
``cidr`` that is not a string is refused as a "prefix match pattern").
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any, Final

__all__ = ["Exact", "PatternError", "ValueTest", "compile_expression"]

#: Numeric matching covers -5e9..5e9 with at most 6 decimals (event-ruler's
#: ComparableNumber); operands beyond are refused and event values beyond never match.
NUMERIC_LIMIT: Final = 5_000_000_000
_MAX_DECIMALS: Final = 6

# The shapes event-ruler takes for an IP literal before asking the address parser.
_IPV4: Final = re.compile(r"[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+")
_IPV6: Final = re.compile(r"[0-9a-fA-F:]*:[0-9a-fA-F:]*")
_MASK: Final = re.compile(r"[+-]?[0-9]+")

_TOO_MANY_NUMERIC: Final = "Too many elements in numeric expression"
_ONE_KEY: Final = "Only one key allowed in match expression"


class PatternError(ValueError):
    """A pattern EventBridge would refuse. ``str(error)`` is the reason alone, for
    ``Event pattern is not valid. Reason: <reason>``."""


def json_text(value: object) -> str:
    """How event-ruler's parser prints the token it stopped at: strings bare, literals
    and numbers as written, containers by their opening bracket."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "{"
    if isinstance(value, list):
        return "["
    return str(value)


def _is_number(value: object) -> bool:
    # The pattern is parsed with Decimal floats and int integers; bool is not a number.
    return isinstance(value, int | Decimal) and not isinstance(value, bool)


def _event_number(value: object) -> int | float | None:
    """An event scalar as a number, or None when it is not a JSON number."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return value
    if isinstance(value, Decimal):  # events parsed with parse_float=Decimal
        return float(value)
    return None


def _pattern_number(value: int | Decimal) -> int | float:
    # Floats compare and hash equal to equal ints (300 == 300.0), so one set serves both.
    return value if isinstance(value, int) else float(value)


def _comparable(value: int | Decimal) -> float:
    """A numeric operand within what event-ruler can compare, or PatternError."""
    exact = Decimal(value)
    exponent = exact.normalize().as_tuple().exponent  # a letter only for NaN/Infinity
    if isinstance(exponent, int) and exponent < -_MAX_DECIMALS:
        raise PatternError("Only values upto 6 decimals are supported")
    if not exact.is_finite() or abs(exact) > NUMERIC_LIMIT:
        raise PatternError("Value must be between -5.0E9 and 5.0E9, inclusive")
    return float(exact)


def _ip_key(text: str) -> tuple[int, int] | None:
    """``(version, address as an int)`` for an IPv4 or IPv6 literal, else None."""
    if not (_IPV4.fullmatch(text) or _IPV6.fullmatch(text)):
        return None
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    return address.version, int(address)


class ValueTest:
    """One compiled element of a leaf array."""

    __slots__ = ()
    #: Whether the element is satisfied by the field being absent (only exists:false).
    accepts_absent: bool = False

    def test(self, value: object) -> bool:
        """Whether the present scalar ``value`` satisfies this element; never raises."""
        raise NotImplementedError


class Exact(ValueTest):
    """All the bare values of one leaf array, merged into sets for O(1) lookups.

    Types never cross: ``"5"`` ≠ ``5``, ``1`` ≠ ``true``. Numbers compare by value. A
    string that is an IP literal also matches the same address written another way
    (``"::1"`` and ``"0:0:0:0:0:0:0:1"``), as event-ruler compiles such strings to ranges.
    """

    __slots__ = ("ips", "literals", "numbers", "strings")

    def __init__(self, values: Sequence[object], *, ips: bool = True) -> None:
        self.strings = frozenset(v for v in values if isinstance(v, str))
        self.numbers = frozenset(_pattern_number(v) for v in values if _is_number(v))  # type: ignore[arg-type]
        # Kept apart from the numbers: True == 1 and hash(True) == hash(1).
        self.literals = frozenset(v for v in values if v is None or isinstance(v, bool))
        keys = (_ip_key(s) for s in self.strings) if ips else ()
        self.ips = frozenset(k for k in keys if k is not None)

    def test(self, value: object) -> bool:
        if isinstance(value, str):
            if value in self.strings:
                return True
            return bool(self.ips) and _ip_key(value) in self.ips
        if value is None or isinstance(value, bool):
            return value in self.literals
        number = _event_number(value)
        return number is not None and number in self.numbers


class Prefix(ValueTest):
    __slots__ = ("fold", "text")

    def __init__(self, text: str, *, fold: bool = False) -> None:
        self.text, self.fold = (text.lower() if fold else text), fold

    def test(self, value: object) -> bool:
        if not isinstance(value, str):
            return False
        return (value.lower() if self.fold else value).startswith(self.text)


class Suffix(Prefix):
    __slots__ = ()

    def test(self, value: object) -> bool:
        if not isinstance(value, str):
            return False
        return (value.lower() if self.fold else value).endswith(self.text)


class EqualsIgnoreCase(ValueTest):
    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text.lower()

    def test(self, value: object) -> bool:
        return isinstance(value, str) and value.lower() == self.text


class Wildcard(ValueTest):
    """``*`` stands for any run of characters, none included (event-ruler's reading; the
    AWS guide only gives examples). Compiled to the literal pieces between the stars and
    matched by the greedy leftmost scan, which is exact for stars-only globs and linear
    in practice: no regex, so no catastrophic backtracking on ``a*a*a*b``."""

    __slots__ = ("pieces",)

    def __init__(self, pieces: tuple[str, ...]) -> None:
        self.pieces = pieces

    def test(self, value: object) -> bool:
        if not isinstance(value, str):
            return False
        pieces = self.pieces
        if len(pieces) == 1:
            return value == pieces[0]
        first, last = pieces[0], pieces[-1]
        if len(value) < len(first) + len(last):
            return False
        if not (value.startswith(first) and value.endswith(last)):
            return False
        at, end = len(first), len(value) - len(last)
        for piece in pieces[1:-1]:
            found = value.find(piece, at, end)
            if found < 0:
                return False
            at = found + len(piece)
        return True


def _wildcard_pieces(text: str) -> tuple[str, ...]:
    """Split a wildcard operand at its unescaped stars, or PatternError. Positions in
    the reasons count UTF-8 bytes of the quoted value, as event-ruler's do."""
    data = text.encode("utf-8", "surrogatepass")
    pieces: list[bytes] = []
    current = bytearray()
    i = 0
    while i < len(data):
        byte = data[i]
        if byte == 0x2A:  # *
            if i + 1 < len(data) and data[i + 1] == 0x2A:
                raise PatternError(f"Consecutive wildcard characters at pos {i + 1}")
            pieces.append(bytes(current))
            current.clear()
        elif byte == 0x5C:  # backslash: escapes only * and itself
            if i + 1 < len(data) and data[i + 1] in (0x2A, 0x5C):
                current.append(data[i + 1])
                i += 1
            else:
                raise PatternError(f"Invalid escape character at pos {i + 1}")
        else:
            current.append(byte)
        i += 1
    pieces.append(bytes(current))
    # Splitting at ASCII bytes never cuts a multi-byte UTF-8 sequence.
    return tuple(p.decode("utf-8", "surrogatepass") for p in pieces)


class Numeric(ValueTest):
    """A range with optional bounds; ``=`` is the closed range [x, x]."""

    __slots__ = ("high", "high_open", "low", "low_open")

    def __init__(
        self, low: float | None, low_open: bool, high: float | None, high_open: bool
    ) -> None:
        self.low, self.low_open, self.high, self.high_open = low, low_open, high, high_open

    def test(self, value: object) -> bool:
        number = _event_number(value)
        # NaN fails every comparison, so it never matches.
        if number is None or not -NUMERIC_LIMIT <= number <= NUMERIC_LIMIT:
            return False
        low, high = self.low, self.high
        if low is not None and (number <= low if self.low_open else number < low):
            return False
        return high is None or (number < high if self.high_open else number <= high)


class Cidr(ValueTest):
    """An IPv4 or IPv6 range. Like event-ruler, it runs from the address as written to
    the top of its block: ``10.0.0.5/24`` covers 10.0.0.5-10.0.0.255."""

    __slots__ = ("high", "low", "version")

    def __init__(self, version: int, low: int, high: int) -> None:
        self.version, self.low, self.high = version, low, high

    def test(self, value: object) -> bool:
        if not isinstance(value, str):
            return False
        key = _ip_key(value)
        return key is not None and key[0] == self.version and self.low <= key[1] <= self.high


class Present(ValueTest):
    """``{"exists": true}``: any value, null included; an object or an empty array is
    not a leaf value, so it counts as absent (the leaf node decides that)."""

    __slots__ = ()

    def test(self, value: object) -> bool:
        return True


class Absent(ValueTest):
    """``{"exists": false}``."""

    __slots__ = ()
    accepts_absent = True

    def test(self, value: object) -> bool:
        return False


class AnyOf(ValueTest):
    __slots__ = ("tests",)

    def __init__(self, tests: Sequence[ValueTest]) -> None:
        self.tests = tuple(tests)

    def test(self, value: object) -> bool:
        return any(t.test(value) for t in self.tests)


class AnythingBut(ValueTest):
    """Any present value the excluded test refuses; an absent field never matches.
    Values of other types pass (``anything-but: [100]`` matches ``"abc"``), as in
    event-ruler, which only excludes what it finds equal."""

    __slots__ = ("excluded",)

    def __init__(self, excluded: ValueTest) -> None:
        self.excluded = excluded

    def test(self, value: object) -> bool:
        return not self.excluded.test(value)


# --- parsing the operand of each match type ------------------------------------------


def _only_key(expression: Mapping[str, Any], message: str = _ONE_KEY) -> None:
    if len(expression) > 1:
        raise PatternError(message)


def _string(value: object, message: str) -> str:
    if not isinstance(value, str):
        raise PatternError(message)
    return value


def _affix(name: str, operand: object) -> ValueTest:
    """``prefix`` / ``suffix``: a string, or ``{"equals-ignore-case": string}``."""
    kind = Prefix if name == "prefix" else Suffix
    if isinstance(operand, dict):
        label = name.capitalize()
        if not operand:
            raise PatternError(f"{label} expression name not found")
        inner = next(iter(operand))
        if inner != "equals-ignore-case":
            raise PatternError(f"Unsupported {name} pattern: {inner}")
        text = _string(operand[inner], "equals-ignore-case match pattern must be a string")
        _only_key(operand)
        return kind(text, fold=True)
    return kind(_string(operand, f"{name} match pattern must be a string"))


_END: Final = object()  # the end of a numeric array, printed as event-ruler prints it


def _token(value: object) -> str:
    return "]" if value is _END else json_text(value)


def _numeric(operand: object) -> ValueTest:
    if not isinstance(operand, list):
        raise PatternError("Value of numeric must be an array.")
    items: list[Any] = operand

    def at(i: int) -> Any:
        return items[i] if i < len(items) else _END

    def bound(i: int, operator: str) -> float:
        value = at(i)
        if not _is_number(value):
            raise PatternError(f"Value of {operator} must be numeric")
        return _comparable(value)

    operator = at(0)
    if not isinstance(operator, str):
        raise PatternError(f"Invalid member in numeric match: {_token(operator)}")
    if operator == "=":
        value = bound(1, "equals")
        if len(items) > 2:
            raise PatternError(_TOO_MANY_NUMERIC)
        return Numeric(value, False, value, False)
    if operator in ("<", "<="):
        high = bound(1, operator)
        if len(items) > 2:
            raise PatternError(_TOO_MANY_NUMERIC)
        return Numeric(None, False, high, operator == "<")
    if operator not in (">", ">="):
        raise PatternError(f"Unrecognized numeric range operator: {operator}")
    low = bound(1, operator)
    if len(items) == 2:
        return Numeric(low, operator == ">", None, False)
    upper = at(2)
    if not isinstance(upper, str):
        raise PatternError(f"Bad value in numeric range: {_token(upper)}")
    if upper not in ("<", "<="):
        raise PatternError(f"Bad numeric range operator: {upper}")
    high = bound(3, upper)
    if len(items) > 4:
        raise PatternError("Too many terms in numeric range expression")
    if high <= low:
        raise PatternError("Bottom must be less than top")
    return Numeric(low, operator == ">", high, upper == "<")


_SET_KINDS: Final[Mapping[str, Callable[[str], ValueTest]]] = {
    "equals-ignore-case": EqualsIgnoreCase,
    "prefix": Prefix,
    "suffix": Suffix,
    "wildcard": lambda text: Wildcard(_wildcard_pieces(text)),
}

_SET_NOT_STRING: Final = {
    "equals-ignore-case": (
        "Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported."
    ),
    "wildcard": "wildcard match pattern must be a string",
    "prefix": "prefix/suffix match pattern must be a string",
    "suffix": "prefix/suffix match pattern must be a string",
}

_NOT_ARRAY_OR_SCALAR: Final = (
    "Value of anything-but must be an array or single string/number value."
)


def _anything_but(operand: object) -> ValueTest:
    kind: str | None = None
    nested: Mapping[str, Any] = {}
    if isinstance(operand, dict):
        if not operand:
            raise PatternError("Anything-But expression name not found")
        kind = next(iter(operand))
        if kind not in _SET_KINDS:
            raise PatternError(f"Unsupported anything-but pattern: {kind}")
        nested, operand = operand, operand[kind]
    if not (isinstance(operand, list | str) or _is_number(operand)):
        raise PatternError(_NOT_ARRAY_OR_SCALAR)
    values: list[Any] = operand if isinstance(operand, list) else [operand]
    if kind is None:
        return AnythingBut(_excluded_values(values, listed=isinstance(operand, list)))
    tests = []
    for value in values:
        if not isinstance(value, str):
            raise PatternError(_SET_NOT_STRING[kind])
        if kind in ("prefix", "suffix") and not value:
            raise PatternError("Null prefix/suffix not allowed")
        tests.append(_SET_KINDS[kind](value))
    _only_key(nested, _TOO_MANY_NUMERIC)
    # An empty list excludes nothing: every present value passes.
    return AnythingBut(tests[0] if len(tests) == 1 else AnyOf(tests))


def _excluded_values(values: list[Any], *, listed: bool) -> Exact:
    """The plain ``anything-but`` operand: strings only or numbers only."""
    for value in values:
        if not (isinstance(value, str) or _is_number(value)):
            raise PatternError("Inside anything but list, start|null|boolean is not supported.")
        if _is_number(value):
            _comparable(value)  # event-ruler stores these in comparable form
    strings = sum(isinstance(v, str) for v in values)
    if listed and (not values or 0 < strings < len(values)):
        raise PatternError(
            "Inside anything but list, either all values are number or string, "
            "mixed type is not supported"
        )
    return Exact(values, ips=False)


def _cidr(operand: object) -> ValueTest:
    # event-ruler's wording for this operand, copied as it is.
    text = _string(operand, "prefix match pattern must be a string")
    parts = text.split("/")
    while parts and not parts[-1]:  # Java's split drops trailing empty parts
        parts.pop()
    if len(parts) != 2:
        raise PatternError("Malformed CIDR, one '/' required")
    if not _MASK.fullmatch(parts[1]):
        raise PatternError("Malformed CIDR, mask bits must be an integer")
    mask = int(parts[1])
    if mask < 0:
        raise PatternError("Malformed CIDR, mask bits must not be negative")
    if not (_IPV4.fullmatch(parts[0]) or _IPV6.fullmatch(parts[0])):
        raise PatternError(f"Nonstandard IP address: {parts[0]}")
    try:
        address = ipaddress.ip_address(parts[0])
    except ValueError:
        raise PatternError(f"Invalid IP address: {parts[0]}") from None
    width = address.max_prefixlen
    if mask >= width:
        raise PatternError(f"IPv{address.version} mask bits must be < {width}")
    low = int(address)
    return Cidr(address.version, low, low | ((1 << (width - mask)) - 1))


def _exists(operand: object) -> ValueTest:
    if not isinstance(operand, bool):
        raise PatternError("exists match pattern must be either true or false.")
    return Present() if operand else Absent()


def compile_expression(expression: Mapping[str, Any]) -> ValueTest:
    """Compile one ``{"<match type>": operand}`` element of a leaf array."""
    if not expression:
        raise PatternError("Match expression name not found")
    name = next(iter(expression))
    operand = expression[name]
    test: ValueTest
    extra_keys = _ONE_KEY
    if name == "exactly":  # event-ruler's spelled-out exact string match
        test = Exact([_string(operand, "exact match pattern must be a string")], ips=False)
    elif name in ("prefix", "suffix"):
        test = _affix(name, operand)
    elif name == "equals-ignore-case":
        test = EqualsIgnoreCase(
            _string(operand, "equals-ignore-case match pattern must be a string")
        )
    elif name == "wildcard":
        text = _string(operand, "wildcard match pattern must be a string")
        test = Wildcard(_wildcard_pieces(text))
    elif name == "numeric":
        test, extra_keys = _numeric(operand), _TOO_MANY_NUMERIC
    elif name == "anything-but":
        test, extra_keys = _anything_but(operand), _TOO_MANY_NUMERIC
    elif name == "exists":
        test = _exists(operand)
    elif name == "cidr":
        test = _cidr(operand)
    else:
        raise PatternError(f"Unrecognized match type {name}")
    _only_key(expression, extra_keys)
    return test
