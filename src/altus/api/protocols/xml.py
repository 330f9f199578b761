"""Members to XML and back, by their shapes, as the query and rest-xml protocols lay them
out: an element per member under its wire name, lists wrapped in ``<member>`` elements
(or, flattened, one element per item), maps as ``<entry><key/><value/></entry>`` (or,
flattened, one element per entry), booleans ``true``/``false``, timestamps in ISO 8601,
blobs in base64.

Text is escaped for XML, carriage returns included (``&#13;``): an XML parser would turn
a bare one into a line feed, and a queue message must arrive as it was sent.
"""

from __future__ import annotations

import base64
import datetime
import xml.etree.ElementTree as ElementTree
from typing import Any

from altus.api.model import Overrides
from altus.api.protocols.common import (
    decimal_text,
    integer_text,
    timestamp_from_wire,
    timestamp_to_wire,
)
from altus.api.validate import Unreadable, camel

#: Characters XML 1.0 cannot carry at all, not even as references (control characters
#: but tab, LF and CR; surrogates; U+FFFE and U+FFFF): a parser refuses the whole
#: document. Text holding one (a value a caller sent, echoed in an error message) shows
#: U+FFFD in its place, so the answer still parses.
_NOT_XML = [*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20), *range(0xD800, 0xE000), 0xFFFE, 0xFFFF]
_ESCAPES = str.maketrans(
    {
        "&": "&amp;",
        "<": "&lt;",
        ">": "&gt;",
        "\r": "&#13;",
        '"': "&quot;",
        **{chr(code): "\ufffd" for code in _NOT_XML},
    }
)


def escape(text: str) -> str:
    return text.translate(_ESCAPES)


def scalar_text(shape: Any, value: Any) -> str:
    kind = shape.type_name
    if kind == "boolean":
        return "true" if value else "false"
    if kind == "blob":
        raw = value.encode() if isinstance(value, str) else bytes(value)
        return base64.b64encode(raw).decode()
    if kind == "timestamp":
        return str(timestamp_to_wire(value, shape.serialization.get("timestampFormat", "iso8601")))
    if kind in ("double", "float"):
        return repr(float(value))
    return str(value)


class XmlWriter:
    """Writes members as XML text; ``overrides`` supplies wire names a model lacks."""

    def __init__(self, overrides: Overrides) -> None:
        self._overrides = overrides

    def members(self, shape: Any, value: Any, out: list[str]) -> None:
        """The elements of a structure's members (without the structure's own)."""
        for name, member in shape.members.items():
            item = value.get(name)
            if item is None or member.serialization.get("location"):
                continue
            if member.serialization.get("xmlAttribute"):
                continue
            wire = self._overrides.wire_name(shape, name, member)
            self.element(member, item, wire, out)

    def element(self, shape: Any, value: Any, name: str, out: list[str]) -> None:
        kind = shape.type_name
        if kind == "structure":
            out.append(f"<{name}>")
            self.members(shape, value, out)
            out.append(f"</{name}>")
        elif kind == "list":
            if self._flattened(shape):
                for item in value:
                    self.element(shape.member, item, name, out)
            else:
                inner = shape.member.serialization.get("name", "member")
                out.append(f"<{name}>")
                for item in value:
                    self.element(shape.member, item, inner, out)
                out.append(f"</{name}>")
        elif kind == "map":
            key_name, value_name = self._entry_names(shape)
            flat = self._flattened(shape)
            if not flat:
                out.append(f"<{name}>")
            for key, item in value.items():
                out.append(f"<{name}>" if flat else "<entry>")
                self.element(shape.key, key, key_name, out)
                self.element(shape.value, item, value_name, out)
                out.append(f"</{name}>" if flat else "</entry>")
            if not flat:
                out.append(f"</{name}>")
        else:
            out.append(f"<{name}>{escape(scalar_text(shape, value))}</{name}>")

    def _entry_names(self, shape: Any) -> tuple[str, str]:
        override = self._overrides.map_names.get(shape.name)
        if override is not None:
            return override
        return (
            shape.key.serialization.get("name", "key"),
            shape.value.serialization.get("name", "value"),
        )

    @staticmethod
    def _flattened(shape: Any) -> bool:
        return bool(shape.serialization.get("flattened"))


def scalar_from_text(shape: Any, text: str, member: str, path: str) -> Any:
    """A text value (a form field, an XML element) as its shape's type."""
    kind = shape.type_name
    try:
        if kind in ("integer", "long"):
            return integer_text(text)
        if kind in ("double", "float"):
            return decimal_text(text)
        if kind == "boolean":
            if text.lower() not in ("true", "false"):
                raise ValueError(text)
            return text.lower() == "true"
        if kind == "timestamp":
            parsed: datetime.datetime = timestamp_from_wire(
                text, shape.serialization.get("timestampFormat", "iso8601")
            )
            return parsed
        if kind == "blob":
            return base64.b64decode(text, validate=True)
    except (ValueError, OverflowError, OSError):
        raise Unreadable(member, path, f"a value of type {kind}", text) from None
    return text


def read_element(
    shape: Any, element: ElementTree.Element, overrides: Overrides, path: str = ""
) -> Any:
    """An XML element's members by its shape (rest-xml request bodies)."""
    kind = shape.type_name
    if kind == "structure":
        out: dict[str, Any] = {}
        children = list(element)
        for name, member in shape.members.items():
            if member.serialization.get("location"):
                continue
            wire = overrides.wire_name(shape, name, member)
            if member.serialization.get("xmlAttribute"):
                value = element.get(wire)
                if value is not None:
                    out[name] = scalar_from_text(member, value, name, path + camel(name))
                continue
            matches = [c for c in children if _local(c.tag) == wire]
            if not matches:
                continue
            if member.type_name == "list" and member.serialization.get("flattened"):
                out[name] = [
                    read_element(member.member, c, overrides, path + camel(name)) for c in matches
                ]
            elif member.type_name == "map" and member.serialization.get("flattened"):
                out[name] = _map_entries(member, matches, overrides, path + camel(name))
            else:
                out[name] = read_element(member, matches[0], overrides, path + camel(name))
        return out
    if kind == "list":
        return [read_element(shape.member, c, overrides, path) for c in element]
    if kind == "map":
        return _map_entries(shape, list(element), overrides, path)
    return scalar_from_text(shape, element.text or "", path, path)


def _map_entries(
    shape: Any, entries: list[ElementTree.Element], overrides: Overrides, path: str
) -> dict[str, Any]:
    key_name = shape.key.serialization.get("name", "key")
    value_name = shape.value.serialization.get("name", "value")
    out: dict[str, Any] = {}
    for entry in entries:
        key = next((c.text or "" for c in entry if _local(c.tag) == key_name), None)
        value = next((c for c in entry if _local(c.tag) == value_name), None)
        if key is not None and value is not None:
            out[key] = read_element(shape.value, value, overrides, path)
    return out


def _local(tag: str) -> str:
    """An element's name without its namespace."""
    return tag.rpartition("}")[2]
