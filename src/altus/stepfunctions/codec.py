"""Step Functions' records as the JSON the store keeps them in (one document per row,
beside the columns queries filter on), and back."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from altus.stepfunctions.model import (
    Activity,
    Alias,
    Execution,
    Revision,
    StateMachine,
    TaskToken,
    Version,
)


def compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, sort_keys=True)


def revision_doc(revision: Revision) -> dict[str, Any]:
    return {
        "machine_arn": revision.machine_arn,
        "revision_id": revision.revision_id,
        "definition": revision.definition,
        "role_arn": revision.role_arn,
        "logging": dict(revision.logging),
        "tracing": dict(revision.tracing),
        "encryption": dict(revision.encryption) if revision.encryption is not None else None,
        "updated": revision.updated,
    }


def revision_of(data: dict[str, Any]) -> Revision:
    return Revision(
        machine_arn=data["machine_arn"],
        revision_id=data["revision_id"],
        definition=data["definition"],
        role_arn=data["role_arn"],
        logging=data["logging"],
        tracing=data["tracing"],
        encryption=data["encryption"],
        updated=float(data["updated"]),
    )


def _tags(data: Any) -> tuple[tuple[str, str], ...]:
    return tuple((str(k), str(v)) for k, v in data)


def machine_body(machine: StateMachine) -> str:
    return compact(
        {
            "arn": machine.arn,
            "name": machine.name,
            "type": machine.type,
            "created": machine.created,
            "revision": revision_doc(machine.revision),
            "status": machine.status,
            "tags": [list(pair) for pair in machine.tags],
            "created_publish": machine.created_publish,
            "created_description": machine.created_description,
            "next_version": machine.next_version,
        }
    )


def machine_of(body: str) -> StateMachine:
    data = json.loads(body)
    return StateMachine(
        arn=data["arn"],
        name=data["name"],
        type=data["type"],
        created=float(data["created"]),
        revision=revision_of(data["revision"]),
        status=data["status"],
        tags=_tags(data["tags"]),
        created_publish=bool(data["created_publish"]),
        created_description=data["created_description"],
        next_version=int(data["next_version"]),
    )


def version_body(version: Version) -> str:
    return compact(
        {
            "arn": version.arn,
            "machine_arn": version.machine_arn,
            "number": version.number,
            "revision": revision_doc(version.revision),
            "created": version.created,
            "description": version.description,
        }
    )


def version_of(body: str) -> Version:
    data = json.loads(body)
    return Version(
        arn=data["arn"],
        machine_arn=data["machine_arn"],
        number=int(data["number"]),
        revision=revision_of(data["revision"]),
        created=float(data["created"]),
        description=data["description"],
    )


def alias_body(alias: Alias) -> str:
    return compact(
        {
            "arn": alias.arn,
            "machine_arn": alias.machine_arn,
            "name": alias.name,
            "routing": [list(pair) for pair in alias.routing],
            "created": alias.created,
            "updated": alias.updated,
            "description": alias.description,
        }
    )


def alias_of(body: str) -> Alias:
    data = json.loads(body)
    return Alias(
        arn=data["arn"],
        machine_arn=data["machine_arn"],
        name=data["name"],
        routing=tuple((str(arn), int(weight)) for arn, weight in data["routing"]),
        created=float(data["created"]),
        updated=float(data["updated"]),
        description=data["description"],
    )


def activity_body(activity: Activity) -> str:
    return compact(
        {
            "arn": activity.arn,
            "name": activity.name,
            "created": activity.created,
            "tags": [list(pair) for pair in activity.tags],
            "encryption": dict(activity.encryption) if activity.encryption is not None else None,
        }
    )


def activity_of(body: str) -> Activity:
    data = json.loads(body)
    return Activity(
        arn=data["arn"],
        name=data["name"],
        created=float(data["created"]),
        tags=_tags(data["tags"]),
        encryption=data["encryption"],
    )


def execution_body(execution: Execution) -> str:
    return compact(dataclasses.asdict(execution))


def execution_of(body: str) -> Execution:
    data = json.loads(body)
    return Execution(**data)


def token_body(token: TaskToken) -> str:
    return compact({**dataclasses.asdict(token), "extra": dict(token.extra)})


def token_of(body: str) -> TaskToken:
    data = json.loads(body)
    return TaskToken(**data)
