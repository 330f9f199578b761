"""The API Gateway V2 service, as the framework sees it: botocore's ``apigatewayv2``
model (rest-json under ``/v2``, signed as ``apigateway``), the operations of HTTP and
WebSocket APIs (custom domain names, API mappings, VPC links, portals and routing rules
are refused as operations Altus does not serve), its table and its component."""

from __future__ import annotations

from starlette.requests import Request

from altus.api.spec import Schemas, ServiceSpec
from altus.api.validate import CoralViolations
from altus.apigatewayv2 import (
    actions,
    apis_api,
    authorizers_api,
    import_api,
    integrations_api,
    models_api,
    routes_api,
    stages_api,
    tags_api,
)
from altus.apigatewayv2.component import ApiGatewayV2
from altus.apigatewayv2.errors import ApiGatewayV2Error, BadRequest, NotFound
from altus.apigatewayv2.sql_store import SCHEMA
from altus.errors import AltusError


def _unknown(name: str | None) -> AltusError:
    # API Gateway answers a path it has no resource for with NotFoundException; an
    # operation of the model Altus does not serve is refused as a bad request.
    if name is None:
        return NotFound("Invalid resource path: no operation of API Gateway V2 is here.")
    return BadRequest(f"Altus does not serve the {name} operation of API Gateway V2.")


def _claims_unsigned(gateway: ApiGatewayV2, request: Request, operation: str | None) -> bool:
    """Every path under ``/v2/`` is API Gateway V2's (no other model of the registry has
    one), fitting an operation or not: an unsigned request for one that fits none (a
    label left empty, ``/v2/tags/``) is refused as unauthenticated, as on AWS, not as an
    unknown operation of no service."""
    path = request.url.path
    return operation is not None or path == "/v2" or path.startswith("/v2/")


SPEC = ServiceSpec(
    name="apigatewayv2",
    operations={
        "CreateApi": apis_api.create_api,
        "GetApi": apis_api.get_api,
        "GetApis": apis_api.get_apis,
        "UpdateApi": apis_api.update_api,
        "DeleteApi": apis_api.delete_api,
        "DeleteCorsConfiguration": apis_api.delete_cors_configuration,
        "CreateRoute": routes_api.create_route,
        "GetRoute": routes_api.get_route,
        "GetRoutes": routes_api.get_routes,
        "UpdateRoute": routes_api.update_route,
        "DeleteRoute": routes_api.delete_route,
        "DeleteRouteRequestParameter": routes_api.delete_route_request_parameter,
        "CreateRouteResponse": routes_api.create_route_response,
        "GetRouteResponse": routes_api.get_route_response,
        "GetRouteResponses": routes_api.get_route_responses,
        "UpdateRouteResponse": routes_api.update_route_response,
        "DeleteRouteResponse": routes_api.delete_route_response,
        "CreateIntegration": integrations_api.create_integration,
        "GetIntegration": integrations_api.get_integration,
        "GetIntegrations": integrations_api.get_integrations,
        "UpdateIntegration": integrations_api.update_integration,
        "DeleteIntegration": integrations_api.delete_integration,
        "CreateIntegrationResponse": integrations_api.create_integration_response,
        "GetIntegrationResponse": integrations_api.get_integration_response,
        "GetIntegrationResponses": integrations_api.get_integration_responses,
        "UpdateIntegrationResponse": integrations_api.update_integration_response,
        "DeleteIntegrationResponse": integrations_api.delete_integration_response,
        "CreateAuthorizer": authorizers_api.create_authorizer,
        "GetAuthorizer": authorizers_api.get_authorizer,
        "GetAuthorizers": authorizers_api.get_authorizers,
        "UpdateAuthorizer": authorizers_api.update_authorizer,
        "DeleteAuthorizer": authorizers_api.delete_authorizer,
        "CreateStage": stages_api.create_stage,
        "GetStage": stages_api.get_stage,
        "GetStages": stages_api.get_stages,
        "UpdateStage": stages_api.update_stage,
        "DeleteStage": stages_api.delete_stage,
        "DeleteRouteSettings": stages_api.delete_route_settings,
        "DeleteAccessLogSettings": stages_api.delete_access_log_settings,
        "ResetAuthorizersCache": stages_api.reset_authorizers_cache,
        "CreateDeployment": stages_api.create_deployment,
        "GetDeployment": stages_api.get_deployment,
        "GetDeployments": stages_api.get_deployments,
        "UpdateDeployment": stages_api.update_deployment,
        "DeleteDeployment": stages_api.delete_deployment,
        "CreateModel": models_api.create_model,
        "GetModel": models_api.get_model,
        "GetModels": models_api.get_models,
        "UpdateModel": models_api.update_model,
        "DeleteModel": models_api.delete_model,
        "GetModelTemplate": models_api.get_model_template,
        "ImportApi": import_api.import_api,
        "ReimportApi": import_api.reimport_api,
        "ExportApi": import_api.export_api,
        "TagResource": tags_api.tag_resource,
        "UntagResource": tags_api.untag_resource,
        "GetTags": tags_api.get_tags,
    },
    errors=ApiGatewayV2Error,
    violations=CoralViolations(BadRequest),
    build=ApiGatewayV2,
    schemas=(Schemas((SCHEMA,)),),
    actions=actions.actions,
    unknown=_unknown,
    unsigned_claim=_claims_unsigned,
)
