"""The IAM action and resource each API Gateway call needs, as AWS's documentation of
API Gateway's control-plane permissions has them: the action is the HTTP method
(``apigateway:GET``, ``POST``, ``PUT``, ``PATCH``, ``DELETE``) and the resource the
request's path as an ARN with no account: ``arn:aws:apigateway:<region>::/restapis/<id>/
resources/<id>/methods/GET`` (the path of the model's ``requestUri``, its variables
filled in from the call's members)."""

from __future__ import annotations

import functools
import re
from typing import TYPE_CHECKING

from altus.api.model import service_model
from altus.api.spec import Members, Needs

if TYPE_CHECKING:
    from altus.apigateway.component import ApiGateway

_VARIABLE = re.compile(r"\{([^}+]+)\+?\}")


@functools.cache
def _routes() -> dict[str, tuple[str, str, dict[str, str]]]:
    """Per operation: its HTTP method, its path template, and its path variables'
    member names by their wire names."""
    model = service_model("apigateway")
    found: dict[str, tuple[str, str, dict[str, str]]] = {}
    for name in model.operation_names:
        operation = model.operation_model(name)
        names: dict[str, str] = {}
        if operation.input_shape is not None:
            for member, shape in operation.input_shape.members.items():
                if shape.serialization.get("location") == "uri":
                    names[shape.serialization.get("name", member)] = member
        path = operation.http["requestUri"].split("?", 1)[0]
        found[name] = (operation.http["method"], path, names)
    return found


def actions(gateway: ApiGateway, operation: str, members: Members) -> Needs:
    method, template, names = _routes().get(operation, ("GET", "/", {}))

    def fill(found: re.Match[str]) -> str:
        value = members.get(names.get(found.group(1), found.group(1)))
        return str(value) if value is not None else "*"

    path = _VARIABLE.sub(fill, template)
    account = gateway.core.account
    return f"apigateway:{method}", f"arn:{account.partition}:apigateway:{account.region}::{path}"
