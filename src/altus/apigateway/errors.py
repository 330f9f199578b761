"""API Gateway's errors, by the shapes of its model (rest-json: ``x-amzn-ErrorType``
and ``message``, with the status the model gives each).

Texts: the identifier messages (``Invalid API identifier specified <acct>:<id>``,
``Invalid Resource identifier specified``, ``Invalid Method identifier specified``,
``No integration defined for method``, ``The REST API doesn't contain any methods``,
``Another resource with the same parent already has this name: <part>``, ``Active
stages pointing to this deployment must be moved or deleted``, ``Invalid patch path
'<p>' specified for op '<op>'. ...``, two spaces after ``path``) are AWS's own, as SDK
issues and parity tests quote them; where AWS's wording was not found the text follows
their pattern.
"""

from __future__ import annotations

from altus.errors import ServiceError, UserError


class ApiGatewayError(UserError):
    """Root of the API Gateway service's family."""

    code = "BadRequestException"


class BadRequest(ApiGatewayError):
    code = "BadRequestException"


class NotFound(ApiGatewayError):
    code = "NotFoundException"
    status = 404


class Conflict(ApiGatewayError):
    code = "ConflictException"
    status = 409


class LimitExceeded(ApiGatewayError):
    code = "LimitExceededException"
    status = 429


class TooManyRequests(ApiGatewayError):
    code = "TooManyRequestsException"
    status = 429


class Unauthorized(ApiGatewayError):
    code = "UnauthorizedException"
    status = 401


class InternalServer(ServiceError):
    """The store failed to write what the call asked: nothing of it was kept."""

    code = "ServiceUnavailableException"
    status = 503


def api_not_found(account_id: str, api_id: str) -> NotFound:
    return NotFound(f"Invalid API identifier specified {account_id}:{api_id}")


def resource_not_found() -> NotFound:
    return NotFound("Invalid Resource identifier specified")


def method_not_found() -> NotFound:
    return NotFound("Invalid Method identifier specified")


def integration_not_found() -> NotFound:
    return NotFound("No integration defined for method")


def response_not_found() -> NotFound:
    return NotFound("Invalid Response status code specified")


def stage_not_found() -> NotFound:
    return NotFound("Invalid stage identifier specified")


def deployment_not_found() -> NotFound:
    return NotFound("Invalid Deployment identifier specified")


def authorizer_not_found() -> NotFound:
    return NotFound("Invalid Authorizer identifier specified")


def validator_not_found() -> NotFound:
    return NotFound("Invalid Request Validator identifier specified")


def model_not_found(name: str) -> NotFound:
    return NotFound(f"Invalid model name specified: {name}")


def key_not_found() -> NotFound:
    return NotFound("Invalid API Key identifier specified")


def plan_not_found(plan_id: str) -> NotFound:
    return NotFound(f"Invalid Usage Plan ID specified: {plan_id}")


def plan_key_not_found() -> NotFound:
    return NotFound("Invalid Usage Plan Key identifier specified")


def gateway_response_not_found() -> NotFound:
    return NotFound("Invalid Gateway Response type specified")
