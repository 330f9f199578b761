"""The CloudWatch Logs operations that write a client's own logs: CreateLogStream,
PutLogEvents (sequence tokens ignored, as CloudWatch Logs ignores them now: see
``ingest.py``) and DeleteLogStream."""

from __future__ import annotations

from altus.api.spec import Call, Members
from altus.logs.component import Logs
from altus.logs.errors import ResourceAlreadyExists, stream_not_found
from altus.logs.ingest import plan_batch


async def create_log_stream(logs: Logs, call: Call, body: Members) -> Members:
    group, stream = str(body["logGroupName"]), str(body["logStreamName"])
    if not await logs.groups.create_stream(group, stream, logs.now_ms()):
        raise ResourceAlreadyExists("The specified log stream already exists")
    return {}


async def delete_log_stream(logs: Logs, call: Call, body: Members) -> Members:
    group = await logs.groups.get(str(body["logGroupName"]))
    if not await logs.store.delete_stream(group.name, str(body["logStreamName"])):
        raise stream_not_found()
    return {}


async def put_log_events(logs: Logs, call: Call, body: Members) -> Members:
    group = await logs.groups.get(str(body["logGroupName"]))
    now = logs.now_ms()
    batch = plan_batch(body["logEvents"], now, group.settings.retention_days)
    if not await logs.store.put_events(group.name, str(body["logStreamName"]), batch.accepted, now):
        raise stream_not_found()
    # Never checked: a token only because clients still read one.
    out: Members = {"nextSequenceToken": f"{now:056d}"}
    if batch.rejected:
        out["rejectedLogEventsInfo"] = dict(batch.rejected)
    return out
