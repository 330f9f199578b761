"""QueueService over an in-memory store, with a fake clock: retention, deduplication
windows, redrive counts, receipt handles."""

import asyncio

import pytest

from altus.arns import Account
from altus.clock import FakeClock
from altus.queues.errors import (
    InvalidParameterValue,
    QueueDoesNotExist,
    ReceiptHandleIsInvalid,
    UnsupportedOperation,
)
from altus.queues.handles import parse_handle
from altus.queues.planning import SendRequest
from altus.queues.service import QueueService
from altus.queues.sql_store import SCHEMA, SqlQueueStore
from altus.store.backends.sqlite import SqliteDatabase

ACCOUNT = Account(region="us-east-1", account_id="000000000000")


def run(test):
    async def main():
        clock = FakeClock()
        database = SqliteDatabase(None)
        database.migrate([SCHEMA])
        service = QueueService(SqlQueueStore(database), ACCOUNT, clock=clock)
        await service.start()
        try:
            await test(service, clock)
        finally:
            await service.close()
            database.close()

    asyncio.run(main())


def test_retention_drops_expired_messages():
    async def test(service, clock):
        await service.create_queue("r", {"MessageRetentionPeriod": "60"})
        await service.send("r", SendRequest(body="old"))
        clock.advance(30)
        await service.send("r", SendRequest(body="new"))
        clock.advance(31)
        assert service.get_attributes("r", ["ApproximateNumberOfMessages"]) == {
            "ApproximateNumberOfMessages": "1"
        }
        received = await service.receive("r", 10)
        assert [r.message.body for r in received] == ["new"]
        await service.sweep()
        clock.advance(60)
        await service.sweep()
        assert service.get_attributes("r", ["All"])["ApproximateNumberOfMessagesNotVisible"] == "0"

    run(test)


def test_dedup_window_is_five_minutes():
    async def test(service, clock):
        await service.create_queue("d.fifo", {"FifoQueue": "true"})
        first = await service.send("d.fifo", SendRequest(body="a", group_id="g", dedup_id="x"))
        clock.advance(299)
        again = await service.send("d.fifo", SendRequest(body="a", group_id="g", dedup_id="x"))
        assert again.message_id == first.message_id
        clock.advance(2)
        await service.sweep()
        later = await service.send("d.fifo", SendRequest(body="a", group_id="g", dedup_id="x"))
        assert later.message_id != first.message_id

    run(test)


def test_redrive_after_max_receive_count_with_fake_time():
    async def test(service, clock):
        await service.create_queue("dl")
        policy = (
            '{"deadLetterTargetArn": "arn:aws:sqs:us-east-1:000000000000:dl", "maxReceiveCount": 1}'
        )
        await service.create_queue("src", {"RedrivePolicy": policy, "VisibilityTimeout": "10"})
        await service.send("src", SendRequest(body="p"))
        assert len(await service.receive("src")) == 1
        clock.advance(11)
        assert await service.receive("src") == []
        (moved,) = await service.receive("dl")
        assert moved.message.body == "p" and moved.message.receive_count == 1
        assert moved.message.source_arn == "arn:aws:sqs:us-east-1:000000000000:src"

    run(test)


def test_deliver_to_an_arn():
    async def test(service, clock):
        await service.create_queue("target", {"MaximumMessageSize": "1024"})
        await service.create_queue("t.fifo", {"FifoQueue": "true"})
        arn = "arn:aws:sqs:us-east-1:000000000000:target"
        with pytest.raises(QueueDoesNotExist):
            await service.deliver("arn:aws:sqs:eu-west-1:000000000000:target", "{}")
        await service.deliver(
            arn, "{}", {"ErrorCode": {"DataType": "Number", "StringValue": "200"}}
        )
        (received,) = await service.receive("target")
        assert received.message.body == "{}"
        assert received.message.attributes["ErrorCode"]["StringValue"] == "200"
        with pytest.raises(QueueDoesNotExist) as missing:
            await service.deliver("arn:aws:sqs:us-east-1:111111111111:target", "{}")
        assert missing.value.message
        with pytest.raises(UnsupportedOperation):
            await service.deliver("arn:aws:sqs:us-east-1:000000000000:t.fifo", "{}")
        with pytest.raises(InvalidParameterValue):
            await service.deliver(arn, "x" * 1025)

    run(test)


def test_receipt_handles():
    async def test(service, clock):
        await service.create_queue("h")
        await service.send("h", SendRequest(body="b"))
        (received,) = await service.receive("h")
        queue, message_id, token = parse_handle(received.receipt_handle)
        assert (queue, message_id) == ("h", received.message.id) and token
        for bad in ("", "abc", "YWJj"):
            with pytest.raises((ReceiptHandleIsInvalid, Exception)):
                await service.delete("h", bad)
        await service.create_queue("other")
        with pytest.raises(ReceiptHandleIsInvalid):
            await service.delete("other", received.receipt_handle)

    run(test)


def test_long_poll_ends_on_interrupt():
    async def test(service, clock):
        await service.create_queue("w")
        poll = asyncio.get_running_loop().create_task(service.receive("w", wait=20))
        await asyncio.sleep(0.05)
        service.interrupt()
        assert await asyncio.wait_for(poll, 5) == []

    run(test)
