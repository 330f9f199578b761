"""Applying a ProjectionExpression to an item: the parts of the item its paths name,
in the item's own shape (ScyllaDB Alternator's and the nubo-db conformance tests,
against DynamoDB):

- ``a.b`` gives ``{"a": {"M": {"b": ...}}}``; ``a.b[2].y`` gives ``a`` with ``b`` a
  one-element list holding a map with only ``y``.
- Several indexes of one list give the elements found, in index order, packed (``l[2],
  l[0]`` gives ``[l0, l2]``).
- A path that finds nothing (a missing attribute, a key of a non-map, an index past
  the end or of a non-list) adds nothing, not even its parents; an item none of whose
  paths finds anything projects to ``{}``.

:func:`project_paths` does the same for any paths that do not overlap: the targets of
an update, for ReturnValues UPDATED_OLD and UPDATED_NEW.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

from altus.dynamodb.expressions.ast import AttributeValue, Path, Projection
from altus.dynamodb.expressions.paths import Item


class _Node:
    """The paths below one point: either the whole value (no children) or some of its
    keys or indexes."""

    __slots__ = ("children", "whole")

    def __init__(self) -> None:
        self.whole = False
        self.children: dict[str | int, _Node] = {}


def project(item: Item, projection: Projection) -> dict[str, Any]:
    """The parts of ``item`` the projection names."""
    return project_paths(item, projection.paths)


def project_paths(item: Item, paths: Sequence[Path]) -> dict[str, Any]:
    """The parts of ``item`` the paths name (a path inside another is covered by it)."""
    root = _Node()
    for path in paths:
        node = root
        for element in path.elements:
            node = node.children.setdefault(element, _Node())
        node.whole = True
    result: dict[str, Any] = {}
    for name, node in root.children.items():
        assert isinstance(name, str)  # a path starts with an attribute name
        if name in item:
            found = _extract(item[name], node)
            if found is not None:
                result[name] = found
    return result


def _extract(value: AttributeValue, node: _Node) -> AttributeValue | None:
    if node.whole:
        return copy.deepcopy(dict(value))
    keys = [key for key in node.children if isinstance(key, str)]
    indexes = sorted(key for key in node.children if isinstance(key, int))
    if keys and isinstance(value.get("M"), Mapping):
        members = value["M"]
        kept = {}
        for key in keys:
            if key in members:
                found = _extract(members[key], node.children[key])
                if found is not None:
                    kept[key] = found
        return {"M": kept} if kept else None
    if indexes and isinstance(value.get("L"), list):
        elements = value["L"]
        taken = [
            found
            for index in indexes
            if index < len(elements)
            and (found := _extract(elements[index], node.children[index])) is not None
        ]
        return {"L": taken} if taken else None
    return None
