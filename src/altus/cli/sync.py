"""``altus sync [template.yaml] [--watch]``: what ``sam sync`` does. A change of function
code alone goes straight to the functions (UpdateFunctionCode), skipping the stack;
anything else is a deploy (``cli/deploy.py``).

"Code alone" means the stack is current with the template: the fingerprint the last
deploy recorded (the template, the other local files it names, the options:
``cli/deployed.py``) is what it is now, and the stack is still the one deployed, and
settled (CREATE_COMPLETE or UPDATE_COMPLETE). Then each function is rebuilt (cached
where its sources did not change), zipped as ``altus package`` zips it, and sent where
its zip's SHA-256 differs from the function's CodeSha256 (so code reverted to what the
template holds is sent too). A function with ``AutoPublishAlias`` is served through a
version the stack publishes, so a change of its code is deployed instead. A function
the stack does not have (its ``Condition`` false) is not sent: the stack's resources
are read once (ListStackResources), and only the functions among them are compared.

``--watch`` syncs first, then watches the template's folder (and function sources
outside it) with ``watchfiles``: a change under a function's code (or a local package
its requirements name) rebuilds just that function and updates its code, printing
``✓ <LogicalId> code updated in 0.42 s`` once the update is Successful; any other
change whose fingerprint differs deploys. The build folder, the server's data folder
and what building a local package leaves in its folder are not watched. Failures are
printed and the watch goes on.
The loop ends on Ctrl-C (KeyboardInterrupt, exit 130 in ``main``), on ``stop``, or
after ``max_batches`` batches of changes.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from altus.cli.build import Built, artifacts_of, build, build_function
from altus.cli.builders import SKIPPED_NAMES, data_dir, local_dependencies
from altus.cli.client import CliError
from altus.cli.deploy import (
    SUCCEEDED,
    Clients,
    DeployOptions,
    Out,
    aws_errors,
    default_bucket,
    deploy,
    say,
)
from altus.cli.package import archive, read_template

T = TypeVar("T")

#: watchfiles' grouping: a batch is yielded after STEP ms without a new change, at most
#: DEBOUNCE ms after its first (an editor's save is one or a few writes in a row).
STEP_MS = 25
DEBOUNCE_MS = 300
#: How long a function's code update may take to become Successful.
UPDATE_PATIENCE = 120.0
#: Lambda's limit for a zip sent in the request; larger ones go through S3.
_DIRECT_ZIP_BYTES = 50 * 1024 * 1024


# --- one sync ------------------------------------------------------------------------------


def code_only(options: DeployOptions, clients: Clients) -> bool:
    """Whether the stack is current with everything but function code (module
    docstring)."""
    from botocore.exceptions import ClientError

    last = options.remembered()
    if last is None or last[1] != options.fingerprint():
        return False
    try:
        stacks = clients.cloudformation.describe_stacks(StackName=options.stack_name)["Stacks"]
    except ClientError:
        return False
    return (
        bool(stacks) and stacks[0]["StackId"] == last[0] and (stacks[0]["StackStatus"] in SUCCEEDED)
    )


def sync(options: DeployOptions, clients: Clients, out: Out = say) -> None:
    """Deploy, or send the code of each function whose code changed (module
    docstring). CliError as ``deploy`` raises it, or for a build or update that fails."""
    if not code_only(options, clients):
        deploy(options, clients, out)
        return
    result = build(options.template, options.build_dir, progress=out)
    functions = [b for b in result.artifacts if b.artifact is not None and not b.artifact.layer]
    if not send_code(options, clients, out, functions, time.monotonic()):
        out(f"No changes to sync. Stack {options.stack_name} is up to date")


def send_code(
    options: DeployOptions, clients: Clients, out: Out, functions: Iterable[Built], since: float
) -> int:
    """Send each of the built ``functions`` whose code differs from its function's, and
    print how long since ``since`` each took to be Successful; a deploy instead where
    one of them is published through an alias. How many were sent."""
    physical = stack_functions(clients, options.stack_name)
    pending: list[CodeUpdate] = []
    for built in functions:
        name = physical.get(built.logical_id)
        if built.path is None:
            continue  # nothing built: nothing to send
        if name is None:
            # Its Condition is false: the stack made no such function.
            out(f"· {built.logical_id} is not in stack {options.stack_name}: not sent")
        elif (found := differing(clients, built, name)) is not None:
            pending.append(found)
    published = _auto_published(options)
    if any(update.logical_id in published for update in pending):
        out("A function with AutoPublishAlias changed: deploying the stack")
        deploy(options, clients, out)
        return len(pending)
    for update in pending:
        update.send(clients, options)
        out(f"✓ {update.logical_id} code updated in {time.monotonic() - since:.2f} s")
    return len(pending)


def _auto_published(options: DeployOptions) -> set[str]:
    """The functions a direct code update would not reach (``AutoPublishAlias``)."""
    template = read_template(options.template, CliError)
    globals_ = template.get("Globals")
    inherited = globals_.get("Function") if isinstance(globals_, Mapping) else None
    alias_for_all = isinstance(inherited, Mapping) and "AutoPublishAlias" in inherited
    found: set[str] = set()
    resources = template.get("Resources")
    for logical_id, resource in resources.items() if isinstance(resources, Mapping) else ():
        if not isinstance(resource, Mapping) or resource.get("Type") != "AWS::Serverless::Function":
            continue
        properties = resource.get("Properties")
        if alias_for_all or (isinstance(properties, Mapping) and "AutoPublishAlias" in properties):
            found.add(str(logical_id))
    return found


def code_sha256(data: bytes) -> str:
    """Lambda's CodeSha256 of a zip: its SHA-256, base64."""
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


@dataclass(frozen=True, slots=True)
class CodeUpdate:
    """A function's new code, not sent yet."""

    logical_id: str
    function_name: str
    zip_file: bytes = field(repr=False)

    def send(self, clients: Clients, options: DeployOptions) -> None:
        """UpdateFunctionCode (through S3 for a zip too large to send), then wait until
        the update is Successful. CliError if it fails."""
        lambda_ = clients.lambda_
        if len(self.zip_file) > _DIRECT_ZIP_BYTES:
            bucket = options.bucket or default_bucket(clients)
            key = f"{options.stack_name}/{hashlib.md5(self.zip_file).hexdigest()}"
            clients.s3.put_object(Bucket=bucket, Key=key, Body=self.zip_file)
            lambda_.update_function_code(
                FunctionName=self.function_name, S3Bucket=bucket, S3Key=key
            )
        else:
            lambda_.update_function_code(FunctionName=self.function_name, ZipFile=self.zip_file)
        wait_updated(lambda_, self.function_name)


def stack_functions(clients: Clients, stack_name: str) -> dict[str, str]:
    """The stack's Lambda functions: logical id -> function name. A function of the
    template that is not here (its Condition false, or not created yet) has no code to
    update."""
    found: dict[str, str] = {}
    pages = clients.cloudformation.get_paginator("list_stack_resources")
    for page in pages.paginate(StackName=stack_name):
        for summary in page.get("StackResourceSummaries", ()):
            name = summary.get("PhysicalResourceId")
            if summary.get("ResourceType") == "AWS::Lambda::Function" and name:
                found[summary["LogicalResourceId"]] = name
    return found


def differing(clients: Clients, built: Built, name: str) -> CodeUpdate | None:
    """``built``'s artifact, zipped as ``altus package`` zips it, if that is not the
    code the function ``name`` (the stack's resource of its logical id) has now."""
    if built.path is None:
        return None
    data = archive(built.path, zip_file=True)
    current = clients.lambda_.get_function_configuration(FunctionName=name)
    if current.get("CodeSha256") == code_sha256(data):
        return None
    return CodeUpdate(built.logical_id, name, data)


def wait_updated(lambda_: Any, name: str, patience: float = UPDATE_PATIENCE) -> None:
    deadline = time.monotonic() + patience
    while True:
        config = lambda_.get_function_configuration(FunctionName=name)
        status = config.get("LastUpdateStatus")
        if status == "Successful":
            return
        if status == "Failed":
            raise CliError(
                f"updating {name} failed: {config.get('LastUpdateStatusReason') or 'no reason'}"
            )
        if time.monotonic() > deadline:
            raise CliError(f"the update of {name} is still {status} after {patience:.0f} s")
        time.sleep(0.02)


# --- watching ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WatchPlan:
    """Which function each watched folder belongs to, and what to watch."""

    template: Path
    #: (a function's code folder or file, or a local package it depends on; its id)
    owners: tuple[tuple[Path, str], ...]
    roots: tuple[Path, ...]
    #: The local packages functions depend on (not their own sources): what pip writes
    #: into their ``build/`` while it builds them is not a change.
    packages: tuple[Path, ...] = ()

    def functions_for(self, paths: Iterable[Path]) -> set[str]:
        """The functions whose code is under one of ``paths``."""
        touched: set[str] = set()
        for path in paths:
            for root, logical_id in self.owners:
                if path == root or path.is_relative_to(root):
                    touched.add(logical_id)
        return touched


def watch_plan(options: DeployOptions) -> WatchPlan:
    """What to watch: the template's folder and every function's and layer's sources
    (and the local packages their requirements name) outside it."""
    template_file = options.template.resolve()
    template = read_template(template_file, CliError)
    artifacts, _ = artifacts_of(template, template_file.parent)
    owners: list[tuple[Path, str]] = []
    sources: list[Path] = [template_file.parent]
    packages: set[Path] = set()
    for artifact in artifacts:
        dependencies = local_dependencies(artifact)
        packages.update(d for d in dependencies if d.is_dir())
        places = [artifact.source, *dependencies]
        sources.extend(places)
        if not artifact.layer:
            owners.extend((place, artifact.logical_id) for place in places)
    roots: list[Path] = []
    for source in sorted(set(sources), key=lambda p: len(p.parts)):
        if source.exists() and not any(source.is_relative_to(root) for root in roots):
            roots.append(source)
    return WatchPlan(template_file, tuple(owners), tuple(roots), tuple(sorted(packages)))


def ignored(path: Path, build_dir: Path) -> bool:
    """Files a watch ignores besides watchfiles' defaults: the build folder, the
    server's data folder (``altus up`` writes its database there all the time), the
    names copies skip (``.altus``, ``.aws-sam``, ...), and ``*.egg-info``, which building
    a local package writes into its own folder."""
    if path.is_relative_to(build_dir) or path.is_relative_to(data_dir()):
        return True
    parts = path.parts
    return any(p.endswith(".egg-info") or p in SKIPPED_NAMES for p in parts)


def watch(
    options: DeployOptions,
    clients: Clients,
    out: Out = say,
    *,
    stop: threading.Event | None = None,
    watching: threading.Event | None = None,
    max_batches: int | None = None,
) -> None:
    """Sync, then sync each batch of changes (module docstring). ``watching`` is set
    once changes are being recorded; the loop ends when ``stop`` is set or after
    ``max_batches`` batches (and on KeyboardInterrupt, which it raises)."""
    import watchfiles

    _attempt(lambda: sync(options, clients, out), clients.endpoint)
    plan = watch_plan(options)
    build_dir = options.build_dir.resolve()
    default = watchfiles.DefaultFilter()
    batches = 0
    # One watcher per set of roots: a deploy that changes them starts a new one.
    for _ in range(1_000_000):
        # Local packages only: a function's own ``build/`` folder is its code.
        dependency_roots = set(plan.packages)

        def wanted(
            change: watchfiles.Change, name: str, roots: set[Path] = dependency_roots
        ) -> bool:
            path = Path(name)
            if not default(change, name) or ignored(path, build_dir):
                return False
            # What setuptools leaves beside a local package's sources while pip builds it.
            return not any(path.is_relative_to(root / "build") for root in roots)

        roots = plan.roots
        out(f"Watching {', '.join(str(r) for r in roots)} for changes (Ctrl-C to stop)")
        for changes in watchfiles.watch(
            *roots,
            watch_filter=wanted,
            debounce=DEBOUNCE_MS,
            step=STEP_MS,
            stop_event=stop,
            rust_timeout=200,
            yield_on_timeout=True,
        ):
            if watching is not None:
                watching.set()
            if not changes:
                continue
            detected = time.monotonic()
            paths = {Path(name) for _, name in changes}
            react = functools.partial(_react, options, clients, out, plan, paths, detected)
            plan = _attempt(react, clients.endpoint) or plan
            batches += 1
            if max_batches is not None and batches >= max_batches:
                return
            if plan.roots != roots:
                break
        else:
            return  # stopped


def _react(
    options: DeployOptions,
    clients: Clients,
    out: Out,
    plan: WatchPlan,
    paths: set[Path],
    detected: float,
) -> WatchPlan:
    """One batch of changes: a deploy where the fingerprint changed (then a new plan),
    else each touched function's code; the plan to watch with next."""
    if not code_only(options, clients):
        shown = sorted(_shown(p, options.template.parent) for p in paths if p.exists())
        out(f"Changed: {', '.join(shown) or 'files removed'}: deploying")
        deploy(options, clients, out)
        return watch_plan(options)
    touched = sorted(plan.functions_for(paths))
    built = [build_function(options.template, i, options.build_dir, progress=out) for i in touched]
    if not send_code(options, clients, out, built, detected):
        for logical_id in touched:
            out(f"· {logical_id} code unchanged")
    return plan


def _shown(path: Path, base: Path) -> str:
    return str(path.relative_to(base)) if path.is_relative_to(base) else str(path)


def warn(text: str) -> None:
    print(f"altus: {text}", file=sys.stderr, flush=True)


def _attempt(action: Callable[[], T], endpoint: str) -> T | None:
    """``action()``, its failure printed rather than raised: a watch goes on."""
    try:
        with aws_errors(endpoint):
            return action()
    except CliError as error:
        warn(f"error: {error}")
    except OSError as error:
        warn(f"error: {error}")
    return None
