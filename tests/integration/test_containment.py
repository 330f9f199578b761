"""Containment under the linux sandbox: hostile functions stay inside their environment,
are reported as Lambda reports them, and the platform keeps serving everyone else."""

from __future__ import annotations

import contextlib
import json
import os
import re
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.conftest import (
    NEEDS_LINUX_SANDBOX,
    Server,
    create_function,
    invoke,
    log_tail,
    processes_of_uid,
    start_server,
)

pytestmark = [pytest.mark.integration, NEEDS_LINUX_SANDBOX]

BYSTANDER = {"app.py": "def handler(e, c):\n    return 'fine'\n"}

SECRET = {
    "app.py": (
        "import os\n"
        "with open('/tmp/secret', 'w') as f:\n"
        "    f.write('tmp-secret')\n"
        "CODE_SECRET = 'code-secret'\n"
        "def handler(e, c):\n"
        "    return {'uid': os.getuid(), 'api': os.environ['AWS_LAMBDA_RUNTIME_API'],\n"
        "            'task': os.environ['LAMBDA_TASK_ROOT']}\n"
    )
}

PROBE = {
    "app.py": """
import os, socket

def attempt(action):
    try:
        return "allowed: " + repr(action())[:100]
    except Exception as error:
        return "refused: " + type(error).__name__

def read(path):
    with open(path) as f:
        return f.read()

def runtime_api(address):
    host, port = address.split(":")
    with socket.create_connection((host, int(port)), timeout=2) as conn:
        conn.sendall(b"GET /2018-06-01/runtime/invocation/next HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n")
        data = conn.recv(100)
        if not data:
            raise ConnectionResetError("closed")
        return data

def handler(e, c):
    results = {
        "other_code": attempt(lambda: read(e["other_code"])),
        "other_tmp": attempt(lambda: read(f"/proc/{e['other_pid']}/root/tmp/secret")),
        "data_dir": attempt(lambda: os.listdir(e["data_dir"])),
        "database": attempt(lambda: read(e["data_dir"] + "/altus.db")),
        "host_root_home": attempt(lambda: os.listdir("/root")),
        "write_etc": attempt(lambda: open("/etc/altus-was-here", "w")),
        "write_task": attempt(lambda: open("/var/task/new", "w")),
        "other_runtime_api": attempt(lambda: runtime_api(e["other_api"])),
        "signal_other": attempt(lambda: os.kill(e["other_pid"], 9)),
        "signal_zygote": attempt(lambda: os.kill(e.get("zygote_pid", 0) or 999999, 9)),
        "signal_all": attempt(lambda: os.kill(-1, 9)),
        "own_tmp": attempt(lambda: os.listdir("/tmp")),
        "processes": sorted(int(p) for p in os.listdir("/proc") if p.isdigit()),
        "task_listing": sorted(n for n in os.listdir("/var/task") if n != "__pycache__"),
    }
    return results
"""
}


@pytest.fixture(scope="module")
def lam(linux_server: Server) -> Any:
    client = linux_server.client()
    create_function(client, "bystander", BYSTANDER)
    return client


def _probe_from_zygote() -> dict[str, str | bytes]:
    """PROBE with a dependency installed (so that it gets a function zygote) and a way
    to hold its environment busy."""
    from tests.integration.test_function_zygotes import DEPS

    files: dict[str, str | bytes] = {k: v for k, v in DEPS.items() if k.startswith("heavydep")}
    body = PROBE["app.py"]
    assert isinstance(body, str)
    files["app.py"] = "import time, heavydep\n" + body.replace(
        "def handler(e, c):\n    results = {",
        "def handler(e, c):\n    time.sleep(e.get('hold', 0))\n"
        "    results = {\n        'dep_by': heavydep.IMPORTED_BY,",
    )
    return files


def _while_bystander_serves(lam: Any, hostile: Any) -> Any:
    """Run ``hostile()`` while the bystander function is invoked alongside; every one of
    those invokes must succeed."""
    with ThreadPoolExecutor(2) as pool:
        outcome = pool.submit(hostile)
        answers: list[Any] = []
        while not outcome.done() and len(answers) < 200:
            answers.append(invoke(lam, "bystander")[1])
            time.sleep(0.05)
        result = outcome.result()
    assert answers and set(answers) == {"fine"}
    return result


def test_a_function_cannot_see_or_touch_others(linux_server: Server, lam: Any) -> None:
    create_function(lam, "holder", SECRET)
    holder = invoke(lam, "holder")[1]
    create_function(lam, "prober", PROBE)
    code_dir = next((linux_server.data_dir / "code").glob("*/app.py"))
    holder_pids = processes_of_uid(holder["uid"])
    assert holder_pids
    event = {
        "other_code": str(code_dir),
        "data_dir": str(linux_server.data_dir),
        "other_api": holder["api"],
        "other_pid": max(holder_pids),
    }
    result = invoke(lam, "prober", event)[1]
    for key in (
        "other_code",
        "other_tmp",
        "data_dir",
        "database",
        "write_etc",
        "write_task",
        "other_runtime_api",
        "signal_other",
    ):
        assert result[key].startswith("refused"), (key, result[key])
    assert result["host_root_home"].startswith(("refused", "allowed: ['.pyenv']", "allowed: []")), (
        result["host_root_home"]
    )
    # Its own /tmp is empty (not the holder's), it sees only its own process (the runtime;
    # init is hidden too) and only its own code.
    assert result["own_tmp"] == "allowed: []"
    assert result["processes"] == [2]
    assert result["task_listing"] == ["app.py"]
    # kill(-1) reached nothing outside: the holder and the bystander are unharmed.
    assert invoke(lam, "holder")[1]["uid"] == holder["uid"]
    assert invoke(lam, "bystander")[1] == "fine"


def test_an_environment_forked_from_a_function_zygote_is_contained(
    linux_server: Server, lam: Any
) -> None:
    from tests.integration.test_function_zygotes import _health, _wait_for, function_zygotes

    create_function(lam, "holder-z", SECRET)
    holder = invoke(lam, "holder-z")[1]
    create_function(lam, "zprober", _probe_from_zygote())
    code_dir = next((linux_server.data_dir / "code").glob("*/app.py"))
    event = {
        "other_code": str(code_dir),
        "data_dir": str(linux_server.data_dir),
        "other_api": holder["api"],
        "other_pid": max(processes_of_uid(holder["uid"])),
    }
    invoke(lam, "zprober", event)  # learns what it imports
    zygote = _wait_for(lambda: function_zygotes(linux_server, "zprober"))[0]
    event["zygote_pid"] = zygote["pid"]
    # Its one warm environment held busy, the probe runs in a cold one: the zygote's.
    with ThreadPoolExecutor(1) as pool:
        busy = pool.submit(invoke, lam, "zprober", {**event, "hold": 3})
        _wait_for(lambda: _health(linux_server)["in_flight"] >= 1)
        result = invoke(lam, "zprober", event)[1]
        busy.result()
    assert result["dep_by"] == zygote["pid"]
    for key in (
        "other_code",
        "other_tmp",
        "data_dir",
        "database",
        "write_etc",
        "write_task",
        "other_runtime_api",
        "signal_other",
        "signal_zygote",
    ):
        assert result[key].startswith("refused"), (key, result[key])
    assert result["own_tmp"] == "allowed: []"
    assert result["processes"] == [2]
    assert result["task_listing"] == ["app.py", "heavydep", "heavydep-1.0.dist-info"]
    assert invoke(lam, "holder-z")[1]["uid"] == holder["uid"]
    assert function_zygotes(linux_server, "zprober")[0]["pid"] == zygote["pid"]


def test_a_memory_hog_is_killed_and_reported(lam: Any) -> None:
    create_function(
        lam,
        "hog",
        {
            "app.py": (
                "def handler(e, c):\n"
                "    hoard = []\n"
                "    while True:\n"
                "        hoard.append(bytearray(16 * 1024 * 1024))\n"
            )
        },
        MemorySize=128,
        Timeout=30,
    )
    response, body = _while_bystander_serves(lam, lambda: invoke(lam, "hog", LogType="Tail"))
    assert response["FunctionError"] == "Unhandled"
    assert body["errorType"] == "Runtime.OutOfMemory"
    assert "Runtime exited with error: signal: killed" in body["errorMessage"]
    memory = re.search(r"Max Memory Used: (\d+) MB", log_tail(response))
    assert memory, log_tail(response)
    used = int(memory[1])
    assert 100 <= used <= 140


def test_a_fork_bomb_stays_inside(linux_server: Server, lam: Any) -> None:
    create_function(
        lam,
        "bomb",
        {
            "app.py": (
                "import os, time\n"
                "def handler(e, c):\n"
                "    while True:\n"
                "        try:\n"
                "            os.fork()\n"
                "        except OSError:\n"
                "            time.sleep(0.001)\n"
            )
        },
        MemorySize=1024,
        Timeout=3,
    )
    response, body = _while_bystander_serves(lam, lambda: invoke(lam, "bomb"))
    assert response["FunctionError"] == "Unhandled"
    assert body["errorType"] == "Sandbox.Timedout"
    assert "Task timed out after 3.00 seconds" in body["errorMessage"]
    # The whole namespace died with it: no sandbox process is left running (idle
    # environments are frozen; the bomb's would not be).
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and _running_sandbox_processes(linux_server):
        time.sleep(0.1)
    assert not _running_sandbox_processes(linux_server)


def _running_sandbox_processes(server: Server) -> list[int]:
    """Processes of environment uids (200000 and up) that are not frozen: a function
    zygote (and the keeper of each environment it forked) runs as a uid of its own."""
    with urllib.request.urlopen(f"{server.url}/_altus/health", timeout=10) as answer:
        zygote_uids = {z["uid"] for z in json.loads(answer.read())["zygotes"] if "uid" in z}
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
        except OSError:
            continue
        uid = re.search(r"^Uid:\s+(\d+)", status, re.MULTILINE)
        if (
            uid
            and int(uid[1]) >= 200_000
            and int(uid[1]) not in zygote_uids
            and "State:\tD" not in status
        ):
            found.append(int(entry.name))
    return found


def test_an_infinite_loop_times_out(lam: Any) -> None:
    create_function(
        lam,
        "spinner",
        {"app.py": ("def handler(e, c):\n    while True:\n        pass\n")},
        Timeout=2,
    )
    response, body = _while_bystander_serves(lam, lambda: invoke(lam, "spinner"))
    assert response["FunctionError"] == "Unhandled"
    assert body["errorType"] == "Sandbox.Timedout"
    assert "Task timed out after 2.00 seconds" in body["errorMessage"]


def test_a_gigabyte_of_output_is_capped(lam: Any) -> None:
    create_function(
        lam,
        "firehose",
        {
            "app.py": (
                "import os\n"
                "def handler(e, c):\n"
                "    block = b'y' * (1 << 20)\n"
                "    for _ in range(1024):\n"
                "        os.write(1, block)\n"
                "    return 'done'\n"
            )
        },
        MemorySize=1769,
        Timeout=120,
    )
    response, body = _while_bystander_serves(lam, lambda: invoke(lam, "firehose", LogType="Tail"))
    assert body == "done"
    assert "output truncated" in log_tail(response)


def test_closing_stdout_does_not_break_the_environment(lam: Any) -> None:
    create_function(
        lam,
        "mute",
        {
            "app.py": (
                "import os\n"
                "def handler(e, c):\n"
                "    if e.get('close'):\n"
                "        os.close(1)\n"
                "        os.close(2)\n"
                "    return 'still here'\n"
            )
        },
    )
    assert invoke(lam, "mute", {"close": True})[1] == "still here"
    assert invoke(lam, "mute")[1] == "still here"
    assert invoke(lam, "bystander")[1] == "fine"


def test_environments_of_one_function_do_not_share_tmp(lam: Any) -> None:
    create_function(
        lam,
        "tmpuser",
        {
            "app.py": (
                "import os, time, uuid\n"
                "ENV = uuid.uuid4().hex\n"
                "def handler(e, c):\n"
                "    open(f'/tmp/{ENV}', 'w').close()\n"
                "    time.sleep(0.5)\n"
                "    return sorted(os.listdir('/tmp'))\n"
            )
        },
    )
    with ThreadPoolExecutor(3) as pool:
        listings = list(pool.map(lambda _: invoke(lam, "tmpuser")[1], range(3)))
    assert all(len(listing) == 1 for listing in listings), json.dumps(listings)
    assert len({listing[0] for listing in listings}) == 3


def test_runtime_api_refuses_other_uids(linux_server: Server, lam: Any) -> None:
    # The server (root) itself is not the environment's uid either.
    create_function(lam, "guarded", SECRET)
    address = invoke(lam, "guarded")[1]["api"]
    import http.client

    host, port = address.split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=5)
    with pytest.raises((ConnectionError, http.client.RemoteDisconnected, OSError)):
        connection.request("GET", "/2018-06-01/runtime/invocation/next")
        connection.getresponse()
    assert invoke(lam, "guarded")[1]["api"] == address
    assert os.geteuid() == 0


def test_a_dead_zygote_is_restarted(linux_server: Server, lam: Any) -> None:
    assert linux_server.process is not None
    create_function(lam, "phoenix", BYSTANDER)
    assert invoke(lam, "phoenix")[1] == "fine"
    # The zygotes are the server's children (their forks share their command line).
    zygotes = [
        pid
        for pid in _children(linux_server.process.pid)
        if b"zygote.py" in _cmdline(pid) and b"bootstrap.py" in _cmdline(pid)
    ]
    assert zygotes
    for pid in zygotes:
        os.kill(pid, 9)
    time.sleep(0.3)
    # A cold start needs the zygote: it is started again; warm ones never needed it.
    lam.update_function_configuration(FunctionName="phoenix", Description="again")
    lam.get_waiter("function_updated_v2").wait(
        FunctionName="phoenix", WaiterConfig={"Delay": 0.2, "MaxAttempts": 100}
    )
    response, body = invoke(lam, "phoenix", LogType="Tail")
    assert body == "fine" and "Init Duration" in log_tail(response)


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            found += [int(k) for k in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


@pytest.fixture(scope="module")
def isolated_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = start_server(
        tmp_path_factory.mktemp("isolated"),
        extra_env={"ALTUS_SANDBOX": "linux", "ALTUS_SANDBOX_NETWORK": "isolated"},
    )
    yield server
    server.stop()


def test_an_isolated_network_has_only_loopback(isolated_server: Server) -> None:
    lam = isolated_server.client()
    port = int(isolated_server.url.rsplit(":", 1)[1])
    create_function(
        lam,
        "offline",
        {
            "app.py": (
                "import os, socket\n"
                "def handler(e, c):\n"
                "    try:\n"
                "        socket.create_connection(('127.0.0.1', e['port']), timeout=2).close()\n"
                "        reached = True\n"
                "    except OSError:\n"
                "        reached = False\n"
                "    return {'reached_platform': reached,\n"
                "            'api': os.environ['AWS_LAMBDA_RUNTIME_API'],\n"
                "            'interfaces': sorted(n for _, n in socket.if_nameindex())}\n"
            )
        },
    )
    for _ in range(3):  # warm invokes go through init's relay too
        response, body = invoke(lam, "offline", {"port": port})
        assert "FunctionError" not in response, body
        assert body == {"reached_platform": False, "api": "127.0.0.1:9001", "interfaces": ["lo"]}


def test_an_isolated_environment_reaches_the_secrets_extension_through_init(
    isolated_server: Server,
) -> None:
    secrets = boto3.client(
        "secretsmanager",
        endpoint_url=isolated_server.url,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    secrets.create_secret(Name="isolated", SecretString="kept")
    lam = isolated_server.client()
    create_function(
        lam,
        "extension-reader",
        {
            "app.py": (
                "import json, os, urllib.request\n"
                "def handler(e, c):\n"
                "    port = os.environ['PARAMETERS_SECRETS_EXTENSION_HTTP_PORT']\n"
                "    token = os.environ['AWS_SESSION_TOKEN']\n"
                "    request = urllib.request.Request(\n"
                "        f'http://127.0.0.1:{port}/secretsmanager/get?secretId=isolated',\n"
                "        headers={'X-Aws-Parameters-Secrets-Token': token})\n"
                "    with urllib.request.urlopen(request, timeout=10) as answer:\n"
                "        value = json.loads(answer.read())['SecretString']\n"
                "    return {'value': value, 'relay': 'ALTUS_SECRETS_EXTENSION' in os.environ}\n"
            )
        },
    )
    for _ in range(2):  # a warm environment's relay serves again
        response, body = invoke(lam, "extension-reader")
        assert "FunctionError" not in response, body
        assert body == {"value": "kept", "relay": False}


def test_an_environments_token_opens_the_extension_only_from_its_own_uid(
    linux_server: Server,
) -> None:
    """On the host's network every process reaches the extension's port: a token taken
    out of an environment reads nothing from another uid."""
    boto3.client(
        "secretsmanager",
        endpoint_url=linux_server.url,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    ).create_secret(Name="own-uid", SecretString="kept")
    lam = linux_server.client()
    create_function(
        lam,
        "token-leaker",
        {
            "app.py": (
                "import json, os, urllib.request\n"
                "def handler(e, c):\n"
                "    port = os.environ['PARAMETERS_SECRETS_EXTENSION_HTTP_PORT']\n"
                "    token = os.environ['AWS_SESSION_TOKEN']\n"
                "    request = urllib.request.Request(\n"
                "        f'http://127.0.0.1:{port}/secretsmanager/get?secretId=own-uid',\n"
                "        headers={'X-Aws-Parameters-Secrets-Token': token})\n"
                "    with urllib.request.urlopen(request, timeout=10) as answer:\n"
                "        value = json.loads(answer.read())['SecretString']\n"
                "    return {'value': value, 'port': port, 'token': token}\n"
            )
        },
    )
    response, body = invoke(lam, "token-leaker")
    assert "FunctionError" not in response, body
    assert body["value"] == "kept"
    request = urllib.request.Request(
        f"http://127.0.0.1:{body['port']}/secretsmanager/get?secretId=own-uid",
        headers={"X-Aws-Parameters-Secrets-Token": body["token"]},
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 401


def test_prepared_environments_lost_while_waiting_are_replaced(
    linux_server: Server, lam: Any
) -> None:
    assert linux_server.process is not None
    create_function(lam, "lazarus", BYSTANDER)
    assert invoke(lam, "lazarus")[1] == "fine"
    zygotes = [
        pid for pid in _children(linux_server.process.pid) if b"bootstrap.py" in _cmdline(pid)
    ]
    # Every keeper of the Python zygote: the prepared environments waiting for an
    # assignment die with them (and the warm ones too).
    for keeper in [k for z in zygotes for k in _children(z)]:
        with contextlib.suppress(ProcessLookupError):
            os.kill(keeper, 9)
    time.sleep(0.3)
    lam.update_function_configuration(FunctionName="lazarus", Description="again")
    lam.get_waiter("function_updated_v2").wait(
        FunctionName="lazarus", WaiterConfig={"Delay": 0.2, "MaxAttempts": 100}
    )
    response, body = invoke(lam, "lazarus", LogType="Tail")
    assert body == "fine" and "Init Duration" in log_tail(response)


def test_a_server_killed_outright_leaves_no_environment_running(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    from altus.sandbox.backends.linux.cgroups import Cgroups
    from tests.integration.test_function_zygotes import DEPS, function_zygotes

    server = start_server(tmp_path_factory.mktemp("killed"), extra_env={"ALTUS_SANDBOX": "linux"})
    try:
        lam = server.client()
        create_function(lam, "plain", BYSTANDER)
        create_function(lam, "zygoted", DEPS)
        assert invoke(lam, "plain")[1] == "fine"
        invoke(lam, "zygoted")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not function_zygotes(server, "zygoted"):
            time.sleep(0.1)
        assert function_zygotes(server, "zygoted")
        state = json.loads((server.data_dir / "linux" / "linux-backend.json").read_text())
        roots = [Path(p) for p in state["cgroup_roots"]]
        assert _processes_under(roots)  # frozen environments, prepared ones, the zygote
    finally:
        server.stop(9)
    try:
        # Frozen environments too: cgroup v1 delivers their kill only once they thaw.
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and _processes_under(roots):
            time.sleep(0.1)
        assert not _processes_under(roots)
    finally:
        Cgroups(roots, unified=bool(state["unified"])).close()


def _processes_under(roots: list[Path]) -> list[int]:
    found: list[int] = []
    for root in roots:
        for procs in root.rglob("cgroup.procs"):
            with contextlib.suppress(OSError):
                found += [int(p) for p in procs.read_text().split()]
    return found
