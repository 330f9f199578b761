"""Concurrency, throttling, keep-alive and the warm pool, against real servers."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import Server, create_function, invoke, log_tail, start_server

pytestmark = pytest.mark.integration

SLOW = {"app.py": (
    "import os, time\n"
    "def handler(e, c):\n"
    "    time.sleep(e.get('sleep', 0))\n"
    "    return {'pid': os.getpid(), 'stream': c.log_stream_name}\n")}


def test_parallel_invokes_get_their_own_environments(client: Any) -> None:
    create_function(client, "parallel", SLOW)
    with ThreadPoolExecutor(6) as pool:
        results = list(pool.map(lambda _: invoke(client, "parallel", {"sleep": 1.0})[1],
                                range(6)))
    assert len({r["pid"] for r in results}) == 6
    assert len({r["stream"] for r in results}) == 6
    # Afterwards the six are warm: sequential invokes reuse them, no new process appears.
    pids = {invoke(client, "parallel", {})[1]["pid"] for _ in range(6)}
    assert pids <= {r["pid"] for r in results}


@pytest.fixture(scope="module")
def limited_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = start_server(tmp_path_factory.mktemp("limited"), {
        "ALTUS_CONCURRENCY_LIMIT": "2",
        "ALTUS_KEEP_ALIVE_SECONDS": "1",
    })
    yield server
    server.stop()


def test_account_concurrency_limit_throttles_with_429(limited_server: Server) -> None:
    client = limited_server.client()
    create_function(client, "limited", SLOW)

    def call(_: int) -> str:
        try:
            invoke(client, "limited", {"sleep": 1.5})
            return "ok"
        except ClientError as error:
            response = error.response
            assert response["ResponseMetadata"]["HTTPStatusCode"] == 429
            assert response["Error"]["Code"] == "TooManyRequestsException"
            assert response["Reason"] == "ConcurrentInvocationLimitExceeded"
            assert response["ResponseMetadata"]["HTTPHeaders"]["retry-after"]
            return "throttled"

    with ThreadPoolExecutor(4) as pool:
        outcomes = sorted(pool.map(call, range(4)))
    assert outcomes.count("ok") == 2
    assert outcomes.count("throttled") == 2
    assert invoke(client, "limited", {})[0]["StatusCode"] == 200


def test_idle_environments_are_retired_after_keep_alive(limited_server: Server) -> None:
    client = limited_server.client()
    create_function(client, "keepalive", SLOW)
    first = invoke(client, "keepalive", LogType="Tail")
    assert "Init Duration" in log_tail(first[0])
    warm = invoke(client, "keepalive", LogType="Tail")
    assert "Init Duration" not in log_tail(warm[0])
    assert warm[1]["pid"] == first[1]["pid"]
    time.sleep(2.5)
    cold = invoke(client, "keepalive", LogType="Tail")
    assert "Init Duration" in log_tail(cold[0])
    assert cold[1]["pid"] != first[1]["pid"]


def test_health_reports_the_pool(altus_server: Server) -> None:
    import urllib.request

    with urllib.request.urlopen(f"{altus_server.url}/_altus/health") as response:
        health = json.loads(response.read())
    assert health["status"] == "ok" and health["sandbox"] == "process"


def test_a_crashed_idle_environment_is_replaced(client: Any) -> None:
    create_function(client, "suicidal", {"app.py": (
        "import os, signal, threading\n"
        "def handler(e, c):\n"
        "    if e.get('die_later'):\n"
        "        threading.Timer(0.2, lambda: os.kill(os.getpid(), signal.SIGKILL)).start()\n"
        "    return os.getpid()\n")})
    pid = invoke(client, "suicidal", {"die_later": True})[1]
    time.sleep(1.0)
    response, new_pid = invoke(client, "suicidal", {}, LogType="Tail")
    assert "FunctionError" not in response
    assert new_pid != pid
    assert re.search(r"Init Duration", log_tail(response))


def test_server_restart_keeps_functions_versions_and_aliases(tmp_path: Path) -> None:
    server = start_server(tmp_path / "data")
    try:
        client = server.client()
        create_function(client, "durable", {"app.py": "def handler(e, c):\n    return 'v1'\n"},
                        Environment={"Variables": {"KEEP": "me"}})
        client.publish_version(FunctionName="durable")
        client.create_alias(FunctionName="durable", Name="prod", FunctionVersion="1")
        before = client.get_function(FunctionName="durable")["Configuration"]
    finally:
        server.stop()
    server = start_server(tmp_path / "data")
    try:
        client = server.client()
        after = client.get_function(FunctionName="durable")["Configuration"]
        assert after == before
        assert client.get_alias(FunctionName="durable", Name="prod")["FunctionVersion"] == "1"
        assert invoke(client, "durable:prod")[1] == "v1"
        assert [v["Version"] for v in client.list_versions_by_function(
            FunctionName="durable")["Versions"]] == ["$LATEST", "1"]
    finally:
        server.stop(9)  # SIGKILL: nothing acknowledged may be lost, environments reaped
    server = start_server(tmp_path / "data")
    try:
        client = server.client()
        assert client.get_function(FunctionName="durable")["Configuration"] == before
        assert invoke(client, "durable")[1] == "v1"
    finally:
        server.stop()
