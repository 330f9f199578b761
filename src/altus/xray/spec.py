"""The X-Ray service, as the framework sees it: botocore's ``xray`` model (rest-json),
the operations Altus serves (docs/tracing.md), its table (in a ``traces`` database of
its own, not durable: like logs), its component and its page of its own."""

from __future__ import annotations

from altus.api.spec import Schemas, ServiceSpec
from altus.api.validate import CoralViolations
from altus.xray import api, routes
from altus.xray.component import XRay
from altus.xray.errors import InvalidRequest, XRayError
from altus.xray.sql_store import SCHEMA

SPEC = ServiceSpec(
    name="xray",
    operations={
        "PutTraceSegments": api.put_trace_segments,
        "BatchGetTraces": api.batch_get_traces,
        "GetTraceSummaries": api.get_trace_summaries,
        "GetTraceGraph": api.get_trace_graph,
    },
    errors=XRayError,
    violations=CoralViolations(InvalidRequest),
    build=XRay,
    schemas=(Schemas((SCHEMA,), database="traces", durable=False),),
    routes=routes.routes,
)
