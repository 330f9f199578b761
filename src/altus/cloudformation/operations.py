"""Starting stack operations: CreateStack, UpdateStack, DeleteStack, change sets and
their execution, ContinueUpdateRollback, RollbackStack.

Each checks what it is asked, prepares the template (everything that can be refused is
refused here, before anything changes), records the stack's new state and its first
event (written before the caller is answered), and leaves the work to the deployer in
the background.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from altus.cloudformation import planning
from altus.cloudformation.component import CloudFormation
from altus.cloudformation.deployer import USER_INITIATED
from altus.cloudformation.errors import (
    AlreadyExists,
    ChangeSetNotFound,
    CloudFormationError,
    InvalidChangeSetStatus,
    TemplateError,
    ValidationError,
)
from altus.cloudformation.model import (
    CREATE_IN_PROGRESS,
    DELETE_COMPLETE,
    DELETE_FAILED,
    DELETE_IN_PROGRESS,
    REVIEW_IN_PROGRESS,
    ROLLBACK_IN_PROGRESS,
    UPDATABLE,
    UPDATE_IN_PROGRESS,
    UPDATE_ROLLBACK_FAILED,
    UPDATE_ROLLBACK_IN_PROGRESS,
    ChangeSet,
    Operation,
    Stack,
    StackEvent,
)
from altus.cloudformation.preparation import Prepared, prepare, require
from altus.cloudformation.store import Write

_STACK_NAME = re.compile(r"[a-zA-Z][-a-zA-Z0-9]{0,127}")
_CHANGE_SET_NAME = re.compile(r"[a-zA-Z][-a-zA-Z0-9]{0,127}")
NO_CHANGES = (
    "The submitted information didn't contain changes. Submit different information to "
    "create a change set."
)


@dataclass(frozen=True)
class Request:
    """What CreateStack, UpdateStack and CreateChangeSet share."""

    name: str
    actor: str
    body: str | None = None
    url: str | None = None
    use_previous_template: bool = False
    #: key -> value, or None for UsePreviousValue.
    parameters: Mapping[str, str | None] = field(default_factory=dict)
    capabilities: Sequence[str] = ()
    notification_arns: Sequence[str] | None = None
    tags: Sequence[Mapping[str, str]] | None = None
    role_arn: str | None = None
    token: str | None = None
    disable_rollback: bool = False
    on_failure: str | None = None
    timeout_minutes: int | None = None
    termination_protection: bool = False


def check_name(name: str) -> None:
    if not _STACK_NAME.fullmatch(name):
        raise ValidationError(
            f"1 validation error detected: Value '{name}' at 'stackName' failed to satisfy "
            "constraint: Member must satisfy regular expression pattern: "
            "[a-zA-Z][-a-zA-Z0-9]*|arn:[-a-zA-Z0-9:/._+]*"
        )


async def template_of(service: CloudFormation, request: Request, stack: Stack | None) -> str:
    given = [x for x in (request.body, request.url) if x] + (
        ["previous"] if request.use_previous_template else []
    )
    if len(given) > 1:
        raise ValidationError(
            "Specify exactly one of TemplateBody, TemplateURL or UsePreviousTemplate"
        )
    if request.use_previous_template:
        if stack is None or not stack.template_body:
            raise ValidationError("UsePreviousTemplate is only valid for an existing stack")
        return stack.template_body
    if request.body:
        if len(request.body.encode()) > 51_200:
            raise ValidationError(
                "1 validation error detected: Value at 'templateBody' failed to satisfy "
                "constraint: Member must have length less than or equal to 51200"
            )
        return request.body
    if request.url:
        return await service.template_at(request.url)
    raise ValidationError("Either Template URL or Template Body must be specified.")


async def _prepare(service: CloudFormation, stack: Stack, request: Request, body: str) -> Prepared:
    previous = {p.key: p.value for p in stack.parameters}
    return await prepare(
        body,
        request.parameters,
        previous,
        service.stack_identity(stack),
        service.lookups(request.role_arn or request.actor),
        service.providers,
    )


def _reserve(service: CloudFormation, key: str, *, name: str | None = None) -> None:
    """Claim a stack (by id, or a new one by its ``name``) while an operation on it is
    being started: a second request meanwhile is refused as it would be once the first
    has started."""
    if key in service.busy:
        if name is not None:
            raise AlreadyExists(f"Stack [{name}] already exists")
        raise ValidationError(f"Stack:{key} is in UPDATE_IN_PROGRESS state and can not be updated.")
    service.busy.add(key)


# --- CreateStack ---------------------------------------------------------------------------


async def create_stack(service: CloudFormation, request: Request) -> str:
    check_name(request.name)
    if request.on_failure is not None and request.disable_rollback:
        raise ValidationError(
            "You cannot specify both OnFailure and DisableRollback in a CreateStack request"
        )
    if request.name in service.live:
        raise AlreadyExists(f"Stack [{request.name}] already exists")
    _reserve(service, request.name, name=request.name)
    try:
        stack = _new_stack(service, request)
        body = await template_of(service, request, None)
        prepared = await _prepare(service, stack, request, body)
        require(prepared.needs, list(request.capabilities), expand_given=True)
        if request.name in service.live:
            raise AlreadyExists(f"Stack [{request.name}] already exists")
        _take(stack, prepared)
        stack.operation = Operation(
            "CREATE",
            service.clock.now(),
            request.token,
            disable_rollback=request.disable_rollback or request.on_failure == "DO_NOTHING",
            delete_on_failure=request.on_failure == "DELETE",
        )
        stack.status = CREATE_IN_PROGRESS
        event = service.recorder.stack_event(stack, CREATE_IN_PROGRESS, USER_INITIATED)
        await service.store.write(Write(stacks=(stack,), events=(event,)))
        service.stacks[stack.stack_id] = stack
        service.live[stack.name] = stack.stack_id
    finally:
        service.busy.discard(request.name)
    await service.answer_after(service.spawn(service.deployer.create(stack, prepared.target)))
    return stack.stack_id


def _new_stack(service: CloudFormation, request: Request) -> Stack:
    now = service.clock.now()
    return Stack(
        stack_id=service.new_stack_id(request.name),
        name=request.name,
        status=REVIEW_IN_PROGRESS,
        created=now,
        actor=request.actor,
        capabilities=list(request.capabilities),
        notification_arns=list(request.notification_arns or []),
        tags=[dict(t) for t in request.tags or []],
        role_arn=request.role_arn,
        disable_rollback=request.disable_rollback,
        termination_protection=request.termination_protection,
        timeout_minutes=request.timeout_minutes,
    )


def _take(stack: Stack, prepared: Prepared) -> None:
    """The stack now describes the prepared template."""
    stack.template_body = prepared.body
    stack.template = prepared.template
    stack.parameters = prepared.parameters
    stack.description = prepared.description
    stack.dependencies = {k: sorted(v) for k, v in prepared.target.dependencies.items()}


# --- UpdateStack ---------------------------------------------------------------------------


def check_updatable(stack: Stack) -> None:
    if stack.status not in UPDATABLE:
        raise ValidationError(
            f"Stack:{stack.stack_id} is in {stack.status} state and can not be updated."
        )


async def update_stack(service: CloudFormation, request: Request) -> str:
    stack = service.find(request.name)
    check_updatable(stack)
    _reserve(service, stack.stack_id)
    try:
        body = await template_of(service, request, stack)
        prepared = await _prepare(service, stack, request, body)
        require(prepared.needs, list(request.capabilities), expand_given=True)
        check_updatable(stack)  # it may have changed while the template was prepared
        check_types(stack, prepared)
        if _unchanged(stack, prepared, request):
            raise ValidationError("No updates are to be performed.")
        await _start_update(service, stack, prepared, request)
    finally:
        service.busy.discard(stack.stack_id)
    return stack.stack_id


def check_types(stack: Stack, prepared: Prepared) -> None:
    """CloudFormation does not change a resource's type in place."""
    changed = sorted(
        logical_id
        for logical_id, declared in prepared.template["Resources"].items()
        if logical_id in stack.resources and stack.resources[logical_id].type != declared["Type"]
    )
    if changed:
        raise ValidationError(
            "Update of resource type is not permitted. The new template modifies resource "
            f"type of the following resources: [{', '.join(changed)}]"
        )


def _unchanged(stack: Stack, prepared: Prepared, request: Request) -> bool:
    """Whether an update would change nothing (a stack whose last operation failed is
    always tried again)."""
    if stack.status in ("CREATE_FAILED", "UPDATE_FAILED"):
        return False
    return (
        prepared.template == stack.template
        and [(p.key, p.value, p.resolved) for p in prepared.parameters]
        == [(p.key, p.value, p.resolved) for p in stack.parameters]
        and (request.tags is None or [dict(t) for t in request.tags] == stack.tags)
        and (request.role_arn is None or request.role_arn == stack.role_arn)
        and (
            request.notification_arns is None
            or list(request.notification_arns) == stack.notification_arns
        )
    )


async def _start_update(
    service: CloudFormation,
    stack: Stack,
    prepared: Prepared,
    request: Request,
    *,
    change_set_id: str | None = None,
    change_sets: tuple[ChangeSet, ...] = (),
    dropped: tuple[str, ...] = (),
) -> None:
    operation = Operation(
        "UPDATE",
        service.clock.now(),
        request.token,
        previous=stack.snapshot(),
        disable_rollback=request.disable_rollback,
    )
    if stack.operation is not None:  # what a failed update left behind goes at the end
        operation.leftovers = stack.operation.garbage()
    _take(stack, prepared)
    stack.capabilities = list(request.capabilities)
    if request.tags is not None:
        stack.tags = [dict(t) for t in request.tags]
    if request.role_arn is not None:
        stack.role_arn = request.role_arn
    if request.notification_arns is not None:
        stack.notification_arns = list(request.notification_arns)
    stack.actor = request.actor
    stack.operation = operation
    stack.updated = service.clock.now()
    stack.change_set_id = change_set_id
    event = service.recorder.stack_event(stack, UPDATE_IN_PROGRESS, USER_INITIATED)
    await service.recorder.save(stack, event)
    await service.answer_after(service.spawn(service.deployer.update(stack, prepared.target)))


# --- DeleteStack ---------------------------------------------------------------------------


async def delete_stack(
    service: CloudFormation,
    name: str,
    actor: str,
    retain: Sequence[str],
    role_arn: str | None,
    token: str | None,
) -> None:
    try:
        stack = service.find(name)
    except ValidationError:
        return  # CloudFormation answers a delete of no stack with success
    if stack.status in (DELETE_COMPLETE, DELETE_IN_PROGRESS):
        return
    if stack.termination_protection:
        raise ValidationError(
            f"Stack [{stack.name}] cannot be deleted while TerminationProtection is enabled"
        )
    if retain and stack.status != DELETE_FAILED:
        raise ValidationError(
            "Invalid operation on stack: RetainResources can only be specified when the "
            "stack is in the DELETE_FAILED state"
        )
    if stack.status.endswith("_IN_PROGRESS") and stack.status != REVIEW_IN_PROGRESS:
        raise ValidationError(
            f"Stack [{stack.name}] cannot be deleted while in status {stack.status}"
        )
    if stack.stack_id in service.busy:
        raise ValidationError(f"Stack [{stack.name}] has an operation being started")
    for output in stack.outputs:
        if output.export_name:
            users = [s.name for s in service.importers(output.export_name) if s is not stack]
            if users:
                raise ValidationError(
                    f"Export {output.export_name} cannot be deleted as it is in use by "
                    f"{', '.join(users)}"
                )
    unknown = [r for r in retain if r not in stack.resources]
    if unknown:
        raise ValidationError(f"The specified resources [{', '.join(unknown)}] do not exist")
    operation = Operation("DELETE", service.clock.now(), token, retain=list(retain))
    if stack.operation is not None:  # what a failed operation left behind goes too
        operation.leftovers = stack.operation.garbage()
    stack.operation = operation
    stack.actor = actor
    if role_arn is not None:
        stack.role_arn = role_arn
    event = service.recorder.stack_event(stack, DELETE_IN_PROGRESS, USER_INITIATED)
    await service.recorder.save(stack, event)
    await service.answer_after(service.spawn(service.deployer.delete(stack)))


# --- rollbacks -----------------------------------------------------------------------------


async def continue_update_rollback(
    service: CloudFormation, name: str, actor: str, skip: Sequence[str]
) -> None:
    stack = service.find(name)
    if stack.status != UPDATE_ROLLBACK_FAILED or stack.operation is None:
        raise ValidationError(
            f"Stack [{stack.name}] is in {stack.status} state and can not continue update rollback."
        )
    unknown = [s for s in skip if s not in stack.resources]
    if unknown:
        raise ValidationError(f"The specified resources [{', '.join(unknown)}] do not exist")
    _reserve(service, stack.stack_id)
    try:
        stack.actor = actor
        stack.operation.skip = list(skip)
        event = service.recorder.stack_event(stack, UPDATE_ROLLBACK_IN_PROGRESS, USER_INITIATED)
        await service.recorder.save(stack, event)
    finally:
        service.busy.discard(stack.stack_id)
    await service.answer_after(service.spawn(service.deployer.resume(stack)))


async def rollback_stack(service: CloudFormation, name: str, actor: str) -> str:
    """RollbackStack: a stack left CREATE_FAILED or UPDATE_FAILED (rollback was off) is
    rolled back now; its rollback's status is recorded before the answer."""
    stack = service.find(name)
    operation = stack.operation
    if operation is None or stack.status not in ("UPDATE_FAILED", "CREATE_FAILED"):
        raise ValidationError(
            f"Stack [{stack.name}] is in {stack.status} state and can not be rolled back."
        )
    _reserve(service, stack.stack_id)
    try:
        stack.actor = actor
        operation.disable_rollback = False
        if stack.status == "CREATE_FAILED":
            reason = (operation.failure or "").rstrip() + " Rollback requested by user."
            status = ROLLBACK_IN_PROGRESS
        else:
            reason = operation.failure or "Rollback requested by user."
            status = UPDATE_ROLLBACK_IN_PROGRESS
        operation.rollback_reason = reason.strip()
        event = service.recorder.stack_event(stack, status, operation.rollback_reason)
        await service.recorder.save(stack, event)
    finally:
        service.busy.discard(stack.stack_id)
    await service.answer_after(service.spawn(service.deployer.resume(stack)))
    return stack.stack_id


# --- change sets ---------------------------------------------------------------------------


async def create_change_set(
    service: CloudFormation,
    request: Request,
    change_set_name: str,
    kind: str,
    description: str | None,
    on_stack_failure: str | None,
) -> ChangeSet:
    if not _CHANGE_SET_NAME.fullmatch(change_set_name):
        raise ValidationError(
            f"1 validation error detected: Value '{change_set_name}' at 'changeSetName' "
            "failed to satisfy constraint: Member must satisfy regular expression pattern: "
            "[a-zA-Z][-a-zA-Z0-9]*"
        )
    existing = None
    try:
        existing = service.find(request.name)
    except ValidationError:
        if kind != "CREATE":
            raise ValidationError(f"Stack [{request.name}] does not exist") from None
    if kind == "CREATE":
        if existing is not None and existing.status != REVIEW_IN_PROGRESS:
            raise ValidationError(
                f"Stack [{request.name}] already exists and cannot be created again with the "
                f"changeSet [{change_set_name}]."
            )
        check_name(request.name)
    elif existing is not None:
        if existing.status == REVIEW_IN_PROGRESS:
            raise ValidationError(f"Stack [{request.name}] does not exist")
        check_updatable(existing)
    stack = existing
    # An executed change set's name is free again: the AWS CLI names its sets by the
    # second, and a deploy here can end within the second the last one began.
    spent: list[str] = []
    for other in service.change_sets.values():
        if stack is None or other.name != change_set_name or other.stack_id != stack.stack_id:
            continue
        if other.execution_status not in ("EXECUTE_COMPLETE", "EXECUTE_FAILED"):
            raise AlreadyExists(f"ChangeSet [{change_set_name}] already exists")
        spent.append(other.change_set_id)
    key = request.name if stack is None else stack.stack_id
    _reserve(service, key)
    try:
        new_stack = stack is None
        if stack is None:
            stack = _new_stack(service, request)
        change_set = ChangeSet(
            change_set_id=service.account.arn(
                "cloudformation", f"changeSet/{change_set_name}/{_uuid()}"
            ),
            name=change_set_name,
            stack_id=stack.stack_id,
            stack_name=stack.name,
            kind=kind,
            created=service.clock.now(),
            status="CREATE_PENDING",
            execution_status="UNAVAILABLE",
            actor=request.actor,
            description=description,
            capabilities=list(request.capabilities),
            notification_arns=list(request.notification_arns or []),
            tags=[dict(t) for t in request.tags] if request.tags is not None else None,
            role_arn=request.role_arn,
            on_stack_failure=on_stack_failure,
            token=request.token,
        )
        body = await template_of(service, request, stack)
        change_set.template_body = body
        try:
            prepared = await _prepare(service, stack, request, body)
            require(prepared.needs, list(request.capabilities), expand_given=False)
            change_set.template = prepared.template
            change_set.parameters = prepared.parameters
            if kind == "UPDATE":
                check_types(stack, prepared)
            resources = stack.resources if kind == "UPDATE" else {}
            change_set.changes = planning.changes(
                resources, prepared.target, service.providers, service.export_value
            )
            if kind == "UPDATE" and not change_set.changes and _unchanged(stack, prepared, request):
                change_set.status = "FAILED"
                change_set.reason = NO_CHANGES
            else:
                change_set.status = "CREATE_COMPLETE"
                change_set.execution_status = "AVAILABLE"
        except TemplateError as error:
            if error.message.startswith("Template format error"):
                raise
            change_set.status, change_set.reason = "FAILED", error.message
        except CloudFormationError as error:
            change_set.status, change_set.reason = "FAILED", error.message
        events: tuple[StackEvent, ...] = ()
        if new_stack:
            events = (service.recorder.stack_event(stack, REVIEW_IN_PROGRESS, USER_INITIATED),)
        await service.store.write(
            Write(
                stacks=(stack,) if new_stack else (),
                events=events,
                change_sets=(change_set,),
                dropped_change_sets=tuple(spent),
            )
        )
        for spent_id in spent:
            service.change_sets.pop(spent_id, None)
        if new_stack:
            service.stacks[stack.stack_id] = stack
            service.live[stack.name] = stack.stack_id
        service.change_sets[change_set.change_set_id] = change_set
    finally:
        service.busy.discard(key)
    return change_set


def find_change_set(service: CloudFormation, name: str, stack_name: str | None) -> ChangeSet:
    found = service.change_sets.get(name)
    if found is None:
        if stack_name is None:
            raise ValidationError(
                "StackName must be specified if ChangeSetName is not specified as an ARN."
            )
        try:
            stack = service.find(stack_name)
        except ValidationError:
            raise ChangeSetNotFound(f"ChangeSet [{name}] does not exist") from None
        found = next(
            (
                c
                for c in service.change_sets.values()
                if c.name == name and c.stack_id == stack.stack_id
            ),
            None,
        )
    if found is None:
        raise ChangeSetNotFound(f"ChangeSet [{name}] does not exist")
    return found


async def execute_change_set(
    service: CloudFormation,
    name: str,
    stack_name: str | None,
    actor: str,
    disable_rollback: bool | None,
    token: str | None,
) -> None:
    change_set = find_change_set(service, name, stack_name)
    if change_set.execution_status != "AVAILABLE":
        raise InvalidChangeSetStatus(
            f"ChangeSet [{change_set.change_set_id}] cannot be executed in its current "
            f"execution status of [{change_set.execution_status}]"
        )
    stack = service.stacks[change_set.stack_id]
    if change_set.kind == "UPDATE":
        check_updatable(stack)
    elif stack.status != REVIEW_IN_PROGRESS:
        raise InvalidChangeSetStatus(
            f"ChangeSet [{change_set.change_set_id}] cannot be executed in its current "
            f"status of [{stack.status}]"
        )
    _reserve(service, stack.stack_id)
    started: asyncio.Task[None] | None = None
    try:
        request = Request(
            name=stack.name,
            actor=actor,
            body=change_set.template_body,
            parameters={p.key: p.value for p in change_set.parameters},
            capabilities=change_set.capabilities,
            notification_arns=change_set.notification_arns,
            tags=change_set.tags,
            role_arn=change_set.role_arn,
            token=token,
            disable_rollback=bool(disable_rollback),
        )
        prepared = await _prepare(service, stack, request, change_set.template_body)
        change_set.execution_status = "EXECUTE_IN_PROGRESS"
        others = [
            c.change_set_id
            for c in service.change_sets.values()
            if c.stack_id == stack.stack_id and c is not change_set
        ]
        if change_set.kind == "CREATE":
            _take(stack, prepared)
            stack.capabilities = list(change_set.capabilities)
            stack.notification_arns = list(change_set.notification_arns)
            stack.tags = [dict(t) for t in change_set.tags or []]
            stack.role_arn = change_set.role_arn
            failure = change_set.on_stack_failure or "ROLLBACK"
            stack.operation = Operation(
                "CREATE",
                service.clock.now(),
                token,
                disable_rollback=bool(disable_rollback) or failure == "DO_NOTHING",
                delete_on_failure=failure == "DELETE",
            )
            stack.actor = actor
            stack.change_set_id = change_set.change_set_id
            event = service.recorder.stack_event(stack, CREATE_IN_PROGRESS, USER_INITIATED)
            await service.store.write(
                Write(
                    stacks=(stack,),
                    events=(event,),
                    change_sets=(change_set,),
                    dropped_change_sets=others,
                )
            )
            started = service.spawn(service.deployer.create(stack, prepared.target))
        else:
            await _start_update(
                service,
                stack,
                prepared,
                request,
                change_set_id=change_set.change_set_id,
                change_sets=(change_set,),
                dropped=tuple(others),
            )
        for other in others:
            service.change_sets.pop(other, None)
    finally:
        service.busy.discard(stack.stack_id)
    if started is not None:
        await service.answer_after(started)


async def delete_change_set(service: CloudFormation, name: str, stack_name: str | None) -> None:
    change_set = find_change_set(service, name, stack_name)
    if change_set.execution_status == "EXECUTE_IN_PROGRESS" or change_set.stack_id in service.busy:
        raise InvalidChangeSetStatus(
            f"Cannot delete ChangeSet in status {change_set.execution_status}"
        )
    await service.store.write(Write(dropped_change_sets=(change_set.change_set_id,)))
    service.change_sets.pop(change_set.change_set_id, None)


def _uuid() -> str:
    import uuid

    return str(uuid.uuid4())


def parameters_given(members: Sequence[Mapping[str, Any]] | None) -> dict[str, str | None]:
    """The Parameters member as ``bind`` takes it."""
    given: dict[str, str | None] = {}
    for item in members or []:
        key = item.get("ParameterKey")
        if not key:
            continue
        if item.get("UsePreviousValue"):
            given[key] = None
        else:
            given[key] = item.get("ParameterValue", "")
    return given
