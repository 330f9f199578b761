"""A bucket's notification configuration: checked as S3 checks it when it is put, and
matched against what happens to an object (pure).

Each configuration names one destination (a function, a queue or a topic), the events
it wants (``s3:ObjectCreated:*`` covers every ``s3:ObjectCreated:...``) and at most one
key prefix and one suffix, compared with the key as event records encode it (a space
as ``+``). Two configurations that share an event type must not both match one key
(their prefixes overlap when one begins the other, or either has none; their suffixes
likewise), as on S3.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from altus.arns import parse_arn
from altus.s3.errors import InvalidArgument
from altus.s3.names import event_key

#: Configuration list member -> (its ARN member, the ARN's service, the outbox kind).
KINDS = {
    "LambdaFunctionConfigurations": ("LambdaFunctionArn", "lambda", "lambda"),
    "QueueConfigurations": ("QueueArn", "sqs", "sqs"),
    "TopicConfigurations": ("TopicArn", "sns", "sns"),
}

EVENTS = frozenset(
    {
        "s3:TestEvent",
        "s3:ObjectCreated:*",
        "s3:ObjectCreated:Put",
        "s3:ObjectCreated:Post",
        "s3:ObjectCreated:Copy",
        "s3:ObjectCreated:CompleteMultipartUpload",
        "s3:ObjectRemoved:*",
        "s3:ObjectRemoved:Delete",
        "s3:ObjectRemoved:DeleteMarkerCreated",
        "s3:ObjectRestore:*",
        "s3:ObjectRestore:Post",
        "s3:ObjectRestore:Completed",
        "s3:ObjectRestore:Delete",
        "s3:ReducedRedundancyLostObject",
        "s3:Replication:*",
        "s3:Replication:OperationFailedReplication",
        "s3:Replication:OperationNotTracked",
        "s3:Replication:OperationMissedThreshold",
        "s3:Replication:OperationReplicatedAfterThreshold",
        "s3:LifecycleExpiration:*",
        "s3:LifecycleExpiration:Delete",
        "s3:LifecycleExpiration:DeleteMarkerCreated",
        "s3:LifecycleTransition",
        "s3:IntelligentTiering",
        "s3:ObjectTagging:*",
        "s3:ObjectTagging:Put",
        "s3:ObjectTagging:Delete",
        "s3:ObjectAcl:Put",
    }
)

OVERLAP = (
    "Configurations overlap. Configurations on the same bucket cannot share a common event type."
)


@dataclass(frozen=True, slots=True)
class Destination:
    """One configuration as matching reads it."""

    id: str
    kind: str
    arn: str
    events: tuple[str, ...]
    prefix: str
    suffix: str

    def wants(self, event: str, key: str) -> bool:
        if not any(covers(mine, event) for mine in self.events):
            return False
        encoded = event_key(key)
        return encoded.startswith(self.prefix) and encoded.endswith(self.suffix)


def covers(configured: str, event: str) -> bool:
    """Whether a configured event type (perhaps a ``:*`` wildcard) covers ``event``."""
    if configured == event:
        return True
    if configured.endswith(":*"):
        return event.startswith(configured[:-1])
    return False


def _invalid(message: str, name: str | None = None, value: str | None = None) -> InvalidArgument:
    fields = {}
    if name is not None:
        fields["ArgumentName"] = name
    if value is not None:
        fields["ArgumentValue"] = value
    return InvalidArgument(message, **fields)


def _rules(config: Mapping[str, Any]) -> tuple[str, str]:
    rules = ((config.get("Filter") or {}).get("Key") or {}).get("FilterRules") or []
    prefix: str | None = None
    suffix: str | None = None
    for rule in rules:
        name = str(rule.get("Name") or "").lower()
        value = str(rule.get("Value") or "")
        if name == "prefix":
            if prefix is not None:
                raise _invalid(
                    "Cannot specify more than one prefix rule in a filter.", "FilterRule", "prefix"
                )
            prefix = value
        elif name == "suffix":
            if suffix is not None:
                raise _invalid(
                    "Cannot specify more than one suffix rule in a filter.", "FilterRule", "suffix"
                )
            suffix = value
        else:
            raise _invalid(
                "filter rule name must be either prefix or suffix",
                "FilterRule",
                str(rule.get("Name") or ""),
            )
    return prefix or "", suffix or ""


def destinations(configuration: Mapping[str, Any]) -> Iterator[Destination]:
    """The configurations of a (checked) notification configuration."""
    for member, (arn_member, _, kind) in KINDS.items():
        for config in configuration.get(member) or []:
            prefix, suffix = _rules(config)
            yield Destination(
                str(config.get("Id") or ""),
                kind,
                str(config.get(arn_member) or ""),
                tuple(config.get("Events") or ()),
                prefix,
                suffix,
            )


def checked(configuration: Mapping[str, Any], region: str) -> dict[str, Any]:
    """The configuration to keep (a missing ``Id`` made up, as S3 does), or
    InvalidArgument for what S3 refuses: an unknown event, an ARN of the wrong service
    or region, a filter rule other than one prefix and one suffix, overlapping
    configurations."""
    out: dict[str, Any] = {}
    for member, (arn_member, service, _) in KINDS.items():
        configs = configuration.get(member)
        if not configs:
            continue
        kept = []
        for config in configs:
            arn = str(config.get(arn_member) or "")
            parsed = parse_arn(arn)
            if parsed is None or parsed.service != service:
                raise _invalid("The ARN could not be parsed", arn_member, arn)
            if parsed.region != region:
                raise _invalid(
                    "The notification destination service region is not valid for the "
                    "bucket location constraint",
                    arn_member,
                    arn,
                )
            events = list(config.get("Events") or [])
            if not events:
                raise _invalid("At least one event type must be specified", "Event")
            for event in events:
                if event not in EVENTS or event == "s3:TestEvent":
                    raise _invalid("The event is not supported for notifications", "Event", event)
            _rules(config)
            kept.append({**config, "Id": config.get("Id") or _made_up_id()})
        out[member] = kept
    if configuration.get("EventBridgeConfiguration") is not None:
        out["EventBridgeConfiguration"] = {}
    _no_overlap(list(destinations(out)))
    return out


def _made_up_id() -> str:
    return str(uuid.uuid4())


def _overlapping(a: str, b: str, *, suffix: bool) -> bool:
    if not a or not b:
        return True
    return a.endswith(b) or b.endswith(a) if suffix else a.startswith(b) or b.startswith(a)


def _share_event(a: Destination, b: Destination) -> bool:
    for mine in a.events:
        for theirs in b.events:
            if covers(mine, theirs) or covers(theirs, mine):
                return True
    return False


def _no_overlap(found: list[Destination]) -> None:
    for i, a in enumerate(found):
        for b in found[i + 1 :]:
            if (
                _share_event(a, b)
                and _overlapping(a.prefix, b.prefix, suffix=False)
                and _overlapping(a.suffix, b.suffix, suffix=True)
            ):
                raise _invalid(
                    OVERLAP, "Event", ",".join(sorted(set(a.events) & set(b.events)) or a.events)
                )


def matching(configuration: Mapping[str, Any], event: str, key: str) -> list[Destination]:
    """The configurations an event on ``key`` goes to (``event`` as ``s3:...``)."""
    return [d for d in destinations(configuration) if d.wants(event, key)]
