"""The CloudFormation store's contract (``altus.cloudformation.store.StackStore``) on every
backend: SQLite in memory, SQLite in a file and the machine's PostgreSQL. A stack, its
events and its change sets written at once; events read newest first in pages; an event
written twice kept once; purges taking a stack's events and change sets with it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from altus.cloudformation.model import (
    ChangeSet,
    Operation,
    Output,
    Parameter,
    Resource,
    Snapshot,
    Stack,
    StackEvent,
)
from altus.cloudformation.sql_store import SCHEMA, SqlStackStore
from altus.cloudformation.store import Write
from altus.store.storage import Storage

pytestmark = [pytest.mark.integration, pytest.mark.anyio]

STACK_ID = "arn:aws:cloudformation:us-east-1:000000000000:stack/app/1"


@pytest.fixture
async def store(store_url: str) -> AsyncIterator[SqlStackStore]:
    storage = Storage(store_url)
    db = storage.database()
    db.migrate([SCHEMA])
    yield SqlStackStore(db)
    await asyncio.to_thread(storage.close)


def stack(status: str = "CREATE_IN_PROGRESS") -> Stack:
    made = Stack(
        stack_id=STACK_ID,
        name="app",
        status=status,
        created=1_700_000_000.5,
        actor="arn:aws:iam::000000000000:root",
        template_body="Resources: {}",
        template={"Resources": {"Q": {"Type": "AWS::SQS::Queue"}}},
        parameters=[Parameter("Stage", "dev"), Parameter("Secret", "s", None, True)],
        outputs=[Output("Url", "http://q", "the queue", "app-url")],
        dependencies={"Q": []},
    )
    made.resources["Q"] = Resource(
        "Q", "AWS::SQS::Queue", "CREATE_COMPLETE", physical_id="http://q", seed="abc"
    )
    return made


def event(sequence: int) -> StackEvent:
    return StackEvent(
        stack_id=STACK_ID,
        event_id=f"e{sequence}",
        sequence=sequence,
        stack_name="app",
        logical_id="Q",
        physical_id=None,
        resource_type="AWS::SQS::Queue",
        timestamp=1_700_000_000.0 + sequence,
        status="CREATE_IN_PROGRESS",
    )


def change_set(name: str) -> ChangeSet:
    return ChangeSet(
        change_set_id=f"arn:aws:cloudformation:us-east-1:000000000000:changeSet/{name}/1",
        name=name,
        stack_id=STACK_ID,
        stack_name="app",
        kind="UPDATE",
        created=1_700_000_001.0,
        status="CREATE_COMPLETE",
        execution_status="AVAILABLE",
        actor="arn:aws:iam::000000000000:root",
        changes=[{"Type": "Resource", "ResourceChange": {"Action": "Add"}}],
    )


async def test_a_stack_round_trips_whole(store: SqlStackStore) -> None:
    written = stack()
    written.operation = Operation(
        "UPDATE",
        1.0,
        "token",
        previous=Snapshot(
            template={"Resources": {}},
            template_body="{}",
            parameters=[Parameter("Stage", "prod")],
            outputs=[],
            resources={"Q": Resource("Q", "AWS::SQS::Queue", "CREATE_COMPLETE")},
            description=None,
            capabilities=["CAPABILITY_IAM"],
            tags=[{"Key": "a", "Value": "b"}],
            role_arn=None,
            dependencies={"Q": []},
        ),
        replaced={"Q": Resource("Q", "AWS::SQS::Queue", "UPDATE_COMPLETE", physical_id="old")},
    )
    await store.write(Write(stacks=(written,), events=(event(0),), change_sets=(change_set("a"),)))
    stacks, change_sets = await store.load()
    assert stacks == [written]
    assert change_sets == [change_set("a")]


async def test_events_newest_first_in_pages_and_kept_once(store: SqlStackStore) -> None:
    await store.write(Write(stacks=(stack(),), events=tuple(event(i) for i in range(5))))
    # A step written again (its first write failed after landing) adds nothing.
    await store.write(Write(stacks=(stack(),), events=(event(4),)))
    first = await store.events(STACK_ID, None, 3)
    assert [e.sequence for e in first] == [4, 3, 2]
    rest = await store.events(STACK_ID, first[-1].sequence, 3)
    assert [e.sequence for e in rest] == [1, 0]
    assert await store.events("arn:other", None, 3) == []


async def test_rewrites_replace_and_purges_remove_everything(store: SqlStackStore) -> None:
    await store.write(Write(stacks=(stack(),), change_sets=(change_set("a"), change_set("b"))))
    dropped = (change_set("a").change_set_id,)
    await store.write(Write(stacks=(stack("CREATE_COMPLETE"),), dropped_change_sets=dropped))
    stacks, change_sets = await store.load()
    assert [s.status for s in stacks] == ["CREATE_COMPLETE"]
    assert [c.name for c in change_sets] == ["b"]
    await store.write(Write(events=(event(0),)))
    await store.write(Write(purged_stacks=(STACK_ID,)))
    assert await store.load() == ([], [])
    assert await store.events(STACK_ID, None, 10) == []
