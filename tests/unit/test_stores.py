"""The store contract, checked on every backend."""

import pytest

from altus.control.model import Alias, CodeRef, FunctionConfig, LayerRef, LayerVersion
from altus.store.backends.memory import MemoryStore
from altus.store.backends.sqlite import SqliteStore
from altus.store.base import (
    CreateFunction,
    DeleteAlias,
    DeleteFunction,
    DeleteLayerVersion,
    DeleteVersion,
    OutboxRecord,
    PutAlias,
    PutAttached,
    PutLatest,
    PutLayerVersion,
    PutTags,
    PutVersion,
    QueuedEvent,
    StoreConflict,
)
from altus.store.secrets import FernetCipher, SecretError

CODE = CodeRef(digest="ab" * 32, sha256="q80=", size=10)


@pytest.fixture(params=["memory", "sqlite"])
def store(request, tmp_path):
    backend = MemoryStore() if request.param == "memory" else SqliteStore(tmp_path / "s.db")
    yield backend
    backend.close()


def config(name="f", **changes):
    return FunctionConfig(
        name=name,
        version="$LATEST",
        role="r",
        code=CODE,
        runtime="python3.12",
        handler="a.b",
        **changes,
    )


def test_create_load_and_conflict(store):
    latest = config(environment={"K": "v"})
    store.apply([CreateFunction(latest, {"t": "1"})])
    (record,) = store.load()
    assert record.latest == latest and record.tags == {"t": "1"}
    with pytest.raises(StoreConflict):
        store.apply([CreateFunction(config())])


def test_plans_apply_all_or_nothing(store):
    store.apply([CreateFunction(config())])
    with pytest.raises(StoreConflict):
        store.apply([PutTags("f", {"new": "tag"}), CreateFunction(config())])
    assert store.load()[0].tags == {}


def test_compare_and_swap_on_latest(store):
    first = config()
    store.apply([CreateFunction(first)])
    second = first.replace(timeout=9, revision_id="r2")
    store.apply([PutLatest(second, expect_revision=first.revision_id)])
    with pytest.raises(StoreConflict):
        store.apply([PutLatest(first.replace(timeout=1), expect_revision=first.revision_id)])
    assert store.load()[0].latest.timeout == 9


def test_versions_aliases_and_delete(store):
    latest = config()
    store.apply([CreateFunction(latest)])
    store.apply([PutVersion(latest.replace(version="1"), 1)])
    store.apply([PutVersion(latest.replace(version="2"), 2)])
    store.apply([PutAlias(Alias("f", "prod", "1", additional_weights={"2": 0.1}))])
    record = store.load()[0]
    assert sorted(record.versions) == ["1", "2"] and record.last_version == 2
    assert record.aliases["prod"].additional_weights == {"2": 0.1}
    with pytest.raises(StoreConflict):
        store.apply([PutVersion(latest.replace(version="2"), 2)])
    store.apply([DeleteVersion("f", "2"), DeleteAlias("f", "prod")])
    record = store.load()[0]
    assert sorted(record.versions) == ["1"] and record.last_version == 2 and not record.aliases
    assert store.code_references() == {CODE.digest}
    store.apply([DeleteFunction("f")])
    assert store.load() == []


def test_event_queue(store):
    store.put([QueuedEvent("b", "f", None, b"{}", 2)])
    store.put([QueuedEvent("a", "f", "prod", b"[1]", 1), QueuedEvent("c", "g", None, b"3", 3)])
    assert [e.id for e in store.pending()] == ["a", "b", "c"]
    assert store.pending()[0].payload == b"[1]" and store.pending()[0].qualifier == "prod"
    assert store.payload("c") == b"3" and store.payload("zz") is None
    store.update(QueuedEvent("b", "f", None, b"", 2, attempts=1, extra={"due_ms": 9}))
    b = next(e for e in store.pending() if e.id == "b")
    assert (b.attempts, b.extra, b.payload) == (1, {"due_ms": 9}, b"{}")
    store.finish([("a", ())])
    assert [e.id for e in store.pending()] == ["b", "c"]


def test_finishing_an_event_stores_its_records_with_it(store):
    store.put([QueuedEvent("e", "f", None, b"{}", 1)])
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
    store.put([QueuedEvent("g", "f", None, b"{}", 2)])
    store.finish(
        [
            ("e", [record, OutboxRecord("r0", "e", "f", "DeadLetter", "t", "b", created_ms=4)]),
            ("g", ()),
        ]
    )
    assert store.pending() == []
    assert [r.id for r in store.outbox(parked=False)] == ["r0", "r1"]
    assert store.outbox(parked=False)[1] == record
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
    store.put_record(parked)
    assert store.outbox(parked=True) == [parked]
    assert [r.id for r in store.outbox(parked=False)] == ["r0"]
    store.record_done("r0")
    store.record_done("r1")
    assert store.outbox(parked=False) == store.outbox(parked=True) == []


def test_sqlite_survives_reopen(tmp_path):
    path = tmp_path / "s.db"
    first = SqliteStore(path)
    first.apply([CreateFunction(config())])
    first.put([QueuedEvent("e", "f", None, b"{}", 1)])
    first.close()
    again = SqliteStore(path)
    assert [r.name for r in again.load()] == ["f"]
    assert [e.id for e in again.pending()] == ["e"]
    again.close()


def test_attachments_and_their_qualifiers(store):
    store.apply(
        [
            CreateFunction(config()),
            PutVersion(config().replace(version="1"), 1),
            PutAlias(Alias("f", "live", "1")),
        ]
    )
    store.apply(
        [
            PutAttached("f", "policy", "", {"statements": []}),
            PutAttached("f", "url", "live", {"url_id": "x"}),
            PutAttached("f", "provisioned", "1", {"requested": 2}),
        ]
    )
    (record,) = store.load()
    assert record.attachment("url", "live") == {"url_id": "x"}
    assert record.attachment("provisioned", "1") == {"requested": 2}
    store.apply(
        [DeleteAlias("f", "live"), DeleteVersion("f", "1"), PutAttached("f", "policy", "", None)]
    )
    (record,) = store.load()
    assert record.attachment("url", "live") is None
    assert record.attachment("provisioned", "1") is None
    assert record.attachment("policy") is None
    store.apply([PutAttached("f", "concurrency", "", {"reserved": 3}), DeleteFunction("f")])
    assert store.load() == []


def test_layer_versions_and_their_counter(store):
    layer = LayerVersion(name="lib", version=1, code=CODE, compatible_runtimes=("python3.12",))
    store.apply([PutLayerVersion(layer), PutLayerVersion(layer.replace(version=2))])
    store.apply([DeleteLayerVersion("lib", 2)])
    layers, counters = store.load_layers()
    assert layers == [layer] and counters == {"lib": 2}
    with_policy = layer.replace(statements=({"Sid": "a"},), policy_revision="r2")
    store.apply([PutLayerVersion(with_policy)])
    assert store.load_layers()[0] == [with_policy]
    # A function keeps its layers' packages referenced after the layer versions go.
    other = CodeRef(digest="cd" * 32, sha256="zz=", size=1)
    store.apply(
        [CreateFunction(config(layers=(LayerRef("arn:l:1", other),))), DeleteLayerVersion("lib", 1)]
    )
    assert other.digest in store.code_references()


def test_environment_is_encrypted_at_rest(tmp_path):
    cipher = FernetCipher.from_file(tmp_path / "secret.key")
    assert (tmp_path / "secret.key").stat().st_mode & 0o777 == 0o600
    store = SqliteStore(tmp_path / "s.db", cipher)
    latest = config(environment={"PASSWORD": "hunter2-hunter2"})
    store.apply([CreateFunction(latest), PutVersion(latest.replace(version="1"), 1)])
    store.close()
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("s.db*"))
    assert b"hunter2-hunter2" not in raw
    reopened = SqliteStore(tmp_path / "s.db", FernetCipher.from_file(tmp_path / "secret.key"))
    (record,) = reopened.load()
    assert record.latest.environment == {"PASSWORD": "hunter2-hunter2"}
    assert record.versions["1"].environment == {"PASSWORD": "hunter2-hunter2"}
    reopened.close()
    # Another key cannot read them, and says so.
    (tmp_path / "other").mkdir()
    stranger = SqliteStore(tmp_path / "s.db", FernetCipher.from_file(tmp_path / "other" / "k"))
    with pytest.raises(SecretError):
        stranger.load()
    stranger.close()


def test_environments_stored_in_clear_are_sealed_when_a_key_arrives(tmp_path):
    plain = SqliteStore(tmp_path / "s.db")  # as a server before encryption at rest
    latest = config(environment={"TOKEN": "older-secret-in-clear"})
    plain.apply([CreateFunction(latest), PutVersion(latest.replace(version="1"), 1)])
    plain.close()
    assert b"older-secret-in-clear" in b"".join(p.read_bytes() for p in tmp_path.glob("s.db*"))
    sealed = SqliteStore(tmp_path / "s.db", FernetCipher.from_file(tmp_path / "secret.key"))
    (record,) = sealed.load()
    assert record.versions["1"].environment == {"TOKEN": "older-secret-in-clear"}
    sealed.close()
    assert b"older-secret-in-clear" not in b"".join(p.read_bytes() for p in tmp_path.glob("s.db*"))
