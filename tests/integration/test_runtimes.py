"""The bundled runtimes (Python, Node.js, provided) and the official awslambdaric."""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.conftest import create_function, invoke, log_tail

pytestmark = pytest.mark.integration

needs_node = pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed")


@needs_node
def test_node_async_handler(client: Any) -> None:
    create_function(
        client,
        "node-async",
        {
            "index.js": (
                "let count = 0;\n"
                "exports.handler = async (event, context) => {\n"
                "  count += 1;\n"
                "  console.log('hello from node', event.n);\n"
                "  return { count, n: event.n, id: context.awsRequestId,\n"
                "           fn: context.functionName, mem: context.memoryLimitInMB,\n"
                "           remaining: context.getRemainingTimeInMillis() > 0,\n"
                "           arn: context.invokedFunctionArn };\n"
                "};\n"
            )
        },
        runtime="nodejs20.x",
        handler="index.handler",
    )
    response, body = invoke(client, "node-async", {"n": 5}, LogType="Tail")
    assert "FunctionError" not in response, body
    assert body["count"] == 1 and body["n"] == 5
    assert body["id"] == response["ResponseMetadata"]["RequestId"]
    assert body["fn"] == "node-async" and body["mem"] == "128" and body["remaining"]
    assert body["arn"].endswith(":function:node-async")
    assert f"{body['id']}\tINFO\thello from node 5" in log_tail(response)
    assert invoke(client, "node-async", {"n": 6})[1]["count"] == 2


@needs_node
def test_node_callback_handler_and_errors(client: Any) -> None:
    create_function(
        client,
        "node-cb",
        {
            "index.js": (
                "exports.handler = function (event, context, callback) {\n"
                "  if (event.fail) { callback(new TypeError('nope')); return; }\n"
                "  setTimeout(() => callback(null, { ok: true }), 10);\n"
                "};\n"
            )
        },
        runtime="nodejs20.x",
        handler="index.handler",
    )
    assert invoke(client, "node-cb", {})[1] == {"ok": True}
    response, body = invoke(client, "node-cb", {"fail": True}, LogType="Tail")
    assert response["FunctionError"] == "Unhandled"
    assert body["errorType"] == "TypeError" and body["errorMessage"] == "nope"
    assert isinstance(body["trace"], list)
    # Lambda's Node runtime logs the error as one event, its stack joined by \r.
    logged = next(line for line in log_tail(response).split("\n") if "Invoke Error" in line)
    document = json.loads(logged.split("Invoke Error \t", 1)[1])
    assert document["errorType"] == "TypeError" and document["stack"][0] == "TypeError: nope"


@needs_node
def test_node_es_module_and_nested_handler_path(client: Any) -> None:
    create_function(
        client,
        "node-esm",
        {
            "src/main.mjs": (
                "export const handler = async (event) => ({ esm: true, got: event });\n"
            )
        },
        runtime="nodejs20.x",
        handler="src/main.handler",
    )
    assert invoke(client, "node-esm", {"a": 1})[1] == {"esm": True, "got": {"a": 1}}


@needs_node
@pytest.mark.parametrize(
    ("files", "handler", "error_type"),
    [
        (
            {"index.js": "exports.other = async () => 1;\n"},
            "index.handler",
            "Runtime.HandlerNotFound",
        ),
        (
            {"index.js": "exports.handler = async () => 1;\n"},
            "missing.handler",
            "Runtime.ImportModuleError",
        ),
        (
            {"index.js": "exports.handler = async () => {;\n"},
            "index.handler",
            "Runtime.UserCodeSyntaxError",
        ),
    ],
)
def test_node_init_errors(
    client: Any, files: dict[str, str], handler: str, error_type: str
) -> None:
    name = f"node-init-{error_type.split('.')[-1].lower()}"
    create_function(client, name, files, runtime="nodejs20.x", handler=handler)
    response, body = invoke(client, name)
    assert response["FunctionError"] == "Unhandled"
    assert body["errorType"] == error_type


# The interpreter itself, not the test venv's link to it: an isolating sandbox shows the
# interpreters Altus runs (their installation prefixes), not the venv.
PYTHON = os.path.realpath(sys.executable)

CUSTOM_BOOTSTRAP = f"""#!{PYTHON}
# A custom runtime written against the Runtime API with nothing but the standard library.
import json, os, urllib.request
api = "http://" + os.environ["AWS_LAMBDA_RUNTIME_API"] + "/2018-06-01/runtime/invocation/"
while True:
    with urllib.request.urlopen(api + "next") as r:
        request_id = r.headers["Lambda-Runtime-Aws-Request-Id"]
        deadline = int(r.headers["Lambda-Runtime-Deadline-Ms"])
        event = json.loads(r.read())
    print("custom runtime got", event, flush=True)
    if event.get("fail"):
        body = json.dumps({{"errorMessage": "asked to fail", "errorType": "Custom.Failure"}})
        req = urllib.request.Request(api + request_id + "/error", data=body.encode(),
            headers={{"Lambda-Runtime-Function-Error-Type": "Custom.Failure"}})
    else:
        result = {{"handler": os.environ["_HANDLER"], "event": event, "deadline": deadline > 0}}
        req = urllib.request.Request(api + request_id + "/response",
                                     data=json.dumps(result).encode())
    urllib.request.urlopen(req).read()
"""


def test_provided_runtime_runs_the_package_bootstrap(client: Any) -> None:
    create_function(
        client,
        "custom",
        {"bootstrap": CUSTOM_BOOTSTRAP},
        runtime="provided.al2023",
        handler="my.handler",
    )
    response, body = invoke(client, "custom", {"x": 1}, LogType="Tail")
    assert body == {"handler": "my.handler", "event": {"x": 1}, "deadline": True}
    assert "custom runtime got {'x': 1}" in log_tail(response)
    response, body = invoke(client, "custom", {"fail": True})
    assert response["FunctionError"] == "Unhandled"
    assert body == {"errorMessage": "asked to fail", "errorType": "Custom.Failure"}


def test_provided_runtime_without_bootstrap(client: Any) -> None:
    create_function(
        client, "no-bootstrap", {"README": "nothing to run"}, runtime="provided", handler="x"
    )
    response, body = invoke(client, "no-bootstrap")
    assert response["FunctionError"] == "Unhandled"
    assert body["errorType"] == "Runtime.InvalidEntrypoint"
    assert "Couldn't find valid bootstrap(s)" in body["errorMessage"]


def _awslambdaric_files() -> dict[str, str | bytes]:
    """awslambdaric and its dependency, as installed for the tests, vendored into a
    package as a user would (``pip install -t``)."""
    import awslambdaric  # type: ignore[import-untyped]
    import simplejson  # type: ignore[import-untyped]

    files: dict[str, str | bytes] = {}
    site = Path(awslambdaric.__file__).parent.parent
    for module in (awslambdaric, simplejson):
        package_dir = Path(module.__file__).parent
        for path in package_dir.rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts:
                files[path.relative_to(package_dir.parent).as_posix()] = path.read_bytes()
    for native in site.glob("runtime_client*.so"):
        files[native.name] = native.read_bytes()
    return files


def test_official_awslambdaric_works_unmodified(client: Any) -> None:
    pytest.importorskip("awslambdaric")
    files = _awslambdaric_files()
    files["bootstrap"] = f'#!/bin/sh\nexec {PYTHON} -S -m awslambdaric "$_HANDLER"\n'
    files["app.py"] = (
        "import os\n"
        "count = 0\n"
        "def handler(event, context):\n"
        "    global count\n"
        "    count += 1\n"
        "    print('ric says hi')\n"
        "    if event.get('fail'):\n"
        "        raise KeyError('missing thing')\n"
        "    return {'count': count, 'id': context.aws_request_id, 'event': event,\n"
        "            'remaining': context.get_remaining_time_in_millis()}\n"
    )
    create_function(
        client,
        "ric",
        files,
        runtime="provided.al2023",
        handler="app.handler",
        Timeout=10,
        MemorySize=256,
    )
    response, body = invoke(client, "ric", {"big": "x" * 200_000}, LogType="Tail")
    assert "FunctionError" not in response, body
    assert body["count"] == 1 and body["event"]["big"] == "x" * 200_000
    assert body["id"] == response["ResponseMetadata"]["RequestId"]
    assert 0 < body["remaining"] <= 10_000
    assert "ric says hi" in log_tail(response)
    assert invoke(client, "ric", {})[1]["count"] == 2
    response, body = invoke(client, "ric", {"fail": True})
    assert response["FunctionError"] == "Unhandled"
    assert body["errorType"] == "KeyError"
    create_function(
        client,
        "ric-broken",
        {**files, "app.py": "import nothing_here\n"},
        runtime="provided.al2023",
        handler="app.handler",
    )
    response, body = invoke(client, "ric-broken")
    assert response["FunctionError"] == "Unhandled"
    assert body["errorType"] == "Runtime.ImportModuleError"


def test_python_functions_have_boto3_and_call_altus_as_their_role(client: Any) -> None:
    """As on Lambda, the runtime ships boto3, and the environment holds the execution
    role's temporary credentials; here also the endpoint, so an unmodified client talks
    to Altus."""
    sqs = boto3.client(
        "sqs",
        endpoint_url=client.meta.endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
    )
    queue = sqs.create_queue(QueueName="from-a-function")["QueueUrl"]
    create_function(
        client,
        "calls-sqs",
        {
            "app.py": (
                "import os, boto3\n"
                "def handler(event, context):\n"
                "    boto3.client('sqs').send_message(QueueUrl=event['q'], MessageBody='hi')\n"
                "    return {'boto3': boto3.__file__, 'key': os.environ['AWS_ACCESS_KEY_ID'],\n"
                "            'token': bool(os.environ['AWS_SESSION_TOKEN']),\n"
                "            'endpoint': os.environ['AWS_ENDPOINT_URL']}\n"
            )
        },
    )
    response, body = invoke(client, "calls-sqs", {"q": queue})
    assert "FunctionError" not in response, body
    assert body["key"].startswith("ASIA") and body["token"]
    assert body["endpoint"] == client.meta.endpoint_url
    # The runtime's copy, not one of the function's, and not the server's own packages.
    assert "/sdk/python-" in body["boto3"]
    assert sqs.receive_message(QueueUrl=queue)["Messages"][0]["Body"] == "hi"
