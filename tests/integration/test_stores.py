"""Every store's contract, run on every backend: SQLite in memory, SQLite in a file and the
machine's PostgreSQL (a fresh schema per test)."""

from __future__ import annotations

import asyncio
import dataclasses
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from altus.control.model import Alias, FunctionConfig, LayerRef, LayerVersion
from altus.control.sql_store import SCHEMA as FUNCTIONS
from altus.control.sql_store import SqlFunctionStore
from altus.control.store import (
    CreateFunction,
    DeleteAlias,
    DeleteFunction,
    DeleteLayerVersion,
    DeleteVersion,
    PutAlias,
    PutAttached,
    PutLatest,
    PutLayerVersion,
    PutTags,
    PutVersion,
    StoreConflict,
)
from altus.engine.async_store import SCHEMA as ASYNC
from altus.engine.async_store import OutboxRecord, QueuedEvent, SqlEventQueue
from altus.events.mapping import EventSourceMapping
from altus.events.sql_store import SCHEMA as MAPPINGS
from altus.events.sql_store import SqlMappingStore
from altus.events.store import Checkpoint, DropCheckpoints, DropMapping, PutCheckpoint, PutMapping
from altus.iam.customer_policies import (
    CustomerPolicy,
    PolicyExists,
    PolicyVersion,
    SqlPolicyStore,
)
from altus.iam.holdings import ROLE, USER, SqlHoldingStore
from altus.iam.roles import Role, RoleExists, SqlRoleStore
from altus.iam.schema import SCHEMA as IAM
from altus.iam.users import SqlUserStore, User, UserExists
from altus.identity.keys import SCHEMA as IDENTITY
from altus.identity.keys import AccessKey, SqlKeyStore
from altus.logs.sql_store import SCHEMA as LOGS
from altus.logs.sql_store import SqlLogStore
from altus.observe.logs import LogEvent
from altus.queues.base import Dedup, DropDedups, Message, PutDedup, PutMessage, PutQueue, Queue
from altus.queues.sql_store import SCHEMA as QUEUES
from altus.queues.sql_store import SqlQueueStore
from altus.store.code import CodeRef
from altus.store.database import Database, IntegrityViolation, Migration, Schema
from altus.store.secrets import FernetCipher, SecretError
from altus.store.storage import Storage

pytestmark = [pytest.mark.integration, pytest.mark.anyio]

CODE = CodeRef(digest="ab" * 32, sha256="q80=", size=10)


@pytest.fixture
async def database(store_url: str) -> AsyncIterator[Database]:
    storage = Storage(store_url)
    db = storage.database()
    db.migrate([FUNCTIONS, ASYNC, QUEUES, LOGS, IDENTITY, IAM])
    yield db
    await asyncio.to_thread(storage.close)


def config(name: str = "f", **changes: Any) -> FunctionConfig:
    return FunctionConfig(
        name=name,
        version="$LATEST",
        role="r",
        code=CODE,
        runtime="python3.12",
        handler="a.b",
        **changes,
    )


# --- the substrate ------------------------------------------------------------------------


async def test_migrations_are_per_component_and_run_once(database: Database) -> None:
    extra = Schema("extra", (Migration("CREATE TABLE extra_a (k TEXT PRIMARY KEY)"),))
    database.migrate([extra])
    database.migrate([extra])  # nothing left to do: no error for the table existing
    grown = Schema(
        "extra", (*extra.migrations, Migration("CREATE TABLE extra_b (k TEXT PRIMARY KEY)"))
    )
    database.migrate([grown])
    versions = await database.read(
        lambda tx: dict(tx.execute("SELECT component, version FROM altus_schema").fetchall())
    )
    assert versions == {
        "functions": 2,
        "async": 3,
        "queues": 1,
        "logs": 1,
        "identity": 1,
        "iam": 4,
        "extra": 2,
    }


async def test_a_migration_waits_for_a_write_in_flight(database: Database) -> None:
    # A component made after the services started (the console) migrates while their
    # background writes run: the migration must not share the writer's transaction.
    started, release = threading.Event(), threading.Event()

    def slow(tx):
        tx.execute("INSERT INTO layers (name, last_version) VALUES (?, ?)", ("w", 1))
        started.set()
        assert release.wait(10)

    write = asyncio.ensure_future(database.write(slow))
    assert await asyncio.to_thread(started.wait, 10)
    extra = Schema("extra", (Migration("CREATE TABLE extra_a (k TEXT PRIMARY KEY)"),))
    migrating = asyncio.ensure_future(asyncio.to_thread(database.migrate, [extra]))
    await asyncio.sleep(0.05)  # the migration is waiting (or, before the fix, had failed)
    release.set()
    await write
    await migrating
    rows = await database.read(lambda tx: tx.execute("SELECT name FROM layers").fetchall())
    assert [r[0] for r in rows] == ["w"]
    tables = await database.read(lambda tx: tx.execute("SELECT k FROM extra_a").fetchall())
    assert tables == []


async def test_a_failed_write_changes_nothing(database: Database) -> None:
    def work(tx):
        tx.execute("INSERT INTO layers (name, last_version) VALUES (?, ?)", ("l", 1))
        tx.execute("INSERT INTO layers (name, last_version) VALUES (?, ?)", ("l", 2))

    with pytest.raises(IntegrityViolation):
        await database.write(work)
    rows = await database.read(lambda tx: tx.execute("SELECT * FROM layers").fetchall())
    assert rows == []


async def test_savepoints_keep_the_rest_of_a_transaction(database: Database) -> None:
    def work(tx):
        tx.execute("INSERT INTO layers (name, last_version) VALUES (?, ?)", ("a", 1))
        with pytest.raises(IntegrityViolation), tx.savepoint():
            tx.execute("INSERT INTO layers (name, last_version) VALUES (?, ?)", ("b", 1))
            tx.execute("INSERT INTO layers (name, last_version) VALUES (?, ?)", ("b", 2))
        tx.execute("INSERT INTO layers (name, last_version) VALUES (?, ?)", ("c", 1))

    await database.write(work)
    rows = await database.read(
        lambda tx: tx.execute("SELECT name FROM layers ORDER BY name").fetchall()
    )
    assert [r[0] for r in rows] == ["a", "c"]


async def test_text_keys_order_bytewise(database: Database) -> None:
    """Paging by name relies on one order everywhere (PostgreSQL: the "C" collation)."""
    names = ["b", "B", "a-1", "a_1", "A", "é", "z"]
    store = SqlFunctionStore(database)
    for name in names:
        await store.apply([CreateFunction(config(name))])
    assert [r.name for r in await store.load()] == sorted(names)


# --- functions ----------------------------------------------------------------------------


async def test_create_load_and_conflict(database: Database) -> None:
    store = SqlFunctionStore(database)
    latest = config(environment={"K": "v"})
    await store.apply([CreateFunction(latest, {"t": "1"})])
    (record,) = await store.load()
    assert record.latest == latest and record.tags == {"t": "1"}
    with pytest.raises(StoreConflict):
        await store.apply([CreateFunction(config())])


async def test_plans_apply_all_or_nothing(database: Database) -> None:
    store = SqlFunctionStore(database)
    await store.apply([CreateFunction(config())])
    with pytest.raises(StoreConflict):
        await store.apply([PutTags("f", {"new": "tag"}), CreateFunction(config())])
    assert (await store.load())[0].tags == {}


async def test_compare_and_swap_on_latest(database: Database) -> None:
    store = SqlFunctionStore(database)
    first = config()
    await store.apply([CreateFunction(first)])
    second = first.replace(timeout=9, revision_id="r2")
    await store.apply([PutLatest(second, expect_revision=first.revision_id)])
    with pytest.raises(StoreConflict):
        await store.apply([PutLatest(first.replace(timeout=1), expect_revision=first.revision_id)])
    assert (await store.load())[0].latest.timeout == 9


async def test_versions_aliases_and_delete(database: Database) -> None:
    store = SqlFunctionStore(database)
    latest = config()
    await store.apply([CreateFunction(latest)])
    await store.apply([PutVersion(latest.replace(version="1"), 1)])
    await store.apply([PutVersion(latest.replace(version="2"), 2)])
    await store.apply([PutAlias(Alias("f", "prod", "1", additional_weights={"2": 0.1}))])
    await store.apply([PutAlias(Alias("f", "prod", "2"))])  # replaced, not doubled
    record = (await store.load())[0]
    assert sorted(record.versions) == ["1", "2"] and record.last_version == 2
    assert record.aliases["prod"].function_version == "2"
    with pytest.raises(StoreConflict):
        await store.apply([PutVersion(latest.replace(version="2"), 2)])
    await store.apply([DeleteVersion("f", "2"), DeleteAlias("f", "prod")])
    record = (await store.load())[0]
    assert sorted(record.versions) == ["1"] and record.last_version == 2 and not record.aliases
    assert await store.code_references() == {CODE.digest}
    await store.apply([DeleteFunction("f")])
    assert await store.load() == []


async def test_attachments_and_their_qualifiers(database: Database) -> None:
    store = SqlFunctionStore(database)
    await store.apply(
        [
            CreateFunction(config()),
            PutVersion(config().replace(version="1"), 1),
            PutAlias(Alias("f", "live", "1")),
        ]
    )
    await store.apply(
        [
            PutAttached("f", "policy", "", {"statements": []}),
            PutAttached("f", "url", "live", {"url_id": "x"}),
            PutAttached("f", "url", "live", {"url_id": "y"}),
            PutAttached("f", "provisioned", "1", {"requested": 2}),
        ]
    )
    (record,) = await store.load()
    assert record.attachment("url", "live") == {"url_id": "y"}
    assert record.attachment("provisioned", "1") == {"requested": 2}
    await store.apply(
        [DeleteAlias("f", "live"), DeleteVersion("f", "1"), PutAttached("f", "policy", "", None)]
    )
    (record,) = await store.load()
    assert record.attachment("url", "live") is None
    assert record.attachment("provisioned", "1") is None
    assert record.attachment("policy") is None
    await store.apply([PutAttached("f", "concurrency", "", {"reserved": 3}), DeleteFunction("f")])
    assert await store.load() == []


async def test_layer_versions_and_their_counter(database: Database) -> None:
    store = SqlFunctionStore(database)
    layer = LayerVersion(name="lib", version=1, code=CODE, compatible_runtimes=("python3.12",))
    await store.apply([PutLayerVersion(layer), PutLayerVersion(layer.replace(version=2))])
    await store.apply([DeleteLayerVersion("lib", 2)])
    layers, counters = await store.load_layers()
    assert layers == [layer] and counters == {"lib": 2}
    # A lower number never moves the counter back.
    await store.apply([PutLayerVersion(layer)])
    assert (await store.load_layers())[1] == {"lib": 2}
    with_policy = layer.replace(statements=({"Sid": "a"},), policy_revision="r2")
    await store.apply([PutLayerVersion(with_policy)])
    assert (await store.load_layers())[0] == [with_policy]
    # A function keeps its layers' packages referenced after the layer versions go.
    other = CodeRef(digest="cd" * 32, sha256="zz=", size=1)
    await store.apply(
        [CreateFunction(config(layers=(LayerRef("arn:l:1", other),))), DeleteLayerVersion("lib", 1)]
    )
    assert other.digest in await store.code_references()


async def test_environment_is_encrypted_at_rest(database: Database, tmp_path: Path) -> None:
    cipher = FernetCipher.from_file(tmp_path / "secret.key")
    assert (tmp_path / "secret.key").stat().st_mode & 0o777 == 0o600
    store = SqlFunctionStore(database, cipher)
    latest = config(environment={"PASSWORD": "hunter2-hunter2"})
    await store.apply([CreateFunction(latest), PutVersion(latest.replace(version="1"), 1)])
    stored = await database.read(
        lambda tx: tx.execute(
            "SELECT latest FROM functions UNION ALL SELECT config FROM versions"
        ).fetchall()
    )
    assert all("hunter2" not in text for (text,) in stored)
    (record,) = await SqlFunctionStore(database, cipher).load()
    assert record.latest.environment == {"PASSWORD": "hunter2-hunter2"}
    assert record.versions["1"].environment == {"PASSWORD": "hunter2-hunter2"}
    # Another key cannot read them, and says so.
    (tmp_path / "other").mkdir()
    stranger = SqlFunctionStore(database, FernetCipher.from_file(tmp_path / "other" / "k"))
    with pytest.raises(SecretError):
        await stranger.load()


async def test_environments_stored_in_clear_are_sealed_when_a_key_arrives(
    database: Database, tmp_path: Path
) -> None:
    plain = SqlFunctionStore(database)  # as a server before encryption at rest
    latest = config(environment={"TOKEN": "older-secret-in-clear"})
    await plain.apply([CreateFunction(latest), PutVersion(latest.replace(version="1"), 1)])
    sealed = SqlFunctionStore(database, FernetCipher.from_file(tmp_path / "secret.key"))
    (record,) = await sealed.load()
    assert record.versions["1"].environment == {"TOKEN": "older-secret-in-clear"}
    stored = await database.read(
        lambda tx: tx.execute(
            "SELECT latest FROM functions UNION ALL SELECT config FROM versions"
        ).fetchall()
    )
    assert all("older-secret-in-clear" not in text for (text,) in stored)


async def test_sealed_secrets_leave_no_trace_in_sqlite_files(tmp_path: Path) -> None:
    storage = Storage(f"sqlite:{tmp_path / 'altus.db'}")
    db = storage.database()
    db.migrate([FUNCTIONS])
    latest = config(environment={"TOKEN": "older-secret-in-clear"})
    await SqlFunctionStore(db).apply([CreateFunction(latest)])
    await SqlFunctionStore(db, FernetCipher.from_file(tmp_path / "secret.key")).load()
    await asyncio.to_thread(storage.close)
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("altus.db*"))
    assert b"older-secret-in-clear" not in raw


# --- the asynchronous event queue ---------------------------------------------------------


async def test_event_queue(database: Database) -> None:
    queue = SqlEventQueue(database)
    await queue.put([QueuedEvent("b", "f", None, b"{}", 2)])
    await queue.put(
        [QueuedEvent("a", "f", "prod", b"[1]", 1), QueuedEvent("c", "g", None, b"\x00\xff", 3)]
    )
    pending = await queue.pending()
    assert [e.id for e in pending] == ["a", "b", "c"]
    assert pending[0].payload == b"[1]" and pending[0].qualifier == "prod"
    assert await queue.payload("c") == b"\x00\xff" and await queue.payload("zz") is None
    await queue.update(QueuedEvent("b", "f", None, b"", 2, attempts=1, extra={"due_ms": 9}))
    b = next(e for e in await queue.pending() if e.id == "b")
    assert (b.attempts, b.extra, b.payload) == (1, {"due_ms": 9}, b"{}")
    await queue.finish([("a", ())])
    assert [e.id for e in await queue.pending()] == ["b", "c"]
    with pytest.raises(IntegrityViolation):  # one batch, all or nothing
        await queue.put([QueuedEvent("d", "f", None, b"", 4), QueuedEvent("b", "f", None, b"", 5)])
    assert [e.id for e in await queue.pending()] == ["b", "c"]


async def test_finishing_an_event_stores_its_records_with_it(database: Database) -> None:
    queue = SqlEventQueue(database)
    await queue.put([QueuedEvent("e", "f", None, b"{}", 1)])
    record = OutboxRecord(
        "r1",
        "e",
        "f",
        "OnSuccess",
        "arn:aws:sqs:us-east-1:1:q",
        "{}",
        {"A": {"DataType": "String", "StringValue": "x"}},
        created_ms=5,
    )
    await queue.put([QueuedEvent("g", "f", None, b"{}", 2)])
    await queue.finish(
        [
            ("e", [record, OutboxRecord("r0", "e", "f", "DeadLetter", "t", "b", created_ms=4)]),
            ("g", ()),
        ]
    )
    assert await queue.pending() == []
    assert [r.id for r in await queue.outbox(parked=False)] == ["r0", "r1"]
    assert (await queue.outbox(parked=False))[1] == record
    parked = OutboxRecord(
        "r1",
        "e",
        "f",
        "OnSuccess",
        record.target,
        "{}",
        created_ms=5,
        attempts=8,
        parked_ms=77,
        last_error="down",
    )
    await queue.put_record(parked)
    assert await queue.outbox(parked=True) == [parked]
    assert [r.id for r in await queue.outbox(parked=False)] == ["r0"]
    await queue.record_done("r0")
    await queue.record_done("r1")
    assert await queue.outbox(parked=False) == await queue.outbox(parked=True) == []


# --- queues -------------------------------------------------------------------------------


def _message(queue: str, message_id: str, seq: int) -> Message:
    return Message(
        queue=queue,
        id=message_id,
        seq=seq,
        body="b",
        attributes={},
        system={},
        sent_ms=1,
        visible_ms=1,
        sender_id="0",
    )


async def test_queue_store(database: Database) -> None:
    store = SqlQueueStore(database)
    queue = Queue(name="q", attributes={"VisibilityTimeout": "30"}, created_ms=1, modified_ms=1)
    results = await store.apply(
        [
            [PutQueue(queue), PutMessage(_message("q", "m", 1))],
            [PutMessage(_message("none", "o", 2))],
            [PutDedup(Dedup("q", "k", "m", 1, 10))],
        ]
    )
    # Each plan stands alone: the orphan's failure keeps neither it nor the others out.
    assert results[0] is None and results[1] is not None and results[2] is None
    # Replacing a queue keeps its messages.
    await store.apply([[PutQueue(Queue(name="q", attributes={}, created_ms=1, modified_ms=2))]])
    snapshot = await store.load()
    assert [q.name for q in snapshot.queues] == ["q"] and snapshot.queues[0].modified_ms == 2
    assert [m.id for m in snapshot.messages] == ["m"]
    assert [d.key for d in snapshot.dedups] == ["k"]
    await store.apply([[DropDedups(10)]])
    assert (await store.load()).dedups == []


# --- logs ---------------------------------------------------------------------------------


async def test_log_store(database: Database) -> None:
    logs = SqlLogStore(database)
    await logs.start()
    logs.append("/aws/lambda/f", "s1", [LogEvent(10, "one"), LogEvent(30, "three")])
    logs.append("/aws/lambda/f", "s2", [LogEvent(20, "two")])
    logs.append("/aws/lambda/g", "s1", [LogEvent(5, "other")])
    await logs.flush()
    assert [g.group for g in await logs.groups("/aws/lambda/")] == [
        "/aws/lambda/f",
        "/aws/lambda/g",
    ]
    assert [g.group for g in await logs.groups("/aws/lambda/g")] == ["/aws/lambda/g"]
    streams = await logs.streams("/aws/lambda/f")
    assert [(s.stream, s.first_event, s.last_event, s.stored_bytes) for s in streams] == [
        ("s1", 10, 30, 8),
        ("s2", 20, 20, 3),
    ]
    events = await logs.events("/aws/lambda/f")
    assert [e.message for e in events] == ["one", "two", "three"]
    assert [e.message for e in await logs.events("/aws/lambda/f", ["s2"])] == ["two"]
    assert [e.message for e in await logs.events("/aws/lambda/f", start=15, end=30)] == ["two"]
    newest = await logs.events("/aws/lambda/f", limit=2, descending=True)
    assert [e.message for e in newest] == ["three", "two"]
    after = await logs.events("/aws/lambda/f", after_id=events[0].event_id)
    assert [e.message for e in after] == ["two", "three"]
    assert await logs.prune(15) == 2
    assert [e.message for e in await logs.events("/aws/lambda/f")] == ["two", "three"]
    await logs.delete_group("/aws/lambda/f")
    assert [g.group for g in await logs.groups()] == ["/aws/lambda/g"]
    await logs.close()


# --- access keys --------------------------------------------------------------------------


async def test_access_keys_are_sealed_and_kept(database: Database, tmp_path: Path) -> None:
    cipher = FernetCipher.from_file(tmp_path / "secret.key")
    keys = SqlKeyStore(database, cipher)
    one = AccessKey("AKIAONE0000000000000", "secret/one+", "arn:aws:iam::1:user/admin", 1)
    two = AccessKey("AKIATWO0000000000000", "secret-two", "arn:aws:iam::1:user/b", 2)
    await keys.put(one)
    await keys.put(two)
    assert await keys.keys() == [one, two]
    # The secret is stored sealed, never as given.
    stored = await database.read(
        lambda tx: tx.execute("SELECT secret FROM access_keys WHERE id = ?", (one.id,)).fetchone()
    )
    assert "secret/one+" not in stored[0]
    await keys.put(AccessKey(two.id, two.secret, two.principal, 2, "Inactive"))
    assert [k.status for k in await keys.keys()] == ["Active", "Inactive"]


async def test_iam_roles(database: Database) -> None:
    roles = SqlRoleStore(database)
    role = Role("Runner", "AROAEXAMPLE", "/service/", '{"Statement": []}', 1, "d", 7200, {"a": "b"})
    await roles.add(role)
    with pytest.raises(RoleExists):  # names are unique whatever their case
        await roles.add(Role("RUNNER", "AROAOTHER", "/", "{}", 2))
    bounded = Role("Runner", role.id, role.path, "{}", 1, "", 3600, {}, "arn:aws:iam::1:policy/b")
    await roles.replace(bounded)
    assert await roles.roles() == [bounded]
    await roles.delete("RUNNER")
    assert await roles.roles() == []


async def test_iam_users(database: Database) -> None:
    users = SqlUserStore(database)
    user = User("Ann", "AIDAEXAMPLE", "/team/", 5, {"k": "v"})
    await users.add(user)
    with pytest.raises(UserExists):
        await users.add(User("ANN", "AIDAOTHER", "/", 6))
    bounded = User("Ann", user.id, user.path, 5, {}, "arn:aws:iam::1:policy/b")
    await users.replace(bounded)
    assert await users.users() == [bounded]
    await users.delete("ann")
    assert await users.users() == []


@pytest.mark.parametrize("kind", [ROLE, USER])
async def test_iam_inline_policies_and_attachments(database: Database, kind: str) -> None:
    held = SqlHoldingStore(database, kind)
    await held.put_policy("Runner", "p", "one")
    await held.put_policy("runner", "p", "two")  # replaced, by the holder's name in any case
    await held.attach("Runner", "arn:aws:iam::aws:policy/AmazonSQSFullAccess")
    await held.attach("Runner", "arn:aws:iam::aws:policy/AmazonSQSFullAccess")
    assert await held.policies() == [("runner", "p", "two")]
    assert await held.attachments() == [("runner", "arn:aws:iam::aws:policy/AmazonSQSFullAccess")]
    # Roles' and users' are apart.
    other = SqlHoldingStore(database, USER if kind == ROLE else ROLE)
    assert (await other.policies(), await other.attachments()) == ([], [])
    await held.delete_policy("Runner", "p")
    await held.detach("Runner", "arn:aws:iam::aws:policy/AmazonSQSFullAccess")
    assert (await held.policies(), await held.attachments()) == ([], [])


async def test_iam_customer_managed_policies_and_their_versions(database: Database) -> None:
    store = SqlPolicyStore(database)
    first = PolicyVersion("v1", '{"one": 1}', 10)
    policy = CustomerPolicy(
        "Send",
        "arn:aws:iam::1:policy/Send",
        "ANPAX",
        "/",
        "d",
        "v1",
        2,
        10,
        10,
        {"t": "1"},
        (first,),
    )
    await store.create(policy)
    with pytest.raises(PolicyExists):
        await store.create(
            CustomerPolicy("SEND", "arn:aws:iam::1:policy/SEND", "ANPAY", "/", "", "v1", 2, 11, 11)
        )
    second = PolicyVersion("v2", '{"two": 2}', 20)
    grown = policy.with_version(second, default=True)
    await store.update(grown, added=second)
    assert await store.policies() == [grown]
    assert grown.default == second and grown.next_version == 3
    shrunk = dataclasses.replace(grown, versions=(second,))
    await store.update(shrunk, removed="v1")
    assert await store.policies() == [shrunk]
    await store.delete(shrunk)
    assert await store.policies() == []
    rows = await database.read(
        lambda tx: tx.execute("SELECT COUNT(*) FROM iam_policy_versions").fetchone()
    )
    assert rows[0] == 0


async def test_a_database_from_before_component_versions_is_adopted(tmp_path: Path) -> None:
    """An altus.db whose one list of migrations was counted in PRAGMA user_version (4:
    functions, async events, their outbox, queues) keeps its data and is not migrated
    again."""
    path = tmp_path / "altus.db"
    storage = Storage(f"sqlite:{path}")
    # The async tables as they were then (later migrations of theirs run on adoption).
    async_then = Schema(ASYNC.component, ASYNC.migrations[:2])
    storage.database().migrate([FUNCTIONS, async_then, QUEUES])
    await SqlFunctionStore(storage.database()).apply([CreateFunction(config("old"))])

    def as_before(tx):
        tx.execute("DROP TABLE altus_schema")
        tx.execute("PRAGMA user_version = 4")

    await storage.database().write(as_before)
    await asyncio.to_thread(storage.close)
    again = Storage(f"sqlite:{path}")
    again.database().migrate([FUNCTIONS, ASYNC, QUEUES])
    assert [r.name for r in await SqlFunctionStore(again.database()).load()] == ["old"]
    versions = await again.database().read(
        lambda tx: dict(tx.execute("SELECT component, version FROM altus_schema").fetchall())
    )
    assert versions == {"functions": 2, "async": len(ASYNC.migrations), "queues": 1}
    await asyncio.to_thread(again.close)


# --- Secrets Manager ----------------------------------------------------------------------
# (Imports inside the tests: this section is appended beside other services' sections.)


def _secret(name: str = "db/password", **changes: Any) -> Any:
    from altus.secretsmanager.model import Secret, Version

    secret = Secret(
        arn=f"arn:aws:secretsmanager:us-east-1:1:secret:{name}-AbCdEf",
        name=name,
        created_ms=1000,
        changed_ms=1000,
        description="the database's",
        tags=(("env", "prod"), ("team", "core")),
        policy='{"Statement": []}',
        versions=(
            Version("v1" * 16, ("AWSPREVIOUS",), 1000, None, None, 0),
            Version("v2" * 16, ("AWSCURRENT", "mine"), 2000, "alias/k", 86_400_000, 1),
        ),
    )
    return secret.replace(**changes)


async def test_secrets_are_stored_with_their_versions_and_sealed_values(
    database: Database, tmp_path: Path
) -> None:
    from altus.secretsmanager.errors import DecryptionFailure
    from altus.secretsmanager.sql_store import SCHEMA as SECRETS
    from altus.secretsmanager.sql_store import SqlSecretStore
    from altus.secretsmanager.store import NameTaken

    database.migrate([SECRETS])
    store = SqlSecretStore(database, FernetCipher.from_file(tmp_path / "secret.key"))
    secret = _secret()
    await store.create(secret, {"v1" * 16: "hunter2-in-clear", "v2" * 16: b"\x00binary\xff"})
    assert await store.load() == [secret]
    assert await store.value(secret.arn, "v1" * 16) == "hunter2-in-clear"
    assert await store.value(secret.arn, "v2" * 16) == b"\x00binary\xff"
    assert await store.value(secret.arn, "nope") is None
    # Nothing of a value, nor whether it is text, is stored in clear.
    sealed = await database.read(lambda tx: tx.execute("SELECT sealed FROM sm_versions").fetchall())
    assert all("hunter2" not in text and "binary" not in text for (text,) in sealed)
    # Names are unique: another secret of the name writes nothing.
    with pytest.raises(NameTaken):
        await store.create(_secret(arn=secret.arn + "x", versions=()), {})
    assert len(await store.load()) == 1
    # Saving: a new version with its value, one dropped, labels and metadata changed;
    # the kept version's value is the one first stored.
    from altus.secretsmanager.model import Version

    kept = secret.versions[1].replace(stages=("AWSPREVIOUS",), kms_key_id="alias/other")
    added = Version("v3" * 16, ("AWSCURRENT",), 3000, None, None, 2)
    changed = secret.replace(
        versions=(kept, added), tags=(), policy=None, purge_ms=9000, deleted_ms=3000
    )
    await store.save(changed, {added.id: "third"})
    assert await store.load() == [changed]
    assert await store.value(secret.arn, "v1" * 16) is None
    assert await store.value(secret.arn, "v2" * 16) == b"\x00binary\xff"
    assert await store.value(secret.arn, "v3" * 16) == "third"
    # Another key cannot open the values, and says so.
    (tmp_path / "other").mkdir()
    stranger = SqlSecretStore(database, FernetCipher.from_file(tmp_path / "other" / "k"))
    with pytest.raises(DecryptionFailure):
        await stranger.value(secret.arn, "v3" * 16)
    # Purged: the secret, its versions and their values are gone, and a late save of it
    # brings nothing back.
    await store.purge(secret.arn)
    await store.save(changed, {})
    assert await store.load() == []
    left = await database.read(lambda tx: tx.execute("SELECT count(*) FROM sm_versions").fetchone())
    assert left[0] == 0


async def test_a_failed_secret_save_changes_nothing(database: Database, tmp_path: Path) -> None:
    from altus.secretsmanager.model import Version
    from altus.secretsmanager.sql_store import SCHEMA as SECRETS
    from altus.secretsmanager.sql_store import SqlSecretStore

    database.migrate([SECRETS])
    store = SqlSecretStore(database, FernetCipher.from_file(tmp_path / "secret.key"))
    secret = _secret(versions=(Version("v1" * 16, ("AWSCURRENT",), 1000),))
    await store.create(secret, {"v1" * 16: "one"})
    broken = secret.replace(
        description="changed", versions=(*secret.versions, Version("v2" * 16, (), 2000, seq=1))
    )
    with pytest.raises(KeyError):  # a new version without its value
        await store.save(broken, {})
    assert await store.load() == [secret]


async def test_secret_values_leave_no_trace_in_sqlite_files(tmp_path: Path) -> None:
    from altus.secretsmanager.model import Version
    from altus.secretsmanager.sql_store import SCHEMA as SECRETS
    from altus.secretsmanager.sql_store import SqlSecretStore

    storage = Storage(f"sqlite:{tmp_path / 'altus.db'}")
    db = storage.database()
    db.migrate([SECRETS])
    store = SqlSecretStore(db, FernetCipher.from_file(tmp_path / "secret.key"))
    secret = _secret(versions=(Version("v1" * 16, ("AWSCURRENT",), 1000),))
    await store.create(secret, {"v1" * 16: "plain-text-password-0042"})
    await asyncio.to_thread(storage.close)
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("altus.db*"))
    assert b"plain-text-password-0042" not in raw
    assert b"db/password" in raw  # the name is stored, as on AWS: only values are sealed


# --- SSM parameters -------------------------------------------------------------------------


def _ssm_version(name: str, version: int, value: str = "v", **changes: Any) -> Any:
    from altus.ssm.model import ParameterVersion

    fields: dict[str, Any] = {
        "name": name,
        "version": version,
        "type": "String",
        "value": value,
        "tier": "Standard",
        "data_type": "text",
        "modified_ms": 1000 + version,
        "modified_by": "arn:aws:iam::000000000000:root",
    }
    fields.update(changes)
    return ParameterVersion(**fields)


async def test_ssm_parameters_versions_labels_and_tags(database: Database, tmp_path: Path) -> None:
    from altus.ssm.model import PutPlan
    from altus.ssm.sql_store import SCHEMA as SSM
    from altus.ssm.sql_store import SqlParameterStore
    from altus.ssm.store import StoreConflict

    database.migrate([SSM])
    store = SqlParameterStore(database, FernetCipher.from_file(tmp_path / "secret.key"))
    await store.put(PutPlan(_ssm_version("/a/x", 1, "one"), None, tags={"team": "web"}))
    await store.put(PutPlan(_ssm_version("/a/x", 2, "two", tier="Advanced"), 1))
    # Planned against version 1 again: another writer got there first.
    with pytest.raises(StoreConflict):
        await store.put(PutPlan(_ssm_version("/a/x", 2, "late"), 1))
    with pytest.raises(StoreConflict):  # made meanwhile by another writer
        await store.put(PutPlan(_ssm_version("/a/x", 1, "dup"), None))
    found = await store.parameter("/a/x")
    assert found is not None
    assert (found.latest.value, found.latest.version, found.versions) == ("two", 2, (1, 2))
    assert found.tags == {"team": "web"}
    assert (await store.count("Standard"), await store.count("Advanced")) == (0, 1)
    first = await store.version("/a/x", 1)
    assert first is not None and first.value == "one"
    assert await store.version("/a/x", 3) is None

    await store.label("/a/x", 1, ["prod", "beta"])
    await store.label("/a/x", 2, ["prod"])  # moves
    found = await store.parameter("/a/x")
    assert found is not None and found.labels == {"prod": 2, "beta": 1}
    assert found.latest.labels == ("prod",)
    with pytest.raises(StoreConflict):  # the version is not kept
        await store.label("/a/x", 7, ["x"])
    with pytest.raises(StoreConflict):  # more than ten on one version: nothing written
        await store.label("/a/x", 1, [f"l{i}" for i in range(10)])
    assert [v.labels for v in await store.history("/a/x", 0, 10)] == [("beta",), ("prod",)]
    assert [v.version for v in await store.history("/a/x", 1, 10)] == [2]
    assert await store.unlabel("/a/x", 1, ["prod", "beta", "beta"]) == ["beta"]

    # Dropping the oldest version: refused while it carries a label.
    await store.label("/a/x", 1, ["old"])
    with pytest.raises(StoreConflict):
        await store.put(PutPlan(_ssm_version("/a/x", 3, "three"), 2, drop=1))
    await store.unlabel("/a/x", 1, ["old"])
    await store.put(PutPlan(_ssm_version("/a/x", 3, "three"), 2, drop=1))
    assert [v.version for v in await store.history("/a/x", 0, 10)] == [2, 3]

    def add(tags: dict[str, str]) -> dict[str, str]:
        return {**tags, "env": "prod"}

    assert await store.retag("/a/x", add) == {"team": "web", "env": "prod"}
    assert await store.retag("/none", add) is None

    def refuse(tags: dict[str, str]) -> dict[str, str]:
        raise ValueError("no")

    with pytest.raises(ValueError):
        await store.retag("/a/x", refuse)
    found = await store.parameter("/a/x")
    assert found is not None and found.tags == {"team": "web", "env": "prod"}

    for name in ("/a/y", "/b/z", "plain"):
        await store.put(PutPlan(_ssm_version(name, 1), None))
    assert [p.name for p in await store.listing("", 10)] == ["/a/x", "/a/y", "/b/z", "plain"]
    assert [p.name for p in await store.listing("/a/x", 10, "/a/")] == ["/a/y"]
    assert [p.name for p in await store.listing("", 2)] == ["/a/x", "/a/y"]
    assert await store.delete(["/a/x", "/nope", "/a/x"]) == ["/a/x"]
    assert await store.parameter("/a/x") is None
    assert await store.history("/a/x", 0, 10) == []
    # A name made again starts afresh: no label or tag is left of the old one.
    await store.put(PutPlan(_ssm_version("/a/x", 1), None))
    found = await store.parameter("/a/x")
    assert found is not None and (found.labels, found.tags) == ({}, {})


async def test_ssm_secure_strings_are_sealed_at_rest(database: Database, tmp_path: Path) -> None:
    from altus.ssm.model import PutPlan
    from altus.ssm.sql_store import SCHEMA as SSM
    from altus.ssm.sql_store import SqlParameterStore

    database.migrate([SSM])
    store = SqlParameterStore(database, FernetCipher.from_file(tmp_path / "secret.key"))
    secure = _ssm_version("/s", 1, "sealed-value-0042", type="SecureString", key_id="alias/aws/ssm")
    await store.put(PutPlan(secure, None))
    await store.put(PutPlan(_ssm_version("/p", 1, "plain-value-0042"), None))
    stored = await database.read(
        lambda tx: dict(tx.execute("SELECT name, value FROM ssm_versions").fetchall())
    )
    assert stored["/p"] == "plain-value-0042"
    assert "sealed-value" not in stored["/s"]
    found = await store.version("/s", 1)
    assert found is not None
    assert (found.value, found.sealed, found.key_id) == (
        "sealed-value-0042",
        stored["/s"],
        "alias/aws/ssm",
    )
    (tmp_path / "other").mkdir()
    stranger = SqlParameterStore(database, FernetCipher.from_file(tmp_path / "other" / "k"))
    with pytest.raises(SecretError):
        await stranger.parameter("/s")


async def test_iam_groups_members_and_a_groups_rename(database: Database) -> None:
    from altus.iam.groups import Group, GroupExists, SqlGroupStore
    from altus.iam.holdings import GROUP

    groups = SqlGroupStore(database)
    devs = Group("Devs", "AGPAEXAMPLE", "/eng/", 7)
    await groups.add(devs)
    await groups.add(Group("Ops", "AGPAOTHER", "/", 8))
    with pytest.raises(GroupExists):  # names are unique whatever their case
        await groups.add(Group("DEVS", "AGPAAGAIN", "/", 9))
    await groups.add_member("Devs", "Ann")
    await groups.add_member("devs", "ann")  # a member twice is no error
    await groups.add_member("Devs", "Bob")
    assert await groups.members() == [("devs", "ann"), ("devs", "bob")]
    held = SqlHoldingStore(database, GROUP)
    await held.put_policy("Devs", "p", "doc")
    await held.attach("Devs", "arn:aws:iam::aws:policy/AmazonSQSFullAccess")
    # A rename carries its members, policies and attachments along, its id kept.
    moved = Group("Builders", devs.id, "/b/", devs.created_ms)
    await groups.rename("devs", moved)
    assert await groups.groups() == [moved, Group("Ops", "AGPAOTHER", "/", 8)]
    assert await groups.members() == [("builders", "ann"), ("builders", "bob")]
    assert await held.policies() == [("builders", "p", "doc")]
    assert await held.attachments() == [("builders", "arn:aws:iam::aws:policy/AmazonSQSFullAccess")]
    # Onto another group's name: refused, nothing changed.
    with pytest.raises(GroupExists):
        await groups.rename("builders", Group("OPS", devs.id, "/", devs.created_ms))
    assert [g.name for g in await groups.groups()] == ["Builders", "Ops"]
    assert await held.policies() == [("builders", "p", "doc")]
    await groups.remove_member("Builders", "ANN")
    assert await groups.members() == [("builders", "bob")]
    await groups.remove_member("Builders", "bob")
    await groups.delete("BUILDERS")
    assert [g.name for g in await groups.groups()] == ["Ops"]


async def test_iam_group_inline_policies_and_attachments(database: Database) -> None:
    from altus.iam.holdings import GROUP

    held = SqlHoldingStore(database, GROUP)
    await held.put_policy("Team", "p", "one")
    await held.put_policy("team", "p", "two")
    await held.attach("Team", "arn:aws:iam::aws:policy/AmazonSQSFullAccess")
    assert await held.policies() == [("team", "p", "two")]
    assert await held.attachments() == [("team", "arn:aws:iam::aws:policy/AmazonSQSFullAccess")]
    # Groups' are apart from users' of the same name.
    assert await SqlHoldingStore(database, USER).policies() == []
    await held.delete_policy("Team", "p")
    await held.detach("TEAM", "arn:aws:iam::aws:policy/AmazonSQSFullAccess")
    assert (await held.policies(), await held.attachments()) == ([], [])


async def test_iam_a_users_rename_carries_what_it_holds_and_is_recorded(
    database: Database,
) -> None:
    from altus.iam.groups import SqlGroupStore

    users, groups = SqlUserStore(database), SqlGroupStore(database)
    held = SqlHoldingStore(database, USER)
    ann = User("Ann", "AIDAEXAMPLE", "/a/", 5, {"k": "v"}, "arn:aws:iam::1:policy/b")
    await users.add(ann)
    await users.add(User("Bob", "AIDAOTHER", "/", 6))
    await held.put_policy("Ann", "p", "doc")
    await held.attach("Ann", "arn:aws:iam::aws:policy/AmazonSQSFullAccess")
    await groups.add_member("devs", "Ann")
    old, new = "arn:aws:iam::1:user/a/Ann", "arn:aws:iam::1:user/b/Anna"
    anna = dataclasses.replace(ann, name="Anna", path="/b/")
    await users.rename("ann", anna, old, new, 10)
    assert await users.users() == [anna, User("Bob", "AIDAOTHER", "/", 6)]
    assert await held.policies() == [("anna", "p", "doc")]
    assert await held.attachments() == [("anna", "arn:aws:iam::aws:policy/AmazonSQSFullAccess")]
    assert await groups.members() == [("devs", "anna")]
    assert await users.renames() == [(old, new)]
    # Onto another user's name: refused, and nothing of it written.
    with pytest.raises(UserExists):
        await users.rename(
            "anna", dataclasses.replace(anna, name="BOB"), new, "arn:aws:iam::1:user/BOB", 11
        )
    assert [u.name for u in await users.users()] == ["Anna", "Bob"]
    assert await held.policies() == [("anna", "p", "doc")]
    assert await users.renames() == [(old, new)]
    await users.renamed(old)
    assert await users.renames() == []


# --- Kinesis streams --------------------------------------------------------------------------


def _kinesis_stream(name: str = "s", **changes: Any) -> Any:
    from altus.kinesis.model import Shard, Stream

    fields: dict[str, Any] = {
        "name": name,
        "tag": 1_700_000_000_000_123,
        "created_ms": 1_700_000_000_000,
        "mode": "PROVISIONED",
        "retention_hours": 24,
        # Hash keys past 64 bits, closed and open shards, both kinds of lineage.
        "shards": (
            Shard(0, 0, 2**127 - 1, 10, 50),
            Shard(1, 2**127, 2**128 - 1, 10, 50),
            Shard(2, 0, 2**128 - 1, 50, None, 0, 1),
        ),
        "tags": {"team": "data"},
        "metrics": ("IncomingBytes",),
        "base_key": 10,
    }
    fields.update(changes)
    return Stream(**fields)


async def test_kinesis_streams_records_reads_and_trims(database: Database) -> None:
    from altus.kinesis.model import AddRecords, DropStream, NewRecord, PutStream
    from altus.kinesis.sql_store import SCHEMA as KINESIS
    from altus.kinesis.sql_store import SqlStreamStore

    database.migrate([KINESIS])
    store = SqlStreamStore(database)
    stream = _kinesis_stream()

    def record(shard: int, key: int, data: bytes = b"d", pk: str = "k") -> NewRecord:
        return NewRecord(shard, key, pk, data)

    results = await store.apply(
        [
            [PutStream(stream)],
            [AddRecords("s", (record(0, 20, b"\x00\xff"), record(1, 21)))],
            # A key already written: this plan alone is left out.
            [AddRecords("s", (record(2, 60), record(0, 20)))],
            [AddRecords("s", (record(2, 61, b"x" * 100, "é"), record(2, 62), record(2, 63)))],
        ]
    )
    assert results[0] is None and results[1] is None and results[3] is None
    assert results[2] is not None
    snapshot = await store.load()
    assert snapshot.streams == [stream]
    counts = {(c.stream, c.shard): (c.records, c.last_key) for c in snapshot.shards}
    assert counts == {("s", 0): (1, 20), ("s", 1): (1, 21), ("s", 2): (3, 63)}

    first = await store.read("s", 0, -1, 0, 10, 1 << 20)
    assert [(r.key, r.partition_key, r.data) for r in first] == [(20, "k", b"\x00\xff")]
    shard2 = await store.read("s", 2, -1, 0, 10, 1 << 20)
    assert [r.key for r in shard2] == [61, 62, 63] and shard2[0].partition_key == "é"
    assert [r.key for r in await store.read("s", 2, 61, 0, 10, 1 << 20)] == [62, 63]
    assert [r.key for r in await store.read("s", 2, -1, 62, 10, 1 << 20)] == [62, 63]
    assert [r.key for r in await store.read("s", 2, -1, 0, 2, 1 << 20)] == [61, 62]
    # The byte budget counts data and partition keys, and never returns nothing.
    assert [r.key for r in await store.read("s", 2, -1, 0, 10, 1)] == [61]
    assert [r.key for r in await store.read("s", 2, -1, 0, 10, 104)] == [61, 62]
    assert await store.read("s", 2, 63, 0, 10, 1 << 20) == []

    # A new configuration keeps the records and never lowers base_key.
    changed = _kinesis_stream(retention_hours=48, base_key=5)
    assert await store.apply([[PutStream(changed)]]) == [None]
    reloaded = (await store.load()).streams[0]
    assert reloaded.retention_hours == 48 and reloaded.base_key == 10
    assert len(await store.read("s", 2, -1, 0, 10, 1 << 20)) == 3

    gone = await store.trim("s", 62, [0, 1, 2])
    assert dict(gone) == {0: 1, 1: 1, 2: 1}
    assert [r.key for r in await store.read("s", 2, -1, 0, 10, 1 << 20)] == [62, 63]
    assert (await store.load()).streams[0].base_key == 62

    # A deletion under way is kept with the stream; its records go in bounded steps.
    await store.apply([[PutStream(_kinesis_stream(retention_hours=48, deleting=True))]])
    assert (await store.load()).streams[0].deleting
    await store.apply([[AddRecords("s", tuple(record(3, 100 + i) for i in range(5)))]])
    assert await store.purge("s", 4) == 4
    assert await store.purge("s", 4) == 3
    assert await store.purge("s", 4) == 0
    assert (await store.load()).shards == []

    await store.apply([[PutStream(_kinesis_stream("other"))], [DropStream("s")]])
    snapshot = await store.load()
    assert [s.name for s in snapshot.streams] == ["other"] and snapshot.shards == []
    assert await store.read("s", 2, -1, 0, 10, 1 << 20) == []


# --- event source mappings ----------------------------------------------------------------


def _mapping(uuid: str = "m-1", **changes: Any) -> EventSourceMapping:
    mapping = EventSourceMapping(
        uuid=uuid,
        function_arn="arn:aws:lambda:us-east-1:000000000000:function:f",
        event_source_arn="arn:aws:kinesis:us-east-1:000000000000:stream/s",
        source="kinesis",
        batch_size=100,
        window=0,
        enabled=True,
        state="Creating",
        state_reason="User action",
        last_modified=1.5,
        filters=('{"data": {"a": [1]}}',),
        starting_position="LATEST",
        on_failure="arn:aws:sqs:us-east-1:000000000000:q",
        tags={"team": "é"},
    )
    return mapping.replace(**changes)


async def test_mapping_store(database: Database) -> None:
    database.migrate([MAPPINGS])
    store = SqlMappingStore(database)
    assert (await store.load()).mappings == []
    first, second = _mapping("m-1"), _mapping("m-2", enabled=False, state="Disabled")
    results = await store.apply(
        [
            [PutMapping(first), PutCheckpoint("m-1", "shardId-000000000000", Checkpoint("49"))],
            [PutMapping(second)],
            # A checkpoint of a mapping not stored is dropped, not an error.
            [PutCheckpoint("gone", "shardId-000000000000", Checkpoint("1"))],
        ]
    )
    assert results == [None, None, None]
    snapshot = await store.load()
    assert snapshot.mappings == [first, second]  # every field round-trips
    assert snapshot.checkpoints == {"m-1": {"shardId-000000000000": Checkpoint("49")}}
    # Replacing a mapping and a checkpoint; a tumbling window's state kept with it.
    state = {"window": 60.0, "state": {"n": 3, "k": "é"}}
    await store.apply(
        [
            [
                PutMapping(first.replace(state="Enabled")),
                PutCheckpoint("m-1", "shardId-000000000000", Checkpoint("50", state)),
                PutCheckpoint("m-1", "shardId-000000000001", Checkpoint(None)),
            ]
        ]
    )
    snapshot = await store.load()
    assert snapshot.mappings[0].state == "Enabled"
    assert snapshot.checkpoints["m-1"] == {
        "shardId-000000000000": Checkpoint("50", state),
        "shardId-000000000001": Checkpoint(None),
    }
    await store.apply([[DropCheckpoints("m-1")]])
    assert (await store.load()).checkpoints == {}
    await store.apply([[PutCheckpoint("m-2", "s", Checkpoint("7")), DropMapping("m-2")]])
    snapshot = await store.load()
    assert [m.uuid for m in snapshot.mappings] == ["m-1"] and snapshot.checkpoints == {}


# --- SNS topics ---------------------------------------------------------------------------------


def _sns_records() -> tuple[Any, Any, Any]:
    from altus.sns.model import Message, Subscription, Topic

    topic = Topic(
        name="orders",
        attributes={"DisplayName": "Orders é", "Policy": '{"Statement": []}'},
        tags=(("team", "é"), ("b", "")),
        created_ms=1_700_000_000_000,
    )
    subscription = Subscription(
        arn="arn:aws:sns:us-east-1:000000000000:orders:0c9b1c4e-1111-4222-8333-444455556666",
        topic="orders",
        protocol="https",
        endpoint="https://example.com/hook",
        owner="000000000000",
        principal="arn:aws:iam::000000000000:root",
        attributes={"RawMessageDelivery": "true", "FilterPolicy": '{"k": ["v"]}'},
        confirmed=False,
        token="ab" * 64,
        token_expires_ms=1_700_259_200_000,
        authenticated=False,
        created_ms=1_700_000_000_001,
        authenticate_unsubscribe=True,
    )
    message = Message(
        id="m-1",
        topic="arn:aws:sns:us-east-1:000000000000:orders",
        kind="Notification",
        text="hello é",
        per_protocol={"sqs": "for queues"},
        subject="s",
        attributes={"a": {"Type": "Binary", "Value": "AAE="}},
        timestamp_ms=1_700_000_000_002,
        group_id="g",
        dedup_id="d",
        sequence="00000000000000000001",
        token=None,
    )
    return topic, subscription, message


async def test_sns_store(database: Database) -> None:
    from altus.sns.model import (
        AddMessage,
        Dedup,
        Delivery,
        DropDedups,
        DropDelivery,
        DropMessage,
        DropSubscription,
        DropTopic,
        PutDedup,
        PutDelivery,
        PutSubscription,
        PutTopic,
    )
    from altus.sns.sql_store import SCHEMA as SNS
    from altus.sns.sql_store import SqlTopicStore

    database.migrate([SNS])
    store = SqlTopicStore(database)
    topic, subscription, message = _sns_records()
    sub = subscription.arn
    first = Delivery(1, "m-1", sub, "https", "https://example.com/hook", 0, 5)
    second = Delivery(2, "m-1", "arn:aws:sns:us-east-1:000000000000:orders:other", "sqs", "q", 0, 5)
    dedup = Dedup("orders", "d", "m-1", "00000000000000000001", 300_000)
    results = await store.apply(
        [
            [PutTopic(topic), PutSubscription(subscription)],
            [AddMessage(message, (first, second)), PutDedup(dedup)],
            # A message id already stored: this plan alone is left out.
            [AddMessage(message, (Delivery(3, "m-1", sub, "https", "x", 0, 0),))],
        ]
    )
    assert results[:2] == [None, None] and results[2] is not None
    snapshot = await store.load()
    # Every field round-trips.
    assert snapshot.topics == [topic] and snapshot.subscriptions == [subscription]
    assert snapshot.messages == [message] and snapshot.deliveries == [first, second]
    assert snapshot.dedups == [dedup]

    # A retry's attempt and time; the end of one delivery keeps the message for the other.
    retried = Delivery(1, "m-1", sub, "https", "https://example.com/hook", 2, 9_000)
    assert await store.apply([[PutDelivery(retried)], [DropDelivery(2)]]) == [None, None]
    snapshot = await store.load()
    assert snapshot.deliveries == [retried] and snapshot.messages == [message]

    # A subscription's drop takes its deliveries, and the messages nobody waits for.
    await store.apply([[DropSubscription(sub)]])
    snapshot = await store.load()
    assert snapshot.subscriptions == [] and snapshot.deliveries == [] and snapshot.messages == []
    assert snapshot.topics == [topic]

    # A message left without deliveries (a crash between two writes) is collected.
    await store.apply([[AddMessage(message, (first,))], [DropDelivery(1)]])
    assert await store.collect() == 1
    assert await store.collect() == 0
    await store.apply([[AddMessage(message, (first,))], [DropDelivery(1), DropMessage("m-1")]])
    assert await store.collect() == 0

    # Expired deduplication ids go; a topic's drop takes everything of it.
    later = Dedup("orders", "e", "m-2", "00000000000000000002", 900_000)
    await store.apply([[PutDedup(later)], [DropDedups(500_000)]])
    assert (await store.load()).dedups == [later]
    await store.apply(
        [[PutSubscription(subscription), AddMessage(message, (first,))]],
    )
    await store.apply([[DropTopic("orders", message.topic)]])
    snapshot = await store.load()
    assert snapshot.topics == [] and snapshot.subscriptions == [] and snapshot.deliveries == []
    assert snapshot.messages == [] and snapshot.dedups == []


# --- EventBridge ---------------------------------------------------------------------------------


async def test_eventbridge_store(database: Database) -> None:
    from altus.eventbridge.model import (
        AddEvent,
        Bus,
        DropBus,
        DropDelivery,
        DropRule,
        PutBus,
        PutDelivery,
        PutRule,
        Rule,
        SetFire,
        StoredEvent,
    )
    from altus.eventbridge.model import Delivery as EbDelivery
    from altus.eventbridge.sql_store import SCHEMA as EVENTBRIDGE
    from altus.eventbridge.sql_store import SqlEventStore

    database.migrate([EVENTBRIDGE])
    store = SqlEventStore(database)
    bus = Bus("orders", "d", '{"Statement":[]}', (("k", "v"),), 1, 2)
    target = {"Id": "q", "Arn": "arn:aws:sqs:us-east-1:000000000000:q", "Input": "{}"}
    rule = Rule("orders", "r", '{"source":["a"]}', None, "ENABLED", "x", None, (), (target,), 3)
    tick = Rule("default", "tick", None, "rate(1 minute)", "ENABLED", next_fire_ms=60_000)
    event = StoredEvent("k-1", '{"id":"e"}', 10)
    first = EbDelivery(1, "k-1", "arn:rule", "q", target["Arn"], None, due_ms=10)
    second = EbDelivery(
        2, "k-1", "arn:rule", "f", "arn:fn", "{}", "arn:role", "arn:dlq", 3, 60, "g"
    )
    results = await store.apply(
        [
            [PutBus(Bus("default")), PutBus(bus), PutRule(rule), PutRule(tick)],
            [AddEvent(event, (first, second))],
            # An event key already stored: this plan alone is left out.
            [AddEvent(event, (EbDelivery(3, "k-1", "a", "b", "c", None),))],
            # An event nothing matched writes nothing.
            [AddEvent(StoredEvent("k-2", "{}", 1), ())],
        ]
    )
    assert results[:2] == [None, None] and results[2] is not None and results[3] is None
    snapshot = await store.load()
    assert snapshot.buses == [Bus("default"), bus] or snapshot.buses == [bus, Bus("default")]
    assert sorted(snapshot.rules, key=lambda r: r.name) == [rule, tick]
    assert snapshot.events == [event] and snapshot.deliveries == [first, second]

    # A retry; a fire's next time alone; the last delivery's end takes its event.
    retried = EbDelivery(1, "k-1", "arn:rule", "q", target["Arn"], None, attempts=2, due_ms=99)
    assert await store.apply([[PutDelivery(retried), SetFire("default", "tick", 120_000)]]) == [
        None
    ]
    snapshot = await store.load()
    assert snapshot.deliveries == [retried, second]
    assert [r.next_fire_ms for r in snapshot.rules if r.name == "tick"] == [120_000]
    await store.apply([[DropDelivery(1)], [DropDelivery(2)]])
    snapshot = await store.load()
    assert snapshot.deliveries == [] and snapshot.events == []

    # A rule's drop; a bus's drop takes its rules.
    await store.apply([[DropRule("default", "tick")], [DropBus("orders")]])
    snapshot = await store.load()
    assert snapshot.rules == [] and snapshot.buses == [Bus("default")]


# --- S3 objects -------------------------------------------------------------------------------


async def test_s3_store_versions_listings_uploads_and_outbox(database: Database) -> None:
    from altus.s3.model import Bucket, ObjectVersion, Outgoing, Part, Piece, Upload
    from altus.s3.sql_store import SCHEMA as S3
    from altus.s3.sql_store import SqlObjectStore
    from altus.s3.store import BucketNotEmptyError, Completion

    database.migrate([S3])
    store = SqlObjectStore(database)
    bucket = Bucket("b", 1, "us-east-1", policy='{"Statement": []}', tags={"t": "é"})
    assert await store.create_bucket(bucket) is True
    assert await store.create_bucket(bucket) is False

    def version(key: str, seq: int, vid: str = "null", **more: Any) -> ObjectVersion:
        fields: dict[str, Any] = {"pieces": (Piece(f"f{seq}", seq),), **more}
        return ObjectVersion("b", key, seq, vid, 1000 + seq, etag=f'"{seq}"', size=seq, **fields)

    # Keys in UTF-8 byte order (not the collation's): "Z" < "a" < "é" < "😀".
    keys = ["a/1", "a/2", "a/b/3", "Z", "é", "\U0001f600", "b"]
    for seq, key in enumerate(keys, start=1):
        await store.add_version(version(key, seq, headers={"ContentType": "x"}))
    listed = await store.list_current("b", "", None, None, 100)
    assert [v.key for v in listed.items] == sorted(keys, key=lambda k: k.encode())
    assert listed.next_key is None and listed.items[0].headers == {"ContentType": "x"}
    page = await store.list_current("b", "", None, "/", 2)
    assert ([v.key for v in page.items], page.prefixes, page.next_key) == (["Z"], ["a/"], "a/")
    rest = await store.list_current("b", "", "a/", "/", 10)
    assert [v.key for v in rest.items] == ["b", "é", "\U0001f600"] and rest.prefixes == []
    inner = await store.list_current("b", "a/", None, "/", 10)
    assert ([v.key for v in inner.items], inner.prefixes) == (["a/1", "a/2"], ["a/b/"])

    # A null version replaces the null version (its files returned); versions stack.
    assert await store.add_version(version("b", 20)) == ["f7"]
    outgoing = [Outgoing(22, "sqs", "arn:aws:sqs:us-east-1:1:q", "b", '{"Records": []}', 0, 5)]
    assert await store.add_version(version("b", 21, "v21"), outgoing) == []
    found = await store.find("b", "b", None)
    assert found is not None and found.version_id == "v21" and found.latest
    older = await store.find("b", "b", "null")
    assert older is not None and not older.latest and older.files == ("f20",)
    versions = await store.list_versions("b", "b", None, None, None, 10)
    assert [(v.key, v.version_id) for v in versions.items] == [("b", "v21"), ("b", "null")]
    first = await store.list_versions("b", "", None, None, None, 1)
    assert (first.next_key, first.next_version) == ("Z", "null")
    after_b = await store.list_versions("b", "", "b", "v21", None, 10)
    assert (after_b.items[0].key, after_b.items[0].version_id) == ("b", "null")

    # Removing the latest makes the next newest the latest.
    removed, files = await store.remove_version("b", "b", "v21", 23)
    assert removed is not None and files == ["f21"]
    again = await store.find("b", "b", None)
    assert again is not None and again.version_id == "null" and again.latest
    assert await store.remove_version("b", "b", "gone", 24) == (None, [])
    assert await store.set_tags("b", "b", "null", {"k": "v"}) is True
    tagged = await store.find("b", "b", "null")
    assert tagged is not None and tagged.tags == {"k": "v"}

    # Multipart uploads: parts replaced, completion drops the upload and unused parts.
    upload = Upload("u1", "b", "mp", 5, headers={"ContentType": "y"}, metadata={"m": "1"})
    await store.create_upload(upload)
    assert await store.find_upload("u1") == upload
    assert await store.put_part(Part("u1", 1, '"e1"', 5, 6, "p1")) == ""
    assert await store.put_part(Part("u1", 1, '"e1b"', 5, 6, "p1b", {"ChecksumCRC32": "x"})) == "p1"
    assert await store.put_part(Part("u1", 2, '"e2"', 5, 6, "p2")) == ""
    assert await store.put_part(Part("nope", 1, '"e"', 1, 1, "px")) is None
    parts = await store.parts("u1")
    assert [(p.number, p.file, dict(p.checksums)) for p in parts] == [
        (1, "p1b", {"ChecksumCRC32": "x"}),
        (2, "p2", {}),
    ]
    assert [u.upload_id for u in await store.uploads("b", "m", 10)] == ["u1"]
    done = version("mp", 30, pieces=(Piece("p1b", 5),), parts=(5,))
    chosen = Completion("u1", ((1, "p1b"),))
    assert await store.add_version(done, completes=chosen) == ["p2"]
    assert await store.find_upload("u1") is None
    assert await store.abort_upload("u1") is None
    await store.create_upload(Upload("u2", "b", "x", 7))
    await store.put_part(Part("u2", 1, '"e"', 1, 1, "q1"))

    named = await store.named_files()
    assert {"f20", "p1b", "q1"} <= named and "f21" not in named and "p2" not in named

    loaded = await store.load()
    assert loaded.buckets == [bucket] and loaded.outgoing == outgoing
    assert loaded.last_seq == 30
    retried = Outgoing(22, "sqs", "arn:aws:sqs:us-east-1:1:q", "b", '{"Records": []}', 2, 99)
    await store.retry_outgoing(retried)
    assert (await store.load()).outgoing == [retried]
    await store.drop_outgoing(22)
    assert (await store.load()).outgoing == []

    with pytest.raises(BucketNotEmptyError):
        await store.delete_bucket("b")
    for item in (await store.list_versions("b", "", None, None, None, 100)).items:
        await store.remove_version("b", item.key, item.version_id, 40)
    assert await store.delete_bucket("b") == ["q1"]
    assert (await store.load()).buckets == []


async def test_s3_store_races_identity_and_paging(database: Database) -> None:
    from altus.s3.model import Bucket, ObjectVersion, Part, Piece, Upload
    from altus.s3.sql_store import SCHEMA as S3
    from altus.s3.sql_store import SqlObjectStore
    from altus.s3.store import Completion, PartChangedError, UploadGoneError

    database.migrate([S3])
    store = SqlObjectStore(database)
    # The identity: the first proposed stays.
    first = await store.identity("one")
    assert first == "one" and await store.identity("two") == "one"
    await store.create_bucket(Bucket("r", 1, "us-east-1"))

    def version(key: str, seq: int, files: tuple[str, ...]) -> ObjectVersion:
        pieces = tuple(Piece(f, 1) for f in files)
        return ObjectVersion("r", key, seq, "null", seq, etag='"e"', size=len(files), pieces=pieces)

    # A completion is refused when a part changed or the upload went, nothing written.
    await store.create_upload(Upload("u", "r", "k", 1))
    await store.put_part(Part("u", 1, '"a"', 1, 1, "pa"))
    await store.put_part(Part("u", 2, '"b"', 1, 1, "pb"))
    with pytest.raises(PartChangedError):
        await store.add_version(
            version("k", 1, ("pa", "px")), (), Completion("u", ((1, "pa"), (2, "px")))
        )
    assert await store.find("r", "k", None) is None
    assert await store.add_version(version("k", 2, ("pa",)), (), Completion("u", ((1, "pa"),))) == [
        "pb"
    ]
    with pytest.raises(UploadGoneError):
        await store.add_version(version("k", 3, ("pa",)), (), Completion("u", ((1, "pa"),)))
    found = await store.find("r", "k", None)
    assert found is not None and found.seq == 2
    # An abort or a replaced part never frees a file a version of the key names.
    await store.create_upload(Upload("v", "r", "k", 2))
    await store.put_part(Part("v", 1, '"a"', 1, 1, "pa"))
    assert await store.put_part(Part("v", 1, '"c"', 1, 1, "pc")) == ""
    assert await store.abort_upload("v") == ["pc"]

    # Sequence numbers never go back, though the newest version is gone.
    await store.add_version(version("z", 50, ("fz",)))
    await store.remove_version("r", "z", "null", 51)
    assert (await store.load()).last_seq == 51

    # Versions with a delimiter go on past a common prefix that ended a page.
    for seq, key in enumerate(("a/1", "a/2", "b/1", "c"), start=60):
        await store.add_version(version(key, seq, (f"f{seq}",)))
    page = await store.list_versions("r", "", None, None, "/", 1)
    assert (page.prefixes, page.next_key) == (["a/"], "a/")
    page = await store.list_versions("r", "", "a/", None, "/", 1)
    assert (page.prefixes, page.next_key) == (["b/"], "b/")
    page = await store.list_versions("r", "", "b/", None, "/", 1)
    assert [v.key for v in page.items] == ["c"] and page.prefixes == []

    # Uploads page by (key, creation), past both markers.
    for number, key in enumerate(("m1", "m2", "m2", "m2", "m3")):
        await store.create_upload(Upload(f"up{number}", "r", key, 100 + number))
    seen: list[str] = []
    key_marker: str | None = None
    id_marker: str | None = None
    for _ in range(10):  # bounded
        found_page = await store.uploads("r", "m", 3, key_marker, id_marker)
        page_ids = [u.upload_id for u in found_page[:2]]
        seen += page_ids
        if len(found_page) <= 2:
            break
        key_marker, id_marker = found_page[1].key, found_page[1].upload_id
    assert seen == [f"up{n}" for n in range(5)]


# --- EventBridge Scheduler ---------------------------------------------------------------------


async def test_scheduler_store(database: Database) -> None:
    from altus.scheduler import model as sc
    from altus.scheduler.sql_store import SCHEMA as SCHEDULER
    from altus.scheduler.sql_store import SqlScheduleStore

    database.migrate([SCHEDULER])
    store = SqlScheduleStore(database)
    assert (await store.load()).groups == []
    default = sc.Group("default", 1, 1)
    team = sc.Group("team", 2, 3, (("k", "v"),), "token")
    target = {"Arn": "arn:aws:sqs:us-east-1:1:q", "RoleArn": "arn:aws:iam::1:role/r"}
    config = {"ScheduleExpression": "rate(1 hour)", "Target": target, "State": "ENABLED"}
    first = sc.Schedule("team", "a", config, 10, 10, 10, 3_600_010, 3_600_500, "t")
    other = sc.Schedule("default", "b", config, 11, 11, 11)
    await store.apply([sc.PutGroup(default), sc.PutGroup(team), sc.PutSchedule(first)])
    await store.apply([sc.PutSchedule(other)])
    loaded = await store.load()
    assert loaded.groups == [default, team]
    assert loaded.schedules == [other, first]

    # A fire: the delivery and the schedule's next time in one plan.
    fired = sc.Delivery(7, "arn:s", target, 3_600_010, "exec", 3_600_600, 3_600_600)
    advanced = dataclasses.replace(first, due_ms=7_200_010, fire_ms=7_200_010)
    await store.apply([sc.PutDelivery(fired), sc.PutSchedule(advanced)])
    loaded = await store.load()
    assert loaded.deliveries == [fired] and advanced in loaded.schedules

    # A plan that fails writes nothing of itself.
    class Broken:
        pass

    with pytest.raises(Exception):  # noqa: B017 - any store error
        await store.apply([sc.DropSchedule("team", "a"), sc.PutDelivery(Broken())])  # type: ignore[arg-type]
    assert advanced in (await store.load()).schedules

    retried = dataclasses.replace(fired, attempts=2, due_ms=3_700_000)
    await store.apply([sc.PutDelivery(retried)])
    assert (await store.load()).deliveries == [retried]

    # Dropping a group drops its schedules, not deliveries already fired.
    await store.apply([sc.DropGroup("team")])
    loaded = await store.load()
    assert loaded.groups == [default] and loaded.schedules == [other]
    assert loaded.deliveries == [retried]
    await store.apply([sc.DropDelivery(7), sc.DropSchedule("default", "b"), sc.DropDelivery(99)])
    loaded = await store.load()
    assert loaded.deliveries == [] and loaded.schedules == []


# --- API Gateway V2 ------------------------------------------------------------------------------


async def test_apigatewayv2_store(database: Database) -> None:
    from altus.apigatewayv2 import model as gw
    from altus.apigatewayv2.sql_store import SCHEMA as APIGATEWAYV2
    from altus.apigatewayv2.sql_store import SqlRecordStore

    database.migrate([APIGATEWAYV2])
    store = SqlRecordStore(database)
    assert (await store.load()).records == []
    api = gw.Record(gw.API, "a1", "a1", {"Name": "n", "Tags": {"k": "v"}, "CreatedDate": 1.5})
    route = gw.Record(gw.ROUTE, "a1", "r1", {"RouteKey": "GET /{x+}", "_quick": True})
    other = gw.Record(gw.API, "b2", "b2", {"Name": "ü"})
    stage = gw.Record(gw.STAGE, "b2", "$default", {"StageName": "$default"})
    await store.apply([gw.Put(api), gw.Put(route), gw.Put(other), gw.Put(stage)])
    # In (API, kind, id) order.
    assert (await store.load()).records == [api, route, other, stage]

    # A put replaces; a failed plan writes nothing of itself.
    renamed = dataclasses.replace(route, body={"RouteKey": "POST /y"})
    await store.apply([gw.Put(renamed)])

    class Broken:
        pass

    with pytest.raises(Exception):  # noqa: B017 - any store error
        await store.apply([gw.Drop(gw.ROUTE, "a1", "r1"), Broken()])  # type: ignore[list-item]
    assert renamed in (await store.load()).records

    # Dropping an API drops what is under it, and only that.
    await store.apply([gw.DropApi("a1"), gw.Drop(gw.MODEL, "b2", "none")])
    assert (await store.load()).records == [other, stage]


# --- API Gateway (REST APIs) -------------------------------------------------------------------


async def test_apigateway_store(database: Database) -> None:
    from altus.apigateway import model as ag
    from altus.apigateway.sql_store import SCHEMA as APIGATEWAY
    from altus.apigateway.sql_store import SqlGatewayStore

    database.migrate([APIGATEWAY])
    store = SqlGatewayStore(database)
    empty = await store.load()
    assert empty.docs == {} and empty.counts == {}
    api = {"restApi": {"id": "a1", "name": "ü"}, "resources": {"r": {"path": "/"}}}
    key = {"id": "k1", "value": "v" * 40, "enabled": True}
    plan = {"id": "p1", "name": "gold", "_keys": ["k1"]}
    await store.apply(
        [
            ag.Put(ag.API, "a1", api),
            ag.Put(ag.KEY, "k1", key),
            ag.Put(ag.PLAN, "p1", plan),
            ag.Put(ag.ACCOUNT, "account", {"cloudwatchRoleArn": "arn:r"}),
            ag.Count("p1", "k1", "2026-01-01", 3),
            ag.Count("p1", "k2", "2026-01-01", 1),
        ]
    )
    loaded = await store.load()
    assert loaded.docs[ag.API] == {"a1": api} and loaded.docs[ag.KEY] == {"k1": key}
    assert loaded.docs[ag.PLAN] == {"p1": plan}
    assert loaded.counts == {("p1", "k1", "2026-01-01"): 3, ("p1", "k2", "2026-01-01"): 1}

    # A put replaces; a count is set, not added to.
    renamed = {**api, "restApi": {"id": "a1", "name": "renamed"}}
    await store.apply([ag.Put(ag.API, "a1", renamed), ag.Count("p1", "k1", "2026-01-01", 5)])
    loaded = await store.load()
    assert loaded.docs[ag.API]["a1"] == renamed
    assert loaded.counts[("p1", "k1", "2026-01-01")] == 5

    # A failed plan writes nothing of itself.
    with pytest.raises(Exception):  # noqa: B017 - any store error
        await store.apply([ag.Drop(ag.API, "a1"), ag.Put(ag.KEY, "k9", {"bad": object()})])
    assert "a1" in (await store.load()).docs[ag.API]

    # Dropping a key drops its counts; dropping a plan drops the plan's; dropping what is
    # not there does nothing.
    await store.apply([ag.Drop(ag.KEY, "k2"), ag.Drop(ag.API, "none")])
    assert (await store.load()).counts == {("p1", "k1", "2026-01-01"): 5}
    await store.apply([ag.Drop(ag.PLAN, "p1"), ag.Drop(ag.API, "a1")])
    loaded = await store.load()
    assert loaded.counts == {} and ag.API not in loaded.docs and ag.PLAN not in loaded.docs
    assert loaded.docs[ag.KEY] == {"k1": key}

    # A deployment's snapshot is a document of its own, by "<api>/<deployment>".
    snapshot_id = ag.snapshot_id("a2", "d1")
    await store.apply([ag.Put(ag.SNAPSHOT, snapshot_id, {"resources": {}})])
    assert (await store.load()).docs[ag.SNAPSHOT] == {snapshot_id: {"resources": {}}}
    await store.apply([ag.Drop(ag.SNAPSHOT, snapshot_id)])
    assert ag.SNAPSHOT not in (await store.load()).docs

    # Forgetting drops the counts of days before the one given, and keeps the others.
    await store.apply(
        [
            ag.Count("p2", "k1", "2026-01-01", 1),
            ag.Count("p2", "k1", "2026-03-31", 2),
            ag.Count("p2", "k1", "2026-04-01", 3),
        ]
    )
    await store.apply([ag.Forget("2026-04-01")])
    assert (await store.load()).counts == {("p2", "k1", "2026-04-01"): 3}


# --- Step Functions ------------------------------------------------------------------------------


def _sfn_records() -> tuple[Any, Any, Any, Any]:
    from altus.stepfunctions import model as sf

    arn = "arn:aws:states:us-east-1:000000000000:stateMachine:m"
    revision = sf.Revision(
        arn, None, '{"StartAt":"P"}', "arn:aws:iam::0:role/r", {"level": "OFF"}, {}, None, 1.5
    )
    machine = sf.StateMachine(arn, "m", sf.STANDARD, 1.5, revision, tags=(("k", "ü"),))
    version = sf.Version(f"{arn}:1", arn, 1, revision, 2.0, "first")
    alias = sf.Alias(f"{arn}:live", arn, "live", ((f"{arn}:1", 100),), 3.0, 3.0)
    return machine, version, alias, revision


async def test_stepfunctions_configuration_store(database: Database) -> None:
    from altus.stepfunctions import model as sf
    from altus.stepfunctions.sql_store import SCHEMA as STEPFUNCTIONS
    from altus.stepfunctions.sql_store import SqlStepFunctionsStore

    database.migrate([STEPFUNCTIONS])
    store = SqlStepFunctionsStore(database)
    assert await store.load() == sf.Snapshot()
    machine, version, alias, first = _sfn_records()
    activity = sf.Activity("arn:aws:states:us-east-1:000000000000:activity:a", "a", 4.0)
    await store.apply(
        [
            sf.PutMachine(machine),
            sf.PutVersion(version),
            sf.PutAlias(alias),
            sf.PutActivity(activity),
        ]
    )
    loaded = await store.load()
    assert loaded == sf.Snapshot([machine], [version], [alias], [activity])

    # A new revision: the machine's current one, the first still kept for executions.
    second = dataclasses.replace(first, revision_id="r2", definition="{}", updated=5.0)
    updated = dataclasses.replace(machine, revision=second, next_version=2)
    await store.apply([sf.PutMachine(updated)])
    assert (await store.load()).machines == [updated]
    assert await store.revision(machine.arn, "") == first
    assert await store.revision(machine.arn, "r2") == second
    assert await store.revision(machine.arn, "r9") is None

    # A failed plan writes nothing of itself.
    with pytest.raises(Exception):  # noqa: B017 - any store error
        await store.apply([sf.DropAlias(alias.arn), object()])  # type: ignore[list-item]
    assert (await store.load()).aliases == [alias]

    # Dropping a machine drops its revisions, versions and aliases; not activities.
    await store.apply([sf.DropMachine(machine.arn), sf.DropVersion("none")])
    loaded = await store.load()
    assert loaded == sf.Snapshot([], [], [], [activity])
    assert await store.revision(machine.arn, "") is None
    await store.apply([sf.DropActivity(activity.arn)])
    assert (await store.load()).activities == []


def _execution(name: str, start: float, **changes: Any) -> Any:
    from altus.stepfunctions import model as sf

    machine = "arn:aws:states:us-east-1:000000000000:stateMachine:m"
    return sf.Execution(
        arn=f"arn:aws:states:us-east-1:000000000000:execution:m:{name}",
        machine_arn=machine,
        name=name,
        type=sf.STANDARD,
        status=sf.RUNNING,
        input='{"ü": 1}',
        start=start,
        role_arn="arn:aws:iam::0:role/r",
        **changes,
    )


async def test_stepfunctions_executions_store(database: Database) -> None:
    from altus.asl.host import NewRecord
    from altus.stepfunctions import model as sf
    from altus.stepfunctions.sql_store import SCHEMA as STEPFUNCTIONS
    from altus.stepfunctions.sql_store import SqlStepFunctionsStore

    database.migrate([STEPFUNCTIONS])
    store = SqlStepFunctionsStore(database)
    machine = "arn:aws:states:us-east-1:000000000000:stateMachine:m"
    a = _execution("a", 10.0)
    b = _execution("b", 20.0, version_arn=f"{machine}:1", trace_header="t")
    c = _execution("c", 20.0, alias_arn=f"{machine}:live", map_run_arn="arn:mr")
    for execution in (a, b, c):
        assert await store.create_execution(execution) is None
    # Creating one that is there keeps it and says what is there.
    assert await store.create_execution(dataclasses.replace(a, input="{}")) == a
    assert await store.execution(a.arn) == a
    assert await store.execution("arn:none") is None
    assert await store.running(machine) == 3

    everything = sf.ExecutionFilter(machine_arn=machine)
    assert await store.list_executions(everything, None, 10) == [c, b, a]
    first = await store.list_executions(everything, None, 2)
    assert first == [c, b]
    assert await store.list_executions(everything, (b.start, b.arn), 2) == [a]
    assert await store.list_executions(sf.ExecutionFilter(version_arn=f"{machine}:1"), None, 9) == [
        b
    ]
    assert await store.list_executions(
        sf.ExecutionFilter(alias_arn=f"{machine}:live"), None, 9
    ) == [c]
    assert await store.list_executions(sf.ExecutionFilter(map_run_arn="arn:mr"), None, 9) == [c]

    # Closing compares and sets, with its events, all or nothing.
    failed = dataclasses.replace(a, status=sf.FAILED, stop=30.0, error="E", cause="C")
    event = NewRecord("end", "ExecutionFailed", {"error": "E", "cause": "C"})
    written = await store.finish_execution(failed, sf.RUNNING, [event], 30.0)
    assert written is not None and [r.id for r in written] == [1]
    assert await store.finish_execution(failed, sf.RUNNING, [event], 31.0) is None
    assert await store.execution(a.arn) == failed
    assert await store.list_executions(
        sf.ExecutionFilter(machine_arn=machine, status=sf.FAILED), None, 9
    ) == [failed]
    # A key already in the journal: nothing of the write is kept, the update neither.
    aborted = dataclasses.replace(failed, status=sf.ABORTED)
    with pytest.raises(ValueError):
        await store.finish_execution(aborted, sf.FAILED, [event], 32.0)
    assert await store.execution(a.arn) == failed
    redriven = dataclasses.replace(failed, status=sf.RUNNING, redrive_count=1, redrive_date=40.0)
    assert await store.update_execution(redriven, sf.FAILED)
    assert not await store.update_execution(redriven, sf.FAILED)
    assert await store.list_executions(sf.ExecutionFilter(redriven=True), None, 9) == [redriven]
    assert await store.running(machine) == 3


async def test_stepfunctions_journal(database: Database) -> None:
    from altus.asl.host import Journal, NewRecord
    from altus.clock import FakeClock
    from altus.stepfunctions.journal import SqlJournal
    from altus.stepfunctions.sql_store import SCHEMA as STEPFUNCTIONS
    from altus.stepfunctions.sql_store import SqlStepFunctionsStore

    database.migrate([STEPFUNCTIONS])
    store = SqlStepFunctionsStore(database)
    arn = "arn:aws:states:us-east-1:000000000000:execution:m:e"
    clock = FakeClock(100.0)
    journal = await SqlJournal.open(store, arn, clock)
    interface: Journal = journal  # the interpreter's interface, checked by mypy
    assert interface is journal
    assert journal.find("start") is None
    first = await journal.append(
        [
            NewRecord("start", "ExecutionStarted", {"input": "{}"}),
            NewRecord("~wake", "~wake", {"at": 5}, public=False),
            NewRecord("s1", "WaitStateEntered", {"name": "W"}),
        ]
    )
    assert [(r.key, r.id, r.timestamp) for r in first] == [
        ("start", 1, 100.0),
        ("~wake", None, 100.0),
        ("s1", 2, 100.0),
    ]
    assert journal.find("~wake") == first[1]
    clock.advance(5)
    [exited] = await journal.append([NewRecord("s1/x", "WaitStateExited", {"name": "W"}, True, 2)])
    assert (exited.id, exited.previous_id, exited.timestamp) == (3, 2, 105.0)

    # A key already recorded writes nothing, in memory or in the store.
    with pytest.raises(ValueError):
        await journal.append([NewRecord("s2", "PassStateEntered", {}), NewRecord("s1", "X", {})])
    with pytest.raises(ValueError):
        await store.append(
            arn, [NewRecord("s2", "PassStateEntered", {}), NewRecord("s1", "X", {})], 1
        )
    with pytest.raises(ValueError):
        await store.append(arn, [NewRecord("d", "X", {}), NewRecord("d", "X", {})], 1)
    assert journal.find("s2") is None

    # A resumed execution finds every record, in order.
    resumed = await SqlJournal.open(store, arn, clock)
    assert [r.key for r in resumed.records] == ["start", "~wake", "s1", "s1/x"]
    assert resumed.find("s1/x") == exited
    assert await store.event_count(arn) == 3
    assert [r.id for r in await store.history(arn, 0, 2, False)] == [1, 2]
    assert [r.id for r in await store.history(arn, 2, 2, False)] == [3]
    assert [r.id for r in await store.history(arn, 0, 2, True)] == [3, 2]
    assert [r.id for r in await store.history(arn, 2, 5, True)] == [1]
    assert await store.history("arn:other", 0, 5, False) == []


async def test_stepfunctions_journal_group_commit(database: Database) -> None:
    from altus.asl.host import NewRecord
    from altus.clock import FakeClock
    from altus.stepfunctions.journal import JournalWriter, SqlJournal
    from altus.stepfunctions.sql_store import SCHEMA as STEPFUNCTIONS
    from altus.stepfunctions.sql_store import SqlStepFunctionsStore

    database.migrate([STEPFUNCTIONS])
    store = SqlStepFunctionsStore(database)
    one, two = "arn:exec:one", "arn:exec:two"
    # Several executions' appends in one transaction, each on its own: one refused
    # (a key already there) leaves the others written, numbered in order.
    await store.append(one, [NewRecord("a", "ExecutionStarted", {})], 1.0)
    results = await store.append_batch(
        [
            (one, [NewRecord("b", "PassStateEntered", {}), NewRecord("~b", "~exit", {}, False)]),
            (two, [NewRecord("a", "ExecutionStarted", {})]),
            (one, [NewRecord("a", "PassStateExited", {})]),
            (one, [NewRecord("c", "PassStateExited", {})]),
        ],
        2.0,
    )
    assert isinstance(results[2], ValueError)
    # Written again as it was (its first commit landed unseen): answered as recorded,
    # nothing written twice; again with anything different, refused.
    first = results[0]
    assert not isinstance(first, Exception)
    again = [NewRecord("b", "PassStateEntered", {}), NewRecord("~b", "~exit", {}, False)]
    assert (await store.append_batch([(one, again)], 9.0)) == [first]
    changed = [NewRecord("b", "PassStateEntered", {"x": 1}), NewRecord("~b", "~exit", {}, False)]
    (refused,) = await store.append_batch([(one, changed)], 9.0)
    assert isinstance(refused, ValueError)
    (partly,) = await store.append_batch([(one, [*again, NewRecord("z", "X", {})])], 9.0)
    assert isinstance(partly, ValueError)
    # Nothing to append (an execution closed by its status alone) is no write.
    assert await store.append(one, [], 2.0) == []
    assert (await store.append_batch([(one, [])], 2.0)) == [[]]
    written = [r for r in results if not isinstance(r, Exception)]
    assert [[(r.key, r.id) for r in records] for records in written] == [
        [("b", 2), ("~b", None)],
        [("a", 1)],
        [("c", 3)],
    ]
    assert [(r.key, r.id) for r in await store.load_journal(one)] == [
        ("a", 1),
        ("b", 2),
        ("~b", None),
        ("c", 3),
    ]

    # Through the writer: appends made together (a Map's iterations) share a
    # transaction and keep the order they were made in.
    writer = JournalWriter(store, FakeClock(10.0))
    journal = await SqlJournal.open(store, two, FakeClock(10.0), writer)
    appended = await asyncio.gather(
        *(
            journal.append([NewRecord(f"i{n}", "MapIterationStarted", {"index": n})])
            for n in range(20)
        )
    )
    assert [records[0].id for records in appended] == list(range(2, 22))
    assert [r.key for r in (await SqlJournal.open(store, two, FakeClock(0))).records] == [
        "a",
        *(f"i{n}" for n in range(20)),
    ]


async def test_stepfunctions_task_tokens(database: Database) -> None:
    from altus.stepfunctions import model as sf
    from altus.stepfunctions.sql_store import SCHEMA as STEPFUNCTIONS
    from altus.stepfunctions.sql_store import SqlStepFunctionsStore

    database.migrate([STEPFUNCTIONS])
    store = SqlStepFunctionsStore(database)
    activity = "arn:aws:states:us-east-1:000000000000:activity:a"
    callback = sf.TaskToken("cb", "arn:e", 1.0, 1.0, heartbeat=30.0)
    older = sf.TaskToken("t1", "arn:e", 2.0, 2.0, activity_arn=activity, input='{"n":1}')
    newer = sf.TaskToken("t2", "arn:e", 3.0, 3.0, activity_arn=activity, input='{"n":2}')
    for token in (newer, callback, older):
        assert await store.open_token(token) == token
    # Reopening keeps what is there.
    assert await store.open_token(dataclasses.replace(older, input="{}")) == older

    # Activity tasks are taken oldest first, once each.
    taken = await store.claim_task(activity, "w1", 5.0)
    assert taken is not None and (taken.token, taken.status, taken.worker) == (
        "t1",
        "started",
        "w1",
    )
    claims = await asyncio.gather(*(store.claim_task(activity, f"w{i}", 6.0) for i in range(4)))
    assert [c.token for c in claims if c is not None] == ["t2"]
    assert await store.claim_task(activity, "w9", 7.0) is None

    # A token is answered once: the second answer sees the first.
    before = await store.answer_token("cb", sf.ANSWERED_SUCCESS, '{"ok":1}', 8.0)
    assert before == callback
    again = await store.answer_token("cb", sf.ANSWERED_FAILURE, "{}", 9.0)
    assert again is not None and again.status == sf.ANSWERED_SUCCESS and again.answer == '{"ok":1}'
    assert await store.answer_token("none", sf.ANSWERED_SUCCESS, "{}", 9.0) is None
    beat = await store.beat_token("t1", 10.0)
    assert beat is not None and beat.status == sf.STARTED
    stored = await store.token("t1")
    assert stored is not None and stored.updated == 10.0

    # Closed: neither answered nor beaten any more.
    await store.close_token("t1", 11.0)
    await store.close_token("none", 11.0)
    closed = await store.answer_token("t1", sf.ANSWERED_SUCCESS, "{}", 12.0)
    assert closed is not None and closed.status == sf.TOKEN_CLOSED
    assert (await store.beat_token("t1", 12.0)).status == sf.TOKEN_CLOSED  # type: ignore[union-attr]


async def test_stepfunctions_map_runs(database: Database) -> None:
    from altus.asl.host import MapRunCounts, MapRunSettings
    from altus.stepfunctions import model as sf
    from altus.stepfunctions.sql_store import SCHEMA as STEPFUNCTIONS
    from altus.stepfunctions.sql_store import SqlStepFunctionsStore

    database.migrate([STEPFUNCTIONS])
    store = SqlStepFunctionsStore(database)
    execution = "arn:aws:states:us-east-1:000000000000:execution:m:e"
    prefix = "arn:aws:states:us-east-1:000000000000:mapRun:m/L:"
    pending = MapRunCounts(pending=3, total=3)
    first = sf.MapRun(
        f"{prefix}1", execution, "RUNNING", 10.0, MapRunSettings(2, None, 1), pending, pending
    )
    second = dataclasses.replace(first, arn=f"{prefix}2", start=20.0)
    other = dataclasses.replace(first, arn=f"{prefix}3", execution_arn=f"{execution}x")
    for run in (second, first, other):
        assert await store.create_map_run(run) == run
    # Created again (a resumed execution): what is stored, unchanged.
    assert await store.create_map_run(dataclasses.replace(first, start=99.0)) == first
    assert await store.map_run(first.arn) == first
    assert await store.map_run(f"{prefix}none") is None

    # Listing: an execution's Map Runs, oldest first, paged by (start, arn).
    assert [r.arn for r in await store.list_map_runs(execution, None, 10)] == [
        first.arn,
        second.arn,
    ]
    assert [r.arn for r in await store.list_map_runs(execution, (10.0, first.arn), 10)] == [
        second.arn
    ]
    assert await store.list_map_runs(f"{execution}none", None, 10) == []

    # Settings change (UpdateMapRun); reports keep them and return them.
    settings = MapRunSettings(0, 50.0, None)
    updated = await store.update_map_run(first.arn, settings)
    assert updated is not None and updated.settings == settings
    assert await store.update_map_run(f"{prefix}none", settings) is None
    running = MapRunCounts(pending=1, running=2, total=3)
    reported = await store.report_map_run(first.arn, running, running, None, None)
    assert reported is not None
    assert (reported.status, reported.items, reported.settings) == ("RUNNING", running, settings)
    done = MapRunCounts(succeeded=3, total=3, results_written=3)
    closed = await store.report_map_run(first.arn, done, done, "SUCCEEDED", 30.0)
    assert closed is not None and (closed.status, closed.stop, closed.items) == (
        "SUCCEEDED",
        30.0,
        done,
    )
    # A closed Map Run is left as it is.
    late = await store.report_map_run(first.arn, running, running, "FAILED", 40.0)
    assert late == closed
    assert await store.map_run(first.arn) == closed
    assert await store.report_map_run(f"{prefix}none", done, done, None, None) is None

    # Redriven (its parent was): RUNNING again, once per redrive count; what its
    # children run is kept with it.
    kept = dataclasses.replace(other, definition='{"StartAt":"P"}', label="L")
    assert await store.create_map_run(dataclasses.replace(kept, arn=f"{prefix}4")) is not None
    assert (await store.map_run(f"{prefix}4")) == dataclasses.replace(kept, arn=f"{prefix}4")
    again = await store.redrive_map_run(first.arn, 1, 50.0)
    assert again is not None
    assert (again.status, again.stop, again.redrive_count, again.redrive_date) == (
        "RUNNING",
        None,
        1,
        50.0,
    )
    assert again.items == done and again.settings == settings
    assert await store.redrive_map_run(first.arn, 1, 60.0) == again
    assert await store.redrive_map_run(f"{prefix}none", 1, 60.0) is None


async def test_stepfunctions_tokens_closed_with_their_execution(database: Database) -> None:
    from altus.stepfunctions import model as sf
    from altus.stepfunctions.sql_store import SCHEMA as STEPFUNCTIONS
    from altus.stepfunctions.sql_store import SqlStepFunctionsStore

    database.migrate([STEPFUNCTIONS])
    store = SqlStepFunctionsStore(database)
    for token in (
        sf.TaskToken("open", "arn:stopped", 1.0, 1.0),
        sf.TaskToken("taken", "arn:stopped", 1.0, 1.0, activity_arn="arn:act", input="{}"),
        sf.TaskToken("answered", "arn:stopped", 1.0, 1.0),
        sf.TaskToken("other", "arn:running", 1.0, 1.0),
    ):
        await store.open_token(token)
    assert await store.claim_task("arn:act", "w", 2.0) is not None
    await store.answer_token("answered", sf.ANSWERED_SUCCESS, "{}", 2.0)
    assert sorted(await store.close_tokens("arn:stopped", 3.0)) == ["open", "taken"]
    statuses = {t: (await store.token(t)).status for t in ("open", "taken", "answered", "other")}  # type: ignore[union-attr]
    assert statuses == {
        "open": sf.TOKEN_CLOSED,
        "taken": sf.TOKEN_CLOSED,
        "answered": sf.ANSWERED_SUCCESS,
        "other": sf.OPEN,
    }
    assert await store.close_tokens("arn:stopped", 4.0) == []
