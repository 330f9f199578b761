"""API Gateway's pure pieces: the patch-operations applier, quota periods, and the
front door's snapshot of a deployment."""

from __future__ import annotations

import asyncio
import datetime
from typing import Any

import pytest

from altus.apigateway import checks, export, openapi, patch, usage
from altus.apigateway.directory import KEEP_DAYS, Directory, deployment_of, method_key
from altus.apigateway.errors import BadRequest, InternalServer
from altus.apigateway.model import Count, Forget, Snapshot
from altus.apigateway.patch import ADD, REMOVE, REPLACE
from altus.apigateway.resources import PathIndex
from altus.apigateway.state import Core
from altus.arns import Account
from altus.clock import FakeClock

RULES = (
    patch.scalar("name"),
    patch.scalar("description", ops=(REPLACE, ADD, REMOVE)),
    patch.scalar("enabled", "bool"),
    patch.scalar("limit", "int"),
    patch.string_list("binaryMediaTypes"),
    patch.string_map("variables"),
    patch.nested("/throttle/rateLimit", ("throttle", "rateLimit"), "float", ops=(REPLACE, REMOVE)),
)


def test_patch_operations_apply_in_order() -> None:
    doc: dict[str, Any] = {"name": "a"}
    patch.apply(
        doc,
        [
            {"op": "replace", "path": "/name", "value": "b"},
            {"op": "add", "path": "/binaryMediaTypes/image~1png"},
            {"op": "add", "path": "/binaryMediaTypes/a~0b"},
            {"op": "add", "path": "/variables/x", "value": "1"},
            {"op": "replace", "path": "/enabled", "value": "TRUE"},
            {"op": "replace", "path": "/limit", "value": "7"},
            {"op": "replace", "path": "/throttle/rateLimit", "value": "2.5"},
            {"op": "copy", "from": "/variables/x", "path": "/variables/y"},
            {"op": "move", "from": "/variables/x", "path": "/variables/z"},
            {"op": "test", "path": "/name", "value": "b"},
        ],
        RULES,
    )
    assert doc == {
        "name": "b",
        "binaryMediaTypes": ["image/png", "a~b"],
        "variables": {"y": "1", "z": "1"},
        "enabled": True,
        "limit": 7,
        "throttle": {"rateLimit": 2.5},
    }
    patch.apply(
        doc,
        [
            {"op": "remove", "path": "/binaryMediaTypes/image~1png"},
            {"op": "remove", "path": "/binaryMediaTypes/a~0b"},
            {"op": "remove", "path": "/variables/y"},
            {"op": "remove", "path": "/throttle/rateLimit"},
        ],
        RULES,
    )
    assert doc == {"name": "b", "variables": {"z": "1"}, "enabled": True, "limit": 7}


@pytest.mark.parametrize(
    ("operation", "message"),
    [
        (
            {"op": "replace", "path": "/nope", "value": "x"},
            "Invalid patch path  '/nope' specified for op 'replace'. Must be one of: "
            "[/description, /enabled, /limit, /name, /throttle/rateLimit, /variables/<key>]",
        ),
        (
            {"op": "remove", "path": "/name"},
            "Invalid patch path  '/name' specified for op 'remove'. Must be one of:",
        ),
        ({"op": "delete", "path": "/name"}, "Invalid patch operation 'delete'"),
        ({"op": "replace", "path": "/enabled", "value": "yes"}, "not a boolean"),
        ({"op": "replace", "path": "/limit", "value": "1.5"}, "not an integer"),
        ({"op": "replace", "path": "/name"}, "needs a value"),
        ({"op": "test", "path": "/name", "value": "other"}, "The patch test of '/name' failed"),
    ],
)
def test_patch_refusals_are_precise(operation: dict[str, Any], message: str) -> None:
    with pytest.raises(BadRequest) as raised:
        patch.apply({"name": "a"}, [operation], RULES)
    assert message in raised.value.message


def test_a_path_no_operation_is_allowed_on_says_so() -> None:
    with pytest.raises(BadRequest) as raised:
        patch.apply({}, [{"op": "move", "from": "/a", "path": "/b"}], (patch.scalar("a"),))
    assert "Please choose supported operations" in raised.value.message


@pytest.mark.parametrize(
    ("day", "period", "offset", "start"),
    [
        ("2026-03-11", "DAY", 0, "2026-03-11"),
        # 2026-03-11 is a Wednesday: weeks from Sunday (0) and from Monday (1).
        ("2026-03-11", "WEEK", 0, "2026-03-08"),
        ("2026-03-11", "WEEK", 1, "2026-03-09"),
        ("2026-03-08", "WEEK", 0, "2026-03-08"),
        ("2026-03-08", "WEEK", 1, "2026-03-02"),
        ("2026-03-11", "MONTH", 0, "2026-03-01"),
        ("2026-03-11", "MONTH", 14, "2026-02-15"),
        ("2026-01-03", "MONTH", 4, "2025-12-05"),
    ],
)
def test_quota_periods(day: str, period: str, offset: int, start: str) -> None:
    found = usage.period_start(datetime.date.fromisoformat(day), period, offset)
    assert found.isoformat() == start


def test_days_are_inclusive_and_empty_when_reversed() -> None:
    first, last = datetime.date(2026, 1, 30), datetime.date(2026, 2, 1)
    assert [d.day for d in usage.days(first, last)] == [30, 31, 1]
    assert usage.days(last, first) == []


def test_method_setting_keys_name_routes() -> None:
    assert method_key("~1pets~1{id}/GET") == "/pets/{id}/GET"
    assert method_key("~1/ANY") == "//ANY"


def test_a_snapshot_becomes_routes_authorizers_and_responses() -> None:
    kept = {
        "resources": {
            "root": {"id": "root", "path": "/"},
            "r1": {
                "id": "r1",
                "parentId": "root",
                "pathPart": "{proxy+}",
                "path": "/{proxy+}",
                "resourceMethods": {
                    "ANY": {
                        "httpMethod": "ANY",
                        "authorizationType": "CUSTOM",
                        "authorizerId": "au",
                        "apiKeyRequired": True,
                        "methodIntegration": {
                            "type": "HTTP_PROXY",
                            "httpMethod": "ANY",
                            "uri": "http://127.0.0.1:9/${stageVariables.x}",
                            "timeoutInMillis": 100,
                        },
                    }
                },
            },
        },
        "authorizers": {
            "au": {
                "id": "au",
                "name": "a",
                "type": "TOKEN",
                "authorizerUri": "arn:x",
                "identitySource": "method.request.header.Authorization",
                "authorizerResultTtlInSeconds": 0,
            }
        },
        "binaryMediaTypes": ["*/*"],
        "apiKeySource": "AUTHORIZER",
        "gatewayResponses": {"THROTTLED": {"statusCode": "503", "responseParameters": {}}},
    }
    deployment = deployment_of("api", "dep", kept)
    (route,) = deployment.routes
    assert (route.key, route.id, route.api_key_required) == ("ANY /{proxy+}", "r1", True)
    assert route.integration is not None and route.integration.timeout_ms == 100
    assert route.integration.method == "ANY"
    assert deployment.authorizers["au"].result_ttl == 0
    assert deployment.binary_media_types == ("*/*",)
    assert deployment.api_key_source == "AUTHORIZER"
    assert deployment.gateway_responses["THROTTLED"].status == 503


# --- what the front door is built of, defensively ------------------------------------------


def test_a_bad_stored_value_does_not_fail_the_deployment() -> None:
    kept = {
        "resources": {
            "r": {
                "id": "r",
                "path": "/",
                "resourceMethods": {
                    "GET": {
                        "methodIntegration": {"type": "MOCK", "timeoutInMillis": "soon"},
                    }
                },
            }
        },
        "authorizers": {
            "au": {"id": "au", "name": "a", "type": "TOKEN", "authorizerResultTtlInSeconds": "x"}
        },
        "gatewayResponses": {
            "DEFAULT_4XX": {"statusCode": "abc"},
            "THROTTLED": {"statusCode": "503"},
        },
    }
    deployment = deployment_of("api", "dep", kept)
    assert deployment.gateway_responses["DEFAULT_4XX"].status is None
    assert deployment.gateway_responses["THROTTLED"].status == 503
    (route,) = deployment.routes
    assert route.integration is not None and route.integration.timeout_ms == 29_000
    assert deployment.authorizers["au"].result_ttl == 300


def test_terraform_method_paths_name_routes_too() -> None:
    assert method_key("pets/GET") == "/pets/GET"
    assert method_key("a/b/{id}/GET") == "/a/b/{id}/GET"
    assert method_key("/GET") == "//GET"
    assert method_key("~1a~1b/POST") == "/a/b/POST"


# --- values checked ------------------------------------------------------------------------


def test_checks_refuse_what_aws_refuses() -> None:
    assert checks.status_code(404) == "404"
    for bad in ("abc", "600", "099", "20"):
        with pytest.raises(BadRequest):
            checks.status_code(bad)
    checks.policy('{"Statement": []}')
    checks.policy("")
    for bad_policy in ("[]", "nope"):
        with pytest.raises(BadRequest):
            checks.policy(bad_policy)
    checks.method_parameters({"method.request.multivalueheader.X": True})
    with pytest.raises(BadRequest):
        checks.method_parameters({"method.request.body.x": True})
    checks.compression_size(0)
    checks.compression_size(10_485_760)
    for size in (-1, 10_485_761, "x", 1.5):
        with pytest.raises(BadRequest):
            checks.compression_size(size)
    with pytest.raises(BadRequest):
        checks.throttle({"burstLimit": -1})
    with pytest.raises(BadRequest):
        checks.throttle({"rateLimit": "fast"})
    checks.throttle({"burstLimit": 0, "rateLimit": 2.5})
    assert checks.tags({"a": 1}) == {"a": "1"}
    with pytest.raises(BadRequest):
        checks.tags({"Aws:x": "y"})


def test_exports_leave_out_what_was_stored_unchecked() -> None:
    doc = {"restApi": {"name": "n", "policy": "not json"}}
    kept = {
        "resources": {
            "r": {
                "id": "r",
                "path": "/a",
                "resourceMethods": {
                    "GET": {"requestParameters": {"foo": True, "method.request.path.id": True}}
                },
            }
        },
        "authorizers": {},
    }
    made = export.export(doc, kept, "prod", True, {"apigateway"}, "http://h:1/_aws/execute-api/x")
    (parameter,) = made["paths"]["/a"]["get"]["parameters"]
    assert (parameter["name"], parameter["in"]) == ("id", "path")
    assert "x-amazon-apigateway-policy" not in made
    swagger = export.export(doc, kept, "prod", False, set(), "http://h:1/_aws/execute-api/x")
    assert (swagger["host"], swagger["basePath"]) == ("h:1", "/_aws/execute-api/x/prod")


def test_yaml_keeps_dates_as_text() -> None:
    found = openapi.parse(b"swagger: '2.0'\ninfo: {title: t, version: 2020-01-02}\npaths: {}\n")
    assert found["info"]["version"] == "2020-01-02"


def test_a_path_index_makes_missing_ancestors_once() -> None:
    doc: dict[str, Any] = {
        "restApi": {"rootResourceId": "root"},
        "resources": {"root": {"id": "root", "path": "/"}},
    }
    index = PathIndex(doc)
    leaf = index.ensure_path("/a/b/{id}")
    assert leaf["path"] == "/a/b/{id}"
    again = index.ensure_path("/a/b/{id}")
    assert again is leaf and len(doc["resources"]) == 4
    with pytest.raises(BadRequest):
        index.ensure_path("/a/b/{other}")


# --- usage counts --------------------------------------------------------------------------


class _Store:
    """A GatewayStore in memory that can be told to fail."""

    def __init__(self) -> None:
        self.failing = False
        self.applied: list[Any] = []

    async def load(self) -> Snapshot:
        return Snapshot()

    async def apply(self, plan: Any) -> None:
        if self.failing:
            raise OSError("the disk is full")
        self.applied.extend(plan)


def _directory(store: _Store) -> Directory:
    core = Core(Account("us-east-1", "000000000000"), FakeClock(), store)
    core.plans["p"] = {"id": "p", "quota": {"limit": 10, "period": "DAY"}, "_keys": ["k"]}
    return Directory(core)


def test_update_usage_changes_nothing_when_it_cannot_be_written() -> None:
    store = _Store()
    directory = _directory(store)
    plan = directory.core.plans["p"]
    day = usage.day_of(directory.core.now())
    assert directory.count_request("p", "k", directory.core.now())
    store.failing = True
    with pytest.raises(InternalServer):
        asyncio.run(directory.set_remaining(plan, "k", day, 2))
    assert directory.remaining(plan, "k", day) == 9
    store.failing = False
    asyncio.run(directory.set_remaining(plan, "k", day, 2))
    assert directory.remaining(plan, "k", day) == 2
    assert Count("p", "k", day.isoformat(), 8) in store.applied


def test_the_flush_forgets_days_older_than_it_keeps() -> None:
    store = _Store()
    directory = _directory(store)
    today = usage.day_of(directory.core.now())
    old = (today - datetime.timedelta(days=KEEP_DAYS + 1)).isoformat()
    kept = (today - datetime.timedelta(days=KEEP_DAYS - 1)).isoformat()
    directory.counts = {("p", "k", old): 1, ("p", "k", kept): 2}
    asyncio.run(directory.flush())
    assert directory.counts == {("p", "k", kept): 2}
    assert store.applied == [Forget((today - datetime.timedelta(days=KEEP_DAYS)).isoformat())]
