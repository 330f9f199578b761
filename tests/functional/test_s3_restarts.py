"""S3 across restarts of a server on one data directory: the start-up sweep removes only
files of its own store (never an object's bytes because the server came up on another
store: ``memory:``, a mistyped database URL), and sequence numbers (the sequencers of
notifications) never go back, even when the newest versions are gone."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from altus.platform import Platform
from altus.testing import Harness


def client(harness: Harness) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=harness.url,
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
        config=Config(retries={"total_max_attempts": 1}),
    )


def data_files(data: Path) -> set[str]:
    root = data / "s3" / "data"
    return {entry.name for folder in root.iterdir() for entry in folder.iterdir()}


def last_seq(harness: Harness) -> int:
    async def found(platform: Platform) -> int:
        return int(platform.component("s3")._seq)

    return harness.call(found)


def test_another_store_leaves_the_files_alone(tmp_path: Path) -> None:
    store = f"sqlite:{tmp_path / 'altus.db'}"
    with Harness(clock=None, data_dir=tmp_path, store=store) as first:
        s3 = client(first)
        s3.create_bucket(Bucket="kept")
        s3.put_object(Bucket="kept", Key="k", Body=b"precious")
    kept = data_files(tmp_path)
    assert len(kept) == 1
    # A stray file of this store's (a crash between a rename and its commit).
    stray = tmp_path / "s3" / "data" / "ab" / ("ab" + "0" * 30)
    stray.parent.mkdir(exist_ok=True)
    stray.write_bytes(b"left over")

    for other in ("memory:", f"sqlite:{tmp_path / 'mistyped.db'}"):
        with Harness(clock=None, data_dir=tmp_path, store=other) as elsewhere:
            s3 = client(elsewhere)
            s3.create_bucket(Bucket="other")
            s3.put_object(Bucket="other", Key="k", Body=b"other")
        assert kept <= data_files(tmp_path) and stray.exists()

    with Harness(clock=None, data_dir=tmp_path, store=store) as again:
        assert client(again).get_object(Bucket="kept", Key="k")["Body"].read() == b"precious"
    # Its own store's sweep removes what no row of it names (the stray, the others').
    assert data_files(tmp_path) == kept


def test_sequence_numbers_never_go_back(tmp_path: Path) -> None:
    store = f"sqlite:{tmp_path / 'altus.db'}"
    with Harness(clock=None, data_dir=tmp_path, store=store) as first:
        s3 = client(first)
        s3.create_bucket(Bucket="seqs")
        for _ in range(5):
            s3.put_object(Bucket="seqs", Key="k", Body=b"x")
        s3.delete_object(Bucket="seqs", Key="k")
        used = last_seq(first)
    with Harness(clock=None, data_dir=tmp_path, store=store) as again:
        assert last_seq(again) >= used
