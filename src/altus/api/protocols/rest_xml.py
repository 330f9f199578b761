"""rest-xml (S3, and Route 53 and CloudFront in AWS): the operation from the method and
path as in rest-json; members in the URI, the query string, headers and an XML body (or
a blob payload handed over unread); output members in the status code, headers and an
XML document (or a payload: bytes, or a stream).

Errors are ``<Error><Code/><Message/><RequestId/></Error>`` with the model's status.
"""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from altus.api.protocols.base import request_id_header
from altus.api.protocols.rest import RestProtocol, raw_payload
from altus.api.protocols.xml import XmlWriter, escape, read_element
from altus.api.spec import Call, Members
from altus.api.validate import Unreadable
from altus.errors import AltusError

XML = "application/xml"


class RestXmlProtocol(RestProtocol):
    name = "rest-xml"

    def __init__(self, spec: Any, model: Any) -> None:
        super().__init__(spec, model)
        self.namespace = model.metadata.get("xmlNamespace", {})
        self._writer = XmlWriter(spec.overrides)

    def decode(self, shape: Any, raw: bytes) -> Any:
        try:
            root = ElementTree.fromstring(raw)
        except ElementTree.ParseError as error:
            raise Unreadable("", "", f"well-formed XML ({error})") from None
        return read_element(shape, root, self.overrides)

    def respond(self, call: Call, operation: Any, output: Members) -> Response:
        shape, status, headers, body = self.head(call, operation, output)
        if shape is None:
            return Response(b"", status, headers)
        payload = shape.serialization.get("payload")
        if payload is None:
            if not self.has_body(shape):
                return Response(b"", status, headers)
            root = shape.serialization.get("name", shape.name)
            return Response(self._document(shape, body, root), status, headers, media_type=XML)
        target = shape.members[payload]
        value = body.get(payload)
        if value is None:
            return Response(b"", status, headers)
        if target.type_name in ("blob", "string"):
            return raw_payload(target, value, status, headers)
        root = target.serialization.get("name", target.name)
        return Response(self._document(target, value, root), status, headers, media_type=XML)

    def _document(self, shape: Any, value: Members, root: str) -> bytes:
        namespace = self.namespace.get("uri") if isinstance(self.namespace, dict) else None
        attribute = f' xmlns="{namespace}"' if namespace else ""
        out = ['<?xml version="1.0" encoding="UTF-8"?>', f"<{root}{attribute}>"]
        self._writer.members(shape, value, out)
        out.append(f"</{root}>")
        return "".join(out).encode()

    def error(self, request: Request, request_id: str, error: AltusError) -> Response:
        shown = self.view(error)
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>'
            f"<Error><Code>{escape(shown.query_code)}</Code>"
            f"<Message>{escape(shown.message)}</Message>"
            f"<RequestId>{escape(request_id)}</RequestId></Error>"
        )
        return Response(
            body.encode(),
            shown.status,
            {**request_id_header(request_id), **shown.headers},
            media_type=XML,
        )
