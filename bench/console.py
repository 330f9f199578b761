"""The web console in Chromium: how long its main pages take to load, and screenshots of
them for the docs.

    .venv/bin/python bench/console.py [--rounds 10] [--screenshots docs/console/]

Starts ``altus up`` (open mode, loopback; the console on a free port of its own),
seeds an example (two functions invoked a few dozen times, one with an error now and
then; a state machine and an execution of it; a queue, a topic, a stack), then drives
headless Chromium (Debian's ``/usr/bin/chromium`` through Playwright; nothing
downloaded). Each page is loaded
``--rounds`` times in a fresh tab: the time from navigation to the ``load`` event, and
(for pages with charts or graphs) to the first chart point or state drawn. In the same
run, the same browser loads the console's stylesheet (a static file of the console's
listener) and the API's ``/_altus/health``, the baseline the ratios are against.
"""

from __future__ import annotations

import argparse
import json
import socket
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import altus_process, summary

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
from altus.packaging import zip_files

CHROMIUM = "/usr/bin/chromium"
CONSOLE = "/_altus/console"
ROLE = "arn:aws:iam::000000000000:role/bench-role"
RUNTIME = f"python{sys.version_info.major}.{sys.version_info.minor}"
HANDLER = """import json, random, time
def handler(event, context):
    time.sleep(random.random() / 50)
    print("order", json.dumps(event))
    if event.get("fail"):
        raise ValueError("the order was refused")
    return {"ok": True, "items": event.get("items", 0)}
"""
MACHINE = {
    "Comment": "An order: checked, charged (retried, failures caught), then shipped.",
    "StartAt": "Validate",
    "States": {
        "Validate": {"Type": "Pass", "Result": {"items": 3}, "Next": "Has items?"},
        "Has items?": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.items", "NumericGreaterThan": 0, "Next": "Fulfil"}],
            "Default": "Rejected",
        },
        "Fulfil": {
            "Type": "Parallel",
            "Branches": [
                {"StartAt": "Charge", "States": {"Charge": {"Type": "Pass", "End": True}}},
                {
                    "StartAt": "Reserve",
                    "States": {
                        "Reserve": {"Type": "Pass", "Next": "Label"},
                        "Label": {"Type": "Pass", "End": True},
                    },
                },
            ],
            "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Rejected"}],
            "Next": "Ship",
        },
        "Ship": {"Type": "Pass", "Next": "Shipped"},
        "Shipped": {"Type": "Succeed"},
        "Rejected": {"Type": "Fail", "Error": "OrderRejected"},
    },
}
TEMPLATE = {
    "Resources": {
        "Orders": {"Type": "AWS::SQS::Queue", "Properties": {"VisibilityTimeout": 30}},
        "Alerts": {"Type": "AWS::SNS::Topic"},
    },
    "Outputs": {"QueueUrl": {"Value": {"Ref": "Orders"}}},
}


def client(url: str, service: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="bench",
        aws_secret_access_key="bench",
        config=Config(retries={"total_max_attempts": 1}),
    )


def seed(url: str) -> dict[str, str]:
    """The example the pages show; what the screenshots need to find it."""
    lam = client(url, "lambda")
    package = zip_files({"app.py": HANDLER})
    for name in ("orders", "payments"):
        lam.create_function(
            FunctionName=name,
            Runtime=RUNTIME,
            Handler="app.handler",
            Role=ROLE,
            Code={"ZipFile": package},
            MemorySize=256,
        )
        lam.get_waiter("function_active_v2").wait(FunctionName=name)
    lam.publish_version(FunctionName="orders", Description="first release")
    lam.create_alias(FunctionName="orders", Name="live", FunctionVersion="1")
    for index in range(40):
        event = {"items": index % 5, "fail": index % 13 == 0}
        lam.invoke(FunctionName="orders", Payload=json.dumps(event).encode())
        if index % 2:
            lam.invoke(FunctionName="payments", Payload=b"{}")
    sfn = client(url, "stepfunctions")
    machine = sfn.create_state_machine(
        name="order-flow", definition=json.dumps(MACHINE), roleArn=ROLE
    )["stateMachineArn"]
    execution = sfn.start_execution(stateMachineArn=machine, input="{}")["executionArn"]
    for _ in range(100):  # bounded: a few Pass states finish at once
        if sfn.describe_execution(executionArn=execution)["status"] != "RUNNING":
            break
        time.sleep(0.1)
    client(url, "sqs").create_queue(QueueName="inbox")
    client(url, "sns").create_topic(Name="notices")
    cfn = client(url, "cloudformation")
    cfn.create_stack(StackName="shop", TemplateBody=json.dumps(TEMPLATE))
    for _ in range(300):  # bounded
        status = cfn.describe_stacks(StackName="shop")["Stacks"][0]["StackStatus"]
        if not status.endswith("IN_PROGRESS"):
            break
        time.sleep(0.2)
    return {"machine": machine, "execution": execution}


#: (name, console path or absolute path, what marks it drawn, or None)
def pages(seeded: dict[str, str]) -> list[tuple[str, str, str | None]]:
    from urllib.parse import quote

    return [
        ("dashboard", CONSOLE + "/", "svg.chart [data-value]"),
        ("functions", CONSOLE + "/functions", None),
        ("function", CONSOLE + "/functions/orders", "svg.chart [data-value]"),
        (
            "state-machine",
            CONSOLE + "/statemachine?arn=" + quote(seeded["machine"], safe=""),
            "svg.graph g.state",
        ),
        (
            "execution",
            CONSOLE + "/execution?arn=" + quote(seeded["execution"], safe=""),
            "svg.graph g.state-succeeded",
        ),
        ("stack", CONSOLE + "/stacks/shop", None),
        ("queues", CONSOLE + "/queues", None),
        ("cost", CONSOLE + "/cost", None),
    ]


BASELINES = [
    ("baseline: static stylesheet", CONSOLE + "/static/console.css", None),
    ("baseline: /_altus/health", "/_altus/health", None),
]


_TIMING = """() => {
  const n = performance.getEntriesByType("navigation")[0];
  return [n.responseStart - n.startTime, n.domContentLoadedEventEnd - n.startTime,
          n.loadEventEnd - n.startTime];
}"""


def timed_load(browser: Any, url: str, marker: str | None) -> tuple[float, float, float]:
    """The browser's own Navigation Timing of one load in a fresh tab (ms from navigation
    start): first byte of the answer, DOMContentLoaded, the load event. A page's charts
    and graphs are inline SVG, so they are drawn by DOMContentLoaded: ``marker`` is
    checked to be there, not timed."""
    page = browser.new_page()
    try:
        page.goto(url, wait_until="load")
        if marker is not None:
            page.wait_for_selector(marker, state="attached", timeout=30_000)
        for _ in range(100):  # bounded: loadEventEnd is set just after the load event
            first_byte, ready, loaded = page.evaluate(_TIMING)
            if loaded > 0:
                break
            time.sleep(0.01)
        return first_byte, ready, loaded
    finally:
        page.close()


def free_port() -> int:
    """A port free now on loopback, for the console (the server binds it moments later)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def measure(browser: Any, urls: tuple[str, str], rounds: int, seeded: dict[str, str]) -> str:
    """``urls``: the API's and the console's."""
    rows: list[tuple[str, dict[str, float], dict[str, float], dict[str, float]]] = []
    # One warm-up load of each: the server's first page pays for Jinja2 and the templates.
    for _, path, marker in [*BASELINES, *pages(seeded)]:
        timed_load(browser, _at(urls, path), marker)
    for name, path, marker in [*BASELINES, *pages(seeded)]:
        first, ready, loaded = [], [], []
        for _ in range(rounds):
            a, b, c = timed_load(browser, _at(urls, path), marker)
            first.append(a)
            ready.append(b)
            loaded.append(c)
        rows.append((name, summary(first), summary(ready), summary(loaded)))
    base = rows[1][3]["p50"]
    lines = [
        "| page | first byte p50 (ms) | DOMContentLoaded p50 (ms) | load p50 (ms) "
        "| load p99 (ms) | load p50 / health |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, first_s, ready_s, loaded_s in rows:
        lines.append(
            f"| {name} | {first_s['p50']:.1f} | {ready_s['p50']:.1f} | {loaded_s['p50']:.1f} "
            f"| {loaded_s['p99']:.1f} | {loaded_s['p50'] / base:.1f}x |"
        )
    return "\n".join(lines)


def _at(urls: tuple[str, str], path: str) -> str:
    """``path`` on the console's listener (its pages) or the API's (the rest)."""
    api, console = urls
    return (console if path.startswith(CONSOLE) else api) + path


def screenshots(browser: Any, url: str, folder: Path, seeded: dict[str, str]) -> list[Path]:
    """``url``: the console's."""
    folder.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    page = context.new_page()
    made = []

    def shot(
        name: str, path: str, marker: str | None, before: Callable[[], None] | None = None
    ) -> None:
        page.goto(url + path, wait_until="load")
        if marker:
            page.wait_for_selector(marker, state="attached", timeout=30_000)
        if before is not None:
            before()
        target = folder / f"{name}.png"
        page.screenshot(path=str(target), full_page=False)
        made.append(target)

    for name, path, marker in pages(seeded):
        if name == "function":

            def invoke() -> None:
                page.fill("#payload", json.dumps({"items": 2}))
                page.click("#invoke")
                page.wait_for_selector("#invoke-result:has-text('items')")
                page.wait_for_selector("#tail .line", timeout=30_000)

            shot(name, path, marker, invoke)
        elif name not in ("queues",):
            shot(name, path, marker)
    context.close()
    return made


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--screenshots", type=Path, default=None)
    parser.add_argument("--no-timing", action="store_true")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    port = free_port()
    environment = {"ALTUS_SANDBOX": "process", "ALTUS_CONSOLE_PORT": str(port)}
    with altus_process(environment) as (url, _), sync_playwright() as playwright:
        console = f"http://127.0.0.1:{port}"
        seeded = seed(url)
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            # The metrics of the seeding invokes are published within moments.
            time.sleep(3)
            if args.screenshots is not None:
                for path in screenshots(browser, console, args.screenshots, seeded):
                    print(f"wrote {path} ({path.stat().st_size // 1024} KiB)")
            if not args.no_timing:
                print(f"## Console page loads in Chromium ({args.rounds} rounds, fresh tab each)\n")
                print(measure(browser, (url, console), args.rounds, seeded))
        finally:
            browser.close()


if __name__ == "__main__":
    main()
