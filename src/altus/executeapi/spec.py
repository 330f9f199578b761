"""The front door of deployed APIs, as the framework sees it.

Its model is botocore's ``apigatewaymanagementapi`` (signing name ``execute-api``): the
``@connections`` operations WebSocket APIs' functions call. Besides its model it serves
every deployed API, REST, HTTP and WebSocket, on open routes
(``/_aws/execute-api/<api-id>/...``) and, with ``url_domain``, on
``<api-id>.execute-api.<region>.<url_domain>`` hosts: those authorise by themselves (a
route's authorization type decides), never by the caller's signature.
"""

from __future__ import annotations

from altus.api.spec import ServiceSpec
from altus.api.validate import CoralViolations
from altus.executeapi import api, front
from altus.executeapi.component import ExecuteApi
from altus.executeapi.errors import ConnectionsError

SPEC = ServiceSpec(
    name="apigatewaymanagementapi",
    operations={
        "PostToConnection": api.post_to_connection,
        "GetConnection": api.get_connection,
        "DeleteConnection": api.delete_connection,
    },
    errors=ConnectionsError,
    violations=CoralViolations(ConnectionsError),
    build=ExecuteApi,
    open_routes=front.routes,
    virtual_hosts=front.virtual_hosts,
    mount=front.mount,
    actions=api.actions,
)
