"""The IAM action and resource each operation needs. API Gateway's control plane is
authorised by HTTP verb, not by operation: ``apigateway:GET``, ``POST``, ``PUT``,
``PATCH``, ``DELETE``, on the ARN of the resource path the call addresses
(``arn:aws:apigateway:<region>::/apis/<id>/routes/<id>``; the tags operations':
``::/tags/<arn>``), as the API Gateway ARN reference lists them. Both come from the
model's request URI of the operation, with the call's members in it."""

from __future__ import annotations

import functools
import re
from typing import TYPE_CHECKING

from altus.api.model import service_model
from altus.api.spec import Members, Needs

if TYPE_CHECKING:
    from altus.apigatewayv2.component import ApiGatewayV2

_LABEL = re.compile(r"\{([^}]+)\}")


@functools.cache
def _http(operation: str) -> tuple[str, str, dict[str, str]]:
    """The operation's verb, path template and its labels' member names."""
    model = service_model("apigatewayv2").operation_model(operation)
    path = str(model.http["requestUri"]).split("?", 1)[0].removeprefix("/v2")
    labels = {
        str(shape.serialization.get("name", name)): name
        for name, shape in model.input_shape.members.items()
        if shape.serialization.get("location") == "uri"
    }
    return str(model.http["method"]), path, labels


def actions(gateway: ApiGatewayV2, operation: str, members: Members) -> Needs:
    method, path, labels = _http(operation)

    def filled(found: re.Match[str]) -> str:
        value = members.get(labels.get(found.group(1).rstrip("+"), ""))
        return str(value) if value else "*"

    return f"apigateway:{method}", gateway.core.arn(_LABEL.sub(filled, path))
