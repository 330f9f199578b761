"""The Parameters and Secrets extension's interface inside functions, on ``altus up --auth
iam``: a function reads a secret or a parameter with a GET to
``localhost:$PARAMETERS_SECRETS_EXTENSION_HTTP_PORT``, carrying its session token, and its
role's policies decide, as they would for the SDK call."""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from altus.packaging import zip_files
from tests.conftest import Server, create_function, start_server

pytestmark = pytest.mark.integration

ACCOUNT = "000000000000"
NO_RETRIES = Config(retries={"max_attempts": 0})
TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
)
# What a function does to reach the extension, as AWS's own examples do it.
READER = """
import json, os, urllib.error, urllib.request

def handler(event, context):
    port = os.environ["PARAMETERS_SECRETS_EXTENSION_HTTP_PORT"]
    headers = {}
    if event.get("token", "mine") == "mine":
        headers["X-Aws-Parameters-Secrets-Token"] = os.environ["AWS_SESSION_TOKEN"]
    elif event["token"]:
        headers["X-Aws-Parameters-Secrets-Token"] = event["token"]
    request = urllib.request.Request(
        f"http://localhost:{port}{event['path']}", headers=headers
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return {"status": answer.status, "body": answer.read().decode()}
    except urllib.error.HTTPError as error:
        return {"status": error.code, "body": error.read().decode()}
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = start_server(
        tmp_path_factory.mktemp("extension"), {"ALTUS_AUTH": "iam", "ALTUS_SANDBOX": "process"}
    )
    try:
        yield running
    finally:
        running.stop()


def client(server: Server, service: str) -> Any:
    import botocore.session

    session = botocore.session.Session()
    session.set_config_variable("credentials_file", str(Path(server.data_dir) / "credentials"))
    return boto3.Session(botocore_session=session, profile_name="altus").client(
        service, endpoint_url=server.url, config=NO_RETRIES
    )


@pytest.fixture(scope="module")
def reader(server: Server) -> Any:
    """A function whose role may read the ``app/`` secrets and parameters only."""
    iam = client(server, "iam")
    iam.create_role(RoleName="reader", AssumeRolePolicyDocument=TRUST)
    iam.put_role_policy(
        RoleName="reader",
        PolicyName="read",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": "secretsmanager:GetSecretValue",
                        "Resource": f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:app/*",
                    },
                    {
                        "Effect": "Allow",
                        "Action": "ssm:GetParameter",
                        "Resource": f"arn:aws:ssm:us-east-1:{ACCOUNT}:parameter/app/*",
                    },
                ],
            }
        ),
    )
    lam = client(server, "lambda")
    create_function(lam, "reader", {"app.py": READER}, role=f"arn:aws:iam::{ACCOUNT}:role/reader")
    return lam


def read(lam: Any, path: str, token: str | None = "mine") -> tuple[int, str]:
    answer = lam.invoke(FunctionName="reader", Payload=json.dumps({"path": path, "token": token}))
    result = json.loads(answer["Payload"].read())
    assert "FunctionError" not in answer, result
    return result["status"], result["body"]


def test_a_function_reads_a_secret_its_role_may_read(server: Server, reader: Any) -> None:
    secrets = client(server, "secretsmanager")
    made = secrets.create_secret(Name="app/db", SecretString='{"password": "one"}')
    secrets.put_secret_value(SecretId="app/db", SecretString='{"password": "two"}')
    status, body = read(reader, "/secretsmanager/get?secretId=app%2Fdb")
    assert status == 200, body
    answer = json.loads(body)
    assert (answer["ARN"], answer["Name"]) == (made["ARN"], "app/db")
    assert answer["SecretString"] == '{"password": "two"}'
    assert answer["SecretBinary"] is None and answer["VersionStages"] == ["AWSCURRENT"]
    assert answer["ResultMetadata"] == {}
    # Dates as the extension writes them: ISO 8601, milliseconds, UTC.
    created = datetime.datetime.strptime(answer["CreatedDate"], "%Y-%m-%dT%H:%M:%S.%fZ")
    now = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
    assert abs(created - now) < datetime.timedelta(minutes=5)
    status, body = read(reader, "/secretsmanager/get?secretId=app/db&versionStage=AWSPREVIOUS")
    assert (status, json.loads(body)["SecretString"]) == (200, '{"password": "one"}')
    status, body = read(
        reader, f"/secretsmanager/get?secretId={made['ARN']}&versionId={made['VersionId']}"
    )
    assert json.loads(body)["VersionId"] == made["VersionId"]


def test_a_function_reads_a_parameter_decrypted_by_version_or_label(
    server: Server, reader: Any
) -> None:
    ssm = client(server, "ssm")
    ssm.put_parameter(Name="/app/key", Value="first", Type="SecureString")
    ssm.put_parameter(Name="/app/key", Value="second", Type="SecureString", Overwrite=True)
    ssm.label_parameter_version(Name="/app/key", ParameterVersion=1, Labels=["old"])
    status, body = read(
        reader, "/systemsmanager/parameters/get?name=%2Fapp%2Fkey&withDecryption=true"
    )
    assert status == 200, body
    parameter = json.loads(body)["Parameter"]
    assert (parameter["Value"], parameter["Version"], parameter["Type"]) == (
        "second",
        2,
        "SecureString",
    )
    assert parameter["ARN"] == f"arn:aws:ssm:us-east-1:{ACCOUNT}:parameter/app/key"
    assert parameter["LastModifiedDate"].endswith("Z")
    by_label = json.loads(
        read(reader, "/systemsmanager/parameters/get?name=/app/key&label=old&withDecryption=true")[
            1
        ]
    )
    assert (by_label["Parameter"]["Value"], by_label["Parameter"]["Selector"]) == ("first", ":old")
    by_version = json.loads(
        read(reader, "/systemsmanager/parameters/get/?name=/app/key&version=1")[1]
    )
    # Without withDecryption a SecureString stays sealed, as GetParameter leaves it.
    assert by_version["Parameter"]["Version"] == 1
    assert by_version["Parameter"]["Value"] != "first"


def test_what_the_role_may_not_read_and_what_lacks_a_token_are_refused(
    server: Server, reader: Any
) -> None:
    client(server, "secretsmanager").create_secret(Name="ops/root", SecretString="nope")
    assert read(reader, "/secretsmanager/get?secretId=ops/root") == (
        400,
        "an unexpected error occurred while executing request",
    )
    assert read(reader, "/secretsmanager/get?secretId=app/none")[0] == 400
    assert read(reader, "/secretsmanager/get")[0] == 400
    for token in (None, "not-a-session-token"):
        assert read(reader, "/secretsmanager/get?secretId=app/db", token) == (
            401,
            "Bad session token or header key",
        )


def test_the_extensions_layer_arn_is_taken(
    server: Server,
) -> None:
    lam = client(server, "lambda")
    layer = (
        "arn:aws:lambda:eu-west-1:015030872274:layer:AWS-Parameters-and-Secrets-Lambda-Extension:12"
    )
    create_function(
        lam,
        "with-layer",
        {"app.py": "def handler(e, c):\n    return 'ran'\n"},
        role=f"arn:aws:iam::{ACCOUNT}:role/reader",
        Layers=[layer],
    )
    assert lam.get_function(FunctionName="with-layer")["Configuration"]["Layers"][0]["Arn"] == layer
    answer = lam.invoke(FunctionName="with-layer")
    assert json.loads(answer["Payload"].read()) == "ran"
    # Another account's layer of that name is no layer AWS publishes.
    forged = layer.replace("015030872274", "123456789012")
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as raised:
        lam.create_function(
            FunctionName="forged",
            Runtime="python3.11",
            Handler="app.handler",
            Role=f"arn:aws:iam::{ACCOUNT}:role/reader",
            Code={"ZipFile": zip_files({"app.py": "def handler(e, c):\n    return 1\n"})},
            Layers=[forged],
        )
    assert "does not exist" in str(raised.value)


def test_only_an_environments_own_token_opens_the_extension(server: Server, reader: Any) -> None:
    """A session STS made (not an environment's) is refused, as is no token at all."""
    iam, sts = client(server, "iam"), client(server, "sts")
    trust = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:user/admin"},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
    )
    iam.update_assume_role_policy(RoleName="reader", PolicyDocument=trust)
    try:
        token = sts.assume_role(
            RoleArn=f"arn:aws:iam::{ACCOUNT}:role/reader", RoleSessionName="outside"
        )["Credentials"]["SessionToken"]
        assert read(reader, "/secretsmanager/get?secretId=app/db", token) == (
            401,
            "Bad session token or header key",
        )
    finally:
        iam.update_assume_role_policy(RoleName="reader", PolicyDocument=TRUST)
