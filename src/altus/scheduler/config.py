"""A schedule's configuration from CreateSchedule's or UpdateSchedule's members: what
the model cannot check, checked here (the expression, the zone, the flexible window,
the dates, the target's input and parameters), and the members kept as JSON-ready data
(dates as epoch milliseconds) for GetSchedule to give back.

Texts: ``Invalid Schedule Expression <expr>.`` is AWS's (``altus.schedules``); the
others are Altus's, AWS's own wording for them was not found.
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Mapping
from typing import Any

from altus.arns import parse_arn
from altus.scheduler.errors import ValidationException
from altus.schedules import ScheduleError, parse, parse_timezone

#: Members of a schedule that GetSchedule gives back as they were set.
KEPT = (
    "ScheduleExpression",
    "ScheduleExpressionTimezone",
    "Description",
    "State",
    "KmsKeyArn",
    "Target",
    "FlexibleTimeWindow",
    "ActionAfterCompletion",
)
DATES = ("StartDate", "EndDate")
_CONTEXT = re.compile(r"<aws\.scheduler\.[a-z-]+>")
#: Targets whose input must be JSON (AWS: Lambda, Step Functions, EventBridge).
JSON_INPUT = ("lambda", "states", "events")


def _ms(moment: datetime.datetime) -> int:
    return int(moment.timestamp() * 1000)


def build(members: Mapping[str, Any]) -> dict[str, Any]:
    """The configuration the members describe. Raises ValidationException."""
    config: dict[str, Any] = {k: members[k] for k in KEPT if members.get(k) is not None}
    for name in DATES:
        if members.get(name) is not None:
            config[name] = _ms(members[name])
    config.setdefault("State", "ENABLED")
    config.setdefault("ActionAfterCompletion", "NONE")
    try:
        parse(str(config["ScheduleExpression"]), "scheduler")
        zone = config.get("ScheduleExpressionTimezone")
        if zone is not None:
            parse_timezone(str(zone))
    except ScheduleError as error:
        raise ValidationException(error.message) from None
    _check_window(config["FlexibleTimeWindow"])
    start, end = config.get("StartDate"), config.get("EndDate")
    if start is not None and end is not None and end <= start:
        raise ValidationException("The EndDate must be later than the StartDate.")
    _check_target(config["Target"])
    return config


def _check_window(window: Mapping[str, Any]) -> None:
    flexible = window["Mode"] == "FLEXIBLE"
    if flexible and window.get("MaximumWindowInMinutes") is None:
        raise ValidationException(
            "MaximumWindowInMinutes is required when FlexibleTimeWindow Mode is FLEXIBLE."
        )
    if not flexible and window.get("MaximumWindowInMinutes") is not None:
        raise ValidationException(
            "MaximumWindowInMinutes is not allowed when FlexibleTimeWindow Mode is OFF."
        )


def _check_target(target: Mapping[str, Any]) -> None:
    parsed = parse_arn(str(target["Arn"]))
    service = parsed.service if parsed is not None else ""
    given = target.get("Input")
    if service in JSON_INPUT and given is not None:
        try:
            # Context attributes stand for values: a bare one (an attempt number) is JSON.
            json.loads(_CONTEXT.sub("0", given))
        except ValueError:
            raise ValidationException(
                f"Target Input must be valid JSON for the target {target['Arn']}."
            ) from None
    if (
        service == "sqs"
        and str(target["Arn"]).endswith(".fifo")
        and not (target.get("SqsParameters") or {}).get("MessageGroupId")
    ):
        # Refused here rather than at every fire (where the hand-off could only give the
        # occurrence up); Altus's wording, AWS's was not found.
        raise ValidationException(
            f"SqsParameters.MessageGroupId is required to target the FIFO queue {target['Arn']}."
        )
    if service == "events" and target.get("EventBridgeParameters") is None:
        raise ValidationException(
            "EventBridgeParameters (DetailType, Source) are required to target an event bus."
        )
