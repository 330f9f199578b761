"""What authentication and authorisation cost the server: its CPU per request with
``--auth open`` next to ``--auth iam``, signed as the administrator (verified, never
evaluated) and as an IAM user whose policies allow the call (verified and evaluated:
an inline policy, a managed policy, a boundary, a queue policy), in the same run.

    .venv/bin/python bench/auth_cost.py [--requests 3000]

Each request is signed once by botocore and sent again and again on one keep-alive
connection (a signature holds for its five minutes), so the client costs the same in
every row. CPU is the server process's user and system time from ``/proc``, as in
``server_cpu.py``; a Lambda Invoke's environment is another process and is not counted.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import boto3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from common import Http, altus_process
from server_cpu import cpu_seconds

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
from altus.identity.keys import read_credentials
from altus.packaging import zip_files

HELLO = {"app.py": "def handler(event, context):\n    return {'hello': 'world'}\n"}
TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}


def _policy(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def signed(
    url: str, keys: tuple[str, str], service: str, path: str, target: str | None, body: bytes
) -> dict[str, str]:
    """The headers of one request botocore signed with ``keys``."""
    headers = {"Content-Type": "application/x-amz-json-1.0"} if target else {}
    if target:
        headers["X-Amz-Target"] = target
    request = AWSRequest("POST", f"{url}{path}", data=body, headers=headers)
    SigV4Auth(Credentials(*keys), service, "us-east-1").add_auth(request)
    return dict(request.headers.items())


def per_request(
    pid: int, client: Http, path: str, body: bytes, headers: dict[str, str], count: int
) -> dict[str, float]:
    for _ in range(200):  # the connection, the environment and the caches warm
        client.timed("POST", path, body, headers)
    user0, system0 = cpu_seconds(pid)
    started = time.perf_counter()
    for _ in range(count):
        client.timed("POST", path, body, headers)
    elapsed = time.perf_counter() - started
    user1, system1 = cpu_seconds(pid)
    return {"cpu": (user1 - user0 + system1 - system0) / count * 1e6, "rate": count / elapsed}


@contextlib.contextmanager
def server(auth: str) -> Iterator[tuple[str, int, Path]]:
    with tempfile.TemporaryDirectory(prefix="altus-bench-auth-") as data_dir:
        env = {"ALTUS_AUTH": auth, "ALTUS_SANDBOX": "process"}
        with altus_process(env, data_dir=data_dir) as (url, pid):
            yield url, pid, Path(data_dir)


def prepare(url: str, data_dir: Path) -> dict[str, tuple[str, str]]:
    """The queue, the function, and the user the third row signs as: what it may do is
    spread over the kinds of policy the authoriser weighs."""
    found = read_credentials(data_dir / "credentials")
    assert found is not None
    admin = (found[0], found[1])
    kw = {
        "endpoint_url": url,
        "region_name": "us-east-1",
        "aws_access_key_id": admin[0],
        "aws_secret_access_key": admin[1],
    }
    iam, sqs, lam = (
        boto3.client("iam", **kw),
        boto3.client("sqs", **kw),
        boto3.client("lambda", **kw),
    )
    role = iam.create_role(RoleName="bench", AssumeRolePolicyDocument=json.dumps(TRUST))
    lam.create_function(
        FunctionName="hello",
        Runtime=f"python{sys.version_info.major}.{sys.version_info.minor}",
        Handler="app.handler",
        Role=role["Role"]["Arn"],
        Code={"ZipFile": zip_files(HELLO)},
        MemorySize=1769,
    )
    lam.get_waiter("function_active_v2").wait(FunctionName="hello")
    queue = sqs.create_queue(QueueName="bench")["QueueUrl"]
    sqs.set_queue_attributes(
        QueueUrl=queue,
        Attributes={
            "Policy": _policy(
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": "arn:aws:iam::000000000000:user/caller"},
                    "Action": "sqs:SendMessage",
                    "Resource": "arn:aws:sqs:us-east-1:000000000000:bench",
                }
            )
        },
    )
    everything = iam.create_policy(
        PolicyName="boundary",
        PolicyDocument=_policy(
            {"Effect": "Allow", "Action": ["sqs:*", "lambda:*"], "Resource": "*"}
        ),
    )["Policy"]["Arn"]
    iam.create_user(UserName="caller", PermissionsBoundary=everything)
    iam.put_user_policy(
        UserName="caller",
        PolicyName="invoke",
        PolicyDocument=_policy(
            {
                "Effect": "Allow",
                "Action": "lambda:InvokeFunction",
                "Resource": "arn:aws:lambda:us-east-1:000000000000:function:hello",
                "Condition": {"IpAddress": {"aws:SourceIp": "127.0.0.0/8"}},
            }
        ),
    )
    iam.attach_user_policy(
        UserName="caller", PolicyArn="arn:aws:iam::aws:policy/AmazonSQSReadOnlyAccess"
    )
    key = iam.create_access_key(UserName="caller")["AccessKey"]
    return {"administrator": admin, "IAM user": (key["AccessKeyId"], key["SecretAccessKey"])}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=3000)
    args = parser.parse_args()
    send = json.dumps({"QueueUrl": "", "MessageBody": "m"})
    rows: list[tuple[str, dict[str, float]]] = []
    for auth in ("open", "iam"):
        with server(auth) as (url, pid, data_dir):
            signers = prepare(url, data_dir)
            body = send.replace('""', json.dumps(f"{url}/000000000000/bench")).encode()
            calls = [
                ("SendMessage", "sqs", "/", "AmazonSQS.SendMessage", body),
                ("Invoke", "lambda", "/2015-03-31/functions/hello/invocations", None, b"{}"),
            ]
            who = signers.items() if auth == "iam" else [("any key", signers["administrator"])]
            for name, keys in who:
                for what, service, path, target, payload in calls:
                    headers = signed(url, keys, service, path, target, payload)
                    client = Http(url)
                    rows.append(
                        (
                            f"{what}, {auth}, {name}",
                            per_request(pid, client, path, payload, headers, args.requests),
                        )
                    )
    print("| what | server CPU per request (µs) | requests/s |")
    print("|---|---:|---:|")
    for name, figures in rows:
        print(f"| {name} | {figures['cpu']:.0f} | {figures['rate']:.0f} |")


if __name__ == "__main__":
    main()
