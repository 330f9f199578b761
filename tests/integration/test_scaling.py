"""Concurrency, throttling, keep-alive and the warm pool, against real servers."""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import Server, create_function, invoke, log_tail, processes_of_uid, start_server

pytestmark = pytest.mark.integration

# An environment's identity: drawn once per environment, at import (PIDs do not tell
# environments apart under the linux sandbox, where every runtime has its own PID space).
SLOW = {
    "app.py": (
        "import time, uuid\n"
        "ENV = uuid.uuid4().hex\n"
        "def handler(e, c):\n"
        "    time.sleep(e.get('sleep', 0))\n"
        "    return {'env': ENV, 'stream': c.log_stream_name}\n"
    )
}


def test_parallel_invokes_get_their_own_environments(client: Any) -> None:
    create_function(client, "parallel", SLOW)
    with ThreadPoolExecutor(6) as pool:
        results = list(pool.map(lambda _: invoke(client, "parallel", {"sleep": 1.0})[1], range(6)))
    assert len({r["env"] for r in results}) == 6
    assert len({r["stream"] for r in results}) == 6
    # Afterwards the six are warm: sequential invokes reuse them, no new process appears.
    envs = {invoke(client, "parallel", {})[1]["env"] for _ in range(6)}
    assert envs <= {r["env"] for r in results}


@pytest.fixture(scope="module")
def limited_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = start_server(
        tmp_path_factory.mktemp("limited"),
        {
            "ALTUS_CONCURRENCY_LIMIT": "2",
            "ALTUS_KEEP_ALIVE_SECONDS": "1",
        },
    )
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
    assert warm[1]["env"] == first[1]["env"]
    time.sleep(2.5)
    cold = invoke(client, "keepalive", LogType="Tail")
    assert "Init Duration" in log_tail(cold[0])
    assert cold[1]["env"] != first[1]["env"]


def test_health_reports_the_pool(altus_server: Server) -> None:
    import urllib.request

    with urllib.request.urlopen(f"{altus_server.url}/_altus/health") as response:
        health = json.loads(response.read())
    assert health["status"] == "ok" and health["sandbox"] == altus_server.sandbox


def test_a_crashed_idle_environment_is_replaced(altus_server: Server, client: Any) -> None:
    create_function(
        client,
        "victim",
        {
            "app.py": (
                "import os, uuid\n"
                "ENV = uuid.uuid4().hex\n"
                "def handler(e, c):\n"
                "    return {'env': ENV, 'uid': os.getuid(), 'pid': os.getpid()}\n"
            )
        },
    )
    first = invoke(client, "victim")[1]
    # Killed from outside while idle (an OOM kill, an operator): under the linux sandbox
    # the environment is frozen then, and the kill lands only when it is thawed.
    linux = altus_server.sandbox == "linux"
    victims = processes_of_uid(first["uid"]) if linux else [first["pid"]]
    assert victims
    for pid in victims:
        os.kill(pid, signal.SIGKILL)
    time.sleep(0.3)
    response, second = invoke(client, "victim", {}, LogType="Tail")
    assert "FunctionError" not in response, second
    assert second["env"] != first["env"]
    assert "Init Duration" in log_tail(response)


def test_an_idle_environment_is_frozen(linux_server: Server) -> None:
    """Only the linux sandbox freezes idle environments (the cgroup freezer)."""
    client = linux_server.client()
    create_function(
        client,
        "ticker",
        {
            "app.py": (
                "import threading, time\n"
                "ticks = 0\n"
                "def tick():\n"
                "    global ticks\n"
                "    while True:\n"
                "        ticks += 1\n"
                "        time.sleep(0.01)\n"
                "threading.Thread(target=tick, daemon=True).start()\n"
                "def handler(e, c):\n"
                "    return ticks\n"
            )
        },
        MemorySize=1769,
    )
    before = invoke(client, "ticker")[1]
    time.sleep(1.0)
    after = invoke(client, "ticker")[1]
    # Running, the thread would have ticked ~100 times in that second; frozen, it did not
    # run between the two invokes, as on Lambda.
    assert after - before < 20, (before, after)


def test_server_restart_keeps_functions_versions_and_aliases(
    tmp_path: Path, server_store: dict[str, str]
) -> None:
    server = start_server(tmp_path / "data", server_store)
    try:
        client = server.client()
        create_function(
            client,
            "durable",
            {"app.py": "def handler(e, c):\n    return 'v1'\n"},
            Environment={"Variables": {"KEEP": "me"}},
        )
        client.publish_version(FunctionName="durable")
        client.create_alias(FunctionName="durable", Name="prod", FunctionVersion="1")
        before = client.get_function(FunctionName="durable")["Configuration"]
    finally:
        server.stop()
    server = start_server(tmp_path / "data", server_store)
    try:
        client = server.client()
        after = client.get_function(FunctionName="durable")["Configuration"]
        assert after == before
        assert client.get_alias(FunctionName="durable", Name="prod")["FunctionVersion"] == "1"
        assert invoke(client, "durable:prod")[1] == "v1"
        assert [
            v["Version"]
            for v in client.list_versions_by_function(FunctionName="durable")["Versions"]
        ] == ["$LATEST", "1"]
    finally:
        server.stop(9)  # SIGKILL: nothing acknowledged may be lost, environments reaped
    server = start_server(tmp_path / "data", server_store)
    try:
        client = server.client()
        assert client.get_function(FunctionName="durable")["Configuration"] == before
        assert invoke(client, "durable")[1] == "v1"
    finally:
        server.stop()
