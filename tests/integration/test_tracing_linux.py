"""The X-Ray daemon reached from the linux sandbox: on the host network functions send
to its address directly; in an isolated network (loopback only) init relays the
datagrams sent to 127.0.0.1:2000 inside to it, as it relays the Runtime API."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from altus.testing import Harness
from tests.conftest import NEEDS_LINUX_SANDBOX, PYTHON_RUNTIME, needs_linux_sandbox
from tests.functional.test_tracing import FUNCTION

pytestmark = [pytest.mark.integration, NEEDS_LINUX_SANDBOX]

ROOT = "1-5759e988-0000000000000000000011c0"


@pytest.fixture(scope="module", params=["host", "isolated"])
def linux(request: pytest.FixtureRequest) -> Iterator[tuple[str, Harness]]:
    needs_linux_sandbox()  # before the server starts (this fixture outlives the mark's)
    with Harness(sandbox="linux", clock=None, sandbox_network=request.param) as altus:
        altus.create_function(
            "traced",
            files={"app.py": FUNCTION},
            runtime=PYTHON_RUNTIME,
            TracingConfig={"Mode": "Active"},
        )
        yield request.param, altus


def test_a_functions_segment_reaches_the_daemon(linux: tuple[str, Harness]) -> None:
    network, altus = linux
    root = ROOT[:-1] + ("1" if network == "host" else "2")
    lam = altus.client("lambda")

    def add(request: Any, **_: Any) -> None:
        request.headers["X-Amzn-Trace-Id"] = f"Root={root};Sampled=1"

    lam.meta.events.register("before-sign.lambda.Invoke", add)
    body = json.loads(
        lam.invoke(FunctionName="traced", Payload=b'{"send": true}')["Payload"].read()
    )
    assert body["daemon"] == ("127.0.0.1:2000" if network == "isolated" else body["daemon"])
    xray = altus.client("xray")
    for _ in range(400):
        traces = xray.batch_get_traces(TraceIds=[root])["Traces"]
        docs = [json.loads(s["Document"]) for s in traces[0]["Segments"]] if traces else []
        function = [d for d in docs if d.get("origin") == "AWS::Lambda::Function"]
        if function and "work" in [s["name"] for s in function[0].get("subsegments", [])]:
            return
        time.sleep(0.05)
    raise AssertionError(f"the function's segment never arrived ({network} network)")
