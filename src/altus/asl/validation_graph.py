"""The transitions of one scope (the machine's States, a Parallel branch's, a Map's
ItemProcessor's): every target names a state of the same scope, every state is reached from
StartAt, and the machine has a terminal state.

What AWS does here, recorded against it: a target naming no state is ``Missing 'Next'
target: <name>`` whatever field holds it (``/StartAt``, ``/States/A/Next``,
``/States/C/Choices[0]/Next``, ``/States/A/Default``, ``/States/T/Catch[0]/Next``); a state
no path reaches is ``State "<name>" is not reachable.`` at the state; both are
``MISSING_TRANSITION_TARGET``. ``Workflow has no terminal state`` (``MISSING_END_STATE``,
no location) is checked for the machine's own States only, a loop without an end inside a
branch passes, and when it fires the unreachable states of that scope are not reported."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from altus.asl import diagnostics as d
from altus.asl.validation_context import Context


def transitions(state: Mapping[str, Any], location: str) -> Iterator[tuple[str, str]]:
    """Each ``(target, location)`` ``state`` may transition to: its Next, its Choice rules'
    Next and its Default, its catchers' Next (strings only: others are schema errors)."""
    if isinstance(state.get("Next"), str):
        yield state["Next"], f"{location}/Next"
    choices = state.get("Choices")
    if state.get("Type") == "Choice" and isinstance(choices, list):
        for index, rule in enumerate(choices):
            if isinstance(rule, Mapping) and isinstance(rule.get("Next"), str):
                yield rule["Next"], f"{location}/Choices[{index}]/Next"
    if state.get("Type") == "Choice" and isinstance(state.get("Default"), str):
        yield state["Default"], f"{location}/Default"
    catchers = state.get("Catch")
    if isinstance(catchers, list):
        for index, catcher in enumerate(catchers):
            if isinstance(catcher, Mapping) and isinstance(catcher.get("Next"), str):
                yield catcher["Next"], f"{location}/Catch[{index}]/Next"


def is_terminal(state: object) -> bool:
    return isinstance(state, Mapping) and (
        state.get("End") is True or state.get("Type") in ("Succeed", "Fail")
    )


def check_graph(
    ctx: Context, start_at: object, states: Mapping[str, Any], scope: str, top: bool
) -> None:
    """Report the scope's missing targets, then its unreachable states, then (the machine's
    own scope only) a workflow without a terminal state."""
    states_at = f"{scope}/States"
    edges: dict[str, list[str]] = {}
    if isinstance(start_at, str) and start_at not in states:
        ctx.graph_error(
            d.MISSING_TRANSITION_TARGET, f"Missing 'Next' target: {start_at}", f"{scope}/StartAt"
        )
    for name, state in states.items():
        edges[name] = []
        if not isinstance(state, Mapping):
            continue
        for target, location in transitions(state, f"{states_at}/{name}"):
            if target in states:
                edges[name].append(target)
            else:
                ctx.graph_error(
                    d.MISSING_TRANSITION_TARGET, f"Missing 'Next' target: {target}", location
                )
    if top and not any(is_terminal(state) for state in states.values()):
        ctx.graph_error(d.MISSING_END_STATE, "Workflow has no terminal state", None)
        return
    if not isinstance(start_at, str):
        return  # a missing StartAt is the schema's to report
    reached = _reach(start_at, edges)
    for name in states:
        if name not in reached:
            ctx.graph_error(
                d.MISSING_TRANSITION_TARGET,
                f'State "{name}" is not reachable.',
                f"{states_at}/{name}",
            )


def _reach(start_at: object, edges: Mapping[str, list[str]]) -> set[str]:
    if not isinstance(start_at, str) or start_at not in edges:
        return set()
    reached = {start_at}
    pending = [start_at]
    while pending:
        for target in edges[pending.pop()]:
            if target not in reached:
                reached.add(target)
                pending.append(target)
    return reached
