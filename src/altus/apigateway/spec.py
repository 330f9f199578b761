"""API Gateway (REST APIs), as the framework sees it: botocore's ``apigateway`` model
(rest-json, signing name ``apigateway``: ``/restapis...``, ``/apikeys``,
``/usageplans``, ``/tags/...``, ``/account``), the operations Altus serves, its tables
and its component. Custom domain names, base path mappings, VPC links, client
certificates, documentation parts and versions, SDK generation, the test invocations
and domain access associations are refused as operations Altus does not serve."""

from __future__ import annotations

from starlette.requests import Request

from altus.api.spec import Schemas, ServiceSpec
from altus.api.validate import CoralViolations
from altus.apigateway import (
    actions,
    deployments,
    export,
    keys,
    methods,
    openapi,
    parts,
    plans,
    resources,
    restapis,
    tags,
)
from altus.apigateway.component import ApiGateway
from altus.apigateway.errors import ApiGatewayError, BadRequest, NotFound
from altus.apigateway.sql_store import SCHEMA
from altus.errors import AltusError


def _unknown(name: str | None) -> AltusError:
    if name is None:
        return NotFound("Invalid request path: no API Gateway operation is served there")
    return BadRequest(f"Altus does not serve the {name} operation of API Gateway")


#: The first segments of API Gateway's paths. ``/tags/`` is Scheduler's too: Scheduler
#: is asked first, so a path of its own stays its; what fits neither (``/tags/``, its
#: label left empty) is refused here as unauthenticated, as either would refuse it.
_OWN_PATHS = (
    "tags",
    "restapis",
    "apikeys",
    "usageplans",
    "account",
    "domainnames",
    "domainnameaccessassociations",
    "rejectdomainnameaccessassociations",
    "vpclinks",
    "clientcertificates",
    "sdktypes",
)


def _claims_unsigned(gateway: ApiGateway, request: Request, operation: str | None) -> bool:
    """Paths under API Gateway's own first segments are its, fitting an operation or
    not: an unsigned request on one that fits none (a label left empty,
    ``/restapis//stages``) is refused as unauthenticated, not as an unknown operation of
    no service."""
    first = request.url.path.lstrip("/").split("/", 1)[0]
    return operation is not None or first in _OWN_PATHS


SPEC = ServiceSpec(
    name="apigateway",
    operations={
        "CreateRestApi": restapis.create_rest_api,
        "GetRestApi": restapis.get_rest_api,
        "GetRestApis": restapis.get_rest_apis,
        "UpdateRestApi": restapis.update_rest_api,
        "DeleteRestApi": restapis.delete_rest_api,
        "ImportRestApi": openapi.import_rest_api,
        "PutRestApi": openapi.put_rest_api,
        "GetExport": export.get_export,
        "CreateResource": resources.create_resource,
        "GetResource": resources.get_resource,
        "GetResources": resources.get_resources,
        "UpdateResource": resources.update_resource,
        "DeleteResource": resources.delete_resource,
        "PutMethod": methods.put_method,
        "GetMethod": methods.get_method,
        "UpdateMethod": methods.update_method,
        "DeleteMethod": methods.delete_method,
        "PutMethodResponse": methods.put_method_response,
        "GetMethodResponse": methods.get_method_response,
        "UpdateMethodResponse": methods.update_method_response,
        "DeleteMethodResponse": methods.delete_method_response,
        "PutIntegration": methods.put_integration,
        "GetIntegration": methods.get_integration,
        "UpdateIntegration": methods.update_integration,
        "DeleteIntegration": methods.delete_integration,
        "PutIntegrationResponse": methods.put_integration_response,
        "GetIntegrationResponse": methods.get_integration_response,
        "UpdateIntegrationResponse": methods.update_integration_response,
        "DeleteIntegrationResponse": methods.delete_integration_response,
        "CreateDeployment": deployments.create_deployment,
        "GetDeployment": deployments.get_deployment,
        "GetDeployments": deployments.get_deployments,
        "UpdateDeployment": deployments.update_deployment,
        "DeleteDeployment": deployments.delete_deployment,
        "CreateStage": deployments.create_stage,
        "GetStage": deployments.get_stage,
        "GetStages": deployments.get_stages,
        "UpdateStage": deployments.update_stage,
        "DeleteStage": deployments.delete_stage,
        "FlushStageAuthorizersCache": deployments.flush_stage_authorizers_cache,
        "FlushStageCache": deployments.flush_stage_cache,
        "CreateAuthorizer": parts.create_authorizer,
        "GetAuthorizer": parts.get_authorizer,
        "GetAuthorizers": parts.get_authorizers,
        "UpdateAuthorizer": parts.update_authorizer,
        "DeleteAuthorizer": parts.delete_authorizer,
        "CreateRequestValidator": parts.create_request_validator,
        "GetRequestValidator": parts.get_request_validator,
        "GetRequestValidators": parts.get_request_validators,
        "UpdateRequestValidator": parts.update_request_validator,
        "DeleteRequestValidator": parts.delete_request_validator,
        "CreateModel": parts.create_model,
        "GetModel": parts.get_model,
        "GetModels": parts.get_models,
        "UpdateModel": parts.update_model,
        "DeleteModel": parts.delete_model,
        "GetModelTemplate": parts.get_model_template,
        "PutGatewayResponse": parts.put_gateway_response,
        "GetGatewayResponse": parts.get_gateway_response,
        "GetGatewayResponses": parts.get_gateway_responses,
        "UpdateGatewayResponse": parts.update_gateway_response,
        "DeleteGatewayResponse": parts.delete_gateway_response,
        "TagResource": tags.tag_resource,
        "UntagResource": tags.untag_resource,
        "GetTags": tags.get_tags,
        "GetAccount": tags.get_account,
        "UpdateAccount": tags.update_account,
        "CreateApiKey": keys.create_api_key,
        "GetApiKey": keys.get_api_key,
        "GetApiKeys": keys.get_api_keys,
        "UpdateApiKey": keys.update_api_key,
        "DeleteApiKey": keys.delete_api_key,
        "ImportApiKeys": keys.import_api_keys,
        "CreateUsagePlan": plans.create_usage_plan,
        "GetUsagePlan": plans.get_usage_plan,
        "GetUsagePlans": plans.get_usage_plans,
        "UpdateUsagePlan": plans.update_usage_plan,
        "DeleteUsagePlan": plans.delete_usage_plan,
        "CreateUsagePlanKey": plans.create_usage_plan_key,
        "GetUsagePlanKey": plans.get_usage_plan_key,
        "GetUsagePlanKeys": plans.get_usage_plan_keys,
        "DeleteUsagePlanKey": plans.delete_usage_plan_key,
        "GetUsage": plans.get_usage,
        "UpdateUsage": plans.update_usage,
    },
    errors=ApiGatewayError,
    violations=CoralViolations(BadRequest),
    build=ApiGateway,
    schemas=(Schemas((SCHEMA,)),),
    actions=actions.actions,
    unknown=_unknown,
    unsigned_claim=_claims_unsigned,
)
