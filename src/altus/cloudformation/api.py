"""CloudFormation's operations: members in, members out (``operations.py`` starts the
work, ``shapes.py`` shows the results)."""

from __future__ import annotations

from typing import Any

from altus.api.paging import page
from altus.api.service import caller
from altus.api.spec import Call, Members
from altus.cloudformation import operations, shapes
from altus.cloudformation.component import CloudFormation
from altus.cloudformation.errors import ValidationError
from altus.cloudformation.model import DELETE_COMPLETE
from altus.cloudformation.operations import Request, parameters_given
from altus.cloudformation.preparation import parse_body

#: Page sizes CloudFormation uses.
STACKS_PAGE = 100
EVENTS_PAGE = 100
RESOURCES_PAGE = 100


def _invalid_token(token: str) -> ValidationError:
    return ValidationError(f"Invalid NextToken: {token}")


def actor(service: CloudFormation, call: Call) -> str:
    """Who the operation acts as: the caller (the account's root where the caller is
    not known: ``--auth open`` with keys Altus does not hold)."""
    principal = caller(call, service.identity)
    if principal is not None:
        return principal.arn
    return service.account.arn("iam", "root", regional=False)


def _request(service: CloudFormation, call: Call, input: Members) -> Request:
    return Request(
        name=input["StackName"],
        actor=actor(service, call),
        body=input.get("TemplateBody"),
        url=input.get("TemplateURL"),
        use_previous_template=bool(input.get("UsePreviousTemplate")),
        parameters=parameters_given(input.get("Parameters")),
        capabilities=list(input.get("Capabilities") or []),
        notification_arns=input.get("NotificationARNs"),
        tags=input.get("Tags"),
        role_arn=input.get("RoleARN"),
        token=input.get("ClientRequestToken") or input.get("ClientToken"),
        disable_rollback=bool(input.get("DisableRollback")),
        on_failure=input.get("OnFailure"),
        timeout_minutes=input.get("TimeoutInMinutes"),
        termination_protection=bool(input.get("EnableTerminationProtection")),
    )


# --- stacks --------------------------------------------------------------------------------


async def create_stack(service: CloudFormation, call: Call, input: Members) -> Members:
    stack_id = await operations.create_stack(service, _request(service, call, input))
    return {"StackId": stack_id}


async def update_stack(service: CloudFormation, call: Call, input: Members) -> Members:
    stack_id = await operations.update_stack(service, _request(service, call, input))
    return {"StackId": stack_id}


async def delete_stack(service: CloudFormation, call: Call, input: Members) -> Members:
    await operations.delete_stack(
        service,
        input["StackName"],
        actor(service, call),
        list(input.get("RetainResources") or []),
        input.get("RoleARN"),
        input.get("ClientRequestToken"),
    )
    return {}


async def describe_stacks(service: CloudFormation, call: Call, input: Members) -> Members:
    name = input.get("StackName")
    if name:
        return {"Stacks": [shapes.stack(service.find(name))]}
    live = sorted(
        (s for s in service.stacks.values() if s.status != DELETE_COMPLETE),
        key=lambda s: (-s.created, s.stack_id),
    )
    keys = [f"{i:08d}" for i in range(len(live))]
    found = page(live, keys, input.get("NextToken"), STACKS_PAGE, _invalid_token)
    answer: Members = {"Stacks": [shapes.stack(s) for s in found.items]}
    if found.next:
        answer["NextToken"] = found.next
    return answer


async def list_stacks(service: CloudFormation, call: Call, input: Members) -> Members:
    wanted = set(input.get("StackStatusFilter") or [])
    stacks = sorted(
        (s for s in service.stacks.values() if not wanted or s.status in wanted),
        key=lambda s: (-s.created, s.stack_id),
    )
    keys = [f"{i:08d}" for i in range(len(stacks))]
    found = page(stacks, keys, input.get("NextToken"), STACKS_PAGE, _invalid_token)
    answer: Members = {"StackSummaries": [shapes.summary(s) for s in found.items]}
    if found.next:
        answer["NextToken"] = found.next
    return answer


async def describe_stack_events(service: CloudFormation, call: Call, input: Members) -> Members:
    stack = service.find(input["StackName"])
    before: int | None = None
    token = input.get("NextToken")
    if token:
        try:
            before = int(token)
        except ValueError:
            raise _invalid_token(token) from None
    events = await service.store.events(stack.stack_id, before, EVENTS_PAGE + 1)
    answer: Members = {"StackEvents": [shapes.event(e) for e in events[:EVENTS_PAGE]]}
    if len(events) > EVENTS_PAGE:
        answer["NextToken"] = str(events[EVENTS_PAGE - 1].sequence)
    return answer


async def describe_stack_resource(service: CloudFormation, call: Call, input: Members) -> Members:
    stack = service.find(input["StackName"])
    logical_id = input["LogicalResourceId"]
    found = stack.resources.get(logical_id)
    if found is None:
        raise ValidationError(f"Resource {logical_id} does not exist for stack {stack.name}")
    return {"StackResourceDetail": shapes.resource(stack, found, detail=True)}


async def describe_stack_resources(service: CloudFormation, call: Call, input: Members) -> Members:
    name = input.get("StackName")
    physical = input.get("PhysicalResourceId")
    if name is None and physical is None:
        raise ValidationError("Either StackName or PhysicalResourceId must be specified.")
    if name is not None:
        stack = service.find(name)
    else:
        owner = next(
            (
                s
                for s in service.stacks.values()
                if s.status != DELETE_COMPLETE
                and any(r.physical_id == physical for r in s.resources.values())
            ),
            None,
        )
        if owner is None:
            raise ValidationError(f"Stack for {physical} does not exist")
        stack = owner
    logical_id = input.get("LogicalResourceId")
    resources = [
        r
        for r in stack.resources.values()
        if (logical_id is None or r.logical_id == logical_id)
        and (physical is None or r.physical_id == physical)
    ]
    return {"StackResources": [shapes.resource(stack, r) for r in resources]}


async def list_stack_resources(service: CloudFormation, call: Call, input: Members) -> Members:
    stack = service.find(input["StackName"])
    resources = sorted(stack.resources.values(), key=lambda r: r.logical_id)
    found = page(
        resources,
        [r.logical_id for r in resources],
        input.get("NextToken"),
        RESOURCES_PAGE,
        _invalid_token,
    )
    answer: Members = {
        "StackResourceSummaries": [shapes.resource_summary(r, stack) for r in found.items]
    }
    if found.next:
        answer["NextToken"] = found.next
    return answer


async def update_termination_protection(
    service: CloudFormation, call: Call, input: Members
) -> Members:
    stack = service.find(input["StackName"])
    if stack.status == DELETE_COMPLETE:
        raise ValidationError(f"Stack with id {input['StackName']} does not exist")
    stack.termination_protection = bool(input["EnableTerminationProtection"])
    await service.recorder.save(stack)
    return {"StackId": stack.stack_id}


async def continue_update_rollback(service: CloudFormation, call: Call, input: Members) -> Members:
    await operations.continue_update_rollback(
        service,
        input["StackName"],
        actor(service, call),
        list(input.get("ResourcesToSkip") or []),
    )
    return {}


async def rollback_stack(service: CloudFormation, call: Call, input: Members) -> Members:
    stack_id = await operations.rollback_stack(service, input["StackName"], actor(service, call))
    return {"StackId": stack_id}


async def cancel_update_stack(service: CloudFormation, call: Call, input: Members) -> Members:
    stack = service.find(input["StackName"])
    if stack.status != "UPDATE_IN_PROGRESS":
        raise ValidationError("CancelUpdateStack cannot be called from current stack status")
    service.cancel(stack)
    return {}


# --- exports -------------------------------------------------------------------------------


async def list_exports(service: CloudFormation, call: Call, input: Members) -> Members:
    exports = sorted(service.exporters().items())
    found = page(
        exports, [name for name, _ in exports], input.get("NextToken"), 100, _invalid_token
    )
    answer: Members = {
        "Exports": [
            {"ExportingStackId": stack.stack_id, "Name": name, "Value": output.value}
            for name, (stack, output) in found.items
        ]
    }
    if found.next:
        answer["NextToken"] = found.next
    return answer


async def list_imports(service: CloudFormation, call: Call, input: Members) -> Members:
    name = input["ExportName"]
    if name not in service.exporters():
        raise ValidationError(f"Export '{name}' is not imported by any stack.")
    users = sorted(s.name for s in service.importers(name))
    if not users:
        raise ValidationError(f"Export '{name}' is not imported by any stack.")
    found = page(users, users, input.get("NextToken"), 100, _invalid_token)
    answer: Members = {"Imports": found.items}
    if found.next:
        answer["NextToken"] = found.next
    return answer


# --- templates -----------------------------------------------------------------------------


async def get_template(service: CloudFormation, call: Call, input: Members) -> Members:
    import json

    change_set_name = input.get("ChangeSetName")
    stage = input.get("TemplateStage") or "Original"
    if change_set_name:
        change_set = operations.find_change_set(service, change_set_name, input.get("StackName"))
        body, processed = change_set.template_body, change_set.template
    else:
        name = input.get("StackName")
        if not name:
            raise ValidationError("Either StackName or ChangeSetName must be specified.")
        stack = service.find(name)
        body, processed = stack.template_body, stack.template
    text = body if stage == "Original" else json.dumps(processed, indent=2)
    return {"TemplateBody": text, "StagesAvailable": ["Original", "Processed"]}


async def _body_of(service: CloudFormation, input: Members) -> str:
    body, url = input.get("TemplateBody"), input.get("TemplateURL")
    name = input.get("StackName")
    if sum(1 for x in (body, url, name) if x) != 1:
        raise ValidationError(
            "Exactly one of TemplateBody, TemplateURL or StackName must be specified."
        )
    if body:
        return str(body)
    if url:
        return await service.template_at(url)
    return service.find(str(name)).template_body


def _capabilities(template: dict[str, Any]) -> tuple[list[str], str | None]:
    from altus.cloudformation.preparation import IAM_TYPES

    found: list[str] = []
    named: list[str] = []
    plain: list[str] = []
    for logical_id, resource in (template.get("Resources") or {}).items():
        kind = resource.get("Type") if isinstance(resource, dict) else None
        if kind in IAM_TYPES:
            property_name = IAM_TYPES[kind]
            if property_name and (resource.get("Properties") or {}).get(property_name):
                named.append(logical_id)
            else:
                plain.append(logical_id)
    if named:
        found.append("CAPABILITY_NAMED_IAM")
    elif plain:
        found.append("CAPABILITY_IAM")
    if template.get("Transform"):
        found.append("CAPABILITY_AUTO_EXPAND")
    if not named and not plain:
        return found, None
    ids = ", ".join(sorted(named + plain))
    return found, f"The following resource(s) require capabilities: [{ids}]"


async def validate_template(service: CloudFormation, call: Call, input: Members) -> Members:
    body, url = input.get("TemplateBody"), input.get("TemplateURL")
    if bool(body) == bool(url):
        raise ValidationError("Either Template URL or Template Body must be specified.")
    text = str(body) if body else await service.template_at(str(url))
    template = parse_body(text)
    from altus.cloudformation import templates, transforms

    names = transforms.names(template)
    if not names:
        templates.check(template)
    capabilities, reason = _capabilities(template)
    answer: Members = {
        "Parameters": shapes.template_parameters(template),
        "Capabilities": capabilities,
    }
    if reason:
        answer["CapabilitiesReason"] = reason
    if template.get("Description") is not None:
        answer["Description"] = str(template["Description"])
    if names:
        answer["DeclaredTransforms"] = names
    return answer


async def get_template_summary(service: CloudFormation, call: Call, input: Members) -> Members:
    import json

    text = await _body_of(service, input)
    template = parse_body(text)
    from altus.cloudformation import transforms

    names = transforms.names(template)
    capabilities, reason = _capabilities(template)
    answer: Members = {
        "Parameters": shapes.summary_parameters(template),
        "Capabilities": capabilities,
        "ResourceTypes": sorted(
            {str(r.get("Type")) for r in (template.get("Resources") or {}).values()}
        ),
        "Version": str(template.get("AWSTemplateFormatVersion", "2010-09-09")),
        "DeclaredTransforms": names,
        "ResourceIdentifierSummaries": [],
    }
    if reason:
        answer["CapabilitiesReason"] = reason
    if template.get("Description") is not None:
        answer["Description"] = str(template["Description"])
    if template.get("Metadata") is not None:
        answer["Metadata"] = json.dumps(template["Metadata"])
    return answer


# --- change sets ---------------------------------------------------------------------------


async def create_change_set(service: CloudFormation, call: Call, input: Members) -> Members:
    change_set = await operations.create_change_set(
        service,
        _request(service, call, input),
        input["ChangeSetName"],
        input.get("ChangeSetType") or "UPDATE",
        input.get("Description"),
        input.get("OnStackFailure"),
    )
    return {"Id": change_set.change_set_id, "StackId": change_set.stack_id}


async def describe_change_set(service: CloudFormation, call: Call, input: Members) -> Members:
    change_set = operations.find_change_set(service, input["ChangeSetName"], input.get("StackName"))
    return shapes.change_set(change_set)


async def execute_change_set(service: CloudFormation, call: Call, input: Members) -> Members:
    await operations.execute_change_set(
        service,
        input["ChangeSetName"],
        input.get("StackName"),
        actor(service, call),
        input.get("DisableRollback"),
        input.get("ClientRequestToken"),
    )
    return {}


async def delete_change_set(service: CloudFormation, call: Call, input: Members) -> Members:
    await operations.delete_change_set(service, input["ChangeSetName"], input.get("StackName"))
    return {}


async def list_change_sets(service: CloudFormation, call: Call, input: Members) -> Members:
    stack = service.find(input["StackName"])
    change_sets = sorted(
        (c for c in service.change_sets.values() if c.stack_id == stack.stack_id),
        key=lambda c: (c.created, c.change_set_id),
    )
    found = page(
        change_sets,
        [f"{i:08d}" for i in range(len(change_sets))],
        input.get("NextToken"),
        100,
        _invalid_token,
    )
    answer: Members = {"Summaries": [shapes.change_set_summary(c) for c in found.items]}
    if found.next:
        answer["NextToken"] = found.next
    return answer


OPERATIONS = {
    "CreateStack": create_stack,
    "UpdateStack": update_stack,
    "DeleteStack": delete_stack,
    "DescribeStacks": describe_stacks,
    "ListStacks": list_stacks,
    "DescribeStackEvents": describe_stack_events,
    "DescribeStackResource": describe_stack_resource,
    "DescribeStackResources": describe_stack_resources,
    "ListStackResources": list_stack_resources,
    "UpdateTerminationProtection": update_termination_protection,
    "ContinueUpdateRollback": continue_update_rollback,
    "RollbackStack": rollback_stack,
    "CancelUpdateStack": cancel_update_stack,
    "ListExports": list_exports,
    "ListImports": list_imports,
    "GetTemplate": get_template,
    "GetTemplateSummary": get_template_summary,
    "ValidateTemplate": validate_template,
    "CreateChangeSet": create_change_set,
    "DescribeChangeSet": describe_change_set,
    "ExecuteChangeSet": execute_change_set,
    "DeleteChangeSet": delete_change_set,
    "ListChangeSets": list_change_sets,
}
