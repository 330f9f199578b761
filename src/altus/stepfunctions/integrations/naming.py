"""How a failed call is named to the state machine: the error Retry and Catch match and the
cause text beside it, in the two forms AWS uses.

- Optimized integrations (``arn:aws:states:::sqs:sendMessage``, ``lambda:invoke``,
  ``states:startExecution`` ...) report what the AWS SDK for Java v1 raised:
  ``SQS.AmazonSQSException``, ``Lambda.ResourceNotFoundException``, with a cause of the
  form ``<message> (Service: AmazonSQS; Status Code: 400; Error Code: MissingParameter;
  Request ID: <id>; Proxy: null)`` (recorded on AWS).
- AWS SDK integrations (``arn:aws:states:::aws-sdk:s3:listObjects``) report what the AWS
  SDK for Java v2 raised: ``S3.NoSuchBucketException``, ``SecretsManager.SecretsManagerException``
  for an error the service's model does not declare, with a cause of the form
  ``<message> (Service: S3, Status Code: 404, Request ID: <id>)`` (recorded on AWS).

Either way, an error code the service's model declares becomes that shape's name with
``Exception`` appended (unless it ends so already): the SDKs generate one exception class
per declared shape. Any other code is the SDK's generic class for the service.
"""

from __future__ import annotations

import functools
import uuid
from dataclasses import dataclass

from altus.api.model import service_model
from altus.asl.errors import StatesError


@dataclass(frozen=True, slots=True)
class SdkV2Service:
    """A service as an ``aws-sdk:<id>`` resource names it."""

    #: botocore's name of the service (``stepfunctions`` for ``sfn``).
    botocore: str
    #: The error prefix and the ``Service:`` of causes (``Sfn``, ``DynamoDb``).
    prefix: str


#: ``aws-sdk:<id>`` -> the service: the ids are the AWS SDK for Java v2's, lowercased.
AWS_SDK_SERVICES: dict[str, SdkV2Service] = {
    "sqs": SdkV2Service("sqs", "Sqs"),
    "sns": SdkV2Service("sns", "Sns"),
    "lambda": SdkV2Service("lambda", "Lambda"),
    "secretsmanager": SdkV2Service("secretsmanager", "SecretsManager"),
    "ssm": SdkV2Service("ssm", "Ssm"),
    "sfn": SdkV2Service("stepfunctions", "Sfn"),
    "dynamodb": SdkV2Service("dynamodb", "DynamoDb"),
    "eventbridge": SdkV2Service("events", "EventBridge"),
    "s3": SdkV2Service("s3", "S3"),
    "iam": SdkV2Service("iam", "Iam"),
    "sts": SdkV2Service("sts", "Sts"),
    "cloudformation": SdkV2Service("cloudformation", "CloudFormation"),
    "cloudwatchlogs": SdkV2Service("logs", "CloudWatchLogs"),
    "cloudwatch": SdkV2Service("cloudwatch", "CloudWatch"),
    "kinesis": SdkV2Service("kinesis", "Kinesis"),
    "scheduler": SdkV2Service("scheduler", "Scheduler"),
    "apigateway": SdkV2Service("apigateway", "ApiGateway"),
    "apigatewayv2": SdkV2Service("apigatewayv2", "ApiGatewayV2"),
}


@dataclass(frozen=True, slots=True)
class SdkV1Service:
    """A service as an optimized integration reports its failures."""

    #: The error prefix (``SQS``, ``Lambda``, ``StepFunctions``).
    prefix: str
    #: The ``Service:`` of causes (``AmazonSQS``, ``AWSLambda``).
    name: str
    #: The SDK's generic exception class (``AmazonSQSException``).
    generic: str


#: botocore's name -> how the optimized integration of that service names failures.
OPTIMIZED_SERVICES: dict[str, SdkV1Service] = {
    "lambda": SdkV1Service("Lambda", "AWSLambda", "AWSLambdaException"),
    "sqs": SdkV1Service("SQS", "AmazonSQS", "AmazonSQSException"),
    "sns": SdkV1Service("SNS", "AmazonSNS", "AmazonSNSException"),
    "events": SdkV1Service("EventBridge", "AmazonEventBridge", "AmazonEventBridgeException"),
    "stepfunctions": SdkV1Service("StepFunctions", "AWSStepFunctions", "AWSStepFunctionsException"),
    "s3": SdkV1Service("S3", "Amazon S3", "AmazonS3Exception"),
}

#: Error codes older protocols report by, and the shape they stand for (SQS's query-era
#: codes, which the current model no longer lists).
_LEGACY_CODES = {
    "AWS.SimpleQueueService.NonExistentQueue": "QueueDoesNotExist",
    "AWS.SimpleQueueService.QueueDeletedRecently": "QueueDeletedRecently",
    "AWS.SimpleQueueService.UnsupportedOperation": "UnsupportedOperation",
    "AWS.SimpleQueueService.InvalidBatchEntryId": "InvalidBatchEntryId",
    "AWS.SimpleQueueService.BatchEntryIdsNotDistinct": "BatchEntryIdsNotDistinct",
    "AWS.SimpleQueueService.TooManyEntriesInBatchRequest": "TooManyEntriesInBatchRequest",
    "QueueAlreadyExists": "QueueNameExists",
}

#: A call whose outcome Altus lost in a restart, as the SDKs call a call that never
#: answered: the transient errors AWS's recommended retriers retry.
LOST = (
    "The outcome of this call was lost when Altus stopped while it was under way: it may "
    "or may not have been made."
)
LOST_INVOCATION = (
    "The outcome of this invocation was lost when Altus stopped while it was under way: "
    "the function may or may not have run."
)


@functools.cache
def _declared(service: str) -> dict[str, str]:
    """Error code -> the shape that declares it, in ``service``'s model."""
    try:
        model = service_model(service)
    except Exception:  # a service botocore does not know: nothing is declared
        return {}
    found: dict[str, str] = {}
    for shape in model.error_shapes:
        found[shape.name] = shape.name
        code = shape.metadata.get("error", {}).get("code")
        if code:
            found[code] = shape.name
    return found


def declared_shape(service: str, code: str) -> str | None:
    """The shape of ``service``'s model that declares error ``code``, if any."""
    declared = _declared(service)
    shape = declared.get(code) or declared.get(_LEGACY_CODES.get(code, ""))
    return shape


def _exception(shape: str) -> str:
    return shape if shape.endswith("Exception") else f"{shape}Exception"


def new_request_id() -> str:
    return str(uuid.uuid4())


def optimized_failure(
    service: str, code: str, message: str, status: int, request_id: str
) -> StatesError:
    """A failed call of an optimized integration of ``service`` (botocore's name), in the
    AWS SDK for Java v1's terms."""
    naming = OPTIMIZED_SERVICES[service]
    shape = declared_shape(service, code)
    error = f"{naming.prefix}.{_exception(shape) if shape else naming.generic}"
    cause = (
        f"{message} (Service: {naming.name}; Status Code: {status}; Error Code: {code}; "
        f"Request ID: {request_id or new_request_id()}; Proxy: null)"
    )
    return StatesError(error, cause)


def sdk_failure(
    service: SdkV2Service,
    code: str,
    message: str,
    status: int,
    request_id: str,
    extended_request_id: str | None = None,
) -> StatesError:
    """A failed call of an AWS SDK integration, in the AWS SDK for Java v2's terms (S3's
    causes name its extended request id too)."""
    shape = declared_shape(service.botocore, code)
    error = f"{service.prefix}.{_exception(shape) if shape else service.prefix + 'Exception'}"
    cause = (
        f"{message} (Service: {service.prefix}, Status Code: {status}, "
        f"Request ID: {request_id or new_request_id()}"
    )
    if extended_request_id:
        cause += f", Extended Request ID: {extended_request_id}"
    return StatesError(error, cause + ")")


def unreachable(prefix: str, reason: str) -> StatesError:
    """The call never got an answer (no endpoint, the connection failed): the SDKs'
    ``SdkClientException``, which AWS's recommended retriers retry."""
    return StatesError(f"{prefix}.SdkClientException", f"Unable to execute HTTP request: {reason}")


def not_recognized(arn: str) -> StatesError:
    """A resource no integration serves, in the words AWS refuses such a definition with
    (a definition Altus accepted that names one fails the execution: ``States.Runtime``)."""
    return StatesError(
        "States.Runtime",
        f"The resource provided {arn} is not recognized. The value is not a valid resource "
        "ARN, or the resource is not available in this region.",
    )
