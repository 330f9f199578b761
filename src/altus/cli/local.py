"""``altus local``: what ``sam local`` does, without Docker and without a running
server.

- ``altus local invoke [LogicalId] [-t template.yaml] [-e event.json | -e -]
  [--parameter-overrides K=V ...] [--env-vars env.json]``: build the function
  (``altus.cli.build``), start a platform in this process (``local_platform``), create
  the function as the template describes it (``local_template``: Globals, intrinsics,
  environment, the template's own layers), invoke it once with the event, and print its
  answer on stdout and its log (START, END, REPORT and what it wrote) on stderr. Exit 0,
  or 1 when the function failed (its error document is the answer printed).
- ``altus local start-api [-t template.yaml] [--host 127.0.0.1] [--port 3000]
  [--api LogicalId] [--parameter-overrides K=V ...]``: the template built, packaged and
  deployed as a stack to a platform in this process through its own CloudFormation, its
  APIs served at the root of the port as sam serves them, and code changes rebuilt and
  loaded without a restart (``local_api``) until Ctrl-C.
- ``altus local generate-event <service> <kind>``: a trigger's sample event
  (``sample_events``).

``add_commands`` adds the group to the ``altus`` command's subcommands; ``main`` runs it
alone (``python -m altus.cli.local invoke ...``). Errors are ``CliError``s, one line.
"""

from __future__ import annotations

import argparse
import base64
import json
import signal
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from altus.cli import sample_events
from altus.cli.client import CliError
from altus.cli.local_template import (
    LAYER_TYPES,
    FunctionSpec,
    LocalError,
    env_overrides,
    function_spec,
    functions_of,
    parameter_values,
    parse_overrides,
    pseudo_parameters,
)

if TYPE_CHECKING:  # imported when a command runs: every ``altus`` command stays quick
    from altus.cli.local_platform import LocalPlatform

__all__ = ["add_commands", "invoke", "main", "start_api"]

#: The templates looked for in the current folder when ``-t`` is not given (sam's).
TEMPLATE_NAMES = ("template.yaml", "template.yml", "template.json")
#: ``AWS::StackName`` in a function invoked alone, as sam has it.
LOCAL_STACK = "local"
#: X-Amz-Log-Result holds the last 4 KB of an invocation's log; a longer one is read
#: from CloudWatch Logs.
_TAIL_BYTES = 4096


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``local`` (``invoke``, ``start-api``, ``generate-event``) to ``commands``, the
    subcommands of ``altus``."""
    local = commands.add_parser(
        "local", help="run a template's functions and APIs here (as sam local does)"
    )
    add_subcommands(local.add_subparsers(dest="local_command", metavar="COMMAND", required=True))


def add_subcommands(subcommands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``invoke``, ``start-api`` and ``generate-event`` to ``subcommands``."""
    invoke_parser = subcommands.add_parser(
        "invoke", help="build a template's function, invoke it once, print its answer"
    )
    invoke_parser.add_argument(
        "function", nargs="?", help="its logical id (optional when the template has one)"
    )
    _template_options(invoke_parser)
    invoke_parser.add_argument(
        "-e", "--event", help="a JSON file with the event, or - to read it from stdin"
    )
    invoke_parser.add_argument(
        "-n",
        "--env-vars",
        help='a JSON file of variables: {"LogicalId": {"VAR": "value"}, "Parameters": {...}}',
    )
    invoke_parser.set_defaults(func=invoke)

    api = subcommands.add_parser(
        "start-api", help="serve a template's APIs here, reloading code as it changes"
    )
    _template_options(api)
    api.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1); beyond loopback, the APIs alone "
        "are served there (not the platform's AWS APIs)",
    )
    api.add_argument("-p", "--port", type=int, default=3000, help="port (default 3000; 0: any)")
    api.add_argument(
        "--api", help="the logical id of the one API to serve at the root (default: all)"
    )
    api.add_argument(
        "--stack-name", default=LOCAL_STACK, help=f"the stack's name (default {LOCAL_STACK})"
    )
    api.add_argument(
        "--no-watch", dest="watch", action="store_false", help="do not reload on changes"
    )
    api.set_defaults(func=start_api)

    sample_events.add_commands(subcommands)


def _template_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-t", "--template", help="the template (default: template.yaml|yml|json here)"
    )
    parser.add_argument(
        "--parameter-overrides",
        nargs="+",
        action="extend",
        default=[],
        metavar="KEY=VALUE",
        help="template parameters: Key=Value or ParameterKey=Key,ParameterValue=Value",
    )
    parser.add_argument(
        "-b", "--build-dir", help="where functions are built (default .altus-build beside it)"
    )


def main(argv: list[str] | None = None) -> int:
    """``altus local ...`` on its own: the same parsing and the same one-line errors as
    the ``altus`` command."""
    parser = argparse.ArgumentParser(prog="altus local")
    add_subcommands(parser.add_subparsers(dest="local_command", metavar="COMMAND", required=True))
    args = parser.parse_args(argv)
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


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- inputs ------------------------------------------------------------------------------


def template_path(given: str | None) -> Path:
    """The template to use: ``given``, else sam's names in the current folder."""
    if given is not None:
        path = Path(given)
        if not path.is_file():
            raise LocalError(f"template not found: {path}")
        return path.resolve()
    for name in TEMPLATE_NAMES:
        if Path(name).is_file():
            return Path(name).resolve()
    raise LocalError(f"no template here ({', '.join(TEMPLATE_NAMES)}): give one with -t")


def read_event(given: str | None) -> bytes:
    """The event: a file, stdin for ``-``, else ``{}``. LocalError if it is not JSON."""
    if given is None:
        return b"{}"
    if given == "-":
        stream: Any = getattr(sys.stdin, "buffer", None)
        data = stream.read() if stream is not None else sys.stdin.read().encode()
    else:
        try:
            data = Path(given).read_bytes()
        except OSError as error:
            raise LocalError(f"cannot read the event {given}: {error.strerror or error}") from None
    try:
        json.loads(data or b"{}")
    except ValueError as error:
        raise LocalError(f"the event is not JSON: {error}") from None
    return data or b"{}"


def read_env_vars(given: str | None) -> dict[str, Any] | None:
    """An ``--env-vars`` document, or None. LocalError unless it is a JSON object."""
    if given is None:
        return None
    try:
        document = json.loads(Path(given).read_bytes())
    except OSError as error:
        raise LocalError(f"cannot read {given}: {error.strerror or error}") from None
    except ValueError as error:
        raise LocalError(f"{given} is not JSON: {error}") from None
    if not isinstance(document, dict):
        raise LocalError(f'{given} must be a JSON object: {{"LogicalId": {{"VAR": "value"}}}}')
    return document


def _only_function(template: dict[str, Any], given: str | None) -> str:
    if given is not None:
        return given
    found = functions_of(template)
    if len(found) != 1:
        listed = ", ".join(found) or "none"
        raise LocalError(f"name the function to invoke: the template has {listed}")
    return found[0]


# --- invoke ------------------------------------------------------------------------------


def invoke(args: argparse.Namespace) -> int:
    """``altus local invoke``: see the module's docstring."""
    from altus.cli.build import build_function
    from altus.cli.local_platform import LocalPlatform, refused
    from altus.cli.package import read_template

    path = template_path(args.template)
    template = read_template(path, LocalError)
    logical_id = _only_function(template, args.function)
    overrides = parse_overrides(args.parameter_overrides)
    env_document = read_env_vars(args.env_vars)
    event = read_event(args.event)

    platform = LocalPlatform(say=say)
    pseudo = pseudo_parameters(platform.region, platform.account, LOCAL_STACK)
    spec = function_spec(
        template, logical_id, parameter_values(template, overrides, pseudo), env_document
    )
    # The AWS SDK for JavaScript is readied for a Node.js function only.
    platform.nodejs = spec.runtime.startswith("nodejs")
    for warning in spec.warnings:
        say(f"Warning: {warning}")
    _unused_overrides(env_document, spec)
    built = build_function(path, logical_id, args.build_dir, progress=say)
    if built.path is None:
        raise LocalError(f"{logical_id} cannot run locally: {'; '.join(built.notes)}")
    layer_folders = [_layer_folder(path, template, layer, args.build_dir) for layer in spec.layers]
    with platform, refused(logical_id):
        layers = [
            platform.publish_layer(layer, folder)
            for layer, folder in zip(spec.layers, layer_folders, strict=True)
        ]
        name = platform.create_function(spec, built.path, layers)
        say(f"Invoking {spec.handler} ({spec.runtime})")
        started_ms = int(time.time() * 1000)
        answer = platform.client("lambda").invoke(FunctionName=name, Payload=event, LogType="Tail")
        payload: bytes = answer["Payload"].read()
        request_id = answer["ResponseMetadata"]["RequestId"]
        log = base64.b64decode(answer.get("LogResult") or "")
        if len(log) >= _TAIL_BYTES - 4:  # cut at 4 KB: the whole log is in CloudWatch Logs
            log = _whole_log(platform, name, request_id, started_ms) or log
    sys.stderr.write(log.decode("utf-8", "replace"))
    sys.stderr.flush()
    print(payload.decode("utf-8", "replace"), flush=True)
    return 1 if answer.get("FunctionError") else 0


def _unused_overrides(document: dict[str, Any] | None, spec: FunctionSpec) -> None:
    # As with sam, only variables the template declares are overridden: say so, rather
    # than leave a variable silently missing.
    if document is None:
        return
    given = set(env_overrides(document, spec.logical_id))
    ignored = sorted(given - set(spec.environment))
    if ignored and isinstance(document.get(spec.logical_id), dict):
        own = sorted(set(document[spec.logical_id]) & set(ignored))
        if own:
            say(
                f"Warning: --env-vars: {', '.join(own)} not set: {spec.logical_id} does not "
                "declare them in the template (only declared variables are overridden)"
            )


def _layer_folder(
    template_file: Path, template: dict[str, Any], layer: str, build_dir: str | None
) -> Path:
    """The folder of the template's layer ``layer``: built where it says how
    (``Metadata.BuildMethod``), else its sources as they are."""
    from altus.cli.build import build_function

    built = build_function(template_file, layer, build_dir, progress=say)
    if built.path is not None:
        return built.path
    resource = template["Resources"][layer]
    assert resource.get("Type") in LAYER_TYPES
    properties = resource.get("Properties") or {}
    source = properties.get("ContentUri", properties.get("Content"))
    if not isinstance(source, str) or "://" in source:
        raise LocalError(f"the layer {layer} cannot be used locally: {'; '.join(built.notes)}")
    folder = (template_file.parent / source).resolve()
    if not folder.is_dir():
        raise LocalError(f"the layer {layer}'s content is not a folder: {folder}")
    return folder


def _whole_log(platform: LocalPlatform, name: str, request_id: str, since_ms: int) -> bytes | None:
    """The invocation's whole log from CloudWatch Logs (the function's only one: the
    platform is this command's), once its REPORT line is written (bounded wait); None if
    it does not come."""
    from botocore.exceptions import ClientError

    logs = platform.client("logs")
    report = f"REPORT RequestId: {request_id}"
    deadline = time.monotonic() + 10.0
    while time.monotonic() < deadline:
        messages: list[str] = []
        token: dict[str, str] = {}
        try:
            for _ in range(1000):  # pages: bounded
                page = logs.filter_log_events(
                    logGroupName=f"/aws/lambda/{name}", startTime=since_ms, **token
                )
                messages.extend(event["message"] for event in page.get("events", []))
                if not page.get("nextToken"):
                    break
                token = {"nextToken": page["nextToken"]}
        except ClientError:  # the group is not written yet
            messages = []
        end = next((i for i, m in enumerate(messages) if m.startswith(report)), None)
        if end is not None:
            lines = messages[: end + 1]
            return "".join(m if m.endswith("\n") else m + "\n" for m in lines).encode()
        time.sleep(0.1)
    return None


# --- start-api ---------------------------------------------------------------------------


def start_api(args: argparse.Namespace) -> int:
    """``altus local start-api``: serve until Ctrl-C (then stop cleanly, exit 0)."""
    from altus.cli.local_api import ApiOptions, LocalApi

    options = ApiOptions(
        template=template_path(args.template),
        host=args.host,
        port=args.port,
        overrides=parse_overrides(args.parameter_overrides),
        api=args.api,
        stack_name=args.stack_name,
        build_dir=Path(args.build_dir) if args.build_dir else None,
        watch=args.watch,
    )
    previous = None
    if threading.current_thread() is threading.main_thread():
        # SIGTERM stops it as Ctrl-C does: the platform, its environments and its data
        # directory go with it.
        previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        LocalApi(options, say=say).serve()
    except KeyboardInterrupt:
        say("Stopped")
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    return 0


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    sys.exit(main())
