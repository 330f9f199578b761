"""The log groups as the API sees them: a group exists once Lambda logged into it (its
events' database has it) or once it was given settings (CreateLogGroup, a retention
policy, tags, a KMS key: the main database has them); both make one group.

The settings are kept in memory too (read at start), changed under one lock, written
first and put in memory after: a refused or failed write changes nothing. The lock also
covers CreateLogStream and DeleteLogGroup, so a stream is never made in a group being
deleted.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from altus.logs.errors import ResourceAlreadyExists, group_not_found
from altus.logs.group_store import GroupSettings, GroupSettingsStore
from altus.logs.store import LogStore


@dataclass(frozen=True, slots=True)
class LogGroup:
    settings: GroupSettings
    stored_bytes: int

    @property
    def name(self) -> str:
        return self.settings.name


class LogGroups:
    def __init__(self, settings: GroupSettingsStore, events: LogStore) -> None:
        self._store = settings
        self._events = events
        self._settings: dict[str, GroupSettings] = {}
        self.lock = asyncio.Lock()

    async def load(self) -> None:
        self._settings = {s.name: s for s in await self._store.load()}

    def settings(self, name: str) -> GroupSettings | None:
        return self._settings.get(name)

    def retention_policies(self) -> dict[str, int]:
        """Group name -> days, for the groups with a retention policy."""
        return {
            name: s.retention_days
            for name, s in self._settings.items()
            if s.retention_days is not None
        }

    # --- reading -----------------------------------------------------------------------

    async def find(self, name: str) -> LogGroup | None:
        """The group, if it exists (what was appended before is counted)."""
        await self._events.flush()
        stored = await self._events.group(name)
        settings = self._settings.get(name)
        if settings is None:
            if stored is None:
                return None
            settings = GroupSettings(name, stored.created)
        return LogGroup(settings, stored.stored_bytes if stored else 0)

    async def get(self, name: str) -> LogGroup:
        """``find``, or CloudWatch Logs' ResourceNotFoundException."""
        found = await self.find(name)
        if found is None:
            raise group_not_found()
        return found

    async def listing(self, prefix: str = "") -> list[LogGroup]:
        """Every group whose name starts with ``prefix``, by name."""
        await self._events.flush()
        stored = {g.group: g for g in await self._events.groups(prefix)}
        names = sorted(set(stored) | {name for name in self._settings if name.startswith(prefix)})
        found = []
        for name in names:
            info = stored.get(name)
            settings = self._settings.get(name)
            if settings is None:
                assert info is not None
                settings = GroupSettings(name, info.created)
            found.append(LogGroup(settings, info.stored_bytes if info else 0))
        return found

    # --- changing ----------------------------------------------------------------------

    async def create(self, settings: GroupSettings) -> None:
        """Create a group with these settings; ResourceAlreadyExistsException if a group
        of that name exists (created, or made by Lambda's logging)."""
        async with self.lock:
            if await self.find(settings.name) is not None:
                raise ResourceAlreadyExists("The specified log group already exists")
            await self._store.put(settings)
            self._settings[settings.name] = settings

    async def change(
        self, name: str, how: Callable[[GroupSettings], GroupSettings]
    ) -> GroupSettings:
        """Change an existing group's settings (``how`` may raise to refuse, changing
        nothing); ResourceNotFoundException if there is no such group."""
        async with self.lock:
            current = (await self.get(name)).settings
            changed = how(current)
            if changed != current:
                await self._store.put(changed)
                self._settings[name] = changed
            return changed

    async def delete(self, name: str) -> None:
        """Delete a group: its events and streams, then its settings (a crash between
        leaves the group there, settings and all, for the delete to be tried again)."""
        async with self.lock:
            await self.get(name)
            await self._events.delete_group(name)
            if name in self._settings:
                await self._store.delete(name)
                del self._settings[name]

    async def create_stream(self, group: str, stream: str, now: int) -> bool:
        """Make an empty stream in an existing group (ResourceNotFoundException if there
        is none); False if the group has a stream of that name."""
        async with self.lock:
            await self.get(group)
            return await self._events.create_stream(group, stream, now)


def with_tags(settings: GroupSettings, tags: Mapping[str, str]) -> GroupSettings:
    return dataclasses.replace(settings, tags={**settings.tags, **tags})


def without_tags(settings: GroupSettings, keys: set[str]) -> GroupSettings:
    kept = {k: v for k, v in settings.tags.items() if k not in keys}
    return dataclasses.replace(settings, tags=kept)
