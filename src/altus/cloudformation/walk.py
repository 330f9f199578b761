"""Running work over a dependency graph, as CloudFormation does: each node as soon as
the nodes it waits for are done, independent ones at once; after the first failure no
new node starts, and those running are let finish (a call cancelled half-way could leave a
resource no record knows of)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Set

#: How many resources one stack works on at once (CloudFormation's own bound is in the
#: same range; each is a thread of the self-call pool at a time).
PARALLEL = 8


class GraphFailed(Exception):
    """Nodes failed: their ids, in the order they failed."""

    def __init__(self, failed: list[str]) -> None:
        super().__init__(", ".join(failed))
        self.failed = failed


async def run_graph(
    nodes: Set[str],
    waits_for: Mapping[str, Set[str]],
    work: Callable[[str], Awaitable[None]],
    *,
    stop: Callable[[], bool] = lambda: False,
    parallel: int = PARALLEL,
    keep_going: bool = False,
) -> None:
    """Run ``work(node)`` for each node once every node it waits for (among ``nodes``:
    the others are taken as done) has run. ``work`` raising fails the node, and no node
    starts anew after that, unless ``keep_going`` (deletes: every node that does not
    wait for a failed one is still tried); ``stop()`` true also stops new starts. Raises
    GraphFailed naming the failed nodes (and ``RuntimeError`` where nodes can never
    start: a cycle, which validation refuses first)."""
    pending = set(nodes)
    done: set[str] = set()
    failed: list[str] = []
    running: dict[asyncio.Task[None], str] = {}
    try:
        while True:
            if (keep_going or not failed) and not stop():
                ready = sorted(
                    node
                    for node in pending
                    if all(d in done or d not in nodes for d in waits_for.get(node, ()))
                )
                for node in ready[: max(parallel - len(running), 0)]:
                    pending.discard(node)
                    running[asyncio.ensure_future(work(node))] = node
            if not running:
                break
            finished, _ = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
            for task in finished:
                node = running.pop(task)
                if task.cancelled() or task.exception() is not None:
                    failed.append(node)
                else:
                    done.add(node)
    except BaseException:
        for task in running:
            task.cancel()
        raise
    if failed:
        raise GraphFailed(failed)
    if pending and not stop():
        raise RuntimeError(f"nodes that can never start: {sorted(pending)}")


def reverse(waits_for: Mapping[str, Set[str]]) -> dict[str, set[str]]:
    """Who waits for each node: deletes run in this order (a node after everything that
    depends on it)."""
    dependents: dict[str, set[str]] = {node: set() for node in waits_for}
    for node, needs in waits_for.items():
        for need in needs:
            dependents.setdefault(need, set()).add(node)
    return dependents
