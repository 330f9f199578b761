"""The Lambda service's component: the function model (``altus.control``) and the engine
that runs it (``altus.engine``), wired from the settings, started, interrupted and closed
by the platform in registry order.

It writes function logs to the Logs service's store (registered before it), keeps its
own tables in the main database (the ``functions`` and ``async`` schemas), and is the
target of records sent to function ARNs (an Event invoke of the function).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from altus import ids
from altus.api.spec import Context
from altus.awslambda import metrics, tracing
from altus.awslambda.code_urls import CodeUrls
from altus.awslambda.lambda_metrics import LambdaMetrics, ProvisionedLookup
from altus.awslambda.metering import Meter
from altus.awslambda.recording import Recorder
from altus.awslambda.secrets_extension import PORT_VARIABLE, RELAY_VARIABLE, SecretsExtension
from altus.awslambda.sql_recording_store import SqlRecordingStore
from altus.awslambda.tracing import XRAY_INSIDE, XRAY_RELAY_VARIABLE
from altus.awslambda.tuning import Tuner
from altus.awslambda.tuning_sql_store import SqlTuningStore
from altus.awslambda.usage_store import SqlUsageStore
from altus.brokers import registry as broker_registry
from altus.brokers.base import Connector
from altus.clock import SystemClock
from altus.control.aliases import AliasService
from altus.control.arns import FunctionRef, parse_function_ref
from altus.control.code_source import CodeSource
from altus.control.concurrency import PROVISIONED, RESERVED, ConcurrencyService
from altus.control.errors import InvalidParameterValue, ResourceNotFound
from altus.control.event_invoke import EventInvokeConfigService
from altus.control.functions import FunctionService
from altus.control.layers import LayerService
from altus.control.model import FunctionConfig
from altus.control.permissions import POLICY, PermissionService
from altus.control.sql_store import SqlFunctionStore
from altus.control.tags import TagService
from altus.control.urls import UrlService
from altus.engine.async_invoke import AsyncInvoker, AsyncSettings
from altus.engine.async_store import OutboxRecord, SqlEventQueue
from altus.engine.concurrency import Concurrency
from altus.engine.destinations import Targets
from altus.engine.environment import EnvironmentSettings, ExecutionEnvironment
from altus.engine.hooks import Hooks
from altus.engine.invoker import Invoker, InvokeRequest
from altus.engine.pool import WarmPool
from altus.engine.provisioned import Provisioner
from altus.engine.results import InvokeResult
from altus.errors import AltusError
from altus.events.invoking import BatchInvoker
from altus.events.mapping import EventSourceMapping
from altus.events.metrics import collect as collect_mappings
from altus.events.service import MappingService, MappingSettings
from altus.events.sql_store import SqlMappingStore
from altus.identity.authenticator import Principal, service_session
from altus.identity.errors import AccessDenied
from altus.observe.logs import LogSink
from altus.observe.metrics import MetricSink
from altus.runtimes.node_sdk import NodeSdk, find_npm
from altus.runtimes.registry import NODE_RUNTIMES, Runtimes
from altus.runtimes.sdk import python_sdk, sdk_dir
from altus.sandbox.choose import choose_backend
from altus.store.code import CodeStore
from altus.store.secrets import FernetCipher, key_file

if TYPE_CHECKING:
    from prometheus_client.core import Metric

log = logging.getLogger(__name__)

#: How long an environment's role credentials last (it is retired before they end).
ROLE_SESSION_SECONDS = 12 * 3600.0
#: How often unreferenced code packages are looked for.
_MAINTENANCE_INTERVAL = 600.0
#: How many grants of calling services (API Gateway's, per method ARN) are kept.
_SERVICE_GRANTS = 4096


class Lambda:
    def __init__(self, context: Context) -> None:
        settings = context.settings
        self.settings = settings
        self.account = account = context.account
        self.clock = context.clock
        #: (service, source ARN, source account, function ARN) -> the policy document
        #: that granted it (``call_as_service``).
        self._service_grants: OrderedDict[tuple[str, str, str, str], object] = OrderedDict()
        #: The function (and its ARN) each ARN a service calls names, parsed once.
        self._service_refs: dict[str, tuple[FunctionRef, str]] = {}
        #: Function ARN -> the longest an invoke of it can take (``longest_invoke``),
        #: forgotten whenever any function changes.
        self._longest: dict[str, float] = {}
        data_dir = settings.data_dir
        logs: LogSink = context.component("logs")
        # Environment variables are encrypted at rest with a key of this data directory.
        self.store = SqlFunctionStore(
            context.storage.database(), FernetCipher.from_file(data_dir / "secret.key")
        )
        self.code = code = CodeStore(settings.code_dir)
        self.backend = backend = context.provided("sandbox") or choose_backend(settings)
        self.node_sdk = node_sdk = NodeSdk(
            sdk_dir(data_dir), find_npm(settings.node_binary), settings.node_sdk_source
        )
        self.runtimes = runtimes = Runtimes(
            settings.runtime_interpreters, settings.node_binary, node_sdk
        )
        # Packages named by bucket and key are read from the object store, if there is one.
        try:
            objects = context.component("s3")
        except LookupError:  # a platform built without the object store
            objects = None
        sources = CodeSource(objects)
        self.layers = LayerService(self.store, code, account, sources)
        self.functions = functions = FunctionService(
            self.store,
            code,
            account,
            prepare=lambda config, path: runtimes.prepare(config.runtime, path),
            layers=self.layers,
            sources=sources,
        )
        self.aliases = AliasService(functions)
        self.identity = identity = context.identity
        endpoint = context.endpoint
        #: The account's roles (``altus.iam``, registered before Lambda).
        self.iam = context.component("iam")

        #: The Parameters and Secrets extension's interface (localhost:2773 in functions).
        self.extension = extension = SecretsExtension(
            identity, endpoint, account.region, settings.secrets_extension_port
        )
        relayed = settings.sandbox_network == "isolated"
        #: The X-Ray service (registered before Lambda): its daemon, and where the
        #: platform's segments of sampled invocations go.
        try:
            self.xray: Any = context.component("xray")
        except LookupError:  # a platform built without X-Ray
            self.xray = None

        def access(config: FunctionConfig, uid: int | None) -> tuple[dict[str, str], float | None]:
            # As on Lambda: the execution role's session, named after the function (the
            # role as IAM spells it, where IAM has it).
            role = self.iam.by_arn(config.role)
            role_arn = self.iam.arn(role) if role is not None else config.role
            session = identity.session(
                role_arn, config.name, ROLE_SESSION_SECONDS, environment=True, uid=uid
            )
            granted = session.variables()
            if endpoint is not None:
                granted["AWS_ENDPOINT_URL"] = endpoint
            if extension.port:
                granted[PORT_VARIABLE] = str(extension.port)
            if relayed:
                # Where init relays the port inside the environment to: this listener,
                # or nowhere; never a value of the function's own.
                granted[RELAY_VARIABLE] = extension.address if extension.port else ""
            daemon = self.xray.daemon_address if self.xray is not None else None
            if daemon:
                # Inside an isolated network, init relays the daemon's port (as Lambda's
                # 2000) to the listener; elsewhere functions send to it directly.
                granted["AWS_XRAY_DAEMON_ADDRESS"] = XRAY_INSIDE if relayed else daemon
            if relayed:
                # Where init relays the daemon's port to: the listener, or nowhere; never
                # a value of the function's own.
                granted[XRAY_RELAY_VARIABLE] = daemon or ""
            return granted, ROLE_SESSION_SECONDS

        env_settings = EnvironmentSettings(
            account=account,
            sandboxes_dir=settings.sandboxes_dir,
            init_timeout=settings.init_timeout_seconds,
            access=access,
        )

        def new_environment(config: FunctionConfig, init_type: str) -> ExecutionEnvironment:
            return ExecutionEnvironment(
                config,
                backend=backend,
                runtimes=runtimes,
                code=code,
                logs=logs,
                settings=env_settings,
                init_type=init_type,
            )

        self.pool = WarmPool(
            new_environment,
            max_environments=settings.max_environments,
            keep_alive=settings.keep_alive_seconds,
        )
        self.counters = metrics.InvocationCounters()
        #: Recorded invocations (``altus replay``): readable and pruned even when
        #: recording is off, but hooked into the invoker only when it is on.
        self.recorder = Recorder(
            SqlRecordingStore(context.storage.database("recordings", durable=False)),
            retention_seconds=settings.record_retention_hours * 3600,
            max_bytes=settings.record_max_mb * 1024 * 1024,
        )
        recording = [self.recorder] if settings.record_invocations else []
        concurrency = Concurrency(settings.concurrency_limit)
        #: Metering for cost (``awslambda.metering``), written to the usage store.
        self.usage = SqlUsageStore(context.storage.database())
        self.meter = Meter(
            self.usage,
            self._provisioned_environments,
            settings.metrics_flush_seconds,
            _now(context),
        )
        #: The AWS/Lambda metrics, where a metrics component (CloudWatch) keeps them.
        self.cloudwatch_metrics = _cloudwatch_metrics(context, concurrency, self._provisioned)
        observing = [self.meter, *filter(None, [self.cloudwatch_metrics])]
        self.invoker = Invoker(
            functions,
            self.pool,
            concurrency,
            Hooks([self.counters, *observing, *recording, *tracing.hooks(self.xray)]),
        )
        self.concurrency = ConcurrencyService(
            functions, settings.concurrency_limit, settings.concurrency_min_unreserved
        )
        self.permissions = PermissionService(functions)
        self.urls = UrlService(functions)
        self.event_invoke = EventInvokeConfigService(functions)
        self.tags = TagService(functions)
        self.provisioner = Provisioner(functions, self.pool)
        webhook_key = (
            settings.webhook_secret.encode()
            if settings.webhook_secret
            else key_file(data_dir / "webhook.key", lambda: secrets.token_hex(32).encode())
        )
        self.targets = targets = Targets(context.targets, webhook_key)
        self.code_urls = CodeUrls(data_dir, context.clock)
        self.async_invoker = AsyncInvoker(
            self.invoker,
            functions,
            SqlEventQueue(context.storage.database()),
            targets,
            self.event_invoke.lookup,
            AsyncSettings(
                workers=settings.async_workers,
                time_scale=settings.async_time_scale,
                destination_attempts=settings.async_destination_attempts,
            ),
            clock=context.clock,
        )
        #: The SQS queue service (registered before Lambda): a queue's own policy may
        #: let a function's role read it.
        try:
            self._queues: Any = context.component("sqs")
        except LookupError:  # a platform built without queues
            self._queues = None
        try:
            self._secrets: Any = context.component("secretsmanager")
        except LookupError:  # a platform built without Secrets Manager
            self._secrets = None
        self.mappings = MappingService(
            SqlMappingStore(context.storage.database()),
            account,
            context.clock,
            functions,
            context.sources,
            BatchInvoker(self.invoker, account),
            self._send_record,
            self._check_mapping_access,
            MappingSettings(queue_ceiling=settings.mapping_queue_ceiling),
            secrets=self._secret_value if self._secrets is not None else None,
            connectors=_connectors(context.provided("brokers")),
        )
        context.targets.register("lambda", self)
        #: Power tuning jobs (``altus tune``; ``tuning_routes``).
        self.tuner = Tuner(self, SqlTuningStore(context.storage.database()), context.clock)
        self._maintenance: asyncio.Task[None] | None = None

    # --- the component's life ------------------------------------------------------------

    async def start(self) -> None:
        await self.recorder.start()
        await self.extension.start()
        # The SDK Python functions import (boto3): made once per data directory.
        self.runtimes.sdk = await asyncio.to_thread(python_sdk, sdk_dir(self.settings.data_dir))
        killed = self.backend.recover(self.settings.sandboxes_dir)
        if killed:
            log.warning("killed %d execution environments left by a previous run", killed)
        await self.functions.start()
        self.functions.on_change(
            lambda name: self.pool.retire(name, self.functions.valid_env_keys(name))
        )
        self.functions.on_change(self._reserve)
        self.functions.on_change(lambda name: self._longest.clear())
        for record in self.functions.records():
            self._reserve(record.name)
        if self._node_functions():
            # Node.js runtimes are in use, and an SDK of this lock is perhaps not there yet
            # (a new Altus, or a failed install): installed meanwhile, cold starts wait.
            self.node_sdk.begin()
        self.urls.start()
        self.pool.start()
        self.provisioner.start()
        recovered = await self.async_invoker.start()
        if recovered:
            log.info("redelivering %d queued asynchronous events", recovered)
        await self.mappings.start()
        self.meter.start()
        await self.tuner.start()
        self._maintenance = asyncio.get_running_loop().create_task(self._maintain())

    def interrupt(self) -> None:
        """Invokes end with their functions; event source mappings stop polling."""
        self.mappings.interrupt()

    async def close(self) -> None:
        # First: nothing to serve once closing starts, and nothing left listening if a
        # later step fails.
        await self.extension.close()
        await self.tuner.close()
        if self._maintenance is not None:
            self._maintenance.cancel()
        await self.mappings.close()
        await self.async_invoker.close()
        await self.meter.close()
        await self.provisioner.close()
        await self.pool.close()
        await self.recorder.close()  # after the last invocation ended
        await self.functions.close()
        await self.backend.shutdown()
        await asyncio.to_thread(self.backend.close)
        await asyncio.to_thread(self.runtimes.close)

    def _node_functions(self) -> bool:
        return any(
            config.runtime in NODE_RUNTIMES
            for record in self.functions.records()
            for config in (record.latest, *record.versions.values())
        )

    def _provisioned_environments(self) -> list[tuple[FunctionConfig, int]]:
        """What provisioned concurrency keeps warm now, every function's (metering)."""
        return [
            pair
            for record in self.functions.records()
            if record.attached.get(PROVISIONED)
            for pair in self.provisioner.configured(record.name)
        ]

    def _provisioned(self, name: str, qualifier: str) -> int:
        """The provisioned concurrency configured on a function's version or alias."""
        try:
            document = self.functions.record(name).attachment(PROVISIONED, qualifier)
        except ResourceNotFound:
            return 0
        return int(document["requested"]) if document is not None else 0

    def _reserve(self, name: str) -> None:
        """Give the engine a function's reservation as the control layer now has it."""
        try:
            document = self.functions.record(name).attachment(RESERVED)
        except ResourceNotFound:
            document = None
        self.invoker.concurrency.reserve(
            name, int(document["reserved"]) if document is not None else None
        )

    async def _maintain(self) -> None:
        """Off the invoke path: code packages no version or layer version uses."""
        while True:
            await asyncio.sleep(_MAINTENANCE_INTERVAL)
            try:
                keep = await self.store.code_references()
                await asyncio.to_thread(self.code.collect, keep)
            except Exception:
                log.exception("code maintenance failed")

    def policies(self, ref: FunctionRef) -> list[dict[str, Any]]:
        """The resource policy of a function (or of its version or alias), as a policy
        document, if it has one."""
        try:
            found = self.functions.record(ref.name).attachment(POLICY, ref.qualifier or "")
        except ResourceNotFound:
            return []
        statements = (found or {}).get("statements") or []
        return [{"Version": "2012-10-17", "Statement": statements}] if statements else []

    def layer_policies(self, name: str, version: int | None) -> list[dict[str, Any]]:
        """A layer version's own policy (AddLayerVersionPermission), as a policy document,
        if it has one."""
        if version is None:
            return []
        try:
            statements = self.layers.get(name, version).statements
        except ResourceNotFound:
            return []
        return [{"Version": "2012-10-17", "Statement": list(statements)}] if statements else []

    def check_layers(self, arns: Sequence[str], caller: Principal | None) -> None:
        """Where requests are authenticated, a function may use a layer version only if
        its caller may ``lambda:GetLayerVersion`` it, by its own policies or the layer
        version's, as on AWS. (A layer ARN of no layer here is refused by CreateFunction
        itself, in its words.)"""
        if caller is None or not self.identity.enforcing:
            return
        for arn in arns:
            parsed = self.account.parse_layer_version_arn(arn)
            if parsed is None:
                continue
            name, version = parsed
            self.identity.authorize(
                caller, "lambda:GetLayerVersion", arn, self.layer_policies(name, version)
            )

    def check_role(self, arn: str, caller: Principal | None) -> None:
        """Where requests are authenticated (``--auth iam``), the caller must be allowed
        to pass the role (``iam:PassRole``), and the role must exist and trust Lambda, as
        on AWS; elsewhere any role ARN does."""
        if not self.identity.enforcing:
            return
        role = self.iam.by_arn(arn)
        if caller is not None:
            # Against the role's own ARN: a name in another case finds the same role.
            self.identity.authorize(
                caller,
                "iam:PassRole",
                self.iam.arn(role) if role else arn,
                context={"iam:PassedToService": "lambda.amazonaws.com"},
            )
        if not self.iam.assumable_by(arn, "lambda.amazonaws.com"):
            raise InvalidParameterValue(
                "The role defined for the function cannot be assumed by Lambda."
            )

    # --- event source mappings -------------------------------------------------------------

    async def _secret_value(self, arn: str) -> str | bytes:
        """A secret's current value, for a broker mapping's credentials."""
        found = await self._secrets.read_value(arn)
        value: str | bytes = found.value
        return value

    async def _send_record(self, function_arn: str, destination: str, body: str) -> None:
        """A stream mapping's failure record, to its OnFailure destination through the
        asynchronous outbox (durable once this returns; retried, then parked)."""
        record_id = ids.request_id()
        await self.async_invoker.send_record(
            OutboxRecord(
                id=record_id,
                event_id=record_id,
                function=parse_function_ref(function_arn, self.account).name,
                kind="OnFailure",
                target=destination,
                body=body,
                created_ms=int(self.clock.now() * 1000),
            )
        )

    #: What a function's execution role must be allowed on each kind of source, as
    #: Lambda checks when a mapping is created or updated.
    _SOURCE_ACTIONS = {
        "sqs": ("SQS", ("ReceiveMessage", "DeleteMessage", "GetQueueAttributes")),
        "kinesis": (
            "Kinesis",
            ("GetRecords", "GetShardIterator", "DescribeStream", "ListShards"),
        ),
        "dynamodb": (
            "DynamoDB",
            ("GetRecords", "GetShardIterator", "DescribeStream", "ListStreams"),
        ),
    }

    def _check_mapping_access(self, config: FunctionConfig, mapping: EventSourceMapping) -> None:
        """Where requests are authenticated, the function's execution role must be
        allowed to read the source (by its own policies or a queue's), and to send to the
        OnFailure destination, as on Lambda. The destination must be something Altus
        can deliver to (it has no SNS topics yet, say): else the record of a discarded
        batch would have nowhere to go."""
        if mapping.on_failure and not self.targets.reachable(mapping.on_failure):
            raise InvalidParameterValue(
                f"The destination {mapping.on_failure} cannot receive records here: "
                "Altus delivers them to queues, topics, functions and http(s) URLs."
            )
        if not self.identity.enforcing:
            return
        role = config.role.rsplit("/", 1)[-1]
        principal = Principal(
            f"arn:{self.account.partition}:sts::{self.account.account_id}:assumed-role/"
            f"{role}/{config.name}",
            "",
        )
        if mapping.broker:
            # A broker is not an AWS resource: what the role must reach is the secret
            # holding its credentials (else a mapping would hand any secret to whatever
            # broker its URL names), as Lambda requires for Amazon MQ and Kafka.
            for item in mapping.access:
                if item["Type"] != "BASIC_AUTH":
                    continue
                try:
                    self.identity.authorize(principal, "secretsmanager:GetSecretValue", item["URI"])
                except AccessDenied:
                    raise InvalidParameterValue(
                        "The provided execution role does not have permissions to call "
                        "GetSecretValue on Secrets Manager"
                    ) from None
        else:
            service, actions = self._SOURCE_ACTIONS[mapping.source]
            prefix = mapping.source
            policies: list[Any] = []
            if mapping.source == "sqs" and self._queues is not None:
                name = self._queues.name_of_arn(mapping.event_source_arn)
                policies = list(self._queues.policies(name)) if name else []
            for action in actions:
                try:
                    self.identity.authorize(
                        principal, f"{prefix}:{action}", mapping.event_source_arn, policies
                    )
                except AccessDenied:
                    raise InvalidParameterValue(
                        f"The provided execution role does not have permissions to call "
                        f"{action} on {service}"
                    ) from None
        destination = mapping.on_failure or ""
        sends = {"sqs": ("sqs:SendMessage", "SQS"), "sns": ("sns:Publish", "SNS")}
        kind = destination.split(":")[2] if destination.startswith("arn:") else ""
        if kind in sends:
            action, named = sends[kind]
            try:
                self.identity.authorize(principal, action, destination)
            except AccessDenied:
                raise InvalidParameterValue(
                    f"The provided execution role does not have permissions to call "
                    f"{action.split(':')[1]} on {named}"
                ) from None

    # --- as a target of records ------------------------------------------------------------

    async def deliver(
        self,
        arn: str,
        body: str,
        attributes: Mapping[str, Mapping[str, str]] | None = None,
        *,
        trace: str | None = None,
    ) -> None:
        """A record sent to a function ARN: an Event invoke of it (durable once this
        returns). Raises ResourceNotFound when the function or qualifier is not here."""
        ref = parse_function_ref(arn, self.account)
        self.functions.config(ref)  # raises unless it exists (an alias: its version)
        await self.async_invoker.submit(ref, body.encode(), trace)

    async def invoke_as_service(
        self,
        service: str,
        source_arn: str,
        source_account: str,
        arn: str,
        payload: str,
        *,
        trace: str | None = None,
    ) -> None:
        """An Event invoke by a pushing service (``altus.targets.ServiceInvocable``):
        the function's own policy (AddPermission) must let ``service`` invoke it for
        ``source_arn``, whatever the server's auth mode (it is what the function's owner
        configured, not a caller's credentials)."""
        ref = parse_function_ref(arn, self.account)
        self.functions.config(ref)  # ResourceNotFound unless it exists
        self.identity.authorize_service(
            service,
            "lambda:InvokeFunction",
            self.account.function_arn(ref.name, ref.qualifier),
            self.policies(ref),
            source_arn=source_arn,
            source_account=source_account,
        )
        await self.async_invoker.submit(ref, payload.encode(), trace)

    def call_as_service(
        self,
        service: str,
        source_arn: str,
        source_account: str,
        arn: str,
        payload: bytes,
        *,
        role: str | None = None,
        trace: str | None = None,
    ) -> Awaitable[InvokeResult]:
        """A RequestResponse invoke by a service that fronts the function (API Gateway:
        ``altus.targets.ServiceCallable``), authorised before it is returned. Without a
        role, the function's own policy must let ``service`` invoke it for
        ``source_arn`` in either auth mode (the owner configured it); with one, the role's
        session must be allowed ``lambda:InvokeFunction`` by its policies or the
        function's where requests are authenticated."""
        found = self._service_refs.get(arn)
        if found is None:
            ref = parse_function_ref(arn, self.account)
            found = (ref, self.account.function_arn(ref.name, ref.qualifier))
            if len(self._service_refs) >= _SERVICE_GRANTS:
                self._service_refs.clear()
            self._service_refs[arn] = found
        ref, function_arn = found
        if role is None:
            # A grant found is kept with the policy document it was found in: a policy
            # change replaces the document (never edits it), so the grant holds exactly
            # as long as the document it came from is the function's.
            try:
                document = self.functions.record(ref.name).attachment(POLICY, ref.qualifier or "")
            except ResourceNotFound:
                document = None
            key = (service, source_arn, source_account, function_arn)
            if document is not None and self._service_grants.get(key) is document:
                self._service_grants.move_to_end(key)
            else:
                self.identity.authorize_service(
                    service,
                    "lambda:InvokeFunction",
                    function_arn,
                    self.policies(ref),
                    source_arn=source_arn,
                    source_account=source_account,
                )
                if document is not None:
                    self._service_grants[key] = document
                    if len(self._service_grants) > _SERVICE_GRANTS:
                        self._service_grants.popitem(last=False)
        elif self.identity.enforcing:
            session = service_session(role, service)
            self.identity.authorize(
                session, "lambda:InvokeFunction", function_arn, self.policies(ref)
            )
        return self.invoker.invoke(InvokeRequest(ref=ref, payload=payload, trace_id=trace))

    def longest_invoke(self, arn: str) -> float | None:
        """The longest an invoke of ``arn`` can take (``altus.targets.ServiceCallable``):
        a cold start's initialisation and the function's timeout, the longest of the
        versions an alias routes to. Remembered until the function changes."""
        found = self._longest.get(arn)
        if found is not None:
            return found
        try:
            ref = parse_function_ref(arn, self.account)
            configs = [self.functions.config(ref)]
            alias = self.functions.record(ref.name).aliases.get(ref.qualifier or "")
            if alias is not None:
                configs += [
                    self.functions.config(FunctionRef(ref.name, version))
                    for version in alias.additional_weights
                ]
        except AltusError:
            return None
        longest = self.settings.init_timeout_seconds + max(c.timeout for c in configs)
        if len(self._longest) >= _SERVICE_GRANTS:
            self._longest.clear()
        self._longest[arn] = longest
        return longest

    # --- what the server reports -----------------------------------------------------------

    def collect(self) -> Iterator[Metric]:
        """This service's figures for ``GET /metrics``."""
        yield from self.counters.collect()
        yield from metrics.collect(self.async_invoker, self.invoker.concurrency.in_flight)
        yield from collect_mappings(self.mappings.metrics.values())

    def health(self) -> dict[str, Any]:
        return {
            "functions": len(self.functions.records()),
            "environments": len(list(self.pool.environments())),
            "in_flight": self.invoker.concurrency.in_flight,
            "sandbox": self.backend.name,
            "zygotes": self.backend.zygotes(),
        }


def _now(context: Context) -> Callable[[], float]:
    """The platform clock's time, as cheaply as it can be read on the invocation path."""
    return time.time if isinstance(context.clock, SystemClock) else context.clock.now


def _cloudwatch_metrics(
    context: Context, concurrency: Concurrency, provisioned: ProvisionedLookup
) -> LambdaMetrics | None:
    """Lambda's metrics, registered with the metrics component (a MetricSink) if the
    platform has one; without one nothing is aggregated."""
    try:
        sink: MetricSink = context.component("cloudwatch")
    except LookupError:
        return None
    found = LambdaMetrics(concurrency, provisioned, _now(context))
    sink.register(found)
    return found


def _connectors(given: Connector | None) -> Callable[[str], Connector]:
    """How broker mappings connect: the real clients, or the one connector a test gave
    (``altus.testing.Harness(brokers=...)``) for every kind."""
    if given is None:
        return broker_registry.connector
    return lambda kind: given
