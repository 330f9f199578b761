"""The function control plane: create, read, update, delete, publish, attach.

Every command has the same shape: under the function's lock (``writing``), validate
(raising AWS-shaped errors, changing nothing), compute a plan of store changes from the
in-memory record, and ``commit`` it: the store applies the plan durably, and only then
are the in-memory records the invoke path reads updated and listeners (the engine's
warm pool, reservations, URL index) told which function changed. Commands on one
function therefore never interleave, however many ``await`` they contain, and a commit
is never half done in memory: once the store has it, memory follows even if the
caller went away.

New code is readied in the background (``activation``): a function is ``Pending`` (an
update ``InProgress``) until then, and invokes meanwhile run the previous snapshot, or
wait for the first one, as on Lambda. Activation finishes by compare-and-swap on the
revision it readied, not under the lock, because commands wait for it under the lock.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from altus.arns import Account
from altus.control import validation
from altus.control.activation import Activations
from altus.control.arns import LATEST, FunctionRef, is_version
from altus.control.code_source import CodeSource
from altus.control.errors import (
    InvalidParameterValue,
    PreconditionFailed,
    ResourceConflict,
    ResourceNotFound,
    StoreFailure,
)
from altus.control.layers import LayerService, check_unzipped_size
from altus.control.model import (
    ACTIVE,
    FAILED,
    IN_PROGRESS,
    PENDING,
    SUCCESSFUL,
    Alias,
    FunctionConfig,
    FunctionRecord,
    new_revision,
    now_iso,
)
from altus.control.requests import config_fields
from altus.control.routing import choose_version
from altus.control.store import (
    Change,
    CreateFunction,
    DeleteFunction,
    DeleteVersion,
    FunctionStore,
    PutAttached,
    PutLatest,
    PutVersion,
    StoreConflict,
    commit,
)
from altus.store.code import CodeRef, CodeStore

#: How a transient version's qualifier begins: "$" and "." keep it apart from every
#: version number and alias name, and no request can name it (the API's qualifier
#: pattern refuses "."), so only the server itself invokes it.
TRANSIENT_PREFIX = "$TRANSIENT."

REVISION_MISMATCH = (
    "The Revision Id provided does not match the latest Revision Id. "
    "Call the GetFunction/GetAlias API to retrieve the latest Revision Id"
)

ChangeListener = Callable[[str], None]
#: An attachment's new document from its current one (None: there is none / remove it).
Reattach = Callable[[dict[str, Any] | None], dict[str, Any] | None]

T = TypeVar("T")


class FunctionService:
    """Owns the function records; the only writer of the store's function state."""

    def __init__(
        self,
        store: FunctionStore,
        code: CodeStore,
        account: Account,
        prepare: Callable[[FunctionConfig, Path], None] | None = None,
        layers: LayerService | None = None,
        sources: CodeSource | None = None,
    ) -> None:
        self.store = store
        self.code = code
        self.account = account
        self.sources = sources or CodeSource()
        self.layers = layers or LayerService(store, code, account, self.sources)
        self._activations = Activations(code, prepare, self._activated)
        self._records: dict[str, FunctionRecord] = {}
        #: Function name -> qualifier -> a transient version (``publish_transient``).
        self._transient: dict[str, dict[str, FunctionConfig]] = {}
        self._listeners: list[ChangeListener] = []
        # Per function name, kept after a delete: a command waiting on a deleted
        # function's lock must not run beside one on a function created anew.
        self._locks: dict[str, asyncio.Lock] = {}

    # --- lifecycle -----------------------------------------------------------------------

    async def start(self) -> None:
        """Load every layer and function; finish any activation a crash interrupted."""
        await self.layers.start()
        for record in await self.store.load():
            self._records[record.name] = record
            latest = record.latest
            if latest.state == PENDING or latest.last_update_status == IN_PROGRESS:
                self._activations.start(latest)
            else:
                record.runnable_latest = latest

    async def close(self) -> None:
        await self._activations.close()

    def on_change(self, listener: ChangeListener) -> None:
        self._listeners.append(listener)

    def changed(self, name: str) -> None:
        """Tell listeners that ``name``'s configuration or attachments changed."""
        for listener in self._listeners:
            listener(name)

    # --- writing -------------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def writing(self, name: str) -> AsyncIterator[None]:
        """Hold ``name``'s lock: the commands that hold it run one at a time."""
        async with self._locks.setdefault(name, asyncio.Lock()):
            yield

    async def commit(self, changes: Sequence[Change], then: Callable[[], T]) -> T:
        """``store.commit`` on the function store: durably, then ``then()`` in memory."""
        return await commit(self.store, changes, then)

    async def attach(
        self, name: str, kind: str, qualifier: str, change: Reattach
    ) -> dict[str, Any] | None:
        """Replace a document attached to ``name`` or one of its qualifiers by what
        ``change`` makes of the current one (which it may refuse by raising), under the
        function's lock; then tell listeners. Returns the new document."""
        async with self.writing(name):
            record = self.record(name)
            value = change(record.attachment(kind, qualifier))

            def stored() -> None:
                record.attach(kind, qualifier, value)

            await self.commit([PutAttached(name, kind, qualifier, value)], stored)
        self.changed(name)
        return value

    # --- reads ---------------------------------------------------------------------------

    def record(self, name: str) -> FunctionRecord:
        record = self._records.get(name)
        if record is None:
            raise ResourceNotFound(f"Function not found: {self.account.function_arn(name)}")
        return record

    def records(self) -> list[FunctionRecord]:
        return [self._records[name] for name in sorted(self._records)]

    def qualifier_exists(self, name: str, qualifier: str) -> bool:
        record = self.record(name)
        return qualifier == LATEST or qualifier in record.versions or qualifier in record.aliases

    def config(self, ref: FunctionRef) -> FunctionConfig:
        """The configuration a qualified name refers to (an alias: its primary version)."""
        record = self.record(ref.name)
        qualifier = ref.qualifier
        if qualifier is None or qualifier == LATEST:
            return record.latest
        if is_version(qualifier):
            version = record.versions.get(qualifier)
            if version is None:
                raise ResourceNotFound(
                    f"Function not found: {self.account.function_arn(ref.name, qualifier)}"
                )
            return version
        alias = self.alias(ref.name, qualifier, missing="Function not found")
        return self.config(FunctionRef(ref.name, alias.function_version))

    def alias(self, function: str, name: str, missing: str = "Cannot find alias arn") -> Alias:
        """An alias; ResourceNotFound worded ``missing: <arn>`` when there is none. (Lambda
        words it per operation: GetAlias, UpdateAlias, and "Function not found" where an
        alias stands in a function's name.)"""
        alias = self.record(function).aliases.get(name)
        if alias is None:
            raise ResourceNotFound(f"{missing}: {self.account.function_arn(function, name)}")
        return alias

    def valid_env_keys(self, name: str) -> set[str]:
        """Environment keys that may still serve invokes of ``name``."""
        record = self._records.get(name)
        if record is None:
            return set()
        keys = {v.env_key for v in record.versions.values()}
        keys.update(v.env_key for v in self._transient.get(name, {}).values())
        if record.runnable_latest is not None:
            keys.add(record.runnable_latest.env_key)
        return keys

    # --- the invoke path -----------------------------------------------------------------

    async def resolve_invoke(self, ref: FunctionRef) -> tuple[FunctionConfig, str]:
        """The snapshot one invoke runs, and the ARN it was invoked by.

        Alias weights are drawn here, once per invoke. A Pending function is waited for.
        """
        record = self.record(ref.name)
        qualifier = ref.qualifier
        invoked_arn = self.account.function_arn(ref.name, qualifier)
        if qualifier is not None and qualifier.startswith(TRANSIENT_PREFIX):
            found = self._transient.get(ref.name, {}).get(qualifier)
            if found is None:
                raise ResourceNotFound(f"Function not found: {invoked_arn}")
            return found, invoked_arn
        if qualifier is None or qualifier == LATEST:
            if record.runnable_latest is None:
                await self._activations.settled(ref.name)
                record = self.record(ref.name)
            runnable = record.runnable_latest
            if runnable is None:
                raise ResourceConflict(
                    "The operation cannot be performed at this time. The function is "
                    f"currently in the following state: {record.latest.state}"
                )
            return runnable, invoked_arn
        if is_version(qualifier):
            return self.config(ref), invoked_arn
        alias = self.alias(ref.name, qualifier, missing="Function not found")
        version = choose_version(alias.function_version, alias.additional_weights)
        if version == LATEST:
            config, _ = await self.resolve_invoke(FunctionRef(ref.name, None))
            return config, invoked_arn
        return self.config(FunctionRef(ref.name, version)), invoked_arn

    # --- commands: functions -------------------------------------------------------------

    async def create_function(self, name: str, body: Mapping[str, Any]) -> FunctionConfig:
        """CreateFunction. ``body`` has passed the API model's validation; ``name`` is
        the plain name its FunctionName (perhaps an ARN) stands for."""
        if name in self._records:
            raise ResourceConflict(f"Function already exist: {name}")
        fields = config_fields(body, creating=True)
        code = await self._store_code(body.get("Code") or {})
        fields["layers"] = self.layers.resolve(body.get("Layers") or [], code)
        tags = dict(body.get("Tags") or {})
        validation.check_tags(tags)
        latest = FunctionConfig(name=name, version=LATEST, role=body["Role"], code=code, **fields)
        async with self.writing(name):
            if name in self._records:  # created while the code was being stored
                raise ResourceConflict(f"Function already exist: {name}")

            def created() -> None:
                self._records[name] = FunctionRecord(latest=latest, tags=tags)
                self._activations.start(latest)

            try:
                await self.commit([CreateFunction(latest=latest, tags=tags)], created)
            except StoreConflict:
                raise ResourceConflict(f"Function already exist: {name}") from None
            if body.get("Publish"):
                return await self._publish_update(name, fields.get("description", ""))
        return latest

    async def update_code(self, name: str, body: Mapping[str, Any]) -> FunctionConfig:
        self.record(name)
        async with self.writing(name):
            await self._activations.settled(name)
            self._check_revision(self.record(name).latest, body.get("RevisionId"))
            code = await self._store_code(body)
            current = self.record(name).latest
            # The new code with the layers it keeps must still fit Lambda's unzipped limit.
            check_unzipped_size(code, current.layers)
            changes: dict[str, Any] = {"code": code}
            if body.get("Architectures"):
                changes["architectures"] = tuple(body["Architectures"])
            updated = self._updating(current, changes)
            if body.get("DryRun"):
                return updated
            await self._put_latest(updated, current.revision_id)
            if body.get("Publish"):
                return await self._publish_update(name, "")
            return updated

    async def update_configuration(self, name: str, body: Mapping[str, Any]) -> FunctionConfig:
        self.record(name)
        async with self.writing(name):
            await self._activations.settled(name)
            current = self.record(name).latest
            self._check_revision(current, body.get("RevisionId"))
            fields = config_fields(body, creating=False, base=current)
            if "Layers" in body:
                fields["layers"] = self.layers.resolve(body["Layers"] or [], current.code)
            if "Role" in body:
                fields["role"] = body["Role"]
            updated = self._updating(current, fields)
            await self._put_latest(updated, current.revision_id)
            return updated

    async def delete_function(self, ref: FunctionRef) -> None:
        self.record(ref.name)
        async with self.writing(ref.name):
            record = self.record(ref.name)
            qualifier = ref.qualifier
            if qualifier is None:

                def deleted() -> None:
                    del self._records[ref.name]
                    self._transient.pop(ref.name, None)
                    self._activations.cancel(ref.name)

                await self.commit([DeleteFunction(ref.name)], deleted)
            else:
                self._check_deletable(record, qualifier)

                def version_deleted() -> None:
                    del record.versions[qualifier]
                    record.detach_qualifier(qualifier)

                await self.commit([DeleteVersion(ref.name, qualifier)], version_deleted)
        self.changed(ref.name)

    def _check_deletable(self, record: FunctionRecord, qualifier: str) -> None:
        if qualifier == LATEST:
            raise InvalidParameterValue(
                "$LATEST version cannot be deleted without deleting the function."
            )
        if not is_version(qualifier):
            raise InvalidParameterValue(
                f"Deletion of aliases is not supported by DeleteFunction: {qualifier}. "
                "Use DeleteAlias."
            )
        if qualifier not in record.versions:
            raise ResourceNotFound(
                f"Function not found: {self.account.function_arn(record.name, qualifier)}"
            )
        users = sorted(
            a.name
            for a in record.aliases.values()
            if a.function_version == qualifier or qualifier in a.additional_weights
        )
        if users:
            raise ResourceConflict(
                "Unable to delete version because the following aliases reference it: "
                f"[{', '.join(users)}]"
            )

    async def publish_version(self, name: str, body: Mapping[str, Any]) -> FunctionConfig:
        self.record(name)
        async with self.writing(name):
            await self._activations.settled(name)
            latest = self.record(name).latest
            self._check_revision(latest, body.get("RevisionId"))
            wanted_sha = body.get("CodeSha256")
            if wanted_sha and wanted_sha != latest.code.sha256:
                raise InvalidParameterValue(
                    f"CodeSHA256 ({wanted_sha}) is different from current CodeSHA256 in "
                    f"$LATEST ({latest.code.sha256}). Please try again with the CodeSHA256 "
                    "in $LATEST."
                )
            # Without a Description, the version keeps $LATEST's.
            return await self._publish(name, body.get("Description", latest.description))

    async def _publish_update(self, name: str, description: str) -> FunctionConfig:
        """``Publish: true`` on a create or update (the lock held): the version, once the
        code is ready. A $LATEST whose preparation failed is returned as it is (State or
        LastUpdateStatus ``Failed``), not published."""
        await self._activations.settled(name)
        latest = self.record(name).latest
        if latest.state == FAILED or latest.last_update_status == FAILED:
            return latest
        return await self._publish(name, description)

    async def _publish(self, name: str, description: str) -> FunctionConfig:
        record = self.record(name)
        latest = record.latest
        if latest.state != ACTIVE or latest.last_update_status == IN_PROGRESS:
            raise ResourceConflict(
                "The operation cannot be performed at this time. An update is in progress "
                f"for resource: {self.account.function_arn(name)}"
            )
        if record.last_version and str(record.last_version) in record.versions:
            newest = record.versions[str(record.last_version)]
            if newest.fingerprint() == latest.fingerprint():
                # Lambda publishes nothing when $LATEST has not changed since the last one.
                return newest
        number = record.last_version + 1
        version = _published(latest, version=str(number), description=description)

        def published() -> FunctionConfig:
            record.versions[version.version] = version
            record.last_version = number
            return version

        return await self.commit([PutVersion(version, number)], published)

    # --- transient versions ------------------------------------------------------------------

    async def transient_base(self, name: str, qualifier: str | None) -> FunctionConfig:
        """The configuration ``publish_transient`` copies for ``qualifier`` now ($LATEST
        as it runs, a version, or an alias's primary version): a caller publishing
        several transient versions takes it once, so that they all share it whatever
        changes meanwhile. Raises as ``publish_transient``."""
        self.record(name)
        async with self.writing(name):
            return await self._transient_base(name, qualifier)

    async def _transient_base(self, name: str, qualifier: str | None) -> FunctionConfig:
        record = self.record(name)
        if qualifier is None or qualifier == LATEST:
            await self._activations.settled(name)
            record = self.record(name)
            base = record.runnable_latest
            if base is None or record.latest.state != ACTIVE:
                raise ResourceConflict(
                    "The operation cannot be performed at this time. The function is "
                    f"currently in the following state: {record.latest.state}"
                )
            return base
        if is_version(qualifier):
            return self.config(FunctionRef(name, qualifier))
        alias = self.alias(name, qualifier, missing="Function not found")
        base = self.config(FunctionRef(name, alias.function_version))
        if alias.function_version == LATEST and record.runnable_latest is not None:
            base = record.runnable_latest
        return base

    async def publish_transient(
        self,
        name: str,
        qualifier: str | None,
        tag: str,
        memory_size: int,
        base: FunctionConfig | None = None,
    ) -> FunctionConfig:
        """A version of ``name`` made from the configuration ``qualifier`` names ($LATEST
        as it runs now, a version, or an alias's primary version) with only its
        MemorySize changed, for the server's own use (``altus tune``).

        It is never stored, listed or counted: no version number is used up,
        GetFunction, ListVersionsByFunction and aliases never see it, and no API request
        can name it (its qualifier, ``$TRANSIENT.<tag>.<memory>``, breaks the API's
        qualifier pattern); only ``resolve_invoke`` finds it. It lasts until
        ``drop_transient``, the function's deletion, or the end of the process: a crash
        leaves nothing behind. Raises ResourceNotFound (no such function or qualifier),
        ResourceConflict ($LATEST not Active yet) and InvalidParameterValue (a
        MemorySize Lambda refuses). With ``base`` (``transient_base``'s, taken earlier)
        that configuration is copied instead of the one ``qualifier`` names now."""
        validation_error = _memory_problem(memory_size)
        if validation_error:
            raise InvalidParameterValue(validation_error)
        self.record(name)
        async with self.writing(name):
            if base is None:
                base = await self._transient_base(name, qualifier)
            elif base.name != name:
                raise InvalidParameterValue(f"The base configuration is not {name}'s")
            version = f"{TRANSIENT_PREFIX}{tag}.{memory_size}"
            transient = _published(base, version=version, memory_size=memory_size)
            self._transient.setdefault(name, {})[version] = transient
        return transient

    def drop_transient(self, name: str, version: str) -> None:
        """Forget a transient version (nothing if it is gone already); listeners are told,
        so its warm environments are retired."""
        versions = self._transient.get(name)
        if versions is None or versions.pop(version, None) is None:
            return
        if not versions:
            del self._transient[name]
        self.changed(name)

    def transient_versions(self, name: str) -> list[str]:
        """The qualifiers of ``name``'s transient versions that exist now."""
        return sorted(self._transient.get(name, {}))

    # --- internals -------------------------------------------------------------------------

    def _check_revision(self, current: FunctionConfig, expected: str | None) -> None:
        if expected and expected != current.revision_id:
            raise PreconditionFailed(REVISION_MISMATCH)

    async def _store_code(self, code: Mapping[str, Any]) -> CodeRef:
        if code.get("ImageUri"):
            raise InvalidParameterValue(
                "Container image packages are not supported by this Altus installation; "
                "upload a .zip package as ZipFile."
            )
        data = await self.sources.zip_of(code, "function code")
        # Hashing and checking a zip of up to 50 MB is CPU work: keep it off the loop.
        return await asyncio.to_thread(self.code.put, data)

    def _updating(self, current: FunctionConfig, changes: dict[str, Any]) -> FunctionConfig:
        return current.replace(
            **changes,
            revision_id=new_revision(),
            last_modified=now_iso(),
            last_update_status=IN_PROGRESS,
            last_update_status_reason="The function is being created.",
            last_update_status_reason_code="Creating",
        )

    async def _put_latest(self, updated: FunctionConfig, expect_revision: str) -> None:
        record = self.record(updated.name)

        def stored() -> None:
            record.latest = updated
            self._activations.start(updated)

        try:
            await self.commit([PutLatest(updated, expect_revision=expect_revision)], stored)
        except StoreConflict:
            raise PreconditionFailed(REVISION_MISMATCH) from None

    async def _activated(self, pending: FunctionConfig, failure: str | None) -> None:
        """An activation's end: $LATEST becomes Active / Successful (and runnable), or
        Failed with the reason, if it is still the configuration that was readied."""
        record = self._records.get(pending.name)
        if record is None or record.latest.revision_id != pending.revision_id:
            return  # deleted or changed again meanwhile: that change activates itself
        if failure is None:
            done = pending.replace(
                state=ACTIVE,
                state_reason=None,
                state_reason_code=None,
                last_update_status=SUCCESSFUL,
                last_update_status_reason=None,
                last_update_status_reason_code=None,
            )
        elif pending.state == PENDING:
            done = pending.replace(
                state=FAILED,
                state_reason=failure,
                state_reason_code="InternalError",
                last_update_status=FAILED,
            )
        else:
            done = pending.replace(
                last_update_status=FAILED,
                last_update_status_reason=failure,
                last_update_status_reason_code="InternalError",
            )

        def stored() -> None:
            record.latest = done
            if failure is None:
                record.runnable_latest = done

        try:
            await self.commit([PutLatest(done, expect_revision=pending.revision_id)], stored)
        except (StoreConflict, StoreFailure):
            return  # changed or deleted meanwhile; or the store is down: retried at start
        self.changed(pending.name)


def _memory_problem(memory_size: int) -> str | None:
    """Lambda's rule for MemorySize: a whole number of MB from 128 to 10,240 (the limits
    Altus's Lambda model overrides keep); None when it holds."""
    if isinstance(memory_size, bool) or not isinstance(memory_size, int):
        return f"MemorySize must be a whole number of MB: {memory_size!r}"
    if not 128 <= memory_size <= 10240:
        return f"MemorySize must be between 128 and 10240 MB: {memory_size}"
    return None


def _published(config: FunctionConfig, **changes: Any) -> FunctionConfig:
    """A version made from ``config``: its own revision and time, Active and settled."""
    return config.replace(
        **changes,
        revision_id=new_revision(),
        last_modified=now_iso(),
        state=ACTIVE,
        state_reason=None,
        state_reason_code=None,
        last_update_status=SUCCESSFUL,
        last_update_status_reason=None,
        last_update_status_reason_code=None,
    )
