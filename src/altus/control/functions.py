"""The function control plane: create, read, update, delete, publish, alias.

Every command has the same shape: validate (raising AWS-shaped errors, changing
nothing), compute a plan of store changes from the current record, ``store.apply`` it
(durable before we answer), then update the in-memory records the invoke path reads, and
tell listeners (the engine's warm pool) which function changed. The section from reading
a record to updating it runs without an ``await``, so commands on one event loop never
interleave.

New code is unpacked in the background: a function is ``Pending`` (an update
``InProgress``) until its code is ready, and invokes meanwhile run the previous snapshot,
or wait for the first one, as on Lambda.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from altus.control import validation
from altus.control.arns import LATEST, Account, FunctionRef, check_alias_name, is_version
from altus.control.errors import (
    InvalidParameterValue,
    PreconditionFailed,
    ResourceConflict,
    ResourceNotFound,
)
from altus.control.layers import LayerService, check_unzipped_size
from altus.control.model import (
    ACTIVE,
    FAILED,
    IN_PROGRESS,
    PENDING,
    SUCCESSFUL,
    Alias,
    CodeRef,
    FunctionConfig,
    FunctionRecord,
    new_revision,
    now_iso,
)
from altus.control.routing import check_routing, choose_version
from altus.runtimes.registry import check_runtime
from altus.store.base import (
    Change,
    CreateFunction,
    DeleteAlias,
    DeleteFunction,
    DeleteVersion,
    PutAlias,
    PutAttached,
    PutLatest,
    PutVersion,
    Store,
    StoreConflict,
)
from altus.store.code import CodeStore

log = logging.getLogger(__name__)

REVISION_MISMATCH = (
    "The Revision Id provided does not match the latest Revision Id. "
    "Call the GetFunction/GetAlias API to retrieve the latest Revision Id"
)
#: How long an invoke or update waits for a Pending function's code to be ready.
SETTLE_TIMEOUT = 120.0

ChangeListener = Callable[[str], None]


class FunctionService:
    """Owns the function records; the only writer of the store's function state."""

    def __init__(
        self,
        store: Store,
        code: CodeStore,
        account: Account,
        prepare: Callable[[FunctionConfig, Path], None] | None = None,
        layers: LayerService | None = None,
    ) -> None:
        self.store = store
        self.code = code
        self.account = account
        self.layers = layers or LayerService(store, code, account)
        #: Readies unpacked code for the function's runtime (blocking; run in a thread
        #: while the function is Pending / InProgress).
        self._prepare = prepare
        self._records: dict[str, FunctionRecord] = {}
        self._activations: dict[str, asyncio.Task[None]] = {}
        self._listeners: list[ChangeListener] = []
        # Commands that read $LATEST, change it and then publish it run one at a time per
        # function, so a version is always the snapshot of its own update.
        self._locks: dict[str, asyncio.Lock] = {}

    # --- lifecycle -----------------------------------------------------------------------

    async def start(self) -> None:
        """Load every layer and function; finish any activation a crash interrupted."""
        self.layers.start()
        for record in self.store.load():
            self._records[record.name] = record
            latest = record.latest
            if latest.state == PENDING or latest.last_update_status == IN_PROGRESS:
                self._activate(record.name)
            else:
                record.runnable_latest = latest

    async def close(self) -> None:
        for task in list(self._activations.values()):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    def on_change(self, listener: ChangeListener) -> None:
        self._listeners.append(listener)

    def changed(self, name: str) -> None:
        """Tell listeners that ``name``'s configuration or attachments changed."""
        self._changed(name)

    def _changed(self, name: str) -> None:
        for listener in self._listeners:
            listener(name)

    # --- reads ---------------------------------------------------------------------------

    def record(self, name: str) -> FunctionRecord:
        record = self._records.get(name)
        if record is None:
            raise ResourceNotFound(f"Function not found: {self.account.function_arn(name)}")
        return record

    def qualifier_exists(self, name: str, qualifier: str) -> bool:
        record = self.record(name)
        return qualifier == LATEST or qualifier in record.versions or qualifier in record.aliases

    def attach(self, name: str, kind: str, qualifier: str, value: dict[str, Any] | None) -> None:
        """Store (None: remove) a document attached to ``name`` or one of its qualifiers,
        then tell listeners."""
        record = self.record(name)
        self.store.apply([PutAttached(name, kind, qualifier, value)])
        record.attach(kind, qualifier, value)
        self._changed(name)

    def records(self) -> list[FunctionRecord]:
        return [self._records[name] for name in sorted(self._records)]

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
        if qualifier is None or qualifier == LATEST:
            if record.runnable_latest is None:
                await self._settled(ref.name)
                record = self.record(ref.name)
            runnable = record.runnable_latest
            if runnable is None:
                latest = record.latest
                raise ResourceConflict(
                    "The operation cannot be performed at this time. The function is "
                    f"currently in the following state: {latest.state}"
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
        fields = self._config_fields(body, creating=True)
        code = await self._store_code(body.get("Code") or {})
        fields["layers"] = self.layers.resolve(body.get("Layers") or [], code)
        tags = dict(body.get("Tags") or {})
        validation.check_tags(tags)
        latest = FunctionConfig(name=name, version=LATEST, role=body["Role"], code=code, **fields)
        if name in self._records:  # created while the code was being stored
            raise ResourceConflict(f"Function already exist: {name}")
        try:
            self.store.apply([CreateFunction(latest=latest, tags=tags)])
        except StoreConflict:
            raise ResourceConflict(f"Function already exist: {name}") from None
        self._records[name] = FunctionRecord(latest=latest, tags=tags)
        self._activate(name)
        if body.get("Publish"):
            async with self._lock(name):
                return await self._publish_update(name, fields.get("description", ""))
        return latest

    async def update_code(self, name: str, body: Mapping[str, Any]) -> FunctionConfig:
        async with self._lock(name):
            return await self._update_code(name, body)

    async def _update_code(self, name: str, body: Mapping[str, Any]) -> FunctionConfig:
        await self._settled(name)
        self._check_revision(self.record(name).latest, body.get("RevisionId"))
        code = await self._store_code(body)
        record = self.record(name)
        current = record.latest
        self._check_revision(current, body.get("RevisionId"))
        # The new code with the layers it keeps must still fit Lambda's unzipped limit.
        check_unzipped_size(code, current.layers)
        changes: dict[str, Any] = {"code": code}
        if body.get("Architectures"):
            changes["architectures"] = tuple(body["Architectures"])
        updated = self._updating(current, changes)
        if body.get("DryRun"):
            return updated
        self._apply_latest(record, updated, current.revision_id)
        if body.get("Publish"):
            return await self._publish_update(name, "")
        return updated

    async def update_configuration(self, name: str, body: Mapping[str, Any]) -> FunctionConfig:
        async with self._lock(name):
            return await self._update_configuration(name, body)

    async def _update_configuration(self, name: str, body: Mapping[str, Any]) -> FunctionConfig:
        await self._settled(name)
        record = self.record(name)
        current = record.latest
        self._check_revision(current, body.get("RevisionId"))
        fields = self._config_fields(body, creating=False, base=current)
        if "Layers" in body:
            fields["layers"] = self.layers.resolve(body["Layers"] or [], current.code)
        if "Role" in body:
            fields["role"] = body["Role"]
        updated = self._updating(current, fields)
        self._apply_latest(record, updated, current.revision_id)
        return updated

    async def delete_function(self, ref: FunctionRef) -> None:
        record = self.record(ref.name)
        qualifier = ref.qualifier
        if qualifier is None:
            self.store.apply([DeleteFunction(ref.name)])
            del self._records[ref.name]
            self._locks.pop(ref.name, None)
            task = self._activations.pop(ref.name, None)
            if task is not None:
                task.cancel()
            self._changed(ref.name)
            return
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
                f"Function not found: {self.account.function_arn(ref.name, qualifier)}"
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
        self.store.apply([DeleteVersion(ref.name, qualifier)])
        del record.versions[qualifier]
        record.detach_qualifier(qualifier)
        self._changed(ref.name)

    async def publish_version(self, name: str, body: Mapping[str, Any]) -> FunctionConfig:
        async with self._lock(name):
            return await self._publish_version(name, body)

    async def _publish_version(self, name: str, body: Mapping[str, Any]) -> FunctionConfig:
        await self._settled(name)
        record = self.record(name)
        latest = record.latest
        self._check_revision(latest, body.get("RevisionId"))
        wanted_sha = body.get("CodeSha256")
        if wanted_sha and wanted_sha != latest.code.sha256:
            raise InvalidParameterValue(
                f"CodeSHA256 ({wanted_sha}) is different from current CodeSHA256 in $LATEST "
                f"({latest.code.sha256}). Please try again with the CodeSHA256 in $LATEST."
            )
        # Without a Description, the version keeps $LATEST's.
        return self._publish(name, description=body.get("Description", latest.description))

    async def _publish_update(self, name: str, description: str) -> FunctionConfig:
        """``Publish: true`` on a create or update: the version, once the code is ready. A
        $LATEST whose preparation failed is returned as it is (State or LastUpdateStatus
        ``Failed``), not published."""
        await self._settled(name)
        latest = self.record(name).latest
        if latest.state == FAILED or latest.last_update_status == FAILED:
            return latest
        return self._publish(name, description=description)

    def _lock(self, name: str) -> asyncio.Lock:
        return self._locks.setdefault(name, asyncio.Lock())

    def _publish(self, name: str, description: str) -> FunctionConfig:
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
        version = latest.replace(
            version=str(number),
            description=description,
            revision_id=new_revision(),
            last_modified=now_iso(),
            state=ACTIVE,
            state_reason=None,
            state_reason_code=None,
            last_update_status=SUCCESSFUL,
            last_update_status_reason=None,
            last_update_status_reason_code=None,
        )
        self.store.apply([PutVersion(version, number)])
        record.versions[version.version] = version
        record.last_version = number
        return version

    # --- commands: aliases ---------------------------------------------------------------

    def create_alias(self, function: str, body: Mapping[str, Any]) -> Alias:
        record = self.record(function)
        name = body["Name"]
        check_alias_name(name)
        if name in record.aliases:
            raise ResourceConflict(
                f"Alias already exists: {self.account.function_arn(function, name)}"
            )
        version = body["FunctionVersion"]
        self._check_version_exists(record, version)
        weights = _weights(body)
        check_routing(version, weights, set(record.versions))
        alias = Alias(
            function=function,
            name=name,
            function_version=version,
            description=body.get("Description", ""),
            additional_weights=weights,
        )
        self.store.apply([PutAlias(alias)])
        record.aliases[name] = alias
        return alias

    def update_alias(self, function: str, name: str, body: Mapping[str, Any]) -> Alias:
        record = self.record(function)
        current = self.alias(function, name, missing="Alias not found")
        expected = body.get("RevisionId")
        if expected and expected != current.revision_id:
            raise PreconditionFailed(REVISION_MISMATCH)
        version = body.get("FunctionVersion") or current.function_version
        self._check_version_exists(record, version)
        weights = _weights(body) if "RoutingConfig" in body else dict(current.additional_weights)
        check_routing(version, weights, set(record.versions))
        alias = current.replace(
            function_version=version,
            description=body.get("Description", current.description),
            additional_weights=weights,
            revision_id=new_revision(),
        )
        self.store.apply([PutAlias(alias)])
        record.aliases[name] = alias
        self._changed(function)  # what the alias's provisioned environments run may move
        return alias

    def delete_alias(self, function: str, name: str) -> None:
        """DeleteAlias; deleting an alias that does not exist succeeds, as on Lambda."""
        record = self.record(function)
        if name not in record.aliases:
            return
        self.store.apply([DeleteAlias(function, name)])
        del record.aliases[name]
        record.detach_qualifier(name)
        self._changed(function)

    # --- internals -------------------------------------------------------------------------

    def _check_version_exists(self, record: FunctionRecord, version: str) -> None:
        if version != LATEST and version not in record.versions:
            raise ResourceNotFound(
                f"Function not found: {self.account.function_arn(record.name, version)}"
            )

    def _check_revision(self, current: FunctionConfig, expected: str | None) -> None:
        if expected and expected != current.revision_id:
            raise PreconditionFailed(REVISION_MISMATCH)

    async def _store_code(self, code: Mapping[str, Any]) -> CodeRef:
        if code.get("ImageUri"):
            raise InvalidParameterValue(
                "Container image packages are not supported by this Altus installation; "
                "upload a .zip package as ZipFile."
            )
        data = validation.zip_source(code, "function code")
        # Hashing and checking a zip of up to 50 MB is CPU work: keep it off the loop.
        return await asyncio.to_thread(self.code.put, data)

    def _config_fields(
        self, body: Mapping[str, Any], *, creating: bool, base: FunctionConfig | None = None
    ) -> dict[str, Any]:
        """Map request members to FunctionConfig fields, checking Lambda's own rules."""
        package_type = body.get("PackageType", "Zip")
        if package_type == "Image":
            raise InvalidParameterValue(
                "Container image packages are not supported by this Altus installation; "
                "use PackageType Zip."
            )
        fields: dict[str, Any] = {}
        runtime = body.get("Runtime")
        if runtime is not None:
            check_runtime(runtime)
            fields["runtime"] = runtime
        elif creating:
            raise InvalidParameterValue(
                "Runtime and Handler are mandatory parameters for "
                "functions created with deployment packages."
            )
        if "Handler" in body:
            fields["handler"] = body["Handler"]
        elif creating:
            raise InvalidParameterValue(
                "Runtime and Handler are mandatory parameters for "
                "functions created with deployment packages."
            )
        simple = {
            "Description": "description",
            "Timeout": "timeout",
            "MemorySize": "memory_size",
            "KMSKeyArn": "kms_key_arn",
        }
        for member, field in simple.items():
            if member in body:
                fields[field] = body[member]
        if "Environment" in body:
            variables = dict((body["Environment"] or {}).get("Variables") or {})
            validation.check_environment(variables)
            fields["environment"] = variables
        if "TracingConfig" in body:
            fields["tracing_mode"] = body["TracingConfig"].get("Mode", "PassThrough")
        if "DeadLetterConfig" in body:
            target = (body["DeadLetterConfig"] or {}).get("TargetArn") or None
            if target is not None:
                validation.check_dead_letter_target(target)
            fields["dead_letter_target"] = target
        if "EphemeralStorage" in body:
            fields["ephemeral_storage"] = body["EphemeralStorage"]["Size"]
        if body.get("Architectures"):
            fields["architectures"] = tuple(body["Architectures"])
        if "VpcConfig" in body:
            vpc = dict(body["VpcConfig"] or {})
            fields["vpc_config"] = (
                vpc if (vpc.get("SubnetIds") or vpc.get("SecurityGroupIds")) else None
            )
        if "SnapStart" in body:
            fields["snap_start"] = body["SnapStart"].get("ApplyOn", "None")
        if "ImageConfig" in body:
            fields["image_config"] = dict(body["ImageConfig"] or {}) or None
        if "LoggingConfig" in body:
            logging_config = body["LoggingConfig"]
            log_format = logging_config.get("LogFormat", base.log_format if base else "Text")
            fields["log_format"] = log_format
            for member, field in (
                ("ApplicationLogLevel", "application_log_level"),
                ("SystemLogLevel", "system_log_level"),
                ("LogGroup", "log_group"),
            ):
                if member in logging_config:
                    fields[field] = logging_config[member]
            if log_format != "JSON":
                if "ApplicationLogLevel" in logging_config or "SystemLogLevel" in logging_config:
                    raise InvalidParameterValue(
                        'LogLevel is not supported when LogFormat is set to "Text". Remove '
                        'LogLevel from your request or change the LogFormat to "JSON" and '
                        "try again."
                    )
                # Levels filter JSON logs only; back to Text, a function has none.
                fields["application_log_level"] = fields["system_log_level"] = None
        if body.get("FileSystemConfigs"):
            raise InvalidParameterValue(
                "FileSystemConfigs (Amazon EFS) are not supported by this Altus installation."
            )
        if body.get("CodeSigningConfigArn"):
            raise ResourceNotFound(f"Code signing config not found: {body['CodeSigningConfigArn']}")
        return fields

    def _updating(self, current: FunctionConfig, changes: dict[str, Any]) -> FunctionConfig:
        return current.replace(
            **changes,
            revision_id=new_revision(),
            last_modified=now_iso(),
            last_update_status=IN_PROGRESS,
            last_update_status_reason="The function is being created.",
            last_update_status_reason_code="Creating",
        )

    def _apply_latest(
        self, record: FunctionRecord, updated: FunctionConfig, expect_revision: str
    ) -> None:
        try:
            self.store.apply([PutLatest(updated, expect_revision=expect_revision)])
        except StoreConflict:
            raise PreconditionFailed(REVISION_MISMATCH) from None
        record.latest = updated
        self._activate(updated.name)

    def _activate(self, name: str) -> None:
        """Prepare $LATEST's code in the background, then mark it Active / Successful."""
        previous = self._activations.get(name)
        if previous is not None and not previous.done():
            previous.cancel()
        task = asyncio.get_running_loop().create_task(self._run_activation(name))
        self._activations[name] = task

    async def _run_activation(self, name: str) -> None:
        record = self._records.get(name)
        if record is None:
            return
        pending = record.latest
        try:
            tree = await asyncio.to_thread(self.code.unpacked, pending.code.digest)
            if self._prepare is not None:
                await asyncio.to_thread(self._prepare, pending, tree)
            if pending.layers:
                # Its /opt is merged (and its Python compiled) now, not at a cold start.
                opt = await asyncio.to_thread(
                    self.code.layers_tree, [layer.code.digest for layer in pending.layers]
                )
                if self._prepare is not None:
                    await asyncio.to_thread(self._prepare, pending, opt)
            failure = None
        except Exception as error:  # unpacking a package we accepted: disk, permissions
            # The details (host paths among them) go to the operator's log, not the API.
            log.exception("preparing the code of %s failed: %s", name, error)
            failure = "Altus could not prepare the function's code package."

        record = self._records.get(name)
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
        changes: list[Change] = [PutLatest(done, expect_revision=pending.revision_id)]
        try:
            self.store.apply(changes)
        except StoreConflict:
            return
        record.latest = done
        if failure is None:
            record.runnable_latest = done
        self._changed(name)

    async def _settled(self, name: str) -> None:
        """Wait for a running activation of ``name`` to finish (bounded)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + SETTLE_TIMEOUT
        # An activation may be replaced by a newer one while we wait: follow it.
        while (task := self._activations.get(name)) is not None and not task.done():
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            await asyncio.wait({task}, timeout=remaining)
        self.record(name)


def _weights(body: Mapping[str, Any]) -> dict[str, float]:
    routing = body.get("RoutingConfig") or {}
    # + 0.0 turns a -0.0 weight into 0.0, so it is stored and rendered as AWS does.
    return {
        str(k): float(v) + 0.0 for k, v in (routing.get("AdditionalVersionWeights") or {}).items()
    }


def code_location(base_url: str, code: CodeRef) -> str:
    """Where GetFunction says the package can be downloaded (Altus serves it itself)."""
    return f"{base_url}/_altus/code/{code.digest}.zip"
