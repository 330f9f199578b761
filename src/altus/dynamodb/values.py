"""Attribute values: DynamoDB's ten types as the service receives them, checked,
normalised, sized, compared. Pure: no I/O, no state.

A value arrives as botocore's JSON becomes after Altus's model-driven validation: a
dict with one type key, ``{"S": str}``, ``{"N": str}``, ``{"B": bytes}``, ``{"SS":
[str]}``, ``{"NS": [str]}``, ``{"BS": [bytes]}``, ``{"M": {name: value}}``, ``{"L":
[value]}``, ``{"NULL": True}`` or ``{"BOOL": bool}`` (the protocol has already decoded
base64, so blobs are bytes). The model says only that each member has its JSON type;
everything else DynamoDB checks itself, and :func:`check_value` checks it here.

**Numbers** are decimals of at most 38 significant digits whose magnitude is zero or
lies in 1E-130 .. 9.9999999999999999999999999999999999999E+125 (the Developer Guide's
"Data types"). They are held as exact ``decimal.Decimal`` with trailing zeros stripped,
built from their digits, never through a decimal context (the default one rounds at 28
digits). DynamoDB returns a number in plain notation: no exponent, no ``+``, no leading
or trailing zeros, zero as ``0`` (``1e2`` and ``+1e2`` read back as ``100``, ``1.5E+3``
as ``1500``, captured against DynamoDB; ``1E100`` comes back as 101 digits, boto3
issue 2500). Plain notation for numbers below 1 (``0.001``, not ``1E-3``) follows the
same rule but is not verified.

**Texts.** :class:`ValueProblem` carries the text DynamoDB puts in its
ValidationException, bare. DynamoDB has two checking layers that word some problems
differently (captured in four regions, 2026-10): the current one (PutItem, UpdateItem,
DeleteItem, GetItem, BatchGetItem, Query) and an older one (BatchWriteItem, Scan and,
in most regions, the transactions). The texts here are the current layer's; PutItem,
UpdateItem and DeleteItem put a bad number or a duplicate set member inside
``1 validation error detected: ``, which is the operation's wording, not this module's.
Where the older layer differs it is said beside the text.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

AttributeValue = Mapping[str, Any]
Item = Mapping[str, AttributeValue]

TYPES = ("S", "N", "B", "SS", "NS", "BS", "M", "L", "NULL", "BOOL")
#: The types a key attribute may have, the only ones :func:`compare` orders.
SCALARS = ("S", "N", "B")
MAX_DIGITS = 38
MAX_EXPONENT = 125  # the adjusted exponent: 9.99..E+125 is the largest magnitude
MIN_EXPONENT = -130  # 1E-130 is the smallest non-zero magnitude
#: An item of exactly this many bytes is stored, one more is refused (captured).
MAX_ITEM_SIZE = 400 * 1024
#: A top-level attribute's value is level 1; a value below level 32 is refused (a leaf
#: under 31 map wrappers is stored, under 32 refused: captured).
MAX_NESTING = 32

EMPTY = "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"
SEVERAL = (
    "Supplied AttributeValue has more than one datatypes set, "
    "must contain exactly one of the supported datatypes"
)
_INVALID = "One or more parameter values were invalid: "
NOT_NUMERIC = "The parameter cannot be converted to a numeric value"
TOO_PRECISE = "Attempting to store more than 38 significant digits in a Number"
OVERFLOW = (
    "Number overflow. Attempting to store a number with magnitude larger than supported range"
)
UNDERFLOW = (
    "Number underflow. Attempting to store a number with magnitude smaller than supported range"
)
NESTED_TOO_DEEP = (
    "Nesting Levels have exceeded supported limits: "
    "Attributes in the item have nested levels beyond supported limit"
)
NULL_NOT_TRUE = _INVALID + "Null attribute value types must have the value of true"
# "An string set  may not be empty": DynamoDB's grammar and its two spaces.
EMPTY_SET = {
    "SS": _INVALID + "An string set  may not be empty",
    "NS": _INVALID + "An number set  may not be empty",
    "BS": _INVALID + "Binary sets should not be empty",
}
ITEM_TOO_LARGE = "Item size has exceeded the maximum allowed size"
#: An update's wording of the same limit (the operation chooses which it says).
UPDATE_TOO_LARGE = "Item size to update has exceeded the maximum allowed size"

# Java's BigDecimal grammar, which DynamoDB's numbers follow: "+3", ".123", "1.",
# "0001.23", "1e+5" and "0e1000" are numbers; "NaN", "Infinity", " 1", "1 ", "0x10",
# "1e" and "" are not. ASCII digits only ([0-9], not \d, which takes any Unicode digit).
_NUMBER = re.compile(r"([+-]?)([0-9]*)(?:\.([0-9]*))?(?:[eE]([+-]?[0-9]+))?")
# An exponent this long is out of range whatever the digits (no request holds a
# mantissa long enough to bring it back), so it is judged by its sign, unparsed.
_LONG_EXPONENT = 15


class ValueProblem(Exception):
    """A value DynamoDB refuses. ``message`` is its ValidationException text; ``path``
    is where the caller said the value sits (an attribute name, ``:v``), for the
    wrapper an operation puts around it ("... for key :v")."""

    def __init__(self, message: str, path: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.path = path


def type_of(value: AttributeValue) -> str:
    """The one type key of ``value``; ValueProblem if it has none or several."""
    present = [key for key in value if key in TYPES and value[key] is not None]
    if not present:
        raise ValueProblem(EMPTY)
    if len(present) > 1:
        raise ValueProblem(SEVERAL)
    return present[0]


# -- numbers ------------------------------------------------------------------------


def number(text: str) -> Decimal:
    """The number ``text`` spells, checked against DynamoDB's range and precision,
    with trailing zeros stripped (``-0`` is 0)."""
    match = _NUMBER.fullmatch(text)
    if match is None or not (match.group(2) or match.group(3)):
        # An empty text keeps the colon and the space (older layer: no colon).
        raise ValueProblem(f"{NOT_NUMERIC}: {text}")
    sign, whole, fraction, exponent_text = match.groups(default="")
    digits = (whole + fraction).lstrip("0")
    if not digits:
        return Decimal(0)
    exponent_digits = exponent_text.lstrip("+-").lstrip("0")
    if len(exponent_digits) > _LONG_EXPONENT:
        raise ValueProblem(UNDERFLOW if exponent_text.startswith("-") else OVERFLOW)
    exponent = int(exponent_text or "0") - len(fraction)
    return _checked(sign == "-", digits, exponent, TOO_PRECISE)


def _checked(negative: bool, digits: str, exponent: int, too_precise: str) -> Decimal:
    """The number ``digits`` x 10^``exponent`` (digits without leading zeros), trailing
    zeros stripped, refused as DynamoDB refuses it: magnitude first, then precision."""
    stripped = digits.rstrip("0")
    exponent += len(digits) - len(stripped)
    adjusted = exponent + len(stripped) - 1
    if adjusted > MAX_EXPONENT:
        raise ValueProblem(OVERFLOW)
    if adjusted < MIN_EXPONENT:
        raise ValueProblem(UNDERFLOW)
    if len(stripped) > MAX_DIGITS:
        raise ValueProblem(too_precise)
    return Decimal((int(negative), tuple(int(d) for d in stripped), exponent))


def digits_of(value: Decimal) -> tuple[bool, str, int]:
    """``value`` as (negative, significant digits, exponent of the last digit), trailing
    zeros stripped: 1.50 is (False, "15", -1); zero is (False, "", ...)."""
    if not value.is_finite():
        raise ValueError(f"DynamoDB has no number {value}")
    sign, digit_tuple, exponent = value.as_tuple()
    assert isinstance(exponent, int)  # finite, so never the 'n'/'N'/'F' markers
    digits = "".join(map(str, digit_tuple)).lstrip("0")
    stripped = digits.rstrip("0")
    return bool(sign) and bool(stripped), stripped, exponent + len(digits) - len(stripped)


def number_text(value: Decimal) -> str:
    """The text DynamoDB returns for ``value``: plain notation, no trailing zeros."""
    negative, digits, exponent = digits_of(value)
    if not digits:
        return "0"
    if exponent >= 0:
        text = digits + "0" * exponent
    elif len(digits) + exponent > 0:
        point = len(digits) + exponent
        text = f"{digits[:point]}.{digits[point:]}"
    else:
        text = "0." + "0" * -(len(digits) + exponent) + digits
    return "-" + text if negative else text


def add(a: Decimal, b: Decimal) -> Decimal:
    """``a + b`` as an update's ``+`` and ADD compute it: exactly, refused if the sum is
    out of range or needs more than 38 digits."""
    return _exact_sum(a, b, 1)


def subtract(a: Decimal, b: Decimal) -> Decimal:
    """``a - b`` as an update's ``-`` computes it (see :func:`add`)."""
    return _exact_sum(a, b, -1)


def _exact_sum(a: Decimal, b: Decimal, sign: int) -> Decimal:
    # Integer arithmetic on the aligned coefficients: exact, with no context to round.
    # Both operands are DynamoDB numbers, so the alignment is at most ~260 digits.
    (left, left_exponent), (right, right_exponent) = _coefficient(a), _coefficient(b)
    low = min(left_exponent, right_exponent)
    total = left * 10 ** (left_exponent - low) + sign * right * 10 ** (right_exponent - low)
    if total == 0:
        return Decimal(0)
    # DynamoDB words a sum that would lose digits as an overflow (1E50 + 1 and 1E50 - 1
    # are refused so: noted by ScyllaDB's Alternator tests, run against DynamoDB). That
    # a sum too small is worded as an input's underflow is not verified.
    return _checked(total < 0, str(abs(total)), low, OVERFLOW)


def _coefficient(value: Decimal) -> tuple[int, int]:
    """``value``, checked as a DynamoDB number, as an integer times 10^exponent."""
    negative, digits, exponent = digits_of(value)
    if not digits:
        return 0, 0
    _checked(negative, digits, exponent, TOO_PRECISE)
    return (-int(digits) if negative else int(digits)), exponent


# -- checking -----------------------------------------------------------------------


def check_value(value: Any, path: str = "") -> dict[str, Any]:
    """``value`` checked as DynamoDB checks an attribute value, and normalised: numbers
    in their canonical text, blobs as bytes, sets in the order given.

    Raises ValueProblem (``path`` on it) for: no type or several ("Supplied
    AttributeValue is ..."), a number DynamoDB refuses, an empty set, a duplicate set
    member, ``NULL`` other than true, nesting past 32 levels. A member of the wrong
    Python type is a TypeError: the model has already refused those.
    """
    try:
        return _check(value, 1)
    except ValueProblem as problem:
        problem.path = path
        raise


def check_item(item: Any) -> dict[str, dict[str, Any]]:
    """Every attribute of ``item`` checked (:func:`check_value`, path = its name)."""
    if not isinstance(item, Mapping):
        raise TypeError(f"an item is a map of attribute values, not {type(item).__name__}")
    return {str(name): check_value(value, str(name)) for name, value in item.items()}


def _check(value: Any, level: int) -> dict[str, Any]:
    if level > MAX_NESTING:
        raise ValueProblem(NESTED_TOO_DEEP)
    if not isinstance(value, Mapping):
        raise TypeError(f"an attribute value is a map, not {type(value).__name__}")
    # Each type's content is checked before the count of types: {"S": "a", "N": "b"}
    # is refused for its number (dynalite's tests, written against DynamoDB).
    checked: dict[str, Any] = {}
    for kind in value:
        if kind in TYPES and value[kind] is not None:
            checked[kind] = _check_member(kind, value[kind], level)
    if not checked:
        raise ValueProblem(EMPTY)
    if len(checked) > 1:
        raise ValueProblem(SEVERAL)
    return checked


def _check_member(kind: str, member: Any, level: int) -> Any:
    if kind == "S":
        return _typed(member, str)
    if kind == "N":
        return number_text(number(_typed(member, str)))
    if kind == "B":
        return bytes(_typed(member, (bytes, bytearray, memoryview)))
    if kind == "BOOL":
        return _typed(member, bool)
    if kind == "NULL":
        if _typed(member, bool) is not True:
            raise ValueProblem(NULL_NOT_TRUE)
        return True
    if kind == "M":
        return {
            str(_typed(name, str)): _check(inner, level + 1)
            for name, inner in _typed(member, Mapping).items()
        }
    if kind == "L":
        return [_check(inner, level + 1) for inner in _typed(member, list)]
    return _check_set(kind, _typed(member, list))


def _check_set(kind: str, members: list[Any]) -> list[Any]:
    if not members:
        raise ValueProblem(EMPTY_SET[kind])
    if kind == "NS":
        numbers = [number(_typed(text, str)) for text in members]
        # Repeats by value (1 and 1.0 are one member: not verified, but a set of them
        # could not be stored, since both are stored as 1).
        if len(set(numbers)) < len(numbers):
            # Older layer: "Input collection contains duplicates", no prefix, no stop.
            raise ValueProblem(_INVALID + "Input collection contains duplicates.")
        return [number_text(n) for n in numbers]
    if kind == "SS":
        texts = [_typed(text, str) for text in members]
        _refuse_duplicates(texts, [text.encode() for text in texts], kind)
        return texts
    blobs = [bytes(_typed(blob, (bytes, bytearray, memoryview))) for blob in members]
    _refuse_duplicates([base64.b64encode(b).decode() for b in blobs], blobs, kind)
    return blobs


def _refuse_duplicates(shown: list[str], keys: list[bytes], kind: str) -> None:
    """Refuse a set with a repeated member, listing it as DynamoDB does: the members
    before the first repeat in byte order, the repeat, then the rest as sent, quoted
    (captured with ASCII members; the order of others, and any escaping of a quote
    inside a member, are not verified). Older layer: ``[b, a, b]``, unquoted, as sent."""
    seen: dict[bytes, str] = {}
    for index, key in enumerate(keys):
        if key in seen:
            listed = [seen[k] for k in sorted(seen)] + shown[index:]
            quoted = [f'"{text}"' for text in listed]
            if kind == "BS":
                # Binary sets: no space after the commas, none before "of".
                collection = "[" + ",".join(quoted) + "]of type BS"
            else:
                collection = "[" + ", ".join(quoted) + "]"
            raise ValueProblem(f"{_INVALID}Input collection {collection} contains duplicates.")
        seen[key] = shown[index]


def _typed(member: Any, kinds: type | tuple[type, ...]) -> Any:
    if not isinstance(member, kinds):
        raise TypeError(f"an attribute value member of type {type(member).__name__}")
    return member


# -- sizes --------------------------------------------------------------------------


def item_size(item: Item) -> int:
    """The size DynamoDB counts for ``item`` against its 400 KB limit: each attribute's
    name (UTF-8 bytes) plus its value's :func:`value_size`."""
    return sum(len(name.encode()) + value_size(value) for name, value in item.items())


def check_item_size(item: Item) -> None:
    """ValueProblem if ``item`` is larger than DynamoDB stores (409,600 bytes)."""
    if item_size(item) > MAX_ITEM_SIZE:
        raise ValueProblem(ITEM_TOO_LARGE)


def value_size(value: AttributeValue) -> int:
    """The bytes a checked value counts for, after the Developer Guide's "Item sizes and
    formats": a string its UTF-8 bytes, a blob its raw bytes, NULL and BOOL 1, a list or
    map 3 plus each element's size plus 1 per element (a map element's size includes
    its name). A set counts its members' sizes: the guide gives no rule for sets (not
    verified). A number: see :func:`number_size`."""
    kind = type_of(value)
    member = value[kind]
    if kind == "S":
        return len(member.encode())
    if kind == "N":
        return number_size(number(member))
    if kind == "B":
        return len(member)
    if kind in ("NULL", "BOOL"):
        return 1
    if kind == "SS":
        return sum(len(text.encode()) for text in member)
    if kind == "NS":
        return sum(number_size(number(text)) for text in member)
    if kind == "BS":
        return sum(len(blob) for blob in member)
    if kind == "M":
        return 3 + sum(len(name.encode()) + value_size(v) + 1 for name, v in member.items())
    return 3 + sum(value_size(v) + 1 for v in member)


def number_size(value: Decimal) -> int:
    """A number's size: 1 byte, plus 1 per base-100 digit counted from the decimal point
    (the pairs its significant digits fall in), plus 1 if negative; zero is 1.

    The guide says "approximately 1 byte per two significant digits plus 1 byte"; this
    rule is the exact one: it gives all 23 numbers whose size was captured against
    DynamoDB's 400 KB gate (2026-08), where the guide's misses those whose digits
    straddle the point or a pair (3.14159 is 5 bytes, 123456 is 4, 100.5 is 4, 1E125
    is 2, -42 is 3). It is the layout of Oracle's NUMBER, whose range DynamoDB's is.
    """
    negative, digits, exponent = digits_of(value)
    if not digits:
        return 1
    highest = exponent + len(digits) - 1  # the power of ten of the first digit
    pairs = highest // 2 - exponent // 2 + 1
    return 1 + pairs + int(negative)


# -- comparing ----------------------------------------------------------------------


def compare(a: AttributeValue, b: AttributeValue) -> int:
    """-1, 0 or 1 as ``a`` sorts before, with or after ``b``, in DynamoDB's order: S by
    UTF-8 bytes, N numerically, B by unsigned bytes. TypeError for any other pair
    (different types, or a type with no order)."""
    kind = type_of(a)
    if kind != type_of(b) or kind not in SCALARS:
        raise TypeError(f"DynamoDB does not order {kind} against {type_of(b)}")
    left: Any
    right: Any
    if kind == "S":
        left, right = a["S"].encode(), b["S"].encode()
    elif kind == "N":
        left, right = number(a["N"]), number(b["N"])
    else:
        left, right = bytes(a["B"]), bytes(b["B"])
    return int(left > right) - int(left < right)


def equal(a: AttributeValue, b: AttributeValue) -> bool:
    """Whether ``a`` and ``b`` are the same value: same type, numbers numerically, sets
    as sets, maps and lists element by element."""
    kind = type_of(a)
    if kind != type_of(b):
        return False
    left, right = a[kind], b[kind]
    if kind == "N":
        return number(left) == number(right)
    if kind == "B":
        return bytes(left) == bytes(right)
    if kind in ("SS", "BS"):
        return {bytes(m) if kind == "BS" else m for m in left} == {
            bytes(m) if kind == "BS" else m for m in right
        }
    if kind == "NS":
        return {number(m) for m in left} == {number(m) for m in right}
    if kind == "M":
        return left.keys() == right.keys() and all(equal(left[k], right[k]) for k in left)
    if kind == "L":
        return len(left) == len(right) and all(map(equal, left, right))
    return bool(left == right)
