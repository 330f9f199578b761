"""The EventBridge service's component: what the platform builds, starts, interrupts
and closes. It holds the buses and rules (``state.Core``), the delivery worker and the
schedule timer, accepts events (PutEvents, and records other services send to a bus's
ARN: ``deliver``), and is registered as the ``events`` target."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from altus import ids
from altus.api.spec import Context
from altus.eventbridge import buses, entries, ingest, names
from altus.eventbridge.delivery import FORWARDED, Deliveries
from altus.eventbridge.errors import ResourceNotFound, ValidationException
from altus.eventbridge.model import AddEvent, DropDelivery, PutBus
from altus.eventbridge.scheduling import Scheduler
from altus.eventbridge.sql_store import SqlEventStore
from altus.eventbridge.state import BusState, Core
from altus.eventbridge.store import EventStore
from altus.identity.authenticator import Principal
from altus.observe.trace_header import normal

log = logging.getLogger(__name__)


class EventBridge:
    def __init__(self, context: Context, store: EventStore | None = None) -> None:
        self.core = Core(
            context.account, context.clock, store or SqlEventStore(context.storage.database())
        )
        self.identity = context.identity
        self.targets = context.targets
        #: Roles: whether one exists and trusts EventBridge (a target's RoleArn).
        self.iam = context.component("iam")
        self.deliveries = Deliveries(self.core, context.targets, context.identity, self.iam)
        self.scheduler = Scheduler(self.core, self.deliveries)
        context.targets.register("events", self)

    # --- life ------------------------------------------------------------------------------

    async def start(self) -> None:
        """Load buses, rules and pending deliveries (making the default bus the first
        time); start delivering and firing schedules (a fire missed while down, once)."""
        core = self.core
        snapshot = await core.store.load()
        for bus in snapshot.buses:
            core.buses[bus.name] = BusState(bus)
        for rule in snapshot.rules:
            state = core.buses.get(rule.bus)
            if state is not None:
                state.put_rule(rule)
        if names.DEFAULT_BUS not in core.buses:
            default = buses.default_bus(core.now_ms())
            await core.store.apply([[PutBus(default)]])
            core.buses[default.name] = BusState(default)
        events = {event.id: event for event in snapshot.events}
        orphans: list[DropDelivery] = []
        for delivery in snapshot.deliveries:
            core.seen_seq(delivery.seq)
            event = events.get(delivery.event_id)
            if event is not None:
                self.deliveries.add(event, [delivery])
            else:
                # Its event is gone (no store writes this, but nothing could deliver
                # it): deleted, not left to be loaded again at every start.
                orphans.append(DropDelivery(delivery.seq))
        if orphans:
            log.warning("deleting %d EventBridge deliveries whose event is gone", len(orphans))
            await core.store.apply([orphans])
        self.deliveries.start()
        self.scheduler.start()

    def interrupt(self) -> None:
        self.scheduler.interrupt()
        self.deliveries.interrupt()

    async def close(self) -> None:
        await self.scheduler.close()
        await self.deliveries.close()
        await self.core.drain()

    # --- events ----------------------------------------------------------------------------

    async def put_events(
        self,
        items: Sequence[Mapping[str, Any]],
        caller: Principal | None = None,
        context: Mapping[str, str] | None = None,
    ) -> list[dict[str, str]]:
        """PutEvents: one result per entry, in order; every accepted entry's deliveries
        are written (one transaction) before this returns. ``caller``: where requests
        are authorised, the principal that must be allowed ``events:PutEvents`` on the
        bus of every entry (by its policies or the bus's): one bus it may not put to
        refuses the whole call (AccessDeniedException), as AWS refuses a PutEvents to a
        bus the caller may not use, and nothing is accepted."""
        if entries.request_size(items) >= entries.MAX_REQUEST_BYTES:
            raise ValidationException("Total size of the entries in the request is over the limit.")
        core = self.core
        if caller is not None and self.identity.enforcing:
            named = {names.bus_name(entry.get("EventBusName"), core.account) for entry in items}
            for name in sorted(named):
                self.identity.authorize(
                    caller,
                    "events:PutEvents",
                    names.bus_resource(core.account, name),
                    self.bus_policies(name),
                    dict(context or {}),
                )
        now = core.clock.now()
        results: list[dict[str, str]] = []
        plan: list[AddEvent] = []
        for entry in items:
            detail, problem = entries.check_entry(entry)
            if problem is not None or detail is None:
                assert problem is not None
                results.append({"ErrorCode": problem.code, "ErrorMessage": problem.message})
                continue
            name = names.bus_name(entry.get("EventBusName"), core.account)
            bus = core.buses.get(name)
            if bus is None:
                results.append(
                    {
                        "ErrorCode": "ResourceNotFoundException",
                        "ErrorMessage": f"Event bus {name} does not exist.",
                    }
                )
                continue
            event_id = ids.request_id()
            event = entries.event_of(
                entry, detail, event_id, core.account.account_id, core.account.region, now
            )
            plan.append(ingest.plan_event(core, bus, event, trace=entry.get("TraceHeader")))
            results.append({"EventId": event_id})
        await self._write(plan)
        return results

    async def _write(self, plan: Sequence[AddEvent]) -> None:
        written = [change for change in plan if change.deliveries]
        if not written:
            return

        def applied() -> None:
            for change in written:
                self.deliveries.add(change.event, change.deliveries)

        await self.core.write(written, applied)

    async def deliver(
        self,
        arn: str,
        body: str,
        attributes: Mapping[str, Mapping[str, str]] | None = None,
        *,
        trace: str | None = None,
    ) -> None:
        """A whole event sent to a bus's ARN (``altus.targets``: a rule's bus target, S3's
        EventBridge notifications): matched against that bus's rules as if put, durable
        once this returns. An event a rule's bus target sent (``attributes`` carry
        ``FORWARDED``) goes to none of this bus's bus targets: as on AWS, an event
        received from another bus is not routed to a third (which also ends loops).
        Raises ResourceNotFound (no such bus here) or ValidationException (not an
        event)."""
        found = names.parse_resource(self.core.account, arn)
        if found is None or found[1] is not None:
            raise ResourceNotFound(f"{arn} is not an event bus of this account.")
        bus = self.core.buses.get(found[0])
        if bus is None:
            raise ResourceNotFound(f"Event bus {found[0]} does not exist.")
        event = entries.check_event(body)
        if event is None:
            raise ValidationException("The record is not an EventBridge event.")
        event.setdefault("resources", [])
        event.setdefault("detail", {})
        forwarded = attributes is not None and FORWARDED in attributes
        # X-Ray: the forwarded event keeps its trace (a header normalised: small).
        planned = ingest.plan_event(self.core, bus, event, forwarded=forwarded, trace=normal(trace))
        await self._write([planned])

    def bus_policies(self, name: str | None) -> list[Mapping[str, Any]]:
        return buses.policies(self.core, name or names.DEFAULT_BUS)

    def health(self) -> dict[str, Any]:
        return {
            "buses": len(self.core.buses),
            "rules": sum(len(b.rules) for b in self.core.buses.values()),
            "pending_deliveries": len(self.deliveries.pending()),
        }
