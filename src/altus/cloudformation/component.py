"""The CloudFormation service's component: every stack and change set (in memory, written
through the store before each change), the deployments running in the background, and
what they share: calls to the services as each stack's actor, exports between stacks.

At start, a stack found mid-operation (the server was stopped or killed) is taken on:
what cannot be finished is rolled back (``deployer.Deployer.resume``).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Coroutine, Mapping
from typing import Any

from altus.api.selfcalls import BotocoreCalls, SdkFailure, SdkUnreachable
from altus.api.spec import Context
from altus.arns import Account
from altus.cloudformation.context import ActorSessions, StackContext
from altus.cloudformation.deployer import Deployer
from altus.cloudformation.dynamic import DynamicLookup
from altus.cloudformation.errors import TemplateError, ValidationError
from altus.cloudformation.model import (
    DELETE_COMPLETE,
    SETTLED,
    ChangeSet,
    Output,
    Resource,
    Stack,
)
from altus.cloudformation.preparation import Lookups, StackIdentity
from altus.cloudformation.providers import PROVIDERS, Providers
from altus.cloudformation.providers.base import Provider, ProviderContext
from altus.cloudformation.providers.custom import CustomResource, Responses
from altus.cloudformation.recorder import Recorder
from altus.cloudformation.sql_store import SqlStackStore
from altus.cloudformation.store import StackStore, Write
from altus.cloudformation.transforms import location
from altus.objects import ObjectSource, ObjectUnavailable

log = logging.getLogger(__name__)

#: How long deleted stacks stay listed (ListStacks, DescribeStacks by id).
DELETED_KEPT_SECONDS = 90 * 86400


class CloudFormation:
    def __init__(self, context: Context) -> None:
        self.account: Account = context.account
        self.identity = context.identity
        self.clock = context.clock
        self.answer_within = context.settings.cloudformation_answer_within_seconds
        self.endpoint = context.endpoint or "http://127.0.0.1"
        self.store: StackStore = SqlStackStore(context.storage.database())
        self.objects: ObjectSource | None = context.component("s3")
        self.calls = BotocoreCalls(
            context.endpoint,
            context.account.region,
            ActorSessions(context.identity),
            context.clock.now,
            session_name="AWSCloudFormation",
            thread_name="altus-cfn",
        )
        #: The answers custom resources wait for (at an open route of the service's).
        self.responses = Responses()
        self.providers: Mapping[str, Provider] = Providers(
            PROVIDERS, CustomResource(self.responses)
        )
        self.recorder = Recorder(self.store, context.clock.now)
        self.deployer = Deployer(
            providers=self.providers,
            contexts=self,
            recorder=self.recorder,
            exports=self.export_value,
            lookups=self.dynamic_lookup,
            finished=self._finished,
            check_exports=self.check_exports,
        )
        #: Every stack kept, by id; the stack (not deleted) of each name.
        self.stacks: dict[str, Stack] = {}
        self.live: dict[str, str] = {}
        self.change_sets: dict[str, ChangeSet] = {}
        #: Stacks an operation is being prepared for (their names or ids), so two
        #: requests cannot both start one.
        self.busy: set[str] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    # --- lifecycle -----------------------------------------------------------------------

    async def start(self) -> None:
        stacks, change_sets = await self.store.load()
        now = self.clock.now()
        purged = [
            s.stack_id
            for s in stacks
            if s.deleted is not None and now - s.deleted > DELETED_KEPT_SECONDS
        ]
        if purged:
            await self.store.write(Write(purged_stacks=purged))
        for stack in stacks:
            if stack.stack_id in purged:
                continue
            self.stacks[stack.stack_id] = stack
            if stack.status != DELETE_COMPLETE:
                self.live[stack.name] = stack.stack_id
        reconciled: list[ChangeSet] = []
        for change_set in change_sets:
            owner = self.stacks.get(change_set.stack_id)
            if owner is None:
                continue
            self.change_sets[change_set.change_set_id] = change_set
            if change_set.execution_status == "EXECUTE_IN_PROGRESS" and owner.operation is None:
                # Its stack's operation ended before the change set's own note of it was
                # written (the server stopped between the two).
                succeeded = owner.status in ("CREATE_COMPLETE", "UPDATE_COMPLETE")
                change_set.execution_status = "EXECUTE_COMPLETE" if succeeded else "EXECUTE_FAILED"
                reconciled.append(change_set)
        if reconciled:
            await self.store.write(Write(change_sets=tuple(reconciled)))
        for stack in self.stacks.values():
            if stack.operation is not None and stack.status.endswith("_IN_PROGRESS"):
                self.spawn(self.deployer.resume(stack))

    def interrupt(self) -> None:
        pass

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=10)
        self.calls.close()

    def spawn(self, work: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        """Run a stack's operation in the background."""
        task = asyncio.ensure_future(self._guarded(work))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def answer_after(self, task: asyncio.Task[None]) -> None:
        """Let an operation just started run for up to ``answer_within`` before its
        request is answered (it goes on in the background past that)."""
        if self.answer_within > 0:
            await asyncio.wait({task}, timeout=self.answer_within)

    async def _guarded(self, work: Coroutine[Any, Any, None]) -> None:
        try:
            await work
        except asyncio.CancelledError:
            raise
        except Exception:  # the stack stays in progress; the next start takes it on
            log.exception("a stack operation failed unexpectedly")

    async def idle(self) -> None:
        """Wait until no operation is running (tests, ``altus`` shutting down)."""
        for _ in range(10_000):  # bounded: operations end
            if not self._tasks:
                return
            await asyncio.wait(set(self._tasks))

    # --- what the deployer uses ----------------------------------------------------------

    def context(self, stack: Stack, resource: Resource) -> ProviderContext:
        return StackContext(
            stack_name=stack.name,
            stack_id=stack.stack_id,
            region=self.account.region,
            account_id=self.account.account_id,
            partition=self.account.partition,
            endpoint=self.endpoint,
            actor=stack.role_arn or stack.actor,
            seed=resource.seed or stack.stack_id,
            logical_id=resource.logical_id,
            calls=self.calls,
            objects=self.objects,
            sleeper=self.clock.sleep,
            stack_tags={tag["Key"]: tag["Value"] for tag in stack.tags},
            resource_type=resource.type,
        )

    def cancel(self, stack: Stack) -> None:
        """CancelUpdateStack: the update starts no more resources and rolls back."""
        self.deployer.cancelled.add(stack.stack_id)

    async def _finished(self, stack: Stack) -> None:
        change_set = self.change_sets.get(stack.change_set_id or "")
        if change_set is not None and change_set.execution_status == "EXECUTE_IN_PROGRESS":
            succeeded = stack.status in ("CREATE_COMPLETE", "UPDATE_COMPLETE")
            change_set.execution_status = "EXECUTE_COMPLETE" if succeeded else "EXECUTE_FAILED"
            await self.store.write(Write(change_sets=(change_set,)))
        if stack.status == DELETE_COMPLETE:
            if self.live.get(stack.name) == stack.stack_id:
                del self.live[stack.name]
            gone = [
                c.change_set_id for c in self.change_sets.values() if c.stack_id == stack.stack_id
            ]
            if gone:
                await self.store.write(Write(dropped_change_sets=tuple(gone)))
            for change_set_id in gone:
                del self.change_sets[change_set_id]

    def export_value(self, name: str) -> Any:
        for stack in self.stacks.values():
            if stack.status == DELETE_COMPLETE or (
                stack.status not in SETTLED and not stack.status.startswith("UPDATE")
            ):
                continue
            for output in stack.outputs:
                if output.export_name == name:
                    return output.value
        raise ValidationError(f"No export named {name} found.")

    def exporters(self) -> dict[str, tuple[Stack, Output]]:
        """Every export of the account: its name -> the stack and output giving it."""
        found: dict[str, tuple[Stack, Output]] = {}
        for stack in self.stacks.values():
            if stack.status == DELETE_COMPLETE:
                continue
            for output in stack.outputs:
                if output.export_name:
                    found[output.export_name] = (stack, output)
        return found

    def importers(self, name: str) -> list[Stack]:
        """The live stacks that import export ``name``."""
        return [
            s for s in self.stacks.values() if s.status != DELETE_COMPLETE and name in s.imports
        ]

    def check_exports(self, stack: Stack, before: list[Output], after: list[Output]) -> None:
        """Refuse outputs that would take another stack's export name, or change or drop
        an export another stack imports (ValidationError, as CloudFormation words it)."""
        taken = self.exporters()
        for output in after:
            name = output.export_name
            if name is None:
                continue
            holder = taken.get(name)
            if holder is not None and holder[0].stack_id != stack.stack_id:
                raise ValidationError(
                    f"Export with name {name} is already exported by stack {holder[0].name}"
                )
        kept = {o.export_name: o.value for o in after if o.export_name}
        for output in before:
            name = output.export_name
            if name is None:
                continue
            users = [s.name for s in self.importers(name) if s.stack_id != stack.stack_id]
            if not users:
                continue
            if name not in kept:
                raise ValidationError(
                    f"Cannot delete export {name} as it is in use by {', '.join(users)}"
                )
            if kept[name] != output.value:
                raise ValidationError(
                    f"Cannot update export {name} as it is in use by {', '.join(users)}"
                )

    def dynamic_lookup(self, stack: Stack) -> DynamicLookup:
        return _Dynamic(self, stack.role_arn or stack.actor)

    def lookups(self, actor: str) -> Lookups:
        async def ssm(name: str) -> str | None:
            try:
                answer = await self.calls.call("ssm", "GetParameter", {"Name": name}, actor)
            except SdkFailure as failed:
                if failed.code == "ParameterNotFound":
                    return None
                raise ValidationError(
                    f"Unable to fetch parameters [{name}]: {failed.message}"
                ) from None
            except SdkUnreachable as unanswered:
                raise ValidationError(
                    f"Unable to fetch parameters [{name}]: {unanswered}"
                ) from None
            return str(answer.members["Parameter"]["Value"])

        return Lookups(ssm=ssm, fetch=self.fetch)

    async def fetch(self, bucket: str, key: str) -> bytes:
        """An object of the built-in S3 (a template, a snippet)."""
        if self.objects is None:
            raise TemplateError(f"S3 object s3://{bucket}/{key} cannot be read here")
        try:
            return await self.objects.fetch(bucket, key, None, 1_048_576)
        except ObjectUnavailable as error:
            raise ValidationError(
                f"S3 error: Unable to get object s3://{bucket}/{key}: {error.code}"
            ) from None

    async def template_at(self, url: str) -> str:
        """The template a ``TemplateURL`` names (path-style on this server, or an S3 URL)."""
        bucket, key = location(url)
        body = await self.fetch(bucket, key)
        try:
            return body.decode()
        except UnicodeDecodeError:
            raise ValidationError("Template format error: the template is not text") from None

    def stack_identity(self, stack: Stack) -> StackIdentity:
        return StackIdentity(
            name=stack.name,
            stack_id=stack.stack_id,
            account=self.account.account_id,
            region=self.account.region,
            partition=self.account.partition,
            notification_arns=tuple(stack.notification_arns),
        )

    def new_stack_id(self, name: str) -> str:
        return self.account.arn("cloudformation", f"stack/{name}/{uuid.uuid4()}")

    # --- finding -------------------------------------------------------------------------

    def find(self, name_or_id: str) -> Stack:
        """The stack a StackName member names: an id finds any kept stack, a name only a
        stack that is not deleted. Raises ValidationError as CloudFormation words it."""
        found = self.stacks.get(name_or_id)
        if found is None:
            stack_id = self.live.get(name_or_id)
            found = self.stacks.get(stack_id) if stack_id is not None else None
        if found is None:
            raise ValidationError(f"Stack with id {name_or_id} does not exist")
        return found


class _Dynamic:
    """``dynamic.DynamicLookup`` through SSM and Secrets Manager, as the stack's actor."""

    def __init__(self, service: CloudFormation, actor: str) -> None:
        self._service = service
        self._actor = actor

    async def parameter(self, name: str, version: int | None) -> str:
        wanted = f"{name}:{version}" if version is not None else name
        try:
            answer = await self._service.calls.call(
                "ssm", "GetParameter", {"Name": wanted, "WithDecryption": True}, self._actor
            )
        except (SdkFailure, SdkUnreachable):
            raise ValidationError(
                f"Unable to fetch parameters [{wanted}] from parameter store for this account."
            ) from None
        return str(answer.members["Parameter"]["Value"])

    async def secret(self, secret_id: str, stage: str | None, version_id: str | None) -> str:
        params: dict[str, Any] = {"SecretId": secret_id}
        if version_id:
            params["VersionId"] = version_id
        elif stage:
            params["VersionStage"] = stage
        try:
            answer = await self._service.calls.call(
                "secretsmanager", "GetSecretValue", params, self._actor
            )
        except SdkFailure as failed:
            raise ValidationError(
                f"Secrets Manager can't find the specified secret. ({failed.message})"
            ) from None
        except SdkUnreachable as unanswered:
            raise ValidationError(str(unanswered)) from None
        value = answer.members.get("SecretString")
        if value is None:
            raise ValidationError(f"The secret {secret_id} has no SecretString")
        return str(value)
