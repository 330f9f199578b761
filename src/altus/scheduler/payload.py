"""What an occurrence hands its target: the target's ``Input`` with Scheduler's context
attributes filled in, or, for an event bus, the event Scheduler puts on it.

- Context attributes (Scheduler user guide, "Adding context attributes"):
  ``<aws.scheduler.schedule-arn>``, ``<aws.scheduler.scheduled-time>`` (the occurrence's
  scheduled time, ``2022-03-22T18:59:43Z``), ``<aws.scheduler.execution-id>`` (one per
  occurrence) and ``<aws.scheduler.attempt-number>`` (1 for the first attempt), replaced
  as text wherever they appear in the input.
- Without an ``Input``, AWS sends an undocumented default; Altus sends ``{}``.
- An event bus target (``EventBridgeParameters``) gets a PutEvents entry as an event:
  the given ``Source`` and ``DetailType``, the input as ``detail``, the scheduled time as
  ``time`` and the schedule's ARN in ``resources`` (Altus's reading: AWS does not
  document the entry's Resources).
"""

from __future__ import annotations

import datetime
import json
import uuid
from collections.abc import Mapping
from typing import Any

from altus.arns import Account

DEFAULT_INPUT = "{}"


def iso(ms: int) -> str:
    """``2022-03-22T18:59:43Z``: whole seconds, UTC."""
    moment = datetime.datetime.fromtimestamp(ms // 1000, tz=datetime.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def render(
    account: Account,
    target: Mapping[str, Any],
    schedule_arn: str,
    scheduled_ms: int,
    execution_id: str,
    attempt: int,
) -> str:
    """The payload of attempt number ``attempt`` (1 for the first)."""
    text = str(target.get("Input") or DEFAULT_INPUT)
    for name, value in (
        ("schedule-arn", schedule_arn),
        ("scheduled-time", iso(scheduled_ms)),
        ("execution-id", execution_id),
        ("attempt-number", str(attempt)),
    ):
        text = text.replace(f"<aws.scheduler.{name}>", value)
    parameters = target.get("EventBridgeParameters")
    if parameters is None:
        return text
    try:
        detail: Any = json.loads(text)
    except ValueError:
        detail = text
    event = {
        "version": "0",
        "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{execution_id}/{attempt}")),
        "detail-type": parameters["DetailType"],
        "source": parameters["Source"],
        "account": account.account_id,
        "time": iso(scheduled_ms),
        "region": account.region,
        "resources": [schedule_arn],
        "detail": detail,
    }
    return json.dumps(event, separators=(",", ":"))
