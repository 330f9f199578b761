"""The IAM action and resource each EventBridge operation needs: ``events:<Operation>``
on the bus or rule the call names (a rule's ARN by ``Name``/``Rule`` and
``EventBusName``, a bus's by ``EventBusName``/``Name``, tags by ``ResourceARN``), with
``*`` for what names neither (ListEventBuses, TestEventPattern).

PutEvents is authorised by the operation itself (``EventBridge.put_events``), entry by
entry: its entries may name several buses, and each needs ``events:PutEvents`` on its
own bus (allowed by the caller's policies or that bus's, PutPermission), which one
resource here could not say."""

from __future__ import annotations

from altus.api.spec import Members, Needs
from altus.eventbridge import names
from altus.eventbridge.component import EventBridge

_BUS_OPERATIONS = {
    "CreateEventBus",
    "DescribeEventBus",
    "DeleteEventBus",
    "PutPermission",
    "RemovePermission",
}
#: Operations naming a rule, and the member that names it.
_RULE_MEMBER = {
    "PutRule": "Name",
    "DescribeRule": "Name",
    "DeleteRule": "Name",
    "EnableRule": "Name",
    "DisableRule": "Name",
    "PutTargets": "Rule",
    "RemoveTargets": "Rule",
    "ListTargetsByRule": "Rule",
}


def actions(eb: EventBridge, operation: str, members: Members) -> Needs | None:
    action = f"events:{operation}"
    account = eb.core.account
    if operation == "PutEvents":
        return None  # per entry, by the operation (above)
    arn = members.get("ResourceARN")
    if isinstance(arn, str) and arn.startswith("arn:"):
        return action, arn
    bus_member = members.get("EventBusName")
    bus = names.bus_name(bus_member if isinstance(bus_member, str) else None, account)
    if operation in _RULE_MEMBER:
        rule = members.get(_RULE_MEMBER[operation])
        if isinstance(rule, str) and rule and not bus.startswith("arn:"):
            return action, names.rule_arn(account, bus, rule)
    if operation in _BUS_OPERATIONS:
        name = members.get("Name") if "Name" in members else bus_member
        return action, names.bus_resource(account, name if isinstance(name, str) else None)
    if operation in ("ListRules", "ListRuleNamesByTarget"):
        return action, names.bus_resource(
            account, bus_member if isinstance(bus_member, str) else None
        )
    return action, "*"
