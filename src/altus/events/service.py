"""Event source mappings: their lifecycle (Lambda's API and states) and their pollers.

Each change is written to the store before memory changes or the client is answered,
in the state Lambda shows while it takes effect (``Creating``, ``Enabling``,
``Disabling``, ``Updating``, ``Deleting``); then, off the request, the mapping's poller
is stopped and, if the mapping is enabled, started anew, and the settled state
(``Enabled`` or ``Disabled``) is written. A restart finishes whatever transition a
crash cut short and resumes every enabled mapping (stream mappings after their last
checkpoint).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid as uuids
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from altus.arns import Account, parse_arn
from altus.brokers import registry as brokers
from altus.brokers.base import CONFIGURATION, BrokerError, Connector, Endpoint, Subscription
from altus.clock import Clock
from altus.control.arns import FunctionRef, parse_function_ref
from altus.control.errors import (
    InvalidParameterValue,
    ResourceConflict,
    ResourceInUse,
    ResourceNotFound,
    StoreFailure,
)
from altus.control.functions import FunctionService
from altus.control.model import FunctionConfig
from altus.events.broker_poller import BrokerPoller
from altus.events.invoking import BatchInvoker
from altus.events.mapping import (
    DELETING,
    QUEUE_SOURCES,
    STREAM_SOURCES,
    EventSourceMapping,
)
from altus.events.metrics import MappingMetrics
from altus.events.queue_poller import QueuePoller
from altus.events.store import (
    Checkpoint,
    DropCheckpoints,
    DropMapping,
    MappingChange,
    MappingStore,
    PutCheckpoint,
    PutMapping,
)
from altus.events.stream_poller import Delivery, StreamPoller
from altus.events.validation import (
    BASIC_AUTH,
    VIRTUAL_HOST,
    SourceFacts,
    broker_of,
    plan_create,
    plan_update,
    settled,
)
from altus.sources import QueueSource, SourceRegistry, StreamSource
from altus.store.commit import GroupCommit

log = logging.getLogger(__name__)

#: Checks, where requests are authenticated, that the function's execution role may
#: read the source (and send to the on-failure destination), as Lambda checks at
#: create and update; raises InvalidParameterValue in Lambda's words.
AccessCheck = Callable[[FunctionConfig, EventSourceMapping], None]


#: A secret's current value, by its ARN (Secrets Manager's GetSecretValue, for Altus's
#: own use): a broker mapping's BASIC_AUTH credentials.
SecretReader = Callable[[str], Awaitable[str | bytes]]

#: How many times a transition is tried before it is left for a restart to finish (the
#: pauses grow to a minute: about an hour in all).
SETTLE_ATTEMPTS = 64
#: How long past the function's timeout and the batching window a broker may leave a
#: batch with the poller before taking it back (where brokers do).
HOLD_MARGIN = 60.0
#: How many times a deleted mapping's broker state (a replication slot) is tried to be
#: removed before the mapping goes anyway, the server's log naming what is left: a URL
#: that never led anywhere must not keep a mapping from being deleted (the pauses grow
#: to a minute: about three minutes).
FORGET_ATTEMPTS = 8


@dataclass(frozen=True, slots=True)
class MappingSettings:
    #: Concurrent batches of one queue mapping without a MaximumConcurrency.
    queue_ceiling: int = 1000


class MappingService:
    def __init__(
        self,
        store: MappingStore,
        account: Account,
        clock: Clock,
        functions: FunctionService,
        sources: SourceRegistry,
        invoker: BatchInvoker,
        deliver: Delivery,
        check_access: AccessCheck,
        settings: MappingSettings = MappingSettings(),
        secrets: SecretReader | None = None,
        connectors: Callable[[str], Connector] = brokers.connector,
    ) -> None:
        self._store = store
        self.account = account
        self._clock = clock
        self._functions = functions
        self._sources = sources
        self._invoker = invoker
        self._deliver = deliver
        self._check_access = check_access
        self._settings = settings
        self._secrets = secrets
        self._connectors = connectors
        self._forget_failures: dict[str, int] = {}
        self._commit: GroupCommit[Sequence[MappingChange]] = GroupCommit(
            store.apply, failure=lambda error: StoreFailure(f"The mapping store failed: {error}")
        )
        self._mappings: dict[str, EventSourceMapping] = {}
        self._checkpoints: dict[str, dict[str, Checkpoint]] = {}
        self._pollers: dict[str, asyncio.Task[None]] = {}
        self._settling: set[asyncio.Task[None]] = set()
        self.metrics: dict[str, MappingMetrics] = {}
        self._admin = asyncio.Lock()
        self._closing = False

    # --- life ------------------------------------------------------------------------------

    async def start(self) -> None:
        snapshot = await self._store.load()
        self._checkpoints = snapshot.checkpoints
        for mapping in snapshot.mappings:
            self._mappings[mapping.uuid] = mapping
        for mapping in snapshot.mappings:
            if mapping.in_transition:
                self._settle_later(mapping.uuid)  # a crash cut its transition short
            elif mapping.enabled:
                self._start_poller(mapping)

    def interrupt(self) -> None:
        """The server is stopping: pollers stop taking batches."""
        self._closing = True
        for task in self._pollers.values():
            task.cancel()

    async def close(self) -> None:
        self.interrupt()
        tasks = [*self._pollers.values(), *self._settling]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._pollers.clear()
        await self._commit.drain()

    # --- the API ---------------------------------------------------------------------------

    async def create(self, input: Mapping[str, Any]) -> EventSourceMapping:
        async with self._admin:
            _, function_arn, config = self._function(input["FunctionName"])
            facts = self._facts_of_input(input)
            mapping = plan_create(
                input,
                uuid=str(uuids.uuid4()),
                function_arn=function_arn,
                source=facts,
                function_timeout=config.timeout,
                now=self._clock.now(),
            )
            self._check_duplicate(mapping)
            self._check_access(config, mapping)
            await self._write([PutMapping(mapping)], lambda: self._put(mapping))
            self.metrics[mapping.uuid] = MappingMetrics(mapping.uuid)
        self._settle_later(mapping.uuid)
        return mapping

    def get(self, uuid: str) -> EventSourceMapping:
        found = self._mappings.get(uuid)
        if found is None:
            raise ResourceNotFound("The resource you requested does not exist.")
        return found

    def list(
        self, source_arn: str | None = None, function: str | None = None
    ) -> list[EventSourceMapping]:
        wanted: FunctionRef | None = None
        if function is not None:
            wanted = parse_function_ref(function, self.account)
        out = []
        for mapping in self._mappings.values():
            if source_arn is not None and mapping.event_source_arn != source_arn:
                continue
            if wanted is not None:
                mine = parse_function_ref(mapping.function_arn, self.account)
                if mine.name != wanted.name or (
                    wanted.qualifier is not None and mine.qualifier != wanted.qualifier
                ):
                    continue
            out.append(mapping)
        return sorted(out, key=lambda m: m.uuid)

    async def update(self, uuid: str, input: Mapping[str, Any]) -> EventSourceMapping:
        async with self._admin:
            mapping = self.get(uuid)
            if mapping.in_transition:
                raise ResourceInUse("Cannot update the event source mapping because it is in use.")
            function_arn: str | None = None
            if input.get("FunctionName") is not None:
                _, function_arn, config = self._function(input["FunctionName"])
            else:
                _, _, config = self._function(mapping.function_arn)
            facts = (
                SourceFacts(mapping.source, broker=brokers.by_kind(mapping.source))
                if mapping.broker
                else self._facts(mapping.event_source_arn, updating=True)
            )
            updated = plan_update(
                mapping,
                input,
                function_arn=function_arn,
                source=facts,
                function_timeout=config.timeout,
                now=self._clock.now(),
            )
            if function_arn is not None and function_arn != mapping.function_arn:
                self._check_duplicate(updated)
            self._check_access(config, updated)
            await self._write([PutMapping(updated)], lambda: self._put(updated))
        self._settle_later(uuid)
        return updated

    async def delete(self, uuid: str) -> EventSourceMapping:
        async with self._admin:
            mapping = self.get(uuid)
            if mapping.in_transition:
                raise ResourceInUse("Cannot delete the event source mapping because it is in use.")
            deleting = mapping.replace(state=DELETING)
            await self._write([PutMapping(deleting)], lambda: self._put(deleting))
        self._settle_later(uuid)
        return deleting

    async def tag(self, uuid: str, tags: Mapping[str, str]) -> None:
        async with self._admin:
            mapping = self.get(uuid)
            tagged = mapping.replace(tags={**mapping.tags, **tags})
            await self._write([PutMapping(tagged)], lambda: self._put(tagged))

    async def untag(self, uuid: str, keys: Iterable[str]) -> None:
        doomed = set(keys)
        async with self._admin:
            mapping = self.get(uuid)
            kept = mapping.replace(tags={k: v for k, v in mapping.tags.items() if k not in doomed})
            await self._write([PutMapping(kept)], lambda: self._put(kept))

    def uuid_of_arn(self, arn: str) -> str | None:
        """The mapping an ``event-source-mapping`` ARN of this account names, if it is
        one (whether or not the mapping exists)."""
        prefix = (
            f"arn:{self.account.partition}:lambda:{self.account.region}:"
            f"{self.account.account_id}:event-source-mapping:"
        )
        return arn[len(prefix) :] if arn.startswith(prefix) else None

    # --- validation helpers ----------------------------------------------------------------

    def _function(self, name: str) -> tuple[FunctionRef, str, FunctionConfig]:
        ref = parse_function_ref(name, self.account)
        config = self._functions.config(ref)  # ResourceNotFound in Lambda's words
        return ref, self.account.function_arn(ref.name, ref.qualifier), config

    def _facts_of_input(self, input: Mapping[str, Any]) -> SourceFacts:
        arn = input.get("EventSourceArn")
        if input.get("SelfManagedEventSource"):
            if arn:
                raise InvalidParameterValue(
                    "EventSourceArn and SelfManagedEventSource cannot both be given: a "
                    "mapping reads either a source of this account or a broker."
                )
            kind = broker_of(input)
            return SourceFacts(kind.kind, broker=kind)
        if not arn:
            raise InvalidParameterValue(
                "1 validation error detected: Value null at 'eventSourceArn' failed to "
                "satisfy constraint: Member must not be null."
            )
        return self._facts(arn)

    def _facts(self, arn: str, *, updating: bool = False) -> SourceFacts:
        parsed = parse_arn(arn)
        kind = parsed.service if parsed is not None else ""
        source = self._sources.find(kind) if kind else None
        if kind in QUEUE_SOURCES and source is not None:
            info = _as_queue(source).queue_info(arn)
            if info is None:
                raise InvalidParameterValue(
                    "Error occurred while ReceiveMessage. SQS Error Code: "
                    "AWS.SimpleQueueService.NonExistentQueue. SQS Error Message: The "
                    "specified queue does not exist for this wsdl version."
                )
            return SourceFacts(kind, info.fifo, info.visibility_timeout)
        if kind in STREAM_SOURCES and source is not None:
            if _as_stream(source).stream_info(arn) is None and not updating:
                raise InvalidParameterValue(f"Stream not found: {arn}")
            return SourceFacts(kind)
        raise InvalidParameterValue(
            f"Unrecognized event source: {arn}. Altus's mappings read SQS queues, "
            "Kinesis streams and DynamoDB tables' streams of this account and region."
        )

    def _check_duplicate(self, mapping: EventSourceMapping) -> None:
        for other in self._mappings.values():
            if other.uuid == mapping.uuid:
                continue
            if mapping.broker:
                if (
                    mapping.consumer_group is not None
                    and other.source == mapping.source
                    and other.consumer_group == mapping.consumer_group
                    and _broker_at(other) == _broker_at(mapping)
                ):
                    raise InvalidParameterValue(
                        f"ConsumerGroupId {mapping.consumer_group!r} is taken on this broker "
                        f"by the event source mapping {other.uuid}: each mapping needs "
                        "its own."
                    )
                if (
                    other.endpoints == mapping.endpoints
                    and (other.topics, other.queues) == (mapping.topics, mapping.queues)
                    and other.function_arn == mapping.function_arn
                ):
                    source = " ".join([*mapping.queues, *mapping.topics])
                    raise ResourceConflict(
                        f'The event source (" {source} ") and function '
                        f'(" {_function_name(mapping.function_arn)} ") provided mapping '
                        "already exists. Please update or delete the existing mapping with "
                        f"UUID {other.uuid}"
                    )
                continue
            if (
                other.event_source_arn == mapping.event_source_arn
                and other.function_arn == mapping.function_arn
            ):
                if mapping.source in QUEUE_SOURCES:
                    raise ResourceConflict(
                        f'An event source mapping with SQS arn (" {mapping.event_source_arn} '
                        f'") and function (" {_function_name(mapping.function_arn)} ") '
                        "already exists. Please update or delete the existing mapping "
                        f"with UUID {other.uuid}"
                    )
                raise ResourceConflict(
                    f'The event source arn (" {mapping.event_source_arn} ") and function '
                    f'(" {_function_name(mapping.function_arn)} ") provided mapping already '
                    f"exists. Please update or delete the existing mapping with UUID "
                    f"{other.uuid}"
                )

    # --- state -----------------------------------------------------------------------------

    async def _write(self, plan: Sequence[MappingChange], applied: Callable[[], Any]) -> Any:
        return await self._commit.write(plan, applied)

    def _put(self, mapping: EventSourceMapping) -> None:
        self._mappings[mapping.uuid] = mapping

    def _settle_later(self, uuid: str) -> None:
        task = asyncio.get_running_loop().create_task(self._settle(uuid))
        self._settling.add(task)
        task.add_done_callback(self._settling.discard)

    async def _settle(self, uuid: str) -> None:
        """Finish a mapping's transition: stop its poller, start the new one, write the
        settled state (or drop a deleted mapping). A store that fails meanwhile is tried
        again, with pauses growing to a minute, until it takes the change."""
        for attempt in range(SETTLE_ATTEMPTS):
            try:
                await self._settle_once(uuid)
                return
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("event source mapping %s: its transition failed", uuid)
            if self._closing:
                return  # a restart finishes it
            await self._clock.sleep(min(2.0**attempt, 60.0))
        log.error("event source mapping %s: left in its transition", uuid)

    async def _settle_once(self, uuid: str) -> None:
        await self._stop_poller(uuid)
        deleting = self._mappings.get(uuid)
        if deleting is not None and deleting.state == DELETING and deleting.broker:
            # Outside the lock: the broker may take a while (a mapping being deleted
            # takes no other change meanwhile).
            await self._forget(deleting)
        async with self._admin:
            mapping = self._mappings.get(uuid)
            if mapping is None or not mapping.in_transition:
                return
            if mapping.state == DELETING:

                def dropped() -> None:
                    self._mappings.pop(uuid, None)
                    self._checkpoints.pop(uuid, None)
                    self.metrics.pop(uuid, None)

                await self._write([DropMapping(uuid)], dropped)
                return
            done = mapping.replace(state=settled(mapping))
            await self._write([PutMapping(done)], lambda: self._put(done))
            if done.enabled and not self._closing:
                self._start_poller(done)

    def _start_poller(self, mapping: EventSourceMapping) -> None:
        if self._closing:
            return
        metrics = self.metrics.setdefault(mapping.uuid, MappingMetrics(mapping.uuid))
        run: Callable[[], Awaitable[None]]
        source = None if mapping.broker else self._sources.find(mapping.source)
        if mapping.broker:
            run = BrokerPoller(
                mapping,
                lambda: self._subscription(mapping),
                self._connectors(mapping.source),
                self._invoker,
                metrics,
                self._clock,
                lambda result: self._report(mapping.uuid, result),
                lambda reason, result: self._trouble(mapping.uuid, reason, result),
                self._deliver,
                self.account,
            ).run
        elif source is None:
            log.error("event source mapping %s: no %s source here", mapping.uuid, mapping.source)
            return
        elif mapping.source in QUEUE_SOURCES:
            run = QueuePoller(
                mapping,
                _as_queue(source),
                self._invoker,
                metrics,
                self._clock,
                lambda: self._timeout_of(mapping),
                lambda result: self._report(mapping.uuid, result),
                self.account.region,
                self._settings.queue_ceiling,
            ).run
        else:
            run = StreamPoller(
                mapping,
                _as_stream(source),
                self._invoker,
                metrics,
                self._clock,
                self._checkpoints.setdefault(mapping.uuid, {}),
                self._save_checkpoint,
                self._clear_checkpoints,
                lambda result: self._report(mapping.uuid, result),
                self._deliver,
                self.account,
                self._role_of(mapping),
            ).run
        task = asyncio.get_running_loop().create_task(self._supervise(mapping.uuid, run))
        self._pollers[mapping.uuid] = task

    async def _supervise(self, uuid: str, run: Callable[[], Awaitable[None]]) -> None:
        """Run a poller; should it fail, log it and start it again after a pause."""
        for attempt in range(1_000_000):
            try:
                await run()
                return
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("event source mapping %s: its poller failed", uuid)
                self._report(uuid, "PROBLEM: Internal error")
            await self._clock.sleep(min(1.0 * (attempt + 1), 30.0))

    async def _stop_poller(self, uuid: str) -> None:
        task = self._pollers.pop(uuid, None)
        if task is None:
            return
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task

    def _timeout_of(self, mapping: EventSourceMapping) -> int:
        try:
            return self._functions.config(
                parse_function_ref(mapping.function_arn, self.account)
            ).timeout
        except Exception:
            return 3

    def _role_of(self, mapping: EventSourceMapping) -> str:
        try:
            return self._functions.config(
                parse_function_ref(mapping.function_arn, self.account)
            ).role
        except Exception:
            return ""

    # --- brokers -----------------------------------------------------------------------------

    async def _subscription(self, mapping: EventSourceMapping) -> Subscription:
        """What the mapping's consumer reads, with its credentials read from their secret
        now (a rotated secret is used at the next connection)."""
        (key,) = mapping.endpoints
        kind = brokers.by_key(key)
        assert kind is not None
        username = password = None
        virtual_host = None
        for item in mapping.access:
            if item["Type"] == BASIC_AUTH:
                username, password = await self._credentials(item["URI"])
            elif item["Type"] == VIRTUAL_HOST:
                virtual_host = item["URI"]
        return Subscription(
            mapping_id=mapping.uuid,
            endpoint=Endpoint(kind.kind, mapping.endpoints[key][0], username, password),
            names=mapping.queues or mapping.topics,
            consumer_group=mapping.consumer_group,
            starting_position=mapping.starting_position,
            virtual_host=virtual_host,
            hold_seconds=self._timeout_of(mapping) + mapping.batching_window + HOLD_MARGIN,
            batch_size=mapping.batch_size,
        )

    async def _credentials(self, arn: str) -> tuple[str, str]:
        """A BASIC_AUTH secret's ``username`` and ``password`` (a JSON object, as Lambda
        reads it for Amazon MQ and Kafka)."""
        if self._secrets is None:
            raise BrokerError(CONFIGURATION, "Secrets Manager is not served here.")
        try:
            value = await self._secrets(arn)
        except Exception as error:
            raise BrokerError(
                CONFIGURATION, f"The BASIC_AUTH secret {arn} cannot be read: {error}"
            ) from None
        try:
            found = json.loads(value)
            return str(found["username"]), str(found["password"])
        except (ValueError, TypeError, KeyError):
            raise BrokerError(
                CONFIGURATION,
                f"The BASIC_AUTH secret {arn} must be a JSON object with username and password.",
            ) from None

    async def _forget(self, mapping: EventSourceMapping) -> None:
        """What a deleted mapping kept on its broker, removed. Where it pins the broker's
        resources (a replication slot holds WAL), the deletion waits until it is gone:
        a failure here is tried again; elsewhere it is logged and the mapping goes."""
        kind = brokers.by_kind(mapping.source)
        try:
            consumer = self._connectors(mapping.source)(await self._subscription(mapping))
            await consumer.forget()
        except Exception as error:
            failures = self._forget_failures.get(mapping.uuid, 0) + 1
            self._forget_failures[mapping.uuid] = failures
            if kind.pins and failures < FORGET_ATTEMPTS:
                raise
            log.error(
                "event source mapping %s: deleted, but what it kept on its %s broker "
                "(%s) could not be removed and stays there: %s",
                mapping.uuid,
                kind.endpoint_key,
                mapping.consumer_group or f"named after the mapping {mapping.uuid}",
                error.message if isinstance(error, BrokerError) else error,
            )
        self._forget_failures.pop(mapping.uuid, None)

    def _trouble(self, uuid: str, reason: str | None, result: str | None) -> None:
        """A broker mapping's StateTransitionReason (None: reading again) and, where
        given, LastProcessingResult (kept in memory, as ``_report``)."""
        mapping = self._mappings.get(uuid)
        if mapping is None or mapping.in_transition:
            return
        changed = mapping.replace(state_reason=reason or "USER_INITIATED")
        if result is not None:
            changed = changed.replace(last_result=result)
        if changed != mapping:
            self._mappings[uuid] = changed

    def _report(self, uuid: str, result: str) -> None:
        """LastProcessingResult (kept in memory; written with the mapping's next change)."""
        mapping = self._mappings.get(uuid)
        if mapping is not None and mapping.last_result != result:
            self._mappings[uuid] = mapping.replace(last_result=result)

    async def _clear_checkpoints(self, uuid: str) -> None:
        def applied() -> None:
            self._checkpoints.pop(uuid, None)

        await self._write([DropCheckpoints(uuid)], applied)

    async def _save_checkpoint(self, uuid: str, shard: str, checkpoint: Checkpoint) -> None:
        """Durably, before the poller moves on."""

        def applied() -> None:
            if uuid in self._mappings:
                self._checkpoints.setdefault(uuid, {})[shard] = checkpoint

        await self._write([PutCheckpoint(uuid, shard, checkpoint)], applied)


def _as_queue(source: QueueSource | StreamSource) -> QueueSource:
    return source  # type: ignore[return-value]


def _as_stream(source: QueueSource | StreamSource) -> StreamSource:
    return source  # type: ignore[return-value]


def _function_name(arn: str) -> str:
    return arn.split(":function:", 1)[-1]


def _broker_at(mapping: EventSourceMapping) -> tuple[str, int | None, str]:
    """Where a broker mapping's broker is (host, port, database or virtual host), so
    that two URLs spelled differently for one broker compare equal."""
    parts = urlsplit(next(iter(mapping.endpoints.values()), [""])[0])
    try:
        port = parts.port
    except ValueError:
        port = None
    return (parts.hostname or "", port, parts.path.strip("/"))
