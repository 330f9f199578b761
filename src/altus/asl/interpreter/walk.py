"""Running a frame: state after state, each entered, handled by its type's handler, and
exited, until one ends the frame. A state whose exit is recorded is not handled again:
its output, next state and assignments come from the record (``~exit``, written with
its Exited event), so a resumed execution walks through what it did before at the cost
of journal look-ups. The next state's Entered event is written with them: one durable
write per transition."""

from __future__ import annotations

import asyncio
from typing import Any

from altus.asl.host import PREVIOUS_IN_APPEND, NewRecord
from altus.asl.interpreter import crew, events, limits
from altus.asl.interpreter.failures import Fatal
from altus.asl.interpreter.frames import Exit, Frame, Visit

#: The kind of the record that keeps what an exited state's event does not carry.
EXIT = "~exit"


async def run_frame(frame: Frame, data: Any) -> Any:
    """The frame's output; raises ``Failed``/``Fatal`` when a state fails it."""
    name = frame.start_at
    number = 0
    while True:
        state = frame.states[name]
        leaving = await run_state(frame, number, name, state, data)
        number += 1
        if leaving.next is None:
            return leaving.output
        name, data = leaving.next, leaving.output


async def run_state(frame: Frame, number: int, name: str, state: Any, data: Any) -> Exit:
    base = f"{frame.key}/{number}"
    key = f"{base}@{frame.run.generation_of(base)}"
    state_type = state["Type"]
    done = frame.run.find(f"{key}:exit")
    if done is not None:
        frame.find(f"{key}:exited")  # the frame's chain goes on from its Exited event
        frame.variables.update(done.details["assign"])
        return Exit(done.details["output"], done.details["next"])
    entered = frame.find(key)
    if entered is None:
        if limits.too_large(events.text(data)):
            raise Fatal(limits.exceeded(name))
        entered = await frame.event(
            key, events.state_event(state_type, "Entered"), events.entered(name, data)
        )
    visit = Visit(frame, key, name, state, data, entered)
    try:
        leaving = await frame.run.handlers[state_type](visit)
    except asyncio.CancelledError as stop:
        if crew.ABORT in stop.args and frame.public:
            await _aborted(visit)
        raise
    await _exit(visit, leaving, _next_entered(frame, number + 1, leaving))
    return leaving


def _next_entered(frame: Frame, number: int, leaving: Exit) -> NewRecord | None:
    """The next state's Entered event, to be written with this state's Exited (one
    write per transition, not two): None when the frame ends here, when the next state
    was entered before (a resumed or redriven run), or when its input is too large (its
    entry fails then, as ever)."""
    if leaving.next is None:
        return None
    base = f"{frame.key}/{number}"
    key = f"{base}@{frame.run.generation_of(base)}"
    if frame.run.find(key) is not None or frame.run.find(f"{key}:exit") is not None:
        return None
    if limits.too_large(events.text(leaving.output)):
        return None
    state_type = frame.states[leaving.next]["Type"]
    return NewRecord(
        key,
        events.state_event(state_type, "Entered"),
        events.entered(leaving.next, leaving.output),
        public=frame.public,
        previous_id=PREVIOUS_IN_APPEND,
    )


async def _exit(visit: Visit, leaving: Exit, following: NewRecord | None) -> None:
    if limits.too_large(events.text(leaving.output)):
        raise Fatal(limits.exceeded(visit.name))
    private = NewRecord(
        f"{visit.key}:exit",
        EXIT,
        {"output": leaving.output, "next": leaving.next, "assign": dict(leaving.assign)},
        public=False,
    )
    await visit.event(
        ":exited",
        events.state_event(visit.state["Type"], "Exited"),
        events.exited(visit.name, leaving.output),
        previous_id=leaving.previous_id,
        extra=[private] if following is None else [private, following],
    )
    visit.frame.variables.update(leaving.assign)


async def _aborted(visit: Visit) -> None:
    """``<Type>StateAborted`` (no details) of a state a failed sibling's halt stopped;
    it follows the failed frame's last event, as in AWS's histories."""
    tally = visit.frame.tally
    after = None if tally is None else tally.aborted_after()
    await visit.event(
        ":aborted",
        events.state_event(visit.state["Type"], "Aborted"),
        {},
        previous_id=after,
    )


def next_of(state: Any) -> str | None:
    """Where a state goes after it (None: it ends its frame)."""
    return None if state.get("End") else state.get("Next")
