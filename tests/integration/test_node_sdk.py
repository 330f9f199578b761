"""The AWS SDK for JavaScript v3 Node.js functions get, as on Lambda: installed once per
data directory, on NODE_PATH after the function's own copy and its layers', for
``require`` and ``import`` alike, on every sandbox."""

from __future__ import annotations

import json
import logging
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from altus.packaging import zip_files
from altus.runtimes.node_sdk import NodeSdk, SdkUnavailable, find_npm, install, lock_digest
from altus.runtimes.registry import Runtimes
from tests.conftest import (
    SANDBOXES,
    NodeSdkSource,
    Server,
    create_function,
    invoke,
    start_server,
    unavailable,
)

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed"),
]

#: How the SDK's directory is named in every view (host or /var/lang/sdk).
SDK_DIR = f"/sdk/nodejs-{lock_digest()}/node_modules/"
#: Enough CPU (it is in proportion to memory) that loading the SDK stays well inside the
#: INIT phase's 10 s: at 128 MB, a linux environment takes seconds.
MEMORY = 1024


@pytest.fixture(scope="module", params=SANDBOXES)
def server(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    node_sdk_source: NodeSdkSource,
) -> Iterator[Server]:
    source = node_sdk_source.required()
    server = start_server(
        tmp_path_factory.mktemp("node-sdk"),
        extra_env={"ALTUS_SANDBOX": request.param, "ALTUS_NODE_SDK_SOURCE": str(source)},
    )
    assert server.sandbox == request.param
    yield server
    server.stop()


def _sqs(server: Server) -> Any:
    return boto3.client(
        "sqs",
        endpoint_url=server.url,
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
    )


ESM = """
import { STSClient, GetCallerIdentityCommand } from "@aws-sdk/client-sts";
import { SQSClient, SendMessageCommand } from "@aws-sdk/client-sqs";
const sts = new STSClient({});
const sqs = new SQSClient({});
export const handler = async (event) => {
  const me = await sts.send(new GetCallerIdentityCommand({}));
  const sent = await sqs.send(new SendMessageCommand({ QueueUrl: event.q, MessageBody: "esm" }));
  return { arn: me.Arn, id: sent.MessageId, from: import.meta.resolve("@aws-sdk/client-sts") };
};
"""

COMMONJS = """
const { STSClient, GetCallerIdentityCommand } = require("@aws-sdk/client-sts");
const { SQSClient, SendMessageCommand } = require("@aws-sdk/client-sqs");
const sts = new STSClient({});
const sqs = new SQSClient({});
exports.handler = async (event) => {
  const me = await sts.send(new GetCallerIdentityCommand({}));
  const sent = await sqs.send(new SendMessageCommand({ QueueUrl: event.q, MessageBody: "cjs" }));
  return { arn: me.Arn, id: sent.MessageId, from: require.resolve("@aws-sdk/client-sts") };
};
"""


@pytest.mark.parametrize(
    ("kind", "file", "code"), [("esm", "index.mjs", ESM), ("cjs", "index.js", COMMONJS)]
)
def test_a_function_imports_the_sdk_and_calls_altus_as_its_role(
    server: Server, kind: str, file: str, code: str
) -> None:
    """An unmodified handler: the runtime's SDK, the role's credentials and the endpoint
    its environment holds (no configuration in the code)."""
    sqs = _sqs(server)
    queue = sqs.create_queue(QueueName=f"from-node-{kind}")["QueueUrl"]
    name = f"node-sdk-{kind}"
    create_function(
        server.client(),
        name,
        {file: code},
        runtime="nodejs22.x",
        handler="index.handler",
        MemorySize=MEMORY,
    )
    response, body = invoke(server.client(), name, {"q": queue})
    assert "FunctionError" not in response, body
    assert body["arn"] == f"arn:aws:sts::000000000000:assumed-role/test-role/{name}"
    assert SDK_DIR in body["from"]  # the runtime's copy
    message = sqs.receive_message(QueueUrl=queue)["Messages"][0]
    assert (message["Body"], message["MessageId"]) == (kind, body["id"])


def _package(name: str, marker: str) -> dict[str, str]:
    """A stand-in for an SDK package, loadable by require and by import."""
    root = f"node_modules/{name}"
    return {
        f"{root}/package.json": json.dumps(
            {"name": name, "version": "0.0.0", "main": "index.js", "exports": {".": "./index.js"}}
        ),
        f"{root}/index.js": f"exports.WHOSE = {json.dumps(marker)};\n",
    }


@pytest.mark.parametrize(
    ("file", "code"),
    [
        (
            "index.mjs",
            'import sts from "@aws-sdk/client-sts";\n'
            'import sqs from "@aws-sdk/client-sqs";\n'
            'import { DynamoDBClient } from "@aws-sdk/client-dynamodb";\n'
            "export const handler = async () =>\n"
            "  [sts.WHOSE, sqs.WHOSE, typeof DynamoDBClient];\n",
        ),
        (
            "index.js",
            'const sts = require("@aws-sdk/client-sts");\n'
            'const sqs = require("@aws-sdk/client-sqs");\n'
            'const { DynamoDBClient } = require("@aws-sdk/client-dynamodb");\n'
            "exports.handler = async () => [sts.WHOSE, sqs.WHOSE, typeof DynamoDBClient];\n",
        ),
    ],
)
def test_the_functions_own_copy_wins_then_a_layers(server: Server, file: str, code: str) -> None:
    """As on Lambda: the function's node_modules, then its layers', then the runtime's."""
    client = server.client()
    layer_files = {
        f"nodejs/{path}": text
        for package, marker in (("@aws-sdk/client-sts", "layer"), ("@aws-sdk/client-sqs", "layer"))
        for path, text in _package(package, marker).items()
    }
    layer = client.publish_layer_version(
        LayerName=f"sdk-{Path(file).suffix[1:]}", Content={"ZipFile": zip_files(layer_files)}
    )["LayerVersionArn"]
    name = f"node-own-sdk-{Path(file).suffix[1:]}"
    create_function(
        client,
        name,
        {file: code, **_package("@aws-sdk/client-sts", "function")},
        runtime="nodejs20.x",
        handler="index.handler",
        Layers=[layer],
        MemorySize=MEMORY,
    )
    response, body = invoke(client, name, {})
    assert "FunctionError" not in response, body
    assert body == ["function", "layer", "function"]


def test_an_import_of_the_sdk_says_why_the_runtime_has_none(tmp_path: Path) -> None:
    """Where it could not be installed (here: a source that does not hold it), Node.js
    functions still run; one that imports it is told why it is missing."""
    empty = tmp_path / "empty"
    empty.mkdir()
    server = start_server(
        tmp_path / "data",
        extra_env={"ALTUS_SANDBOX": SANDBOXES[0], "ALTUS_NODE_SDK_SOURCE": str(empty)},
    )
    try:
        client = server.client()
        create_function(
            client,
            "needs-sdk",
            {
                "index.mjs": 'import { S3Client } from "@aws-sdk/client-s3";\n'
                "export const handler = async () => typeof S3Client;\n"
            },
            runtime="nodejs20.x",
            handler="index.handler",
        )
        create_function(
            client,
            "needs-none",
            {"index.js": "exports.handler = async () => 'fine';\n"},
            runtime="nodejs20.x",
            handler="index.handler",
        )
        response, body = invoke(client, "needs-sdk", {})
        assert response["FunctionError"] == "Unhandled"
        assert body["errorType"] == "Runtime.ImportModuleError"
        message = body["errorMessage"]
        assert message.startswith("Error: Cannot find package '@aws-sdk/client-s3' imported from ")
        assert message.endswith(
            "index.mjs (the runtime has no AWS SDK for JavaScript: the configured "
            "node_sdk_source does not hold it)"
        )
        assert invoke(client, "needs-none", {})[1] == "fine"
    finally:
        server.stop()
    assert "neither a prepared SDK" in "".join(server.output)


def test_it_is_installed_once_per_data_directory(
    tmp_path: Path, node_sdk_source: NodeSdkSource
) -> None:
    """The first Node.js function installs it; a server started again on the same data
    directory finds it there."""
    env = {
        "ALTUS_SANDBOX": "process",
        "ALTUS_NODE_SDK_SOURCE": str(node_sdk_source.required()),
        "ALTUS_LOG_LEVEL": "info",
    }
    code = {"index.js": 'exports.handler = async () => require.resolve("@aws-sdk/client-sns");\n'}
    first = start_server(tmp_path, extra_env=env)
    try:
        create_function(
            first.client(),
            "once",
            code,
            runtime="nodejs20.x",
            handler="index.handler",
            MemorySize=MEMORY,
        )
        assert SDK_DIR in invoke(first.client(), "once", {})[1]
    finally:
        first.stop()
    made = tmp_path / "runtime" / "sdk" / f"nodejs-{lock_digest()}"
    inode = made.stat().st_ino
    assert sum("placing the AWS SDK for JavaScript" in line for line in first.output) == 1
    second = start_server(tmp_path, extra_env=env)
    try:
        assert SDK_DIR in invoke(second.client(), "once", {})[1]
    finally:
        second.stop()
    assert not any("AWS SDK for JavaScript" in line for line in second.output)
    assert made.stat().st_ino == inode
    assert [p.name for p in made.parent.iterdir() if p.name.startswith(".nodejs-")] == []


def test_a_server_that_starts_with_node_functions_and_no_sdk_installs_it(
    tmp_path: Path, node_sdk_source: NodeSdkSource
) -> None:
    """As after an upgrade of Altus to another SDK: installed at start, in the background;
    the function's first cold start waits for it."""
    env = {"ALTUS_SANDBOX": "process", "ALTUS_NODE_SDK_SOURCE": str(node_sdk_source.required())}
    code = {
        "index.mjs": "export const handler = async () =>\n"
        '  import.meta.resolve("@aws-sdk/client-s3");\n'
    }
    first = start_server(tmp_path, extra_env=env)
    try:
        create_function(
            first.client(), "later", code, runtime="nodejs20.x", handler="index.handler"
        )
    finally:
        first.stop()
    shutil.rmtree(tmp_path / "runtime" / "sdk" / f"nodejs-{lock_digest()}")
    second = start_server(tmp_path, extra_env={**env, "ALTUS_LOG_LEVEL": "info"})
    try:
        assert SDK_DIR in invoke(second.client(), "later", {})[1]
    finally:
        second.stop()
    assert sum("placing the AWS SDK for JavaScript" in line for line in second.output) == 1


_RACER = """
import sys
from pathlib import Path
from altus.runtimes.node_sdk import install
print(install(Path(sys.argv[1]), None, Path(sys.argv[2])), flush=True)
"""


def test_servers_installing_at_once_make_one(
    tmp_path: Path, node_sdk_source: NodeSdkSource
) -> None:
    source = node_sdk_source.required()
    racers = [
        subprocess.Popen(
            [sys.executable, "-c", _RACER, str(tmp_path), str(source)],
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    made = {racer.communicate(timeout=120)[0].strip() for racer in racers}
    assert [racer.returncode for racer in racers] == [0, 0, 0]
    assert made == {str(tmp_path / f"nodejs-{lock_digest()}")}
    assert sorted(p.name for p in tmp_path.iterdir()) == [".nodejs.lock", f"nodejs-{lock_digest()}"]
    package = tmp_path / f"nodejs-{lock_digest()}" / "node_modules" / "@aws-sdk" / "client-s3"
    assert json.loads((package / "package.json").read_text())["name"] == "@aws-sdk/client-s3"


def test_a_registry_out_of_reach_leaves_nothing_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    npm = find_npm("node")
    if npm is None:
        unavailable("npm", "it is not installed beside node")
    port = _closed_port()
    monkeypatch.setenv("npm_config_registry", f"http://127.0.0.1:{port}/")
    monkeypatch.setenv("npm_config_cache", str(tmp_path / "empty-cache"))  # nothing cached
    root = tmp_path / "sdk"
    with pytest.raises(SdkUnavailable) as failed:
        install(root, npm)
    assert failed.value.reason == "the npm registry could not be reached (ECONNREFUSED)"
    assert f"127.0.0.1:{port}" in str(failed.value)
    assert [p.name for p in root.iterdir()] == [".nodejs.lock"]


def test_an_install_stopped_with_the_server_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    npm = find_npm("node")
    if npm is None:
        unavailable("npm", "it is not installed beside node")
    with socket.socket() as silent:  # a registry that takes connections and never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(64)
        silent.settimeout(60)
        monkeypatch.setenv("npm_config_registry", f"http://127.0.0.1:{silent.getsockname()[1]}/")
        monkeypatch.setenv("npm_config_cache", str(tmp_path / "empty-cache"))
        sdk = NodeSdk(tmp_path / "sdk", npm)
        sdk.begin()
        connection, _ = silent.accept()  # npm is at work
        connection.close()
        sdk.close()
    assert sdk.path is None and sdk.missing == "its installation was stopped"
    assert [p.name for p in (tmp_path / "sdk").iterdir()] == [".nodejs.lock"]


def test_an_npm_cache_installs_it_without_the_registry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, node_sdk_source: NodeSdkSource
) -> None:
    node_sdk_source.required()
    npm = find_npm("node")
    assert npm is not None and node_sdk_source.npm_cache is not None
    # Any request npm made would go through a proxy nothing listens on (the registry's
    # address itself must stay: npm's cache is keyed by URL).
    proxy = f"http://127.0.0.1:{_closed_port()}/"
    monkeypatch.setenv("npm_config_proxy", proxy)
    monkeypatch.setenv("npm_config_https_proxy", proxy)
    made = install(tmp_path, npm, node_sdk_source.npm_cache)
    package = made / "node_modules" / "@aws-sdk" / "lib-dynamodb" / "package.json"
    assert json.loads(package.read_text())["name"] == "@aws-sdk/lib-dynamodb"


def _closed_port() -> int:
    with socket.socket() as probe:  # a loopback port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_without_npm_functions_go_without_it_and_it_is_said_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    sdk = NodeSdk(tmp_path, npm=None)
    with caplog.at_level(logging.WARNING, logger="altus.runtimes.node_sdk"):
        assert sdk.ensure() is None
        assert sdk.ensure() is None
    assert sdk.missing == "npm is not installed on the Altus server"
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "npm is not installed" in warnings[0]
    assert [p.name for p in tmp_path.iterdir()] == [".nodejs.lock"]
    launch = Runtimes({}, "node", sdk).launch("nodejs20.x", tmp_path / "task")
    assert launch.env["ALTUS_NODE_SDK_MISSING"] == "npm is not installed on the Altus server"
    assert launch.env["NODE_PATH"] == (
        f"/opt/nodejs/node20/node_modules:/opt/nodejs/node_modules:{tmp_path / 'task'}"
    )
