"""Applying a stack operation: resources created or updated in dependency order
(independent ones at once), replaced where a property that needs it changed, old copies
and removed resources deleted at cleanup, everything deleted in reverse order; on the
first failure a create is rolled back (its resources deleted) and an update is rolled back
(resources restored to the properties they had, new ones deleted).

Each step is recorded (``Recorder``) before the next begins, with the events
CloudFormation reports. A stack found mid-operation at start (the server was killed) is
taken on from its status: a create or an update is rolled back, a delete, a cleanup or a
rollback is finished (``resume``).
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from altus.cloudformation import intrinsics
from altus.cloudformation.dynamic import DynamicLookup, has_dynamic, resolve_dynamic
from altus.cloudformation.errors import CloudFormationError
from altus.cloudformation.model import (
    CREATE_COMPLETE,
    CREATE_FAILED,
    CREATE_IN_PROGRESS,
    DELETE_COMPLETE,
    DELETE_FAILED,
    DELETE_IN_PROGRESS,
    DELETE_SKIPPED,
    ROLLBACK_COMPLETE,
    ROLLBACK_FAILED,
    ROLLBACK_IN_PROGRESS,
    UPDATE_COMPLETE,
    UPDATE_COMPLETE_CLEANUP_IN_PROGRESS,
    UPDATE_FAILED,
    UPDATE_IN_PROGRESS,
    UPDATE_ROLLBACK_COMPLETE,
    UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS,
    UPDATE_ROLLBACK_FAILED,
    UPDATE_ROLLBACK_IN_PROGRESS,
    Output,
    Resource,
    Stack,
)
from altus.cloudformation.providers.base import (
    Current,
    Provider,
    ProviderContext,
    ResourceFailed,
    ServiceFailed,
)
from altus.cloudformation.recorder import Recorder
from altus.cloudformation.walk import GraphFailed, reverse, run_graph

log = logging.getLogger(__name__)

#: Reasons CloudFormation gives (its own words).
INITIATED = "Resource creation Initiated"
REPLACING = "Requested update requires the creation of a new physical resource; hence creating one."
CANCELLED = "Resource creation cancelled"
USER_INITIATED = "User Initiated"


@dataclass(frozen=True)
class Target:
    """What a create or an update deploys: the processed template, and what resolving it
    needs."""

    template: Mapping[str, Any]
    #: Template parameters' values and the pseudo parameters (``intrinsics.Scope``).
    values: Mapping[str, Any]
    conditions: Mapping[str, bool]
    dependencies: Mapping[str, frozenset[str]]
    azs: tuple[str, ...] = ()


class Contexts(Protocol):
    def context(self, stack: Stack, resource: Resource) -> ProviderContext:
        """The context ``resource``'s provider works in (its seed decides its names)."""
        ...


@dataclass
class Deployer:
    providers: Mapping[str, Provider]
    contexts: Contexts
    recorder: Recorder
    #: An export's value by name (another stack's output); raises ValidationError.
    exports: Callable[[str], Any]
    #: What dynamic references resolve through, for a stack (its actor's calls).
    lookups: Callable[[Stack], DynamicLookup]
    #: Called when a stack's operation has ended (whatever its outcome).
    finished: Callable[[Stack], Awaitable[None]] | None = None
    #: Refuses a stack's new outputs (before, after) whose exports clash with other
    #: stacks' or that other stacks import; raises ValidationError.
    check_exports: Callable[[Stack, list[Output], list[Output]], None] = field(
        default=lambda stack, before, after: None
    )
    #: Stacks whose update was cancelled (CancelUpdateStack): no resource starts anew,
    #: and the update rolls back.
    cancelled: set[str] = field(default_factory=set)

    # --- the operations ------------------------------------------------------------------

    async def create(self, stack: Stack, target: Target) -> None:
        """Run a create recorded as CREATE_IN_PROGRESS (its first event written)."""
        failure = await self._apply(stack, target)
        if failure is None:
            await self._settle(stack, CREATE_COMPLETE)
            return
        await self._after_create_failed(stack, failure)

    async def update(self, stack: Stack, target: Target) -> None:
        """Run an update recorded as UPDATE_IN_PROGRESS (the stack holds the new template,
        its operation the previous state)."""
        failure = await self._apply(stack, target)
        if failure is None:
            await self._cleanup(stack)
            return
        operation = stack.operation
        assert operation is not None
        operation.failure = failure
        if operation.disable_rollback:
            await self._settle(stack, UPDATE_FAILED, failure, keep_operation=True)
            return
        await self._rollback_update(stack, failure)

    async def delete(self, stack: Stack) -> None:
        """Run a delete recorded as DELETE_IN_PROGRESS."""
        operation = stack.operation
        retain = set(operation.retain) if operation is not None else set()
        failed = await self._delete_all(stack, stack.resources, stack.dependencies, retain)
        if failed:
            reason = f"The following resource(s) failed to delete: [{', '.join(failed)}]. "
            await self._settle(stack, DELETE_FAILED, reason)
            return
        stack.deleted = self.recorder.now()
        await self._settle(stack, DELETE_COMPLETE)

    async def resume(self, stack: Stack) -> None:
        """Take on a stack found mid-operation at start."""
        status = stack.status
        interrupted = "The stack's operation was interrupted (the server stopped)"
        if status == CREATE_IN_PROGRESS:
            await self._after_create_failed(stack, interrupted)
        elif status == ROLLBACK_IN_PROGRESS:
            await self._rollback_create(stack)
        elif status == UPDATE_IN_PROGRESS:
            operation = stack.operation
            if operation is not None:
                operation.failure = interrupted
            await self._rollback_update(stack, interrupted)
        elif status == UPDATE_COMPLETE_CLEANUP_IN_PROGRESS:
            await self._cleanup(stack, resumed=True)
        elif status == UPDATE_ROLLBACK_IN_PROGRESS:
            await self._rollback_update(stack, None)
        elif status == UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS:
            await self._rollback_cleanup(stack)
        elif status == DELETE_IN_PROGRESS:
            await self.delete(stack)

    async def roll_back(self, stack: Stack) -> None:
        """RollbackStack: a stack left CREATE_FAILED or UPDATE_FAILED (rollback was off)
        is rolled back now."""
        operation = stack.operation
        assert operation is not None
        operation.disable_rollback = False
        reason = operation.failure or "Rollback requested by user."
        if stack.status == CREATE_FAILED:
            await self._after_create_failed(stack, reason)
        else:
            await self._rollback_update(stack, reason)

    async def continue_rollback(self, stack: Stack, skip: set[str]) -> None:
        """ContinueUpdateRollback: the stack is UPDATE_ROLLBACK_IN_PROGRESS again (its
        event written); ``skip``: resources left as they are."""
        await self._rollback_update(stack, None, skip=skip)

    # --- forward -------------------------------------------------------------------------

    async def _apply(self, stack: Stack, target: Target) -> str | None:
        """Create or update every resource of ``target``, then its outputs. Returns the
        reason of the first failure (the stack's own words), or None."""
        operation = stack.operation
        assert operation is not None
        old = dict(operation.previous.resources) if operation.previous is not None else {}
        scope = self._scope(stack, target)
        failures: list[str] = []
        creating = operation.kind == "CREATE"

        async def one(logical_id: str) -> None:
            try:
                await self._apply_one(stack, target, scope, logical_id, old.get(logical_id))
            except Exception:
                failures.append(logical_id)
                raise

        # Resources the new template no longer has: kept until cleanup.
        for logical_id in list(stack.resources):
            if logical_id not in target.dependencies and logical_id not in operation.removed:
                operation.removed[logical_id] = stack.resources.pop(logical_id)
        stack_id = stack.stack_id
        try:
            await run_graph(
                set(target.dependencies),
                target.dependencies,
                one,
                stop=lambda: stack_id in self.cancelled,
            )
        except GraphFailed:
            verb = "create" if creating else "update"
            return f"The following resource(s) failed to {verb}: [{', '.join(failures)}]. "
        if stack_id in self.cancelled:
            self.cancelled.discard(stack_id)
            return "Resource update cancelled"
        try:
            outputs = self._outputs(stack, target, scope)
            before = operation.previous.outputs if operation.previous is not None else []
            self.check_exports(stack, before, outputs)
        except (CloudFormationError, intrinsics.Unresolvable) as error:
            return str(getattr(error, "message", None) or error)
        stack.outputs = outputs
        return None

    async def _apply_one(
        self,
        stack: Stack,
        target: Target,
        scope: intrinsics.Scope,
        logical_id: str,
        old: Resource | None,
    ) -> None:
        operation = stack.operation
        assert operation is not None
        declared = target.template["Resources"][logical_id]
        kind = declared["Type"]
        provider = self.providers[kind]
        current = stack.resources.get(logical_id)
        policies = _policies(declared, scope)
        metadata = declared.get("Metadata")
        try:
            properties = await self._properties(stack, declared, scope)
        except (CloudFormationError, intrinsics.Unresolvable, ResourceFailed) as error:
            reason = getattr(error, "message", None) or str(error)
            resource = current or Resource(logical_id, kind, CREATE_IN_PROGRESS)
            if current is None:
                resource.created_now = True
                stack.resources[logical_id] = resource
            status = CREATE_FAILED if current is None else UPDATE_FAILED
            await self.recorder.save(
                stack, self.recorder.resource_event(stack, resource, status, reason)
            )
            raise

        if current is None or current.type != kind:
            if current is not None:  # a type change: a replacement
                operation.replaced[logical_id] = current
            await self._create(stack, provider, logical_id, kind, properties, policies, metadata)
            return
        current.metadata = metadata
        current.deletion_policy, current.update_replace_policy = policies
        if (
            properties == current.properties
            and old is not None
            and current.status
            in (
                CREATE_COMPLETE,
                UPDATE_COMPLETE,
            )
        ):
            return  # unchanged: CloudFormation leaves it alone, without an event
        changed = {
            name
            for name in set(properties) | set(current.properties)
            if properties.get(name) != current.properties.get(name)
        }
        if changed & provider.replaced_by:
            named = _custom_name(kind, provider, properties, current.properties)
            if named is not None:
                reason = (
                    "CloudFormation cannot update a stack when a custom-named resource "
                    f"requires replacing. Rename {named} and update the stack again."
                )
                await self.recorder.save(
                    stack, self.recorder.resource_event(stack, current, UPDATE_FAILED, reason)
                )
                raise ResourceFailed(reason)
            await self._replace(stack, provider, current, properties)
            return
        await self._update(stack, provider, current, properties)

    async def _create(
        self,
        stack: Stack,
        provider: Provider,
        logical_id: str,
        kind: str,
        properties: dict[str, Any],
        policies: tuple[str, str],
        metadata: Any,
    ) -> None:
        resource = Resource(
            logical_id,
            kind,
            CREATE_IN_PROGRESS,
            properties=properties,
            seed=uuid.uuid4().hex,
            metadata=metadata,
            deletion_policy=policies[0],
            update_replace_policy=policies[1],
            created_now=True,
        )
        stack.resources[logical_id] = resource
        recorder = self.recorder
        await recorder.save(
            stack, recorder.resource_event(stack, resource, CREATE_IN_PROGRESS, None, properties)
        )
        try:
            outcome = await provider.create(
                self.contexts.context(stack, resource), logical_id, properties
            )
        except Exception as error:
            await recorder.save(
                stack, recorder.resource_event(stack, resource, CREATE_FAILED, _reason(error))
            )
            raise
        resource.physical_id = outcome.physical_id
        resource.attributes = dict(outcome.attributes)
        await recorder.save(
            stack,
            recorder.resource_event(stack, resource, CREATE_IN_PROGRESS, INITIATED, properties),
            recorder.resource_event(stack, resource, CREATE_COMPLETE),
        )

    async def _replace(
        self, stack: Stack, provider: Provider, current: Resource, properties: dict[str, Any]
    ) -> None:
        operation = stack.operation
        assert operation is not None
        operation.replaced[current.logical_id] = current
        resource = Resource(
            current.logical_id,
            current.type,
            UPDATE_IN_PROGRESS,
            properties=properties,
            seed=uuid.uuid4().hex,
            metadata=current.metadata,
            deletion_policy=current.deletion_policy,
            update_replace_policy=current.update_replace_policy,
            created_now=True,
        )
        stack.resources[current.logical_id] = resource
        recorder = self.recorder
        await recorder.save(
            stack,
            recorder.resource_event(stack, resource, UPDATE_IN_PROGRESS, REPLACING, properties),
        )
        try:
            outcome = await provider.create(
                self.contexts.context(stack, resource), current.logical_id, properties
            )
        except Exception as error:
            await recorder.save(
                stack, recorder.resource_event(stack, resource, UPDATE_FAILED, _reason(error))
            )
            raise
        resource.physical_id = outcome.physical_id
        resource.attributes = dict(outcome.attributes)
        await recorder.save(stack, recorder.resource_event(stack, resource, UPDATE_COMPLETE))

    async def _update(
        self, stack: Stack, provider: Provider, current: Resource, properties: dict[str, Any]
    ) -> None:
        recorder = self.recorder
        before = Current(
            current.logical_id, current.physical_id, current.properties, current.attributes
        )
        await recorder.save(
            stack, recorder.resource_event(stack, current, UPDATE_IN_PROGRESS, None, properties)
        )
        try:
            outcome = await provider.update(
                self.contexts.context(stack, current), before, properties
            )
        except Exception as error:
            await recorder.save(
                stack, recorder.resource_event(stack, current, UPDATE_FAILED, _reason(error))
            )
            raise
        current.properties = properties
        current.physical_id = outcome.physical_id
        current.attributes = dict(outcome.attributes)
        await recorder.save(stack, recorder.resource_event(stack, current, UPDATE_COMPLETE))

    async def _cleanup(self, stack: Stack, *, resumed: bool = False) -> None:
        """The update succeeded: old copies and removed resources go, then it is done."""
        operation = stack.operation
        assert operation is not None
        if not resumed:
            await self.recorder.save(
                stack, self.recorder.stack_event(stack, UPDATE_COMPLETE_CLEANUP_IN_PROGRESS)
            )
        previous = operation.previous
        order = previous.dependencies if previous is not None else {}
        doomed: dict[str, Resource] = {}
        for logical_id, resource in operation.replaced.items():
            doomed[logical_id] = resource
        for logical_id, resource in operation.removed.items():
            doomed[logical_id] = resource
        replaced = set(operation.replaced)
        await self._delete_all(
            stack,
            doomed,
            order,
            retain=set(),
            policy=lambda r: (
                r.update_replace_policy if r.logical_id in replaced else r.deletion_policy
            ),
            drop=lambda logical_id: (
                operation.replaced.pop(logical_id, None),
                operation.removed.pop(logical_id, None),
            ),
        )
        await self._settle(stack, UPDATE_COMPLETE)

    # --- rollback ------------------------------------------------------------------------

    async def _after_create_failed(self, stack: Stack, failure: str) -> None:
        operation = stack.operation
        if operation is not None:
            operation.failure = failure
        if operation is not None and operation.disable_rollback:
            await self._settle(stack, CREATE_FAILED, failure, keep_operation=True)
            return
        reason = failure.rstrip() + " Rollback requested by user."
        await self.recorder.save(
            stack, self.recorder.stack_event(stack, ROLLBACK_IN_PROGRESS, reason)
        )
        await self._rollback_create(stack)

    async def _rollback_create(self, stack: Stack) -> None:
        failed = await self._delete_all(
            stack,
            stack.resources,
            stack.dependencies,
            retain=set(),
            policy=lambda r: (
                "Delete" if r.deletion_policy == "RetainExceptOnCreate" else r.deletion_policy
            ),
        )
        operation = stack.operation
        if failed:
            reason = f"The following resource(s) failed to delete: [{', '.join(failed)}]. "
            await self._settle(stack, ROLLBACK_FAILED, reason)
            return
        if operation is not None and operation.delete_on_failure:
            await self.recorder.save(stack, self.recorder.stack_event(stack, DELETE_IN_PROGRESS))
            stack.deleted = self.recorder.now()
            await self._settle(stack, DELETE_COMPLETE)
            return
        await self._settle(stack, ROLLBACK_COMPLETE)

    async def _rollback_update(
        self, stack: Stack, failure: str | None, *, skip: set[str] | None = None
    ) -> None:
        """Return every resource to its state before the update (in the old template's
        dependency order), then restore the stack's template, parameters and outputs."""
        operation = stack.operation
        assert operation is not None and operation.previous is not None
        previous = operation.previous
        if failure is not None:
            await self.recorder.save(
                stack, self.recorder.stack_event(stack, UPDATE_ROLLBACK_IN_PROGRESS, failure)
            )
        skip = skip or set()
        # New resources go at the rollback's cleanup.
        for logical_id in list(stack.resources):
            if logical_id not in previous.resources:
                operation.discarded[logical_id] = stack.resources.pop(logical_id)
        failures: list[str] = []

        async def one(logical_id: str) -> None:
            try:
                await self._restore(stack, logical_id, skip)
            except Exception:
                failures.append(logical_id)
                raise

        order = {k: set(v) for k, v in previous.dependencies.items()}
        try:
            await run_graph(set(previous.resources), order, one)
        except GraphFailed:
            reason = f"The following resource(s) failed to update: [{', '.join(failures)}]. "
            await self._settle(stack, UPDATE_ROLLBACK_FAILED, reason, keep_operation=True)
            return
        stack.template = previous.template
        stack.template_body = previous.template_body
        stack.parameters = previous.parameters
        stack.outputs = previous.outputs
        stack.description = previous.description
        stack.capabilities = previous.capabilities
        stack.tags = previous.tags
        stack.role_arn = previous.role_arn
        stack.dependencies = previous.dependencies
        await self.recorder.save(
            stack, self.recorder.stack_event(stack, UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS)
        )
        await self._rollback_cleanup(stack)

    async def _restore(self, stack: Stack, logical_id: str, skip: set[str]) -> None:
        operation = stack.operation
        assert operation is not None and operation.previous is not None
        wanted = operation.previous.resources[logical_id]
        if logical_id in operation.replaced:
            newer = stack.resources.get(logical_id)
            if newer is not None:
                operation.discarded[logical_id] = newer
            restored = operation.replaced.pop(logical_id)
            stack.resources[logical_id] = restored
            await self.recorder.save(
                stack, self.recorder.resource_event(stack, restored, UPDATE_COMPLETE)
            )
            return
        if logical_id in operation.removed:
            stack.resources[logical_id] = operation.removed.pop(logical_id)
            return
        current = stack.resources.get(logical_id)
        if current is None:  # gone without a trace: nothing to return to
            stack.resources[logical_id] = wanted
            return
        if logical_id in skip:
            await self.recorder.save(
                stack,
                self.recorder.resource_event(
                    stack, current, UPDATE_COMPLETE, "Resource skipped during rollback"
                ),
            )
            return
        if current.properties == wanted.properties and current.status in (
            CREATE_COMPLETE,
            UPDATE_COMPLETE,
        ):
            return
        provider = self.providers[current.type]
        await self._update(stack, provider, current, wanted.properties)
        current.attributes = dict(current.attributes or wanted.attributes)

    async def _rollback_cleanup(self, stack: Stack) -> None:
        operation = stack.operation
        assert operation is not None
        await self._delete_all(
            stack,
            dict(operation.discarded),
            {},
            retain=set(),
            policy=lambda r: "Delete",
            drop=lambda logical_id: operation.discarded.pop(logical_id, None),
        )
        await self._settle(stack, UPDATE_ROLLBACK_COMPLETE)

    # --- deleting ------------------------------------------------------------------------

    async def _delete_all(
        self,
        stack: Stack,
        resources: Mapping[str, Resource],
        dependencies: Mapping[str, Any],
        retain: set[str],
        *,
        policy: Callable[[Resource], str] = lambda r: r.deletion_policy,
        drop: Callable[[str], Any] | None = None,
    ) -> list[str]:
        """Delete ``resources`` (dependents first), keeping those retained. Returns the
        logical ids that failed."""
        failures: list[str] = []
        nodes = set(resources)
        waits = reverse({k: set(v) for k, v in dependencies.items() if k in nodes})

        async def one(logical_id: str) -> None:
            resource = resources[logical_id]
            try:
                await self._delete_one(
                    stack,
                    resource,
                    logical_id in retain or policy(resource) in ("Retain", "Snapshot"),
                )
            except Exception:
                failures.append(logical_id)
                raise
            if drop is not None:
                drop(logical_id)

        with contextlib.suppress(GraphFailed):  # the failures are collected above
            await run_graph(nodes, waits, one)
        return failures

    async def _delete_one(self, stack: Stack, resource: Resource, keep: bool) -> None:
        recorder = self.recorder
        if resource.status in (DELETE_COMPLETE, DELETE_SKIPPED):
            return
        if keep:
            await recorder.save(stack, recorder.resource_event(stack, resource, DELETE_SKIPPED))
            return
        await recorder.save(stack, recorder.resource_event(stack, resource, DELETE_IN_PROGRESS))
        provider = self.providers.get(resource.type)
        if provider is not None:
            current = Current(
                resource.logical_id, resource.physical_id, resource.properties, resource.attributes
            )
            try:
                await provider.delete(self.contexts.context(stack, resource), current)
            except ServiceFailed as error:
                if not error.not_found:
                    await recorder.save(
                        stack,
                        recorder.resource_event(stack, resource, DELETE_FAILED, _reason(error)),
                    )
                    raise
            except Exception as error:
                await recorder.save(
                    stack, recorder.resource_event(stack, resource, DELETE_FAILED, _reason(error))
                )
                raise
        await recorder.save(stack, recorder.resource_event(stack, resource, DELETE_COMPLETE))

    # --- helpers -------------------------------------------------------------------------

    async def _settle(
        self, stack: Stack, status: str, reason: str | None = None, *, keep_operation: bool = False
    ) -> None:
        """End the operation with the stack in ``status``."""
        if not keep_operation:
            stack.operation = None
            for resource in stack.resources.values():
                resource.created_now = False
        kept = stack.reason
        await self.recorder.save(stack, self.recorder.stack_event(stack, status, reason))
        if reason is None and status in (ROLLBACK_COMPLETE, UPDATE_ROLLBACK_COMPLETE):
            stack.reason = kept  # DescribeStacks goes on saying why it rolled back
        if self.finished is not None:
            await self.finished(stack)

    def _scope(self, stack: Stack, target: Target) -> intrinsics.Scope:
        imports = stack.imports
        imports.clear()

        def exports(name: str) -> Any:
            value = self.exports(name)
            if name not in imports:
                imports.append(name)
            return value

        return intrinsics.Scope(
            parameters=target.values,
            mappings=target.template.get("Mappings") or {},
            conditions=target.conditions,
            resources=_Deployed(stack),
            exports=exports,
            azs=target.azs,
        )

    async def _properties(
        self, stack: Stack, declared: Mapping[str, Any], scope: intrinsics.Scope
    ) -> dict[str, Any]:
        resolved = intrinsics.resolve(declared.get("Properties") or {}, scope)
        if not isinstance(resolved, dict):
            raise ResourceFailed("Properties must be an object")
        if has_dynamic(resolved):
            dynamic = await resolve_dynamic(resolved, self.lookups(stack))
            assert isinstance(dynamic, dict)
            return dynamic
        return resolved

    def _outputs(self, stack: Stack, target: Target, scope: intrinsics.Scope) -> list[Output]:
        outputs: list[Output] = []
        for key, declared in (target.template.get("Outputs") or {}).items():
            condition = declared.get("Condition")
            if condition is not None and not target.conditions.get(condition, False):
                continue
            value = intrinsics.resolve(declared.get("Value"), scope)
            export = declared.get("Export")
            name = (
                intrinsics.resolve(export.get("Name"), scope) if isinstance(export, dict) else None
            )
            description = declared.get("Description")
            outputs.append(
                Output(
                    key,
                    _as_text(value),
                    str(description) if description is not None else None,
                    str(name) if name is not None else None,
                )
            )
        return outputs


class _Deployed:
    """``intrinsics.Resources`` over a stack's resources as deployed so far."""

    def __init__(self, stack: Stack) -> None:
        self._stack = stack

    def ref(self, logical_id: str) -> Any:
        resource = self._stack.resources.get(logical_id)
        if resource is None or resource.physical_id is None:
            raise intrinsics.Unresolvable(logical_id)
        return resource.physical_id

    def attribute(self, logical_id: str, name: str) -> Any:
        resource = self._stack.resources.get(logical_id)
        if resource is None or name not in resource.attributes:
            raise intrinsics.Unresolvable(f"{logical_id}.{name}")
        return resource.attributes[name]


def _custom_name(
    kind: str, provider: Provider, new: Mapping[str, Any], old: Mapping[str, Any]
) -> str | None:
    """The name a template gave a resource that must be replaced, if it kept it: a new
    copy cannot take the name while the old one holds it. The naming property is the
    type's own (``QueueName`` of a queue, ``Name`` of a rule), never a reference to
    another resource's name (a permission's ``FunctionName``)."""
    suffix = kind.rsplit("::", 1)[-1]
    for name in (f"{suffix}Name", "Name"):
        if (
            name in provider.replaced_by
            and new.get(name) is not None
            and new.get(name) == old.get(name)
        ):
            return str(new[name])
    return None


def _policies(declared: Mapping[str, Any], scope: intrinsics.Scope) -> tuple[str, str]:
    """The resource's DeletionPolicy and UpdateReplacePolicy (``Delete`` unless given;
    LanguageExtensions allows intrinsics there)."""
    found: list[str] = []
    for name in ("DeletionPolicy", "UpdateReplacePolicy"):
        value = declared.get(name, "Delete")
        if not isinstance(value, str):
            value = intrinsics.resolve(value, scope)
        found.append("Delete" if value is intrinsics.NO_VALUE or value is None else str(value))
    return found[0], found[1]


def _as_text(value: Any) -> str:
    """An output's value as CloudFormation shows it: lists joined with commas."""
    if isinstance(value, list):
        return ",".join(str(item) for item in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _reason(error: BaseException) -> str:
    """A failed resource's reason, as CloudFormation words a handler's failure."""
    token = str(uuid.uuid4())
    if isinstance(error, ServiceFailed):
        return (
            f'Resource handler returned message: "{error.message} (Service: {error.service}, '
            f'Status Code: {error.status}, Request ID: {error.request_id})" '
            f"(RequestToken: {token}, HandlerErrorCode: {error.code})"
        )
    if isinstance(error, ResourceFailed):
        if error.message.startswith("Properties validation failed"):
            return error.message
        return (
            f'Resource handler returned message: "{error.message}" '
            f"(RequestToken: {token}, HandlerErrorCode: {error.code})"
        )
    if isinstance(error, CloudFormationError):
        return error.message
    log.exception("a resource handler failed", exc_info=error)
    return f"Internal failure: {type(error).__name__}: {error}"
