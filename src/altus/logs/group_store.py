"""A log group's settings: what CreateLogGroup, PutRetentionPolicy, the tagging
operations and AssociateKmsKey set, kept in the main database.

The events live in a database of their own (``store.py``) that may lose its last
moments in a power cut; a group a template or a user created, and its retention and
tags, are configuration, written with the durability of the rest of it. A group Lambda
logged into has no settings until one of these operations gives it some.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

#: The class a group has unless it was created with another.
STANDARD = "STANDARD"


@dataclass(frozen=True, slots=True)
class GroupSettings:
    name: str
    #: When the group was created (ms since the epoch): by CreateLogGroup, or, for a
    #: group given settings after Lambda made it, when Lambda did.
    created: int
    #: Days its events are kept; None: forever (the server's ``log_retention_days``
    #: applies, see ``component.py``).
    retention_days: int | None = None
    #: Kept and shown, never used: Altus does not encrypt log events with it.
    kms_key_id: str | None = None
    group_class: str = STANDARD
    tags: Mapping[str, str] = field(default_factory=dict)


class GroupSettingsStore(Protocol):
    async def load(self) -> list[GroupSettings]:
        """Every group's settings, by name (read once, at start)."""
        ...

    async def put(self, settings: GroupSettings) -> None:
        """Write one group's settings, replacing what it had, durably before returning;
        all of it or (raising) nothing."""
        ...

    async def delete(self, name: str) -> None:
        """Forget a group's settings, durably before returning; nothing if it had none."""
        ...
