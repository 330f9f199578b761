"""Pure parts of the linux sandbox: path rewriting, command lines, error wording."""

from __future__ import annotations

import errno
import os
from pathlib import Path

from altus.runtime_api.server import _hex_address
from altus.runtimes.registry import RUNTIME_DIR
from altus.sandbox.backends.linux.cgroups import MB_PER_VCPU, cfs_quota
from altus.sandbox.backends.linux.paths import (
    Paths,
    exec_message,
    prefix_of,
    without_pycache_prefix,
)


def test_host_paths_become_what_the_environment_sees() -> None:
    paths = Paths(Path("/data/code/abc"))
    assert paths.rewrite("/data/code/abc") == "/var/task"
    assert paths.rewrite("/data/code/abc/bootstrap") == "/var/task/bootstrap"
    assert paths.rewrite("/data/code/abcdef/x") == "/data/code/abcdef/x"
    assert (
        paths.rewrite(str(RUNTIME_DIR / "nodejs/bootstrap.js"))
        == "/var/runtime/nodejs/bootstrap.js"
    )
    assert (
        paths.rewrite("/opt/nodejs/node_modules:/data/code/abc/node_modules")
        == "/opt/nodejs/node_modules:/var/task/node_modules"
    )
    assert paths.host("/var/task/bootstrap") == "/data/code/abc/bootstrap"
    assert paths.host("/usr/bin/node") == "/usr/bin/node"


def test_layers_are_seen_at_opt() -> None:
    paths = Paths(Path("/data/code/abc"), Path("/data/code/opt-123"))
    # A list whose first member is under the layers: every member is rewritten.
    assert (
        paths.rewrite(
            "/data/code/opt-123/nodejs/node_modules:/data/code/abc/node_modules:/data/code/abc"
        )
        == "/opt/nodejs/node_modules:/var/task/node_modules"
        ":/var/task"
    )
    assert paths.rewrite("/usr/bin:/data/code/opt-123/bin") == "/usr/bin:/opt/bin"
    assert paths.rewrite("/data/code/opt-123/bootstrap") == "/opt/bootstrap"
    assert paths.host("/opt/bootstrap") == "/data/code/opt-123/bootstrap"


def test_pycache_prefix_is_dropped_from_command_lines() -> None:
    argv = ["/usr/bin/python3", "-S", "-X", "pycache_prefix=/data/pycache", "-u", "b.py"]
    assert without_pycache_prefix(argv) == ["/usr/bin/python3", "-S", "-u", "b.py"]
    assert without_pycache_prefix(["x", "-X", "dev"]) == ["x", "-X", "dev"]


def test_exec_failures_use_lambdas_words() -> None:
    enoent, eacces = os.strerror(errno.ENOENT), os.strerror(errno.EACCES)
    assert (
        exec_message(f"exec /var/task/bootstrap: {enoent}")
        == "Couldn't find valid bootstrap(s): [/var/task/bootstrap]"
    )
    assert (
        exec_message(f"exec /var/task/bootstrap: {eacces}")
        == "fork/exec /var/task/bootstrap: permission denied"
    )


def test_interpreter_prefixes_outside_usr_are_bound() -> None:
    assert prefix_of("/usr/bin/sh") is None
    assert prefix_of(str(Path(os.path.realpath("/usr/bin/env")))) is None


def test_proc_net_tcp_addresses() -> None:
    assert _hex_address(("127.0.0.1", 9001)) == b"0100007F:2329"
    assert _hex_address(("not-an-address", 1)) is None


def test_cpu_shares_are_enforced_over_short_periods() -> None:
    # 1,769 MB: a whole CPU, over 10 ms.
    assert cfs_quota(1769 / MB_PER_VCPU) == (10_000, 10_000)
    # 128 MB: 7.2% of a CPU; at 10 ms the quota would fall under the kernel's 1 ms
    # floor, so the period stretches to keep the share (1 ms of every 13.8 ms).
    quota, period = cfs_quota(128 / MB_PER_VCPU)
    assert quota == 1000 and period == 13_820
    # 10,240 MB: several CPUs' worth in each period.
    assert cfs_quota(10240 / MB_PER_VCPU) == (57_886, 10_000)
    # A blank waiting for assignment: 1% of a CPU, the longest period.
    assert cfs_quota(0) == (1000, 100_000)
