"""EventBridge's operations: members in, members out (``docs/services.md``)."""

from __future__ import annotations

from typing import Any

from altus.api.paging import page
from altus.api.service import PRINCIPAL, request_context
from altus.api.spec import Call, Members
from altus.eventbridge import buses, entries, rules
from altus.eventbridge.component import EventBridge
from altus.eventbridge.errors import ValidationException
from altus.identity.authenticator import Principal
from altus.observe.trace_header import normal

DEFAULT_LIMIT = 100


def _invalid_token(token: str) -> ValidationException:
    return ValidationException(f"The NextToken {token} is not valid.")


def _caller(call: Call) -> Principal | None:
    """Who signed the call, where calls are authenticated."""
    found = call.request.scope.get(PRINCIPAL)
    return found if isinstance(found, Principal) else None


def _pass_roles(eb: EventBridge, call: Call, roles: list[str]) -> None:
    """Where calls are authorised, naming a role for EventBridge to act as needs
    ``iam:PassRole`` on it, as on AWS (the role's own trust is checked when EventBridge
    acts as it)."""
    caller = _caller(call)
    if caller is None or not eb.identity.enforcing:
        return
    for arn in roles:
        role = eb.iam.by_arn(arn)
        eb.identity.authorize(
            caller,
            "iam:PassRole",
            eb.iam.arn(role) if role is not None else arn,
            context={
                **request_context(call.request.scope),
                "iam:PassedToService": "events.amazonaws.com",
            },
        )


def _paged(items: list[Any], keys: list[str], members: Members) -> tuple[list[Any], str | None]:
    found = page(
        items,
        keys,
        members.get("NextToken"),
        int(members.get("Limit") or DEFAULT_LIMIT),
        _invalid_token,
    )
    return found.items, found.next


# --- buses -------------------------------------------------------------------------------------


async def create_event_bus(eb: EventBridge, call: Call, input: Members) -> Members:
    bus = await buses.create(
        eb.core,
        input["Name"],
        input.get("Description"),
        input.get("Tags"),
        input.get("EventSourceName"),
    )
    out: Members = {"EventBusArn": eb.core.bus_arn(bus.name)}
    if bus.description is not None:
        out["Description"] = bus.description
    return out


async def describe_event_bus(eb: EventBridge, call: Call, input: Members) -> Members:
    return buses.describe(eb.core, eb.core.bus(input.get("Name")).bus)


async def list_event_buses(eb: EventBridge, call: Call, input: Members) -> Members:
    prefix = input.get("NamePrefix") or ""
    found = sorted(
        (s.bus for s in eb.core.buses.values() if s.bus.name.startswith(prefix)),
        key=lambda b: b.name,
    )
    items, following = _paged(found, [b.name for b in found], input)
    out: Members = {"EventBuses": [buses.describe(eb.core, b) for b in items]}
    if following:
        out["NextToken"] = following
    return out


async def delete_event_bus(eb: EventBridge, call: Call, input: Members) -> Members:
    await buses.delete(eb.core, input["Name"])
    return {}


async def put_permission(eb: EventBridge, call: Call, input: Members) -> Members:
    await buses.put_permission(eb.core, input)
    return {}


async def remove_permission(eb: EventBridge, call: Call, input: Members) -> Members:
    await buses.remove_permission(eb.core, input)
    return {}


async def tag_resource(eb: EventBridge, call: Call, input: Members) -> Members:
    tags = {t["Key"]: t["Value"] for t in input["Tags"]}
    await buses.retag(eb.core, input["ResourceARN"], tags, ())
    return {}


async def untag_resource(eb: EventBridge, call: Call, input: Members) -> Members:
    await buses.retag(eb.core, input["ResourceARN"], {}, input["TagKeys"])
    return {}


async def list_tags_for_resource(eb: EventBridge, call: Call, input: Members) -> Members:
    return {"Tags": buses.tags_of(eb.core, input["ResourceARN"])}


# --- events ------------------------------------------------------------------------------------


async def put_events(eb: EventBridge, call: Call, input: Members) -> Members:
    if input.get("EndpointId"):
        raise ValidationException("Global endpoints are not served by Altus.")
    # X-Ray: an entry's own TraceHeader, else the call's (as a traced SDK sends it),
    # normalised (one that is not X-Ray's is not kept).
    header = call.request.headers.get("x-amzn-trace-id")
    given = [_traced(e, header) for e in input["Entries"]]
    results = await eb.put_events(given, _caller(call), request_context(call.request.scope))
    failed = sum(1 for r in results if "ErrorCode" in r)
    return {"FailedEntryCount": failed, "Entries": results}


def _traced(entry: Members, header: str | None) -> Members:
    trace = normal(entry.get("TraceHeader") or header)
    kept = {k: v for k, v in entry.items() if k != "TraceHeader"}
    return {**kept, "TraceHeader": trace} if trace else kept


async def test_event_pattern(eb: EventBridge, call: Call, input: Members) -> Members:
    pattern = rules.check_pattern(input["EventPattern"])
    event = entries.check_event(input["Event"])
    if event is None or not isinstance(event.get("resources"), list):
        # ``resources`` is one of the fields the API reference requires of the event.
        raise ValidationException("Parameter Event is not valid.")
    if event["account"] != eb.core.account.account_id:
        raise ValidationException(
            "Parameter Event is not valid. Reason: Event account must match the caller's account."
        )
    return {"Result": pattern.matches(event)}


# --- rules -------------------------------------------------------------------------------------


async def put_rule(eb: EventBridge, call: Call, input: Members) -> Members:
    if input.get("RoleArn"):
        _pass_roles(eb, call, [input["RoleArn"]])
    arn = await rules.put_rule(eb.core, input)
    eb.scheduler.wake()
    return {"RuleArn": arn}


async def describe_rule(eb: EventBridge, call: Call, input: Members) -> Members:
    _, rule = eb.core.rule(input["Name"], input.get("EventBusName"))
    out = rules.describe(eb.core, rule)
    out["CreatedBy"] = eb.core.account.account_id
    return out


async def list_rules(eb: EventBridge, call: Call, input: Members) -> Members:
    bus = eb.core.bus(input.get("EventBusName"))
    prefix = input.get("NamePrefix") or ""
    found = sorted(
        (r for r in bus.rules.values() if r.name.startswith(prefix)), key=lambda r: r.name
    )
    items, following = _paged(found, [r.name for r in found], input)
    out: Members = {"Rules": [rules.describe(eb.core, r) for r in items]}
    if following:
        out["NextToken"] = following
    return out


async def delete_rule(eb: EventBridge, call: Call, input: Members) -> Members:
    await rules.delete_rule(
        eb.core, input["Name"], input.get("EventBusName"), bool(input.get("Force"))
    )
    return {}


async def enable_rule(eb: EventBridge, call: Call, input: Members) -> Members:
    await rules.set_state(eb.core, input["Name"], input.get("EventBusName"), "ENABLED")
    eb.scheduler.wake()
    return {}


async def disable_rule(eb: EventBridge, call: Call, input: Members) -> Members:
    await rules.set_state(eb.core, input["Name"], input.get("EventBusName"), "DISABLED")
    return {}


async def list_rule_names_by_target(eb: EventBridge, call: Call, input: Members) -> Members:
    found = rules.rule_names_by_target(eb.core, input.get("EventBusName"), input["TargetArn"])
    items, following = _paged(found, found, input)
    out: Members = {"RuleNames": items}
    if following:
        out["NextToken"] = following
    return out


# --- targets -----------------------------------------------------------------------------------


async def put_targets(eb: EventBridge, call: Call, input: Members) -> Members:
    _pass_roles(eb, call, sorted({t["RoleArn"] for t in input["Targets"] if t.get("RoleArn")}))
    failed = await rules.put_targets(
        eb.core, input["Rule"], input.get("EventBusName"), input["Targets"]
    )
    return {"FailedEntryCount": len(failed), "FailedEntries": failed}


async def remove_targets(eb: EventBridge, call: Call, input: Members) -> Members:
    failed = await rules.remove_targets(
        eb.core, input["Rule"], input.get("EventBusName"), input["Ids"]
    )
    return {"FailedEntryCount": len(failed), "FailedEntries": failed}


async def list_targets_by_rule(eb: EventBridge, call: Call, input: Members) -> Members:
    _, rule = eb.core.rule(input["Rule"], input.get("EventBusName"))
    found = list(rule.targets)
    keys = [f"{i:04d}" for i in range(len(found))]
    items, following = _paged(found, keys, input)
    out: Members = {"Targets": [dict(t) for t in items]}
    if following:
        out["NextToken"] = following
    return out
