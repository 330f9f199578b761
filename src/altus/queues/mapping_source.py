"""The queues as event source mappings read them (``altus.sources.QueueSource``):
batches of any size, received and deleted as ReceiveMessage and DeleteMessageBatch do
(receive counts, redrive to dead-letter queues, FIFO group order all apply), with the
message as Lambda's SQS record shows it."""

from __future__ import annotations

from collections.abc import Sequence

from altus.queues.errors import QueueDoesNotExist
from altus.queues.handles import sequence_number
from altus.queues.md5 import md5_of_attributes, md5_of_body
from altus.queues.planning import Received
from altus.queues.service import QueueService
from altus.sources import QueueInfo, QueueMessage


class QueueMappingSource:
    def __init__(self, queues: QueueService) -> None:
        self._queues = queues

    def queue_info(self, arn: str) -> QueueInfo | None:
        name = self._queues.name_of_arn(arn)
        if name is None or not self._queues.has_queue(name):
            return None
        queue = self._queues.queue(name)
        return QueueInfo(arn, queue.fifo, queue.number("VisibilityTimeout"))

    async def receive_messages(
        self, arn: str, limit: int, visibility: int, wait: float
    ) -> list[QueueMessage]:
        name = self._queues.name_of_arn(arn)
        if name is None:
            return []
        received = await self._queues.receive_up_to(name, limit, visibility, wait)
        return [_message(item) for item in received]

    async def delete_messages(self, arn: str, receipt_handles: Sequence[str]) -> None:
        name = self._queues.name_of_arn(arn)
        if name is None or not receipt_handles:
            return
        try:
            await self._queues.delete_batch(name, list(receipt_handles))
        except QueueDoesNotExist:
            return

    def backlog(self, arn: str) -> int:
        name = self._queues.name_of_arn(arn)
        return self._queues.visible_count(name) if name is not None else 0


def _message(received: Received) -> QueueMessage:
    message = received.message
    attributes = {
        "ApproximateReceiveCount": str(message.receive_count),
        "SentTimestamp": str(message.sent_ms),
        "SenderId": message.sender_id,
        "ApproximateFirstReceiveTimestamp": str(message.first_receive_ms),
    }
    if received.fifo:
        attributes["SequenceNumber"] = sequence_number(message.seq)
        if message.group_id is not None:
            attributes["MessageGroupId"] = message.group_id
        if message.dedup_id is not None:
            attributes["MessageDeduplicationId"] = message.dedup_id
    trace = message.system.get("AWSTraceHeader", {}).get("StringValue")
    if trace:
        attributes["AWSTraceHeader"] = trace
    if message.source_arn:
        attributes["DeadLetterQueueSourceArn"] = message.source_arn
    return QueueMessage(
        message_id=message.id,
        receipt_handle=received.receipt_handle,
        body=message.body,
        attributes=attributes,
        message_attributes={k: dict(v) for k, v in message.attributes.items()},
        md5_of_body=md5_of_body(message.body),
        md5_of_message_attributes=md5_of_attributes(message.attributes)
        if message.attributes
        else None,
        group_id=message.group_id,
    )
