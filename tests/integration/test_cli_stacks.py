"""``altus deploy`` and ``altus sync [--watch]`` against a real ``altus up`` (the process
sandbox running real Python functions): a SAM template with a Python function (whose
requirements name a local package, so pip needs no network) behind an HTTP API, built,
packaged into the server's S3, deployed through a change set while its events print,
and answered through the API; then code changes synced without the stack, and a watch
that picks up saved files (the delay from the write to the new answer is printed: a
benchmark figure, measured properly by ``bench/sync_watch.py``)."""

from __future__ import annotations

import argparse
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from altus.cli import stacks
from altus.cli.client import CliError
from altus.cli.deploy import Clients, DeployOptions, connect
from altus.cli.sync import watch
from tests.conftest import PYTHON_RUNTIME, Server, start_server
from tests.functional.test_cli_build import BACKEND

pytestmark = pytest.mark.integration

TEMPLATE = """
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Parameters:
  Greeting:
    Type: String
    Default: {default}
Resources:
  HelloFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src
      Handler: app.handler
      Runtime: {runtime}{alias}
      Environment:
        Variables:
          GREETING: !Ref Greeting
          MARK: "{mark}"
      Events:
        Hello:
          Type: HttpApi
          Properties:
            Path: /hello
            Method: GET
Outputs:
  ApiEndpoint:
    Description: the HTTP API
    Value: !GetAtt ServerlessHttpApi.ApiEndpoint
  FunctionName:
    Value: !Ref HelloFunction
"""

HANDLER = """
import os
import tinypkg

def handler(event, context):
    words = f"{{os.environ['GREETING']}} {version} {{tinypkg.WORD}}{{os.environ['MARK']}}"
    return {{"statusCode": 200, "body": words}}
"""


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip())


def make_project(root: Path, *, default: str = "hello") -> Path:
    """The project: template.yaml, src/ (the function), libs/tinypkg (a local package
    the function's requirements name). Its template."""
    _write(
        root / "libs/tinypkg/pyproject.toml",
        """
        [build-system]
        requires = []
        build-backend = "backend"
        backend-path = ["."]

        [project]
        name = "tinypkg"
        version = "0.1"
        """,
    )
    _write(root / "libs/tinypkg/backend.py", BACKEND)
    _write(root / "libs/tinypkg/tinypkg/__init__.py", 'WORD = "tiny"\n')
    _write(root / "src/requirements.txt", "--no-index\n../libs/tinypkg\n")
    write_code(root, "v1")
    set_template(root, default=default)
    return root / "template.yaml"


def write_code(root: Path, version: str) -> None:
    _write(root / "src/app.py", HANDLER.format(version=version))


def set_template(
    root: Path, *, default: str = "hello", mark: str = "", alias: str | None = None
) -> None:
    published = f"\n      AutoPublishAlias: {alias}" if alias else ""
    _write(
        root / "template.yaml",
        TEMPLATE.format(default=default, mark=mark, runtime=PYTHON_RUNTIME, alias=published),
    )


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data_dir = tmp_path_factory.mktemp("altus")
    started = start_server(data_dir, {"ALTUS_SANDBOX": "process"})
    # The CLI signs with the key the server wrote into its data directory.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ALTUS_DATA_DIR", str(data_dir))
        yield started
    started.stop()


@pytest.fixture(scope="module")
def clients(server: Server) -> Clients:
    return connect(server.url)


def parser() -> argparse.ArgumentParser:
    """``altus deploy`` and ``altus sync`` as ``main`` wires them."""
    made = argparse.ArgumentParser(prog="altus")
    commands = made.add_subparsers(dest="command")

    def client_command(name: str, help_text: str) -> argparse.ArgumentParser:
        command = commands.add_parser(name, help=help_text)
        command.add_argument("--endpoint")
        return command

    deploy = client_command("deploy", "deploy")
    deploy.add_argument("path", nargs="?")
    deploy.add_argument("--name")
    stacks.add_deploy_arguments(deploy)
    deploy.set_defaults(func=stacks.deploy_command)
    stacks.add_commands(client_command)
    return made


def altus(server: Server, *argv: str) -> int:
    args = parser().parse_args([*argv, "--endpoint", server.url])
    result: int = args.func(args)
    return result


def stack(clients: Clients, name: str) -> dict[str, Any]:
    found: dict[str, Any] = clients.cloudformation.describe_stacks(StackName=name)["Stacks"][0]
    return found


def outputs(clients: Clients, name: str) -> dict[str, str]:
    return {o["OutputKey"]: o["OutputValue"] for o in stack(clients, name).get("Outputs", [])}


def event_count(clients: Clients, name: str) -> int:
    count = 0
    token: str | None = None
    for _ in range(100):
        page = clients.cloudformation.describe_stack_events(
            StackName=name, **({"NextToken": token} if token else {})
        )
        count += len(page["StackEvents"])
        token = page.get("NextToken")
        if not token:
            break
    return count


def answer(clients: Clients, name: str) -> str:
    response = httpx.get(f"{outputs(clients, name)['ApiEndpoint']}/hello", timeout=60)
    assert response.status_code == 200, response.text
    return response.text


def test_deploy_update_and_nothing_to_do(
    server: Server,
    clients: Clients,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    root = tmp_path / "hello_app"
    make_project(root)
    monkeypatch.chdir(root)
    assert altus(server, "deploy") == 0  # template.yaml here; stack named after the folder
    printed = capsys.readouterr().out
    assert "Building HelloFunction" in printed
    assert "Changes of stack hello-app (CREATE" in printed
    lines = printed.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("Operation"))
    assert lines[header].split() == [
        "Operation",
        "LogicalResourceId",
        "ResourceType",
        "Replacement",
    ]
    changed = {tuple(line.split()) for line in lines[header + 1 : header + 6]}
    assert ("Add", "HelloFunction", "AWS::Lambda::Function", "N/A") in changed
    assert ("Add", "ServerlessHttpApi", "AWS::ApiGatewayV2::Api", "N/A") in changed
    # The events, oldest first, from the stack's first to its last.
    start = next(i for i, line in enumerate(lines) if line.startswith("ResourceStatus"))
    events = [line.split(None, 3) for line in lines[start + 1 :] if line.strip()]
    last = next(
        i for i, e in enumerate(events) if e[0] == "CREATE_COMPLETE" and e[2] == "hello-app"
    )
    events = events[: last + 1]
    assert events[0] == [
        "CREATE_IN_PROGRESS",
        "AWS::CloudFormation::Stack",
        "hello-app",
        "User Initiated",
    ]
    assert ["CREATE_COMPLETE", "AWS::Lambda::Function", "HelloFunction"] in [e[:3] for e in events]
    # Aligned: every event's type starts in the same column.
    starts = {lines[start + 1 + i].index(e[1]) for i, e in enumerate(events)}
    assert len(starts) == 1
    assert "Outputs:" in printed and "the HTTP API" in printed
    assert "Stack hello-app is CREATE_COMPLETE" in printed
    assert stack(clients, "hello-app")["StackStatus"] == "CREATE_COMPLETE"
    endpoint = outputs(clients, "hello-app")["ApiEndpoint"]
    assert "/_aws/execute-api/" in endpoint
    assert answer(clients, "hello-app") == "hello v1 tiny"
    bucket = "altus-deploy-artifacts-000000000000"
    keys = [o["Key"] for o in clients.s3.list_objects_v2(Bucket=bucket)["Contents"]]
    assert any(key.startswith("hello-app/") for key in keys)

    # The same again: nothing to do.
    before = event_count(clients, "hello-app")
    assert altus(server, "deploy", str(root / "template.yaml")) == 0
    assert "No changes to deploy. Stack hello-app is up to date" in capsys.readouterr().out
    assert event_count(clients, "hello-app") == before

    # A parameter: an update in place.
    assert altus(server, "deploy", "--parameter-overrides", "Greeting=hi") == 0
    printed = capsys.readouterr().out
    assert "Changes of stack hello-app (UPDATE" in printed
    assert "Modify     HelloFunction      AWS::Lambda::Function  False" in printed
    assert "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS" in printed
    assert "Stack hello-app is UPDATE_COMPLETE" in printed
    assert answer(clients, "hello-app") == "hi v1 tiny"
    # Not given again: the previous value is kept (UsePreviousValue), as the AWS CLI has it.
    set_template(root, default="howdy")
    assert altus(server, "deploy", "--tags", "team=altus") == 0
    capsys.readouterr()
    assert answer(clients, "hello-app") == "hi v1 tiny"
    assert stack(clients, "hello-app")["Tags"] == [
        {"Key": "team", "Value": "altus"},
        {"Key": "altus:template", "Value": str((root / "template.yaml").resolve())},
    ]


def test_no_execute_shows_the_change_set_only(
    server: Server, clients: Clients, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    template = make_project(tmp_path / "preview")
    assert altus(server, "deploy", str(template), "--no-execute") == 0
    printed = capsys.readouterr().out
    assert "Add        HelloFunction" in printed and "not executed" in printed
    assert stack(clients, "preview")["StackStatus"] == "REVIEW_IN_PROGRESS"
    # A stack never executed is created by the next deploy.
    assert altus(server, "deploy", str(template), "--stack-name", "preview") == 0
    assert stack(clients, "preview")["StackStatus"] == "CREATE_COMPLETE"


def test_failures_name_the_reason(
    server: Server, clients: Clients, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "broken"
    _write(
        root / "template.yaml",
        """
        Resources:
          Queue:
            Type: AWS::SQS::Queue
            Properties:
              VisibilityTimeout: 999999
        """,
    )
    failed = r"Stack broken ended ROLLBACK_COMPLETE: Queue: .*VisibilityTimeout"
    with pytest.raises(CliError, match=failed):
        altus(server, "deploy", str(root))
    assert "ROLLBACK_COMPLETE" in capsys.readouterr().out
    _write(
        root / "template.yaml",
        """
        Resources:
          Queue:
            Type: AWS::SQS::Queue
            Properties:
              VisibilityTimeout: !GetAtt Nope.Arn
        """,
    )
    with pytest.raises(CliError, match=r"Failed to create the changeset: .*Nope"):
        altus(server, "deploy", str(root))
    # Fixed: the rolled-back stack (which can only be deleted) is deleted and made again.
    _write(root / "template.yaml", "Resources:\n  Queue:\n    Type: AWS::SQS::Queue\n")
    assert altus(server, "deploy", str(root)) == 0
    assert "ROLLBACK_COMPLETE (its create failed): deleting it" in capsys.readouterr().out
    assert stack(clients, "broken")["StackStatus"] == "CREATE_COMPLETE"
    with pytest.raises(CliError, match=r"--tags wants KEY=VALUE, got .template\.yaml."):
        altus(server, "deploy", "--tags", "a=b", "template.yaml")


def test_sync_sends_code_alone_without_the_stack(
    server: Server, clients: Clients, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "synced"
    template = make_project(root)
    # No deploy yet: sync deploys.
    assert altus(server, "sync", str(template)) == 0
    assert "Stack synced is CREATE_COMPLETE" in capsys.readouterr().out
    assert answer(clients, "synced") == "hello v1 tiny"
    before = event_count(clients, "synced")

    write_code(root, "v2")
    assert altus(server, "sync", str(template)) == 0
    printed = capsys.readouterr().out
    assert "✓ HelloFunction code updated in" in printed
    assert "Changes of stack" not in printed
    assert event_count(clients, "synced") == before  # the stack was not touched
    assert answer(clients, "synced") == "hello v2 tiny"

    # A local package the requirements name is code too.
    _write(root / "libs/tinypkg/tinypkg/__init__.py", 'WORD = "small"\n')
    assert altus(server, "sync", str(template)) == 0
    assert "✓ HelloFunction code updated" in capsys.readouterr().out
    assert answer(clients, "synced") == "hello v2 small"
    assert event_count(clients, "synced") == before

    assert altus(server, "sync", str(template)) == 0
    assert "No changes to sync. Stack synced is up to date" in capsys.readouterr().out

    # A template change is a deploy.
    set_template(root, mark="!")
    assert altus(server, "sync", str(template)) == 0
    printed = capsys.readouterr().out
    assert "Changes of stack synced (UPDATE" in printed
    assert event_count(clients, "synced") > before
    assert answer(clients, "synced") == "hello v2 small!"


def test_sync_skips_a_function_whose_condition_is_false(
    server: Server, clients: Clients, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "conditional"
    template = make_project(root)
    text = template.read_text().replace(
        "Resources:\n",
        "Conditions:\n  IsProd: !Equals [!Ref Greeting, prod]\nResources:\n"
        "  ProdOnlyFn:\n    Type: AWS::Serverless::Function\n    Condition: IsProd\n"
        f"    Properties:\n      CodeUri: src\n      Handler: app.handler\n"
        f"      Runtime: {PYTHON_RUNTIME}\n",
        1,
    )
    template.write_text(text)
    assert altus(server, "deploy", str(template)) == 0
    capsys.readouterr()
    write_code(root, "v2")
    assert altus(server, "sync", str(template)) == 0
    printed = capsys.readouterr().out
    assert "· ProdOnlyFn is not in stack conditional: not sent" in printed
    assert "✓ HelloFunction code updated in" in printed
    assert answer(clients, "conditional") == "hello v2 tiny"


def test_sync_deploys_a_function_published_through_an_alias(
    server: Server, clients: Clients, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "aliased"
    template = make_project(root)
    set_template(root, alias="live")
    assert altus(server, "deploy", str(template)) == 0
    capsys.readouterr()
    assert answer(clients, "aliased") == "hello v1 tiny"
    before = event_count(clients, "aliased")
    # The API calls the alias, which a direct code update would not move: a deploy.
    write_code(root, "v2")
    assert altus(server, "sync", str(template)) == 0
    printed = capsys.readouterr().out
    assert "A function with AutoPublishAlias changed: deploying the stack" in printed
    assert event_count(clients, "aliased") > before
    assert answer(clients, "aliased") == "hello v2 tiny"


def _until(clients: Clients, name: str, wanted: str, patience: float = 120.0) -> float:
    """Poll the API until it answers ``wanted``: when it did (monotonic)."""
    deadline = time.monotonic() + patience
    last = ""
    while time.monotonic() < deadline:
        last = answer(clients, name)
        if last == wanted:
            return time.monotonic()
        time.sleep(0.02)
    raise AssertionError(f"the API still answers {last!r}, not {wanted!r}")


def test_watch_picks_up_saved_files(clients: Clients, tmp_path: Path) -> None:
    root = tmp_path / "watched"
    template = make_project(root)
    options = DeployOptions(template=template, stack_name="watched")
    printed: list[str] = []
    stop, watching = threading.Event(), threading.Event()
    failed: list[BaseException] = []

    def run() -> None:
        try:
            watch(options, clients, printed.append, stop=stop, watching=watching)
        except BaseException as error:  # reported below
            failed.append(error)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        assert watching.wait(180), printed  # deployed first (no stack yet), then watching
        assert "\nStack watched is CREATE_COMPLETE" in printed
        assert answer(clients, "watched") == "hello v1 tiny"
        before = event_count(clients, "watched")

        written = time.monotonic()
        write_code(root, "v2")
        delay = _until(clients, "watched", "hello v2 tiny") - written
        print(f"\nsync --watch: file written to new code answering: {delay:.3f} s")
        assert any(line.startswith("✓ HelloFunction code updated in ") for line in printed)
        assert event_count(clients, "watched") == before

        # A change of the template deploys.
        set_template(root, mark="!")
        _until(clients, "watched", "hello v2 tiny!")
        assert event_count(clients, "watched") > before
        assert any(line.startswith("Changed: template.yaml: deploying") for line in printed)

        # The build folder is not watched: a write there changes nothing.
        count = len(printed)
        (options.build_dir / "scratch.txt").write_text("x")
        write_code(root, "v3")
        _until(clients, "watched", "hello v3 tiny!")
        assert not any("scratch" in line for line in printed[count:])
    finally:
        stop.set()
        thread.join(60)
    assert not thread.is_alive()
    assert not failed


def test_watch_ends_after_max_batches(clients: Clients, tmp_path: Path) -> None:
    root = tmp_path / "bounded"
    template = make_project(root)
    options = DeployOptions(template=template, stack_name="bounded")
    watching = threading.Event()
    printed: list[str] = []
    thread = threading.Thread(
        target=watch,
        args=(options, clients, printed.append),
        kwargs={"watching": watching, "max_batches": 1},
        daemon=True,
    )
    thread.start()
    assert watching.wait(180), printed
    (root / "notes.txt").write_text("not code: nothing to do, but a batch all the same")
    thread.join(60)
    assert not thread.is_alive()
