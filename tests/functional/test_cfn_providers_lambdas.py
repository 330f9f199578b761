"""The Lambda providers against a server in this process: functions (inline code packaged
as CloudFormation packages it, configuration, reserved concurrency and tags, a removed
property back to Lambda's default), versions, aliases, permissions, URLs, event invoke
configs, layers and their permissions, and event source mappings, checked through
boto3."""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import subprocess
import threading
import types
import urllib.request
import zipfile
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from altus.cloudformation.providers.base import Current, Outcome, ResourceFailed
from altus.cloudformation.providers.lambda_code import NODE_CFN_RESPONSE, PYTHON_CFNRESPONSE
from altus.cloudformation.providers.lambdas import PROVIDERS
from altus.packaging import zip_files
from altus.testing.harness import ROLE
from tests.conftest import unavailable
from tests.functional import cloudformation_providers
from tests.functional.cloudformation_providers import ACCOUNT, REGION, World, interrupted, missing

world = cloudformation_providers.world

FUNCTION = PROVIDERS["AWS::Lambda::Function"]
VERSION = PROVIDERS["AWS::Lambda::Version"]
ALIAS = PROVIDERS["AWS::Lambda::Alias"]
PERMISSION = PROVIDERS["AWS::Lambda::Permission"]
URL = PROVIDERS["AWS::Lambda::Url"]
LAYER = PROVIDERS["AWS::Lambda::LayerVersion"]
LAYER_PERMISSION = PROVIDERS["AWS::Lambda::LayerVersionPermission"]
MAPPING = PROVIDERS["AWS::Lambda::EventSourceMapping"]
INVOKE_CONFIG = PROVIDERS["AWS::Lambda::EventInvokeConfig"]

SOURCE = "import cfnresponse\n\ndef handler(event, context):\n    return 1\n"


def function_props(**more: Any) -> dict[str, Any]:
    return {
        "Runtime": "python3.12",
        "Handler": "index.handler",
        "Role": ROLE,
        "Code": {"ZipFile": SOURCE},
        **more,
    }


def make_function(world: World, logical_id: str, **more: Any) -> Outcome:
    return world.run(FUNCTION.create(world.context(logical_id), logical_id, function_props(**more)))


def package_names(world: World, name: str) -> set[str]:
    location = world.client("lambda").get_function(FunctionName=name)["Code"]["Location"]
    with urllib.request.urlopen(location, timeout=30) as answer:  # the harness, on loopback
        return set(zipfile.ZipFile(io.BytesIO(answer.read())).namelist())


# --- functions --------------------------------------------------------------------------


def test_function_lifecycle(world: World) -> None:
    lam = world.client("lambda")
    ctx = world.context("Fn")
    props = function_props(
        Timeout="10",
        MemorySize=256,
        Description="first",
        Environment={"Variables": {"COLOUR": "red", "SIZE": 3, "ON": True}},
        Tags=[{"Key": "tier", "Value": "gold"}],
        ReservedConcurrentExecutions="2",
        KmsKeyArn=f"arn:aws:kms:{REGION}:{ACCOUNT}:key/0000",
    )
    made = world.run(FUNCTION.create(ctx, "Fn", props))
    name = made.physical_id
    assert name.startswith("teststack-Fn-") and len(name) <= 64
    arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"
    assert made.attributes["Arn"] == arn
    assert made.attributes["SnapStartResponse.ApplyOn"] == "None"
    got = lam.get_function(FunctionName=name)
    config = got["Configuration"]
    assert (config["Timeout"], config["MemorySize"], config["Description"]) == (10, 256, "first")
    assert config["Environment"]["Variables"] == {"COLOUR": "red", "SIZE": "3", "ON": "true"}
    assert config["KMSKeyArn"].endswith("key/0000")
    assert config["State"] == "Active"
    assert got["Tags"] == {"team": "altus", "tier": "gold"}
    assert got["Concurrency"] == {"ReservedConcurrentExecutions": 2}
    # Inline Python source is index.py, with the response module it imports.
    assert package_names(world, name) == {"index.py", "cfnresponse.py"}
    assert {"FunctionName", "PackageType"} <= FUNCTION.replaced_by
    assert "Code" not in FUNCTION.replaced_by

    changed = function_props(
        Code={"ZipFile": "def handler(event, context):\n    return 2\n"},
        Tags=[{"Key": "size", "Value": "xl"}],
    )
    updated = world.run(FUNCTION.update(ctx, Current("Fn", name, props, made.attributes), changed))
    assert updated.physical_id == name
    got = lam.get_function(FunctionName=name)
    config = got["Configuration"]
    # Removed properties are Lambda's defaults again.
    assert (config["Timeout"], config["MemorySize"], config["Description"]) == (3, 128, "")
    assert "Environment" not in config and "KMSKeyArn" not in config
    assert "Concurrency" not in got
    assert got["Tags"] == {"team": "altus", "size": "xl"}
    assert package_names(world, name) == {"index.py"}

    gone = Current("Fn", name, changed, updated.attributes)
    world.run(FUNCTION.delete(ctx, gone))
    assert missing(lam.get_function, FunctionName=name)
    world.run(FUNCTION.delete(ctx, gone))  # already gone: no failure


def test_function_interrupted_create_is_found_by_its_name(world: World) -> None:
    ctx = world.context("Lost", seed="lost-1")
    made = world.run(FUNCTION.create(ctx, "Lost", function_props()))
    again = world.context("Lost", seed="lost-1")
    world.run(FUNCTION.delete(again, Current("Lost", None, function_props())))
    assert missing(world.client("lambda").get_function, FunctionName=made.physical_id)


def test_function_named_and_refusals(world: World) -> None:
    lam = world.client("lambda")
    props = function_props(FunctionName="cfn-named", Code={"ZipFile": "def handler(e, c): pass"})
    made = world.run(FUNCTION.create(world.context("Named"), "Named", props))
    assert made.physical_id == "cfn-named"
    assert package_names(world, "cfn-named") == {"index.py"}  # no response module asked for
    world.run(FUNCTION.delete(world.context("Named"), Current("Named", None, props)))
    assert missing(lam.get_function, FunctionName="cfn-named")

    with pytest.raises(ResourceFailed, match=r"Node\.js and Python"):
        world.run(FUNCTION.create(world.context("J"), "J", function_props(Runtime="java21")))
    with pytest.raises(ResourceFailed, match="RecursiveLoop"):
        world.run(FUNCTION.create(world.context("R"), "R", function_props(RecursiveLoop="Allow")))
    with pytest.raises(ResourceFailed, match="required key \\[Role\\]"):
        world.run(FUNCTION.create(world.context("N"), "N", {"Code": {"ZipFile": SOURCE}}))
    # Lambda's own refusals reach the deployer as they are.
    with pytest.raises(ResourceFailed, match="Container image"):
        image = function_props(PackageType="Image", Code={"ImageUri": "repo/image:1"})
        world.run(FUNCTION.create(world.context("I"), "I", image))
    left = {f["FunctionName"] for f in lam.list_functions()["Functions"]}
    assert not any(n.startswith(("teststack-J-", "teststack-R-", "teststack-I-")) for n in left)


def test_function_code_from_s3_and_architecture_change(world: World) -> None:
    s3 = world.client("s3")
    s3.create_bucket(Bucket="cfn-code")
    package = zip_files({"app.py": "def handler(event, context):\n    return 3\n"})
    s3.put_object(Bucket="cfn-code", Key="app.zip", Body=package)
    ctx = world.context("S3Fn")
    props = function_props(Handler="app.handler", Code={"S3Bucket": "cfn-code", "S3Key": "app.zip"})
    made = world.run(FUNCTION.create(ctx, "S3Fn", props))
    assert package_names(world, made.physical_id) == {"app.py"}
    changed = {**props, "Architectures": ["arm64"], "Timeout": 20}
    world.run(FUNCTION.update(ctx, Current("S3Fn", made.physical_id, props), changed))
    config = world.client("lambda").get_function_configuration(FunctionName=made.physical_id)
    assert config["Architectures"] == ["arm64"] and config["Timeout"] == 20
    world.run(FUNCTION.delete(ctx, Current("S3Fn", made.physical_id, changed)))


@contextlib.contextmanager
def response_url() -> Iterator[tuple[str, list[tuple[str, bytes]]]]:
    """A ResponseURL on loopback, and the PUTs it received (path, body)."""
    received: list[tuple[str, bytes]] = []

    class Recorder(BaseHTTPRequestHandler):
        def do_PUT(self) -> None:
            length = int(self.headers["Content-Length"])
            received.append((self.path, self.rfile.read(length)))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/answer?sig=1", received
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


EVENT = {"StackId": "stack-arn", "RequestId": "req-1", "LogicalResourceId": "Custom"}
ANSWER = {
    "Status": "SUCCESS",
    "Reason": "See the details in CloudWatch Log Stream: 2024/01/01/[$LATEST]abc",
    "PhysicalResourceId": "physical-1",
    **EVENT,
    "NoEcho": False,
    "Data": {"Out": "v"},
}


def test_python_response_module_answers_the_response_url() -> None:
    with response_url() as (url, received):
        module = types.ModuleType("cfnresponse")
        exec(PYTHON_CFNRESPONSE, module.__dict__)
        context = types.SimpleNamespace(log_stream_name="2024/01/01/[$LATEST]abc")
        event = {**EVENT, "ResponseURL": url}
        module.send(event, context, module.SUCCESS, {"Out": "v"}, "physical-1")
    assert [(path, json.loads(body)) for path, body in received] == [("/answer?sig=1", ANSWER)]


def test_node_response_module_answers_the_response_url(tmp_path: Path) -> None:
    node = shutil.which("node")
    if node is None:
        unavailable("node", "install Node.js")
    module = tmp_path / "node_modules" / "cfn-response" / "index.js"
    module.parent.mkdir(parents=True)
    module.write_text(NODE_CFN_RESPONSE)
    with response_url() as (url, received):
        event = json.dumps({**EVENT, "ResponseURL": url})
        (tmp_path / "index.js").write_text(
            'const response = require("cfn-response");\n'
            "let done = false;\n"
            'const context = {logStreamName: "2024/01/01/[$LATEST]abc",\n'
            "  done: () => { done = true; }};\n"
            f"response.send({event}, context, response.SUCCESS, {{Out: 'v'}}, 'physical-1')\n"
            "  .then(() => { if (!done) process.exit(3); });\n"
        )
        ran = subprocess.run(
            [str(node), "index.js"], cwd=tmp_path, capture_output=True, text=True, timeout=60
        )
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert [(path, json.loads(body)) for path, body in received] == [("/answer?sig=1", ANSWER)]


# --- versions and aliases ---------------------------------------------------------------


@pytest.fixture
def function(world: World) -> Iterator[str]:
    made = make_function(world, "Target")
    yield made.physical_id
    world.run(FUNCTION.delete(world.context("Target"), Current("Target", made.physical_id, {})))


def test_version_lifecycle(world: World, function: str) -> None:
    lam = world.client("lambda")
    sha = lam.get_function_configuration(FunctionName=function)["CodeSha256"]
    ctx = world.context("V1")
    props = {"FunctionName": function, "Description": "one", "CodeSha256": sha}
    made = world.run(VERSION.create(ctx, "V1", props))
    arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{function}:1"
    assert made == Outcome(arn, {"Version": "1", "FunctionArn": arn})
    assert (
        lam.get_function_configuration(FunctionName=function, Qualifier="1")["Description"] == "one"
    )
    assert {"FunctionName", "Description", "CodeSha256"} <= VERSION.replaced_by
    # A CodeSha256 that is not $LATEST's is refused by Lambda.
    with pytest.raises(ResourceFailed, match="CodeSHA256"):
        world.run(VERSION.create(world.context("V2"), "V2", {**props, "CodeSha256": "bad"}))

    world.run(VERSION.delete(ctx, Current("V1", arn, props, made.attributes)))
    assert missing(lam.get_function_configuration, FunctionName=function, Qualifier="1")
    world.run(VERSION.delete(ctx, Current("V1", arn, props, made.attributes)))
    world.run(VERSION.delete(ctx, Current("V1", None, props)))  # nothing to find: no failure


def test_alias_lifecycle(world: World, function: str) -> None:
    lam = world.client("lambda")
    lam.publish_version(FunctionName=function)
    lam.update_function_configuration(FunctionName=function, Timeout=7)
    lam.get_waiter("function_updated_v2").wait(
        FunctionName=function, WaiterConfig={"Delay": 0.05, "MaxAttempts": 600}
    )
    lam.publish_version(FunctionName=function)
    ctx = world.context("Live")
    props = {
        "FunctionName": function,
        "Name": "live",
        "FunctionVersion": "1",
        "Description": "canary",
        "RoutingConfig": {
            "AdditionalVersionWeights": [{"FunctionVersion": "2", "FunctionWeight": "0.25"}]
        },
    }
    made = world.run(ALIAS.create(ctx, "Live", props))
    arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{function}:live"
    assert made == Outcome(arn, {"AliasArn": arn})
    got = lam.get_alias(FunctionName=function, Name="live")
    assert got["RoutingConfig"] == {"AdditionalVersionWeights": {"2": 0.25}}
    assert {"Name", "FunctionName"} <= ALIAS.replaced_by

    changed = {"FunctionName": function, "Name": "live", "FunctionVersion": "2"}
    updated = world.run(ALIAS.update(ctx, Current("Live", arn, props, made.attributes), changed))
    assert updated.physical_id == arn
    got = lam.get_alias(FunctionName=function, Name="live")
    assert got["FunctionVersion"] == "2" and got["Description"] == ""
    assert "RoutingConfig" not in got

    world.run(ALIAS.delete(ctx, Current("Live", None, changed)))  # found by its name
    assert missing(lam.get_alias, FunctionName=function, Name="live")
    world.run(ALIAS.delete(ctx, Current("Live", arn, changed)))


# --- permissions, URLs, event invoke configs ----------------------------------------------


def test_permission_lifecycle(world: World, function: str) -> None:
    lam = world.client("lambda")
    ctx = world.context("Perm", seed="perm-1")
    props = {
        "FunctionName": function,
        "Action": "lambda:InvokeFunction",
        "Principal": "s3.amazonaws.com",
        "SourceAccount": ACCOUNT,
        "SourceArn": "arn:aws:s3:::some-bucket",
    }
    made = world.run(PERMISSION.create(ctx, "Perm", props))
    sid = made.physical_id
    assert sid.startswith("teststack-Perm-") and made.attributes == {"Id": sid}
    statements = json.loads(lam.get_policy(FunctionName=function)["Policy"])["Statement"]
    assert [s["Sid"] for s in statements] == [sid]
    assert statements[0]["Principal"] == {"Service": "s3.amazonaws.com"}
    assert PERMISSION.replaced_by >= {"Action", "FunctionName", "Principal", "SourceArn"}

    world.run(PERMISSION.delete(ctx, Current("Perm", sid, props, made.attributes)))
    assert missing(lam.get_policy, FunctionName=function)
    world.run(PERMISSION.delete(ctx, Current("Perm", sid, props, made.attributes)))

    # An interrupted create: found again by the statement id the same attempt generates.
    interrupted(world, PERMISSION, "Perm", props)
    assert missing(lam.get_policy, FunctionName=function)


def test_url_lifecycle(world: World, function: str) -> None:
    lam = world.client("lambda")
    ctx = world.context("FnUrl")
    props = {
        "TargetFunctionArn": function,
        "AuthType": "NONE",
        "Cors": {"AllowOrigins": ["https://example.com"], "MaxAge": "60"},
    }
    made = world.run(URL.create(ctx, "FnUrl", props))
    got = lam.get_function_url_config(FunctionName=function)
    assert made.physical_id == got["FunctionArn"]
    assert made.attributes == {"FunctionArn": got["FunctionArn"], "FunctionUrl": got["FunctionUrl"]}
    assert got["AuthType"] == "NONE"
    assert got["Cors"]["AllowOrigins"] == ["https://example.com"] and got["Cors"]["MaxAge"] == 60
    assert URL.replaced_by == {"TargetFunctionArn", "Qualifier"}

    changed = {"TargetFunctionArn": function, "AuthType": "AWS_IAM"}
    world.run(URL.update(ctx, Current("FnUrl", made.physical_id, props, made.attributes), changed))
    got = lam.get_function_url_config(FunctionName=function)
    assert got["AuthType"] == "AWS_IAM" and not got.get("Cors")

    world.run(URL.delete(ctx, Current("FnUrl", None, changed)))
    assert missing(lam.get_function_url_config, FunctionName=function)
    world.run(URL.delete(ctx, Current("FnUrl", made.physical_id, changed)))


def test_event_invoke_config_lifecycle(world: World, function: str) -> None:
    lam = world.client("lambda")
    queue = world.queue_arn("cfn-failures")
    ctx = world.context("Async")
    props = {
        "FunctionName": function,
        "Qualifier": "$LATEST",
        "MaximumRetryAttempts": "1",
        "MaximumEventAgeInSeconds": 600,
        "DestinationConfig": {"OnFailure": {"Destination": queue}},
    }
    made = world.run(INVOKE_CONFIG.create(ctx, "Async", props))
    assert made.physical_id == f"{function}|$LATEST"
    got = lam.get_function_event_invoke_config(FunctionName=function, Qualifier="$LATEST")
    assert (got["MaximumRetryAttempts"], got["MaximumEventAgeInSeconds"]) == (1, 600)
    assert got["DestinationConfig"]["OnFailure"] == {"Destination": queue}

    changed = {"FunctionName": function, "Qualifier": "$LATEST", "MaximumRetryAttempts": 0}
    world.run(INVOKE_CONFIG.update(ctx, Current("Async", made.physical_id, props), changed))
    got = lam.get_function_event_invoke_config(FunctionName=function, Qualifier="$LATEST")
    assert got["MaximumRetryAttempts"] == 0 and "MaximumEventAgeInSeconds" not in got
    assert not got["DestinationConfig"]["OnFailure"]
    assert INVOKE_CONFIG.replaced_by == {"FunctionName", "Qualifier"}

    world.run(INVOKE_CONFIG.delete(ctx, Current("Async", None, changed)))
    assert missing(lam.get_function_event_invoke_config, FunctionName=function, Qualifier="$LATEST")
    world.run(INVOKE_CONFIG.delete(ctx, Current("Async", made.physical_id, changed)))


# --- layers -------------------------------------------------------------------------------


def test_layer_version_and_permission(world: World) -> None:
    lam = world.client("lambda")
    s3 = world.client("s3")
    s3.create_bucket(Bucket="cfn-layers")
    s3.put_object(
        Bucket="cfn-layers", Key="layer.zip", Body=zip_files({"python/shared.py": "X = 1\n"})
    )
    ctx = world.context("Shared")
    props = {
        "Content": {"S3Bucket": "cfn-layers", "S3Key": "layer.zip"},
        "Description": "shared code",
        "CompatibleRuntimes": ["python3.12"],
        "LicenseInfo": "MIT",
    }
    made = world.run(LAYER.create(ctx, "Shared", props))
    arn = made.physical_id
    assert made.attributes == {"LayerVersionArn": arn}
    assert ":layer:teststack-Shared-" in arn and arn.endswith(":1")
    got = lam.get_layer_version_by_arn(Arn=arn)
    assert got["Description"] == "shared code" and got["CompatibleRuntimes"] == ["python3.12"]
    assert LAYER.replaced_by >= {"Content", "Description", "LayerName"}

    pctx = world.context("SharedUse")
    pprops = {"LayerVersionArn": arn, "Action": "lambda:GetLayerVersion", "Principal": "*"}
    granted = world.run(LAYER_PERMISSION.create(pctx, "SharedUse", pprops))
    assert granted.physical_id.startswith(f"{arn}#teststack-SharedUse-")
    assert granted.attributes == {"Id": granted.physical_id}
    layer, number = arn.rsplit(":", 1)
    policy = json.loads(
        lam.get_layer_version_policy(LayerName=layer, VersionNumber=int(number))["Policy"]
    )
    assert [s["Sid"] for s in policy["Statement"]] == [granted.physical_id.rsplit("#", 1)[1]]
    world.run(LAYER_PERMISSION.delete(pctx, Current("SharedUse", None, pprops)))
    assert missing(lam.get_layer_version_policy, LayerName=layer, VersionNumber=int(number))
    world.run(LAYER_PERMISSION.delete(pctx, Current("SharedUse", granted.physical_id, pprops)))

    world.run(LAYER.delete(ctx, Current("Shared", arn, props)))
    assert missing(lam.get_layer_version_by_arn, Arn=arn)
    world.run(LAYER.delete(ctx, Current("Shared", arn, props)))

    # An interrupted publish of an unnamed layer: every version of its name goes.
    first = interrupted(world, LAYER, "LostLayer", props)
    assert missing(lam.get_layer_version_by_arn, Arn=first.physical_id)


# --- event source mappings ----------------------------------------------------------------


def test_event_source_mapping_lifecycle(world: World, function: str) -> None:
    lam = world.client("lambda")
    queue = world.queue_arn("cfn-work")
    ctx = world.context("Work")
    props = {
        "FunctionName": function,
        "EventSourceArn": queue,
        "BatchSize": "5",
        "Enabled": "false",
        "ScalingConfig": {"MaximumConcurrency": "4"},
        "Tags": [{"Key": "kind", "Value": "queue"}],
    }
    made = world.run(MAPPING.create(ctx, "Work", props))
    uuid = made.physical_id
    got = lam.get_event_source_mapping(UUID=uuid)
    assert made.attributes == {"Id": uuid, "EventSourceMappingArn": got["EventSourceMappingArn"]}
    assert got["State"] == "Disabled" and got["BatchSize"] == 5
    assert got["ScalingConfig"] == {"MaximumConcurrency": 4}
    arn = got["EventSourceMappingArn"]
    assert lam.list_tags(Resource=arn)["Tags"] == {"team": "altus", "kind": "queue"}
    assert {"EventSourceArn", "StartingPosition"} <= MAPPING.replaced_by

    changed = {"FunctionName": function, "EventSourceArn": queue}
    updated = world.run(MAPPING.update(ctx, Current("Work", uuid, props, made.attributes), changed))
    assert updated == made
    got = lam.get_event_source_mapping(UUID=uuid)
    assert got["State"] == "Enabled" and got["BatchSize"] == 10  # SQS's default again
    assert "ScalingConfig" not in got
    assert lam.list_tags(Resource=arn)["Tags"] == {"team": "altus"}

    world.run(MAPPING.delete(ctx, Current("Work", uuid, changed, made.attributes)))
    assert missing(lam.get_event_source_mapping, UUID=uuid)
    world.run(MAPPING.delete(ctx, Current("Work", uuid, changed, made.attributes)))
    world.run(MAPPING.delete(ctx, Current("Work", None, changed)))  # nothing to find


def test_provisioned_concurrency_of_versions_and_aliases(world: World) -> None:
    lam = world.client("lambda")
    assert world.harness.backend is not None
    world.harness.backend.handlers["cfn-warm"] = lambda event, context: "warm"
    fctx = world.context("Warm")
    fprops = function_props(FunctionName="cfn-warm")
    world.run(FUNCTION.create(fctx, "Warm", fprops))
    vctx = world.context("WarmV")
    vprops = {
        "FunctionName": "cfn-warm",
        "ProvisionedConcurrencyConfig": {"ProvisionedConcurrentExecutions": "1"},
    }
    version = world.run(VERSION.create(vctx, "WarmV", vprops))
    got = lam.get_provisioned_concurrency_config(FunctionName="cfn-warm", Qualifier="1")
    assert got["Status"] == "READY" and got["AllocatedProvisionedConcurrentExecutions"] == 1

    # An alias's own provisioned concurrency, on a version that has none of its own.
    lam.update_function_configuration(FunctionName="cfn-warm", Timeout=9)
    lam.get_waiter("function_updated_v2").wait(
        FunctionName="cfn-warm", WaiterConfig={"Delay": 0.05, "MaxAttempts": 600}
    )
    lam.publish_version(FunctionName="cfn-warm")
    actx = world.context("WarmA")
    aprops = {"FunctionName": "cfn-warm", "Name": "live", "FunctionVersion": "2"}
    alias = world.run(ALIAS.create(actx, "WarmA", aprops))
    assert missing(
        lam.get_provisioned_concurrency_config, FunctionName="cfn-warm", Qualifier="live"
    )
    warm = {**aprops, "ProvisionedConcurrencyConfig": {"ProvisionedConcurrentExecutions": 1}}
    world.run(ALIAS.update(actx, Current("WarmA", alias.physical_id, aprops), warm))
    got = lam.get_provisioned_concurrency_config(FunctionName="cfn-warm", Qualifier="live")
    assert got["Status"] == "READY"
    world.run(ALIAS.update(actx, Current("WarmA", alias.physical_id, warm), aprops))
    assert missing(
        lam.get_provisioned_concurrency_config, FunctionName="cfn-warm", Qualifier="live"
    )

    world.run(ALIAS.delete(actx, Current("WarmA", alias.physical_id, aprops)))
    world.run(VERSION.delete(vctx, Current("WarmV", version.physical_id, vprops)))
    world.run(FUNCTION.delete(fctx, Current("Warm", "cfn-warm", fprops)))
