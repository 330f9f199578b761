"""CloudWatch's errors, by the shapes of its model. It moved from the query protocol
(``awsQueryCompatible``): each error also carries its legacy code (the shape's
``error.code``: ``InvalidParameterValue``, ``MissingParameter`` ...), which the query
protocol answers with and the JSON and CBOR protocols put in ``x-amzn-query-error``."""

from __future__ import annotations

from altus.errors import UserError


class CloudWatchError(UserError):
    """Root of the CloudWatch service's family."""

    code = "InvalidParameterValueException"


class InvalidParameterValue(CloudWatchError):
    code = "InvalidParameterValueException"


class MissingParameter(CloudWatchError):
    code = "MissingRequiredParameterException"


class InvalidParameterCombination(CloudWatchError):
    code = "InvalidParameterCombinationException"


class InvalidNextToken(CloudWatchError):
    code = "InvalidNextToken"


class Validation(CloudWatchError):
    """What the model's constraints refuse (Coral's words), and what GetMetricData
    refuses (it documents no other error for its input)."""

    code = "ValidationException"


class LimitExceeded(CloudWatchError):
    code = "LimitExceededException"
