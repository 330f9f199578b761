"""In-memory store: the same contract as SQLite, for tests and throwaway servers."""

from __future__ import annotations

import copy
from collections.abc import Sequence

from altus.control.model import FunctionRecord
from altus.store.base import (
    Change,
    CreateFunction,
    DeleteAlias,
    DeleteFunction,
    DeleteVersion,
    PutAlias,
    PutLatest,
    PutTags,
    PutVersion,
    QueuedEvent,
    StoreConflict,
)


class MemoryStore:
    """``Store`` and ``EventQueue`` in dictionaries. Applies plans all-or-nothing."""

    def __init__(self) -> None:
        self._functions: dict[str, FunctionRecord] = {}
        self._events: dict[str, QueuedEvent] = {}

    def load(self) -> list[FunctionRecord]:
        return [copy.deepcopy(r) for _, r in sorted(self._functions.items())]

    def apply(self, changes: Sequence[Change]) -> None:
        staged = copy.deepcopy(self._functions)
        for change in changes:
            _apply_one(staged, change)
        self._functions = staged

    def code_references(self) -> set[str]:
        digests = set()
        for record in self._functions.values():
            digests.add(record.latest.code.digest)
            digests.update(v.code.digest for v in record.versions.values())
        return digests

    def put(self, event: QueuedEvent) -> None:
        self._events[event.id] = event

    def pending(self) -> list[QueuedEvent]:
        return sorted(self._events.values(), key=lambda e: (e.received_ms, e.id))

    def done(self, event_id: str) -> None:
        self._events.pop(event_id, None)

    def close(self) -> None:
        pass


def _apply_one(functions: dict[str, FunctionRecord], change: Change) -> None:
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
        case PutAlias(alias=alias):
            functions[alias.function].aliases[alias.name] = alias
        case DeleteAlias(function=function, name=name):
            functions[function].aliases.pop(name, None)
        case PutTags(name=name, tags=tags):
            functions[name].tags = dict(tags)
        case DeleteFunction(name=name):
            functions.pop(name, None)
        case _:
            raise TypeError(f"unknown change {change!r}")
