"""API Gateway V2's errors, by the shapes of its model (rest-json: ``x-amzn-ErrorType``
and ``Message``): BadRequestException (400), NotFoundException (404, with the
``ResourceType``), ConflictException (409).

Texts: ``Invalid API identifier specified <account>:<id>`` and its kin for the other
resources, ``Unable to deploy API because no routes exist in this API`` and ``Active
stages pointing to this deployment must be moved or deleted`` are AWS's own wordings;
the others are Altus's, in AWS's manner, where AWS's were not found.
"""

from __future__ import annotations

from altus.errors import ServiceError, UserError


class ApiGatewayV2Error(UserError):
    """Root of the service's family."""

    code = "BadRequestException"


class BadRequest(ApiGatewayV2Error):
    code = "BadRequestException"


class NotFound(ApiGatewayV2Error):
    code = "NotFoundException"
    status = 404


class Conflict(ApiGatewayV2Error):
    code = "ConflictException"
    status = 409


class InternalFailure(ServiceError):
    """The store failed to write what the call asked: nothing of it was kept."""

    code = "InternalFailure"


#: The ``ResourceType`` a NotFoundException names, and the word its message uses.
_WORDS = {
    "api": ("Api", "API"),
    "route": ("Route", "Route"),
    "integration": ("Integration", "Integration"),
    "authorizer": ("Authorizer", "Authorizer"),
    "stage": ("Stage", "stage"),
    "deployment": ("Deployment", "Deployment"),
    "model": ("Model", "Model"),
    "routeresponse": ("RouteResponse", "RouteResponse"),
    "integrationresponse": ("IntegrationResponse", "IntegrationResponse"),
}


def not_found(kind: str, account_id: str, ident: str) -> NotFound:
    resource, word = _WORDS[kind]
    return NotFound(
        f"Invalid {word} identifier specified {account_id}:{ident}", ResourceType=resource
    )


def bad(message: str) -> BadRequest:
    return BadRequest(message)


def route_exists(key: str) -> Conflict:
    return Conflict(f"Route with key {key} already exists for this API")


def variable_conflict(key: str, clash: str) -> Conflict:
    return Conflict(
        f'The provided route key "{key}" has a conflicting variable on the same '
        f'hierarchical level as "{clash}"'
    )
