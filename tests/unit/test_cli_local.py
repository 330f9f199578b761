"""``altus local``'s pure parts: a template's function as it is to be created locally
(Globals, intrinsics, environment, ``--env-vars``, layers), parameter overrides, the
routing of the root of ``start-api``'s port to the APIs, and what a change reloads."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from altus.cli.local_api import Source, plan_reload, sources_of, watch_roots
from altus.cli.local_routes import (
    HTTP,
    REST,
    FrontApp,
    MountedApi,
    Route,
    choose,
    is_platform_request,
    path_rank,
    rewritten,
)
from altus.cli.local_template import (
    LocalError,
    env_overrides,
    function_spec,
    functions_of,
    merge_globals,
    parameter_values,
    parse_overrides,
    pseudo_parameters,
    uses_nodejs,
)

PSEUDO = pseudo_parameters("eu-west-1", "123456789012", "local")

TEMPLATE: dict[str, Any] = {
    "Parameters": {
        "Stage": {"Type": "String", "Default": "dev"},
        "Names": {"Type": "CommaDelimitedList", "Default": "a,b"},
        "NoDefault": {"Type": "String"},
    },
    "Mappings": {"Sizes": {"dev": {"Memory": 512}, "prod": {"Memory": 1024}}},
    "Conditions": {"IsProd": {"Fn::Equals": [{"Ref": "Stage"}, "prod"]}},
    "Globals": {
        "Function": {
            "Runtime": "python3.12",
            "Timeout": 10,
            "Environment": {"Variables": {"SHARED": "g", "MINE": "global"}},
            "Layers": [{"Ref": "Common"}],
        }
    },
    "Resources": {
        "Fn": {
            "Type": "AWS::Serverless::Function",
            "Properties": {
                "Handler": "app.handler",
                "MemorySize": {"Fn::FindInMap": ["Sizes", {"Ref": "Stage"}, "Memory"]},
                "Layers": [
                    {"Ref": "Own"},
                    "arn:aws:lambda:us-east-1:123456789012:layer:elsewhere:3",
                ],
                "Environment": {
                    "Variables": {
                        "MINE": "own",
                        "STAGE": {"Ref": "Stage"},
                        "WHERE": {"Fn::Sub": "${AWS::Region}/${AWS::AccountId}/${Stage}"},
                        "JOINED": {"Fn::Join": ["+", {"Ref": "Names"}]},
                        "IF": {"Fn::If": ["IsProd", "big", "small"]},
                        "GONE": {"Fn::If": ["IsProd", "x", {"Ref": "AWS::NoValue"}]},
                        "ARN": {"Fn::GetAtt": ["Queue", "Arn"]},
                        "QUEUE": {"Ref": "Queue"},
                        "UNSET": {"Ref": "NoDefault"},
                        "NUMBER": 5,
                        "FLAG": True,
                    }
                },
            },
        },
        "Plain": {
            "Type": "AWS::Lambda::Function",
            "Properties": {
                "Code": "src/",
                "Handler": "index.handler",
                "Runtime": "nodejs20.x",
                "FunctionName": "plain-one",
            },
        },
        "Own": {"Type": "AWS::Serverless::LayerVersion", "Properties": {"ContentUri": "own/"}},
        "Common": {"Type": "AWS::Lambda::LayerVersion", "Properties": {"Content": "common/"}},
        "Queue": {"Type": "AWS::SQS::Queue"},
    },
}


def _spec(overrides: dict[str, str] | None = None, env: dict[str, Any] | None = None) -> Any:
    values = parameter_values(TEMPLATE, overrides or {}, PSEUDO)
    return function_spec(TEMPLATE, "Fn", values, env)


# --- the template --------------------------------------------------------------------------


def test_a_sam_function_with_globals_and_intrinsics() -> None:
    spec = _spec()
    assert (spec.name, spec.runtime, spec.handler) == ("Fn", "python3.12", "app.handler")
    assert (spec.memory_size, spec.timeout) == (512, 10)
    assert spec.environment == {
        "SHARED": "g",
        "MINE": "own",  # the function's own wins over Globals'
        "STAGE": "dev",
        "WHERE": "eu-west-1/123456789012/dev",
        "JOINED": "a+b",
        "IF": "small",
        "NUMBER": "5",
        "FLAG": "true",
    }
    # Globals' layers first, then the function's; one from elsewhere is skipped.
    assert spec.layers == ("Common", "Own")
    warnings = "\n".join(spec.warnings)
    assert "environment variable ARN is dropped: Fn::GetAtt Queue.Arn" in warnings
    assert "environment variable QUEUE is dropped: Ref Queue needs a deployed resource" in warnings
    assert "UNSET is dropped: parameter NoDefault has no value" in warnings
    assert "layer arn:aws:lambda:us-east-1:123456789012:layer:elsewhere:3 is not" in warnings


def test_overrides_reach_refs_conditions_and_mappings() -> None:
    spec = _spec({"Stage": "prod", "NoDefault": "given"})
    assert spec.memory_size == 1024
    assert spec.environment["STAGE"] == "prod"
    assert spec.environment["IF"] == "big"
    assert spec.environment["GONE"] == "x"
    assert spec.environment["UNSET"] == "given"


def test_env_vars_override_declared_variables_only() -> None:
    document = {
        "Parameters": {"MINE": "everyone", "SHARED": "all", "EXTRA": "no"},
        "Fn": {"MINE": "fn", "ARN": "arn:local", "NEW": "no", "COUNT": 3, "ON": False},
        "Other": {"SHARED": "not for Fn"},
    }
    spec = _spec(env=document)
    assert spec.environment["MINE"] == "fn"
    assert spec.environment["SHARED"] == "all"
    assert spec.environment["ARN"] == "arn:local"  # given: not dropped
    assert "NEW" not in spec.environment and "EXTRA" not in spec.environment
    assert not any("ARN" in warning for warning in spec.warnings)
    assert env_overrides(document, "Fn")["COUNT"] == "3"
    assert env_overrides(document, "Fn")["ON"] == "false"
    assert env_overrides({"Fn": {"N": None, "L": [1]}}, "Fn") == {"N": "", "L": ""}


def test_a_plain_lambda_function_has_no_globals() -> None:
    values = parameter_values(TEMPLATE, {}, PSEUDO)
    spec = function_spec(TEMPLATE, "Plain", values)
    assert (spec.name, spec.runtime, spec.timeout, spec.memory_size) == (
        "plain-one",
        "nodejs20.x",
        3,
        128,
    )
    assert spec.environment == {} and spec.layers == ()
    assert functions_of(TEMPLATE) == ["Fn", "Plain"]
    assert uses_nodejs(TEMPLATE)


def test_what_cannot_run_locally() -> None:
    values = parameter_values(TEMPLATE, {}, PSEUDO)
    with pytest.raises(LocalError, match=r"has no function Queue \(its functions: Fn, Plain\)"):
        function_spec(TEMPLATE, "Queue", values)
    image = {"Resources": {"I": {"Type": "AWS::Serverless::Function", "Properties": {}}}}
    image["Resources"]["I"]["Properties"] = {"PackageType": "Image", "ImageUri": "x"}
    with pytest.raises(LocalError, match="image function"):
        function_spec(image, "I", values)
    unknown_runtime = {
        "Resources": {
            "F": {
                "Type": "AWS::Lambda::Function",
                "Properties": {"Runtime": {"Fn::GetAtt": ["X", "Y"]}, "Handler": "a.b"},
            }
        }
    }
    with pytest.raises(LocalError, match="Runtime of F cannot be resolved locally"):
        function_spec(unknown_runtime, "F", values)
    with pytest.raises(LocalError, match=r"Parameters: \[Nope\] do not exist in the template"):
        parameter_values(TEMPLATE, {"Nope": "1"}, PSEUDO)


def test_merge_globals() -> None:
    assert merge_globals({"a": 1, "m": {"x": 1}}, {"m": {"y": 2}}) == {
        "a": 1,
        "m": {"x": 1, "y": 2},
    }
    assert merge_globals([1], [2]) == [1, 2]
    assert merge_globals("global", "own") == "own"


def test_parse_overrides() -> None:
    # sam's form: an argument may hold several, split as a shell would split them.
    assert parse_overrides(["A=1", "B='two words=ok'"]) == {"A": "1", "B": "two words=ok"}
    assert parse_overrides(["A=1 B='x y'"]) == {"A": "1", "B": "x y"}
    assert parse_overrides(["ParameterKey=K,ParameterValue=v,w"]) == {"K": "v,w"}
    assert parse_overrides([]) == {}
    with pytest.raises(LocalError, match="wants Key=Value"):
        parse_overrides(["Hello"])
    with pytest.raises(LocalError, match="wants Key=Value"):
        parse_overrides(["ParameterKey=K"])


def test_list_parameters_are_lists() -> None:
    values = parameter_values(TEMPLATE, {"Names": "x, y"}, PSEUDO)
    assert values["Names"] == ["x", "y"]
    assert values["AWS::Region"] == "eu-west-1"
    assert "NoDefault" not in values


# --- the root of the port ------------------------------------------------------------------

REST_API = MountedApi(
    "ServerlessRestApi",
    "rest123",
    REST,
    "Prod",
    (Route("GET", "/hello/{name}", "Hello"), Route("ANY", "/files/{path+}", "Files")),
)
HTTP_API = MountedApi(
    "ServerlessHttpApi",
    "http456",
    HTTP,
    None,
    (Route("POST", "/hello/{name}", "Hello"), Route("GET", "/hello/me", "Me")),
)
CATCH_ALL = MountedApi("Other", "other789", HTTP, "v1", (Route("ANY", "$default"),))


def test_path_rank() -> None:
    assert path_rank("/hello/{name}", "/hello/you") == (2, 1)
    assert path_rank("/hello/me", "/hello/me") == (2, 2)
    assert path_rank("/hello/{name}", "/hello") is None
    assert path_rank("/hello/{name}", "/hello/you/more") is None
    assert path_rank("/files/{path+}", "/files/a/b") == (1, 1)
    assert path_rank("/files/{path+}", "/files") is None
    assert path_rank("/", "/") == (2, 0)


def test_choose_the_best_route_across_apis() -> None:
    apis = (REST_API, HTTP_API, CATCH_ALL)
    assert choose(apis, "GET", "/hello/you") is REST_API
    assert choose(apis, "POST", "/hello/you") is HTTP_API
    assert choose(apis, "GET", "/hello/me") is HTTP_API  # literal before {name}
    assert choose(apis, "DELETE", "/files/a/b") is REST_API  # ANY
    assert choose(apis, "GET", "/elsewhere") is CATCH_ALL  # $default
    # A path with no route: the first API answers (its own 404 or 403).
    assert choose((REST_API, HTTP_API), "GET", "/elsewhere") is REST_API
    # A route of one API whose method is another's: the path's API still answers.
    assert choose((REST_API,), "PUT", "/hello/you") is REST_API
    assert choose((), "GET", "/") is None


def test_rewritten_to_the_stage() -> None:
    scope = {"type": "http", "path": "/hello/a b", "raw_path": b"/hello/a%20b", "headers": []}
    child = rewritten(scope, REST_API)
    assert child["path"] == "/_aws/execute-api/rest123/Prod/hello/a b"
    assert child["raw_path"] == b"/_aws/execute-api/rest123/Prod/hello/a%20b"
    assert rewritten(scope, HTTP_API)["path"] == "/_aws/execute-api/http456/hello/a b"
    assert scope["path"] == "/hello/a b"  # the original is left alone


def _scope(path: str, headers: list[tuple[bytes, bytes]] | None = None) -> dict[str, Any]:
    return {"type": "http", "method": "GET", "path": path, "headers": headers or []}


def test_platform_requests_pass_through() -> None:
    assert is_platform_request(_scope("/_aws/execute-api/x/Prod/"))
    assert is_platform_request(_scope("/_altus/health"))
    assert is_platform_request(_scope("/", [(b"X-Amz-Target", b"DynamoDB_20120810.ListTables")]))
    signed = b"AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/lambda/aws4_request, x"
    assert is_platform_request(_scope("/2015-03-31/functions", [(b"authorization", signed)]))
    for_api = signed.replace(b"/lambda/", b"/execute-api/")
    assert not is_platform_request(_scope("/hello", [(b"authorization", for_api)]))
    assert not is_platform_request(_scope("/hello", [(b"authorization", b"Bearer token")]))


def test_front_app_routes_to_the_platform() -> None:
    seen: list[dict[str, Any]] = []

    async def platform(scope: Any, receive: Any, send: Any) -> None:
        seen.append(scope)

    sent: list[dict[str, Any]] = []

    async def send(message: Any) -> None:
        sent.append(message)

    async def receive() -> Any:
        return {"type": "http.request", "body": b"", "more_body": False}

    front = FrontApp(platform, (REST_API,))
    asyncio.run(front(_scope("/hello/you"), receive, send))
    asyncio.run(front(_scope("/_altus/health"), receive, send))
    assert [s["path"] for s in seen] == [
        "/_aws/execute-api/rest123/Prod/hello/you",
        "/_altus/health",
    ]
    front.apis = ()
    asyncio.run(front(_scope("/hello/you"), receive, send))
    assert sent[0]["status"] == 404 and sent[1]["body"] == b'{"message":"Not Found"}'


# --- reloading -----------------------------------------------------------------------------


def test_plan_reload(tmp_path: Path) -> None:
    template = tmp_path / "template.yaml"
    sources = [
        Source("Fn", tmp_path / "src", False),
        Source("Other", tmp_path / "src", False),
        Source("Layer", tmp_path / "layer", True),
        Source("Whole", tmp_path, False),
    ]
    changed = plan_reload([tmp_path / "src/app.py"], template, sources)
    assert (changed.stack, changed.functions) == (False, ("Fn", "Other", "Whole"))
    assert plan_reload([tmp_path / "layer/x.py"], template, sources).stack
    assert plan_reload([template], template, sources).stack
    nothing = plan_reload([tmp_path.parent / "elsewhere.py"], template, sources)
    assert (nothing.stack, nothing.functions) == (False, ())


def test_watch_roots_and_sources(tmp_path: Path) -> None:
    (tmp_path / "app/src").mkdir(parents=True)
    (tmp_path / "shared").mkdir()
    (tmp_path / "app/layer").mkdir()
    template = {
        "Resources": {
            "Fn": {
                "Type": "AWS::Serverless::Function",
                "Properties": {"CodeUri": "src", "Runtime": "python3.12"},
            },
            "Far": {
                "Type": "AWS::Lambda::Function",
                "Properties": {"Code": "../shared", "Runtime": "python3.12"},
            },
            "Layer": {
                "Type": "AWS::Serverless::LayerVersion",
                "Properties": {"ContentUri": "layer/"},
            },
            "Remote": {
                "Type": "AWS::Lambda::LayerVersion",
                "Properties": {"Content": {"S3Bucket": "b", "S3Key": "k"}},
            },
        }
    }
    found = sources_of(template, tmp_path / "app")
    assert {(s.logical_id, s.path, s.layer) for s in found} == {
        ("Fn", tmp_path / "app/src", False),
        ("Far", tmp_path / "shared", False),
        ("Layer", tmp_path / "app/layer", True),
    }
    roots = watch_roots(tmp_path / "app/template.yaml", found)
    assert sorted(roots) == [tmp_path / "app", tmp_path / "shared"]


# --- listening beyond this machine -------------------------------------------------------


def test_loopback_hosts() -> None:
    from altus.cli.local_platform import is_loopback

    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert is_loopback("127.0.0.2") and is_loopback("[::1]")
    assert not is_loopback("0.0.0.0") and not is_loopback("::")
    assert not is_loopback("192.168.1.5") and not is_loopback("myhost.example")


def test_a_public_front_serves_the_apis_alone() -> None:
    """Listening beyond this machine, the platform's AWS APIs (which authenticate
    nothing) are refused: only the template's APIs are served."""
    seen: list[str] = []

    async def platform(scope: Any, receive: Any, send: Any) -> None:
        seen.append(scope["path"])

    sent: list[dict[str, Any]] = []

    async def send(message: Any) -> None:
        sent.append(message)

    async def receive() -> Any:
        return {"type": "http.request", "body": b"", "more_body": False}

    signed = b"AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/lambda/aws4_request, x"
    for_api = signed.replace(b"/lambda/", b"/execute-api/")
    front = FrontApp(platform, (REST_API,), public=True)
    refused = [
        _scope("/2015-03-31/functions", [(b"authorization", signed)]),
        _scope("/", [(b"X-Amz-Target", b"DynamoDB_20120810.ListTables")]),
        _scope("/_altus/health"),
        _scope("/_aws/execute-api/other/Prod/x"),  # not the template's API
        _scope("/_aws/execute-api/rest123/Prod/x", [(b"authorization", signed)]),
        {**_scope("/"), "query_string": b"X-Amz-Credential=A/20260101/us-east-1/s3/aws4_request"},
    ]
    for scope in refused:
        asyncio.run(front(scope, receive, send))
    assert seen == []
    assert [m["status"] for m in sent if m["type"] == "http.response.start"] == [403] * 6
    served = [
        _scope("/hello/you"),
        _scope("/_aws/execute-api/rest123/Prod/hello/long"),
        _scope("/hello/iam", [(b"authorization", for_api)]),
    ]
    for scope in served:
        asyncio.run(front(scope, receive, send))
    assert seen == [
        "/_aws/execute-api/rest123/Prod/hello/you",
        "/_aws/execute-api/rest123/Prod/hello/long",
        "/_aws/execute-api/rest123/Prod/hello/iam",
    ]


def test_functions_are_marked_local() -> None:
    from altus.cli.local_api import marked_local

    template: dict[str, Any] = {
        "Resources": {
            "Plain": {"Type": "AWS::Serverless::Function", "Properties": {"Handler": "a.b"}},
            "Own": {
                "Type": "AWS::Lambda::Function",
                "Properties": {"Environment": {"Variables": {"A": "1"}}},
            },
            "Chosen": {
                "Type": "AWS::Serverless::Function",
                "Properties": {"Environment": {"Fn::If": ["C", {}, {}]}},
            },
            "Queue": {"Type": "AWS::SQS::Queue"},
        }
    }
    marked = marked_local(template)["Resources"]
    assert marked["Plain"]["Properties"]["Environment"] == {"Variables": {"AWS_SAM_LOCAL": "true"}}
    assert marked["Own"]["Properties"]["Environment"]["Variables"] == {
        "A": "1",
        "AWS_SAM_LOCAL": "true",
    }
    assert marked["Chosen"] == template["Resources"]["Chosen"]
    assert marked["Queue"] == {"Type": "AWS::SQS::Queue"}
    assert "Environment" not in template["Resources"]["Plain"]["Properties"]  # a copy
