"""Pure parts of function zygotes: the registry's decisions (learn, start, evict, retire)
and which of a function's imports a zygote preloads."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from typing import Any, cast

from altus.sandbox.backends.linux.zygotes import (
    MAX_FAILURES,
    ZYGOTE,
    FunctionZygote,
    FunctionZygotes,
    Recipe,
    State,
)


class FakeZygote:
    def __init__(self, key: str, last_used: float = 0.0, environments: int = 0) -> None:
        self.key = key
        self.last_used = last_used
        self.environments = environments


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def recipe(*modules: str) -> Recipe:
    return Recipe(
        interpreter="/usr/bin/python3",
        bootstrap=Path("/b.py"),
        opt_root=None,
        task_root=Path("/code"),
        env={},
        memory_mb=128,
        handler="app.handler",
        modules=list(modules),
    )


def ready(registry: FunctionZygotes, key: str, clock: Clock, **fake: Any) -> FunctionZygote:
    assert registry.plan(key) == "learn"
    assert registry.learned(key, recipe("numpy"))
    # The fake stands in for a FunctionZygote: the registry reads only its key,
    # last_used and environments.
    zygote = cast(FunctionZygote, FakeZygote(key, clock.now, **fake))
    registry.started(key, zygote)
    return zygote


def test_a_configuration_learns_once_then_starts_its_zygote() -> None:
    registry = FunctionZygotes(limit=4, idle_seconds=60)
    assert registry.plan("f:1") == "learn"
    # Concurrent cold starts while it learns: they neither learn nor start.
    assert registry.plan("f:1") is None
    assert registry.learned("f:1", recipe("numpy", "numpy.core"))
    assert registry.state("f:1") is State.STARTING
    assert registry.plan("f:1") is None


def test_a_learning_environment_that_never_reports_lets_the_next_one_learn() -> None:
    registry = FunctionZygotes(limit=4, idle_seconds=60)
    registry.plan("f:1")
    assert not registry.learned("f:1", None)
    assert registry.plan("f:1") == "learn"


def test_nothing_imported_means_no_zygote_for_good() -> None:
    registry = FunctionZygotes(limit=4, idle_seconds=60)
    registry.plan("hello:1")
    assert not registry.learned("hello:1", recipe())
    assert registry.state("hello:1") is State.PLAIN
    assert registry.plan("hello:1") is None


def test_eviction_takes_the_least_recently_used_idle_zygote() -> None:
    clock = Clock()
    registry = FunctionZygotes(limit=2, idle_seconds=600, clock=clock)
    old = ready(registry, "a:1", clock)
    clock.now += 1
    busy = ready(registry, "b:1", clock, environments=1)
    assert registry.plan("c:1") == "learn"
    registry.learned("c:1", recipe("pandas"))
    assert registry.make_room("c:1") == [old]
    assert registry.state("a:1") is State.WAITING
    # The evicted one is started again at its next cold start, if there is room.
    assert registry.plan("a:1") == "start"
    assert registry.make_room("a:1") is None  # b is busy, c is starting
    registry.postpone("a:1")
    assert registry.state("a:1") is State.WAITING
    assert busy.environments == 1


def test_a_zygote_that_keeps_dying_is_given_up() -> None:
    clock = Clock()
    registry = FunctionZygotes(limit=4, idle_seconds=60, clock=clock)
    ready(registry, "f:1", clock)
    for _ in range(MAX_FAILURES - 1):
        registry.failed("f:1")
        assert registry.plan("f:1") == "start"
        registry.started("f:1", FakeZygote("f:1"))  # type: ignore[arg-type]
    registry.failed("f:1")
    assert registry.state("f:1") is State.FAILED
    assert registry.plan("f:1") is None
    ready(registry, "g:1", clock)
    registry.failed("g:1", permanent=True)  # e.g. its imports start threads
    assert registry.state("g:1") is State.FAILED


def test_idle_zygotes_expire_and_busy_ones_do_not() -> None:
    clock = Clock()
    registry = FunctionZygotes(limit=4, idle_seconds=60, clock=clock)
    idle = ready(registry, "a:1", clock)
    ready(registry, "b:1", clock, environments=2)
    assert registry.next_expiry() == clock.now + 60
    clock.now += 59
    assert registry.expired() == []
    clock.now += 1
    assert registry.expired() == [idle]
    assert registry.state("a:1") is None
    assert registry.next_expiry() is None


def _zygote_module() -> Any:
    spec = importlib.util.spec_from_file_location("altus_zygote_under_test", ZYGOTE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_installed_distributions_are_found_by_top_level_or_record(tmp_path: Path) -> None:
    zygote = _zygote_module()
    (tmp_path / "numpy-2.0.dist-info").mkdir()
    (tmp_path / "numpy-2.0.dist-info" / "top_level.txt").write_text("numpy\n")
    (tmp_path / "six-1.16.dist-info").mkdir()
    (tmp_path / "six-1.16.dist-info" / "RECORD").write_text(
        "six.py,sha256=x,1\nsix-1.16.dist-info/METADATA,,\n../../bin/tool,,\n"
        "_cffi_backend.cpython-311-x86_64-linux-gnu.so,,\n__pycache__/six.cpython-311.pyc,,\n"
    )
    assert zygote.installed_top_levels([str(tmp_path), str(tmp_path / "missing")]) == {
        "numpy",
        "six",
        "_cffi_backend",
    }


def test_preload_imports_distributions_and_the_standard_library_only(tmp_path: Path) -> None:
    (tmp_path / "dep").mkdir()
    (tmp_path / "dep" / "__init__.py").write_text("from dep import sub\n")
    (tmp_path / "dep" / "sub.py").write_text("")
    (tmp_path / "dep-1.0.dist-info").mkdir()
    (tmp_path / "dep-1.0.dist-info" / "RECORD").write_text("dep/__init__.py,,\n")
    (tmp_path / "mine.py").write_text("raise SystemExit('the function own code ran')\n")
    (tmp_path / "app.py").write_text("raise SystemExit('the handler ran')\n")
    (tmp_path / "broken-1.0.dist-info").mkdir()
    (tmp_path / "broken-1.0.dist-info" / "top_level.txt").write_text("broken\n")
    (tmp_path / "broken.py").write_text("raise ImportError('no')\n")
    script = (
        "import sys, importlib.util\n"
        f"sys.path.insert(0, {str(tmp_path)!r})\n"
        f"spec = importlib.util.spec_from_file_location('z', {str(ZYGOTE)!r})\n"
        "z = importlib.util.module_from_spec(spec); spec.loader.exec_module(z)\n"
        "names = ['app', 'mine', 'broken', 'dep', 'dep.sub', 'colorsys', 'nonexistent']\n"
        "count = z.preload(names, 'app.handler')\n"
        "print(count, sorted(n for n in ('app', 'mine', 'dep', 'dep.sub', 'colorsys',"
        " 'broken') if n in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-S", "-c", script], capture_output=True, text=True, timeout=60, check=True
    ).stdout.split(maxsplit=1)
    assert out[1].strip() == "['colorsys', 'dep', 'dep.sub']"
    assert int(out[0]) >= 3
