"""The EventBridge service, as the framework sees it: botocore's ``events`` model
(awsJson 1.1, ``X-Amz-Target: AWSEvents.<Op>``), the bus, rule, target and event
operations Altus serves (archives, replays, connections, API destinations, endpoints
and partner sources are refused as operations Altus does not serve), its tables and its
component."""

from __future__ import annotations

from altus.api.spec import Schemas, ServiceSpec
from altus.api.validate import CoralViolations
from altus.eventbridge import actions, api
from altus.eventbridge.component import EventBridge
from altus.eventbridge.errors import EventBridgeError, ValidationException
from altus.eventbridge.sql_store import SCHEMA

SPEC = ServiceSpec(
    name="events",
    operations={
        "CreateEventBus": api.create_event_bus,
        "DescribeEventBus": api.describe_event_bus,
        "ListEventBuses": api.list_event_buses,
        "DeleteEventBus": api.delete_event_bus,
        "PutPermission": api.put_permission,
        "RemovePermission": api.remove_permission,
        "TagResource": api.tag_resource,
        "UntagResource": api.untag_resource,
        "ListTagsForResource": api.list_tags_for_resource,
        "PutEvents": api.put_events,
        "TestEventPattern": api.test_event_pattern,
        "PutRule": api.put_rule,
        "DescribeRule": api.describe_rule,
        "ListRules": api.list_rules,
        "DeleteRule": api.delete_rule,
        "EnableRule": api.enable_rule,
        "DisableRule": api.disable_rule,
        "ListRuleNamesByTarget": api.list_rule_names_by_target,
        "PutTargets": api.put_targets,
        "RemoveTargets": api.remove_targets,
        "ListTargetsByRule": api.list_targets_by_rule,
    },
    errors=EventBridgeError,
    violations=CoralViolations(ValidationException),
    build=EventBridge,
    schemas=(Schemas((SCHEMA,)),),
    actions=actions.actions,
)
