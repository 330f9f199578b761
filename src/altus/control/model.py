"""The function model: immutable version snapshots, aliases, and the function aggregate.

A ``FunctionConfig`` is one version's complete configuration ($LATEST or a published
number). It is frozen: a change makes a new snapshot, so the engine can hold one while an
update lands, and a published version can never change.
"""

from __future__ import annotations

import dataclasses
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from altus.arns import Account
from altus.control.arns import LATEST
from altus.store.code import CodeRef

# Lifecycle values, as AWS spells them.
PENDING, ACTIVE, FAILED = "Pending", "Active", "Failed"
IN_PROGRESS, SUCCESSFUL = "InProgress", "Successful"


def now_iso() -> str:
    """LastModified in AWS's format: ``2019-11-14T18:16:05.568+0000``."""
    now = datetime.now(UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}+0000"


def new_revision() -> str:
    return str(uuid.uuid4())


@dataclass(frozen=True, slots=True)
class LayerRef:
    """A layer version a function configuration uses: its ARN and its package. The
    package stays the configuration's even after the layer version is deleted."""

    arn: str
    code: CodeRef

    def to_api(self) -> dict[str, Any]:
        return {"Arn": self.arn, "CodeSize": self.code.size}


@dataclass(frozen=True, slots=True)
class FunctionConfig:
    """One version's configuration: what GetFunctionConfiguration describes."""

    name: str
    version: str
    role: str
    code: CodeRef
    runtime: str | None = None
    handler: str | None = None
    description: str = ""
    timeout: int = 3
    memory_size: int = 128
    environment: Mapping[str, str] = field(default_factory=dict)
    architectures: tuple[str, ...] = ("x86_64",)
    ephemeral_storage: int = 512
    package_type: str = "Zip"
    tracing_mode: str = "PassThrough"
    dead_letter_target: str | None = None
    log_format: str = "Text"
    application_log_level: str | None = None
    system_log_level: str | None = None
    log_group: str | None = None
    kms_key_arn: str | None = None
    vpc_config: Mapping[str, Any] | None = None
    file_system_configs: tuple[Mapping[str, Any], ...] = ()
    image_config: Mapping[str, Any] | None = None
    snap_start: str = "None"
    #: Applied in order into /opt, later layers over earlier ones.
    layers: tuple[LayerRef, ...] = ()
    revision_id: str = field(default_factory=new_revision)
    last_modified: str = field(default_factory=now_iso)
    state: str = PENDING
    state_reason: str | None = "The function is being created."
    state_reason_code: str | None = "Creating"
    last_update_status: str | None = None
    last_update_status_reason: str | None = None
    last_update_status_reason_code: str | None = None

    def replace(self, **changes: Any) -> FunctionConfig:
        return dataclasses.replace(self, **changes)

    @property
    def env_key(self) -> str:
        """Identifies what an execution environment was built from: two invokes may share
        an environment only when this matches (a changed $LATEST gets new ones)."""
        return f"{self.name}:{self.version}:{self.revision_id}"

    def fingerprint(self) -> str:
        """What PublishVersion compares to decide whether anything changed."""
        data = self.to_record()
        for key in (
            "version",
            "revision_id",
            "last_modified",
            "description",
            "state",
            "state_reason",
            "state_reason_code",
            "last_update_status",
            "last_update_status_reason",
            "last_update_status_reason_code",
        ):
            data.pop(key, None)
        return json.dumps(data, sort_keys=True)

    # --- persistence -------------------------------------------------------------------

    def to_record(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["environment"] = dict(self.environment)
        return data

    @classmethod
    def from_record(cls, data: Mapping[str, Any]) -> FunctionConfig:
        values = dict(data)
        values["code"] = CodeRef(**values["code"])
        values["architectures"] = tuple(values.get("architectures") or ("x86_64",))
        values["file_system_configs"] = tuple(values.get("file_system_configs") or ())
        values["layers"] = tuple(
            LayerRef(arn=layer["arn"], code=CodeRef(**layer["code"]))
            for layer in values.get("layers") or ()
        )
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in values.items() if k in known})

    # --- the API shape -------------------------------------------------------------------

    def to_api(
        self, account: Account, *, with_state: bool = True, arn_qualifier: str | None = None
    ) -> dict[str, Any]:
        """The FunctionConfiguration JSON. ListFunctions leaves the state fields out.

        FunctionArn carries the qualifier the caller named (``arn_qualifier``), and a
        published version's number when none was named."""
        qualifier = arn_qualifier or (None if self.version == LATEST else self.version)
        out: dict[str, Any] = {
            "FunctionName": self.name,
            "FunctionArn": account.function_arn(self.name, qualifier),
            "Runtime": self.runtime,
            "Role": self.role,
            "Handler": self.handler,
            "CodeSize": self.code.size,
            "Description": self.description,
            "Timeout": self.timeout,
            "MemorySize": self.memory_size,
            "LastModified": self.last_modified,
            "CodeSha256": self.code.sha256,
            "Version": self.version,
            "TracingConfig": {"Mode": self.tracing_mode},
            "RevisionId": self.revision_id,
            "PackageType": self.package_type,
            "Architectures": list(self.architectures),
            "EphemeralStorage": {"Size": self.ephemeral_storage},
            "SnapStart": {"ApplyOn": self.snap_start, "OptimizationStatus": "Off"},
            "LoggingConfig": self._logging_api(),
        }
        if self.runtime is None:
            del out["Runtime"]
        if self.handler is None:
            del out["Handler"]
        if self.environment:
            out["Environment"] = {"Variables": dict(self.environment)}
        if self.layers:
            out["Layers"] = [layer.to_api() for layer in self.layers]
        if self.dead_letter_target:
            out["DeadLetterConfig"] = {"TargetArn": self.dead_letter_target}
        if self.kms_key_arn:
            out["KMSKeyArn"] = self.kms_key_arn
        if self.vpc_config:
            out["VpcConfig"] = dict(self.vpc_config)
        if self.file_system_configs:
            out["FileSystemConfigs"] = [dict(c) for c in self.file_system_configs]
        if self.image_config:
            out["ImageConfigResponse"] = {"ImageConfig": dict(self.image_config)}
        if with_state:
            out["State"] = self.state
            if self.state_reason:
                out["StateReason"] = self.state_reason
            if self.state_reason_code:
                out["StateReasonCode"] = self.state_reason_code
            if self.last_update_status:
                out["LastUpdateStatus"] = self.last_update_status
            if self.last_update_status_reason:
                out["LastUpdateStatusReason"] = self.last_update_status_reason
            if self.last_update_status_reason_code:
                out["LastUpdateStatusReasonCode"] = self.last_update_status_reason_code
        return out

    def _logging_api(self) -> dict[str, Any]:
        logging: dict[str, Any] = {
            "LogFormat": self.log_format,
            "LogGroup": self.log_group or f"/aws/lambda/{self.name}",
        }
        if self.log_format == "JSON":  # levels apply to JSON logs, INFO unless set
            logging["ApplicationLogLevel"] = self.application_log_level or "INFO"
            logging["SystemLogLevel"] = self.system_log_level or "INFO"
        return logging

    @property
    def effective_log_group(self) -> str:
        return self.log_group or f"/aws/lambda/{self.name}"


@dataclass(frozen=True, slots=True)
class Alias:
    """A named pointer to a version, optionally splitting traffic with a second one."""

    function: str
    name: str
    function_version: str
    description: str = ""
    additional_weights: Mapping[str, float] = field(default_factory=dict)
    revision_id: str = field(default_factory=new_revision)

    def replace(self, **changes: Any) -> Alias:
        return dataclasses.replace(self, **changes)

    def to_record(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["additional_weights"] = dict(self.additional_weights)
        return data

    @classmethod
    def from_record(cls, data: Mapping[str, Any]) -> Alias:
        return cls(**data)

    def to_api(self, account: Account) -> dict[str, Any]:
        out: dict[str, Any] = {
            "AliasArn": account.function_arn(self.function, self.name),
            "Name": self.name,
            "FunctionVersion": self.function_version,
            "Description": self.description,
            "RevisionId": self.revision_id,
        }
        if self.additional_weights:
            out["RoutingConfig"] = {"AdditionalVersionWeights": dict(self.additional_weights)}
        return out


@dataclass(frozen=True, slots=True)
class LayerVersion:
    """One published version of a layer: a package applied into /opt. Immutable but for
    its permissions."""

    name: str
    version: int
    code: CodeRef
    description: str = ""
    created_date: str = field(default_factory=now_iso)
    compatible_runtimes: tuple[str, ...] = ()
    compatible_architectures: tuple[str, ...] = ()
    license_info: str | None = None
    #: The layer version's resource policy: its statements and their revision.
    statements: tuple[Mapping[str, Any], ...] = ()
    policy_revision: str = field(default_factory=new_revision)

    def replace(self, **changes: Any) -> LayerVersion:
        return dataclasses.replace(self, **changes)

    def to_record(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["statements"] = [dict(s) for s in self.statements]
        return data

    @classmethod
    def from_record(cls, data: Mapping[str, Any]) -> LayerVersion:
        values = dict(data)
        values["code"] = CodeRef(**values["code"])
        for key in ("compatible_runtimes", "compatible_architectures", "statements"):
            values[key] = tuple(values.get(key) or ())
        return cls(**values)


@dataclass(frozen=True, slots=True)
class UrlConfig:
    """A function URL: an HTTPS endpoint on Lambda, an HTTP one here, that invokes the
    function (unqualified: $LATEST) or one of its aliases."""

    function: str
    qualifier: str | None  # None, or an alias name
    url_id: str  # 32 lower-case letters and digits, as Lambda's
    auth_type: str  # NONE | AWS_IAM
    invoke_mode: str = "BUFFERED"  # BUFFERED | RESPONSE_STREAM
    #: AWS's Cors shape (AllowOrigins, AllowMethods ...); None when not configured.
    cors: Mapping[str, Any] | None = None
    creation_time: str = field(default_factory=now_iso)
    last_modified_time: str = field(default_factory=now_iso)

    def replace(self, **changes: Any) -> UrlConfig:
        return dataclasses.replace(self, **changes)

    def to_record(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["cors"] = dict(self.cors) if self.cors is not None else None
        return data

    @classmethod
    def from_record(cls, data: Mapping[str, Any]) -> UrlConfig:
        return cls(**data)


@dataclass(slots=True)
class FunctionRecord:
    """Everything stored about one function. Owned and mutated only by the control
    service; readers (the engine) take the frozen snapshots it holds."""

    latest: FunctionConfig
    versions: dict[str, FunctionConfig] = field(default_factory=dict)
    aliases: dict[str, Alias] = field(default_factory=dict)
    #: The last version number handed out; numbers are never reused, even after a delete.
    last_version: int = 0
    tags: dict[str, str] = field(default_factory=dict)
    #: What is attached to the function or one of its qualifiers, as stored: kind
    #: (``concurrency``, ``policy``, ``url``, ``event-invoke``, ``provisioned``) ->
    #: qualifier (``""`` for the unqualified function) -> the JSON document.
    attached: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    #: What invokes of $LATEST run: the previous snapshot while an update is InProgress,
    #: None while the function is still Pending.
    runnable_latest: FunctionConfig | None = None

    def attachment(self, kind: str, qualifier: str = "") -> dict[str, Any] | None:
        return self.attached.get(kind, {}).get(qualifier)

    def attach(self, kind: str, qualifier: str, value: dict[str, Any] | None) -> None:
        documents = self.attached.setdefault(kind, {})
        if value is None:
            documents.pop(qualifier, None)
        else:
            documents[qualifier] = value

    def detach_qualifier(self, qualifier: str) -> None:
        """Forget what was attached to a version or alias that is gone."""
        for documents in self.attached.values():
            documents.pop(qualifier, None)

    @property
    def name(self) -> str:
        return self.latest.name
