"""The stack commands' command line: ``altus deploy [template.yaml]`` (a template
deployed as a stack: ``cli/deploy.py``) and ``altus sync [template.yaml] [--watch]``
(function code sent straight to the functions where only it changed, else a deploy:
``cli/sync.py``).

``main`` registers ``sync`` with ``add_commands`` and adds the stack options to its
existing ``deploy`` parser with ``add_deploy_arguments``; ``altus deploy --name N``
stays the one-function deploy, and ``deploy_command`` is the rest.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable, Sequence
from pathlib import Path

from altus.cli.client import CliError
from altus.cli.deploy import DEFAULT_CAPABILITIES, DeployOptions, aws_errors, connect, deploy

ClientCommand = Callable[[str, str], argparse.ArgumentParser]

TEMPLATE_NAMES = ("template.yaml", "template.yml")
#: Options of the one-function ``altus deploy --name`` form, which a stack deploy refuses.
_FUNCTION_OPTIONS = ("runtime", "handler", "memory", "timeout", "description")


def add_commands(client_command: ClientCommand) -> None:
    """Register ``altus sync`` (``deploy`` exists already: ``add_deploy_arguments``)."""
    command = client_command(
        "sync", "deploy a stack; a change of function code alone goes straight to the functions"
    )
    command.add_argument(
        "path", nargs="?", help="the template (default: template.yaml or template.yml here)"
    )
    add_stack_arguments(command)
    command.add_argument(
        "--watch",
        action="store_true",
        help="then keep watching the sources, syncing each change (Ctrl-C to stop)",
    )
    command.set_defaults(func=sync_command)


def add_deploy_arguments(parser: argparse.ArgumentParser) -> None:
    """The stack options of ``altus deploy`` (whose ``path`` is then the template)."""
    add_stack_arguments(parser)
    parser.add_argument(
        "--no-build", action="store_true", help="package the template as it is, without building"
    )
    parser.add_argument(
        "--no-execute", action="store_true", help="create and show the change set, then stop"
    )


def add_stack_arguments(parser: argparse.ArgumentParser) -> None:
    """What ``deploy`` and ``sync`` share."""
    parser.add_argument(
        "--stack-name", help="the stack (default: the template folder's name, made valid)"
    )
    parser.add_argument(
        "--parameter-overrides",
        nargs="+",
        default=[],
        metavar="KEY=VALUE",
        help="template parameters (others keep their previous value, or their default)",
    )
    parser.add_argument(
        "--capabilities",
        nargs="+",
        default=list(DEFAULT_CAPABILITIES),
        metavar="CAPABILITY",
        help="default: " + " ".join(DEFAULT_CAPABILITIES),
    )
    parser.add_argument(
        "--bucket", help="where artifacts go (default: altus-deploy-artifacts-<account id>)"
    )
    parser.add_argument("--tags", nargs="+", default=[], metavar="KEY=VALUE", help="stack tags")


def deploy_command(args: argparse.Namespace) -> int:
    """``altus deploy [template]`` (without ``--name``)."""
    for name in _FUNCTION_OPTIONS:
        if getattr(args, name, None) is not None:
            raise CliError(f"--{name} is for deploying one function (with --name)")
    if getattr(args, "env", None):
        raise CliError("--env is for deploying one function (with --name)")
    options = options_from(args, build=not args.no_build, execute=not args.no_execute)
    clients = connect(args.endpoint)
    with aws_errors(args.endpoint):
        deploy(options, clients)
    return 0


def sync_command(args: argparse.Namespace) -> int:
    """``altus sync [template] [--watch]``."""
    from altus.cli import sync

    options = options_from(args)
    clients = connect(args.endpoint)
    if args.watch:
        sync.watch(options, clients)  # until Ctrl-C: KeyboardInterrupt, 130 in main
        return 0
    with aws_errors(args.endpoint):
        sync.sync(options, clients)
    return 0


# --- options -----------------------------------------------------------------------------


def options_from(
    args: argparse.Namespace, *, build: bool = True, execute: bool = True
) -> DeployOptions:
    # The options first: a template named after ``--tags a=b`` is read as a tag.
    parameters = pairs(args.parameter_overrides, "--parameter-overrides")
    tags = pairs(args.tags, "--tags")
    capabilities = tuple(args.capabilities)
    for capability in capabilities:
        if not capability.startswith("CAPABILITY_"):
            raise CliError(f"--capabilities wants CAPABILITY_* names, got {capability!r}")
    template = find_template(args.path)
    return DeployOptions(
        template=template,
        stack_name=args.stack_name or stack_name_for(template.parent),
        parameters=parameters,
        capabilities=capabilities,
        bucket=args.bucket,
        tags=tags,
        build=build,
        execute=execute,
    )


def find_template(path: str | None, cwd: Path | None = None) -> Path:
    """The template ``path`` names (a file, or a folder holding template.yaml or
    template.yml), else the one in ``cwd`` (default: the working directory)."""
    place = Path(path) if path else (cwd or Path.cwd())
    if place.is_file():
        return place.resolve()
    if place.is_dir():
        for name in TEMPLATE_NAMES:
            if (place / name).is_file():
                return (place / name).resolve()
        raise CliError(f"no {' or '.join(TEMPLATE_NAMES)} in {place.resolve()}")
    raise CliError(f"no such template: {path}")


def stack_name_for(folder: Path) -> str:
    """A valid stack name (``[a-zA-Z][-a-zA-Z0-9]*``, at most 128 characters) from a
    folder's name: other characters become dashes, and one not starting with a letter
    gets ``stack-`` before it."""
    name = re.sub(r"[^A-Za-z0-9-]+", "-", folder.name).strip("-")
    if not name[:1].isalpha():
        name = f"stack-{name}".rstrip("-")
    return name[:128].rstrip("-")


def pairs(values: Sequence[str], option: str) -> dict[str, str]:
    """``KEY=VALUE`` items (and ``ParameterKey=K,ParameterValue=V``, as the AWS CLI
    writes parameters). CliError for an item without ``=``: most likely a template
    named after an option that takes several values."""
    found: dict[str, str] = {}
    for item in values:
        long_form = re.fullmatch(r"ParameterKey=([^,]+),ParameterValue=(.*)", item)
        if long_form:
            found[long_form[1]] = long_form[2]
            continue
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise CliError(
                f"{option} wants KEY=VALUE, got {item!r} (name the template before the options)"
            )
        found[key] = value
    return found
