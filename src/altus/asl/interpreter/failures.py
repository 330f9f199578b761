"""How a failure leaves a state: ``Failed`` goes to the state's Retry and Catch, then to
the enclosing Parallel or Map, then ends the execution; ``Fatal`` (``States.Runtime``,
``States.DataLimitExceeded``) ends the execution at once, past every Retry and Catch.

Errors found while a state works on its data (paths, intrinsics, JSONata) carry AWS's
prefix naming the state and the event it was entered at, as the history shows them."""

from __future__ import annotations

from altus.asl import errors
from altus.asl.errors import StatesError


class Failed(Exception):
    """A failure Retry and Catch may handle. ``last_id``: the id of the last event of
    the frame it failed (a Parallel's or Map's failure event follows it)."""

    def __init__(self, error: StatesError, *, last_id: int = 0) -> None:
        super().__init__(str(error))
        self.error = error
        self.last_id = last_id


class Fatal(Exception):
    """A failure nothing handles: the execution fails with it."""

    def __init__(self, error: StatesError) -> None:
        super().__init__(str(error))
        self.error = error


def raised(error: StatesError) -> Failed | Fatal:
    """The exception ``error`` leaves a state as: terminal names are fatal."""
    return Fatal(error) if error.error in errors.TERMINAL else Failed(error)


def prefixed(error: StatesError, state_name: str, entered_id: int) -> StatesError:
    """``error`` with AWS's prefix: "An error occurred while executing the state 'S'
    (entered at the event id #N). <cause>"."""
    prefix = (
        f"An error occurred while executing the state '{state_name}' "
        f"(entered at the event id #{entered_id})."
    )
    cause = f"{prefix} {error.cause}" if error.cause else prefix
    return StatesError(error.error, cause)
