"""``altus local`` for real: templates in a temporary folder built, their functions run
by the ``process`` sandbox of a platform in the test's process (Python and Node.js
handlers), and ``start-api`` serving a SAM template's REST and HTTP APIs at the root of
its port, reloading a code change and a template change without a restart. The commands
are run as the ``altus`` command runs them (a parser made with ``add_commands``), and in
a subprocess (stdin, Ctrl-C)."""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest

from altus.cli.client import CliError
from altus.cli.local import add_commands
from altus.cli.local_api import ApiOptions, LocalApi
from tests.conftest import PYTHON_RUNTIME, ROOT, NodeSdkSource, unavailable

pytestmark = pytest.mark.integration

TEMPLATE = f"""
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Parameters:
  Stage:
    Type: String
    Default: dev
Globals:
  Function:
    Runtime: {PYTHON_RUNTIME}
    Timeout: 30
    Environment:
      Variables:
        SHARED: from-globals
Resources:
  Echo:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: echo/
      Handler: app.handler
      MemorySize: 256
      Layers:
        - !Ref Helpers
      Environment:
        Variables:
          STAGE: !Ref Stage
          WHERE: !Sub "${{AWS::Region}}-${{Stage}}"
          TABLE: !GetAtt Table.Arn
          OVERRIDDEN: template
  Helpers:
    Type: AWS::Serverless::LayerVersion
    Properties:
      ContentUri: helpers/
  Fails:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: fails/
      Handler: app.handler
  Node:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: node/
      Handler: index.handler
      Runtime: nodejs20.x
  Plain:
    Type: AWS::Lambda::Function
    Properties:
      Code: echo/
      Handler: app.handler
      Runtime: {PYTHON_RUNTIME}
      Role: arn:aws:iam::000000000000:role/plain
      Environment:
        Variables:
          STAGE: plain
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{{AttributeName: id, AttributeType: S}}]
      KeySchema: [{{AttributeName: id, KeyType: HASH}}]
"""

ECHO = """
import os

try:
    import helpers  # from the Helpers layer, where the function has it
except ImportError:
    helpers = None


def handler(event, context):
    print("echo got", sorted(event))
    for number in range(event.get("loud", 0)):
        print(f"loud line {number:04d} " + "." * 20)
    names = ["SHARED", "STAGE", "WHERE", "TABLE", "OVERRIDDEN", "FROM_FILE"]
    return {
        "event": event,
        "env": {name: os.environ.get(name) for name in names},
        "memory": context.memory_limit_in_mb,
        "helper": helpers.VALUE if helpers else None,
    }
"""

FAILS = """
def handler(event, context):
    raise ValueError("no good: " + str(event.get("why")))
"""

NODE = """
exports.handler = async (event, context) => {
  console.log("node got", JSON.stringify(event));
  let sdk;
  try {
    sdk = typeof require("@aws-sdk/client-s3").S3Client;
  } catch (error) {
    sdk = String(error);
  }
  return { node: process.version.startsWith("v"), event, name: context.functionName, sdk };
};
"""


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip())


@pytest.fixture(autouse=True)
def own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What ``altus local`` caches between runs (the Node.js SDK) goes to the test's own
    folder, not the home directory."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    _write(root / "template.yaml", TEMPLATE)
    _write(root / "echo/app.py", ECHO)
    _write(root / "helpers/python/helpers.py", "VALUE = 'from the layer'\n")
    _write(root / "fails/app.py", FAILS)
    _write(root / "node/index.js", NODE)
    _write(root / "event.json", '{"from": "file"}')
    return root


def run(argv: list[str]) -> int:
    """``altus <argv>`` as the ``altus`` command runs it: a parser with ``local`` added by
    ``add_commands``, its one-line errors."""
    parser = argparse.ArgumentParser(prog="altus")
    add_commands(parser.add_subparsers(dest="command", metavar="COMMAND"))
    args = parser.parse_args(argv)
    try:
        result: int = args.func(args)
        return result
    except CliError as error:
        print(f"altus: error: {error}", file=sys.stderr)
        return 1


def _answer(out: str) -> Any:
    return json.loads(out.strip().splitlines()[-1])


def test_invoke_event_from_file(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    template, event = str(project / "template.yaml"), str(project / "event.json")
    code = run(
        [
            "local",
            "invoke",
            "Echo",
            "-t",
            template,
            "-e",
            event,
            "--parameter-overrides",
            "Stage=prod",
        ]
    )
    out, err = capsys.readouterr()
    assert code == 0, err
    answer = _answer(out)
    assert answer["event"] == {"from": "file"}
    assert answer["env"] == {
        "SHARED": "from-globals",
        "STAGE": "prod",
        "WHERE": "us-east-1-prod",
        "TABLE": None,  # a resource's attribute: dropped, as sam drops it
        "OVERRIDDEN": "template",
        "FROM_FILE": None,
    }
    assert answer["memory"] == "256"  # a string, as Lambda's Python runtime gives it
    assert answer["helper"] == "from the layer"
    assert "environment variable TABLE is dropped" in err
    # The log as Lambda writes it, on stderr.
    assert "START RequestId: " in err and "END RequestId: " in err
    assert "REPORT RequestId: " in err
    assert "echo got ['from']" in err


def test_invoke_event_from_stdin_with_env_vars(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (project / "env.json").write_text(
        json.dumps(
            {
                "Parameters": {"OVERRIDDEN": "from-parameters", "SHARED": "everyone"},
                "Echo": {"OVERRIDDEN": "from-echo", "TABLE": "local-table", "FROM_FILE": "x"},
            }
        )
    )
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b'{"from": "stdin"}')))
    monkeypatch.chdir(project)  # the template found as sam finds it
    code = run(["local", "invoke", "Echo", "-e", "-", "--env-vars", "env.json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    answer = _answer(out)
    assert answer["event"] == {"from": "stdin"}
    assert answer["env"]["OVERRIDDEN"] == "from-echo"  # the function's own entry wins
    assert answer["env"]["SHARED"] == "everyone"
    assert answer["env"]["TABLE"] == "local-table"  # given: no longer dropped
    assert answer["env"]["STAGE"] == "dev"
    # Only variables the template declares are overridden (sam's rule), and said so.
    assert answer["env"]["FROM_FILE"] is None
    assert "FROM_FILE not set" in err


def test_invoke_plain_lambda_function(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "loud.json").write_text('{"loud": 400}')
    template, event = str(project / "template.yaml"), str(project / "loud.json")
    code = run(["local", "invoke", "Plain", "-t", template, "-e", event])
    out, err = capsys.readouterr()
    assert code == 0, err
    answer = _answer(out)
    assert answer["event"] == {"loud": 400}
    assert answer["env"]["STAGE"] == "plain"
    assert answer["env"]["SHARED"] is None  # Globals are SAM's only
    # A log longer than the 4 KB tail an invoke returns: printed whole all the same.
    assert "loud line 0000 " in err and "loud line 0399 " in err
    assert err.index("START RequestId: ") < err.index("loud line 0000 ")
    assert "REPORT RequestId: " in err


def test_invoke_failing_function(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "why.json").write_text('{"why": "testing"}')
    template, event = str(project / "template.yaml"), str(project / "why.json")
    code = run(["local", "invoke", "Fails", "-t", template, "-e", event])
    out, err = capsys.readouterr()
    assert code == 1
    error = _answer(out)
    assert error["errorType"] == "ValueError"
    assert error["errorMessage"] == "no good: testing"
    assert "REPORT RequestId: " in err


def test_invoke_refusals(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    template = str(project / "template.yaml")
    assert run(["local", "invoke", "Nope", "-t", template]) == 1
    assert "the template has no function Nope" in capsys.readouterr().err
    assert run(["local", "invoke", "-t", template]) == 1
    assert "name the function to invoke" in capsys.readouterr().err
    (project / "bad.json").write_text("{not json")
    assert run(["local", "invoke", "Echo", "-t", template, "-e", str(project / "bad.json")]) == 1
    assert "the event is not JSON" in capsys.readouterr().err
    code = run(["local", "invoke", "Echo", "-t", template, "--parameter-overrides", "Nope=1"])
    assert code == 1
    assert "Parameters: [Nope] do not exist in the template" in capsys.readouterr().err


def _node_sdk(source: NodeSdkSource, cache: Path) -> bool:
    """Whether Node.js functions get the AWS SDK for JavaScript: the session's prepared
    one placed (hard links) where ``altus local`` keeps it between runs (so no download
    here). Without one, ``altus local`` tries npm itself."""
    if source.path is None:
        return False
    kept = cache / "altus" / "node-sdk" / source.path.name
    kept.parent.mkdir(parents=True)
    shutil.copytree(source.path, kept, symlinks=True, copy_function=os.link)
    return True


def test_invoke_nodejs(
    project: Path,
    capsys: pytest.CaptureFixture[str],
    node_sdk_source: NodeSdkSource,
    tmp_path: Path,
) -> None:
    if shutil.which("node") is None:
        unavailable("Node.js", "node is not on PATH")
    with_sdk = _node_sdk(node_sdk_source, tmp_path / "cache")
    template, event = str(project / "template.yaml"), str(project / "event.json")
    code = run(["local", "invoke", "Node", "-t", template, "-e", event])
    out, err = capsys.readouterr()
    assert code == 0, err
    answer = _answer(out)
    assert answer["event"] == {"from": "file"}
    assert (answer["node"], answer["name"]) == (True, "Node")
    if with_sdk:
        assert answer["sdk"] == "function", answer
    assert 'node got {"from":"file"}' in err


def test_invoke_in_a_subprocess(project: Path) -> None:
    script = (
        "import sys; from altus.cli.local import main; "
        f"sys.exit(main(['invoke', 'Echo', '-t', {str(project / 'template.yaml')!r}, '-e', '-']))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        input=b'{"from": "a pipe"}',
        capture_output=True,
        timeout=240,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr.decode()
    assert json.loads(done.stdout)["event"] == {"from": "a pipe"}
    assert b"REPORT RequestId: " in done.stderr


def test_generate_event(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["local", "generate-event", "s3", "put", "--bucket", "mine"]) == 0
    event = json.loads(capsys.readouterr().out)
    assert event["Records"][0]["s3"]["bucket"]["name"] == "mine"
    assert run(["local", "generate-event", "apigateway", "aws-proxy"]) == 0
    assert "httpMethod" in json.loads(capsys.readouterr().out)


# --- start-api -----------------------------------------------------------------------------

API_TEMPLATE = f"""
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Runtime: {PYTHON_RUNTIME}
    Timeout: 30
Resources:
  Hello:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: hello/
      Handler: app.handler
      Events:
        Rest:
          Type: Api
          Properties:
            Path: /hello/{{name}}
            Method: get
        Http:
          Type: HttpApi
          Properties:
            Path: /v2/hello
            Method: post
"""

HELLO = """
import json


def handler(event, context):
    path = event.get("rawPath") or event.get("path")
    return {{"statusCode": 200, "body": json.dumps({{"says": "{word}", "path": path}})}}
"""


def _wait_for(check: Callable[[], Any], what: str, limit: float = 90.0) -> Any:
    deadline = time.monotonic() + limit
    while True:
        found = check()
        if found:
            return found
        assert time.monotonic() < deadline, f"{what} did not happen within {limit} s"
        time.sleep(0.2)


@pytest.fixture
def api_project(tmp_path: Path) -> Path:
    root = tmp_path / "api"
    _write(root / "template.yaml", API_TEMPLATE)
    _write(root / "hello/app.py", HELLO.format(word="hello"))
    return root


@pytest.fixture
def serving(api_project: Path) -> Iterator[tuple[LocalApi, list[str]]]:
    said: list[str] = []
    api = LocalApi(
        ApiOptions(template=api_project / "template.yaml", port=0, debounce_ms=100),
        say=said.append,
    )
    stop, ready = threading.Event(), threading.Event()
    failed: list[BaseException] = []

    def main() -> None:
        try:
            api.serve(stop, lambda _: ready.set())
        except BaseException as error:
            failed.append(error)
            ready.set()

    thread = threading.Thread(target=main, name="start-api", daemon=True)
    thread.start()
    assert ready.wait(240), "start-api did not start"
    assert not failed, failed
    yield api, said
    stop.set()
    thread.join(60)
    assert not thread.is_alive()
    assert not failed, failed


def test_start_api_serves_at_the_root_and_reloads(
    serving: tuple[LocalApi, list[str]], api_project: Path
) -> None:
    api, said = serving
    assert api.url.startswith("http://127.0.0.1:")
    # The REST API's route and the HTTP API's, each at the root of the port.
    rest = httpx.get(f"{api.url}/hello/you", timeout=30)
    assert rest.status_code == 200, rest.text
    assert rest.json() == {"says": "hello", "path": "/hello/you"}
    http = httpx.post(f"{api.url}/v2/hello", json={}, timeout=30)
    assert http.status_code == 200, http.text
    assert http.json() == {"says": "hello", "path": "/v2/hello"}
    assert httpx.get(f"{api.url}/v2/hello", timeout=30).status_code == 404
    assert f"Mounting Hello at {api.url}/hello/{{name}} [GET] (ServerlessRestApi)" in said
    # The long form and the platform's own AWS APIs answer on the same port.
    rest_api = next(a for a in api.apis if a.logical_id == "ServerlessRestApi")
    long_form = httpx.get(f"{api.url}{rest_api.base_path}/hello/long", timeout=30)
    assert long_form.json()["path"] == "/hello/long"
    lam = boto3.client(
        "lambda",
        endpoint_url=api.url,
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    names = [f["FunctionName"] for f in lam.list_functions()["Functions"]]
    assert names == [api.functions["Hello"]]

    # A code change is served without a restart. The file is written again until it is
    # (a write before the watcher started would go unseen).
    source = api_project / "hello/app.py"

    def changed() -> bool:
        source.write_text(textwrap.dedent(HELLO.format(word="reloaded")).lstrip())
        answer = httpx.get(f"{api.url}/hello/again", timeout=30)
        return answer.status_code == 200 and answer.json()["says"] == "reloaded"

    _wait_for(changed, "the code change")
    # The new code can answer before the reload's own line is printed (it is printed once
    # the function's update is seen to have ended).
    _wait_for(lambda: any(line.startswith("Reloaded Hello") for line in said), "the reload's line")

    # A template change updates the stack: a new route is served.
    template = api_project / "template.yaml"
    template.write_text(
        textwrap.dedent(API_TEMPLATE).lstrip()
        + textwrap.indent(
            textwrap.dedent(
                """
                Extra:
                  Type: Api
                  Properties:
                    Path: /extra
                    Method: any
                """
            ),
            " " * 8,
        )
    )

    def routed() -> bool:
        answer = httpx.delete(f"{api.url}/extra", timeout=30)
        return answer.status_code == 200 and answer.json()["path"] == "/extra"

    _wait_for(routed, "the template change")
    # The new route can answer before the stack's update has ended and is said.
    _wait_for(lambda: "Stack updated" in said, "the stack update's line")


def test_start_api_stops_on_ctrl_c(api_project: Path) -> None:
    """A subprocess, as a person runs it: Ctrl-C (SIGINT) stops it cleanly, exit 0."""
    # A shell's background job ignores SIGINT, and a child inherits that: the child puts
    # Python's own handler back first, as an interactive shell would have it.
    script = (
        "import signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
        "from altus.cli.local import main; sys.exit(main(['start-api', '--port', '0']))"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", script], cwd=api_project, stderr=subprocess.PIPE, text=True
    )
    try:
        assert process.stderr is not None
        lines: list[str] = []
        for _ in range(10_000):  # bounded: each line read or the end
            line = process.stderr.readline()
            if not line:
                break
            lines.append(line)
            if line.startswith("Serving at "):
                break
        served = next((line for line in lines if line.startswith("Serving at ")), None)
        assert served is not None, "".join(lines)
        url = served.split()[2].rstrip(":")
        assert httpx.get(f"{url}/hello/there", timeout=30).json()["path"] == "/hello/there"
        process.send_signal(signal.SIGINT)
        rest = process.stderr.read()
        assert process.wait(timeout=120) == 0, rest
        assert "Stopped" in rest
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)


def test_invoke_a_function_lambda_refuses(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A function Lambda will not create is one line on stderr, not a traceback."""
    root = tmp_path / "refused"
    _write(
        root / "template.yaml",
        f"""
        Transform: AWS::Serverless-2016-10-31
        Resources:
          Small:
            Type: AWS::Serverless::Function
            Properties:
              CodeUri: code
              Handler: app.handler
              Runtime: {PYTHON_RUNTIME}
              MemorySize: 64
        """,
    )
    _write(root / "code/app.py", "def handler(event, context):\n    return 1\n")
    assert run(["local", "invoke", "-t", str(root / "template.yaml")]) == 1
    err = capsys.readouterr().err
    assert "altus: error: Small was refused: " in err and "MemorySize" in err
    assert "Traceback" not in err
    # Refused by the platform's Lambda (not botocore's own checks): the same.
    text = (root / "template.yaml").read_text()
    (root / "template.yaml").write_text(
        text.replace("MemorySize: 64", "MemorySize: 128").replace(PYTHON_RUNTIME, "python9.9")
    )
    assert run(["local", "invoke", "-t", str(root / "template.yaml")]) == 1
    err = capsys.readouterr().err
    assert "altus: error: Small was refused: " in err and "Traceback" not in err


def test_start_api_beyond_this_machine_serves_the_apis_alone(api_project: Path) -> None:
    """Bound to every address (the check is on the bind address; the test connects on
    loopback): the APIs answer, the platform's AWS APIs (no authentication) do not."""
    said: list[str] = []
    api = LocalApi(
        ApiOptions(template=api_project / "template.yaml", host="0.0.0.0", port=0, watch=False),
        say=said.append,
    )
    stop, ready = threading.Event(), threading.Event()
    thread = threading.Thread(
        target=api.serve, args=(stop, lambda _: ready.set()), name="start-api", daemon=True
    )
    thread.start()
    try:
        assert ready.wait(240), "start-api did not start"
        assert api.url.startswith("http://127.0.0.1:")
        assert any(line.startswith("Warning: listening on 0.0.0.0") for line in said), said
        assert httpx.get(f"{api.url}/hello/you", timeout=30).json()["path"] == "/hello/you"
        lam = boto3.client(
            "lambda",
            endpoint_url=api.url,
            region_name="us-east-1",
            aws_access_key_id="local",
            aws_secret_access_key="local",
        )
        from botocore.exceptions import ClientError

        with pytest.raises(ClientError) as refused:
            lam.create_function(
                FunctionName="intruder",
                Runtime=PYTHON_RUNTIME,
                Handler="app.handler",
                Role="arn:aws:iam::000000000000:role/x",
                Code={"ZipFile": b"PK\x05\x06" + b"\0" * 18},
            )
        assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
        assert httpx.get(f"{api.url}/_altus/health", timeout=30).status_code == 403
        # The platform's own port (loopback alone) still serves them.
        assert api.platform is not None
        names = [
            f["FunctionName"] for f in api.platform.client("lambda").list_functions()["Functions"]
        ]
        assert names == [api.functions["Hello"]]
    finally:
        stop.set()
        thread.join(60)
    assert not thread.is_alive()
