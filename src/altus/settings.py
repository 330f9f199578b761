"""One typed settings object, loaded once.

Precedence (highest first): command-line flags (passed as keyword arguments to
``load_settings``) > environment variables ``ALTUS_*`` > a TOML file (``--config``, or
``ALTUS_CONFIG``, or ``<data_dir>/altus.toml`` when it exists) > the defaults below.
Nothing else in Altus reads ``os.environ`` for its own configuration.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import Field
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from altus.prices import PriceTable


class Settings(BaseSettings):
    """Every knob of an Altus server. Field docs are the operator documentation."""

    model_config = SettingsConfigDict(env_prefix="ALTUS_", extra="forbid", frozen=True)

    host: str = Field("127.0.0.1", description="Address the HTTP API listens on.")
    port: int = Field(9000, ge=0, le=65535, description="Port of the HTTP API (0: any free port).")
    data_dir: Path = Field(
        Path(".altus"), description="Where SQLite, code packages and sandboxes live."
    )
    store: str | None = Field(
        None,
        description="Where state lives: sqlite:<path> (the default: <data_dir>/altus.db, "
        "with the logs in logs.db beside it), postgresql://user@host:port/database "
        "(pip install 'altus[postgresql]'; ?options=-csearch_path%3D<schema> keeps the "
        "tables in a schema of their own), or memory: (gone when the server stops).",
    )
    region: str = Field("us-east-1", description="Region written into ARNs.")
    account_id: str = Field(
        "000000000000", pattern=r"^\d{12}$", description="Account id written into ARNs."
    )
    sandbox: Literal["auto", "linux", "process"] = Field(
        "auto",
        description="Execution-environment backend: linux (namespaces, cgroups, zygotes; "
        "needs root), process (portable), or auto (linux where it works, else process "
        "with a warning).",
    )
    sandbox_zygotes: bool = Field(
        True,
        description="linux sandbox: fork Python environments from zygotes (off: "
        "every cold start spawns a fresh interpreter).",
    )
    sandbox_prestart: int = Field(
        2,
        ge=0,
        le=64,
        description="linux sandbox: environments per zygote started ahead of "
        "need, so that a cold start skips the forks and the cgroup join.",
    )
    sandbox_function_zygotes: int = Field(
        8,
        ge=0,
        le=1024,
        description="linux sandbox: most function zygotes alive at once "
        "(a zygote per function configuration, with the modules its INIT imports from "
        "installed packages preloaded; least recently used idle ones are evicted; 0: off).",
    )
    sandbox_function_zygote_idle_seconds: float = Field(
        1800.0,
        gt=0,
        description="linux sandbox: how long a function zygote with no environment left lives.",
    )
    sandbox_network: Literal["host", "isolated"] = Field(
        "host",
        description="linux sandbox network: host (functions reach the network, as "
        "on Lambda) or isolated (a namespace with loopback only; the Runtime API is relayed).",
    )
    sandbox_uid_base: int = Field(
        200_000, ge=1000, description="First of the uids the linux sandbox gives environments."
    )
    concurrency_limit: int = Field(
        1000, ge=1, description="Account concurrency: invokes running at once (429 past it)."
    )
    concurrency_min_unreserved: int = Field(
        100,
        ge=0,
        description="Account concurrency that functions' reservations must leave "
        "unreserved (Lambda: 100).",
    )
    keep_alive_seconds: float = Field(
        300.0, gt=0, description="How long an idle warm environment lives before it is retired."
    )
    max_environments: int = Field(
        1000,
        ge=1,
        description="Most execution environments alive at once; idle ones are evicted first.",
    )
    init_timeout_seconds: float = Field(
        10.0, gt=0, description="Longest a runtime may take to initialise (Lambda: 10 s)."
    )
    mapping_queue_ceiling: int = Field(
        1000,
        ge=1,
        le=1000,
        description="Most concurrent batches of one SQS event source mapping without "
        "ScalingConfig.MaximumConcurrency (Lambda: 1,000).",
    )
    cloudformation_answer_within_seconds: float = Field(
        10.0,
        ge=0,
        le=50,
        description="How long CreateStack, UpdateStack, DeleteStack and ExecuteChangeSet "
        "wait for the operation to end before answering (0: answer at once, as AWS does). "
        "The operation runs in the background either way; a stack that settles within it "
        "is settled when the caller's first DescribeStacks asks (the AWS CLI's and boto3's "
        "waiters sleep 30 s between polls).",
    )
    async_workers: int = Field(
        16, ge=1, description="Concurrent deliveries of Event (asynchronous) invokes."
    )
    async_time_scale: float = Field(
        1.0,
        gt=0,
        le=1.0,
        description="Scale of asynchronous invocation's clock: retry "
        "delays (Lambda: about 1 and 2 min), throttle backoff (1 s to 5 min) and each "
        "event's maximum age are multiplied by it. Below 1 only for tests and trials.",
    )
    stepfunctions_time_scale: float = Field(
        1.0,
        gt=0,
        le=1.0,
        description="Scale of Step Functions' clock: Wait states (their seconds, or the "
        "time until their timestamp), retry intervals, task timeouts and heartbeats, and "
        "executions' own timeouts are multiplied by it. Below 1 only for tests and trials.",
    )
    async_destination_attempts: int = Field(
        8,
        ge=1,
        le=100,
        description="Tries to hand a destination or dead-letter record to "
        "its target (with backoff) before it is parked for an operator (`altus queue`).",
    )
    webhook_secret: str | None = Field(
        None,
        description="Key that signs records sent to HTTP(S) destinations "
        "(X-Altus-Signature: sha256=<HMAC of the body>). Unset: a key generated once and "
        "kept in <data_dir>/webhook.key.",
    )
    log_retention_days: int = Field(
        30,
        ge=0,
        description="Log events older than this are pruned (0: keep forever), in log groups "
        "without a retention policy of their own (PutRetentionPolicy).",
    )
    metrics_flush_seconds: float = Field(
        5.0,
        gt=0,
        le=60,
        description="How often metrics and metering aggregated in memory are written (a "
        "crash loses at most this much of them).",
    )
    prices: PriceTable = Field(
        default_factory=PriceTable,
        description="What Lambda charges ([prices] in altus.toml): AWS's published us-east-1 "
        "prices unless overridden; altus cost and the console price usage with it.",
    )
    record_invocations: bool = Field(
        True,
        description="Keep each invocation's event, context, result and log for replay "
        "(altus replay, the console).",
    )
    record_retention_hours: float = Field(
        24.0, gt=0, description="Recorded invocations older than this are deleted."
    )
    record_max_mb: int = Field(
        256,
        ge=1,
        description="Recorded invocations are kept within this many MB (oldest deleted first).",
    )
    xray_daemon_port: int = Field(
        0,
        ge=0,
        le=65535,
        description="UDP port on 127.0.0.1 of the X-Ray daemon functions send segments to "
        "(AWS_XRAY_DAEMON_ADDRESS; 0: any free port, so servers side by side never clash).",
    )
    trace_retention_days: int = Field(
        30, ge=1, description="Trace segments older than this are deleted (X-Ray keeps 30 days)."
    )
    otlp_endpoint: str | None = Field(
        None,
        pattern=r"^https?://",
        description="OTLP/HTTP collector (e.g. http://127.0.0.1:4318) every kept trace "
        "segment is exported to as spans, at <endpoint>/v1/traces (None: no export).",
    )
    runtime_interpreters: dict[str, str] = Field(
        default_factory=dict,
        description="Override a runtime's interpreter, e.g. {python3.12: /usr/bin/python3.12}.",
    )
    node_binary: str = Field("node", description="The Node.js executable for nodejs runtimes.")
    node_sdk_source: Path | None = Field(
        None,
        description="Where the AWS SDK for JavaScript of Node.js functions comes from "
        "instead of the npm registry (machines without it): a prepared SDK (a directory "
        "holding Altus's nodejs/sdk/package-lock.json and the node_modules `npm ci` made "
        "of it) or an npm cache holding its packages (npm ci --offline --cache). Unset: "
        "the npm registry, the first time a Node.js runtime is used.",
    )
    secrets_extension_port: int = Field(
        2773,
        ge=0,
        le=65535,
        description="Where the Parameters and Secrets extension's interface listens (on "
        "loopback), which functions are told in PARAMETERS_SECRETS_EXTENSION_HTTP_PORT; "
        "taken already (another server on this machine): any free port.",
    )
    url_domain: str | None = Field(
        None,
        description="Function URLs: a wildcard DNS domain pointing at this server; "
        "when set, FunctionUrl is http://<url-id>.lambda-url.<region>.<url_domain>:<port>/ "
        "and requests are routed by Host. Unset: path-based URLs on the API's own address "
        "(<endpoint>/lambda-url/<url-id>/), which need no DNS. Also S3's virtual-hosted "
        "buckets: <bucket>.s3.<url_domain> and <bucket>.s3.<region>.<url_domain> stand for "
        "/<bucket>; and API Gateway's <api-id>.execute-api.<region>.<url_domain> (and "
        "<api-id>.execute-api.<url_domain>), which stand for /_aws/execute-api/<api-id>.",
    )
    auth: Literal["auto", "iam", "open"] = Field(
        "auto",
        description="Request authentication: iam (every API request must be SigV4-signed by "
        "one of this server's access keys), open (nothing is checked), or auto (open when "
        "listening on loopback only, iam otherwise).",
    )
    console: bool = Field(
        True,
        description="Serve the web console, on a listener of its own (console_port), never "
        "on the API's port: what functions, APIs and buckets serve there shares no origin "
        "with it.",
    )
    console_port: int | None = Field(
        None,
        ge=0,
        le=65535,
        description="Port of the web console, on the API's host (0: any free port; None: "
        "the API's port + 1, i.e. 9001, or any free port when the API's port is 0).",
    )
    console_public_url: str | None = Field(
        None,
        pattern=r"^https?://[^/?#]+/?$",
        description="The console's URL as browsers reach it, where that is not this "
        "machine's loopback (a proxy in front: https://console.example.com). An https URL "
        "marks the session cookie Secure; with auth open, its host is the only one besides "
        "127.0.0.1, ::1 and localhost the console answers to.",
    )
    log_level: Literal["debug", "info", "warning", "error"] = Field(
        "info", description="Server log verbosity."
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The TOML source reads ``toml_file`` from model_config; load_settings sets it.
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls))

    @property
    def store_url(self) -> str:
        return self.store or f"sqlite:{self.data_dir / 'altus.db'}"

    @property
    def code_dir(self) -> Path:
        return self.data_dir / "code"

    @property
    def sandboxes_dir(self) -> Path:
        return self.data_dir / "sandboxes"

    @property
    def credentials_file(self) -> Path:
        """Where the administrator's access key is written (AWS shared-credentials
        format, profile ``altus``)."""
        return self.data_dir / "credentials"


def load_settings(config_file: str | Path | None = None, **flags: Any) -> Settings:
    """Build the settings; ``flags`` are the command-line values (None means not given).

    The config file is chosen before the settings exist, so this is the one place that
    looks at the environment directly (ALTUS_CONFIG, and ALTUS_DATA_DIR to find
    ``<data_dir>/altus.toml``).
    """
    given = {key: value for key, value in flags.items() if value is not None}
    if config_file is None and os.environ.get("ALTUS_CONFIG"):
        config_file = os.environ["ALTUS_CONFIG"]
    if config_file is not None:
        path: Path | None = Path(config_file)
        assert path is not None
        if not path.is_file():
            raise FileNotFoundError(f"config file not found: {path}")
    else:
        data_dir = Path(given.get("data_dir") or os.environ.get("ALTUS_DATA_DIR") or ".altus")
        candidate = data_dir / "altus.toml"
        path = candidate if candidate.is_file() else None
    if path is None:
        return Settings(**given)
    with_file = type(
        "Settings", (Settings,), {"model_config": {**Settings.model_config, "toml_file": path}}
    )
    settings: Settings = with_file(**given)
    return settings
