"""In-memory store: the same contract as SQLite, for tests and throwaway servers."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import replace

from altus.control.model import FunctionRecord, LayerVersion
from altus.store.base import (
    Change,
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
from altus.store.code import layers_tree_name


class MemoryStore:
    """``Store`` and ``EventQueue`` in dictionaries. Applies plans all-or-nothing."""

    def __init__(self) -> None:
        self._state = _State()
        self._events: dict[str, QueuedEvent] = {}
        self._outbox: dict[str, OutboxRecord] = {}

    def load(self) -> list[FunctionRecord]:
        return [copy.deepcopy(r) for _, r in sorted(self._state.functions.items())]

    def load_layers(self) -> tuple[list[LayerVersion], dict[str, int]]:
        layers = [layer for _, layer in sorted(self._state.layers.items())]
        return layers, dict(self._state.layer_counters)

    def apply(self, changes: Sequence[Change]) -> None:
        staged = copy.deepcopy(self._state)
        for change in changes:
            _apply_one(staged, change)
        self._state = staged

    def code_references(self) -> set[str]:
        digests = set()
        for record in self._state.functions.values():
            for config in [record.latest, *record.versions.values()]:
                digests.add(config.code.digest)
                layers = [layer.code.digest for layer in config.layers]
                digests.update(layers)
                if layers:
                    digests.add(layers_tree_name(layers))
        digests.update(layer.code.digest for layer in self._state.layers.values())
        return digests

    def put(self, events: Sequence[QueuedEvent]) -> None:
        for event in events:
            self._events[event.id] = event

    def pending(self) -> list[QueuedEvent]:
        return sorted(self._events.values(), key=lambda e: (e.received_ms, e.id))

    def payload(self, event_id: str) -> bytes | None:
        event = self._events.get(event_id)
        return None if event is None else event.payload

    def update(self, event: QueuedEvent) -> None:
        if event.id in self._events:
            self._events[event.id] = replace(
                self._events[event.id], attempts=event.attempts, extra=copy.deepcopy(event.extra)
            )

    def finish(self, ends: Sequence[tuple[str, Sequence[OutboxRecord]]]) -> None:
        for event_id, records in ends:
            for record in records:
                self._outbox[record.id] = record
            self._events.pop(event_id, None)

    def outbox(self, parked: bool) -> list[OutboxRecord]:
        chosen = [r for r in self._outbox.values() if (r.parked_ms is not None) == parked]
        return sorted(chosen, key=lambda r: (r.created_ms, r.id))

    def put_record(self, record: OutboxRecord) -> None:
        self._outbox[record.id] = record

    def record_done(self, record_id: str) -> None:
        self._outbox.pop(record_id, None)

    def close(self) -> None:
        pass


class _State:
    def __init__(self) -> None:
        self.functions: dict[str, FunctionRecord] = {}
        self.layers: dict[tuple[str, int], LayerVersion] = {}
        self.layer_counters: dict[str, int] = {}


def _apply_one(state: _State, change: Change) -> None:
    functions = state.functions
    match change:
        case CreateFunction(latest=latest, tags=tags):
            if latest.name in functions:
                raise StoreConflict(f"function {latest.name} exists")
            functions[latest.name] = FunctionRecord(latest=latest, tags=dict(tags))
        case PutLatest(latest=latest, expect_revision=expect):
            record = functions.get(latest.name)
            if record is None:
                raise StoreConflict(f"function {latest.name} does not exist")
            if expect is not None and record.latest.revision_id != expect:
                raise StoreConflict(f"function {latest.name} changed meanwhile")
            record.latest = latest
        case PutVersion(config=config, last_version=last_version):
            record = functions[config.name]
            if config.version in record.versions:
                raise StoreConflict(f"version {config.version} of {config.name} exists")
            record.versions[config.version] = config
            record.last_version = last_version
        case DeleteVersion(name=name, version=version):
            functions[name].versions.pop(version, None)
            functions[name].detach_qualifier(version)
        case PutAlias(alias=alias):
            functions[alias.function].aliases[alias.name] = alias
        case DeleteAlias(function=function, name=name):
            functions[function].aliases.pop(name, None)
            functions[function].detach_qualifier(name)
        case PutTags(name=name, tags=tags):
            functions[name].tags = dict(tags)
        case DeleteFunction(name=name):
            functions.pop(name, None)
        case PutAttached(function=function, kind=kind, qualifier=qualifier, value=value):
            functions[function].attach(kind, qualifier, copy.deepcopy(value))
        case PutLayerVersion(layer=layer):
            state.layers[(layer.name, layer.version)] = layer
            state.layer_counters[layer.name] = max(
                state.layer_counters.get(layer.name, 0), layer.version
            )
        case DeleteLayerVersion(name=name, version=version):
            state.layers.pop((name, version), None)
        case _:
            raise TypeError(f"unknown change {change!r}")
