"""S3 on a real ``altus up``, on each store: the AWS CLI copies a 20 MB file up and down
(a multipart upload of 8 MiB parts, and ranged downloads) and it comes back whole; and
objects acknowledged before a SIGKILL are all there after a restart, whole, while no
torn object and no stray file is left from the writes the kill cut short."""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from tests.conftest import Server, start_server

pytestmark = pytest.mark.integration

MIB = 1024 * 1024


def client(url: str) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
        config=Config(retries={"total_max_attempts": 1}, read_timeout=60),
    )


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, module_store: dict[str, str]
) -> Iterator[Server]:
    made = start_server(tmp_path_factory.mktemp("s3"), extra_env=module_store)
    yield made
    made.stop()


def aws(url: str, *args: str) -> str:
    command = shutil.which("aws")
    if command is None:
        pytest.skip("the AWS CLI is not installed")
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "x",
        "AWS_SECRET_ACCESS_KEY": "x",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    done = subprocess.run(
        [command, "--endpoint-url", url, *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_cli_copies_a_large_file_up_and_down(server: Server, tmp_path: Path) -> None:
    source = tmp_path / "big.bin"
    data = os.urandom(20 * MIB + 5)
    source.write_bytes(data)
    aws(server.url, "s3", "mb", "s3://cli-bucket")
    aws(server.url, "s3", "cp", str(source), "s3://cli-bucket/dir/big.bin")
    head = client(server.url).head_object(Bucket="cli-bucket", Key="dir/big.bin")
    assert head["ContentLength"] == len(data)
    assert head["ETag"].endswith('-3"')  # 8 MiB parts: a multipart upload
    back = tmp_path / "back.bin"
    aws(server.url, "s3", "cp", "s3://cli-bucket/dir/big.bin", str(back))
    assert hashlib.sha256(back.read_bytes()).digest() == hashlib.sha256(data).digest()
    listed = aws(server.url, "s3", "ls", "s3://cli-bucket/dir/")
    assert "big.bin" in listed and str(len(data)) in listed
    aws(server.url, "s3", "rm", "s3://cli-bucket/dir/big.bin")
    aws(server.url, "s3", "rb", "s3://cli-bucket")


WRITERS = 4


def test_acknowledged_puts_survive_sigkill(tmp_path: Path, server_store: dict[str, str]) -> None:
    data_dir = tmp_path / "data"
    first = start_server(data_dir, extra_env=server_store)
    acknowledged: dict[str, str] = {}
    lock = threading.Lock()
    stop = threading.Event()
    try:
        client(first.url).create_bucket(Bucket="crash")

        def write(writer: int) -> None:
            mine = client(first.url)
            for n in range(200):  # bounded; the kill ends it sooner
                if stop.is_set():
                    return
                body = os.urandom(256 * 1024 + writer * 1000 + n)
                key = f"w{writer}/{n}"
                try:
                    mine.put_object(Bucket="crash", Key=key, Body=body)
                except Exception:
                    return  # the server is gone
                with lock:
                    acknowledged[key] = hashlib.md5(body).hexdigest()

        threads = [threading.Thread(target=write, args=(i,)) for i in range(WRITERS)]
        for thread in threads:
            thread.start()
        for _ in range(3000):  # until some are in, while more are on their way
            with lock:
                if len(acknowledged) >= 40:
                    break
            stop.wait(0.01)
    finally:
        first.stop(signal.SIGKILL)
        stop.set()
    for thread in threads:
        thread.join(timeout=60)
    assert len(acknowledged) >= 40

    again = start_server(data_dir, extra_env=server_store)
    try:
        s3 = client(again.url)
        listed: dict[str, str] = {}
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket="crash"):
            for item in page.get("Contents", []):
                listed[item["Key"]] = item["ETag"].strip('"')
        # Every acknowledged object is there, whole.
        for key, digest in acknowledged.items():
            assert listed.get(key) == digest, key
        # Whatever is listed reads back as its ETag says (nothing torn).
        for key, digest in listed.items():
            body = s3.get_object(Bucket="crash", Key=key)["Body"].read()
            assert hashlib.md5(body).hexdigest() == digest, key
        # No file of a cut-short write is left behind.
        assert list((data_dir / "s3" / "tmp").iterdir()) == []
        files = [p for p in (data_dir / "s3" / "data").rglob("*") if p.is_file()]
        assert len(files) == len(listed)
    finally:
        again.stop()
