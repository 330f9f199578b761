"""The IAM action and resource each SQS operation needs: ``sqs:<Operation>`` (a batch
needs its single form's action), on the queue the call names (with the queue's own access
policy, which may allow it too), else ``*``."""

from __future__ import annotations

from altus.api.spec import Members, Needs
from altus.queues.api import queue_name_of_url
from altus.queues.service import QueueService

#: Batch operations need the action of the operation they batch, as on SQS.
BATCHED = {
    "SendMessageBatch": "SendMessage",
    "DeleteMessageBatch": "DeleteMessage",
    "ChangeMessageVisibilityBatch": "ChangeMessageVisibility",
}


def actions(queues: QueueService, operation: str, members: Members) -> Needs:
    action = f"sqs:{BATCHED.get(operation, operation)}"
    name = members.get("QueueName")
    if name is None and isinstance(members.get("QueueUrl"), str):
        # The name the operation will act on, read exactly as it reads it.
        name = queue_name_of_url(members["QueueUrl"], queues.account_id)
    if isinstance(name, str) and name:
        return action, queues.arn(name), queues.policies(name)
    return action, "*"
