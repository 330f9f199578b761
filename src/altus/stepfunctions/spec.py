"""The Step Functions service, as the framework sees it: botocore's ``stepfunctions``
model (awsJson1.0, ``AWSStepFunctions.<Operation>``), the operations it serves, its
tables and its component.

Not served (UnknownOperation): TestState."""

from __future__ import annotations

from altus.api.spec import Schemas, ServiceSpec
from altus.api.validate import CoralViolations
from altus.stepfunctions import (
    actions,
    activities_api,
    aliases_api,
    executions_api,
    machines_api,
    maprun_api,
    tasks_api,
    versions_api,
)
from altus.stepfunctions.component import StepFunctions
from altus.stepfunctions.errors import StepFunctionsError, ValidationException
from altus.stepfunctions.sql_store import SCHEMA

SPEC = ServiceSpec(
    name="stepfunctions",
    operations={
        "CreateStateMachine": machines_api.create_state_machine,
        "DescribeStateMachine": machines_api.describe_state_machine,
        "UpdateStateMachine": machines_api.update_state_machine,
        "DeleteStateMachine": machines_api.delete_state_machine,
        "ListStateMachines": machines_api.list_state_machines,
        "ValidateStateMachineDefinition": machines_api.validate_state_machine_definition,
        "PublishStateMachineVersion": versions_api.publish_state_machine_version,
        "ListStateMachineVersions": versions_api.list_state_machine_versions,
        "DeleteStateMachineVersion": versions_api.delete_state_machine_version,
        "CreateStateMachineAlias": aliases_api.create_state_machine_alias,
        "DescribeStateMachineAlias": aliases_api.describe_state_machine_alias,
        "UpdateStateMachineAlias": aliases_api.update_state_machine_alias,
        "DeleteStateMachineAlias": aliases_api.delete_state_machine_alias,
        "ListStateMachineAliases": aliases_api.list_state_machine_aliases,
        "CreateActivity": activities_api.create_activity,
        "DescribeActivity": activities_api.describe_activity,
        "DeleteActivity": activities_api.delete_activity,
        "ListActivities": activities_api.list_activities,
        "TagResource": activities_api.tag_resource,
        "UntagResource": activities_api.untag_resource,
        "ListTagsForResource": activities_api.list_tags_for_resource,
        "StartExecution": executions_api.start_execution,
        "StartSyncExecution": executions_api.start_sync_execution,
        "DescribeExecution": executions_api.describe_execution,
        "DescribeStateMachineForExecution": executions_api.describe_state_machine_for_execution,
        "ListExecutions": executions_api.list_executions,
        "StopExecution": executions_api.stop_execution,
        "GetExecutionHistory": executions_api.get_execution_history,
        "RedriveExecution": executions_api.redrive_execution,
        "SendTaskSuccess": tasks_api.send_task_success,
        "SendTaskFailure": tasks_api.send_task_failure,
        "SendTaskHeartbeat": tasks_api.send_task_heartbeat,
        "GetActivityTask": tasks_api.get_activity_task,
        "DescribeMapRun": maprun_api.describe_map_run,
        "ListMapRuns": maprun_api.list_map_runs,
        "UpdateMapRun": maprun_api.update_map_run,
    },
    errors=StepFunctionsError,
    violations=CoralViolations(ValidationException),
    build=StepFunctions,
    schemas=(Schemas((SCHEMA,)),),
    actions=actions.actions,
)
