"""Step Functions' errors, by the shapes of its model (awsJson1.0: ``__type`` and
``message``, every one a 400).

Texts are AWS's own where recorded (LocalStack's snapshots, recorded against AWS, and
SDK bug reports): ``State Machine Does Not Exist: '<arn>'``, ``Invalid Arn: 'Invalid ARN
prefix: <arn>'``, ``Invalid State Machine Definition: '<problem>'``, ``Invalid State
Machine Execution Input: '<problem>'``, ``Task Timed Out: 'Provided task does not exist
anymore'``, the alias and version ConflictExceptions. Those not recorded follow the same
``<Title>: '<subject>'`` pattern and say so where they are defined.
"""

from __future__ import annotations

from collections.abc import Sequence

from altus.errors import ServiceError, UserError


class StepFunctionsError(UserError):
    """Root of the Step Functions service's family."""

    code = "ValidationException"


class ValidationException(StepFunctionsError):
    code = "ValidationException"


class ActivityAlreadyExists(StepFunctionsError):
    code = "ActivityAlreadyExists"


class ActivityDoesNotExist(StepFunctionsError):
    code = "ActivityDoesNotExist"


class ConflictException(StepFunctionsError):
    code = "ConflictException"


class ExecutionAlreadyExists(StepFunctionsError):
    code = "ExecutionAlreadyExists"


class ExecutionDoesNotExist(StepFunctionsError):
    code = "ExecutionDoesNotExist"


class ExecutionLimitExceeded(StepFunctionsError):
    code = "ExecutionLimitExceeded"


class ExecutionNotRedrivable(StepFunctionsError):
    code = "ExecutionNotRedrivable"


class InvalidArn(StepFunctionsError):
    code = "InvalidArn"


class InvalidDefinition(StepFunctionsError):
    code = "InvalidDefinition"


class InvalidExecutionInput(StepFunctionsError):
    code = "InvalidExecutionInput"


class InvalidLoggingConfiguration(StepFunctionsError):
    code = "InvalidLoggingConfiguration"


class InvalidName(StepFunctionsError):
    code = "InvalidName"


class InvalidOutput(StepFunctionsError):
    code = "InvalidOutput"


class InvalidToken(StepFunctionsError):
    code = "InvalidToken"


class MissingRequiredParameter(StepFunctionsError):
    code = "MissingRequiredParameter"


class ResourceNotFound(StepFunctionsError):
    code = "ResourceNotFound"


class ServiceQuotaExceeded(StepFunctionsError):
    code = "ServiceQuotaExceededException"


class StateMachineAlreadyExists(StepFunctionsError):
    code = "StateMachineAlreadyExists"


class StateMachineDeleting(StepFunctionsError):
    code = "StateMachineDeleting"


class StateMachineDoesNotExist(StepFunctionsError):
    code = "StateMachineDoesNotExist"


class StateMachineTypeNotSupported(StepFunctionsError):
    code = "StateMachineTypeNotSupported"


class TaskDoesNotExist(StepFunctionsError):
    code = "TaskDoesNotExist"


class TaskTimedOut(StepFunctionsError):
    code = "TaskTimedOut"


class TooManyTags(StepFunctionsError):
    code = "TooManyTags"


class InternalError(ServiceError):
    """The store failed to write what the call asked: nothing of it was kept (the
    model has no shape of its own for this; rendered as AWS's common
    ``InternalFailure``)."""

    code = "InternalFailure"


# --- AWS's texts ----------------------------------------------------------------------------


def invalid_arn(arn: str) -> InvalidArn:
    return InvalidArn(f"Invalid Arn: 'Invalid ARN prefix: {arn}'")


def wrong_resource_type(kind: str) -> InvalidArn:
    """An ARN of Step Functions naming a resource of another kind (an express
    execution's where a standard one is wanted, as AWS words it)."""
    return InvalidArn(f"Invalid Arn: 'Resource type not valid in this context: {kind}'")


def state_machine_missing(arn: str) -> StateMachineDoesNotExist:
    return StateMachineDoesNotExist(f"State Machine Does Not Exist: '{arn}'")


def state_machine_exists(arn: str) -> StateMachineAlreadyExists:
    return StateMachineAlreadyExists(f"State Machine Already Exists: '{arn}'")


def state_machine_deleting(arn: str) -> StateMachineDeleting:
    # Not recorded; the pattern of the others.
    return StateMachineDeleting(f"State Machine is being deleted: '{arn}'")


def execution_missing(arn: str) -> ExecutionDoesNotExist:
    return ExecutionDoesNotExist(f"Execution Does Not Exist: '{arn}'")


def execution_exists(arn: str) -> ExecutionAlreadyExists:
    return ExecutionAlreadyExists(f"Execution Already Exists: '{arn}'")


def activity_missing(arn: str) -> ActivityDoesNotExist:
    return ActivityDoesNotExist(f"Activity Does Not Exist: '{arn}'")


def invalid_name(name: str) -> InvalidName:
    return InvalidName(f"Invalid Name: '{name}'")


def invalid_definition(problem: str) -> InvalidDefinition:
    return InvalidDefinition(f"Invalid State Machine Definition: '{problem}'")


def invalid_input(problem: str) -> InvalidExecutionInput:
    return InvalidExecutionInput(f"Invalid State Machine Execution Input: '{problem}'")


def invalid_output(problem: str) -> InvalidOutput:
    # Not recorded; the pattern of InvalidExecutionInput.
    return InvalidOutput(f"Invalid Output: '{problem}'")


def resource_missing(arn: str) -> ResourceNotFound:
    return ResourceNotFound(f"Resource not found: '{arn}'", resourceName=arn)


def reference_missing() -> ResourceNotFound:
    """An alias that is not there (UpdateStateMachineAlias, DescribeStateMachineAlias)."""
    return ResourceNotFound("Request references a resource that does not exist.")


def type_not_supported() -> StateMachineTypeNotSupported:
    return StateMachineTypeNotSupported(
        "This operation is not supported by this type of state machine"
    )


def task_timed_out() -> TaskTimedOut:
    return TaskTimedOut("Task Timed Out: 'Provided task does not exist anymore'")


def invalid_token(token: str) -> InvalidToken:
    # Not recorded; the pattern of the others.
    return InvalidToken(f"Invalid Token: '{token}'")


def task_missing(token: str) -> TaskDoesNotExist:
    # Not recorded; the pattern of the others.
    return TaskDoesNotExist(f"Task Does Not Exist: '{token}'")


def too_many_tags(arn: str) -> TooManyTags:
    # Not recorded; the quota is AWS's (50 tags a resource).
    return TooManyTags(f"Too many tags: '{arn}'", resourceName=arn)


def publish_conflict(given: str, current: str) -> ConflictException:
    return ConflictException(
        f"Failed to publish the State Machine version for revision {given}. "
        f"The current State Machine revision is {current}."
    )


def alias_conflict() -> ConflictException:
    return ConflictException(
        "Failed to create alias because an alias with the same name and a different "
        "routing configuration already exists."
    )


def version_in_use(aliases: Sequence[str]) -> ConflictException:
    return ConflictException(
        "Version to be deleted must not be referenced by an alias. Current list of aliases "
        f"referencing this version: [{', '.join(aliases)}]"
    )


def not_redrivable(reason: str) -> ExecutionNotRedrivable:
    # AWS's message wording is not recorded; the reason is its redriveStatusReason text.
    return ExecutionNotRedrivable(f"Execution Not Redrivable: '{reason}'")


def routing(message: str) -> ValidationException:
    return ValidationException(message, reason="INVALID_ROUTING_CONFIGURATION")
