"""Deploying a template as a stack, as ``sam deploy`` does, against the server's own
CloudFormation, S3 and STS (boto3 clients signed with the local administrator key):
what ``altus deploy [template.yaml]`` runs (``cli/stacks.py`` is its command line).

The steps: build the template (``altus.cli.build``, unless ``options.build`` is off),
package it into the built-in S3 (``altus.cli.package``; bucket
``altus-deploy-artifacts-<account>``, keys under the stack name), create a change set
(CREATE or UPDATE, decided as the AWS CLI decides: digest §1.6), show its changes,
execute it, print the stack's events as they come (oldest first, until the stack's own
event that is no longer IN_PROGRESS: §1.2), and print the outputs. A change set without
changes is "No changes to deploy"; a stack that ends anything but CREATE_COMPLETE or
UPDATE_COMPLETE is a ``CliError`` naming why. A stack whose first create failed
(ROLLBACK_COMPLETE, which can only be deleted) is deleted and created again.

Each stack is tagged ``altus:template`` with the absolute path of the template it was
deployed from (stack tags reach its resources too; only ``aws:`` keys are reserved). A
deploy whose stack name was not given (the template folder's name: ``cli/stacks.py``)
refuses a stack tagged as another template's: two projects in folders of the same name
would otherwise replace each other's stack without a word.

Plan, then apply: the change set is the plan (``execute`` off shows it and stops).
A deploy that leaves the stack current records its fingerprint (``cli/deployed.py``),
so ``altus sync`` (``cli/sync.py``) can tell a change of function code alone.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from altus.cli import deployed
from altus.cli.build import BUILD_DIR, build
from altus.cli.client import CliError
from altus.cli.package import package, to_yaml

Out = Callable[[str], None]

#: The user's own server: every capability, so SAM and named IAM resources just deploy.
DEFAULT_CAPABILITIES = ("CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND", "CAPABILITY_NAMED_IAM")
#: How often the stack's events are read while it changes (a local server is fast).
POLL_SECONDS = 0.25
#: How long a change set or a stack operation may take before the CLI gives up.
PATIENCE_SECONDS = 3600.0
SUCCEEDED = ("CREATE_COMPLETE", "UPDATE_COMPLETE")
#: CloudFormation's words for an empty change set (both are seen: digest §1.5).
_NO_CHANGES = ("didn't contain changes", "No updates are to be performed")
_LARGEST_BODY = 51_200
#: The stack tag naming the template a stack was deployed from.
TEMPLATE_TAG = "altus:template"
#: AWS's longest tag value; a longer path is tagged by its digest.
_LONGEST_TAG_VALUE = 256
#: Error codes of a request whose credentials the server does not take.
_AUTH_CODES = (
    "InvalidClientTokenId",
    "UnrecognizedClientException",
    "SignatureDoesNotMatch",
    "InvalidSignatureException",
    "IncompleteSignature",
    "MissingAuthenticationToken",
    "AuthFailure",
    "ExpiredToken",
)


# --- options -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DeployOptions:
    """One deploy: the template file, its stack, and how."""

    template: Path
    stack_name: str
    parameters: Mapping[str, str] = field(default_factory=dict)
    capabilities: tuple[str, ...] = DEFAULT_CAPABILITIES
    bucket: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    build: bool = True
    execute: bool = True
    #: The stack name was given (a flag, samconfig.toml), not taken from the folder's
    #: name: it may update a stack deployed from another template.
    named: bool = True
    #: The artifacts' key prefix in the bucket (default: the stack name).
    prefix: str | None = None

    @property
    def build_dir(self) -> Path:
        return self.template.parent / BUILD_DIR

    def fingerprint(self) -> str | None:
        """What deploying these options depends on besides function code
        (``altus.cli.deployed``)."""
        settings = [
            self.stack_name,
            sorted(self.parameters.items()),
            sorted(self.capabilities),
            self.bucket,
            sorted(self.tags.items()),
            self.prefix,
        ]
        return deployed.fingerprint(self.template, self.build_dir, settings)

    def remembered(self) -> tuple[str, str] | None:
        """(stack id, fingerprint) of the last deploy that left the stack current."""
        return deployed.remembered(self.build_dir, self.stack_name)


# --- clients -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Clients:
    """boto3 clients of one Altus server."""

    endpoint: str
    cloudformation: Any
    s3: Any
    lambda_: Any
    sts: Any


def local_key() -> tuple[str, str, str] | None:
    """(key id, secret, region) of the administrator key ``altus up`` wrote into its data
    directory (found as ``altus.cli.signing.local_credentials`` finds it); None where
    there is none."""
    from altus.identity.keys import read_credentials

    folder = Path(os.environ.get("ALTUS_DATA_DIR") or ".altus")
    found = read_credentials(folder / "credentials")
    if found is None:
        return None
    key_id, secret, region = found
    return key_id, secret, region or "us-east-1"


def session() -> Any:
    """The boto3 session deploys sign with: the local administrator key, else boto3's
    own credential chain (``AWS_ACCESS_KEY_ID``, ``AWS_PROFILE`` and the shared
    credentials file ...), else a placeholder, which a server that checks nothing
    takes."""
    import boto3

    found = local_key()
    if found is not None:
        key_id, secret, region = found
        return boto3.Session(
            aws_access_key_id=key_id, aws_secret_access_key=secret, region_name=region
        )
    chain = boto3.Session()  # AWS_PROFILE and the rest, as boto3 reads them
    region = chain.region_name or "us-east-1"
    if chain.get_credentials() is not None:
        return boto3.Session(region_name=region)
    return boto3.Session(
        aws_access_key_id="altus", aws_secret_access_key="altus", region_name=region
    )


def connect(endpoint: str) -> Clients:
    from botocore.config import Config

    session_ = session()
    config = Config(retries={"total_max_attempts": 2}, connect_timeout=5, read_timeout=900)

    def client(service: str) -> Any:
        return session_.client(service, endpoint_url=endpoint, config=config)

    return Clients(
        endpoint.rstrip("/"),
        client("cloudformation"),
        client("s3"),
        client("lambda"),
        client("sts"),
    )


@contextmanager
def aws_errors(endpoint: str) -> Iterator[None]:
    """botocore's failures as the one-line ``CliError`` the CLI prints."""
    from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError

    try:
        yield
    except ClientError as error:
        found = error.response.get("Error", {})
        code = found.get("Code", "Error")
        hint = ""
        if code in _AUTH_CODES:
            hint = (
                " (the key is the administrator's in $ALTUS_DATA_DIR/credentials, default "
                ".altus/credentials; else AWS_PROFILE or AWS_ACCESS_KEY_ID: set one that "
                "this server knows)"
            )
        raise CliError(f"{code}: {found.get('Message', error)}{hint}") from None
    except EndpointConnectionError:
        raise CliError(f"cannot reach Altus at {endpoint} (is `altus up` running?)") from None
    except BotoCoreError as error:
        raise CliError(f"request to {endpoint} failed: {error}") from None


def say(text: str) -> None:
    print(text, flush=True)


# --- deploying ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Deployed:
    stack_id: str
    #: CREATE_COMPLETE, UPDATE_COMPLETE, UNCHANGED (no changes), or REVIEW (not executed).
    outcome: str
    outputs: Mapping[str, str]


def deploy(options: DeployOptions, clients: Clients, out: Out = say) -> Deployed:
    """Build, package, plan and apply ``options`` (module docstring). CliError (with
    CloudFormation's reason) when the change set cannot be made or the stack fails."""
    cloudformation = clients.cloudformation
    fingerprint = options.fingerprint()
    template_file = options.template
    stack = existing_stack(cloudformation, options.stack_name)
    if stack is not None and not options.named:
        check_owner(stack, options)
    if options.build:
        result = build(options.template, options.build_dir, progress=out)
        for note in build_notes(result):
            out(f"Note: {note}")
        template_file = result.template_file
    bucket = options.bucket or default_bucket(clients)
    prefix = options.stack_name if options.prefix is None else options.prefix
    packaged = package(template_file, clients.s3, bucket, prefix=prefix)
    sent = sum(1 for u in packaged.uploads if u.uploaded)
    out(f"Packaged {len(packaged.uploads)} artifact(s) into s3://{bucket} ({sent} uploaded)")
    if stack is not None and stack["StackStatus"] == "ROLLBACK_COMPLETE":
        # A failed first create can only be deleted: do so, and create it again.
        out(f"Stack {options.stack_name} is ROLLBACK_COMPLETE (its create failed): deleting it")
        _delete(cloudformation, stack["StackId"])
        stack = None
    declared = packaged.template.get("Parameters")
    unknown = sorted(
        set(options.parameters) - set(declared if isinstance(declared, Mapping) else ())
    )
    if unknown:
        out(
            f"Warning: --parameter-overrides: the template declares no {', '.join(unknown)} "
            "(ignored)"
        )
    request = _change_set_request(options, clients, stack, packaged.template, bucket)
    created = cloudformation.create_change_set(**request)
    change_set = _settled_change_set(cloudformation, created["Id"])
    stack_id: str = created["StackId"]
    if change_set["Status"] == "FAILED":
        reason = change_set.get("StatusReason", "")
        if not any(words in reason for words in _NO_CHANGES):
            raise CliError(
                f"Failed to create the changeset: Status: FAILED. Reason: {reason or 'unknown'}"
            )
        cloudformation.delete_change_set(ChangeSetName=created["Id"])
        out(f"No changes to deploy. Stack {options.stack_name} is up to date")
        deployed.remember(options.build_dir, options.stack_name, stack_id, fingerprint)
        return Deployed(stack_id, "UNCHANGED", current_outputs(clients, options))
    kind = request["ChangeSetType"]
    out(f"\nChanges of stack {options.stack_name} ({kind}, change set {request['ChangeSetName']}):")
    rows = change_rows(change_set["Changes"])
    out(table(rows))
    if not options.execute:
        out(f"\nChange set {created['Id']} created, not executed (--no-execute)")
        return Deployed(stack_id, "REVIEW", {})
    events = EventStream(cloudformation, stack_id, options.stack_name)
    events.skip_past()
    cloudformation.execute_change_set(ChangeSetName=created["Id"])
    out(f"\nEvents of stack {options.stack_name}:")
    failures = events.follow(out, event_widths(kind, rows[1:], options.stack_name))
    final = cloudformation.describe_stacks(StackName=stack_id)["Stacks"][0]
    status = final["StackStatus"]
    if status not in SUCCEEDED:
        why = "; ".join(failures) or final.get("StackStatusReason") or "no reason given"
        raise CliError(f"Stack {options.stack_name} ended {status}: {why}")
    deployed.remember(options.build_dir, options.stack_name, stack_id, fingerprint)
    outputs = {o["OutputKey"]: o.get("OutputValue", "") for o in final.get("Outputs", [])}
    if final.get("Outputs"):
        out("\nOutputs:")
        out(table(output_rows(final["Outputs"])))
    resources = _resource_rows(clients, stack_id)
    if len(resources) > 1:
        out("\nFunctions and APIs:")
        out(table(resources))
    out(f"\nStack {options.stack_name} is {status}")
    return Deployed(stack_id, status, outputs)


def _change_set_request(
    options: DeployOptions,
    clients: Clients,
    stack: Mapping[str, Any] | None,
    template: Mapping[str, Any],
    bucket: str,
) -> dict[str, Any]:
    """CreateChangeSet's members, as the AWS CLI makes them: CREATE for a stack that is
    not there, else UPDATE; the packaged ``template`` inline, or from S3 if too large."""
    previous: set[str] | None = None
    if stack is not None:
        summary = clients.cloudformation.get_template_summary(StackName=options.stack_name)
        previous = {p["ParameterKey"] for p in summary.get("Parameters", [])}
    declared = template.get("Parameters")
    request: dict[str, Any] = {
        "StackName": options.stack_name,
        "ChangeSetName": f"altus-deploy-{int(time.time() * 1000)}",
        "ChangeSetType": "CREATE" if stack is None else "UPDATE",
        "Description": f"Created by altus deploy at {datetime.now(UTC):%Y-%m-%dT%H:%M:%S} UTC",
        "Capabilities": list(options.capabilities),
        "Parameters": parameters_for(
            declared if isinstance(declared, Mapping) else {}, options.parameters, previous
        ),
    }
    tags = {**options.tags, TEMPLATE_TAG: template_tag(options.template)}
    request["Tags"] = [{"Key": k, "Value": v} for k, v in tags.items()]
    body = to_yaml(template)
    if len(body.encode()) > _LARGEST_BODY:
        request["TemplateURL"] = _upload_template(clients, bucket, options.stack_name, body)
    else:
        request["TemplateBody"] = body
    return request


def template_tag(template: Path) -> str:
    """The ``altus:template`` value for ``template``: its absolute path, or (past a tag
    value's 256 characters) the path's digest."""
    path = str(template.resolve())
    if len(path) <= _LONGEST_TAG_VALUE:
        return path
    return "sha256:" + hashlib.sha256(path.encode()).hexdigest()


def check_owner(stack: Mapping[str, Any], options: DeployOptions) -> None:
    """CliError if ``stack`` is tagged as deployed from a template other than
    ``options.template`` (a stack without the tag is anyone's)."""
    tags = {t.get("Key"): t.get("Value") for t in stack.get("Tags") or []}
    owner = tags.get(TEMPLATE_TAG)
    if owner is not None and owner != template_tag(options.template):
        raise CliError(
            f"the stack {options.stack_name} (named after the template's folder) was "
            f"deployed from another template, {owner}: pass --stack-name "
            f"{options.stack_name} to deploy there anyway, or another name"
        )


def build_notes(result: Any) -> list[str]:
    """What a build (``altus.cli.build.BuildResult``) has to say: each artifact's
    notes, and why one was skipped."""
    found: list[str] = []
    for built in result.artifacts:
        if built.status == "skipped":
            found.append(f"{built.logical_id} not built: {'; '.join(built.notes) or 'skipped'}")
        else:
            found.extend(f"{built.logical_id}: {note}" for note in built.notes)
    return found


def _resource_rows(clients: Clients, stack_id: str) -> list[tuple[str, ...]]:
    """The stack's functions (physical names) and APIs (their URL on the server)."""
    resources = clients.cloudformation.describe_stack_resources(StackName=stack_id)
    rows: list[tuple[str, ...]] = [("LogicalResourceId", "Type", "Name or URL")]
    listed = resources["StackResources"]
    rest_apis = [
        r.get("PhysicalResourceId")
        for r in listed
        if r["ResourceType"] == "AWS::ApiGateway::RestApi"
    ]
    base = f"{clients.endpoint}/_aws/execute-api/"
    for resource in sorted(listed, key=lambda r: r["LogicalResourceId"]):
        kind, physical = resource["ResourceType"], resource.get("PhysicalResourceId", "")
        if not physical:
            continue
        if kind == "AWS::Lambda::Function":
            rows.append((resource["LogicalResourceId"], "function", physical))
        elif kind == "AWS::ApiGateway::Stage" and len(rest_apis) == 1:
            url = f"{base}{rest_apis[0]}/{physical}/"
            rows.append((resource["LogicalResourceId"], "REST API stage", url))
        elif kind == "AWS::ApiGateway::RestApi" and len(rest_apis) > 1:
            # Which API a stage is of is not in the stack's resources: the stage is left.
            url = f"{base}{physical}/<stage>/"
            rows.append((resource["LogicalResourceId"], "REST API", url))
        elif kind == "AWS::ApiGatewayV2::Api":
            rows.append((resource["LogicalResourceId"], "HTTP API", f"{base}{physical}/"))
    return rows


def default_bucket(clients: Clients) -> str:
    account = clients.sts.get_caller_identity()["Account"]
    return f"altus-deploy-artifacts-{account}"


def existing_stack(cloudformation: Any, name: str) -> dict[str, Any] | None:
    """The stack, or None where the AWS CLI would create it: none of that name, or one
    still in REVIEW_IN_PROGRESS (a CREATE change set never executed)."""
    from botocore.exceptions import ClientError

    try:
        stacks = cloudformation.describe_stacks(StackName=name)["Stacks"]
    except ClientError as error:
        if f"Stack with id {name} does not exist" in str(error):
            return None
        raise
    if not stacks or stacks[0]["StackStatus"] == "REVIEW_IN_PROGRESS":
        return None
    found: dict[str, Any] = stacks[0]
    return found


def parameters_for(
    declared: Mapping[str, Any], overrides: Mapping[str, str], previous: set[str] | None
) -> list[dict[str, Any]]:
    """The change set's Parameters, as the AWS CLI gives them: an override, else the
    previous value (UPDATE only, and only for parameters the stack already had; ``previous``
    is None for a CREATE), else nothing (the template's default). Overrides of
    parameters the template does not declare are ignored, as the AWS CLI does."""
    given: list[dict[str, Any]] = []
    for key in declared:
        if key in overrides:
            given.append({"ParameterKey": key, "ParameterValue": overrides[key]})
        elif previous is not None and key in previous:
            given.append({"ParameterKey": key, "UsePreviousValue": True})
    return given


def _settled_change_set(cloudformation: Any, change_set_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + PATIENCE_SECONDS
    while True:
        found: dict[str, Any] = cloudformation.describe_change_set(ChangeSetName=change_set_id)
        if found["Status"] not in ("CREATE_PENDING", "CREATE_IN_PROGRESS"):
            break
        if time.monotonic() > deadline:
            raise CliError(f"the change set {change_set_id} is still {found['Status']}")
        time.sleep(0.1)
    changes = list(found.get("Changes", []))
    token = found.get("NextToken")
    for _ in range(10_000):
        if not token:
            break
        page = cloudformation.describe_change_set(ChangeSetName=change_set_id, NextToken=token)
        changes.extend(page.get("Changes", []))
        token = page.get("NextToken")
    found["Changes"] = changes
    return found


def _delete(cloudformation: Any, stack_id: str) -> None:
    cloudformation.delete_stack(StackName=stack_id)
    deadline = time.monotonic() + PATIENCE_SECONDS
    while time.monotonic() < deadline:
        status = cloudformation.describe_stacks(StackName=stack_id)["Stacks"][0]["StackStatus"]
        if status == "DELETE_COMPLETE":
            return
        if status == "DELETE_FAILED":
            raise CliError(f"deleting the stack {stack_id} failed")
        time.sleep(POLL_SECONDS)
    raise CliError(f"the stack {stack_id} is still being deleted")


def _upload_template(clients: Clients, bucket: str, prefix: str, body: str) -> str:
    """A template too large to send inline, put in S3: its path-style URL."""
    from botocore.exceptions import ClientError

    data = body.encode()
    key = f"{prefix}/{hashlib.md5(data).hexdigest()}.template"
    try:
        clients.s3.head_bucket(Bucket=bucket)
    except ClientError:
        clients.s3.create_bucket(Bucket=bucket)
    clients.s3.put_object(Bucket=bucket, Key=key, Body=data)
    return f"{clients.s3.meta.endpoint_url.rstrip('/')}/{bucket}/{key}"


def current_outputs(clients: Clients, options: DeployOptions) -> dict[str, str]:
    stack = clients.cloudformation.describe_stacks(StackName=options.stack_name)["Stacks"][0]
    return {o["OutputKey"]: o.get("OutputValue", "") for o in stack.get("Outputs", [])}


# --- events ------------------------------------------------------------------------------


class EventStream:
    """A stack's events as they come: ``skip_past`` marks those already there,
    ``follow`` prints each new one oldest first until the stack's own event that is no
    longer IN_PROGRESS (SAM's rule: §1.2), and returns the reasons resources failed."""

    def __init__(self, cloudformation: Any, stack_id: str, stack_name: str) -> None:
        self._cf = cloudformation
        self._stack_id = stack_id
        self._stack_name = stack_name
        self._seen: set[str] = set()

    def skip_past(self) -> None:
        # The newest page is enough: newer events all come before any of it.
        page = self._cf.describe_stack_events(StackName=self._stack_id)
        self._seen.update(e["EventId"] for e in page["StackEvents"])

    def new(self) -> list[dict[str, Any]]:
        """The events not seen yet, oldest first."""
        fresh: list[dict[str, Any]] = []
        token: str | None = None
        for _ in range(1000):
            request = {"StackName": self._stack_id, **({"NextToken": token} if token else {})}
            page = self._cf.describe_stack_events(**request)
            unseen = unseen_events(page["StackEvents"], self._seen)
            fresh.extend(unseen)
            token = page.get("NextToken")
            if not token or len(unseen) < len(page["StackEvents"]):
                break
        self._seen.update(e["EventId"] for e in fresh)
        return list(reversed(fresh))

    def follow(
        self, out: Out, widths: Sequence[int], patience: float = PATIENCE_SECONDS
    ) -> list[str]:
        failures: list[str] = []
        out(event_line(EVENT_HEADER, widths))
        deadline = time.monotonic() + patience
        while time.monotonic() < deadline:
            for event in self.new():
                status = str(event["ResourceStatus"])
                reason = str(event.get("ResourceStatusReason") or "-")
                cells = (status, event["ResourceType"], event["LogicalResourceId"], reason)
                out(event_line(cells, widths))
                root = is_root(event, self._stack_id, self._stack_name)
                if root and "IN_PROGRESS" not in status:
                    return failures
                if not root and status.endswith("_FAILED"):
                    failures.append(f"{event['LogicalResourceId']}: {reason}")
            time.sleep(POLL_SECONDS)
        raise CliError(f"gave up waiting for stack {self._stack_name} after {patience:.0f} s")


def unseen_events(page: Sequence[Mapping[str, Any]], seen: set[str]) -> list[dict[str, Any]]:
    """The events of a newest-first page before the first one already seen."""
    fresh: list[dict[str, Any]] = []
    for event in page:
        if event["EventId"] in seen:
            break
        fresh.append(dict(event))
    return fresh


def is_root(event: Mapping[str, Any], stack_id: str, stack_name: str) -> bool:
    """The stack's own event (as SAM tells it: §1.2)."""
    return (
        event.get("LogicalResourceId") == stack_name and event.get("PhysicalResourceId") == stack_id
    )


EVENT_HEADER = ("ResourceStatus", "ResourceType", "LogicalResourceId", "ResourceStatusReason")
#: The longest status of most operations of each kind (a rollback's cleanup is longer).
_STATUS_WIDTH = {
    "CREATE": len("ROLLBACK_IN_PROGRESS"),
    "UPDATE": len("UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"),
}


def event_widths(
    kind: str, changes: Sequence[Sequence[str]], stack_name: str
) -> tuple[int, int, int]:
    """The widths of the first three columns of an operation's events, chosen up front
    (events come one at a time) from the change set's rows (``change_rows``): a longer
    value pushes the rest of its line along."""
    types = [row[2] for row in changes] + ["AWS::CloudFormation::Stack", EVENT_HEADER[1]]
    ids = [row[1] for row in changes] + [stack_name, EVENT_HEADER[2]]
    return (_STATUS_WIDTH.get(kind, 24), max(map(len, types)), max(map(len, ids)))


def event_line(cells: Sequence[str], widths: Sequence[int]) -> str:
    """One event as aligned columns."""
    padded = [cell.ljust(width) for cell, width in zip(cells, widths, strict=False)]
    return "  ".join([*padded, *cells[len(widths) :]]).rstrip()


# --- tables ------------------------------------------------------------------------------


def change_rows(changes: Sequence[Mapping[str, Any]]) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = [
        ("Operation", "LogicalResourceId", "ResourceType", "Replacement")
    ]
    for change in changes:
        detail = change.get("ResourceChange", {})
        action = str(detail.get("Action", "?"))
        replacement = str(detail.get("Replacement", "N/A")) if action == "Modify" else "N/A"
        rows.append(
            (
                action,
                str(detail.get("LogicalResourceId", "")),
                str(detail.get("ResourceType", "")),
                replacement,
            )
        )
    return rows


def output_rows(outputs: Sequence[Mapping[str, Any]]) -> list[tuple[str, ...]]:
    """Key and Value (and Description, where an output has one)."""
    described = any(o.get("Description") for o in outputs)
    rows: list[tuple[str, ...]] = [("Key", "Value", "Description")[: 3 if described else 2]]
    for output in outputs:
        row = (str(output["OutputKey"]), str(output.get("OutputValue", "")))
        rows.append((*row, str(output.get("Description") or "-")) if described else row)
    return rows


def table(rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    )
