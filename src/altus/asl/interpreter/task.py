"""The Task state: attempts of its call (``calls``) under its Retry, its result through
``ResultSelector``/``ResultPath``/``OutputPath`` (or ``Output``), its Catch."""

from __future__ import annotations

from typing import Any

from altus.asl import errors, resources
from altus.asl.errors import StatesError
from altus.asl.interpreter import calls
from altus.asl.interpreter.failures import Fatal
from altus.asl.interpreter.frames import Exit, Visit
from altus.asl.interpreter.recovery import run_attempts


async def run_task(visit: Visit) -> Exit:
    resource = resources.parse_resource(str(visit.state.get("Resource", "")))
    if resource is None:
        raise Fatal(
            visit.error(
                StatesError(errors.RUNTIME, f"Unsupported resource: {visit.state.get('Resource')}")
            )
        )

    async def attempt(number: int, retries: int, previous: int | None) -> tuple[Any, None]:
        return await calls.attempt(visit, resource, number, retries), None

    return await run_attempts(visit, attempt)
