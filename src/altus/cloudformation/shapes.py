"""Stacks, resources, events and change sets as CloudFormation's API shows them (members
by the model's names; NoEcho parameters masked)."""

from __future__ import annotations

import datetime
from typing import Any

from altus.api.spec import Members
from altus.cloudformation.model import ChangeSet, Parameter, Resource, Stack, StackEvent

MASK = "****"


def when(moment: float) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(moment, datetime.UTC)


def _given(members: Members, **optional: Any) -> Members:
    """``members`` with each optional member that has a value (None and "" have none)."""
    members.update({name: value for name, value in optional.items() if value not in (None, "")})
    return members


def parameters(items: list[Parameter]) -> list[Members]:
    shown: list[Members] = []
    for item in items:
        member: Members = {
            "ParameterKey": item.key,
            "ParameterValue": MASK if item.no_echo else item.value,
        }
        if item.resolved is not None:
            member["ResolvedValue"] = MASK if item.no_echo else item.resolved
        shown.append(member)
    return shown


def stack(found: Stack) -> Members:
    members: Members = {
        "StackId": found.stack_id,
        "StackName": found.name,
        "CreationTime": when(found.created),
        "StackStatus": found.status,
        "DisableRollback": found.disable_rollback,
        "NotificationARNs": list(found.notification_arns),
        "Capabilities": list(found.capabilities),
        "Tags": [dict(t) for t in found.tags],
        "EnableTerminationProtection": found.termination_protection,
        "RollbackConfiguration": {},
        "DriftInformation": {"StackDriftStatus": "NOT_CHECKED"},
    }
    _given(
        members,
        Parameters=parameters(found.parameters) if found.parameters else None,
        ChangeSetId=found.change_set_id,
        Description=found.description,
        StackStatusReason=found.reason,
        LastUpdatedTime=when(found.updated) if found.updated is not None else None,
        DeletionTime=when(found.deleted) if found.deleted is not None else None,
        TimeoutInMinutes=found.timeout_minutes,
        RoleARN=found.role_arn,
    )
    # SAM CLI reads Outputs on every stack it describes: always give the list.
    members["Outputs"] = [
        {
            "OutputKey": o.key,
            "OutputValue": o.value,
            **({"Description": o.description} if o.description is not None else {}),
            **({"ExportName": o.export_name} if o.export_name else {}),
        }
        for o in found.outputs
    ]
    return members


def summary(found: Stack) -> Members:
    members: Members = {
        "StackId": found.stack_id,
        "StackName": found.name,
        "CreationTime": when(found.created),
        "StackStatus": found.status,
        "DriftInformation": {"StackDriftStatus": "NOT_CHECKED"},
    }
    return _given(
        members,
        TemplateDescription=found.description,
        StackStatusReason=found.reason,
        LastUpdatedTime=when(found.updated) if found.updated is not None else None,
        DeletionTime=when(found.deleted) if found.deleted is not None else None,
    )


def resource(owner: Stack, found: Resource, *, detail: bool = False) -> Members:
    members: Members = {
        "StackName": owner.name,
        "StackId": owner.stack_id,
        "LogicalResourceId": found.logical_id,
        "ResourceType": found.type,
        "ResourceStatus": found.status,
        "DriftInformation": {"StackResourceDriftStatus": "NOT_CHECKED"},
    }
    _given(members, PhysicalResourceId=found.physical_id, ResourceStatusReason=found.reason)
    stamp = when(found.updated or owner.created)
    if detail:
        members["LastUpdatedTimestamp"] = stamp
        if found.metadata is not None:
            import json

            members["Metadata"] = json.dumps(found.metadata)
    else:
        members["Timestamp"] = stamp
    return members


def resource_summary(found: Resource, owner: Stack) -> Members:
    members: Members = {
        "LogicalResourceId": found.logical_id,
        "ResourceType": found.type,
        "LastUpdatedTimestamp": when(found.updated or owner.created),
        "ResourceStatus": found.status,
        "DriftInformation": {"StackResourceDriftStatus": "NOT_CHECKED"},
    }
    return _given(members, PhysicalResourceId=found.physical_id, ResourceStatusReason=found.reason)


def event(found: StackEvent) -> Members:
    members: Members = {
        "StackId": found.stack_id,
        "EventId": found.event_id,
        "StackName": found.stack_name,
        "LogicalResourceId": found.logical_id,
        "ResourceType": found.resource_type,
        "Timestamp": when(found.timestamp),
        "ResourceStatus": found.status,
    }
    return _given(
        members,
        PhysicalResourceId=found.physical_id,
        ResourceStatusReason=found.reason,
        ResourceProperties=found.properties,
        ClientRequestToken=found.token,
    )


def change_set(found: ChangeSet) -> Members:
    members: Members = {
        "ChangeSetName": found.name,
        "ChangeSetId": found.change_set_id,
        "StackId": found.stack_id,
        "StackName": found.stack_name,
        "CreationTime": when(found.created),
        "ExecutionStatus": found.execution_status,
        "Status": found.status,
        "NotificationARNs": list(found.notification_arns),
        "Capabilities": list(found.capabilities),
        "Changes": found.changes,
        "RollbackConfiguration": {},
        "IncludeNestedStacks": False,
    }
    return _given(
        members,
        Parameters=parameters(found.parameters) if found.parameters else None,
        Description=found.description,
        StatusReason=found.reason,
        Tags=found.tags,
        OnStackFailure=found.on_stack_failure,
    )


def change_set_summary(found: ChangeSet) -> Members:
    members: Members = {
        "StackId": found.stack_id,
        "StackName": found.stack_name,
        "ChangeSetId": found.change_set_id,
        "ChangeSetName": found.name,
        "ExecutionStatus": found.execution_status,
        "Status": found.status,
        "CreationTime": when(found.created),
        "IncludeNestedStacks": False,
    }
    return _given(members, StatusReason=found.reason, Description=found.description)


def template_parameters(template: dict[str, Any]) -> list[Members]:
    """ValidateTemplate's and GetTemplateSummary's view of the Parameters section."""
    shown: list[Members] = []
    for key, declared in (template.get("Parameters") or {}).items():
        member: Members = {
            "ParameterKey": key,
            "NoEcho": str(declared.get("NoEcho", "false")).lower() == "true",
        }
        if "Default" in declared:
            member["DefaultValue"] = MASK if member["NoEcho"] else _text(declared["Default"])
        if "Description" in declared:
            member["Description"] = str(declared["Description"])
        shown.append(member)
    return shown


def summary_parameters(template: dict[str, Any]) -> list[Members]:
    shown: list[Members] = []
    for key, declared in (template.get("Parameters") or {}).items():
        member: Members = {
            "ParameterKey": key,
            "ParameterType": str(declared.get("Type", "String")),
            "NoEcho": str(declared.get("NoEcho", "false")).lower() == "true",
            "ParameterConstraints": {},
        }
        if "AllowedValues" in declared:
            member["ParameterConstraints"] = {
                "AllowedValues": [_text(v) for v in declared["AllowedValues"]]
            }
        if "Default" in declared:
            member["DefaultValue"] = MASK if member["NoEcho"] else _text(declared["Default"])
        if "Description" in declared:
            member["Description"] = str(declared["Description"])
        shown.append(member)
    return shown


def _text(value: Any) -> str:
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
