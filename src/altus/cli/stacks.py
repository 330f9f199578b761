"""The stack commands' command line: ``altus deploy [template.yaml]`` (a template
deployed as a stack: ``cli/deploy.py``) and ``altus sync [template.yaml] [--watch]``
(function code sent straight to the functions where only it changed, else a deploy:
``cli/sync.py``).

``main`` registers ``sync`` with ``add_commands`` and adds the stack options to its
existing ``deploy`` parser with ``add_deploy_arguments``; ``altus deploy --name N``
stays the one-function deploy, and ``deploy_command`` is the rest.

Options come as ``sam deploy`` takes them: a flag, else ``samconfig.toml`` beside the
template (``[<env>.global.parameters]``, then ``[<env>.deploy.parameters]``, then for
``sync`` ``[<env>.sync.parameters]``, each overriding the one before; ``--config-env``,
default ``default``), else the default. A stack name named by neither is the template
folder's name; since two projects in folders of the same name would then replace each
other's stack, such a deploy refuses a stack tagged (``altus:template``) as another
template's (``deploy.py``).
"""

from __future__ import annotations

import argparse
import re
import shlex
import tomllib
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from altus.cli.client import CliError
from altus.cli.deploy import DEFAULT_CAPABILITIES, DeployOptions, aws_errors, connect, deploy

ClientCommand = Callable[[str, str], argparse.ArgumentParser]

TEMPLATE_NAMES = ("template.yaml", "template.yml", "template.json")
#: sam's configuration file, looked for beside the template.
SAMCONFIG = "samconfig.toml"
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
    command.set_defaults(config_sections=("global", "deploy", "sync"))
    command.add_argument(
        "--watch",
        action="store_true",
        help="then keep watching the sources, syncing each change (Ctrl-C to stop)",
    )
    command.set_defaults(func=sync_command)


def add_deploy_arguments(parser: argparse.ArgumentParser) -> None:
    """The stack options of ``altus deploy`` (whose ``path`` is then the template)."""
    add_stack_arguments(parser)
    parser.set_defaults(config_sections=("global", "deploy"))
    parser.add_argument(
        "--no-build", action="store_true", help="package the template as it is, without building"
    )
    parser.add_argument(
        "--no-execute", action="store_true", help="create and show the change set, then stop"
    )
    # sam deploy's flags, taken so its command lines work: there is no prompt to skip,
    # and an empty change set is never a failure unless asked.
    parser.add_argument(
        "--no-confirm-changeset", action="store_true", help="accepted (there is no prompt)"
    )
    parser.add_argument(
        "--fail-on-empty-changeset",
        action="store_true",
        default=False,
        help="exit 1 when there is nothing to deploy (default: no failure)",
    )
    parser.add_argument(
        "--no-fail-on-empty-changeset",
        dest="fail_on_empty_changeset",
        action="store_false",
        help="exit 0 when there is nothing to deploy (the default)",
    )


def add_stack_arguments(parser: argparse.ArgumentParser) -> None:
    """What ``deploy`` and ``sync`` share."""
    parser.add_argument(
        "-t",
        "--template-file",
        "--template",
        dest="template_file",
        help="the template (as the positional argument)",
    )
    parser.add_argument(
        "--stack-name",
        help="the stack (default: samconfig.toml's stack_name, else the template folder's name)",
    )
    parser.add_argument(
        "--parameter-overrides",
        nargs="+",
        action="extend",
        metavar="KEY=VALUE",
        help='template parameters, "A=1 B=2" or A=1 B=2 (others keep their previous value, '
        "or their default)",
    )
    parser.add_argument(
        "--capabilities",
        nargs="+",
        action="extend",
        metavar="CAPABILITY",
        help="default: " + " ".join(DEFAULT_CAPABILITIES),
    )
    parser.add_argument(
        "--bucket",
        "--s3-bucket",
        dest="bucket",
        help="where artifacts go (default: altus-deploy-artifacts-<account id>)",
    )
    parser.add_argument(
        "--s3-prefix", help="the artifacts' key prefix in the bucket (default: the stack name)"
    )
    parser.add_argument(
        "--tags", nargs="+", action="extend", metavar="KEY=VALUE", help="stack tags"
    )
    parser.add_argument(
        "--config-env", help="the samconfig.toml environment to read (default: default)"
    )
    parser.add_argument(
        "--config-file", help=f"the sam configuration (default: {SAMCONFIG} beside the template)"
    )


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
        done = deploy(options, clients)
    if done.outcome == "UNCHANGED" and getattr(args, "fail_on_empty_changeset", False):
        return 1
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
    """The deploy ``args`` ask for: each option from its flag, else ``samconfig.toml``,
    else its default (module docstring)."""
    path = getattr(args, "template_file", None) or args.path
    if getattr(args, "template_file", None) and args.path:
        raise CliError("name the template once: as an argument or with --template-file")
    # The options first: a template named after ``--tags a=b`` is read as a tag.
    parameters = pairs(args.parameter_overrides or [], "--parameter-overrides")
    tags = pairs(args.tags or [], "--tags")
    capabilities = words(args.capabilities or [])
    template = find_template(path)
    config = samconfig(
        Path(args.config_file) if args.config_file else template.parent / SAMCONFIG,
        args.config_env,
        getattr(args, "config_sections", ("global", "deploy")),
        required=args.config_file is not None,
    )
    if args.parameter_overrides is None:
        parameters = pairs(_listed(config, "parameter_overrides"), "parameter_overrides")
    if args.tags is None:
        tags = pairs(_listed(config, "tags"), "tags")
    if args.capabilities is None:
        capabilities = words(_listed(config, "capabilities")) or DEFAULT_CAPABILITIES
    for capability in capabilities:
        if not capability.startswith("CAPABILITY_"):
            raise CliError(f"--capabilities wants CAPABILITY_* names, got {capability!r}")
    stack_name = args.stack_name or _text(config, "stack_name")
    return DeployOptions(
        template=template,
        stack_name=stack_name or stack_name_for(template.parent),
        parameters=parameters,
        capabilities=capabilities,
        bucket=args.bucket or _text(config, "s3_bucket"),
        tags=tags,
        build=build,
        execute=execute,
        named=bool(stack_name),
        prefix=args.s3_prefix or _text(config, "s3_prefix"),
    )


def samconfig(
    path: Path, env: str | None, sections: Sequence[str], *, required: bool = False
) -> dict[str, Any]:
    """The parameters of ``[<env>.<section>.parameters]`` in the sam configuration
    ``path`` (env: ``default`` when None), later ``sections`` overriding earlier ones.
    Empty where there is no file (CliError if ``required``); CliError for a file that is
    not TOML, or an ``env`` named but not in it."""
    try:
        document = tomllib.loads(path.read_text())
    except FileNotFoundError:
        if required:
            raise CliError(f"no such configuration file: {path}") from None
        return {}
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise CliError(f"cannot read {path}: {error}") from None
    found = document.get(env or "default")
    if not isinstance(found, Mapping):
        if env is not None:
            raise CliError(f"{path} has no environment {env!r} (--config-env)")
        return {}
    merged: dict[str, Any] = {}
    for section in sections:
        table = found.get(section)
        parameters = table.get("parameters") if isinstance(table, Mapping) else None
        if isinstance(parameters, Mapping):
            merged.update(parameters)
    return merged


def _text(config: Mapping[str, Any], key: str) -> str | None:
    value = config.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise CliError(f"{SAMCONFIG}: {key} must be a string, got {value!r}")
    return value


def _listed(config: Mapping[str, Any], key: str) -> list[str]:
    """A samconfig value sam takes as a string of space-separated items or a list."""
    value = config.get(key)
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    raise CliError(f"{SAMCONFIG}: {key} must be a string or a list of strings, got {value!r}")


def find_template(path: str | None, cwd: Path | None = None) -> Path:
    """The template ``path`` names (a file, or a folder holding template.yaml,
    template.yml or template.json), else the one in ``cwd`` (default: the working
    directory)."""
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


def words(values: Sequence[str]) -> tuple[str, ...]:
    """Items given one to an argument or several in one (``"A B"``), split as a shell
    splits them. CliError for unbalanced quotes."""
    found: list[str] = []
    for value in values:
        try:
            found.extend(shlex.split(value))
        except ValueError as error:
            raise CliError(f"{error}: {value!r}") from None
    return tuple(found)


def pairs(values: Sequence[str], option: str) -> dict[str, str]:
    """``KEY=VALUE`` items (and ``ParameterKey=K,ParameterValue=V``, as the AWS CLI
    writes parameters), one to an argument or several in one quoted argument as sam
    takes them (``"A=1 B='two words'"``). CliError for an item without ``=``: most likely
    a template named after an option that takes several values."""
    found: dict[str, str] = {}
    for item in words(values):
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
