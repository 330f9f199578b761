"""Values read from an OpenAPI document, checked against the model's shapes as the
Create calls' members are (``altus.api.validate``): an integration against
CreateIntegrationRequest, an authorizer against CreateAuthorizerRequest, CORS against
Cors. A document is the caller's input as much as a request is, and what it gives goes
into the same records; without the check a number where a list belongs would be stored
and break later (serving, exporting)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from altus.api.model import NO_OVERRIDES, service_model
from altus.api.validate import Unreadable, check, coral_message
from altus.apigatewayv2.errors import BadRequest

INTEGRATION = "CreateIntegrationRequest"
AUTHORIZER = "CreateAuthorizerRequest"
CORS = "Cors"

#: The request shapes label the API in the path; a placeholder stands for it here.
_LABELS = {INTEGRATION: {"ApiId": "api"}, AUTHORIZER: {"ApiId": "api"}}


def checked(shape_name: str, members: Mapping[str, Any], where: str) -> dict[str, Any]:
    """``members`` (the model's names) checked against ``shape_name``; BadRequest
    naming ``where`` in the document for a value of the wrong type or out of bounds."""
    shape = service_model("apigatewayv2").shape_for(shape_name)
    labels = _LABELS.get(shape_name, {})
    try:
        out, problems = check(shape, {**members, **labels}, NO_OVERRIDES)
    except Unreadable as error:
        raise BadRequest(
            f"Invalid OpenAPI input: {where}: the value of {error.member} is not {error.expected}."
        ) from None
    if problems:
        raise BadRequest(f"Invalid OpenAPI input: {where}: {coral_message(problems)}")
    for label in labels:
        out.pop(label, None)
    return out
