"""Power tuning (``altus tune``, ``POST /_altus/tunings``): run a function at several
memory sizes and report duration, cost and the best sizes, as a job of the server's.

The function's tuned configuration ($LATEST as it runs, a version, or an alias's primary
version) is read once, when the job starts (``FunctionService.transient_base``): every
size is a copy of that snapshot, so a configuration changed while the job runs changes
none of its sizes (as AWS Lambda Power Tuning, which publishes from one snapshot too).
For each size the snapshot is copied into a *transient version* with only MemorySize
changed (``FunctionService.publish_transient``): never stored, never listed, never
numbered, so $LATEST, versions and aliases are untouched as users see them. The size
gets one warm-up invoke (its cold start: ``InitDurationMs``, left out of the
statistics; its failure is ``WarmUpFailed``, apart from the runs' ``Errors``), then
``Runs`` invokes through the Lambda invoker (one after another, or up
to ``PARALLEL_LIMIT`` at a time), and the transient version is dropped, whatever
happens. The job is written when it starts, after each size, and when it ends; one a
server stopped or crashed during is FAILED, at close or at the next start (its
transient versions died with the process: there is nothing else to clean).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from altus.awslambda.tuning_model import (
    FAILED,
    RUNNING,
    SUCCEEDED,
    SizeResult,
    Tuning,
    best_sizes,
    summarise,
)
from altus.awslambda.tuning_store import TuningStore
from altus.clock import Clock
from altus.control.arns import LATEST, FunctionRef, parse_function_ref
from altus.control.errors import InvalidParameterValue, ResourceConflict, ResourceNotFound
from altus.control.model import FunctionConfig
from altus.engine.invoker import InvokeRequest
from altus.errors import AltusError
from altus.prices import invocation_cost

if TYPE_CHECKING:
    from altus.awslambda.component import Lambda

log = logging.getLogger(__name__)

MAX_RUNS = 1000
DEFAULT_RUNS = 10
MAX_SIZES = 32
#: At most this many invokes of one size at once with ``Parallel``: enough to measure
#: concurrency, not so many that the warm pool's limit throttles them.
PARALLEL_LIMIT = 10
#: Lambda's synchronous payload limit.
MAX_PAYLOAD = 6 * 1024 * 1024
STOPPED = "The server stopped before the tuning ended."
_FIELDS = frozenset({"FunctionName", "Qualifier", "MemorySizes", "Payload", "Runs", "Parallel"})


@dataclass(frozen=True, slots=True)
class TuningRequest:
    function: str
    qualifier: str
    memory_sizes: tuple[int, ...]
    payload: str
    runs: int
    parallel: bool


def parse_request(body: Mapping[str, Any], lam: Lambda) -> TuningRequest:
    """A POST body, checked: InvalidParameterValue for a bad member, ValidationException
    for a malformed name, ResourceNotFound for a function or qualifier not here."""
    unknown = sorted(set(body) - _FIELDS)
    if unknown:
        raise InvalidParameterValue(
            f"Unknown member(s): {', '.join(unknown)}; expected {', '.join(sorted(_FIELDS))}"
        )
    name = body.get("FunctionName")
    if not isinstance(name, str) or not name:
        raise InvalidParameterValue("FunctionName is required: a function's name or ARN")
    qualifier = body.get("Qualifier")
    if qualifier is not None and (not isinstance(qualifier, str) or not qualifier):
        raise InvalidParameterValue("Qualifier must be a version or alias name")
    ref = parse_function_ref(name, lam.account, qualifier)
    qualifier = ref.qualifier or LATEST
    if not lam.functions.qualifier_exists(ref.name, qualifier):
        raise ResourceNotFound(
            f"Function not found: {lam.account.function_arn(ref.name, qualifier)}"
        )
    sizes = body.get("MemorySizes")
    if (
        not isinstance(sizes, list)
        or not sizes
        or not all(isinstance(s, int) and not isinstance(s, bool) for s in sizes)
    ):
        raise InvalidParameterValue("MemorySizes must be a non-empty list of whole numbers of MB")
    if len(sizes) > MAX_SIZES:
        raise InvalidParameterValue(f"MemorySizes may hold at most {MAX_SIZES} sizes")
    for size in sizes:
        if not 128 <= size <= 10240:
            raise InvalidParameterValue(
                f"MemorySizes: {size} is not a memory size Lambda allows (128 to 10240 MB)"
            )
    if len(set(sizes)) != len(sizes):
        raise InvalidParameterValue("MemorySizes must not repeat a size")
    payload = body.get("Payload", "{}")
    if not isinstance(payload, str):
        raise InvalidParameterValue("Payload must be JSON text (a string)")
    try:
        json.loads(payload)
    except ValueError:
        raise InvalidParameterValue("Payload must be JSON text: it could not be parsed") from None
    if len(payload.encode()) > MAX_PAYLOAD:
        raise InvalidParameterValue(f"Payload must be at most {MAX_PAYLOAD} bytes")
    runs = body.get("Runs", DEFAULT_RUNS)
    if isinstance(runs, bool) or not isinstance(runs, int) or not 1 <= runs <= MAX_RUNS:
        raise InvalidParameterValue(f"Runs must be a whole number from 1 to {MAX_RUNS}")
    parallel = body.get("Parallel", False)
    if not isinstance(parallel, bool):
        raise InvalidParameterValue("Parallel must be true or false")
    return TuningRequest(ref.name, qualifier, tuple(sorted(sizes)), payload, runs, parallel)


class Tuner:
    """Starts tuning jobs and runs them as tasks of the server's event loop."""

    def __init__(self, lam: Lambda, store: TuningStore, clock: Clock) -> None:
        self._lam = lam
        self.store = store
        self._clock = clock
        #: Tuning id -> its task, while it runs.
        self._tasks: dict[str, asyncio.Task[None]] = {}
        #: Function name -> the tuning id running on it (one at a time per function).
        self._running: dict[str, str] = {}

    async def start(self) -> None:
        """Fail the jobs a previous run of the server left RUNNING."""
        failed = await self.store.fail_running(STOPPED, self._clock.now())
        if failed:
            log.warning("%d tuning job(s) were cut short by the server's last stop", failed)

    async def close(self) -> None:
        """Stop every running job: each is FAILED, its transient versions dropped."""
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(BaseException):
                await task

    async def begin(self, request: TuningRequest) -> Tuning:
        """Write the job, then start it: RUNNING once this returns. ResourceConflict if
        one of this function is already running."""
        running = self._running.get(request.function)
        if running is not None:
            raise ResourceConflict(f"A tuning of {request.function} is already running: {running}")
        tuning = Tuning(
            tuning_id=uuid.uuid4().hex,
            function=request.function,
            qualifier=request.qualifier,
            memory_sizes=request.memory_sizes,
            payload=request.payload,
            runs=request.runs,
            parallel=request.parallel,
            status=RUNNING,
            started=self._clock.now(),
        )
        self._running[request.function] = tuning.tuning_id
        try:
            await self.store.put(tuning)
        except BaseException:
            del self._running[request.function]
            raise
        task = asyncio.get_running_loop().create_task(self._run(tuning))
        self._tasks[tuning.tuning_id] = task
        return tuning

    async def _run(self, tuning: Tuning) -> None:
        results: list[SizeResult] = []
        try:
            try:
                base = await self._lam.functions.transient_base(tuning.function, tuning.qualifier)
                for memory in tuning.memory_sizes:
                    results.append(await self._measure(tuning, base, memory))
                    tuning = tuning.replace(results=tuple(results))
                    await self.store.put(tuning)
                done = tuning.replace(
                    status=SUCCEEDED, ended=self._clock.now(), best=best_sizes(results)
                )
            except asyncio.CancelledError:
                done = tuning.replace(status=FAILED, error=STOPPED, ended=self._clock.now())
                await asyncio.shield(self._finish(done))
                raise
            except AltusError as error:
                done = tuning.replace(
                    status=FAILED, error=f"{error.code}: {error}", ended=self._clock.now()
                )
            except Exception as error:
                log.exception("tuning %s failed", tuning.tuning_id)
                done = tuning.replace(
                    status=FAILED, error=f"Internal error: {error}", ended=self._clock.now()
                )
            await self._finish(done)
        finally:
            self._tasks.pop(tuning.tuning_id, None)
            if self._running.get(tuning.function) == tuning.tuning_id:
                del self._running[tuning.function]

    async def _finish(self, tuning: Tuning) -> None:
        try:
            await self.store.put(tuning)
        except Exception:  # the next start fails it instead
            log.exception("could not record the end of tuning %s", tuning.tuning_id)

    async def _measure(self, tuning: Tuning, base: FunctionConfig, memory: int) -> SizeResult:
        """One size: a transient version of ``base``, a warm-up, the runs; the version
        dropped."""
        functions = self._lam.functions
        config = await functions.publish_transient(
            tuning.function, tuning.qualifier, tuning.tuning_id[:12], memory, base
        )
        try:
            ref = FunctionRef(tuning.function, config.version)
            payload = tuning.payload.encode()
            warm_up = await self._invoke(ref, payload)
            init = warm_up.init_ms
            if tuning.parallel:
                limit = asyncio.Semaphore(PARALLEL_LIMIT)

                async def bounded() -> _Run:
                    async with limit:
                        return await self._invoke(ref, payload)

                runs = list(await asyncio.gather(*(bounded() for _ in range(tuning.runs))))
            else:
                runs = [await self._invoke(ref, payload) for _ in range(tuning.runs)]
        finally:
            functions.drop_transient(tuning.function, config.version)
        good = [r for r in runs if r.ok]
        errors = len(runs) - len(good)
        prices = self._lam.settings.prices
        architecture = config.architectures[0] if config.architectures else "x86_64"
        return summarise(
            memory,
            tuning.runs,
            errors,
            [r.duration_ms for r in good],
            [r.billed_ms for r in good],
            [
                invocation_cost(prices, architecture, memory, r.billed_ms, config.ephemeral_storage)
                for r in good
            ],
            init,
            warm_up_failed=not warm_up.ok,
        )

    async def _invoke(self, ref: FunctionRef, payload: bytes) -> _Run:
        try:
            result = await self._lam.invoker.invoke(InvokeRequest(ref=ref, payload=payload))
        except (ResourceNotFound, ResourceConflict):
            raise  # the function is gone or changing: the job cannot go on
        except AltusError as error:  # throttled, say: a failed run of this size
            log.info("tuning invoke of %s failed: %s", ref.name, error)
            return _Run(ok=False)
        usage = result.usage
        if result.function_error is not None or usage is None:
            return _Run(ok=False, init_ms=usage.init_duration_ms if usage else None)
        return _Run(
            ok=True,
            duration_ms=usage.duration_ms,
            # As Lambda bills it: a run that cold-started (in parallel) includes its INIT.
            billed_ms=usage.billed_ms,
            init_ms=usage.init_duration_ms,
        )


@dataclass(frozen=True, slots=True)
class _Run:
    ok: bool
    duration_ms: float = 0.0
    billed_ms: int = 0
    init_ms: float | None = None
