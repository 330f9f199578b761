"""API Gateway's cost: warm requests through an HTTP API route and a REST API route, next
to the same function's URL and a bare loopback HTTP server, in the same run.

    .venv/bin/python bench/gateway.py [--requests 1000] [--rounds 24] [--backend process]

For each way in: the server's CPU per request (user and system time of every thread of
``altus up``, from ``/proc``; the function's environment is another process and is not
counted), requests per second and the p50 latency, sequential requests on one keep-alive
connection. The ways in are measured in turns (``--rounds`` of each, every other round in
the reverse order), so that the machine's drift falls on all of them alike; the figures
are the medians of the rounds. The ratio that matters is the gateway's CPU per request
over the function URL's: taken within each round (the two measured one after the other,
so that the machine's slower drifts cancel), and its median over the rounds reported,
with the lowest and highest.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import Http, altus_process, bare_process, create_function

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
import boto3
from botocore.config import Config
from server_cpu import cpu_seconds

from altus.packaging import zip_files

HELLO = {
    "app.py": (
        "def handler(event, context):\n"
        "    return {'statusCode': 200, 'headers': {'content-type': 'text/plain'}, "
        "'body': 'hello'}\n"
    )
}
REGION = "us-east-1"
ACCOUNT = "000000000000"


def measure(pid: int | None, client: Http, path: str, count: int) -> dict[str, float]:
    """Server CPU µs per request (where ``pid`` is known), requests/s, p50 ms."""
    for _ in range(200):  # the environment, the connection and the caches warm
        client.timed("GET", path)
    before = cpu_seconds(pid) if pid is not None else (0.0, 0.0)
    latencies = []
    started = time.perf_counter()
    for _ in range(count):
        latencies.append(client.timed("GET", path))
    elapsed = time.perf_counter() - started
    after = cpu_seconds(pid) if pid is not None else (0.0, 0.0)
    cpu = (after[0] - before[0] + after[1] - before[1]) / count * 1e6
    return {"cpu": cpu, "rate": count / elapsed, "p50": statistics.median(latencies)}


def clients(url: str) -> tuple[Any, Any, Any]:
    config = Config(retries={"total_max_attempts": 1})
    made = [
        boto3.client(
            name,
            endpoint_url=url,
            region_name=REGION,
            aws_access_key_id="bench",
            aws_secret_access_key="bench",
            config=config,
        )
        for name in ("lambda", "apigatewayv2", "apigateway")
    ]
    return made[0], made[1], made[2]


def deploy(url: str) -> dict[str, str]:
    """The function ``hello``, its URL, an HTTP API and a REST API in front of it: the
    path of each (below ``url``)."""
    lam, v2, v1 = clients(url)
    arn = lam.get_function(FunctionName="hello")["Configuration"]["FunctionArn"]
    lam.add_permission(
        FunctionName="hello",
        StatementId="apigateway",
        Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com",
        SourceArn=f"arn:aws:execute-api:{REGION}:{ACCOUNT}:*",
    )
    function_url = lam.create_function_url_config(FunctionName="hello", AuthType="NONE")
    http_api = v2.create_api(Name="bench", ProtocolType="HTTP")
    integration = v2.create_integration(
        ApiId=http_api["ApiId"],
        IntegrationType="AWS_PROXY",
        IntegrationUri=arn,
        PayloadFormatVersion="2.0",
    )["IntegrationId"]
    v2.create_route(
        ApiId=http_api["ApiId"], RouteKey="GET /hello", Target=f"integrations/{integration}"
    )
    v2.create_stage(ApiId=http_api["ApiId"], StageName="$default", AutoDeploy=True)
    uri = f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{arn}/invocations"
    document = {
        "openapi": "3.0.1",
        "info": {"title": "bench", "version": "1"},
        "paths": {
            "/hello": {
                "get": {
                    "x-amazon-apigateway-integration": {
                        "type": "aws_proxy",
                        "httpMethod": "POST",
                        "uri": uri,
                    }
                }
            }
        },
    }
    rest_id = v1.import_rest_api(body=json.dumps(document).encode())["id"]
    v1.create_deployment(restApiId=rest_id, stageName="prod")
    return {
        "function URL": "/" + function_url["FunctionUrl"].split("/", 3)[3],
        "HTTP API route": f"/_aws/execute-api/{http_api['ApiId']}/hello",
        "REST API route": f"/_aws/execute-api/{rest_id}/prod/hello",
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=24)
    parser.add_argument("--backend", default="process", choices=["process", "linux"])
    args = parser.parse_args()
    results: dict[str, list[dict[str, float]]] = {}
    with bare_process() as (port, bare_pid):
        bare = Http(f"http://127.0.0.1:{port}")
        with altus_process({"ALTUS_SANDBOX": args.backend}) as (url, pid):
            client = Http(url)
            create_function(client, "hello", zip_files(HELLO), MemorySize=1769)
            paths = deploy(url)
            for round_ in range(args.rounds):
                results.setdefault("bare loopback HTTP server", []).append(
                    measure(bare_pid, bare, "/", args.requests)
                )
                ways = list(paths.items())
                for name, path in ways if round_ % 2 == 0 else reversed(ways):
                    results.setdefault(name, []).append(measure(pid, client, path, args.requests))
    rows = {
        name: {key: statistics.median(r[key] for r in runs) for key in runs[0]}
        for name, runs in results.items()
    }
    print(f"backend: {args.backend}; {args.requests} requests x {args.rounds} rounds")
    print(
        "| way in | server CPU per request (µs) | vs function URL (lowest-highest) "
        "| requests/s | p50 (ms) |"
    )
    print("|---|---:|---:|---:|---:|")
    for name, figures in rows.items():
        ratio = "—"
        if name != "bare loopback HTTP server":
            ratios = sorted(
                way["cpu"] / url["cpu"]
                for way, url in zip(results[name], results["function URL"], strict=True)
            )
            ratio = f"{statistics.median(ratios):.2f}x ({ratios[0]:.2f}-{ratios[-1]:.2f})"
        print(
            f"| {name} | {figures['cpu']:.0f} | {ratio} | {figures['rate']:.0f} | "
            f"{figures['p50']:.3f} |"
        )


if __name__ == "__main__":
    main()
