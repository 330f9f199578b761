"""Models (WebSocket APIs): Create/Get/GetModels/Update/Delete, and GetModelTemplate.
A model's Schema is kept as given once it is known to be a JSON object (API Gateway
takes JSON Schema draft 4); its name is unique in the API."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from altus.api.spec import Call, Members
from altus.apigatewayv2.children import Kind, websocket
from altus.apigatewayv2.errors import BadRequest, Conflict
from altus.apigatewayv2.model import MODEL, ApiState

if TYPE_CHECKING:
    from altus.apigatewayv2.component import ApiGatewayV2


def _checked(state: ApiState, body: dict[str, Any], ident: str) -> dict[str, Any]:
    name = str(body["Name"])
    if not re.fullmatch(r"[A-Za-z0-9]{1,128}", name):
        raise BadRequest(f"Model name '{name}' is not valid: names are letters and digits.")
    if any(m.id != ident and m.body["Name"] == name for m in state.of(MODEL).values()):
        raise Conflict(f"Model name already exists for this API: {name}")
    try:
        schema = json.loads(str(body["Schema"]))
    except ValueError:
        raise BadRequest("Invalid model schema specified: it is not JSON.") from None
    except RecursionError:
        raise BadRequest("Invalid model schema specified: it is nested too deeply.") from None
    if not isinstance(schema, dict):
        raise BadRequest("Invalid model schema specified: it is not a JSON object.")
    body.setdefault("ContentType", "application/json")
    return body


#: Models are not captured by a deployment (a change to one does not auto-deploy).
MODELS = Kind(MODEL, "ModelId", within=websocket("Models"), captured=False)


async def create_model(gateway: ApiGatewayV2, call: Call, input: Members) -> Members:
    return await MODELS.create(
        gateway,
        input,
        lambda state, ident, given: _checked(state, {**given, "ModelId": ident}, ident),
    )


get_model = MODELS.get
get_models = MODELS.get_all


async def update_model(gateway: ApiGatewayV2, call: Call, input: Members) -> Members:
    return await MODELS.update(
        gateway,
        input,
        lambda state, current, given: _checked(state, {**current.body, **given}, current.id),
    )


async def delete_model(gateway: ApiGatewayV2, call: Call, input: Members) -> Members:
    return await MODELS.delete(gateway, input)


def _template(schema: Any, depth: int = 0) -> str:
    """A mapping template that writes a value of ``schema``'s shape from the request's
    own (``$input.path``), property by property."""
    if not isinstance(schema, dict) or depth > 8:
        return "\"$input.path('$')\""
    if schema.get("type") == "object" or "properties" in schema:
        fields = [f'  "{name}" : "$inputRoot.{name}"' for name in (schema.get("properties") or {})]
        return "{\n" + ",\n".join(fields) + "\n}"
    return '"$inputRoot"'


async def get_model_template(gateway: ApiGatewayV2, call: Call, input: Members) -> Members:
    model = MODELS.named(gateway, input)[1]
    schema = json.loads(str(model.body["Schema"]))
    return {"Value": "#set($inputRoot = $input.path('$'))\n" + _template(schema)}
