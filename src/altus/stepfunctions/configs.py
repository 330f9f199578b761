"""The settings a state machine is created or updated with, checked and given their
defaults as AWS shows them (``loggingConfiguration`` ``{"level": "OFF",
"includeExecutionData": false}``, ``tracingConfiguration`` ``{"enabled": false}``), and
tags.

A log level other than OFF needs exactly one destination, a CloudWatch Logs log group
ARN (AWS's rule; its wording of the refusal was not found: Altus's). A role must be an
ARN (``InvalidArn``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from altus.arns import parse_arn
from altus.stepfunctions.errors import InvalidLoggingConfiguration, invalid_arn, too_many_tags

#: Tags a resource may have (AWS's quota).
MAX_TAGS = 50

Tags = tuple[tuple[str, str], ...]


def role(arn: str) -> str:
    if parse_arn(arn) is None:
        raise invalid_arn(arn)
    return arn


def logging(given: Mapping[str, Any] | None) -> dict[str, Any]:
    config: dict[str, Any] = {"level": "OFF", "includeExecutionData": False}
    if given:
        config.update({k: v for k, v in given.items() if v is not None})
    destinations = config.get("destinations") or []
    if config["level"] != "OFF" and len(destinations) != 1:
        raise InvalidLoggingConfiguration(
            "Invalid Logging Configuration: Must specify exactly one Log Destination."
        )
    for destination in destinations:
        group = (destination.get("cloudWatchLogsLogGroup") or {}).get("logGroupArn")
        found = parse_arn(group) if isinstance(group, str) else None
        if found is None or found.service != "logs" or not found.resource.startswith("log-group:"):
            raise InvalidLoggingConfiguration(
                f"Invalid Logging Configuration: Log Destination not a log group ARN: {group}"
            )
    if not destinations:
        config.pop("destinations", None)
    return config


def tracing(given: Mapping[str, Any] | None) -> dict[str, Any]:
    return {"enabled": bool((given or {}).get("enabled", False))}


def encryption(given: Mapping[str, Any] | None) -> dict[str, Any] | None:
    return dict(given) if given else None


def tags(given: Any, arn: str, current: Tags = ()) -> Tags:
    """``current`` with ``given`` (the API's ``[{"key", "value"}]``) set over it; over the
    quota is TooManyTags."""
    merged = dict(current)
    for tag in given or ():
        merged[str(tag["key"])] = str(tag.get("value") or "")
    if len(merged) > MAX_TAGS:
        raise too_many_tags(arn)
    return tuple(merged.items())


def shown_tags(given: Tags) -> list[dict[str, str]]:
    return [{"key": key, "value": value} for key, value in given]
