"""``altus up --auth iam``: every API request SigV4-signed by one of the server's keys,
checked once by the dispatcher and refused in each service's own words; the
administrator key written to ``<data dir>/credentials`` on first start; boto3, presigned
URLs and the CLI signing with it; what authorises itself (function URLs, health) left
alone."""

from __future__ import annotations

import datetime
import json
import os
import stat
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import boto3
import botocore.auth
import botocore.crt.auth
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from altus.packaging import zip_files
from tests.conftest import ROLE, Server, create_function, start_server

pytestmark = pytest.mark.integration

NO_RETRIES = Config(retries={"max_attempts": 0})


LAMBDA_TRUST = json.dumps(
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


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data_dir = tmp_path_factory.mktemp("auth")
    running = start_server(data_dir, {"ALTUS_AUTH": "iam", "ALTUS_SANDBOX": "process"})
    try:
        # The role the tests' functions run as: in iam mode it must exist, trusting Lambda.
        client(running, "iam").create_role(
            RoleName="test-role", AssumeRolePolicyDocument=LAMBDA_TRUST
        )
        yield running
    finally:
        running.stop()


def admin(server: Server) -> boto3.Session:
    return boto3.Session(
        botocore_session=_session(server.data_dir / "credentials"), profile_name="altus"
    )


def _session(credentials: Path) -> Any:
    import botocore.session

    session = botocore.session.Session()
    session.set_config_variable("credentials_file", str(credentials))
    return session


def client(server: Server, service: str, **keys: str) -> Any:
    if keys:
        return boto3.client(
            service, endpoint_url=server.url, region_name="us-east-1", config=NO_RETRIES, **keys
        )
    return admin(server).client(service, endpoint_url=server.url, config=NO_RETRIES)


def refusal(call: Any) -> tuple[int, dict[str, Any]]:
    with pytest.raises(ClientError) as raised:
        call()
    response = raised.value.response
    return response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]


def test_the_administrator_key_is_written_for_the_owner_only(server: Server) -> None:
    credentials = server.data_dir / "credentials"
    assert stat.S_IMODE(credentials.stat().st_mode) == 0o600
    text = credentials.read_text()
    assert text.startswith("[altus]\naws_access_key_id = AKIA")
    assert "region = us-east-1" in text
    assert any("auth: iam" in line for line in server.output)


def test_signed_calls_work_in_every_service(server: Server) -> None:
    lam = client(server, "lambda")
    create_function(lam, "signed", {"app.py": "def handler(e, c):\n    return e\n"})
    answer = lam.invoke(FunctionName="signed", Payload=json.dumps({"k": [1, 2]}).encode())
    assert json.loads(answer["Payload"].read()) == {"k": [1, 2]}
    queue = client(server, "sqs").create_queue(QueueName="signed")["QueueUrl"]
    client(server, "sqs").send_message(QueueUrl=queue, MessageBody="hi")
    assert "logGroups" in client(server, "logs").describe_log_groups()


def test_a_wrong_secret_an_unknown_key_and_another_region_are_refused(server: Server) -> None:
    key = admin(server).get_credentials().access_key
    status, error = refusal(
        client(
            server, "lambda", aws_access_key_id=key, aws_secret_access_key="wrong"
        ).list_functions
    )
    assert (status, error["Code"]) == (403, "InvalidSignatureException")
    assert error["Message"].startswith("The request signature we calculated does not match")
    unknown = {"aws_access_key_id": "AKIAAAAAAAAAAAAAAAAA", "aws_secret_access_key": "x"}
    status, error = refusal(client(server, "lambda", **unknown).list_functions)
    assert (status, error["Code"]) == (403, "UnrecognizedClientException")
    assert error["Message"] == "The security token included in the request is invalid."
    # SQS answers in its query-era codes, CloudWatch Logs with 400.
    status, error = refusal(client(server, "sqs", **unknown).list_queues)
    assert (status, error["Code"]) == (403, "InvalidClientTokenId")
    status, error = refusal(client(server, "logs", **unknown).describe_log_groups)
    assert (status, error["Code"]) == (400, "UnrecognizedClientException")
    elsewhere = admin(server).client(
        "lambda", endpoint_url=server.url, region_name="eu-west-1", config=NO_RETRIES
    )
    status, error = refusal(elsewhere.list_functions)
    assert error["Message"] == "Credential should be scoped to a valid region, not 'eu-west-1'. "


def test_a_request_signed_too_long_ago_is_refused(server: Server) -> None:
    then = datetime.datetime.now(datetime.UTC).replace(tzinfo=None) - datetime.timedelta(minutes=6)
    # botocore signs with awscrt's signer where awscrt is installed (Altus depends on it
    # for S3's checksums): that signer reads the time through its own module.
    with (
        mock.patch.object(botocore.auth, "get_current_datetime", return_value=then),
        mock.patch.object(
            botocore.crt.auth,
            "get_current_datetime",
            return_value=then.replace(tzinfo=datetime.UTC),
        ),
    ):
        status, error = refusal(client(server, "lambda").list_functions)
    assert (status, error["Code"]) == (403, "InvalidSignatureException")
    assert error["Message"].startswith(f"Signature expired: {then:%Y%m%dT%H%M%SZ} is now earlier")
    assert error["Message"].endswith(" - 5 min.)")


def test_unsigned_requests_are_refused_but_what_authorises_itself_is_not(server: Server) -> None:
    for path in ("/2015-03-31/functions/", "/_altus/async/stats"):
        with pytest.raises(urllib.error.HTTPError) as raised:
            urllib.request.urlopen(f"{server.url}{path}", timeout=10)
        assert raised.value.code == 403
        assert json.loads(raised.value.read())["message"] == "Missing Authentication Token"
    with urllib.request.urlopen(f"{server.url}/_altus/health", timeout=10) as answer:
        assert answer.status == 200
    lam = client(server, "lambda")
    create_function(lam, "public", {"app.py": "def handler(e, c):\n    return 'open'\n"})
    url = lam.create_function_url_config(FunctionName="public", AuthType="NONE")["FunctionUrl"]
    with urllib.request.urlopen(url, timeout=30) as answer:
        assert answer.read() == b'"open"'


def test_a_presigned_url_works(server: Server) -> None:
    lam = client(server, "lambda")
    create_function(lam, "presigned", {"app.py": "def handler(e, c):\n    return 1\n"})
    url = lam.generate_presigned_url(
        "get_function_configuration", Params={"FunctionName": "presigned"}, ExpiresIn=60
    )
    with urllib.request.urlopen(url, timeout=10) as answer:
        assert json.loads(answer.read())["FunctionName"] == "presigned"


def test_the_cli_signs_with_the_key_in_the_data_directory(server: Server) -> None:
    env = {**os.environ, "ALTUS_DATA_DIR": str(server.data_dir), "ALTUS_ENDPOINT": server.url}
    listed = subprocess.run(
        [sys.executable, "-m", "altus", "ls"], capture_output=True, text=True, env=env, timeout=60
    )
    assert listed.returncode == 0, listed.stderr
    elsewhere = {**env, "ALTUS_DATA_DIR": str(server.data_dir / "none")}
    refused = subprocess.run(
        [sys.executable, "-m", "altus", "ls"], capture_output=True, text=True, env=elsewhere
    )
    assert refused.returncode == 1 and "MissingAuthenticationToken" in refused.stderr


def test_a_restart_keeps_the_key_and_rewrites_a_lost_credentials_file(
    tmp_path: Path,
) -> None:
    first = start_server(tmp_path, {"ALTUS_AUTH": "iam", "ALTUS_SANDBOX": "process"})
    credentials = tmp_path / "credentials"
    try:
        written = credentials.read_text()
    finally:
        first.stop()
    credentials.unlink()
    second = start_server(tmp_path, {"ALTUS_AUTH": "iam", "ALTUS_SANDBOX": "process"})
    try:
        assert credentials.read_text() == written
        assert client(second, "lambda").list_functions()["Functions"] == []
    finally:
        second.stop()


def test_a_function_calls_services_as_its_role_and_its_policies_decide(
    server: Server,
) -> None:
    """Its environment's session credentials pass the signature check (boto3 inside the
    function needs no configuration), and its role's policies say what it may do."""
    sqs, iam = client(server, "sqs"), client(server, "iam")
    queue = sqs.create_queue(QueueName="role-calls")["QueueUrl"]
    queue_arn = "arn:aws:sqs:us-east-1:000000000000:role-calls"
    role = iam.create_role(RoleName="sender", AssumeRolePolicyDocument=LAMBDA_TRUST)["Role"]
    create_function(
        client(server, "lambda"),
        "role-caller",
        {
            "app.py": (
                "import boto3\n"
                "def handler(event, context):\n"
                "    boto3.client('sqs').send_message(QueueUrl=event['q'], MessageBody='as role')\n"
            )
        },
        role=role["Arn"],
    )

    def send() -> dict[str, Any]:
        answer = client(server, "lambda").invoke(
            FunctionName="role-caller", Payload=json.dumps({"q": queue}).encode()
        )
        body: dict[str, Any] = json.loads(answer["Payload"].read() or b"null") or {}
        return body

    refused = send()
    assert refused["errorType"] == "ClientError"
    assert (
        "User: arn:aws:sts::000000000000:assumed-role/sender/role-caller is not authorized to "
        f"perform: sqs:SendMessage on resource: {queue_arn} because no identity-based policy "
        "allows the sqs:SendMessage action"
    ) in refused["errorMessage"]
    allow_send = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": queue_arn}],
    }
    iam.put_role_policy(RoleName="sender", PolicyName="send", PolicyDocument=json.dumps(allow_send))
    assert send() == {}
    assert sqs.receive_message(QueueUrl=queue)["Messages"][0]["Body"] == "as role"
    assert iam.list_role_policies(RoleName="sender")["PolicyNames"] == ["send"]
    assert iam.get_role_policy(RoleName="sender", PolicyName="send")["PolicyDocument"] == (
        allow_send
    )
    # An explicit deny wins over any allow, a managed policy's included.
    iam.attach_role_policy(
        RoleName="sender", PolicyArn="arn:aws:iam::aws:policy/AmazonSQSFullAccess"
    )
    deny = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Deny", "Action": "sqs:Send*", "Resource": "*"}],
    }
    iam.put_role_policy(RoleName="sender", PolicyName="deny", PolicyDocument=json.dumps(deny))
    assert "with an explicit deny in an identity-based policy" in send()["errorMessage"]
    iam.delete_role_policy(RoleName="sender", PolicyName="deny")
    iam.delete_role_policy(RoleName="sender", PolicyName="send")
    assert send() == {}  # AmazonSQSFullAccess alone
    attached = iam.list_attached_role_policies(RoleName="sender")["AttachedPolicies"]
    assert attached == [
        {
            "PolicyName": "AmazonSQSFullAccess",
            "PolicyArn": "arn:aws:iam::aws:policy/AmazonSQSFullAccess",
        }
    ]
    status, error = refusal(lambda: iam.delete_role(RoleName="sender"))
    assert (status, error["Code"]) == (409, "DeleteConflict")
    status, error = refusal(
        lambda: iam.attach_role_policy(
            RoleName="sender", PolicyArn="arn:aws:iam::aws:policy/NoSuchPolicy"
        )
    )
    assert (status, error["Code"]) == (404, "NoSuchEntity")


def test_sts_names_the_caller_and_a_function_its_role_session(server: Server) -> None:
    caller = client(server, "sts").get_caller_identity()
    assert caller["Arn"] == "arn:aws:iam::000000000000:user/admin"
    unknown = {"aws_access_key_id": "AKIAAAAAAAAAAAAAAAAA", "aws_secret_access_key": "x"}
    status, error = refusal(client(server, "sts", **unknown).get_caller_identity)
    assert (status, error["Code"]) == (403, "InvalidClientTokenId")
    create_function(
        client(server, "lambda"),
        "who-am-i",
        {
            "app.py": (
                "import boto3\n"
                "def handler(event, context):\n"
                "    return boto3.client('sts').get_caller_identity()\n"
            )
        },
    )
    answer = client(server, "lambda").invoke(FunctionName="who-am-i")
    identity = json.loads(answer["Payload"].read())
    assert identity["Arn"] == "arn:aws:sts::000000000000:assumed-role/test-role/who-am-i"
    assert identity["UserId"].startswith("AROA") and identity["UserId"].endswith(":who-am-i")


def test_roles_are_kept_by_iam_and_a_function_needs_one_lambda_may_assume(
    server: Server,
) -> None:
    iam = client(server, "iam")
    made = iam.create_role(
        RoleName="Runner",
        Path="/service/",
        AssumeRolePolicyDocument=LAMBDA_TRUST,
        Description="runs things",
        Tags=[{"Key": "team", "Value": "a"}],
    )["Role"]
    assert made["Arn"] == "arn:aws:iam::000000000000:role/service/Runner"
    assert made["RoleId"].startswith("AROA")
    got = iam.get_role(RoleName="runner")["Role"]  # names are case-insensitive
    assert got["AssumeRolePolicyDocument"] == json.loads(LAMBDA_TRUST)
    assert got["Tags"] == [{"Key": "team", "Value": "a"}]
    names = [r["RoleName"] for r in iam.list_roles()["Roles"]]
    assert {"altus-function", "Runner", "test-role"} <= set(names)
    assert [r["RoleName"] for r in iam.list_roles(PathPrefix="/service/")["Roles"]] == ["Runner"]
    status, error = refusal(
        lambda: iam.create_role(RoleName="RUNNER", AssumeRolePolicyDocument=LAMBDA_TRUST)
    )
    assert (status, error["Code"]) == (409, "EntityAlreadyExists")
    assert error["Message"] == "Role with name RUNNER already exists."
    status, error = refusal(
        lambda: iam.create_role(RoleName="bad", AssumeRolePolicyDocument="{not json")
    )
    assert (status, error["Code"]) == (400, "MalformedPolicyDocument")
    # A function's role must exist, at its path, and trust Lambda.
    lam = client(server, "lambda")
    code = {"app.py": "def handler(e, c):\n    return 1\n"}
    lam.create_function(
        FunctionName="runs-as-runner",
        Runtime="python3.11",
        Handler="app.handler",
        Role=made["Arn"],
        Code={"ZipFile": _zip(code)},
    )
    for role in (
        "arn:aws:iam::000000000000:role/nobody",
        "arn:aws:iam::000000000000:role/Runner",  # not at its path
    ):
        status, error = refusal(
            lambda role=role: lam.create_function(
                FunctionName="no-role",
                Runtime="python3.11",
                Handler="app.handler",
                Role=role,
                Code={"ZipFile": _zip(code)},
            )
        )
        assert (status, error["Code"]) == (400, "InvalidParameterValueException")
        assert error["Message"] == "The role defined for the function cannot be assumed by Lambda."
    iam.update_assume_role_policy(
        RoleName="Runner",
        PolicyDocument=LAMBDA_TRUST.replace("lambda.amazonaws.com", "states.amazonaws.com"),
    )
    status, error = refusal(
        lambda: lam.update_function_configuration(FunctionName="runs-as-runner", Role=made["Arn"])
    )
    assert error["Code"] == "InvalidParameterValueException"
    iam.delete_role(RoleName="Runner")
    status, error = refusal(lambda: iam.get_role(RoleName="Runner"))
    assert (status, error["Code"]) == (404, "NoSuchEntity")
    assert error["Message"] == "The role with name Runner cannot be found."


def _zip(files: dict[str, str]) -> bytes:
    from altus.packaging import zip_files

    return zip_files(files)


def test_assume_role_gives_working_credentials_to_callers_the_role_trusts(
    server: Server,
) -> None:
    iam, sts = client(server, "iam"), client(server, "sts")
    trust_account = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": "arn:aws:iam::000000000000:root"},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
    )
    role = iam.create_role(
        RoleName="deployer", AssumeRolePolicyDocument=trust_account, MaxSessionDuration=7200
    )["Role"]
    answer = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="ci-run", DurationSeconds=7200)
    credentials = answer["Credentials"]
    assert credentials["AccessKeyId"].startswith("ASIA")
    lifetime = credentials["Expiration"] - datetime.datetime.now(datetime.UTC)
    assert datetime.timedelta(seconds=7100) < lifetime <= datetime.timedelta(seconds=7200)
    assumed = answer["AssumedRoleUser"]
    assert assumed["Arn"] == "arn:aws:sts::000000000000:assumed-role/deployer/ci-run"
    assert assumed["AssumedRoleId"] == f"{role['RoleId']}:ci-run"
    keys = {
        "aws_access_key_id": credentials["AccessKeyId"],
        "aws_secret_access_key": credentials["SecretAccessKey"],
        "aws_session_token": credentials["SessionToken"],
    }
    as_role = client(server, "sts", **keys)
    assert as_role.get_caller_identity()["Arn"] == assumed["Arn"]
    # Trusted through its account, a role's session needs sts:AssumeRole of its own.
    status, error = refusal(
        lambda: as_role.assume_role(RoleArn=role["Arn"], RoleSessionName="chained")
    )
    assert (status, error["Code"]) == (403, "AccessDenied")
    iam.put_role_policy(
        RoleName="deployer",
        PolicyName="chain",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}],
            }
        ),
    )
    # Chained: a role's session assuming a role gets at most an hour.
    status, error = refusal(
        lambda: as_role.assume_role(
            RoleArn=role["Arn"], RoleSessionName="chained", DurationSeconds=7200
        )
    )
    assert (status, error["Code"]) == (400, "ValidationError")
    assert "1 hour session limit for roles assumed by role chaining" in error["Message"]
    chained = as_role.assume_role(RoleArn=role["Arn"], RoleSessionName="chained")
    assert chained["AssumedRoleUser"]["Arn"].endswith("assumed-role/deployer/chained")
    # A role that trusts only Lambda cannot be assumed by a user, nor can one that is not.
    for arn in ("arn:aws:iam::000000000000:role/test-role", "arn:aws:iam::000000000000:role/none"):
        status, error = refusal(
            lambda arn=arn: sts.assume_role(RoleArn=arn, RoleSessionName="nope")
        )
        assert (status, error["Code"]) == (403, "AccessDenied")
        assert error["Message"] == (
            "User: arn:aws:iam::000000000000:user/admin is not authorized to perform: "
            f"sts:AssumeRole on resource: {arn}"
        )
    # A session policy is measured as AWS packs it.
    packed = sts.assume_role(
        RoleArn=role["Arn"],
        RoleSessionName="narrowed",
        Policy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "sqs:*", "Resource": "*"}],
            }
        ),
    )
    assert 1 <= packed["PackedPolicySize"] <= 100


def test_an_unsigned_query_form_is_refused_not_failed(server: Server) -> None:
    """A query-protocol form with no credentials is routed by its Version, then refused
    in that service's shape: its body, read for routing, is read again for the check."""
    form = b"Action=ListQueues&Version=2012-11-05"
    request = urllib.request.Request(
        server.url + "/",
        data=form,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(request, timeout=10)
    assert raised.value.code == 403
    assert b"<Code>MissingAuthenticationToken</Code>" in raised.value.read()


def _signed_get(url: str, key_id: str, secret: str, token: str | None = None) -> Any:
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    request = AWSRequest("GET", url)
    SigV4Auth(Credentials(key_id, secret, token), "lambda", "us-east-1").add_auth(request)
    opener = urllib.request.Request(url, headers=dict(request.headers.items()))
    return urllib.request.urlopen(opener, timeout=30)


def test_an_aws_iam_function_url_takes_signed_requests_and_tells_who(server: Server) -> None:
    lam = client(server, "lambda")
    create_function(
        lam,
        "iam-url",
        {"app.py": "def handler(e, c):\n    return e['requestContext']['authorizer']['iam']\n"},
    )
    url = lam.create_function_url_config(FunctionName="iam-url", AuthType="AWS_IAM")["FunctionUrl"]
    credentials = admin(server).get_credentials()
    with _signed_get(url + "a/path?x=1", credentials.access_key, credentials.secret_key) as answer:
        caller = json.loads(answer.read())
    assert caller["userArn"] == "arn:aws:iam::000000000000:user/admin"
    assert caller["accessKey"] == credentials.access_key and caller["accountId"] == "000000000000"
    assert caller["userId"].startswith("AIDA") and caller["callerId"] == caller["userId"]
    assert caller["cognitoIdentity"] is None and caller["principalOrgId"] is None
    for attempt in (
        lambda: urllib.request.urlopen(url, timeout=30),
        lambda: _signed_get(url, credentials.access_key, "wrong"),
    ):
        with pytest.raises(urllib.error.HTTPError) as raised:
            attempt()
        assert raised.value.code == 403
        assert json.loads(raised.value.read()) == {"Message": "Forbidden"}


def test_creating_a_function_needs_iam_pass_role_on_its_role(server: Server) -> None:
    iam, sts = client(server, "iam"), client(server, "sts")
    trust = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": "arn:aws:iam::000000000000:user/admin"},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
    )
    iam.create_role(RoleName="builder", AssumeRolePolicyDocument=trust)
    iam.put_role_policy(
        RoleName="builder",
        PolicyName="lambda",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Action": "lambda:CreateFunction", "Resource": "*"}
                ],
            }
        ),
    )
    granted = sts.assume_role(
        RoleArn="arn:aws:iam::000000000000:role/builder", RoleSessionName="build"
    )["Credentials"]
    builder = client(
        server,
        "lambda",
        aws_access_key_id=granted["AccessKeyId"],
        aws_secret_access_key=granted["SecretAccessKey"],
        aws_session_token=granted["SessionToken"],
    )
    role = "arn:aws:iam::000000000000:role/test-role"

    def create() -> Any:
        return builder.create_function(
            FunctionName="built",
            Runtime="python3.11",
            Handler="app.handler",
            Role=role,
            Code={"ZipFile": _zip({"app.py": "def handler(e, c):\n    return 1\n"})},
        )

    status, error = refusal(create)
    assert (status, error["Code"]) == (403, "AccessDeniedException")
    assert f"perform: iam:PassRole on resource: {role}" in error["Message"]
    iam.put_role_policy(
        RoleName="builder",
        PolicyName="pass",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "iam:PassRole", "Resource": role}],
            }
        ),
    )
    assert create()["Role"] == role
    # Its policies do not allow reading functions.
    status, error = refusal(lambda: builder.get_function(FunctionName="built"))
    assert (status, error["Code"]) == (403, "AccessDeniedException")
    assert (
        "perform: lambda:GetFunction on resource: "
        "arn:aws:lambda:us-east-1:000000000000:function:built " in error["Message"]
    )


def test_a_functions_own_policy_lets_another_principal_invoke_it(server: Server) -> None:
    """Within the account, the function's resource policy (AddPermission) allows as well
    as the caller's identity policies do; an explicit deny in either wins."""
    iam, sts, lam = client(server, "iam"), client(server, "sts"), client(server, "lambda")
    trust = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": "arn:aws:iam::000000000000:user/admin"},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
    )
    iam.create_role(RoleName="invoker", AssumeRolePolicyDocument=trust)
    create_function(lam, "guarded", {"app.py": "def handler(e, c):\n    return 'in'\n"})
    granted = sts.assume_role(
        RoleArn="arn:aws:iam::000000000000:role/invoker", RoleSessionName="call"
    )["Credentials"]
    invoker = client(
        server,
        "lambda",
        aws_access_key_id=granted["AccessKeyId"],
        aws_secret_access_key=granted["SecretAccessKey"],
        aws_session_token=granted["SessionToken"],
    )
    status, error = refusal(lambda: invoker.invoke(FunctionName="guarded"))
    assert (status, error["Code"]) == (403, "AccessDeniedException")
    assert "perform: lambda:InvokeFunction on resource: " in error["Message"]
    lam.add_permission(
        FunctionName="guarded",
        StatementId="let-invoker",
        Action="lambda:InvokeFunction",
        Principal="arn:aws:iam::000000000000:role/invoker",
    )
    assert json.loads(invoker.invoke(FunctionName="guarded")["Payload"].read()) == "in"
    # The policy allows invoking, not reading the function.
    assert refusal(lambda: invoker.get_function(FunctionName="guarded"))[0] == 403
    iam.put_role_policy(
        RoleName="invoker",
        PolicyName="no-invoking",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Deny", "Action": "lambda:Invoke*", "Resource": "*"}],
            }
        ),
    )
    status, error = refusal(lambda: invoker.invoke(FunctionName="guarded"))
    assert "with an explicit deny in an identity-based policy" in error["Message"]


def _role_session(server: Server, role: str, policy: dict[str, Any] | None) -> dict[str, str]:
    """Credentials of a fresh session of ``role`` (made, trusting the admin, with
    ``policy`` inline)."""
    iam = client(server, "iam")
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::000000000000:user/admin"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(trust))
    if policy is not None:
        iam.put_role_policy(RoleName=role, PolicyName="p", PolicyDocument=json.dumps(policy))
    granted = client(server, "sts").assume_role(
        RoleArn=f"arn:aws:iam::000000000000:role/{role}", RoleSessionName="review"
    )["Credentials"]
    return {
        "aws_access_key_id": granted["AccessKeyId"],
        "aws_secret_access_key": granted["SecretAccessKey"],
        "aws_session_token": granted["SessionToken"],
    }


def test_what_a_call_is_checked_against_is_what_it_acts_on(server: Server) -> None:
    """From review: a queue URL whose query or fragment ends in another queue's name, a
    function policy naming only the account, an AWS_IAM URL without the permission."""
    sqs = client(server, "sqs")
    allowed = sqs.create_queue(QueueName="allowed")["QueueUrl"]
    secret = sqs.create_queue(QueueName="secret")["QueueUrl"]
    keys = _role_session(
        server,
        "narrow",
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": "sqs:*", "Resource": "arn:aws:sqs:*:*:allowed"}
            ],
        },
    )
    narrow = client(server, "sqs", **keys)
    narrow.send_message(QueueUrl=allowed, MessageBody="ok")
    for url in (f"{secret}?x=/allowed", f"{secret}#/allowed"):
        status, error = refusal(lambda url=url: narrow.purge_queue(QueueUrl=url))
        assert (status, error["Code"]) == (403, "AccessDenied")
    # A function policy that names the account leaves it to each principal's policies.
    lam = client(server, "lambda")
    create_function(lam, "account-wide", {"app.py": "def handler(e, c):\n    return 1\n"})
    lam.add_permission(
        FunctionName="account-wide",
        StatementId="account",
        Action="lambda:InvokeFunction",
        Principal="000000000000",
    )
    nobody = _role_session(server, "nobody", None)
    status, _ = refusal(
        lambda: client(server, "lambda", **nobody).invoke(FunctionName="account-wide")
    )
    assert status == 403
    # An AWS_IAM URL needs lambda:InvokeFunctionUrl, not just a valid signature.
    url = lam.create_function_url_config(FunctionName="account-wide", AuthType="AWS_IAM")[
        "FunctionUrl"
    ]
    with pytest.raises(urllib.error.HTTPError) as raised:
        _signed_get(
            url,
            nobody["aws_access_key_id"],
            nobody["aws_secret_access_key"],
            nobody["aws_session_token"],
        )
    assert raised.value.code == 403
    lam.add_permission(
        FunctionName="account-wide",
        StatementId="url",
        Action="lambda:InvokeFunctionUrl",
        Principal="arn:aws:iam::000000000000:role/nobody",
        FunctionUrlAuthType="AWS_IAM",
    )
    with _signed_get(
        url,
        nobody["aws_access_key_id"],
        nobody["aws_secret_access_key"],
        nobody["aws_session_token"],
    ) as answer:
        assert answer.read() == b"1"


def _policy(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def _keys(credentials: dict[str, Any]) -> dict[str, str]:
    keys = {
        "aws_access_key_id": credentials["AccessKeyId"],
        "aws_secret_access_key": credentials["SecretAccessKey"],
    }
    if "SessionToken" in credentials:
        keys["aws_session_token"] = credentials["SessionToken"]
    return keys


def test_a_user_signs_with_its_own_keys_and_its_managed_policys_default_version_decides(
    server: Server,
) -> None:
    iam = client(server, "iam")
    user = iam.create_user(UserName="dev")["User"]
    key = iam.create_access_key(UserName="dev")["AccessKey"]
    as_dev = _keys(key)
    caller = client(server, "sts", **as_dev).get_caller_identity()
    assert (caller["Arn"], caller["UserId"]) == (user["Arn"], user["UserId"])
    sqs = client(server, "sqs", **as_dev)
    status, error = refusal(sqs.list_queues)
    assert (status, error["Code"]) == (403, "AccessDenied")
    assert error["Message"] == (
        "User: arn:aws:iam::000000000000:user/dev is not authorized to perform: "
        "sqs:ListQueues on resource: * because no identity-based policy allows the "
        "sqs:ListQueues action"
    )
    allow = _policy({"Effect": "Allow", "Action": "sqs:ListQueues", "Resource": "*"})
    deny = _policy({"Effect": "Deny", "Action": "sqs:*", "Resource": "*"})
    arn = iam.create_policy(PolicyName="dev-queues", PolicyDocument=allow)["Policy"]["Arn"]
    iam.attach_user_policy(UserName="dev", PolicyArn=arn)
    sqs.list_queues()
    # A new default version is what counts from then on; setting the old one back restores it.
    iam.create_policy_version(PolicyArn=arn, PolicyDocument=deny, SetAsDefault=True)
    status, error = refusal(sqs.list_queues)
    assert error["Message"].endswith("with an explicit deny in an identity-based policy")
    iam.set_default_policy_version(PolicyArn=arn, VersionId="v1")
    sqs.list_queues()
    # A user's name is a policy variable.
    own = _policy(
        {
            "Effect": "Allow",
            "Action": "sqs:CreateQueue",
            "Resource": "arn:aws:sqs:us-east-1:000000000000:${aws:username}-*",
        }
    )
    iam.put_user_policy(UserName="dev", PolicyName="own-queues", PolicyDocument=own)
    sqs.create_queue(QueueName="dev-scratch")
    assert refusal(lambda: sqs.create_queue(QueueName="ops-scratch"))[1]["Code"] == ("AccessDenied")
    # An inactive key signs nothing; active again, it does.
    iam.update_access_key(UserName="dev", AccessKeyId=key["AccessKeyId"], Status="Inactive")
    status, error = refusal(sqs.list_queues)
    assert (status, error["Code"]) == (403, "InvalidClientTokenId")
    iam.update_access_key(UserName="dev", AccessKeyId=key["AccessKeyId"], Status="Active")
    sqs.list_queues()
    # A user cannot manage IAM without a policy that lets it.
    as_dev_iam = client(server, "iam", **as_dev)
    assert refusal(lambda: as_dev_iam.create_user(UserName="mallory"))[1]["Code"] == (
        "AccessDenied"
    )
    iam.delete_access_key(UserName="dev", AccessKeyId=key["AccessKeyId"])
    assert refusal(sqs.list_queues)[1]["Code"] == "InvalidClientTokenId"


def test_a_permissions_boundary_caps_what_a_principals_policies_allow(server: Server) -> None:
    iam = client(server, "iam")
    only_sqs = _policy({"Effect": "Allow", "Action": "sqs:*", "Resource": "*"})
    boundary = iam.create_policy(PolicyName="only-sqs", PolicyDocument=only_sqs)["Policy"]["Arn"]
    iam.create_user(UserName="capped", PermissionsBoundary=boundary)
    iam.attach_user_policy(
        UserName="capped", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess"
    )
    keys = _keys(iam.create_access_key(UserName="capped")["AccessKey"])
    client(server, "sqs", **keys).list_queues()
    status, error = refusal(client(server, "lambda", **keys).list_functions)
    assert (status, error["Code"]) == (403, "AccessDeniedException")
    assert error["Message"].endswith(
        "because no permissions boundary allows the lambda:ListFunctions action"
    )
    # Without the boundary, AdministratorAccess is all there is.
    iam.delete_user_permissions_boundary(UserName="capped")
    client(server, "lambda", **keys).list_functions()


def test_session_policies_narrow_an_assumed_roles_session(server: Server) -> None:
    iam, sts = client(server, "iam"), client(server, "sts")
    trust = _policy(
        {
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::000000000000:user/admin"},
            "Action": "sts:AssumeRole",
        }
    )
    role = iam.create_role(RoleName="broad", AssumeRolePolicyDocument=trust)["Role"]
    iam.attach_role_policy(
        RoleName="broad", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess"
    )
    narrow = _policy({"Effect": "Allow", "Action": "sqs:ListQueues", "Resource": "*"})
    session = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="narrow", Policy=narrow)
    keys = _keys(session["Credentials"])
    client(server, "sqs", **keys).list_queues()
    status, error = refusal(client(server, "lambda", **keys).list_functions)
    assert (status, error["Code"]) == (403, "AccessDeniedException")
    assert error["Message"] == (
        "User: arn:aws:sts::000000000000:assumed-role/broad/narrow is not authorized to "
        "perform: lambda:ListFunctions on resource: * because no session policy allows the "
        "lambda:ListFunctions action"
    )
    # A managed policy named as a session policy narrows the same way.
    logs_only = "arn:aws:iam::aws:policy/CloudWatchLogsFullAccess"
    session = sts.assume_role(
        RoleArn=role["Arn"], RoleSessionName="logs", PolicyArns=[{"arn": logs_only}]
    )
    keys = _keys(session["Credentials"])
    client(server, "logs", **keys).describe_log_groups()
    assert refusal(client(server, "sqs", **keys).list_queues)[1]["Code"] == "AccessDenied"
    # Unnarrowed, the role's own policies are all there is.
    keys = _keys(sts.assume_role(RoleArn=role["Arn"], RoleSessionName="all")["Credentials"])
    client(server, "lambda", **keys).list_functions()


def test_get_session_token_acts_as_the_user_with_the_users_permissions(server: Server) -> None:
    iam = client(server, "iam")
    iam.create_user(UserName="temp")
    iam.put_user_policy(
        UserName="temp",
        PolicyName="queues",
        PolicyDocument=_policy({"Effect": "Allow", "Action": "sqs:ListQueues", "Resource": "*"}),
    )
    as_user = _keys(iam.create_access_key(UserName="temp")["AccessKey"])
    answer = client(server, "sts", **as_user).get_session_token(DurationSeconds=900)
    credentials = answer["Credentials"]
    assert credentials["AccessKeyId"].startswith("ASIA")
    lifetime = credentials["Expiration"] - datetime.datetime.now(datetime.UTC)
    assert datetime.timedelta(seconds=800) < lifetime <= datetime.timedelta(seconds=900)
    session = _keys(credentials)
    caller = client(server, "sts", **session).get_caller_identity()
    assert caller["Arn"] == "arn:aws:iam::000000000000:user/temp"
    client(server, "sqs", **session).list_queues()
    assert refusal(client(server, "lambda", **session).list_functions)[0] == 403
    # Session credentials get no further session credentials.
    status, error = refusal(client(server, "sts", **session).get_session_token)
    assert (status, error["Code"]) == (403, "AccessDenied")
    assert error["Message"] == "Cannot call GetSessionToken with session credentials"


def test_a_queues_own_policy_allows_and_denies_as_a_resource_policy(server: Server) -> None:
    iam, sqs = client(server, "iam"), client(server, "sqs")
    url = sqs.create_queue(QueueName="shared")["QueueUrl"]
    queue_arn = "arn:aws:sqs:us-east-1:000000000000:shared"
    iam.create_user(UserName="producer")
    producer = client(
        server, "sqs", **_keys(iam.create_access_key(UserName="producer")["AccessKey"])
    )
    status, error = refusal(lambda: producer.send_message(QueueUrl=url, MessageBody="m"))
    assert (status, error["Code"]) == (403, "AccessDenied")
    # Naming the account leaves the decision to the caller's own policies, as in IAM.
    account_only = _policy(
        {
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::000000000000:root"},
            "Action": "sqs:SendMessage",
            "Resource": queue_arn,
        }
    )
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": account_only})
    assert refusal(lambda: producer.send_message(QueueUrl=url, MessageBody="m"))[0] == 403
    # Naming the user grants it, to that queue only, for what it names only.
    to_producer = _policy(
        {
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::000000000000:user/producer"},
            "Action": "sqs:SendMessage",
            "Resource": queue_arn,
        }
    )
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": to_producer})
    producer.send_message(QueueUrl=url, MessageBody="m")
    producer.send_message_batch(QueueUrl=url, Entries=[{"Id": "1", "MessageBody": "b"}])
    assert refusal(lambda: producer.receive_message(QueueUrl=url))[0] == 403
    # An explicit deny in the queue's policy wins over the caller's own allow.
    iam.attach_user_policy(
        UserName="producer", PolicyArn="arn:aws:iam::aws:policy/AmazonSQSFullAccess"
    )
    producer.receive_message(QueueUrl=url)
    deny = _policy(
        {
            "Effect": "Deny",
            "Principal": "*",
            "Action": "sqs:ReceiveMessage",
            "Resource": queue_arn,
        }
    )
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": deny})
    status, error = refusal(lambda: producer.receive_message(QueueUrl=url))
    assert error["Message"].endswith("with an explicit deny in a resource-based policy")
    # The administrator is bound by it too, as an explicit deny binds AdministratorAccess.
    assert refusal(lambda: sqs.receive_message(QueueUrl=url))[0] == 403


def test_using_a_layer_needs_get_layer_version_which_its_own_policy_may_grant(
    server: Server,
) -> None:
    iam, lam = client(server, "iam"), client(server, "lambda")
    layer = lam.publish_layer_version(
        LayerName="shared-lib", Content={"ZipFile": zip_files({"python/lib.py": "X = 1\n"})}
    )
    iam.create_user(UserName="builder")
    iam.put_user_policy(
        UserName="builder",
        PolicyName="build",
        PolicyDocument=_policy(
            {
                "Effect": "Allow",
                "Action": ["lambda:CreateFunction", "lambda:GetFunction", "iam:PassRole"],
                "Resource": "*",
            }
        ),
    )
    builder = client(
        server, "lambda", **_keys(iam.create_access_key(UserName="builder")["AccessKey"])
    )

    def create() -> Any:
        return create_function(
            builder,
            "layered",
            {"app.py": "import lib\ndef handler(e, c):\n    return lib.X\n"},
            Layers=[layer["LayerVersionArn"]],
            role=ROLE,
        )

    status, error = refusal(create)
    assert (status, error["Code"]) == (403, "AccessDeniedException")
    assert f"lambda:GetLayerVersion on resource: {layer['LayerVersionArn']}" in error["Message"]
    # Granted to the account, the caller's own policies still decide, as in IAM.
    lam.add_layer_version_permission(
        LayerName="shared-lib",
        VersionNumber=layer["Version"],
        StatementId="account",
        Action="lambda:GetLayerVersion",
        Principal="000000000000",
    )
    assert refusal(create)[0] == 403
    lam.add_layer_version_permission(
        LayerName="shared-lib",
        VersionNumber=layer["Version"],
        StatementId="everyone",
        Action="lambda:GetLayerVersion",
        Principal="*",
    )
    create()
    got = builder.get_layer_version_by_arn(Arn=layer["LayerVersionArn"])
    assert got["Version"] == layer["Version"]
    assert refusal(lambda: builder.list_layers())[0] == 403


def test_a_groups_policies_grant_its_members_while_they_are_members(server: Server) -> None:
    iam = client(server, "iam")
    iam.create_user(UserName="member")
    keys = _keys(iam.create_access_key(UserName="member")["AccessKey"])
    sqs, logs = client(server, "sqs", **keys), client(server, "logs", **keys)
    assert refusal(sqs.list_queues)[1]["Code"] == "AccessDenied"
    iam.create_group(GroupName="queue-readers")
    iam.put_group_policy(
        GroupName="queue-readers",
        PolicyName="list",
        PolicyDocument=_policy({"Effect": "Allow", "Action": "sqs:ListQueues", "Resource": "*"}),
    )
    # The group's policy is nothing to a user outside it.
    assert refusal(sqs.list_queues)[1]["Code"] == "AccessDenied"
    iam.add_user_to_group(GroupName="queue-readers", UserName="member")
    sqs.list_queues()
    # Its managed policies count too, until they are detached.
    logs_read = "arn:aws:iam::aws:policy/CloudWatchLogsReadOnlyAccess"
    assert refusal(logs.describe_log_groups)[0] == 400
    iam.attach_group_policy(GroupName="queue-readers", PolicyArn=logs_read)
    logs.describe_log_groups()
    iam.detach_group_policy(GroupName="queue-readers", PolicyArn=logs_read)
    status, error = refusal(logs.describe_log_groups)
    assert (status, error["Code"]) == (400, "AccessDeniedException")
    # An explicit deny in a group's policy wins over the user's own allow.
    iam.put_user_policy(
        UserName="member",
        PolicyName="own",
        PolicyDocument=_policy({"Effect": "Allow", "Action": "sqs:*", "Resource": "*"}),
    )
    iam.put_group_policy(
        GroupName="queue-readers",
        PolicyName="no-create",
        PolicyDocument=_policy({"Effect": "Deny", "Action": "sqs:CreateQueue", "Resource": "*"}),
    )
    status, error = refusal(lambda: sqs.create_queue(QueueName="member-queue"))
    assert error["Message"].endswith("with an explicit deny in an identity-based policy")
    iam.delete_user_policy(UserName="member", PolicyName="own")
    # Out of the group, the group's policies grant it nothing more.
    iam.remove_user_from_group(GroupName="queue-readers", UserName="member")
    status, error = refusal(sqs.list_queues)
    assert (status, error["Code"]) == (403, "AccessDenied")
    assert error["Message"].endswith(
        "because no identity-based policy allows the sqs:ListQueues action"
    )


def test_a_renamed_users_key_signs_as_the_renamed_user(server: Server) -> None:
    iam = client(server, "iam")
    user = iam.create_user(UserName="before")["User"]
    keys = _keys(iam.create_access_key(UserName="before")["AccessKey"])
    own = _policy(
        {
            "Effect": "Allow",
            "Action": "sqs:CreateQueue",
            "Resource": "arn:aws:sqs:us-east-1:000000000000:${aws:username}-*",
        },
        {
            "Effect": "Allow",
            "Action": "sqs:ListQueues",
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:userid": user["UserId"]}},
        },
    )
    iam.put_user_policy(UserName="before", PolicyName="own", PolicyDocument=own)
    sqs, sts = client(server, "sqs", **keys), client(server, "sts", **keys)
    sqs.create_queue(QueueName="before-1")
    iam.update_user(UserName="before", NewUserName="after", NewPath="/renamed/")
    caller = sts.get_caller_identity()
    assert caller["Arn"] == "arn:aws:iam::000000000000:user/renamed/after"
    assert caller["UserId"] == user["UserId"]
    # Its policies came along; its name in them is the new one; its id is the same.
    sqs.create_queue(QueueName="after-1")
    status, error = refusal(lambda: sqs.create_queue(QueueName="before-2"))
    assert (status, error["Code"]) == (403, "AccessDenied")
    assert error["Message"].startswith(
        "User: arn:aws:iam::000000000000:user/renamed/after is not authorized"
    )
    sqs.list_queues()


def test_renaming_needs_update_user_on_the_new_name_too(server: Server) -> None:
    iam = client(server, "iam")
    iam.create_user(UserName="renamer")
    iam.put_user_policy(
        UserName="renamer",
        PolicyName="rename-team",
        PolicyDocument=_policy(
            {
                "Effect": "Allow",
                "Action": ["iam:UpdateUser", "iam:UpdateGroup"],
                "Resource": [
                    "arn:aws:iam::000000000000:user/team-*",
                    "arn:aws:iam::000000000000:group/team-*",
                ],
            }
        ),
    )
    renamer = client(server, "iam", **_keys(iam.create_access_key(UserName="renamer")["AccessKey"]))
    iam.create_user(UserName="team-a")
    renamer.update_user(UserName="team-a", NewUserName="team-b")
    status, error = refusal(lambda: renamer.update_user(UserName="team-b", NewUserName="other"))
    assert (status, error["Code"]) == (403, "AccessDenied")
    assert "iam:UpdateUser on resource: arn:aws:iam::000000000000:user/other" in error["Message"]
    assert iam.get_user(UserName="team-b")["User"]["UserName"] == "team-b"
    iam.create_group(GroupName="team-g")
    renamer.update_group(GroupName="team-g", NewGroupName="team-h")
    assert refusal(lambda: renamer.update_group(GroupName="team-h", NewGroupName="x"))[0] == 403


def test_get_access_key_info_needs_its_permission(server: Server) -> None:
    iam = client(server, "iam")
    iam.create_user(UserName="inspector")
    key = iam.create_access_key(UserName="inspector")["AccessKey"]
    sts = client(server, "sts", **_keys(key))
    status, error = refusal(lambda: sts.get_access_key_info(AccessKeyId=key["AccessKeyId"]))
    assert (status, error["Code"]) == (403, "AccessDenied")
    assert "sts:GetAccessKeyInfo on resource: *" in error["Message"]
    iam.put_user_policy(
        UserName="inspector",
        PolicyName="inspect",
        PolicyDocument=_policy(
            {"Effect": "Allow", "Action": "sts:GetAccessKeyInfo", "Resource": "*"}
        ),
    )
    answer = sts.get_access_key_info(AccessKeyId=key["AccessKeyId"])
    assert answer["Account"] == "000000000000"


def test_what_a_call_about_a_user_acts_on_is_that_users_own_arn(server: Server) -> None:
    """Checked on the user as IAM has it, whatever the case the call spells it in, and,
    for a call naming no user, on the user who signed it."""
    iam = client(server, "iam")
    iam.create_user(UserName="Alice")
    iam.create_user(UserName="self-served")
    iam.put_user_policy(
        UserName="self-served",
        PolicyName="own-credentials",
        PolicyDocument=_policy(
            {
                "Effect": "Allow",
                "Action": ["iam:GetUser", "iam:ListAccessKeys", "iam:CreateAccessKey"],
                "Resource": "arn:aws:iam::*:user/${aws:username}",
            },
            {"Effect": "Allow", "Action": "iam:*", "Resource": "*"},
            {"Effect": "Deny", "Action": "iam:*AccessKey*", "Resource": "*:user/Alice"},
        ),
    )
    keys = _keys(iam.create_access_key(UserName="self-served")["AccessKey"])
    as_self = client(server, "iam", **keys)
    assert as_self.get_user()["User"]["UserName"] == "self-served"
    assert len(as_self.list_access_keys()["AccessKeyMetadata"]) == 1
    for spelling in ("Alice", "alice", "ALICE"):
        status, error = refusal(lambda s=spelling: as_self.create_access_key(UserName=s))
        assert (status, error["Code"]) == (403, "AccessDenied"), spelling
        assert "on resource: arn:aws:iam::000000000000:user/Alice" in error["Message"]


def test_a_resource_policys_deny_naming_the_account_binds_everyone_in_it(server: Server) -> None:
    iam, sqs = client(server, "iam"), client(server, "sqs")
    url = sqs.create_queue(QueueName="kept")["QueueUrl"]
    iam.create_user(UserName="remover")
    iam.attach_user_policy(
        UserName="remover", PolicyArn="arn:aws:iam::aws:policy/AmazonSQSFullAccess"
    )
    remover = client(server, "sqs", **_keys(iam.create_access_key(UserName="remover")["AccessKey"]))
    keep = _policy(
        {
            "Effect": "Deny",
            "Principal": {"AWS": "000000000000"},
            "Action": "sqs:DeleteQueue",
            "Resource": "arn:aws:sqs:us-east-1:000000000000:kept",
        }
    )
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": keep})
    status, error = refusal(lambda: remover.delete_queue(QueueUrl=url))
    assert error["Message"].endswith("with an explicit deny in a resource-based policy")
    # Not even the administrator, as a Deny binds AdministratorAccess too.
    assert refusal(lambda: sqs.delete_queue(QueueUrl=url))[0] == 403
    # A policy the authoriser could misread is refused, as SQS refuses it.
    for broken in (
        _policy({"Effect": "Allow", "Principal": "*", "Actions": "sqs:*", "Resource": "*"}),
        _policy({"Effect": "deny", "Principal": "*", "Action": "sqs:*", "Resource": "*"}),
        _policy({"Effect": "Allow", "Action": "sqs:*", "Resource": "*"}),
    ):
        status, error = refusal(
            lambda b=broken: sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": b})
        )
        assert (status, error["Code"]) == (400, "InvalidAttributeValue")
    assert json.loads(
        sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"])["Attributes"]["Policy"]
    ) == json.loads(keep)


def test_a_role_sessions_principal_arn_is_its_roles_with_its_path(server: Server) -> None:
    iam, sts = client(server, "iam"), client(server, "sts")
    trust = _policy(
        {
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::000000000000:user/admin"},
            "Action": "sts:AssumeRole",
        }
    )
    role = iam.create_role(RoleName="pathed", Path="/restricted/", AssumeRolePolicyDocument=trust)
    iam.put_role_policy(
        RoleName="pathed",
        PolicyName="queues-but-not-here",
        PolicyDocument=_policy(
            {"Effect": "Allow", "Action": "sqs:*", "Resource": "*"},
            {
                "Effect": "Deny",
                "Action": "sqs:CreateQueue",
                "Resource": "*",
                "Condition": {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/restricted/*"}},
            },
        ),
    )
    assert role["Role"]["Arn"] == "arn:aws:iam::000000000000:role/restricted/pathed"
    keys = _keys(sts.assume_role(RoleArn=role["Role"]["Arn"], RoleSessionName="ss")["Credentials"])
    as_role = client(server, "sqs", **keys)
    as_role.list_queues()
    assert refusal(lambda: as_role.create_queue(QueueName="nope"))[0] == 403


def test_lambdas_full_access_policy_may_pass_a_role_to_lambda(server: Server) -> None:
    iam = client(server, "iam")
    iam.create_user(UserName="deployer-user")
    iam.attach_user_policy(
        UserName="deployer-user", PolicyArn="arn:aws:iam::aws:policy/AWSLambda_FullAccess"
    )
    lam = client(
        server, "lambda", **_keys(iam.create_access_key(UserName="deployer-user")["AccessKey"])
    )
    create_function(lam, "passed", {"app.py": "def handler(e, c):\n    return 1\n"}, role=ROLE)


def test_a_mapping_needs_its_functions_role_to_read_the_source(server: Server) -> None:
    """As on Lambda, CreateEventSourceMapping checks that the function's execution role
    may read the queue (by its own policies, or the queue's) and the stream, and may
    send to the OnFailure destination; then the mapping runs."""
    sqs, iam, lam = client(server, "sqs"), client(server, "iam"), client(server, "lambda")
    kinesis = client(server, "kinesis")
    queue_url = sqs.create_queue(QueueName="mapped-source")["QueueUrl"]
    queue_arn = "arn:aws:sqs:us-east-1:000000000000:mapped-source"
    role = iam.create_role(RoleName="poller", AssumeRolePolicyDocument=LAMBDA_TRUST)["Role"]
    create_function(
        lam,
        "mapped-fn",
        {"app.py": "def handler(event, context):\n    return None\n"},
        role=role["Arn"],
    )

    def create(**extra: Any) -> dict[str, Any]:
        created: dict[str, Any] = lam.create_event_source_mapping(FunctionName="mapped-fn", **extra)
        return created

    status, error = refusal(lambda: create(EventSourceArn=queue_arn))
    assert (status, error["Code"]) == (400, "InvalidParameterValueException")
    assert error["Message"] == (
        "The provided execution role does not have permissions to call ReceiveMessage on SQS"
    )
    iam.put_role_policy(
        RoleName="poller",
        PolicyName="read-queue",
        PolicyDocument=_policy(
            {
                "Effect": "Allow",
                "Action": ["sqs:ReceiveMessage", "sqs:GetQueueAttributes"],
                "Resource": queue_arn,
            }
        ),
    )
    status, error = refusal(lambda: create(EventSourceArn=queue_arn))
    assert error["Message"].endswith("to call DeleteMessage on SQS")
    # The queue's own policy may grant the rest.
    sqs.set_queue_attributes(
        QueueUrl=queue_url,
        Attributes={
            "Policy": _policy(
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": role["Arn"]},
                    "Action": "sqs:DeleteMessage",
                    "Resource": queue_arn,
                }
            )
        },
    )
    mapping = create(EventSourceArn=queue_arn)
    assert mapping["State"] == "Creating"

    kinesis.create_stream(StreamName="mapped-stream", ShardCount=1)
    stream_arn = "arn:aws:kinesis:us-east-1:000000000000:stream/mapped-stream"
    status, error = refusal(lambda: create(EventSourceArn=stream_arn, StartingPosition="LATEST"))
    assert error["Message"] == (
        "The provided execution role does not have permissions to call GetRecords on Kinesis"
    )
    iam.put_role_policy(
        RoleName="poller",
        PolicyName="read-stream",
        PolicyDocument=_policy({"Effect": "Allow", "Action": "kinesis:*", "Resource": stream_arn}),
    )
    failures = "arn:aws:sqs:us-east-1:000000000000:mapped-failures"
    status, error = refusal(
        lambda: create(
            EventSourceArn=stream_arn,
            StartingPosition="LATEST",
            DestinationConfig={"OnFailure": {"Destination": failures}},
        )
    )
    assert error["Message"] == (
        "The provided execution role does not have permissions to call SendMessage on SQS"
    )
    assert create(EventSourceArn=stream_arn, StartingPosition="LATEST")["State"] == "Creating"
    # Reading and changing mappings are lambda:* actions on the mapping's ARN.
    user = iam.create_user(UserName="mapping-reader")["User"]
    key = iam.create_access_key(UserName=user["UserName"])["AccessKey"]
    iam.put_user_policy(
        UserName="mapping-reader",
        PolicyName="get",
        PolicyDocument=_policy(
            {"Effect": "Allow", "Action": "lambda:GetEventSourceMapping", "Resource": "*"}
        ),
    )
    reader = client(server, "lambda", **_keys(key))
    assert reader.get_event_source_mapping(UUID=mapping["UUID"])["UUID"] == mapping["UUID"]
    status, error = refusal(lambda: reader.delete_event_source_mapping(UUID=mapping["UUID"]))
    assert status == 403 and error["Code"] == "AccessDeniedException"
    assert (
        f"lambda:DeleteEventSourceMapping on resource: arn:aws:lambda:us-east-1:000000000000:"
        f"event-source-mapping:{mapping['UUID']}"
    ) in error["Message"]
