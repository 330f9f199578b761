"""API Gateway V2's control plane through boto3, the rules beside the model: imports
refused whole on bad values (and a server that still restarts), AWS_IAM through export
and reimport, stage variables and route settings kept consistent, quick create's
members and managed resources, what auto-deploy captures and keeps, and AWS's errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from altus.testing import Harness
from tests.functional import apigatewayv2_helpers as helpers
from tests.functional.apigatewayv2_helpers import ACCOUNT, FUNCTION, error, served_stage

OTHER = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:other"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/invoker"
EXT = "x-amazon-apigateway-"


# The shared module fixtures, found by pytest under these names.
altus = helpers.altus
gw = helpers.gw


def _document(integration: dict[str, Any] | None = None, **extra: Any) -> str:
    given = {"type": "aws_proxy", "uri": FUNCTION, "payloadFormatVersion": "2.0"}
    given.update(integration or {})
    return json.dumps(
        {
            "openapi": "3.0.1",
            "info": {"title": "doc", "version": "1"},
            "paths": {"/a": {"get": {f"{EXT}integration": given}}},
            **extra,
        }
    )


def _routes(gw: Any, api_id: str) -> dict[str, dict[str, Any]]:
    return {r["RouteKey"]: r for r in gw.get_routes(ApiId=api_id)["Items"]}


# --- imports -----------------------------------------------------------------------------


def test_an_import_with_a_value_of_the_wrong_type_is_refused_and_makes_nothing(gw: Any) -> None:
    before = len(gw.get_apis(MaxResults="500")["Items"])
    for body in (
        _document({"requestParameters": [[1, 2], [3]]}),
        _document({"timeoutInMillis": "abc"}),
        _document(**{f"{EXT}cors": {"allowOrigins": "https://a.example"}}),
    ):
        code, message, status = error(gw.import_api, Body=body)
        assert (code, status) == ("BadRequestException", 400)
        assert message.startswith("Invalid OpenAPI input")
    assert len(gw.get_apis(MaxResults="500")["Items"]) == before


def test_a_refused_reimport_leaves_the_api_as_it_was(gw: Any) -> None:
    api_id = gw.import_api(Body=_document())["ApiId"]
    before = gw.get_integrations(ApiId=api_id)["Items"]
    code, _, _ = error(
        gw.reimport_api, ApiId=api_id, Body=_document({"requestParameters": {"a": 5}})
    )
    assert code == "BadRequestException"
    assert gw.get_integrations(ApiId=api_id)["Items"] == before
    assert gw.get_api(ApiId=api_id)["Name"] == "doc"


def test_after_a_refused_import_the_server_restarts(tmp_path: Path) -> None:
    store = f"sqlite:{tmp_path / 'altus.db'}"
    with Harness(data_dir=tmp_path, store=store) as harness:
        gw = harness.client("apigatewayv2")
        error(gw.import_api, Body=_document({"requestParameters": [[1, 2], [3]]}))
        api_id = gw.import_api(Body=_document())["ApiId"]
        gw.create_stage(ApiId=api_id, StageName="s", AutoDeploy=True)
    with Harness(data_dir=tmp_path, store=store) as again:
        assert again.platform is not None
        served = again.platform.component("apigatewayv2").stage(api_id, "s")
        assert served is not None and served.deployment.routes[0].key == "GET /a"


def test_an_unsupported_security_scheme_is_a_warning_and_an_open_route(gw: Any) -> None:
    body = json.dumps(
        {
            "openapi": "3.0.1",
            "info": {"title": "bearer"},
            "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
            "paths": {
                "/a": {
                    "get": {
                        "security": [{"bearer": []}],
                        f"{EXT}integration": {
                            "type": "aws_proxy",
                            "uri": FUNCTION,
                            "payloadFormatVersion": "2.0",
                        },
                    }
                }
            },
        }
    )
    answer = gw.import_api(Body=body)
    assert any("bearer" in w for w in answer["Warnings"])
    assert _routes(gw, answer["ApiId"])["GET /a"]["AuthorizationType"] == "NONE"
    code, message, _ = error(gw.import_api, Body=body, FailOnWarnings=True)
    assert code == "BadRequestException" and "bearer" in message


def test_yaml_aliases_and_deep_nesting_are_refused(gw: Any) -> None:
    aliased = "openapi: 3.0.1\na: &a [x]\ninfo:\n  title: t\n  description: *a\npaths: {}\n"
    assert error(gw.import_api, Body=aliased)[2] == 400
    deep = "openapi: 3.0.1\ninfo: {title: t}\nx: " + "[" * 50_000 + "]" * 50_000
    assert error(gw.import_api, Body=deep)[2] == 400
    ws = gw.create_api(
        Name="models", ProtocolType="WEBSOCKET", RouteSelectionExpression="$request.body.action"
    )["ApiId"]
    code, message, _ = error(
        gw.create_model, ApiId=ws, Name="deep", Schema="[" * 50_000 + "]" * 50_000
    )
    assert code == "BadRequestException" and "nested too deeply" in message


def test_aws_iam_routes_survive_export_and_reimport(gw: Any) -> None:
    api_id = gw.create_api(Name="iam", ProtocolType="HTTP")["ApiId"]
    ident = gw.create_integration(
        ApiId=api_id,
        IntegrationType="AWS_PROXY",
        IntegrationUri=FUNCTION,
        PayloadFormatVersion="2.0",
    )["IntegrationId"]
    gw.create_route(
        ApiId=api_id,
        RouteKey="GET /secret",
        Target=f"integrations/{ident}",
        AuthorizationType="AWS_IAM",
    )
    body = gw.export_api(ApiId=api_id, Specification="OAS30", OutputType="JSON")["body"].read()
    document = json.loads(body)
    assert document["paths"]["/secret"]["get"]["security"] == [{"sigv4": []}]
    assert document["components"]["securitySchemes"]["sigv4"][f"{EXT}authtype"] == "awsSigv4"
    gw.reimport_api(ApiId=api_id, Body=body.decode())
    assert _routes(gw, api_id)["GET /secret"]["AuthorizationType"] == "AWS_IAM"


def test_a_reimported_quick_create_api_keeps_its_quick_create_route(gw: Any) -> None:
    api_id = gw.create_api(Name="q", ProtocolType="HTTP", Target=FUNCTION)["ApiId"]
    body = gw.export_api(ApiId=api_id, Specification="OAS30", OutputType="JSON")["body"].read()
    gw.reimport_api(ApiId=api_id, Body=body.decode())
    gw.update_api(ApiId=api_id, Target="https://example.com")
    routes = _routes(gw, api_id)
    assert list(routes) == ["$default"] and routes["$default"]["ApiGatewayManaged"] is True
    (integration,) = gw.get_integrations(ApiId=api_id)["Items"]
    assert integration["IntegrationUri"] == "https://example.com"
    assert integration["ApiGatewayManaged"] is True


# --- stages ------------------------------------------------------------------------------


def test_an_empty_stage_variable_value_removes_the_variable(gw: Any) -> None:
    api_id = gw.create_api(Name="vars", ProtocolType="HTTP")["ApiId"]
    gw.create_stage(ApiId=api_id, StageName="s", StageVariables={"a": "1", "b": "2"})
    updated = gw.update_stage(ApiId=api_id, StageName="s", StageVariables={"a": "", "c": "3"})
    assert updated["StageVariables"] == {"b": "2", "c": "3"}
    assert (
        error(gw.update_stage, ApiId=api_id, StageName="s", StageVariables={"d": "no spaces"})[2]
        == 400
    )
    assert gw.get_stage(ApiId=api_id, StageName="s")["StageVariables"] == {"b": "2", "c": "3"}


def test_route_settings_follow_their_route_when_it_is_renamed_or_deleted(gw: Any) -> None:
    api_id = gw.create_api(Name="settings", ProtocolType="HTTP")["ApiId"]
    a = gw.create_route(ApiId=api_id, RouteKey="GET /a")["RouteId"]
    b = gw.create_route(ApiId=api_id, RouteKey="GET /b")["RouteId"]
    limits = {"ThrottlingRateLimit": 1.0, "ThrottlingBurstLimit": 1}
    gw.create_stage(ApiId=api_id, StageName="s", RouteSettings={"GET /a": limits, "GET /b": limits})
    gw.update_route(ApiId=api_id, RouteId=b, RouteKey="GET /c")
    assert set(gw.get_stage(ApiId=api_id, StageName="s")["RouteSettings"]) == {"GET /a", "GET /c"}
    gw.delete_route(ApiId=api_id, RouteId=a)
    assert set(gw.get_stage(ApiId=api_id, StageName="s")["RouteSettings"]) == {"GET /c"}
    # Later updates are checked on the keys they give only.
    gw.update_stage(
        ApiId=api_id, StageName="s", RouteSettings={"GET /c": {"ThrottlingBurstLimit": 5}}
    )
    code, message, _ = error(
        gw.update_stage, ApiId=api_id, StageName="s", RouteSettings={"GET /a": limits}
    )
    assert code == "BadRequestException" and "GET /a" in message


# --- quick create and managed resources --------------------------------------------------


def test_update_api_keeps_the_quick_route_key_and_credentials_not_given(gw: Any) -> None:
    api_id = gw.create_api(
        Name="quick", ProtocolType="HTTP", Target=FUNCTION, RouteKey="GET /x", CredentialsArn=ROLE
    )["ApiId"]
    gw.update_api(ApiId=api_id, Target=OTHER)
    assert list(_routes(gw, api_id)) == ["GET /x"]
    (integration,) = gw.get_integrations(ApiId=api_id)["Items"]
    assert integration["IntegrationUri"] == OTHER and integration["CredentialsArn"] == ROLE
    # RouteKey alone, on a quick-created API.
    gw.update_api(ApiId=api_id, RouteKey="GET /y")
    assert list(_routes(gw, api_id)) == ["GET /y"]
    (integration,) = gw.get_integrations(ApiId=api_id)["Items"]
    assert integration["IntegrationUri"] == OTHER
    plain = gw.create_api(Name="plain", ProtocolType="HTTP")["ApiId"]
    assert error(gw.update_api, ApiId=plain, RouteKey="GET /y")[0] == "BadRequestException"
    assert error(gw.update_api, ApiId=plain, CredentialsArn=ROLE)[0] == "BadRequestException"


def test_managed_resources_are_protected(altus: Harness, gw: Any) -> None:
    api_id = gw.create_api(Name="managed", ProtocolType="HTTP", Target=FUNCTION)["ApiId"]
    route = _routes(gw, api_id)["$default"]
    (integration,) = gw.get_integrations(ApiId=api_id)["Items"]
    for call, members in (
        (gw.update_route, {"RouteId": route["RouteId"], "RouteKey": "GET /z"}),
        (gw.delete_route, {"RouteId": route["RouteId"]}),
        (gw.delete_integration, {"IntegrationId": integration["IntegrationId"]}),
        (gw.delete_stage, {"StageName": "$default"}),
    ):
        code, message, status = error(call, ApiId=api_id, **members)
        assert (code, status) == ("BadRequestException", 400)
        assert "managed by API Gateway" in message
    assert list(_routes(gw, api_id)) == ["$default"]
    # What is not the key or the resource itself still changes.
    gw.update_route(ApiId=api_id, RouteId=route["RouteId"], OperationName="op")
    gw.update_stage(ApiId=api_id, StageName="$default", StageVariables={"v": "1"})
    served = served_stage(altus, api_id, "$default")
    assert served is not None and served.variables == {"v": "1"}


# --- auto-deploy -------------------------------------------------------------------------


def test_api_members_a_deployment_captures_are_auto_deployed(altus: Harness, gw: Any) -> None:
    ws = gw.create_api(
        Name="ws", ProtocolType="WEBSOCKET", RouteSelectionExpression="$request.body.action"
    )["ApiId"]
    ident = gw.create_integration(ApiId=ws, IntegrationType="MOCK")["IntegrationId"]
    gw.create_route(ApiId=ws, RouteKey="$default", Target=f"integrations/{ident}")
    gw.create_stage(ApiId=ws, StageName="prod", AutoDeploy=True)
    gw.update_api(ApiId=ws, RouteSelectionExpression="$request.body.op")
    served = served_stage(altus, ws, "prod")
    assert served is not None
    assert served.deployment.route_selection_expression == "$request.body.op"


def test_disabling_the_endpoint_takes_effect_on_deployment(altus: Harness, gw: Any) -> None:
    api_id = gw.create_api(Name="off", ProtocolType="HTTP")["ApiId"]
    gw.create_route(ApiId=api_id, RouteKey="GET /a")
    gw.create_stage(ApiId=api_id, StageName="manual")
    gw.create_deployment(ApiId=api_id, StageName="manual")
    gw.update_api(ApiId=api_id, DisableExecuteApiEndpoint=True)
    served = served_stage(altus, api_id, "manual")
    assert served is not None and not served.endpoint_disabled
    gw.create_deployment(ApiId=api_id, StageName="manual")
    served = served_stage(altus, api_id, "manual")
    assert served is not None and served.endpoint_disabled


def test_auto_deploy_keeps_only_the_deployments_in_use(gw: Any) -> None:
    api_id = gw.create_api(Name="many", ProtocolType="HTTP")["ApiId"]
    gw.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True)
    for n in range(30):
        gw.create_route(ApiId=api_id, RouteKey=f"GET /r{n}")
    (deployment,) = gw.get_deployments(ApiId=api_id)["Items"]
    stage = gw.get_stage(ApiId=api_id, StageName="$default")
    assert deployment["DeploymentId"] == stage["DeploymentId"] and deployment["AutoDeployed"]


# --- errors ------------------------------------------------------------------------------


def test_deleting_an_integration_a_route_uses_is_aws_s_conflict(gw: Any) -> None:
    api_id = gw.create_api(Name="used", ProtocolType="HTTP")["ApiId"]
    ident = gw.create_integration(
        ApiId=api_id,
        IntegrationType="HTTP_PROXY",
        IntegrationUri="https://example.com",
        IntegrationMethod="GET",
    )["IntegrationId"]
    route = gw.create_route(ApiId=api_id, RouteKey="GET /a", Target=f"integrations/{ident}")
    assert error(gw.delete_integration, ApiId=api_id, IntegrationId=ident) == (
        "ConflictException",
        "Cannot delete Integration because it is referenced by the following Routes with Ids: "
        f"[{route['RouteId']}]",
        409,
    )


def test_deleting_a_cors_configuration_there_is_not_is_not_found(gw: Any) -> None:
    api_id = gw.create_api(Name="nocors", ProtocolType="HTTP")["ApiId"]
    code, _, status = error(gw.delete_cors_configuration, ApiId=api_id)
    assert (code, status) == ("NotFoundException", 404)
    gw.update_api(ApiId=api_id, CorsConfiguration={"AllowOrigins": ["https://a.example"]})
    gw.delete_cors_configuration(ApiId=api_id)
    assert "CorsConfiguration" not in gw.get_api(ApiId=api_id)


def test_websocket_lambda_proxy_integrations_take_payload_format_1_0_only(gw: Any) -> None:
    ws = gw.create_api(
        Name="ws1", ProtocolType="WEBSOCKET", RouteSelectionExpression="$request.body.action"
    )["ApiId"]
    code, message, _ = error(
        gw.create_integration,
        ApiId=ws,
        IntegrationType="AWS_PROXY",
        IntegrationUri=FUNCTION,
        PayloadFormatVersion="2.0",
    )
    assert code == "BadRequestException" and "1.0" in message
    made = gw.create_integration(ApiId=ws, IntegrationType="AWS_PROXY", IntegrationUri=FUNCTION)
    assert made["PayloadFormatVersion"] == "1.0"
