"""rest-xml (S3, and Route 53 and CloudFront in AWS): the operation from the method and
path as in rest-json; members in the URI, the query string, headers and an XML body (or
a blob payload handed over unread); output members in the status code, headers and an
XML document (or a payload: bytes, or a stream).

Errors are ``<Error><Code/><Message/>...<RequestId/></Error>`` with the model's status
(the error's other fields as elements between). Every answer carries S3's request ids,
``x-amz-request-id`` and ``x-amz-id-2``, where the JSON services send
``x-amzn-RequestId``.
"""

from __future__ import annotations

import base64
import hashlib
import xml.etree.ElementTree as ElementTree
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from altus.api.protocols.rest import RestProtocol, raw_payload
from altus.api.protocols.xml import XmlWriter, escape, read_element
from altus.api.spec import Call, Members
from altus.api.validate import Unreadable
from altus.errors import AltusError

XML = "application/xml"

#: Outputs whose document is one member's element with the value as its text, not a
#: structure (S3's GetBucketLocation: ``<LocationConstraint>eu-west-1</...>``, which
#: botocore reads from the root).
BARE_ROOTS = {"GetBucketLocationOutput": "LocationConstraint"}


def s3_request_ids(request_id: str) -> dict[str, str]:
    """S3's own request id headers, which botocore reads an S3 answer's RequestId and
    HostId from: ``x-amz-request-id``, and ``x-amz-id-2`` (an opaque id of the host that
    answered; here one derived from the request's)."""
    host_id = base64.b64encode(hashlib.sha256(request_id.encode()).digest()).decode()
    return {"x-amz-request-id": request_id, "x-amz-id-2": host_id}


class RestXmlProtocol(RestProtocol):
    name = "rest-xml"

    def __init__(self, spec: Any, model: Any) -> None:
        super().__init__(spec, model)
        self.namespace = model.metadata.get("xmlNamespace") or (
            {"uri": spec.overrides.xml_namespace} if spec.overrides.xml_namespace else {}
        )
        self._writer = XmlWriter(spec.overrides)

    def decode(self, shape: Any, raw: bytes) -> Any:
        try:
            root = ElementTree.fromstring(raw)
        except ElementTree.ParseError as error:
            raise Unreadable("", "", f"well-formed XML ({error})") from None
        return read_element(shape, root, self.overrides)

    def head(
        self, call: Call, operation: Any, output: Members
    ) -> tuple[Any, int, dict[str, str], Members]:
        shape, status, headers, body = super().head(call, operation, output)
        # S3's ids instead of the JSON services' x-amzn-RequestId (which botocore would
        # prefer, leaving the HostId out).
        headers.pop("x-amzn-RequestId", None)
        headers.update(s3_request_ids(call.request_id))
        return shape, status, headers, body

    def respond(self, call: Call, operation: Any, output: Members) -> Response:
        shape, status, headers, body = self.head(call, operation, output)
        if shape is None:
            return Response(b"", status, headers)
        payload = shape.serialization.get("payload")
        if payload is None:
            if not self.has_body(shape):
                return Response(b"", status, headers)
            root = self.overrides.xml_roots.get(shape.name) or shape.serialization.get(
                "name", shape.name
            )
            bare = BARE_ROOTS.get(shape.name)
            if bare is not None:
                return Response(self._bare(bare, body.get(bare)), status, headers, media_type=XML)
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

    def _bare(self, member: str, value: Any) -> bytes:
        """A document that is one member's element, its text the value."""
        namespace = self.namespace.get("uri") if isinstance(self.namespace, dict) else None
        attribute = f' xmlns="{namespace}"' if namespace else ""
        text = escape(str(value)) if value is not None else ""
        document = f"<{member}{attribute}>{text}</{member}>"
        return ('<?xml version="1.0" encoding="UTF-8"?>' + document).encode()

    def error(self, request: Request, request_id: str, error: AltusError) -> Response:
        shown = self.view(error)
        # Fields an error carries besides its message go in as elements (S3's
        # BucketName, Key, Condition ...).
        extra = "".join(
            f"<{name}>{escape(str(value))}</{name}>"
            for name, value in shown.body.items()
            if name.lower() != "message" and isinstance(value, (str, int)) and name.isalnum()
        )
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>'
            f"<Error><Code>{escape(shown.query_code)}</Code>"
            f"<Message>{escape(shown.message)}</Message>{extra}"
            f"<RequestId>{escape(request_id)}</RequestId></Error>"
        )
        return Response(
            body.encode(),
            shown.status,
            {**s3_request_ids(request_id), **shown.headers},
            media_type=XML,
        )
