"""The real SAM CLI against ``altus up``, pointed at it with ``AWS_ENDPOINT_URL`` (the SAM
CLI has no ``--endpoint-url``): ``sam build`` of the hello-world application ``sam init``
makes, ``sam deploy --resolve-s3`` (SAM's managed artifacts stack included), its API
answering, and ``sam delete``.

The SAM CLI is not one of Altus's dependencies (it pins its own boto3 and more): the test
runs where ``sam`` is on the PATH, or where ``ALTUS_TEST_SAM_CLI`` names it (e.g. a
virtualenv of its own: ``python3 -m venv /opt/sam && /opt/sam/bin/pip install
aws-sam-cli``), and is skipped, saying so, elsewhere."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import Server, start_server
from tests.integration.aws_cli import client

TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Description: sam-app
Globals:
  Function:
    Timeout: 3
Resources:
  HelloWorldFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: hello_world/
      Handler: app.lambda_handler
      Runtime: python3.11
      Architectures: [x86_64]
      Events:
        HelloWorld:
          Type: Api
          Properties:
            Path: /hello
            Method: get
Outputs:
  HelloWorldFunction:
    Value: !GetAtt HelloWorldFunction.Arn
"""

HANDLER = """\
import json


def lambda_handler(event, context):
    return {"statusCode": 200, "body": json.dumps({"message": "hello world"})}
"""


def sam_cli() -> str:
    found = os.environ.get("ALTUS_TEST_SAM_CLI") or shutil.which("sam")
    if not found:
        pytest.skip(
            "the SAM CLI is not installed (put `sam` on the PATH or name it in "
            "ALTUS_TEST_SAM_CLI: pip install aws-sam-cli in a virtualenv of its own)"
        )
    return found


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    made = start_server(tmp_path_factory.mktemp("sam"))
    yield made
    made.stop()


def test_sam_build_deploy_delete(server: Server, tmp_path: Path) -> None:
    sam = sam_cli()
    app = tmp_path / "sam-app"
    (app / "hello_world").mkdir(parents=True)
    (app / "template.yaml").write_text(TEMPLATE, encoding="utf-8")
    (app / "hello_world" / "app.py").write_text(HANDLER, encoding="utf-8")
    (app / "hello_world" / "requirements.txt").write_text("", encoding="utf-8")
    env = {
        **os.environ,
        "AWS_ENDPOINT_URL": server.url,
        "AWS_ACCESS_KEY_ID": "x",
        "AWS_SECRET_ACCESS_KEY": "x",
        "AWS_DEFAULT_REGION": "us-east-1",
        "SAM_CLI_TELEMETRY": "0",
    }

    def run(*args: str) -> str:
        done = subprocess.run(
            [sam, *args], cwd=app, env=env, capture_output=True, text=True, timeout=600
        )
        assert done.returncode == 0, f"sam {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
        return done.stdout + done.stderr

    run("build")
    deployed = run(
        "deploy",
        "--stack-name",
        "sam-app",
        "--resolve-s3",
        "--capabilities",
        "CAPABILITY_IAM",
        "--no-confirm-changeset",
        "--no-progressbar",
    )
    assert "Successfully created/updated stack - sam-app" in deployed
    cf = client(server.url, "cloudformation")
    api = cf.describe_stack_resource(StackName="sam-app", LogicalResourceId="ServerlessRestApi")
    api_id = api["StackResourceDetail"]["PhysicalResourceId"]
    url = f"{server.url}/_aws/execute-api/{api_id}/Prod/hello"
    with urllib.request.urlopen(url, timeout=30) as answer:
        assert json.loads(answer.read()) == {"message": "hello world"}
    managed = cf.describe_stacks(StackName="aws-sam-cli-managed-default")["Stacks"][0]
    assert managed["StackStatus"] == "CREATE_COMPLETE"
    run("delete", "--stack-name", "sam-app", "--no-prompts")
    names = [
        s["StackName"]
        for s in cf.list_stacks(StackStatusFilter=["CREATE_COMPLETE", "UPDATE_COMPLETE"])[
            "StackSummaries"
        ]
    ]
    assert "sam-app" not in names
