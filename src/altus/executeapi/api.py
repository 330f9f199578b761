"""The ``@connections`` management API (``apigatewaymanagementapi``): what a WebSocket
API's functions call to push messages to a client, look at its connection, or close it.

A connection lives only as long as the server's process (as on AWS, where a redeploy
of the gateway closes them): an id the server does not hold now is ``GoneException``.
"""

from __future__ import annotations

from altus.api.service import MOUNTED
from altus.api.spec import Call, Members, Needs
from altus.executeapi.component import Connection, ExecuteApi
from altus.executeapi.errors import Gone, PayloadTooLarge

#: The HTTP method of each operation, as the connection's ARN names it.
_METHODS = {"PostToConnection": "POST", "GetConnection": "GET", "DeleteConnection": "DELETE"}

#: The largest message a connection takes (API Gateway's WebSocket frame limit).
MESSAGE_LIMIT = 128 * 1024


def _gone(connection_id: str) -> Gone:
    return Gone(f"Connection {connection_id} is gone.")


def _connection(front: ExecuteApi, call: Call, connection_id: str) -> Connection:
    """The open connection ``connection_id`` names, if the endpoint the call was sent to
    is its stage's (``<api endpoint>/<stage>``) or the server's own (where connection ids
    are unique); else ``GoneException``, as another API's endpoint answers on AWS."""
    found = front.connections.get(connection_id)
    mounted = call.request.scope.get(MOUNTED)
    if found is not None and isinstance(mounted, str):
        parts = mounted.split("/")
        if parts[3:5] != [found.api_id, found.stage]:
            found = None
    if found is None:
        raise _gone(connection_id)
    return found


async def post_to_connection(front: ExecuteApi, call: Call, input: Members) -> Members:
    connection_id = input["ConnectionId"]
    data = await input["Data"].read(MESSAGE_LIMIT + 1, "PostToConnection")
    if len(data) > MESSAGE_LIMIT:
        raise PayloadTooLarge("Message too long")
    connection = _connection(front, call, connection_id)
    if not await connection.send(data):
        raise _gone(connection_id)
    return {}


async def get_connection(front: ExecuteApi, call: Call, input: Members) -> Members:
    connection = _connection(front, call, input["ConnectionId"])
    return {
        "ConnectedAt": connection.connected_at,
        "LastActiveAt": connection.last_active_at,
        "Identity": {"SourceIp": connection.source_ip, "UserAgent": connection.user_agent},
    }


async def delete_connection(front: ExecuteApi, call: Call, input: Members) -> Members:
    connection = _connection(front, call, input["ConnectionId"])
    await connection.close()
    return {}


def actions(front: ExecuteApi, operation: str, input: Members) -> Needs:
    """``execute-api:ManageConnections`` on the connection's ARN
    (``arn:aws:execute-api:<region>:<account>:<api>/<stage>/POST/@connections/<id>``); a
    connection not open here has no API or stage to name, so only a policy allowing
    every API's connections allows asking about it."""
    connection_id = str(input.get("ConnectionId", ""))
    found = front.connections.get(connection_id)
    where = f"{found.api_id}/{found.stage}" if found is not None else "*/*"
    method = _METHODS.get(operation, "*")
    resource = front.account.arn("execute-api", f"{where}/{method}/@connections/{connection_id}")
    return "execute-api:ManageConnections", resource
