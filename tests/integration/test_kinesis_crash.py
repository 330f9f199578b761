"""Kinesis records a real ``altus up`` acknowledged are there after it is killed
(SIGKILL: no shutdown of any kind), on each store, in the order they were put per shard
and per partition key."""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from tests.conftest import start_server

pytestmark = pytest.mark.integration

WRITERS = 4
PUTS = 40


def kinesis_client(url: str) -> Any:
    return boto3.client(
        "kinesis",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
        config=Config(retries={"total_max_attempts": 1}, read_timeout=60),
    )


def read_shard(kinesis: Any, shard: str) -> list[dict[str, Any]]:
    shard_iterator = kinesis.get_shard_iterator(
        StreamName="crash", ShardId=shard, ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    records: list[dict[str, Any]] = []
    for _ in range(100):  # bounded: a few hundred records, read 1000 at a time
        answer = kinesis.get_records(ShardIterator=shard_iterator, Limit=1000)
        records.extend(answer["Records"])
        if not answer["Records"]:
            break
        shard_iterator = answer["NextShardIterator"]
    return records


def test_acknowledged_records_survive_sigkill(tmp_path: Path, server_store: dict[str, str]) -> None:
    server = start_server(tmp_path / "data", extra_env=server_store)
    acknowledged: list[tuple[str, str, str, bytes]] = []
    lock = threading.Lock()
    try:
        kinesis = kinesis_client(server.url)
        kinesis.create_stream(StreamName="crash", ShardCount=3)

        def write(writer: int) -> None:
            client = kinesis_client(server.url)
            for n in range(PUTS):
                key, data = f"writer-{writer}", f"{writer}:{n}".encode()
                if n % 4 == 3:  # now and then a batch of its own
                    answer = client.put_records(
                        StreamName="crash",
                        Records=[{"PartitionKey": key, "Data": data}],
                    )
                    assert answer["FailedRecordCount"] == 0
                    put = answer["Records"][0]
                else:
                    put = client.put_record(StreamName="crash", PartitionKey=key, Data=data)
                with lock:
                    acknowledged.append((put["ShardId"], put["SequenceNumber"], key, data))

        threads = [threading.Thread(target=write, args=(i,)) for i in range(WRITERS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert len(acknowledged) == WRITERS * PUTS
    finally:
        server.stop(signal.SIGKILL)

    again = start_server(tmp_path / "data", extra_env=server_store)
    try:
        kinesis = kinesis_client(again.url)
        found: list[tuple[str, str, str, bytes]] = []
        for index in range(3):
            shard = f"shardId-00000000000{index}"
            records = read_shard(kinesis, shard)
            numbers = [int(r["SequenceNumber"]) for r in records]
            assert numbers == sorted(set(numbers)), f"{shard} out of order"
            found += [(shard, r["SequenceNumber"], r["PartitionKey"], r["Data"]) for r in records]
        assert sorted(found) == sorted(acknowledged)
        # Each writer's records, put one after another, read back in that order.
        for writer in range(WRITERS):
            key = f"writer-{writer}"
            mine = sorted((int(seq), data) for _, seq, k, data in found if k == key)
            assert [data for _, data in mine] == [f"{writer}:{n}".encode() for n in range(PUTS)]
        # New records number after the old ones.
        put = kinesis.put_record(StreamName="crash", PartitionKey="writer-0", Data=b"after")
        assert int(put["SequenceNumber"]) > max(int(seq) for _, seq, _, _ in acknowledged)
    finally:
        again.stop()
