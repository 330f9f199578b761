"""An in-process server with ``--auth iam`` for the tests of who may do what: its
administrator's keys, clients signed with them (or another user's), users made with
given permissions, and the platform's components."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from altus.identity.keys import read_credentials
from altus.packaging import zip_files
from altus.platform import Platform
from altus.testing import Harness

REGION = "us-east-1"


class Guarded:
    def __init__(self, harness: Harness, keys: dict[str, str]) -> None:
        self.harness = harness
        self.keys = keys

    def client(self, service: str, **keys: str) -> Any:
        """A client signed with ``keys``, else the administrator's."""
        return boto3.client(
            service,
            endpoint_url=self.harness.url,
            region_name=REGION,
            config=Config(retries={"total_max_attempts": 1}),
            **(keys or self.keys),
        )

    def user(self, name: str, statements: list[dict[str, Any]]) -> dict[str, str]:
        """Keys of a new user allowed ``statements``."""
        iam = self.client("iam")
        iam.create_user(UserName=name)
        iam.put_user_policy(
            UserName=name,
            PolicyName="p",
            PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": statements}),
        )
        key = iam.create_access_key(UserName=name)["AccessKey"]
        return {
            "aws_access_key_id": key["AccessKeyId"],
            "aws_secret_access_key": key["SecretAccessKey"],
        }

    def function(self, name: str, result: Any) -> None:
        """A function ``name`` (made by the administrator, with a role it may assume)
        whose handler returns ``result``, once it is Active."""
        trust = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "lambda.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
        role = self.client("iam").create_role(
            RoleName=f"{name}-runner", AssumeRolePolicyDocument=json.dumps(trust)
        )["Role"]["Arn"]
        assert self.harness.backend is not None
        self.harness.backend.handlers[name] = lambda event, context: result
        lam = self.client("lambda")
        lam.create_function(
            FunctionName=name,
            Runtime="python3.12",
            Handler="handler.handler",
            Role=role,
            Code={"ZipFile": zip_files({"handler.py": "def handler(e, c):\n    return 1\n"})},
        )
        lam.get_waiter("function_active_v2").wait(
            FunctionName=name, WaiterConfig={"Delay": 0.05, "MaxAttempts": 600}
        )

    def admin_who_may_not_invoke(self) -> dict[str, str]:
        """Keys of a user allowed Altus's own routes (``altus:Admin``) and denied
        ``lambda:InvokeFunction``."""
        return self.user(
            "admin-no-invoke",
            [
                {"Effect": "Allow", "Action": "altus:Admin", "Resource": "*"},
                {"Effect": "Deny", "Action": "lambda:InvokeFunction", "Resource": "*"},
            ],
        )

    def component(self, service: str) -> Any:
        async def found(platform: Platform) -> Any:
            return platform.component(service)

        return self.harness.call(found)


@contextmanager
def guarded(data: Path) -> Iterator[Guarded]:
    """A server with ``--auth iam`` on the wall clock (signed requests carry the real
    time), its state in ``data``."""
    with Harness(clock=None, data_dir=data, auth="iam") as harness:
        found = read_credentials(data / "credentials")
        assert found is not None
        key, secret = found[:2]
        yield Guarded(harness, {"aws_access_key_id": key, "aws_secret_access_key": secret})
