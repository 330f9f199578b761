"""The interpreter of the Amazon States Language: ``run_execution`` runs an execution of
a (validated) definition against a ``Host`` (``altus.asl.host``), durably by journal
replay, and returns its ``Outcome``. Modules: ``execution`` (start to end), ``walk``
(a frame's states), ``frames`` (keys, event chains, variables), ``dataflow`` (both query
languages), ``flow_states`` / ``task`` + ``calls`` / ``parallel`` / ``mapping`` +
``items`` + ``distributed`` (the state types), ``recovery`` (Retry and Catch), ``crew``
(branches and iterations together), ``events`` and ``limits``."""

from altus.asl.interpreter.execution import FAILED, SUCCEEDED, TIMED_OUT, Outcome, run_execution
from altus.asl.interpreter.frames import SUSPEND

__all__ = ["FAILED", "SUCCEEDED", "SUSPEND", "TIMED_OUT", "Outcome", "run_execution"]
