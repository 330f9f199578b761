"""Function zygotes under the linux sandbox: a function configuration started once has a
zygote with its dependencies imported; its later cold starts fork from it, still run
their own INIT, and are isolated from one another as any environment is."""

from __future__ import annotations

import json
import os
import re
import signal
import time
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

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

#: A dependency installed the way pip installs one (with its dist-info), which records
#: the process that imported it and holds 30 MB, and a module of the function's own.
DEPS: dict[str, str | bytes] = {
    "heavydep/__init__.py": (
        "import os\n"
        "IMPORTED_BY = os.getpid()\n"
        "GREETING = os.environ.get('GREETING')\n"
        "BLOB = bytearray(30 * 1024 * 1024)\n"
        "for i in range(0, len(BLOB), 4096):\n"
        "    BLOB[i] = 1\n"
    ),
    "heavydep-1.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: heavydep\nVersion: 1.0\n",
    "heavydep-1.0.dist-info/RECORD": "heavydep/__init__.py,,\n",
    "helper.py": "import os\nIMPORTED_BY = os.getpid()\n",
    "app.py": (
        "import os, time\n"
        "import heavydep, helper\n"
        "INIT_BY = os.getpid()\n"
        "def handler(event, context):\n"
        "    if event.get('hog'):\n"
        "        hoard = []\n"
        "        while True:\n"
        "            hoard.append(bytearray(8 * 1024 * 1024))\n"
        "    open(f'/tmp/{context.aws_request_id}', 'w').close()\n"
        "    time.sleep(event.get('sleep', 0))\n"
        "    return {'dep_by': heavydep.IMPORTED_BY, 'helper_by': helper.IMPORTED_BY,\n"
        "            'init_by': INIT_BY, 'pid': os.getpid(), 'uid': os.getuid(),\n"
        "            'greeting': heavydep.GREETING, 'tmp': os.listdir('/tmp'),\n"
        "            'processes': sorted(int(p) for p in os.listdir('/proc') if p.isdigit())}\n"
    ),
}


#: The same dependency turned against its zygote: imported there, it writes the PID of
#: the platform into every regular file the zygote is sent (a root-opened cgroup.procs
#: would move the platform into the function's cgroup), and makes the zygote claim its
#: parent's PID (the runtime zygote's, which the platform would then kill as its own).
HOSTILE = {
    **DEPS,
    "heavydep/__init__.py": (
        "import os, socket, stat\n"
        "IMPORTED_BY = os.getpid()\n"
        "GREETING = None\n"
        "_target = os.environ.get('TARGET_PID', '').encode()\n"
        "_receive = socket.recv_fds\n"
        "def _stealing(*args, **kwargs):\n"
        "    message, fds, flags, address = _receive(*args, **kwargs)\n"
        "    for fd in fds:\n"
        "        try:\n"
        "            if stat.S_ISREG(os.fstat(fd).st_mode):\n"
        "                os.write(fd, _target)\n"
        "        except OSError:\n"
        "            pass\n"
        "    return message, fds, flags, address\n"
        "socket.recv_fds = _stealing\n"
        "os.getpid = os.getppid\n"
    ),
}
#: A dependency that rewrites the zygote it is imported in: its keepers ignore parent-
#: death signals (so their environments outlive the zygote) and each leaves a process
#: behind, running as the zygote's uid, once it has been moved into its environment.
LINGERING = {
    **DEPS,
    "heavydep/__init__.py": str(DEPS["heavydep/__init__.py"])
    + (
        "import __main__, time\n"
        "if hasattr(__main__, '_keeper'):\n"
        "    _prctl, _check = __main__._prctl, __main__._check\n"
        "    def _no_parent_death(option, value):\n"
        "        if option != 1:\n"
        "            _prctl(option, value)\n"
        "    def _lingering(result, what):\n"
        "        if what == 'unshare' and os.fork() == 0:\n"
        "            os.closerange(0, 1 << 16)\n"
        "            time.sleep(120)\n"
        "            os._exit(0)\n"
        "        return _check(result, what)\n"
        "    __main__._prctl, __main__._check = _no_parent_death, _lingering\n"
    ),
}
OTHER = {"app.py": "import os\ndef handler(event, context):\n    return {'uid': os.getuid()}\n"}


def _health(server: Server) -> dict[str, Any]:
    with urllib.request.urlopen(f"{server.url}/_altus/health", timeout=10) as answer:
        health: dict[str, Any] = json.loads(answer.read())
    return health


def function_zygotes(server: Server, name: str | None = None) -> list[dict[str, Any]]:
    return [
        z
        for z in _health(server)["zygotes"]
        if "function" in z and (name is None or z["function"].startswith(f"{name}:"))
    ]


def _wait_for(what: Callable[[], Any], seconds: float = 30.0) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = what()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def _cold_starts(lam: Any, name: str, count: int) -> list[tuple[str, Any]]:
    """Invoke ``count`` times at once, each holding its environment for a second (so
    that all but the function's warm environments are cold starts), and return the log
    and body of the cold starts."""
    payload = {"sleep": 1.0}
    with ThreadPoolExecutor(count) as pool:
        answers = list(pool.map(lambda _: invoke(lam, name, payload, LogType="Tail"), range(count)))
    for response, body in answers:
        assert "FunctionError" not in response, body
    return [(log_tail(r), b) for r, b in answers if "Init Duration" in log_tail(r)]


@pytest.fixture(scope="module")
def lam(linux_server: Server) -> Any:
    return linux_server.client()


def test_later_cold_starts_fork_from_the_function_zygote(linux_server: Server, lam: Any) -> None:
    create_function(lam, "numeric", DEPS, MemorySize=256)
    first = invoke(lam, "numeric")[1]
    # The first environment imported everything itself, and taught the platform what.
    assert first["dep_by"] == first["init_by"] == first["pid"]
    zygote = _wait_for(lambda: function_zygotes(linux_server, "numeric"))[0]
    assert zygote["modules"] >= 1
    cold = _cold_starts(lam, "numeric", 3)
    assert len(cold) >= 2
    for log, body in cold:
        # The dependency came from the zygote; the function's INIT (its handler module
        # and its own helper) ran in the environment, as on Lambda.
        assert body["dep_by"] == zygote["pid"]
        assert body["init_by"] == body["helper_by"] == body["pid"] == 2
        # What the environment shares with the zygote counts in Max Memory Used.
        memory = re.search(r"Max Memory Used: (\d+) MB", log)
        assert memory, log
        assert int(memory[1]) >= 30
        # Its own /tmp (only the file its invoke wrote), its own processes only.
        assert len(body["tmp"]) == 1
        assert body["processes"] == [2]
    uids = {body["uid"] for _, body in cold}
    assert len(uids) == len(cold) and zygote["uid"] not in uids


def test_two_functions_never_share_a_zygote(linux_server: Server, lam: Any) -> None:
    for name in ("twin-a", "twin-b"):
        create_function(lam, name, DEPS)
        invoke(lam, name)
    a = _wait_for(lambda: function_zygotes(linux_server, "twin-a"))[0]
    b = _wait_for(lambda: function_zygotes(linux_server, "twin-b"))[0]
    assert a["pid"] != b["pid"] and a["uid"] != b["uid"]
    for name, zygote in (("twin-a", a), ("twin-b", b)):
        cold = _cold_starts(lam, name, 2)
        assert cold and all(body["dep_by"] == zygote["pid"] for _, body in cold)


def test_a_changed_configuration_gets_a_new_zygote(linux_server: Server, lam: Any) -> None:
    create_function(lam, "greeter", DEPS, Environment={"Variables": {"GREETING": "hello"}})
    invoke(lam, "greeter")
    old = _wait_for(lambda: function_zygotes(linux_server, "greeter"))[0]
    lam.update_function_configuration(
        FunctionName="greeter", Environment={"Variables": {"GREETING": "bonjour"}}
    )
    lam.get_waiter("function_updated_v2").wait(
        FunctionName="greeter", WaiterConfig={"Delay": 0.2, "MaxAttempts": 100}
    )
    # The new configuration learns anew: its dependency is imported with its variables.
    assert invoke(lam, "greeter")[1]["greeting"] == "bonjour"
    new = _wait_for(
        lambda: [
            z for z in function_zygotes(linux_server, "greeter") if z["function"] != old["function"]
        ]
    )[0]
    cold = _cold_starts(lam, "greeter", 2)
    assert cold and all(
        body["dep_by"] == new["pid"] and body["greeting"] == "bonjour" for _, body in cold
    )


def test_a_dead_function_zygote_is_restarted(linux_server: Server, lam: Any) -> None:
    create_function(lam, "sturdy", DEPS)
    invoke(lam, "sturdy")
    old = _wait_for(lambda: function_zygotes(linux_server, "sturdy"))[0]
    os.kill(old["pid"], signal.SIGKILL)  # frozen, it dies of it when thawed
    # The next cold starts find it dying (the kill pending): they start from the runtime
    # zygote meanwhile (one warm environment, two cold), and it is started again.
    assert len(_cold_starts(lam, "sturdy", 3)) == 2
    new = _wait_for(
        lambda: [z for z in function_zygotes(linux_server, "sturdy") if z["pid"] != old["pid"]]
    )[0]
    cold = _cold_starts(lam, "sturdy", 5)  # three warm, two cold
    assert len(cold) == 2 and all(body["dep_by"] == new["pid"] for _, body in cold)


def test_a_memory_hog_forked_from_a_zygote_is_held_to_its_memory_size(
    linux_server: Server, lam: Any
) -> None:
    create_function(lam, "greedy", DEPS, MemorySize=128, Timeout=30)
    invoke(lam, "greedy")
    zygote = _wait_for(lambda: function_zygotes(linux_server, "greedy"))[0]
    # While its one warm environment is busy, a hog needs a cold start: from the zygote.
    with ThreadPoolExecutor(1) as pool:
        holder = pool.submit(invoke, lam, "greedy", {"sleep": 3})
        _wait_for(lambda: _health(linux_server)["in_flight"] >= 1)
        response, body = invoke(lam, "greedy", {"hog": True}, LogType="Tail")
        assert holder.result()[1]["pid"] == 2
    assert "Init Duration" in log_tail(response)
    assert body["errorType"] == "Runtime.OutOfMemory", body
    memory = re.search(r"Max Memory Used: (\d+) MB", log_tail(response))
    assert memory, log_tail(response)
    used = int(memory[1])
    # The zygote's 30 MB count against the environment's 128 MB: killed at ~128 in all.
    assert 100 <= used <= 140, log_tail(response)
    # The zygote is unharmed, and the function serves on.
    assert function_zygotes(linux_server, "greedy")[0]["pid"] == zygote["pid"]
    assert invoke(lam, "greedy")[1]["pid"] == 2


def test_modules_that_start_threads_at_import_get_no_zygote(linux_server: Server, lam: Any) -> None:
    threaded = {
        **DEPS,
        "heavydep/__init__.py": (
            "import os, threading, time\n"
            "IMPORTED_BY = os.getpid()\n"
            "GREETING = None\n"
            "threading.Thread(target=time.sleep, args=(3600,), daemon=True).start()\n"
        ),
    }
    create_function(lam, "threaded", threaded)
    invoke(lam, "threaded")
    _wait_for(
        lambda: any(
            "function zygote of threaded:" in line and "threads" in line
            for line in linux_server.output
        )
    )
    assert not function_zygotes(linux_server, "threaded")
    cold = _cold_starts(lam, "threaded", 2)
    assert cold and all(body["dep_by"] == body["pid"] for _, body in cold)


def test_a_hostile_dependency_gets_nothing_of_the_platform(linux_server: Server, lam: Any) -> None:
    assert linux_server.process is not None
    platform = linux_server.process.pid
    cgroups_before = Path(f"/proc/{platform}/cgroup").read_text()
    create_function(
        lam, "hostile", HOSTILE, Environment={"Variables": {"TARGET_PID": str(platform)}}
    )
    invoke(lam, "hostile")
    zygote = _wait_for(lambda: function_zygotes(linux_server, "hostile"))[0]
    runtime_zygotes = {z["pid"] for z in _health(linux_server)["zygotes"] if "runtime" in z}
    # Its PID is the kernel's word, not its claim (the runtime zygote's).
    assert zygote["pid"] not in runtime_zygotes
    cold = _cold_starts(lam, "hostile", 3)
    assert len(cold) == 2 and all(body["dep_by"] == zygote["pid"] for _, body in cold)
    # Nothing it was sent could move the platform (or anyone) into its cgroups.
    assert Path(f"/proc/{platform}/cgroup").read_text() == cgroups_before
    # The runtime zygotes it pointed at are alive and serve other functions.
    assert runtime_zygotes <= {z["pid"] for z in _health(linux_server)["zygotes"]}
    create_function(lam, "innocent", OTHER)
    assert "uid" in invoke(lam, "innocent")[1]


def _uids_of_new_configurations(lam: Any, name: str, rounds: int) -> set[int]:
    """The uids of ``rounds`` cold starts of ``name``, each of a new configuration."""
    uids = set()
    for round_ in range(rounds):
        lam.update_function_configuration(FunctionName=name, Description=str(round_))
        lam.get_waiter("function_updated_v2").wait(
            FunctionName=name, WaiterConfig={"Delay": 0.1, "MaxAttempts": 100}
        )
        uids.add(invoke(lam, name)[1]["uid"])
    return uids


def test_uids_stay_quarantined_while_anything_of_a_dead_zygote_lives(
    linux_server: Server, lam: Any
) -> None:
    create_function(lam, "lingering", LINGERING)
    create_function(lam, "neighbour", OTHER)
    invoke(lam, "lingering")
    zygote = _wait_for(lambda: function_zygotes(linux_server, "lingering"))[0]
    cold = _cold_starts(lam, "lingering", 2)  # one from the zygote, leaving its process
    assert cold and all(body["dep_by"] == zygote["pid"] for _, body in cold)
    held = {zygote["uid"]} | {body["uid"] for _, body in cold}
    os.kill(zygote["pid"], signal.SIGKILL)  # it is frozen: it dies once retired
    _cold_starts(lam, "lingering", 3)  # these find it dying: it is retired
    _wait_for(lambda: not os.path.exists(f"/proc/{zygote['pid']}/status"))
    # What it left lives on as its uid; that uid and its environments' are no one else's.
    assert processes_of_uid(zygote["uid"])
    assert not held & _uids_of_new_configurations(lam, "neighbour", 4)


@pytest.fixture(scope="module")
def churn_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = start_server(
        tmp_path_factory.mktemp("fzygotes-churn"),
        extra_env={"ALTUS_SANDBOX": "linux", "ALTUS_KEEP_ALIVE_SECONDS": "1"},
    )
    yield running
    running.stop()


def test_uids_of_a_function_zygotes_environments_stay_its_own(churn_server: Server) -> None:
    lam = churn_server.client()
    create_function(lam, "owner", DEPS)
    create_function(lam, "other", OTHER)
    invoke(lam, "owner")
    zygote = _wait_for(lambda: function_zygotes(churn_server, "owner"))[0]
    owned = {
        body["uid"] for _, body in _cold_starts(lam, "owner", 3) if body["dep_by"] == zygote["pid"]
    }
    assert len(owned) >= 2
    # Retired, their environments' uids are still the zygote's (a process of its making
    # could hold one): another function's environments never get them.
    _wait_for(lambda: _health(churn_server)["environments"] == 0)
    assert not owned & _uids_of_new_configurations(lam, "other", 4)
    # The function's own later environments do.
    again = {body["uid"] for _, body in _cold_starts(lam, "owner", 2)}
    assert again and again <= owned


@pytest.fixture(scope="module")
def small_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = start_server(
        tmp_path_factory.mktemp("fzygotes-small"),
        extra_env={
            "ALTUS_SANDBOX": "linux",
            "ALTUS_SANDBOX_FUNCTION_ZYGOTES": "1",
            "ALTUS_KEEP_ALIVE_SECONDS": "1",
            "ALTUS_SANDBOX_FUNCTION_ZYGOTE_IDLE_SECONDS": "8",
        },
    )
    yield running
    running.stop()


def test_function_zygotes_are_bounded_and_retired_when_idle(small_server: Server) -> None:
    lam = small_server.client()
    for name in ("first", "second"):
        create_function(lam, name, DEPS)
    invoke(lam, "first")
    _wait_for(lambda: function_zygotes(small_server, "first"))
    # Once its environment is retired, the first zygote is idle, and makes room.
    _wait_for(
        lambda: [z for z in function_zygotes(small_server, "first") if z["environments"] == 0]
    )
    invoke(lam, "second")
    _wait_for(lambda: function_zygotes(small_server, "second"))
    assert [z["function"].split(":")[0] for z in function_zygotes(small_server)] == ["second"]
    # Idle for its time with no environment left: retired.
    _wait_for(lambda: not function_zygotes(small_server), seconds=30)
