"""``altus sync --watch``: from a file saved to the new code answering through an HTTP
API, for a function without dependencies and one whose requirements.txt names a local
package (so pip runs on every build), next to the floors measured in the same run:
``watchfiles`` reporting a write (with the watch's own step and debounce), and
UpdateFunctionCode of a ready zip until the API answers with it (no build).

    .venv/bin/python bench/sync_watch.py [--rounds 20] [--sandbox process]
    .venv/bin/python bench/sync_watch.py --endpoint http://127.0.0.1:9000 [--data-dir .altus]

A project of two such functions behind one SAM HTTP API is deployed once (``altus
deploy``); the watch loop (``altus.cli.sync.watch``) then runs in a thread. Each round
writes a new version of one function's ``app.py`` and polls its route every 5 ms on a
keep-alive connection until the answer names that version; the clock starts just
before the write. The ways are measured in turns, every other round in the reverse
order, so the machine's drift falls on all of them alike. The first answer of new code
is a cold start of a new environment, in every way alike.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import queue
import statistics
import sys
import tempfile
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import PYTHON_RUNTIME, altus_process, percentile

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
import httpx
import watchfiles

from altus.cli.deploy import Clients, DeployOptions, connect, deploy
from altus.cli.sync import DEBOUNCE_MS, STEP_MS, watch
from altus.packaging import zip_files

#: How long one round may wait for the new answer before the run is abandoned.
PATIENCE = 120.0

TEMPLATE = f"""
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Runtime: {PYTHON_RUNTIME}
    Handler: app.handler
Resources:
  Plain:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: plain
      Events:
        Get:
          Type: HttpApi
          Properties: {{Path: /plain, Method: GET}}
  Packaged:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: packaged
      Events:
        Get:
          Type: HttpApi
          Properties: {{Path: /packaged, Method: GET}}
Outputs:
  ApiEndpoint:
    Value: !GetAtt ServerlessHttpApi.ApiEndpoint
"""

HANDLER = """
def handler(event, context):
    return {{"statusCode": 200, "body": "{version}"}}
"""
PACKAGED_HANDLER = """
import tinypkg

def handler(event, context):
    return {{"statusCode": 200, "body": "{version}" + tinypkg.WORD[:0]}}
"""

# A PEP 517 backend in the package's folder, needing nothing installed (no network).
BACKEND = """
import base64, hashlib, os, zipfile

def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    here = os.path.dirname(os.path.abspath(__file__))
    files = {"tinypkg/__init__.py": open(os.path.join(here, "tinypkg", "__init__.py"), "rb").read()}
    dist = "tinypkg-0.1.dist-info"
    files[dist + "/METADATA"] = b"Metadata-Version: 2.1\\nName: tinypkg\\nVersion: 0.1\\n"
    files[dist + "/WHEEL"] = (
        b"Wheel-Version: 1.0\\nGenerator: b\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n"
    )
    name = "tinypkg-0.1-py3-none-any.whl"
    record = []
    with zipfile.ZipFile(os.path.join(wheel_directory, name), "w") as wheel:
        for path, data in files.items():
            wheel.writestr(path, data)
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
            record.append(f"{path},sha256={digest.decode()},{len(data)}")
        record.append(dist + "/RECORD,,")
        wheel.writestr(dist + "/RECORD", "\\n".join(record) + "\\n")
    return name
"""


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip())


def make_project(root: Path) -> Path:
    write(root / "plain/app.py", HANDLER.format(version="v0"))
    write(root / "packaged/app.py", PACKAGED_HANDLER.format(version="v0"))
    write(root / "packaged/requirements.txt", "--no-index\n../libs/tinypkg\n")
    write(
        root / "libs/tinypkg/pyproject.toml",
        '[build-system]\nrequires = []\nbuild-backend = "backend"\nbackend-path = ["."]\n\n'
        '[project]\nname = "tinypkg"\nversion = "0.1"\n',
    )
    write(root / "libs/tinypkg/backend.py", BACKEND)
    write(root / "libs/tinypkg/tinypkg/__init__.py", 'WORD = "tiny"\n')
    write(root / "template.yaml", TEMPLATE)
    return root / "template.yaml"


def until_answer(http: httpx.Client, url: str, wanted: str, started: float) -> float:
    """Seconds from ``started`` until GET ``url`` answers ``wanted``."""
    while time.perf_counter() - started < PATIENCE:
        response = http.get(url)
        if response.status_code == 200 and response.text == wanted:
            return time.perf_counter() - started
        time.sleep(0.005)
    raise RuntimeError(f"{url} did not answer {wanted!r} within {PATIENCE} s")


@contextlib.contextmanager
def watching(options: DeployOptions, clients: Clients) -> Iterator[None]:
    """The watch loop in a thread, until the block ends."""
    stop, ready = threading.Event(), threading.Event()
    lines: list[str] = []
    thread = threading.Thread(
        target=watch,
        args=(options, clients, lines.append),
        kwargs={"stop": stop, "watching": ready},
        daemon=True,
    )
    thread.start()
    if not ready.wait(PATIENCE):
        raise RuntimeError("the watch did not start:\n" + "\n".join(lines))
    try:
        yield
    finally:
        stop.set()
        thread.join(PATIENCE)


@contextlib.contextmanager
def bare_watch(folder: Path) -> Iterator[queue.Queue[float]]:
    """watchfiles alone on ``folder``, with the watch's step and debounce: each batch's
    arrival time (perf_counter) on the queue."""
    stop = threading.Event()
    arrivals: queue.Queue[float] = queue.Queue()
    started = threading.Event()

    def run() -> None:
        for changes in watchfiles.watch(
            folder,
            debounce=DEBOUNCE_MS,
            step=STEP_MS,
            stop_event=stop,
            rust_timeout=200,
            yield_on_timeout=True,
        ):
            started.set()
            if changes:
                arrivals.put(time.perf_counter())

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    started.wait(PATIENCE)
    try:
        yield arrivals
    finally:
        stop.set()
        thread.join(PATIENCE)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--endpoint", help="a running server (default: start one)")
    parser.add_argument("--data-dir", help="the running server's data directory (its key)")
    parser.add_argument("--sandbox", help="the started server's sandbox backend")
    args = parser.parse_args()
    with contextlib.ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="altus-sync-")))
        if args.endpoint:
            endpoint = args.endpoint
            if args.data_dir:
                os.environ["ALTUS_DATA_DIR"] = args.data_dir
        else:
            data_dir = folder / "data"
            env = {"ALTUS_SANDBOX": args.sandbox} if args.sandbox else {}
            endpoint, _ = stack.enter_context(altus_process(env, data_dir=str(data_dir)))
            os.environ["ALTUS_DATA_DIR"] = str(data_dir)
        clients = connect(endpoint)
        root = folder / "project"
        options = DeployOptions(template=make_project(root), stack_name="bench-sync-watch")
        api = deploy(options, clients, lambda line: None).outputs["ApiEndpoint"]
        http = stack.enter_context(httpx.Client(timeout=PATIENCE))
        plain = clients.cloudformation.describe_stack_resource(
            StackName=options.stack_name, LogicalResourceId="Plain"
        )["StackResourceDetail"]["PhysicalResourceId"]
        stack.enter_context(watching(options, clients))
        (folder / "scratch").mkdir()
        arrivals = stack.enter_context(bare_watch(folder / "scratch"))
        counter = iter(range(1, 1_000_000))

        def saved(function: str, handler: str) -> Callable[[], float]:
            def once() -> float:
                version = f"v{next(counter)}"
                started = time.perf_counter()
                write(root / function / "app.py", handler.format(version=version))
                return until_answer(http, f"{api}/{function}", version, started)

            return once

        def direct() -> float:
            version = f"v{next(counter)}"
            code = zip_files({"app.py": HANDLER.format(version=version)})
            started = time.perf_counter()
            clients.lambda_.update_function_code(FunctionName=plain, ZipFile=code)
            for _ in range(100_000):
                state = clients.lambda_.get_function_configuration(FunctionName=plain)
                if state["LastUpdateStatus"] == "Successful":
                    break
                time.sleep(0.005)
            return until_answer(http, f"{api}/plain", version, started)

        def notified() -> float:
            started = time.perf_counter()
            (folder / "scratch" / "file.txt").write_text(str(started))
            return arrivals.get(timeout=PATIENCE) - started

        ways: list[tuple[str, Callable[[], float]]] = [
            ("sync --watch, no dependencies", saved("plain", HANDLER)),
            ("sync --watch, a local package (pip runs)", saved("packaged", PACKAGED_HANDLER)),
            ("floor: UpdateFunctionCode of a ready zip to the new answer", direct),
            ("floor: watchfiles reports a write", notified),
        ]
        times: dict[str, list[float]] = {name: [] for name, _ in ways}
        for way in ways:  # warm-up: the environments, the connection, pip's first run
            way[1]()
        for round_ in range(args.rounds):
            for name, measure in ways if round_ % 2 == 0 else list(reversed(ways)):
                times[name].append(measure() * 1000)
    print("## From a saved file to the new code answering (ms)\n")
    print("| what | p50 | p95 | min | max | n |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, values in times.items():
        print(
            f"| {name} | {statistics.median(values):.0f} | {percentile(values, 0.95):.0f} "
            f"| {min(values):.0f} | {max(values):.0f} | {len(values)} |"
        )


if __name__ == "__main__":
    main()
