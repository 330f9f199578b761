"""``altus local start-api``: a template's APIs served on a port of this machine, as
``sam local start-api`` serves them, by a platform in this process that deploys the
template the way it would be deployed to Altus: built (``altus.cli.build``), packaged
into the platform's S3 (``altus.cli.package``) and made a stack by the platform's own
CloudFormation (CreateStack through boto3), SAM transform and all. Its REST and HTTP
APIs are served at the root of the port (``local_routes``), and at their long form
(``/_aws/execute-api/<api id>/<stage>/...``); the platform's AWS APIs answer on the
same port, unless it listens beyond this machine (``--host 0.0.0.0``): then the APIs
alone are served there (the platform authenticates nothing), and a warning says so.

Changes are loaded without a restart (``watchfiles``): a change under a function's code
folder rebuilds that function and replaces its code (UpdateFunctionCode); a change to
the template, or under a layer's folder, builds the template again and updates the
stack (UpdateStack), after which the routes are read again. What fails (a build, a
template that does not parse, a stack update rolled back) is said, and the previous
code goes on serving.

``serve`` runs until its stop event is set (tests) or Ctrl-C (KeyboardInterrupt, after
everything is stopped).
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from altus.cli.builders import BUILD_DIR
from altus.cli.client import CliError
from altus.cli.local_platform import (
    BUCKET,
    LocalPlatform,
    Say,
    is_loopback,
    listen,
    say_to_stderr,
)
from altus.cli.local_routes import DEFAULT_ROUTE, HTTP, REST, FrontApp, MountedApi, Route
from altus.cli.local_template import FUNCTION_TYPES, LAYER_TYPES, LocalError, uses_nodejs

#: What a stack operation may take before start-api gives up on it.
STACK_LIMIT = 900.0
#: CloudFormation's largest TemplateBody; a larger template goes by TemplateURL.
_BODY_LIMIT = 51_200
_CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"]
_FUNCTION_NAME = re.compile(r":function:([^:/]+)")


@dataclass(frozen=True, slots=True)
class ApiOptions:
    template: Path
    host: str = "127.0.0.1"
    port: int = 3000
    overrides: Mapping[str, str] = field(default_factory=dict)
    #: The logical id of the one API served at the root; None: all of them.
    api: str | None = None
    stack_name: str = "local"
    build_dir: Path | None = None
    watch: bool = True
    #: How long changes are gathered before they are acted on.
    debounce_ms: int = 400


@dataclass(frozen=True, slots=True)
class Source:
    """A folder (or file) whose changes reload something."""

    logical_id: str
    path: Path
    layer: bool


@dataclass(frozen=True, slots=True)
class Reload:
    """What a batch of changes calls for."""

    #: The template, or a layer, changed: build everything again and update the stack.
    stack: bool
    #: Functions to rebuild and update the code of (when the stack is not updated).
    functions: tuple[str, ...]


def sources_of(template: Mapping[str, Any], template_dir: Path) -> list[Source]:
    """The local code of the template's functions and layers (what is built), and of
    layers packaged as they are."""
    from altus.cli.build import artifacts_of

    found, _ = artifacts_of(template, template_dir)
    out = [Source(a.logical_id, a.source, a.layer) for a in found]
    built = {a.logical_id for a in found}
    resources = template.get("Resources")
    for logical_id, resource in resources.items() if isinstance(resources, Mapping) else ():
        if logical_id in built or not isinstance(resource, Mapping):
            continue
        if resource.get("Type") not in LAYER_TYPES:
            continue
        properties = resource.get("Properties")
        content = (
            properties.get("ContentUri", properties.get("Content"))
            if isinstance(properties, Mapping)
            else None
        )
        if isinstance(content, str) and "://" not in content:
            out.append(Source(logical_id, (template_dir / content).resolve(), True))
    return out


def marked_local(template: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``template`` whose functions have ``AWS_SAM_LOCAL=true`` in their
    environment, as sam sets it (a function whose Environment is an intrinsic function
    is left as it is)."""
    out = dict(template)
    resources = template.get("Resources")
    if not isinstance(resources, Mapping):
        return out
    changed: dict[str, Any] = dict(resources)
    for logical_id, resource in resources.items():
        if not isinstance(resource, Mapping) or resource.get("Type") not in FUNCTION_TYPES:
            continue
        properties = resource.get("Properties")
        properties = dict(properties) if isinstance(properties, Mapping) else {}
        environment = properties.get("Environment", {})
        if not isinstance(environment, Mapping) or set(environment) - {"Variables"}:
            continue  # an intrinsic function: what it makes is not known here
        variables = environment.get("Variables", {})
        if not isinstance(variables, Mapping):
            continue
        properties["Environment"] = {
            **environment,
            "Variables": {**variables, "AWS_SAM_LOCAL": "true"},
        }
        changed[logical_id] = {**resource, "Properties": properties}
    out["Resources"] = changed
    return out


def plan_reload(changed: Iterable[Path], template_file: Path, sources: Iterable[Source]) -> Reload:
    """What to do about the changed paths: the template or a layer's files -> update the
    stack; a function's files -> rebuild it; anything else -> nothing."""
    stack = False
    functions: list[str] = []
    listed = list(sources)
    for path in changed:
        if path == template_file:
            stack = True
            continue
        for source in listed:
            if path == source.path or path.is_relative_to(source.path):
                if source.layer:
                    stack = True
                elif source.logical_id not in functions:
                    functions.append(source.logical_id)
    return Reload(stack, () if stack else tuple(functions))


def watch_roots(template_file: Path, sources: Iterable[Source]) -> list[Path]:
    """The folders to watch: the template's and each source's (a file's folder), none
    inside another."""
    folders = {template_file.parent}
    for source in sources:
        folders.add(source.path if source.path.is_dir() else source.path.parent)
    ordered = sorted(folders, key=lambda p: len(p.parts))
    roots: list[Path] = []
    for folder in ordered:
        if not any(folder == root or folder.is_relative_to(root) for root in roots):
            roots.append(folder)
    return roots


class LocalApi:
    """One ``start-api`` run. ``url``: where the APIs are served, once started."""

    def __init__(self, options: ApiOptions, say: Say = say_to_stderr) -> None:
        self.options = options
        self._say = say
        self.template_file = options.template.resolve()
        self.build_dir = (
            options.build_dir.resolve()
            if options.build_dir is not None
            else self.template_file.parent / BUILD_DIR
        )
        self.platform: LocalPlatform | None = None
        self.front: FrontApp | None = None
        self.url = ""
        #: Logical id -> the function's name in the stack.
        self.functions: dict[str, str] = {}
        self.apis: tuple[MountedApi, ...] = ()
        self._template: dict[str, Any] = {}
        #: Listening beyond this machine: the APIs alone are served (``local_routes``).
        self.public = not is_loopback(options.host)

    # --- the run -------------------------------------------------------------------------

    def serve(
        self,
        stop: threading.Event | None = None,
        ready: Callable[[LocalApi], None] | None = None,
    ) -> None:
        """Start, call ``ready``, then reload on changes until ``stop`` is set (or
        KeyboardInterrupt); everything is stopped on the way out, however it ends."""
        stop = stop if stop is not None else threading.Event()
        try:
            self.start()
            if ready is not None:
                ready(self)
            if self.options.watch:
                self.watch(stop)
            else:
                while not stop.wait(0.5):
                    pass
        finally:
            self.close()

    def start(self) -> None:
        """Build, start the platform, deploy the stack, serve the port. LocalError if the
        stack cannot be created (what failed, in CloudFormation's words)."""
        from altus.cli.build import build
        from altus.cli.deploy import build_notes
        from altus.cli.package import read_template

        sock, url = listen(self.options.host, self.options.port)
        try:
            self._template = read_template(self.template_file, LocalError)
            result = build(self.template_file, self.build_dir, progress=self._say)
            for note in build_notes(result):
                self._say(f"Note: {note}")
            self.platform = LocalPlatform(nodejs=uses_nodejs(self._template), say=self._say)
            self.platform.start()
            self._say(f"Deploying the stack {self.options.stack_name} to the local platform")
            self._deploy(result.template_file, create=True)
            apis = self.apis
            self.platform.serve(sock, lambda app: self._front(app, apis))
        except BaseException:
            sock.close()
            raise
        self.url = url
        self._announce()

    def _front(self, app: Any, apis: tuple[MountedApi, ...]) -> FrontApp:
        self.front = FrontApp(app, apis, public=self.public)
        return self.front

    def close(self) -> None:
        if self.platform is not None:
            self.platform.close()
            self.platform = None

    def _announce(self) -> None:
        for api in self.apis:
            for route in api.routes:
                path = "/*" if route.path == DEFAULT_ROUTE else route.path
                # sam's words, with the API the route is of.
                self._say(
                    f"Mounting {route.function or 'a route'} at {self.url}{path} "
                    f"[{route.method}] ({api.logical_id})"
                )
        for api in self.apis:
            stage = f"stage {api.stage}" if api.stage is not None else "the $default stage"
            long_form = f"{self.url}{api.base_path}/"
            self._say(f"{api.logical_id}: {api.kind} API {api.api_id}, {stage}, at {long_form}")
        if not self.apis:
            self._say("The template has no REST or HTTP API to serve")
        if self.public:
            platform_url = self.platform.url if self.platform is not None else "?"
            self._say(
                f"Warning: listening on {self.options.host}, beyond this machine: anyone who "
                "can reach the port can call these APIs. The platform's AWS APIs are not "
                f"served there (they authenticate nothing): they are at {platform_url}, "
                "for this machine only"
            )
        else:
            self._say(f"The platform's AWS APIs (aws --endpoint-url): {self.url}")
        watching = (
            "changes are rebuilt and loaded without a restart; " if self.options.watch else ""
        )
        self._say(f"Serving at {self.url}: {watching}Ctrl-C stops")

    # --- the stack -----------------------------------------------------------------------

    def _deploy(self, built_template: Path, *, create: bool) -> bool:
        """Package ``built_template`` and create or update the stack with it; whether it
        changed. LocalError when a create fails; an update that fails is said (the
        stack rolls back to what it was)."""
        from botocore.exceptions import ClientError

        from altus.cli.package import package, to_yaml

        platform = self.platform
        assert platform is not None
        s3, cf = platform.client("s3"), platform.client("cloudformation")
        packaged = package(built_template, s3, BUCKET, prefix="templates")
        body = to_yaml(marked_local(packaged.template))
        where: dict[str, str] = {"TemplateBody": body}
        if len(body.encode()) > _BODY_LIMIT:
            key = f"templates/{self.options.stack_name}.yaml"
            s3.put_object(Bucket=BUCKET, Key=key, Body=body.encode())
            where = {"TemplateURL": f"{platform.url}/{BUCKET}/{key}"}
        common: dict[str, Any] = {
            "StackName": self.options.stack_name,
            "Parameters": [
                {"ParameterKey": key, "ParameterValue": value}
                for key, value in self.options.overrides.items()
            ],
            "Capabilities": _CAPABILITIES,
            **where,
        }
        try:
            if create:
                cf.create_stack(**common)
            else:
                cf.update_stack(**common)
        except ClientError as error:
            message = error.response.get("Error", {}).get("Message", str(error))
            if not create and "No updates are to be performed" in message:
                self._say("No changes to the stack")
                return False
            raise LocalError(f"the stack was refused: {message}") from None
        status = self._settle()
        if status not in ("CREATE_COMPLETE", "UPDATE_COMPLETE"):
            why = "; ".join(self._failures()) or status
            if create:
                raise LocalError(f"the stack could not be created ({status}): {why}")
            self._say(f"The stack update failed ({status}), the previous one serves on: {why}")
            return False
        self._discover()
        return True

    def _settle(self) -> str:
        """The stack's status once its operation has ended (bounded)."""
        assert self.platform is not None
        cf = self.platform.client("cloudformation")
        deadline = time.monotonic() + STACK_LIMIT
        while True:
            stack = cf.describe_stacks(StackName=self.options.stack_name)["Stacks"][0]
            status: str = stack["StackStatus"]
            if not status.endswith("_IN_PROGRESS") or time.monotonic() > deadline:
                return status
            time.sleep(0.1)

    def _failures(self) -> list[str]:
        """Why the last operation failed: its resources' failures, oldest first."""
        assert self.platform is not None
        cf = self.platform.client("cloudformation")
        events = cf.describe_stack_events(StackName=self.options.stack_name)["StackEvents"]
        found: list[str] = []
        for event in events:  # newest first, back to the operation's start
            if event["LogicalResourceId"] == self.options.stack_name and event[
                "ResourceStatus"
            ] in ("CREATE_IN_PROGRESS", "UPDATE_IN_PROGRESS"):
                break
            reason = event.get("ResourceStatusReason", "")
            failed = event["ResourceStatus"].endswith("_FAILED")
            if failed and reason and "cancelled" not in reason:  # not its bystanders
                found.append(f"{event['LogicalResourceId']}: {reason}")
        return list(reversed(found))

    def _discover(self) -> None:
        """The stack's functions and APIs, read again (after each create or update)."""
        assert self.platform is not None
        cf = self.platform.client("cloudformation")
        resources = cf.describe_stack_resources(StackName=self.options.stack_name)["StackResources"]
        self.functions = {
            r["LogicalResourceId"]: r["PhysicalResourceId"]
            for r in resources
            if r["ResourceType"] == "AWS::Lambda::Function"
        }
        by_name = {name: logical_id for logical_id, name in self.functions.items()}
        stage_names = {
            r["PhysicalResourceId"]
            for r in resources
            if r["ResourceType"] in ("AWS::ApiGateway::Stage", "AWS::ApiGatewayV2::Stage")
        }
        apis: list[MountedApi] = []
        for resource in sorted(resources, key=lambda r: r["LogicalResourceId"]):
            kind = resource["ResourceType"]
            if kind == "AWS::ApiGateway::RestApi":
                apis.append(self._rest_api(resource, stage_names, by_name))
            elif kind == "AWS::ApiGatewayV2::Api":
                api = self._http_api(resource, by_name)
                if api is not None:
                    apis.append(api)
        if self.options.api is not None:
            chosen = [api for api in apis if api.logical_id == self.options.api]
            if not chosen:
                listed = ", ".join(api.logical_id for api in apis) or "none"
                raise LocalError(f"--api {self.options.api}: the stack has no such API ({listed})")
            apis = chosen
        self.apis = tuple(apis)
        if self.front is not None:
            self.front.apis = self.apis

    def _function_of(self, uri: str | None, by_name: Mapping[str, str]) -> str | None:
        found = _FUNCTION_NAME.search(uri or "")
        return by_name.get(found.group(1), found.group(1)) if found else None

    def _rest_api(
        self, resource: Mapping[str, Any], stage_names: set[str], by_name: Mapping[str, str]
    ) -> MountedApi:
        from botocore.exceptions import ClientError

        assert self.platform is not None
        apigateway = self.platform.client("apigateway")
        api_id = resource["PhysicalResourceId"]
        stages = [s["stageName"] for s in apigateway.get_stages(restApiId=api_id)["item"]]
        # The template's own stage (SAM's Prod) before the one its deployment makes
        # (SAM's "Stage").
        ranked = sorted(stages, key=lambda name: (name not in stage_names, name == "Stage"))
        routes: list[Route] = []
        items = apigateway.get_resources(restApiId=api_id, limit=500)["items"]
        for item in sorted(items, key=lambda i: i["path"]):
            for method in sorted(item.get("resourceMethods") or {}):
                if method == "OPTIONS":  # CORS preflights: the gateway's answer
                    continue
                try:
                    integration = apigateway.get_integration(
                        restApiId=api_id, resourceId=item["id"], httpMethod=method
                    )
                    uri = integration.get("uri")
                except ClientError:  # a method without an integration: routed all the same
                    uri = None
                routes.append(Route(method, item["path"], self._function_of(uri, by_name)))
        return MountedApi(
            resource["LogicalResourceId"],
            api_id,
            REST,
            ranked[0] if ranked else "Prod",
            tuple(routes),
        )

    def _http_api(
        self, resource: Mapping[str, Any], by_name: Mapping[str, str]
    ) -> MountedApi | None:
        assert self.platform is not None
        v2 = self.platform.client("apigatewayv2")
        api_id = resource["PhysicalResourceId"]
        if v2.get_api(ApiId=api_id).get("ProtocolType") != "HTTP":
            return None  # WebSocket APIs: at their long form only
        stages = [s["StageName"] for s in v2.get_stages(ApiId=api_id).get("Items", [])]
        stage = None if "$default" in stages or not stages else stages[0]
        integrations = {
            i["IntegrationId"]: i.get("IntegrationUri")
            for i in v2.get_integrations(ApiId=api_id).get("Items", [])
        }
        routes: list[Route] = []
        for item in sorted(
            v2.get_routes(ApiId=api_id).get("Items", []), key=lambda r: r["RouteKey"]
        ):
            key: str = item["RouteKey"]
            method, _, path = key.partition(" ")
            if key == DEFAULT_ROUTE:
                method, path = "ANY", DEFAULT_ROUTE
            target = str(item.get("Target", "")).removeprefix("integrations/")
            routes.append(Route(method, path, self._function_of(integrations.get(target), by_name)))
        return MountedApi(resource["LogicalResourceId"], api_id, HTTP, stage, tuple(routes))

    # --- reloading -----------------------------------------------------------------------

    def sources(self) -> list[Source]:
        return sources_of(self._template, self.template_file.parent)

    def watch(self, stop: threading.Event) -> None:
        """Reload on changes until ``stop`` is set. The watched folders are chosen again
        after a change that changes them (a function added, a CodeUri moved)."""
        from watchfiles import DefaultFilter, watch

        ignored = DefaultFilter(ignore_paths=[self.build_dir])
        while not stop.is_set():
            roots = watch_roots(self.template_file, self.sources())
            for changes in watch(
                *roots,
                watch_filter=ignored,
                stop_event=stop,
                debounce=self.options.debounce_ms,
                step=50,
                rust_timeout=1000,
            ):
                self.reload({Path(path) for _, path in changes})
                if watch_roots(self.template_file, self.sources()) != roots:
                    break
            else:
                return  # stopped

    def reload(self, changed: set[Path]) -> None:
        """Act on changed paths (see ``plan_reload``); failures are said, not raised."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            plan = plan_reload(changed, self.template_file, self.sources())
            if plan.stack:
                self._update_stack()
            for logical_id in plan.functions:
                self._update_function(logical_id)
        except (CliError, ClientError, BotoCoreError, OSError) as error:
            # A build or a template that fails, or a file that went while it was read (a
            # git checkout): said, and the previous code serves on.
            self._say(f"Error: {error}")

    def _update_function(self, logical_id: str) -> None:
        from altus.cli.build import BUILT, build_function

        name = self.functions.get(logical_id)
        if name is None:
            return
        started = time.monotonic()
        built = build_function(self.template_file, logical_id, self.build_dir, progress=self._say)
        if built.status != BUILT or built.path is None:
            return  # its inputs hash as before: nothing to load
        assert self.platform is not None
        self.platform.update_code(name, built.path, logical_id)
        self._say(f"Reloaded {logical_id} ({time.monotonic() - started:.1f} s)")

    def _update_stack(self) -> None:
        from altus.cli.build import build
        from altus.cli.package import read_template

        self._say(f"{self.template_file.name} or a layer changed: updating the stack")
        self._template = read_template(self.template_file, LocalError)
        result = build(self.template_file, self.build_dir, progress=self._say)
        if self._deploy(result.template_file, create=False):
            self._say("Stack updated")
            self._announce()
