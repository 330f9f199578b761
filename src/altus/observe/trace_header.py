"""X-Ray's trace header (``X-Amzn-Trace-Id``, ``_X_AMZN_TRACE_ID``, SQS's
``AWSTraceHeader``): ``Root=1-<8 hex time>-<24 hex>;Parent=<16 hex>;Sampled=<0|1|?>``,
and how Lambda joins a caller's trace.

Pure functions: every hop that carries a trace (the Invoke API's header, async events,
mappings, API Gateway, Step Functions) parses and writes it here, and the invoker decides
here what the function sees.

How Lambda decides (``TracingConfig``): ``Active`` traces a request that arrives with no
sampling decision (``Sampled=1``: every such request is sampled, as X-Ray's default rule
does for the first request each second and Altus does for all; there are no sampling
rules); ``PassThrough`` follows the caller's decision and samples nothing by itself. A
request that arrives with ``Sampled=0`` or ``Sampled=1`` keeps that decision either way.
A sampled invocation gets the platform's two segments (``AWS::Lambda`` and
``AWS::Lambda::Function``), and the function sees the function segment as its parent, so
what its SDK sends nests under it.
"""

from __future__ import annotations

import random
import re
import time
from dataclasses import dataclass

_ROOT = re.compile(r"1-[0-9a-f]{8}-[0-9a-f]{24}")
_ID = re.compile(r"[0-9a-f]{16}")
_ID_MASK = (1 << 64) - 1
#: The longest header read (a longer one is not X-Ray's: a new trace starts).
MAX_HEADER = 1024


@dataclass(frozen=True, slots=True)
class TraceHeader:
    root: str
    parent: str | None = None
    #: True / False: the caller's decision; None: none made (``Sampled=?`` or absent).
    sampled: bool | None = None

    def format(self) -> str:
        parts = [f"Root={self.root}"]
        if self.parent:
            parts.append(f"Parent={self.parent}")
        if self.sampled is not None:
            parts.append(f"Sampled={int(self.sampled)}")
        return ";".join(parts)


def parse(text: str | None) -> TraceHeader | None:
    """The header's fields, or None when it has no valid ``Root`` (a header that is not
    X-Ray's is ignored, as AWS's services ignore it: a new trace starts)."""
    if not text or len(text) > MAX_HEADER:
        return None
    fields: dict[str, str] = {}
    for part in text.split(";"):
        key, _, value = part.strip().partition("=")
        fields.setdefault(key.strip(), value.strip())
    root = fields.get("Root", "").lower()
    if not _ROOT.fullmatch(root):
        return None
    parent = fields.get("Parent", "").lower()
    sampled = {"1": True, "0": False}.get(fields.get("Sampled", ""))
    return TraceHeader(root, parent if _ID.fullmatch(parent) else None, sampled)


def new_root(now: float | None = None) -> str:
    """A new trace id: the epoch second in 8 hex digits, then 96 random bits."""
    seconds = int(time.time() if now is None else now)
    return f"1-{seconds:08x}-{random.getrandbits(96):024x}"


def new_id() -> str:
    """A segment id: 64 bits in 16 hex digits (unique, not unpredictable)."""
    return f"{random.getrandbits(64):016x}"


def fresh(sampled: bool | None = None) -> TraceHeader:
    """A new trace's header, as a service at the edge starts one: a ``Root`` (and a
    decision), no ``Parent``. Altus's services record no segment of their own, so none
    is there to be a parent: Lambda's segment is then the trace's root, not a child of
    a segment that was never sent."""
    return TraceHeader(new_root(), None, sampled)


def ensure(text: str | None) -> str:
    """The header ``text`` is, rewritten in its normal form (``Root``, ``Parent``,
    ``Sampled``; nothing else, so never longer than 80 characters), or a new trace's
    (no sampling decision) where it is not one: what API Gateway and an async invoke
    hand on and store."""
    found = parse(text)
    return (found or fresh()).format()


def normal(text: str | None) -> str | None:
    """The header ``text`` is, in its normal form (as ``ensure``), or None where it is
    none: what a service that carries a caller's trace but starts none (SNS,
    EventBridge) stores, so a header of any size or shape never travels on."""
    found = parse(text)
    return found.format() if found is not None else None


def traced(text: str | None, active: bool) -> str | None:
    """What a service with X-Ray tracing ``active`` (a state machine's
    TracingConfiguration) hands on: the caller's trace, or a new one, sampled unless the
    caller decided otherwise; without tracing, the caller's header normalised (None:
    there is none, or it is not X-Ray's)."""
    if not active:
        return normal(text)
    found = parse(text) or fresh()
    if found.sampled is None:
        found = TraceHeader(found.root, found.parent, True)
    return found.format()


@dataclass(frozen=True, slots=True)
class FunctionTrace:
    """One invocation's place in its trace."""

    #: The header the function sees (``_X_AMZN_TRACE_ID``).
    header: str
    root: str
    sampled: bool
    #: The caller's segment (the ``AWS::Lambda`` segment's parent), if it named one.
    caller: str | None = None
    #: The platform's segments' ids (sampled invocations only).
    service_id: str | None = None
    function_id: str | None = None


def unsampled() -> str:
    """The header of a new trace that is not sampled: what a ``PassThrough`` function
    invoked with no header sees. The warm path of every untraced invoke, so one
    f-string (``for_function``'s answer for that case, without its objects)."""
    bits = random.getrandbits(160)
    return (
        f"Root=1-{int(time.time()):08x}-{bits >> 64:024x};Parent={bits & _ID_MASK:016x};Sampled=0"
    )


def for_function(upstream: str | None, mode: str) -> FunctionTrace:
    """What an invocation of a function with TracingConfig ``mode`` (``Active`` or
    ``PassThrough``) joins, given the caller's header (None: there is none)."""
    given = parse(upstream)
    decided = given.sampled if given is not None else None
    sampled = decided if decided is not None else mode == "Active"
    root = given.root if given is not None else new_root()
    caller = given.parent if given is not None else None
    if not sampled:
        header = TraceHeader(root, caller or new_id(), False).format()
        return FunctionTrace(header, root, False, caller)
    service_id, function_id = new_id(), new_id()
    header = TraceHeader(root, function_id, True).format()
    return FunctionTrace(header, root, True, caller, service_id, function_id)


def otlp_trace_id(root: str) -> str:
    """The 32 hex digits of an X-Ray trace id (``1-<8>-<24>``), as OpenTelemetry's trace
    id (the X-Ray id's time and random parts, in order: what X-Ray's own OTLP
    propagation does)."""
    return root[2:10] + root[11:]
