"""The query protocol (SNS, IAM, STS, CloudFormation, and SQS's older clients): a form
(``Action=<Op>&Version=...`` and the members, flattened into dotted keys) in a POST body
or a GET query string; the output as XML, ``<OpResponse><OpResult>...</OpResult>
<ResponseMetadata><RequestId/></ResponseMetadata></OpResponse>``.

Keys follow the model's wire names: ``Attribute.1.Name`` / ``Attribute.1.Value`` for a
flattened map with key and value names, ``Tags.member.1.Key`` for a list of structures,
``Entries.entry.1.key`` for a map that is not flattened. A service whose model lost them
(SQS, now JSON) supplies them as overrides. Errors are ``<ErrorResponse><Error><Type/>
<Code/><Message/></Error><RequestId/></ErrorResponse>`` with the legacy code.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import Response

from altus.api.errors import Unparsable
from altus.api.protocols.base import WireProtocol, request_id_header
from altus.api.protocols.common import header_map, read_body
from altus.api.protocols.xml import XmlWriter, escape, scalar_from_text
from altus.api.spec import Call, Members
from altus.api.validate import Unreadable, camel
from altus.errors import AltusError

XML = "text/xml"
_FORM = "altus.form"
#: Most items a list may have on the form (a batch has 10; a policy's actions, dozens).
_MAX_ITEMS = 10_000


def is_query(request: Request) -> bool:
    """Whether a request is in the query protocol's shape (a form naming an Action)."""
    content_type = header_map(request).get("content-type", "")
    if content_type.startswith("application/x-www-form-urlencoded"):
        return True
    return request.method == "GET" and "Action=" in request.url.query


class QueryProtocol(WireProtocol):
    name = "query"

    def __init__(self, spec: Any, model: Any) -> None:
        super().__init__(spec, model)
        self.namespace = model.metadata.get("xmlNamespace") or spec.overrides.xml_namespace or ""
        self._writer = XmlWriter(spec.overrides)

    async def form(self, request: Request) -> dict[str, str]:
        """The request's fields (the query string's, then the body's), read once."""
        found: dict[str, str] | None = request.scope.get(_FORM)
        if found is not None:
            return found
        fields = dict(parse_qsl(request.url.query, keep_blank_values=True))
        if request.method == "POST":
            raw = await read_body(request, self.spec.body_limit, "the query")
            try:
                fields.update(
                    parse_qsl(raw.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
                )
            except UnicodeDecodeError:
                raise Unparsable("The request body is not UTF-8 form data") from None
        request.scope[_FORM] = fields
        return fields

    async def operation(self, request: Request) -> str | None:
        name = (await self.form(request)).get("Action", "")
        return name if name in self.model.operation_names else None

    async def parse(self, request: Request, operation: Any) -> Members:
        shape = operation.input_shape
        if shape is None:
            return {}
        fields = await self.form(request)
        index = _Index(fields)
        try:
            members = self._structure(shape, "", index, "")
        except Unreadable as error:
            raise self.spec.violations.unreadable(error) from None
        return self.checked(request, operation, members)

    # --- the form, by shape --------------------------------------------------------------

    def _structure(self, shape: Any, prefix: str, index: _Index, path: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, member in shape.members.items():
            wire = self.overrides.wire_name(shape, name, member)
            key = f"{prefix}{wire}"
            value = self._value(member, key, index, f"{path}{camel(name)}", name)
            # botocore sends an empty list under the member's own name: ``Names=``.
            if (
                value is None
                and member.type_name == "list"
                and wire != name
                and index.fields.get(f"{prefix}{name}") == ""
            ):
                value = []
            if value is not None:
                out[name] = value
        return out

    def _value(self, shape: Any, key: str, index: _Index, path: str, member: str) -> Any:
        kind = shape.type_name
        if kind == "structure":
            return (
                self._structure(shape, f"{key}.", index, f"{path}.")
                if index.has_children(key)
                else None
            )
        if kind == "list":
            if shape.serialization.get("flattened"):
                item_prefix = key
            else:
                item_prefix = f"{key}.{shape.member.serialization.get('name', 'member')}"
            positions = index.positions(item_prefix)
            if not positions:
                if index.fields.get(key) == "":
                    return []
                single = index.fields.get(key)
                # An un-numbered single value (``AttributeName=All``), as older SDKs send.
                return (
                    [scalar_from_text(shape.member, single, member, path)]
                    if single is not None and shape.member.type_name != "structure"
                    else None
                )
            return [
                self._value(shape.member, f"{item_prefix}.{i}", index, f"{path}.{i}.member", member)
                for i in positions
            ]
        if kind == "map":
            key_name, value_name = self._entry_names(shape)
            entry_prefix = key if shape.serialization.get("flattened") else f"{key}.entry"
            positions = index.positions(entry_prefix)
            if not positions:
                return None
            out: dict[str, Any] = {}
            for i in positions:
                name = index.fields.get(f"{entry_prefix}.{i}.{key_name}")
                if name is None:
                    raise Unreadable(member, path, f"a {key_name} for entry {i}")
                out[name] = self._value(
                    shape.value, f"{entry_prefix}.{i}.{value_name}", index, path, member
                )
            return out
        text = index.fields.get(key)
        if text is None:
            return None
        return scalar_from_text(shape, text, member, path)

    def _entry_names(self, shape: Any) -> tuple[str, str]:
        override = self.overrides.map_names.get(shape.name)
        if override is not None:
            return override
        return (
            shape.key.serialization.get("name", "key"),
            shape.value.serialization.get("name", "value"),
        )

    # --- answers -------------------------------------------------------------------------

    def respond(self, call: Call, operation: Any, output: Members) -> Response:
        name = operation.name
        out = [f'<{name}Response xmlns="{self.namespace}">']
        shape = operation.output_shape
        if shape is not None:
            wrapper = shape.serialization.get("resultWrapper", f"{name}Result")
            out.append(f"<{wrapper}>")
            self._writer.members(shape, output, out)
            out.append(f"</{wrapper}>")
        out.append(
            f"<ResponseMetadata><RequestId>{escape(call.request_id)}</RequestId>"
            f"</ResponseMetadata></{name}Response>"
        )
        return Response(
            "".join(out).encode(),
            200,
            {**request_id_header(call.request_id), **call.response_headers},
            media_type=XML,
        )

    def error(self, request: Request, request_id: str, error: AltusError) -> Response:
        shown = self.view(error)
        fault = "Sender" if shown.sender else "Receiver"
        body = (
            f'<ErrorResponse xmlns="{self.namespace}"><Error><Type>{fault}</Type>'
            f"<Code>{escape(shown.query_code)}</Code>"
            f"<Message>{escape(shown.message)}</Message><Detail/></Error>"
            f"<RequestId>{escape(request_id)}</RequestId></ErrorResponse>"
        )
        return Response(
            body.encode(),
            shown.status,
            {**request_id_header(request_id), **shown.headers},
            media_type=XML,
        )


class _Index:
    """The form's keys as a tree, so that finding a list's items or whether a structure
    was given at all is a lookup, not a scan."""

    def __init__(self, fields: Mapping[str, str]) -> None:
        self.fields = fields
        self._children: dict[str, set[str]] = {}
        for key in fields:
            parts = key.split(".")
            for depth in range(1, len(parts)):
                self._children.setdefault(".".join(parts[:depth]), set()).add(parts[depth])

    def has_children(self, prefix: str) -> bool:
        return prefix in self._children

    def positions(self, prefix: str) -> list[int]:
        """The item numbers under ``prefix`` (``prefix.1``, ``prefix.2`` ...), in order."""
        # ASCII digits only: ``isdigit`` also takes "²" (which ``int`` refuses) and other
        # scripts' digits (which it reads); neither numbers an item on AWS's wire.
        numbers = sorted(
            int(p) for p in self._children.get(prefix, ()) if p.isascii() and p.isdigit()
        )
        if len(numbers) > _MAX_ITEMS:
            raise Unreadable(prefix, prefix, f"at most {_MAX_ITEMS} items")
        return numbers
