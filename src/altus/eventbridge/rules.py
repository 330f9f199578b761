"""Rules and their targets: PutRule (a pattern, or a schedule on the default bus),
Describe/List/Delete/Enable/Disable, PutTargets (at most five per rule) and
RemoveTargets, in EventBridge's words. Each change is written before memory takes it."""

from __future__ import annotations

import dataclasses
import datetime
import json
from collections.abc import Mapping, Sequence
from typing import Any

from altus import schedules
from altus.arns import parse_arn
from altus.eventbridge import names, transform
from altus.eventbridge.errors import (
    InvalidEventPattern,
    LimitExceeded,
    ValidationException,
)
from altus.eventbridge.model import DropRule, PutRule, Rule
from altus.eventbridge.state import BusState, Core
from altus.events.patterns import Pattern, PatternError

#: Targets a rule may have.
MAX_TARGETS = 5
#: The services a target may be (the rest are refused: Altus cannot deliver to them).
TARGET_SERVICES = ("lambda", "sqs", "sns", "events", "states")


def check_pattern(text: str) -> Pattern:
    try:
        return Pattern.parse(text)
    except PatternError as error:
        raise InvalidEventPattern(f"Event pattern is not valid. Reason: {error}") from None


def parse_schedule(text: str) -> schedules.Schedule:
    try:
        return schedules.parse(text, "events")
    except schedules.ScheduleError as error:
        raise ValidationException(error.message) from None


def next_fire(schedule: schedules.Schedule, after_ms: int, anchor_ms: int) -> int | None:
    """The first due time (epoch ms) strictly after ``after_ms``; a rate counts from
    ``anchor_ms`` (the rule's creation, or the last change of its schedule)."""
    utc = datetime.UTC
    moment = datetime.datetime.fromtimestamp(after_ms / 1000, tz=utc)
    anchor = datetime.datetime.fromtimestamp(anchor_ms / 1000, tz=utc)
    due = schedule.next_after(moment, None, anchor=anchor)
    return None if due is None else int(due.timestamp() * 1000)


async def put_rule(core: Core, members: Mapping[str, Any]) -> str:
    name = members["Name"]
    pattern = members.get("EventPattern")
    expression = members.get("ScheduleExpression")
    if not pattern and not expression:
        raise ValidationException(
            "Parameter(s) EventPattern or ScheduleExpression must be specified."
        )
    async with core.admin:
        bus = core.bus(members.get("EventBusName"))
        if expression and bus.bus.name != names.DEFAULT_BUS:
            raise ValidationException(
                "ScheduleExpression is supported only on the default event bus."
            )
        if pattern:
            check_pattern(pattern)
        schedule = parse_schedule(expression) if expression else None
        now = core.now_ms()
        old = bus.rules.get(name)
        fire: int | None = None
        if schedule is not None:
            if old is not None and old.schedule == expression and old.next_fire_ms is not None:
                fire = old.next_fire_ms
            else:
                fire = next_fire(schedule, now, now)
        rule = Rule(
            bus=bus.bus.name,
            name=name,
            event_pattern=pattern or None,
            schedule=expression or None,
            # PutRule replaces the rule: what the call omits is not kept (its API
            # reference), so State is ENABLED again and Description and RoleArn go.
            # Targets and tags are not PutRule's to change.
            state=members.get("State") or "ENABLED",
            description=members.get("Description"),
            role_arn=members.get("RoleArn"),
            tags=old.tags
            if old
            else tuple((t["Key"], t["Value"]) for t in members.get("Tags") or ()),
            targets=old.targets if old else (),
            created_ms=old.created_ms if old else now,
            next_fire_ms=fire,
        )
        await _save(core, bus, rule)
        return core.rule_arn(bus.bus.name, name)


async def _save(core: Core, bus: BusState, rule: Rule) -> None:
    def applied() -> None:
        bus.put_rule(rule)

    await core.write([PutRule(rule)], applied)


def describe(core: Core, rule: Rule) -> dict[str, Any]:
    out: dict[str, Any] = {
        "Name": rule.name,
        "Arn": core.rule_arn(rule.bus, rule.name),
        "State": rule.state,
        "EventBusName": rule.bus,
    }
    if rule.event_pattern is not None:
        out["EventPattern"] = rule.event_pattern
    if rule.schedule is not None:
        out["ScheduleExpression"] = rule.schedule
    if rule.description is not None:
        out["Description"] = rule.description
    if rule.role_arn is not None:
        out["RoleArn"] = rule.role_arn
    return out


async def delete_rule(core: Core, name: str, bus_member: str | None, force: bool) -> None:
    async with core.admin:
        bus = core.bus(bus_member)
        rule = bus.rules.get(name)
        if rule is None:
            return  # as on AWS: deleting a rule that is not there succeeds
        if rule.targets:
            raise ValidationException("Rule can't be deleted since it has targets.")

        def applied() -> None:
            bus.drop_rule(name)

        await core.write([DropRule(bus.bus.name, name)], applied)


async def set_state(core: Core, name: str, bus_member: str | None, state: str) -> None:
    async with core.admin:
        bus, rule = core.rule(name, bus_member)
        if rule.state != state:
            await _save(core, bus, dataclasses.replace(rule, state=state))


# --- targets -----------------------------------------------------------------------------------


def _target_problem(core: Core, rule: Rule, target: Mapping[str, Any]) -> tuple[str, str] | None:
    """(ErrorCode, ErrorMessage) of a target PutTargets refuses on its own, else None."""
    arn = parse_arn(str(target["Arn"]))
    if arn is None or arn.service not in TARGET_SERVICES:
        return (
            "ValidationException",
            f"Target {target['Id']}: Altus delivers to functions, queues, topics, event buses "
            "and state machines only.",
        )
    if arn.service == "events" and str(target["Arn"]) == core.bus_arn(rule.bus):
        # It could only send the bus's events back to it (a loop, which AWS's rule
        # against routing events onward from a bus target cuts after one turn).
        return (
            "ValidationException",
            f"Target {target['Id']}: a rule cannot target its own event bus.",
        )
    group = (target.get("SqsParameters") or {}).get("MessageGroupId")
    if arn.service == "sqs" and arn.resource.endswith(".fifo") and not group:
        return (
            "ValidationException",
            f"Parameter(s) SqsParameters must be specified for target: {target['Id']}.",
        )
    return None


def _check_input(target: Mapping[str, Any]) -> None:
    """What refuses the whole PutTargets request, as AWS's does."""
    given = [m for m in ("Input", "InputPath", "InputTransformer") if target.get(m) is not None]
    if len(given) > 1:
        raise ValidationException(
            "Only one of Input, InputPath, or InputTransformer must be provided."
        )
    if target.get("Input") is not None:
        try:
            json.loads(target["Input"])
        except ValueError:
            raise ValidationException(
                f"Parameter Input is not valid for target: {target['Id']}: it must be JSON."
            ) from None
    path = target.get("InputPath")
    if path is not None and not transform.check_path(path):
        raise ValidationException(f"Target InputPath {path} is not a valid JSON path.")
    transformer = target.get("InputTransformer")
    if transformer is not None:
        paths = transformer.get("InputPathsMap") or {}
        for key, value in paths.items():
            if key.startswith(transform.RESERVED_PREFIX):
                raise ValidationException(
                    f"Input path map key {key} is reserved: keys may not start with aws."
                )
            if not transform.check_path(value):
                raise ValidationException(f"Input path map value {value} is not a valid JSON path.")
        problem = transform.check_template(str(transformer["InputTemplate"]), paths)
        if problem is not None:
            raise ValidationException(
                f"InputTemplate for target {target['Id']} contains invalid JSON: {problem}"
            )
    dead_letter = (target.get("DeadLetterConfig") or {}).get("Arn")
    if dead_letter is not None:
        parsed = parse_arn(dead_letter)
        if parsed is None or parsed.service != "sqs" or parsed.resource.endswith(".fifo"):
            raise ValidationException(
                "The dead-letter queue must be the ARN of a standard SQS queue."
            )


async def put_targets(
    core: Core, rule_name: str, bus_member: str | None, targets: Sequence[Mapping[str, Any]]
) -> list[dict[str, str]]:
    """Adds or replaces (by Id) the targets; the FailedEntries of those refused."""
    async with core.admin:
        bus, rule = core.rule(rule_name, bus_member)
        seen: set[str] = set()
        for target in targets:
            if str(target["Id"]) in seen:
                raise ValidationException(
                    f"The request contains the target Id {target['Id']} more than once."
                )
            seen.add(str(target["Id"]))
            _check_input(target)
        failed: list[dict[str, str]] = []
        kept = {str(t["Id"]): t for t in rule.targets}
        for target in targets:
            problem = _target_problem(core, rule, target)
            if problem is not None:
                failed.append(
                    {
                        "TargetId": str(target["Id"]),
                        "ErrorCode": problem[0],
                        "ErrorMessage": problem[1],
                    }
                )
                continue
            kept[str(target["Id"])] = dict(target)
        if len(kept) > MAX_TARGETS:
            raise LimitExceeded("The requested resource exceeds the maximum number allowed.")
        updated = dataclasses.replace(rule, targets=tuple(kept.values()))
        await _save(core, bus, updated)
        return failed


async def remove_targets(
    core: Core, rule_name: str, bus_member: str | None, ids: Sequence[str]
) -> list[dict[str, str]]:
    async with core.admin:
        bus, rule = core.rule(rule_name, bus_member)
        present = {str(t["Id"]) for t in rule.targets}
        failed = [
            {
                "TargetId": target_id,
                "ErrorCode": "ResourceNotFoundException",
                "ErrorMessage": f"Target {target_id} does not exist on rule {rule_name}.",
            }
            for target_id in ids
            if target_id not in present
        ]
        removing = set(ids)
        updated = dataclasses.replace(
            rule, targets=tuple(t for t in rule.targets if str(t["Id"]) not in removing)
        )
        await _save(core, bus, updated)
        return failed


def rule_names_by_target(core: Core, bus_member: str | None, target_arn: str) -> list[str]:
    bus = core.bus(bus_member)
    return sorted(
        name
        for name, rule in bus.rules.items()
        if any(t.get("Arn") == target_arn for t in rule.targets)
    )
