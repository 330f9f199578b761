"""Layers end to end: published through boto3, applied into /opt by both sandboxes."""

from __future__ import annotations

import json
import shutil
import stat
from typing import Any

import pytest
from botocore.exceptions import ClientError

from altus.packaging import zip_files
from tests.conftest import (
    PYTHON_RUNTIME,
    Server,
    create_function,
    invoke,
    python_function,
)

pytestmark = pytest.mark.integration


def _zip_with_modes(files: dict[str, tuple[str, int]]) -> bytes:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, (text, mode) in files.items():
            info = zipfile.ZipInfo(name)
            info.external_attr = (stat.S_IFREG | mode) << 16
            archive.writestr(info, text)
    return buffer.getvalue()


def _publish(client: Any, name: str, files: dict[str, str | bytes], **extra: Any) -> Any:
    return client.publish_layer_version(
        LayerName=name, Content={"ZipFile": zip_files(files)}, **extra
    )


def test_layer_versions_api(client: Any) -> None:
    first = _publish(
        client,
        "shapes",
        {"python/shapes.py": "X = 1\n"},
        CompatibleRuntimes=["python3.12"],
        Description="one",
        LicenseInfo="MIT",
    )
    second = _publish(
        client,
        "shapes",
        {"python/shapes.py": "X = 2\n"},
        CompatibleRuntimes=["nodejs20.x"],
        CompatibleArchitectures=["arm64"],
    )
    assert first["Version"] == 1 and second["Version"] == 2
    assert first["LayerVersionArn"] == first["LayerArn"] + ":1"
    assert first["Content"]["CodeSize"] > 0 and first["Content"]["CodeSha256"]
    got = client.get_layer_version(LayerName="shapes", VersionNumber=1)
    assert got["Description"] == "one" and got["LicenseInfo"] == "MIT"
    assert got["CompatibleRuntimes"] == ["python3.12"]
    by_arn = client.get_layer_version_by_arn(Arn=second["LayerVersionArn"])
    assert by_arn["Version"] == 2 and by_arn["CompatibleArchitectures"] == ["arm64"]

    versions = client.list_layer_versions(LayerName="shapes")["LayerVersions"]
    assert [v["Version"] for v in versions] == [2, 1]
    filtered = client.list_layer_versions(LayerName="shapes", CompatibleRuntime="python3.12")
    assert [v["Version"] for v in filtered["LayerVersions"]] == [1]
    layers = {entry["LayerName"]: entry for entry in client.list_layers()["Layers"]}
    assert layers["shapes"]["LatestMatchingVersion"]["Version"] == 2
    matching = client.list_layers(CompatibleRuntime="python3.12")["Layers"]
    assert [
        e["LatestMatchingVersion"]["Version"] for e in matching if e["LayerName"] == "shapes"
    ] == [1]

    added = client.add_layer_version_permission(
        LayerName="shapes",
        VersionNumber=1,
        StatementId="everyone",
        Action="lambda:GetLayerVersion",
        Principal="*",
    )
    assert json.loads(added["Statement"]) == {
        "Sid": "everyone",
        "Effect": "Allow",
        "Principal": "*",
        "Action": "lambda:GetLayerVersion",
        "Resource": first["LayerVersionArn"],
    }
    policy = client.get_layer_version_policy(LayerName="shapes", VersionNumber=1)
    assert json.loads(policy["Policy"])["Statement"][0]["Sid"] == "everyone"
    assert policy["RevisionId"] == added["RevisionId"]
    with pytest.raises(ClientError) as duplicate:
        client.add_layer_version_permission(
            LayerName="shapes",
            VersionNumber=1,
            StatementId="everyone",
            Action="lambda:GetLayerVersion",
            Principal="111122223333",
        )
    assert duplicate.value.response["Error"]["Code"] == "ResourceConflictException"
    client.remove_layer_version_permission(
        LayerName="shapes", VersionNumber=1, StatementId="everyone"
    )
    with pytest.raises(ClientError) as gone:
        client.get_layer_version_policy(LayerName="shapes", VersionNumber=1)
    assert gone.value.response["Error"]["Code"] == "ResourceNotFoundException"

    client.delete_layer_version(LayerName="shapes", VersionNumber=2)
    client.delete_layer_version(LayerName="shapes", VersionNumber=2)  # idempotent
    with pytest.raises(ClientError) as missing:
        client.get_layer_version(LayerName="shapes", VersionNumber=2)
    assert missing.value.response["Error"]["Code"] == "ResourceNotFoundException"
    # Numbers are never reused.
    assert _publish(client, "shapes", {"python/shapes.py": "X = 3\n"})["Version"] == 3


def test_layers_apply_in_order_into_opt(client: Any, altus_server: Server) -> None:
    base = _publish(
        client,
        "base",
        {
            "python/shared.py": "WHO = 'base'\n",
            "python/only_base.py": "VALUE = 'from base'\n",
            "lib/data.txt": "base data\n",
        },
    )
    top = _publish(client, "top", {"python/shared.py": "WHO = 'top'\n"})
    tool = _zip_with_modes({"bin/hello-tool": ("#!/bin/sh\necho tool-ran\n", 0o755)})
    tools = client.publish_layer_version(LayerName="tools", Content={"ZipFile": tool})
    arns = [base["LayerVersionArn"], top["LayerVersionArn"], tools["LayerVersionArn"]]
    created = create_function(
        client,
        "layered",
        python_function(
            "import os, subprocess, shared, only_base\n"
            "def handler(event, context):\n"
            "    return {'who': shared.WHO, 'base': only_base.VALUE,\n"
            "            'data': open(os.environ['LD_LIBRARY_PATH'].split(':')[-1]\n"
            "                         + '/data.txt').read().strip(),\n"
            "            'tool': subprocess.run(['hello-tool'], capture_output=True,\n"
            "                                   text=True).stdout.strip(),\n"
            "            'path': os.environ['PATH'], 'ld': os.environ['LD_LIBRARY_PATH']}\n"
        ),
        Layers=arns,
    )
    assert [layer["Arn"] for layer in created["Layers"]] == arns
    _, body = invoke(client, "layered", {})
    assert body["who"] == "top"  # the later layer wins
    assert body["base"] == "from base"
    assert body["data"] == "base data"
    assert body["tool"] == "tool-ran"
    if altus_server.sandbox == "linux":  # the process backend has no /opt to mount them at
        assert body["path"].split(":")[3] == "/opt/bin"
        assert body["ld"].split(":")[-1] == "/opt/lib"

    # A published version keeps its layers; $LATEST moves on without them.
    version = client.publish_version(FunctionName="layered")["Version"]
    client.update_function_configuration(FunctionName="layered", Layers=[top["LayerVersionArn"]])
    client.get_waiter("function_updated_v2").wait(
        FunctionName="layered", WaiterConfig={"Delay": 0.05, "MaxAttempts": 200}
    )
    latest = client.get_function_configuration(FunctionName="layered")
    assert [layer["Arn"] for layer in latest["Layers"]] == [top["LayerVersionArn"]]
    published = client.get_function_configuration(FunctionName="layered", Qualifier=version)
    assert [layer["Arn"] for layer in published["Layers"]] == arns
    # Deleting a layer version does not break the function version using it.
    client.delete_layer_version(LayerName="base", VersionNumber=base["Version"])
    _, body = invoke(client, "layered", {}, Qualifier=version)
    assert body["base"] == "from base"


def test_layer_bootstrap_for_provided_runtime(client: Any) -> None:
    bootstrap = (
        "#!/bin/sh\n"
        "set -eu\n"
        'API="http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime/invocation"\n'
        "exec python3 -S -c '\n"
        "import json, os, urllib.request\n"
        'api = os.environ["AWS_LAMBDA_RUNTIME_API"]\n'
        'base = f"http://{api}/2018-06-01/runtime/invocation"\n'
        "while True:\n"
        '    with urllib.request.urlopen(base + "/next") as r:\n'
        '        rid = r.headers["Lambda-Runtime-Aws-Request-Id"]\n'
        '    body = json.dumps({"from": "layer bootstrap"}).encode()\n'
        '    urllib.request.urlopen(urllib.request.Request(base + f"/{rid}/response",\n'
        '                                                  data=body, method="POST"))\n'
        "'\n"
    )
    layer = client.publish_layer_version(
        LayerName="runtime", Content={"ZipFile": _zip_with_modes({"bootstrap": (bootstrap, 0o755)})}
    )
    create_function(
        client,
        "custom-from-layer",
        {"handler.txt": "unused\n"},
        runtime="provided.al2023",
        handler="unused",
        Layers=[layer["LayerVersionArn"]],
    )
    _, body = invoke(client, "custom-from-layer", {})
    assert body == {"from": "layer bootstrap"}


def test_layer_references_are_checked(client: Any) -> None:
    layer = _publish(client, "checked", {"python/a.py": ""})
    other = _publish(client, "checked", {"python/a.py": "# 2\n"})
    code = {"app.py": "def handler(e, c):\n    return 1\n"}
    cases = {
        "missing": [layer["LayerArn"] + ":99"],
        "twice": [layer["LayerVersionArn"], other["LayerVersionArn"]],
        "six": [_publish(client, f"many{i}", {"f": "x"})["LayerVersionArn"] for i in range(6)],
    }
    for name, arns in cases.items():
        with pytest.raises(ClientError) as refused:
            client.create_function(
                FunctionName=f"bad-layers-{name}",
                Runtime=PYTHON_RUNTIME,
                Handler="app.handler",
                Role="arn:aws:iam::000000000000:role/r",
                Code={"ZipFile": zip_files(code)},
                Layers=arns,
            )
        assert refused.value.response["Error"]["Code"] == "InvalidParameterValueException", name
        with pytest.raises(ClientError):
            client.get_function(FunctionName=f"bad-layers-{name}")


@pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed")
def test_node_finds_layer_packages_from_commonjs_and_es_modules(client: Any) -> None:
    lib = _publish(
        client,
        "nodelib",
        {
            "nodejs/node_modules/greeter/package.json": json.dumps(
                {"name": "greeter", "main": "index.js"}
            ),
            "nodejs/node_modules/greeter/index.js": "exports.greet = (n) => 'hello ' + n;\n",
        },
    )
    arns = [lib["LayerVersionArn"]]
    create_function(
        client,
        "node-cjs-layer",
        {
            "index.js": (
                "const { greet } = require('greeter');\n"
                "exports.handler = async () => greet('cjs');\n"
            )
        },
        runtime="nodejs20.x",
        handler="index.handler",
        Layers=arns,
    )
    create_function(
        client,
        "node-esm-layer",
        {
            "index.mjs": (
                "import greeter from 'greeter';\n"
                "export const handler = async () => greeter.greet('esm');\n"
            )
        },
        runtime="nodejs20.x",
        handler="index.handler",
        Layers=arns,
    )
    create_function(
        client,
        "node-type-module-layer",
        {
            "package.json": json.dumps({"type": "module"}),
            "index.js": (
                "import greeter from 'greeter';\n"
                "export const handler = async () => greeter.greet('type module');\n"
            ),
        },
        runtime="nodejs20.x",
        handler="index.handler",
        Layers=arns,
    )
    assert invoke(client, "node-cjs-layer", {})[1] == "hello cjs"
    assert invoke(client, "node-esm-layer", {})[1] == "hello esm"
    assert invoke(client, "node-type-module-layer", {})[1] == "hello type module"
