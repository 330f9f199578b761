"""The ``altus`` command: run a server, deploy, invoke, read logs, list functions,
inspect the asynchronous queue (``cli/queue.py``).

Client commands talk to a running server over the same Lambda API boto3 uses. Errors are
printed as one line (``altus: error: ...``) with exit status 1, never a traceback.
"""

from __future__ import annotations

import argparse
import base64
import gc
import json
import logging
import os
import re
import sys
import time
from pathlib import Path
from typing import Any

from altus import __version__
from altus.cli import cost, local, queue, replay, stacks, tune
from altus.cli.client import AltusClient, CliError

DEFAULT_ROLE = "arn:aws:iam::000000000000:role/altus-function"


def _endpoint_default() -> str:
    # The one variable the CLI reads: where the server is (the server reads ALTUS_* via
    # the settings object).
    return os.environ.get("ALTUS_ENDPOINT", "http://127.0.0.1:9000")


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    try:
        result: int = args.func(args)
        return result
    except CliError as error:
        print(f"altus: error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except (OSError, ValueError) as error:
        print(f"altus: error: {error}", file=sys.stderr)
        return 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="altus", description="Run AWS Lambda functions on your own machines."
    )
    parser.add_argument("--version", action="version", version=f"altus {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    up = commands.add_parser("up", help="run the platform (API, engine, sandboxes)")
    up.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    up.add_argument("--port", type=int, help="port to listen on (default 9000; 0: any)")
    up.add_argument(
        "--console-port",
        type=int,
        help="port of the web console (default: the API's port + 1, i.e. 9001; 0: any)",
    )
    up.add_argument(
        "--no-console",
        dest="console",
        action="store_const",
        const=False,
        help="do not serve the web console",
    )
    up.add_argument("--data-dir", help="where state, code and logs live (default .altus)")
    up.add_argument("--config", help="a TOML settings file")
    up.add_argument(
        "--store",
        help="where state lives: sqlite:<path> (default <data-dir>/altus.db), "
        "postgresql://user@host:port/db, or memory:",
    )
    up.add_argument(
        "--sandbox",
        choices=["auto", "linux", "process"],
        help="execution-environment backend (default auto: linux where it works)",
    )
    up.add_argument(
        "--auth",
        choices=["auto", "iam", "open"],
        help="request authentication: iam (SigV4 with this server's keys), open (none), or "
        "auto (default: open on loopback only, iam otherwise)",
    )
    up.add_argument(
        "--example", action="store_true", help="deploy and invoke the example function once started"
    )
    up.set_defaults(func=_cmd_up)

    def client_command(name: str, help_text: str) -> argparse.ArgumentParser:
        command = commands.add_parser(name, help=help_text)
        command.add_argument(
            "--endpoint",
            default=_endpoint_default(),
            help="the Altus API (default $ALTUS_ENDPOINT or http://127.0.0.1:9000)",
        )
        return command

    deploy = client_command(
        "deploy", "deploy a template as a stack (as sam deploy), or one function with --name"
    )
    deploy.add_argument(
        "path",
        nargs="?",
        help="the template or its folder (default: template.yaml here); with --name, the "
        "function's code folder or .zip",
    )
    deploy.add_argument("--name", help="deploy one function of this name from PATH")
    deploy.add_argument("--runtime", help="e.g. python3.11, nodejs20.x, provided.al2023")
    deploy.add_argument("--handler", help="e.g. app.handler")
    deploy.add_argument("--memory", type=int, help="MemorySize in MB")
    deploy.add_argument("--timeout", type=int, help="Timeout in seconds")
    deploy.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="an environment variable (repeatable)",
    )
    deploy.add_argument("--role", default=DEFAULT_ROLE)
    deploy.add_argument("--description")
    stacks.add_deploy_arguments(deploy)
    deploy.set_defaults(func=_cmd_deploy_any)

    invoke = client_command("invoke", "invoke a function and print its result")
    invoke.add_argument("name")
    invoke.add_argument("--payload", default="{}", help="JSON, or @file to read it from a file")
    invoke.add_argument("--qualifier", help="a version or alias")
    invoke.add_argument(
        "--async", dest="is_async", action="store_true", help="an Event invoke: queue it and return"
    )
    invoke.add_argument("--log", action="store_true", help="print the log tail too")
    invoke.set_defaults(func=_cmd_invoke)

    logs = client_command("logs", "print a function's logs")
    logs.add_argument("name")
    logs.add_argument("--follow", "-f", action="store_true", help="keep printing new events")
    logs.add_argument("--since", default="1h", help="how far back: 30s, 10m, 2h, 1d")
    logs.set_defaults(func=_cmd_logs)

    ls = client_command("ls", "list functions")
    ls.set_defaults(func=_cmd_ls)

    queue.add_commands(client_command)
    cost.add_commands(client_command)
    replay.add_commands(client_command)
    stacks.add_commands(client_command)
    tune.add_commands(client_command)
    local.add_commands(commands)
    return parser


# --- up ----------------------------------------------------------------------------------------


def _cmd_up(args: argparse.Namespace) -> int:
    # Nothing made while the server imports and builds is garbage worth finding: the
    # collector is off until the platform has started (``altus.server.serve``).
    gc.disable()
    from altus.settings import load_settings

    settings = load_settings(
        config_file=args.config,
        host=args.host,
        port=args.port,
        data_dir=args.data_dir,
        store=args.store,
        sandbox=args.sandbox,
        auth=args.auth,
        console=args.console,
        console_port=args.console_port,
    )
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)
    from altus.errors import AltusError
    from altus.sandbox.choose import opening

    # The sandbox (a zygote, a trial sandbox) opens while the rest of the server imports.
    sandbox = opening(settings)
    from altus.server import ConsolePortTaken, run

    consoles: list[str] = []

    async def on_ready(platform: Any, url: str) -> None:
        identity = platform.identity
        print(
            f"Altus {__version__} serving the Lambda API at {url} "
            f"(data: {settings.data_dir}, store: {platform.storage.location}, "
            f"sandbox: {platform.component('lambda').backend.name}, auth: {identity.mode})",
            flush=True,
        )
        checked = "every request must be signed" if identity.enforcing else "nothing is checked"
        print(
            f"Administrator credentials: {identity.credentials_file} (profile altus; "
            f"auth {identity.mode}: {checked}), as in "
            f"AWS_SHARED_CREDENTIALS_FILE={identity.credentials_file} AWS_PROFILE=altus "
            f"aws lambda list-functions --endpoint-url {url}",
            flush=True,
        )
        for console in consoles:
            print(f"Web console at {console}", flush=True)
        if args.example:
            from altus.cli.example import deploy_example

            await deploy_example(platform, url)

    try:
        run(settings, on_ready, sandbox, consoles.append)
    except AltusError as error:  # e.g. --sandbox linux on a machine that cannot isolate
        raise CliError(error.message) from None
    except ConsolePortTaken as error:
        raise CliError(
            f"cannot listen on {settings.host}:{error.filename} for the web console: "
            f"{error.strerror or error} (--console-port 0: any free port; --no-console)"
        ) from None
    except OSError as error:
        raise CliError(
            f"cannot listen on {settings.host}:{settings.port}: {error.strerror or error}"
        ) from None
    return 0


# --- deploy ------------------------------------------------------------------------------------


def _package(path: Path) -> bytes:
    from altus.packaging import zip_directory

    if path.is_dir():
        return zip_directory(path)
    if path.is_file():
        return path.read_bytes()
    raise CliError(f"no such file or directory: {path}")


def _env_pairs(pairs: list[str]) -> dict[str, str]:
    variables = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise CliError(f"--env wants KEY=VALUE, got {pair!r}")
        variables[key] = value
    return variables


def _cmd_deploy_any(args: argparse.Namespace) -> int:
    """``altus deploy``: one function with ``--name``, else a template as a stack."""
    if args.name:
        if not args.path:
            raise CliError("deploy --name needs the code's path")
        return _cmd_deploy(args)
    return stacks.deploy_command(args)


def _cmd_deploy(args: argparse.Namespace) -> int:
    client = AltusClient(args.endpoint)
    package = _package(Path(args.path))
    config: dict[str, Any] = {}
    if args.runtime:
        config["Runtime"] = args.runtime
    if args.handler:
        config["Handler"] = args.handler
    if args.memory is not None:
        config["MemorySize"] = args.memory
    if args.timeout is not None:
        config["Timeout"] = args.timeout
    if args.env:
        config["Environment"] = {"Variables": _env_pairs(args.env)}
    if args.description is not None:
        config["Description"] = args.description
    existing = client.get_function(args.name)
    if existing is None:
        if not args.runtime or not args.handler:
            raise CliError("a new function needs --runtime and --handler")
        client.create_function(
            {
                "FunctionName": args.name,
                "Role": args.role,
                "Code": {"ZipFile": base64.b64encode(package).decode()},
                **config,
            }
        )
        action = "created"
    else:
        client.update_code(args.name, package)
        client.wait_until_ready(args.name)
        if config:
            client.update_configuration(args.name, config)
        action = "updated"
    ready = client.wait_until_ready(args.name)
    print(
        f"{action} {ready['FunctionName']} ({ready.get('Runtime')}, {ready['MemorySize']} MB, "
        f"{ready['Timeout']} s) code {ready['CodeSha256']} {ready['CodeSize']} bytes"
    )
    return 0


# --- invoke ------------------------------------------------------------------------------------


def _read_payload(raw: str) -> bytes:
    data = Path(raw[1:]).read_bytes() if raw.startswith("@") else raw.encode()
    try:
        json.loads(data or b"{}")
    except ValueError as error:
        raise CliError(f"the payload is not JSON: {error}") from None
    return data


def _cmd_invoke(args: argparse.Namespace) -> int:
    client = AltusClient(args.endpoint)
    payload = _read_payload(args.payload)
    kind = "Event" if args.is_async else "RequestResponse"
    response = client.invoke(
        args.name,
        payload,
        qualifier=args.qualifier,
        invocation_type=kind,
        tail=args.log and not args.is_async,
    )
    if args.is_async:
        print(f"queued: request id {response.headers.get('x-amzn-RequestId')}")
        return 0
    if args.log and response.headers.get("X-Amz-Log-Result"):
        sys.stderr.write(
            base64.b64decode(response.headers["X-Amz-Log-Result"]).decode("utf-8", "replace")
        )
    print(response.content.decode("utf-8", "replace"))
    if response.headers.get("X-Amz-Function-Error"):
        print(
            f"altus: function error ({response.headers['X-Amz-Function-Error']})", file=sys.stderr
        )
        return 1
    return 0


# --- logs --------------------------------------------------------------------------------------


def _parse_since(text: str) -> int:
    match = re.fullmatch(r"(\d+)([smhd])", text.strip())
    if not match:
        raise CliError(f"--since wants a duration like 30s, 10m, 2h or 1d, got {text!r}")
    seconds = int(match[1]) * {"s": 1, "m": 60, "h": 3600, "d": 86400}[match[2]]
    return int((time.time() - seconds) * 1000)


def _cmd_logs(args: argparse.Namespace) -> int:
    client = AltusClient(args.endpoint)
    if client.get_function(args.name) is None:
        raise CliError(f"ResourceNotFoundException: Function not found: {args.name}")
    group = f"/aws/lambda/{args.name}"
    start = _parse_since(args.since)
    seen: set[str] = set()
    while True:
        token: str | None = None
        newest = start
        for _ in range(1000):
            page = client.filter_log_events(group, start, token)
            for event in page.get("events", []):
                if event.get("eventId") in seen:
                    continue
                seen.add(event["eventId"])
                newest = max(newest, event["timestamp"])
                stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(event["timestamp"] / 1000))
                print(f"{stamp}.{event['timestamp'] % 1000:03d}Z {event['message']}", flush=True)
            token = page.get("nextToken")
            if not token:
                break
        if not args.follow:
            return 0
        start = newest
        if len(seen) > 100_000:
            seen.clear()
        time.sleep(1.0)


# --- ls ----------------------------------------------------------------------------------------


def _cmd_ls(args: argparse.Namespace) -> int:
    client = AltusClient(args.endpoint)
    functions = client.list_functions()
    if not functions:
        print("no functions")
        return 0
    rows = [("NAME", "RUNTIME", "MEMORY", "TIMEOUT", "CODE SIZE", "LAST MODIFIED")]
    for fn in functions:
        rows.append(
            (
                fn["FunctionName"],
                fn.get("Runtime", "-"),
                f"{fn['MemorySize']} MB",
                f"{fn['Timeout']} s",
                str(fn["CodeSize"]),
                fn["LastModified"],
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
