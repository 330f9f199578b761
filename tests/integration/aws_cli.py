"""The AWS CLI and boto3 against a running ``altus up``, as the CLI tests use them."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from typing import Any

import boto3
from botocore.config import Config

from tests.conftest import unavailable

REGION = "us-east-1"


def client(url: str, service: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=url,
        region_name=REGION,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(retries={"total_max_attempts": 1}),
    )


def aws(url: str, *args: str) -> Any:
    """``aws --endpoint-url <url> <args>``: its JSON output (None for none); a failure
    fails the test with the CLI's error."""
    found = shutil.which("aws")
    if found is None:
        unavailable("the AWS CLI", "install awscli")
    assert found is not None
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_PAGER": "",
    }
    done = subprocess.run(
        [found, "--endpoint-url", url, "--output", "json", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, f"aws {' '.join(args)}: {done.stderr}"
    return json.loads(done.stdout) if done.stdout.strip() else None
