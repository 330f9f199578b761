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
    output = aws_text(url, *args)
    return json.loads(output) if output.strip() else None


def aws_text(url: str, *args: str) -> str:
    """``aws --endpoint-url <url> <args>``: what it printed (commands such as
    ``cloudformation deploy`` print text); a failure fails the test with its error."""
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
        # What commands that make clients of other services (``cloudformation package``
        # uploads with an S3 client of its own) are pointed with.
        "AWS_ENDPOINT_URL": url,
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
    return done.stdout
