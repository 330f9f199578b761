"""The ``@connections`` management API's errors, by the shapes of its model
(``apigatewaymanagementapi``, rest-json). The front door's own answers to API callers
are not errors of this family: they are API Gateway's gateway responses
(``altus.gateway.answers``)."""

from __future__ import annotations

from altus.errors import UserError


class ConnectionsError(UserError):
    """Root of the management API's family."""

    code = "BadRequestException"


class Forbidden(ConnectionsError):
    code = "ForbiddenException"
    status = 403


class Gone(ConnectionsError):
    """No such connection, or no longer: WebSocket connections live only as long as the
    server's process."""

    code = "GoneException"
    status = 410


class LimitExceeded(ConnectionsError):
    code = "LimitExceededException"
    status = 429


class PayloadTooLarge(ConnectionsError):
    code = "PayloadTooLargeException"
    status = 413
