"""Document paths against items, and against each other.

Reading: :func:`resolve` follows a path into an item; a step that finds nothing, or
finds a value of the wrong kind (``.b`` into a list, ``[0]`` into a map or a string),
means the path is missing, never an error.

Comparing: one UpdateExpression, and one ProjectionExpression, may not name two paths
that *overlap* (one is the other or lies inside it: ``a`` and ``a.b``, ``a[1]`` and
``a[1][1]``) or that *conflict* (they part where one takes a map key and the other a
list index: ``a.b`` and ``a[1]``). DynamoDB looks for overlaps among all pairs first,
then for conflicts, and names the pair's earlier path first ("path one"): dynalite's
tests show ``SET d[1] = a, d.b = a, c[1].a = a, c = ...`` refused for the overlap of
``[c, [1], a]`` and ``[c]``, not for the earlier conflict of ``d[1]`` and ``d.b``.
Sibling keys (``a.b``, ``a.c``) and different indexes (``a[1]``, ``a[2]``) are fine.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from altus.dynamodb.expressions import errors
from altus.dynamodb.expressions.ast import AttributeValue, Path

#: An item: attribute name to value (the alias of ``altus.dynamodb.values.Item``).
Item = Mapping[str, AttributeValue]


def resolve(item: Item | None, path: Path) -> AttributeValue | None:
    """The value at ``path`` in ``item`` (None for no item), or None if there is none."""
    if item is None:
        return None
    current: AttributeValue | None = item.get(path.attribute)
    for element in path.elements[1:]:
        current = step(current, element)
        if current is None:
            return None
    return current


def step(value: AttributeValue | None, element: str | int) -> AttributeValue | None:
    """The member ``element`` of ``value``: a key of a map, an index of a list."""
    if value is None:
        return None
    if isinstance(element, int):
        members = value.get("L")
        if isinstance(members, list) and element < len(members):
            found: AttributeValue = members[element]
            return found
        return None
    entries = value.get("M")
    if isinstance(entries, Mapping):
        member: AttributeValue | None = entries.get(element)
        return member
    return None


def overlaps(one: Path, two: Path) -> bool:
    """Whether one path is the other or a prefix of it."""
    shorter = min(len(one.elements), len(two.elements))
    return one.elements[:shorter] == two.elements[:shorter]


def conflicts(one: Path, two: Path) -> bool:
    """Whether the paths part at an element where one has a key, the other an index."""
    for a, b in zip(one.elements, two.elements, strict=False):
        if a != b or type(a) is not type(b):
            return isinstance(a, int) != isinstance(b, int)
    return False


def check_distinct(paths: Sequence[Path], kind: str) -> None:
    """Refuse (``Invalid <kind>: ...``) the first overlapping pair of ``paths``, else
    the first conflicting pair. Quadratic, as the pairs are: an expression holds at
    most a few hundred paths (4 KB)."""
    for test, wording in ((overlaps, errors.overlap), (conflicts, errors.conflict)):
        for index, one in enumerate(paths):
            for two in paths[index + 1 :]:
                if test(one, two):
                    raise errors.invalid(kind, wording(str(one), str(two)))
