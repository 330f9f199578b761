"""Applying a stack operation: resources created or updated in dependency order
(independent ones at once), replaced where a property that needs it changed, old copies
and removed resources deleted at cleanup, everything deleted in reverse order; on the
first failure a create is rolled back (its resources deleted) and an update is rolled back
(resources restored to the properties they had, new ones deleted).

Each step is recorded (``Recorder``) before the next begins, with the events
CloudFormation reports. What is recorded is enough to go either way from any point: a
resource about to be made is recorded with the seed its generated name derives from (a
create cut off by a crash is found by that name); an in-place update in flight is recorded
with the properties it was taking (``Resource.attempted``: a rollback changes the resource
back from those). A stack found mid-operation at start is taken on from its status: a
create or an update is rolled back, a delete, a cleanup or a rollback is finished
(``resume``).

Properties are recorded, compared and shown with dynamic references as the template wrote
them; a provider is given them resolved (``resolving.Properties``).
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from altus.cloudformation import intrinsics, resolving
from altus.cloudformation.dynamic import DynamicLookup
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

#: Reasons CloudFormation gives (its own words).
INITIATED = "Resource creation Initiated"
REPLACING = "Requested update requires the creation of a new physical resource; hence creating one."
USER_INITIATED = "User Initiated"
INTERRUPTED = "The stack's operation was interrupted (the server stopped)"
#: A resource's settled statuses: nothing of its own is in flight.
_SETTLED = (CREATE_COMPLETE, UPDATE_COMPLETE)
#: A create or replacement the service answered with a failure: nothing was made.
_NEVER_MADE = (CREATE_FAILED, UPDATE_FAILED)


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
        await self._after_update_failed(stack, failure)

    async def delete(self, stack: Stack) -> None:
        """Run a delete recorded as DELETE_IN_PROGRESS."""
        operation = stack.operation
        retain = set(operation.retain) if operation is not None else set()
        # What an earlier update or rollback left to delete goes too (a stack deleted
        # after UPDATE_FAILED or UPDATE_ROLLBACK_FAILED).
        doomed = {**stack.resources, **(operation.garbage() if operation is not None else {})}
        failed = await self._delete_all(
            stack, doomed, stack.dependencies, lambda r: r.logical_id in retain or _kept(r)
        )
        if failed:
            reason = f"The following resource(s) failed to delete: [{', '.join(failed)}]. "
            await self._settle(stack, DELETE_FAILED, reason, keep_operation=True)
            return
        stack.deleted = self.recorder.now()
        await self._settle(stack, DELETE_COMPLETE)

    async def resume(self, stack: Stack) -> None:
        """Take on a stack found mid-operation at start (or whose rollback was asked for:
        RollbackStack, ContinueUpdateRollback record the rollback's status first)."""
        status = stack.status
        operation = stack.operation
        if status == CREATE_IN_PROGRESS:
            await self._after_create_failed(stack, INTERRUPTED)
        elif status == ROLLBACK_IN_PROGRESS:
            await self._rollback_create(stack)
        elif status == UPDATE_IN_PROGRESS:
            await self._after_update_failed(stack, INTERRUPTED)
        elif status == UPDATE_COMPLETE_CLEANUP_IN_PROGRESS:
            await self._cleanup(stack, resumed=True)
        elif status == UPDATE_ROLLBACK_IN_PROGRESS and operation is not None:
            await self._rollback_update(stack, None)
        elif status == UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS:
            await self._rollback_cleanup(stack)
        elif status == DELETE_IN_PROGRESS:
            await self.delete(stack)

    # --- forward -------------------------------------------------------------------------

    async def _apply(self, stack: Stack, target: Target) -> str | None:
        """Create or update every resource of ``target``, then its outputs. Returns the
        reason of the first failure (the stack's own words), or None."""
        operation = stack.operation
        assert operation is not None
        imports: list[str] = []
        scope = self._scope(stack, target, imports)
        failures: list[str] = []

        async def one(logical_id: str) -> None:
            try:
                await self._apply_one(stack, target, scope, logical_id)
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
            if stack_id in self.cancelled:
                return "Resource update cancelled"
        except GraphFailed:
            verb = "create" if operation.kind == "CREATE" else "update"
            return f"The following resource(s) failed to {verb}: [{', '.join(failures)}]. "
        finally:
            self.cancelled.discard(stack_id)
        try:
            outputs = resolving.outputs(target.template, target.conditions, scope)
            before = operation.previous.outputs if operation.previous is not None else []
            self.check_exports(stack, before, outputs)
        except (CloudFormationError, intrinsics.Unresolvable) as error:
            return str(getattr(error, "message", None) or error)
        stack.outputs = outputs
        stack.imports = imports
        return None

    async def _apply_one(
        self, stack: Stack, target: Target, scope: intrinsics.Scope, logical_id: str
    ) -> None:
        operation = stack.operation
        assert operation is not None
        declared = target.template["Resources"][logical_id]
        kind = declared["Type"]
        provider = self.providers[kind]
        current = stack.resources.get(logical_id)
        try:
            if current is not None and current.type != kind:
                raise ResourceFailed(
                    "Update of resource type is not permitted. The new template modifies "
                    f"resource type of the following resources: [{logical_id}]"
                )
            policies = resolving.policies(declared, scope)
            recorded = resolving.recorded_properties(declared, scope)
        except (CloudFormationError, intrinsics.Unresolvable, ResourceFailed) as error:
            reason = getattr(error, "message", None) or str(error)
            resource = current or Resource(logical_id, kind, CREATE_IN_PROGRESS, created_now=True)
            stack.resources.setdefault(logical_id, resource)
            status = CREATE_FAILED if current is None else UPDATE_FAILED
            await self.recorder.save(
                stack, self.recorder.resource_event(stack, resource, status, reason)
            )
            raise
        metadata = declared.get("Metadata")
        if current is None or current.physical_id is None:
            # New, or a create that failed before (a stack left CREATE_FAILED): made anew.
            await self._create(stack, provider, logical_id, kind, recorded, policies, metadata)
            return
        if (
            recorded == current.properties
            and current.attempted is None
            and current.status in _SETTLED
        ):
            # Unchanged: CloudFormation leaves it alone, without an event.
            current.metadata = metadata
            current.deletion_policy, current.update_replace_policy = policies
            return
        changed = {
            name
            for name in set(recorded) | set(current.properties)
            if recorded.get(name) != current.properties.get(name)
        }
        if changed & provider.replaced_by:
            named = resolving.custom_name(kind, provider, recorded, current.properties)
            if named is not None:
                reason = (
                    "CloudFormation cannot update a stack when a custom-named resource "
                    f"requires replacing. Rename {named} and update the stack again."
                )
                await self.recorder.save(
                    stack, self.recorder.resource_event(stack, current, UPDATE_FAILED, reason)
                )
                raise ResourceFailed(reason)
            await self._replace(stack, provider, current, recorded, policies, metadata)
            return
        before = Resource.from_json(current.to_json())
        await self._update(stack, provider, current, recorded, policies, metadata)
        if before.physical_id != current.physical_id:
            # The provider answered with a new resource (a custom resource's function
            # gave a new physical id): the old one goes at the cleanup, as a replaced one.
            operation.replaced[logical_id] = before

    async def _create(
        self,
        stack: Stack,
        provider: Provider,
        logical_id: str,
        kind: str,
        recorded: dict[str, Any],
        policies: tuple[str, str],
        metadata: Any,
    ) -> None:
        resource = Resource(
            logical_id,
            kind,
            CREATE_IN_PROGRESS,
            properties=recorded,
            seed=uuid.uuid4().hex,
            metadata=metadata,
            deletion_policy=policies[0],
            update_replace_policy=policies[1],
            created_now=True,
        )
        stack.resources[logical_id] = resource
        recorder = self.recorder
        await recorder.save(
            stack, recorder.resource_event(stack, resource, CREATE_IN_PROGRESS, None, recorded)
        )
        try:
            given = await resolving.applied(recorded, self.lookups(stack))
            outcome = await provider.create(
                self.contexts.context(stack, resource), logical_id, given
            )
        except Exception as error:
            await recorder.save(
                stack,
                recorder.resource_event(stack, resource, CREATE_FAILED, resolving.reason(error)),
            )
            raise
        resource.physical_id = outcome.physical_id
        resource.attributes = dict(outcome.attributes)
        await recorder.save(
            stack,
            recorder.resource_event(stack, resource, CREATE_IN_PROGRESS, INITIATED, recorded),
            recorder.resource_event(stack, resource, CREATE_COMPLETE),
        )

    async def _replace(
        self,
        stack: Stack,
        provider: Provider,
        current: Resource,
        recorded: dict[str, Any],
        policies: tuple[str, str],
        metadata: Any,
    ) -> None:
        operation = stack.operation
        assert operation is not None
        operation.replaced[current.logical_id] = current
        resource = Resource(
            current.logical_id,
            current.type,
            UPDATE_IN_PROGRESS,
            properties=recorded,
            seed=uuid.uuid4().hex,
            metadata=metadata,
            deletion_policy=policies[0],
            update_replace_policy=policies[1],
            created_now=True,
        )
        stack.resources[current.logical_id] = resource
        recorder = self.recorder
        await recorder.save(
            stack,
            recorder.resource_event(stack, resource, UPDATE_IN_PROGRESS, REPLACING, recorded),
        )
        try:
            given = await resolving.applied(recorded, self.lookups(stack))
            outcome = await provider.create(
                self.contexts.context(stack, resource), current.logical_id, given
            )
        except Exception as error:
            await recorder.save(
                stack,
                recorder.resource_event(stack, resource, UPDATE_FAILED, resolving.reason(error)),
            )
            raise
        resource.physical_id = outcome.physical_id
        resource.attributes = dict(outcome.attributes)
        await recorder.save(stack, recorder.resource_event(stack, resource, UPDATE_COMPLETE))

    async def _update(
        self,
        stack: Stack,
        provider: Provider,
        current: Resource,
        recorded: dict[str, Any],
        policies: tuple[str, str],
        metadata: Any,
    ) -> None:
        """Change ``current`` in place to ``recorded``: from the properties it holds, or
        from those an update cut short was taking (the service may hold them)."""
        recorder = self.recorder
        lookup = self.lookups(stack)
        source = current.attempted if current.attempted is not None else current.properties
        current.attempted = recorded
        current.metadata = metadata
        current.deletion_policy, current.update_replace_policy = policies
        await recorder.save(
            stack, recorder.resource_event(stack, current, UPDATE_IN_PROGRESS, None, recorded)
        )
        try:
            before = Current(
                current.logical_id,
                current.physical_id,
                await resolving.applied(source, lookup),
                current.attributes,
            )
            given = await resolving.applied(recorded, lookup)
            outcome = await provider.update(self.contexts.context(stack, current), before, given)
        except Exception as error:
            await recorder.save(
                stack,
                recorder.resource_event(stack, current, UPDATE_FAILED, resolving.reason(error)),
            )
            raise
        current.properties = recorded
        current.attempted = None
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
        doomed = {**operation.leftovers, **operation.removed, **operation.replaced}
        replaced = set(operation.replaced)

        def kept(resource: Resource) -> bool:
            if resource.logical_id in replaced:
                # The new template's UpdateReplacePolicy governs the old copy.
                newer = stack.resources.get(resource.logical_id)
                policy = (newer or resource).update_replace_policy
                return policy in ("Retain", "Snapshot")
            return _kept(resource)

        def drop(key: str) -> None:
            operation.replaced.pop(key, None)
            operation.removed.pop(key, None)
            operation.leftovers.pop(key, None)

        # A failed delete leaves the stack updated all the same (CloudFormation's rule):
        # the resource's DELETE_FAILED event says what was left behind.
        await self._delete_all(stack, doomed, order, kept, drop=drop)
        await self._settle(stack, UPDATE_COMPLETE)

    # --- rollback ------------------------------------------------------------------------

    async def _after_create_failed(self, stack: Stack, failure: str) -> None:
        operation = stack.operation
        assert operation is not None
        operation.failure = failure
        if operation.disable_rollback:
            await self._settle(stack, CREATE_FAILED, failure, keep_operation=True)
            return
        reason = failure.rstrip() + " Rollback requested by user."
        operation.rollback_reason = reason
        await self.recorder.save(
            stack, self.recorder.stack_event(stack, ROLLBACK_IN_PROGRESS, reason)
        )
        await self._rollback_create(stack)

    async def _rollback_create(self, stack: Stack) -> None:
        failed = await self._delete_all(
            stack, stack.resources, stack.dependencies, lambda r: _kept(r, rollback=True)
        )
        operation = stack.operation
        if failed:
            reason = f"The following resource(s) failed to delete: [{', '.join(failed)}]. "
            await self._settle(stack, ROLLBACK_FAILED, reason, keep_operation=True)
            return
        if operation is not None and operation.delete_on_failure:
            await self.recorder.save(stack, self.recorder.stack_event(stack, DELETE_IN_PROGRESS))
            stack.deleted = self.recorder.now()
            await self._settle(stack, DELETE_COMPLETE)
            return
        await self._settle(stack, ROLLBACK_COMPLETE)

    async def _after_update_failed(self, stack: Stack, failure: str) -> None:
        operation = stack.operation
        assert operation is not None
        operation.failure = failure
        if operation.disable_rollback:
            await self._settle(stack, UPDATE_FAILED, failure, keep_operation=True)
            return
        await self._rollback_update(stack, failure)

    async def _rollback_update(self, stack: Stack, failure: str | None) -> None:
        """Return every resource to its state before the update (in the old template's
        dependency order), then restore the stack's template, parameters and outputs.
        ``failure``: why (its event is written); None where the rollback's status is
        already recorded (a resumed or continued rollback)."""
        operation = stack.operation
        assert operation is not None and operation.previous is not None
        previous = operation.previous
        if not operation.new_dependencies:
            operation.new_dependencies = dict(stack.dependencies)
        # New resources go at the rollback's cleanup.
        for logical_id in list(stack.resources):
            if logical_id not in previous.resources:
                operation.discarded[logical_id] = stack.resources.pop(logical_id)
        if failure is not None:
            operation.rollback_reason = failure
            await self.recorder.save(
                stack, self.recorder.stack_event(stack, UPDATE_ROLLBACK_IN_PROGRESS, failure)
            )
        skip = set(operation.skip)
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
        operation.skip = []
        stack.template = previous.template
        stack.template_body = previous.template_body
        stack.parameters = previous.parameters
        stack.outputs = previous.outputs
        stack.description = previous.description
        stack.capabilities = previous.capabilities
        stack.tags = previous.tags
        stack.role_arn = previous.role_arn
        stack.dependencies = previous.dependencies
        stack.imports = previous.imports
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
        if current is None or wanted.physical_id is None:
            # Nothing to return to (it had never been made): what this update made of it
            # goes at the cleanup.
            if current is not None and current.physical_id is not None:
                operation.discarded[logical_id] = current
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
        policies = (wanted.deletion_policy, wanted.update_replace_policy)
        if (
            current.properties == wanted.properties
            and current.attempted is None
            and current.status in _SETTLED
        ):
            current.metadata = wanted.metadata
            current.deletion_policy, current.update_replace_policy = policies
            return
        provider = self.providers[current.type]
        await self._update(stack, provider, current, wanted.properties, policies, wanted.metadata)

    async def _rollback_cleanup(self, stack: Stack) -> None:
        operation = stack.operation
        assert operation is not None

        def drop(key: str) -> None:
            operation.discarded.pop(key, None)
            operation.leftovers.pop(key, None)

        await self._delete_all(
            stack,
            {**operation.leftovers, **operation.discarded},
            operation.new_dependencies,
            lambda r: _kept(r, rollback=True),
            drop=drop,
        )
        await self._settle(stack, UPDATE_ROLLBACK_COMPLETE)

    # --- deleting ------------------------------------------------------------------------

    async def _delete_all(
        self,
        stack: Stack,
        resources: Mapping[str, Resource],
        dependencies: Mapping[str, Any],
        kept: Callable[[Resource], bool],
        *,
        drop: Callable[[str], None] | None = None,
    ) -> list[str]:
        """Delete ``resources`` (dependents first; past a failure, everything that does not
        depend on what failed), keeping those ``kept`` says to. Returns the logical ids
        that failed."""
        failures: list[str] = []
        nodes = set(resources)
        # Leftover copies (``<id>@<seed>``) wait for nothing.
        waits = reverse({k: set(v) for k, v in dependencies.items() if k in nodes})

        async def one(key: str) -> None:
            resource = resources[key]
            try:
                await self._delete_one(stack, resource, kept(resource))
            except Exception:
                failures.append(resource.logical_id)
                raise
            if drop is not None:
                drop(key)

        with contextlib.suppress(GraphFailed):  # the failures are collected above
            await run_graph(nodes, waits, one, keep_going=True)
        return failures

    async def _delete_one(self, stack: Stack, resource: Resource, keep: bool) -> None:
        recorder = self.recorder
        if resource.status in (DELETE_COMPLETE, DELETE_SKIPPED):
            return
        if keep:
            await recorder.save(stack, recorder.resource_event(stack, resource, DELETE_SKIPPED))
            return
        never_made = resource.physical_id is None and resource.status in _NEVER_MADE
        await recorder.save(stack, recorder.resource_event(stack, resource, DELETE_IN_PROGRESS))
        provider = self.providers.get(resource.type)
        # A create the service refused made nothing: no call (a lookup by the name the
        # template gave could find a resource that is not the stack's). A create cut off
        # mid-call (no physical id, still in progress) is looked for by its name.
        if provider is not None and not never_made:
            current = Current(
                resource.logical_id, resource.physical_id, resource.properties, resource.attributes
            )
            try:
                await provider.delete(self.contexts.context(stack, resource), current)
            except ServiceFailed as error:
                if not error.not_found:
                    await recorder.save(
                        stack,
                        recorder.resource_event(
                            stack, resource, DELETE_FAILED, resolving.reason(error)
                        ),
                    )
                    raise
            except Exception as error:
                await recorder.save(
                    stack,
                    recorder.resource_event(
                        stack, resource, DELETE_FAILED, resolving.reason(error)
                    ),
                )
                raise
        await recorder.save(stack, recorder.resource_event(stack, resource, DELETE_COMPLETE))

    # --- helpers -------------------------------------------------------------------------

    async def _settle(
        self, stack: Stack, status: str, reason: str | None = None, *, keep_operation: bool = False
    ) -> None:
        """End the operation with the stack in ``status`` (a failure that leaves something
        to finish keeps the operation: RollbackStack, ContinueUpdateRollback, a retried
        delete take it on)."""
        operation = stack.operation
        event = self.recorder.stack_event(stack, status, reason)
        if reason is None and status in (ROLLBACK_COMPLETE, UPDATE_ROLLBACK_COMPLETE):
            # DescribeStacks goes on saying why it rolled back.
            stack.reason = operation.rollback_reason if operation is not None else None
        if not keep_operation:
            stack.operation = None
            for resource in stack.resources.values():
                resource.created_now = False
        await self.recorder.save(stack, event)
        if self.finished is not None:
            await self.finished(stack)

    def _scope(self, stack: Stack, target: Target, imports: list[str]) -> intrinsics.Scope:
        """The scope a deploy resolves in; each export it imports is added to
        ``imports`` and, while the deploy runs, held on the stack with those it held."""

        def exports(name: str) -> Any:
            value = self.exports(name)
            if name not in imports:
                imports.append(name)
            if name not in stack.imports:
                stack.imports.append(name)
            return value

        return intrinsics.Scope(
            parameters=target.values,
            mappings=target.template.get("Mappings") or {},
            conditions=target.conditions,
            resources=resolving.Deployed(stack),
            exports=exports,
            azs=target.azs,
        )


def _kept(resource: Resource, *, rollback: bool = False) -> bool:
    """Whether a delete leaves ``resource`` in place, by its DeletionPolicy: ``Retain``
    always (and ``Snapshot``: Altus takes no snapshots, and never deletes data it was told
    to keep); ``RetainExceptOnCreate`` unless a rollback undoes the operation that made
    it."""
    policy = resource.deletion_policy
    if policy in ("Retain", "Snapshot"):
        return True
    if policy == "RetainExceptOnCreate":
        return not (rollback and resource.created_now)
    return False
