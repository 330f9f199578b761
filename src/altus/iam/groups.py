"""IAM groups: sets of users that hold policies for all their members, kept in the
``iam`` schema (``iam_groups``, ``iam_group_members``) and in memory.

A group's ARN is ``arn:aws:iam::<account>:group<path><name>``; its id ``AGPA`` and 17
characters, made from its ARN and the time it was made (a group made again gets a new
id, as in IAM). Names are unique case-insensitively. A group holds inline and managed
policies as roles and users do (``altus.iam.holdings``, kind ``GROUP``); its members
are users, by their lower-cased names, so that renaming a user or a group carries its
memberships along.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from altus.iam.errors import EntityAlreadyExists, NoSuchEntity
from altus.iam.holdings import GROUP, rename_in
from altus.store.database import Database, IntegrityViolation, Transaction


@dataclass(frozen=True, slots=True)
class Group:
    name: str
    id: str
    path: str
    created_ms: int


class GroupExists(Exception):
    """A group of that name (in any case) is stored already."""


class GroupStore(Protocol):
    async def groups(self) -> list[Group]: ...

    async def members(self) -> list[tuple[str, str]]:
        """(lower-cased group, lower-cased user) of every membership."""
        ...

    async def add(self, group: Group) -> None:
        """Raises GroupExists."""
        ...

    async def rename(self, old: str, group: Group) -> None:
        """The group ``old`` as ``group`` has it (its name and path; its id kept), with
        its policies, attachments and members, in one transaction. Raises GroupExists
        where another group has the new name."""
        ...

    async def delete(self, name: str) -> None:
        """Its row only: IAM deletes a group once it has no members and no policies."""
        ...

    async def add_member(self, group: str, user: str) -> None:
        """Adding a member twice is no error."""
        ...

    async def remove_member(self, group: str, user: str) -> None: ...


def rename_member_in(tx: Transaction, old: str, new: str) -> None:
    """Within ``tx`` (a user's rename): the user ``old``'s memberships are ``new``'s."""
    tx.execute(
        "UPDATE iam_group_members SET user_name = ? WHERE user_name = ?",
        (new.lower(), old.lower()),
    )


class SqlGroupStore:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def groups(self) -> list[Group]:
        def work(tx: Transaction) -> list[Group]:
            return [
                Group(r[0], r[1], r[2], r[3])
                for r in tx.execute(
                    "SELECT name, id, path, created_ms FROM iam_groups ORDER BY lower_name"
                )
            ]

        return await self._db.read(work)

    async def members(self) -> list[tuple[str, str]]:
        def work(tx: Transaction) -> list[tuple[str, str]]:
            return [
                (r[0], r[1])
                for r in tx.execute(
                    "SELECT group_name, user_name FROM iam_group_members "
                    "ORDER BY group_name, user_name"
                )
            ]

        return await self._db.read(work)

    async def add(self, group: Group) -> None:
        def work(tx: Transaction) -> None:
            tx.execute(
                "INSERT INTO iam_groups (lower_name, name, id, path, created_ms) "
                "VALUES (?, ?, ?, ?, ?)",
                (group.name.lower(), group.name, group.id, group.path, group.created_ms),
            )

        try:
            await self._db.write(work)
        except IntegrityViolation:
            raise GroupExists(group.name) from None

    async def rename(self, old: str, group: Group) -> None:
        def work(tx: Transaction) -> None:
            tx.execute(
                "UPDATE iam_groups SET lower_name = ?, name = ?, path = ? WHERE lower_name = ?",
                (group.name.lower(), group.name, group.path, old.lower()),
            )
            rename_in(tx, GROUP, old, group.name)
            tx.execute(
                "UPDATE iam_group_members SET group_name = ? WHERE group_name = ?",
                (group.name.lower(), old.lower()),
            )

        try:
            await self._db.write(work)
        except IntegrityViolation:
            raise GroupExists(group.name) from None

    async def delete(self, name: str) -> None:
        def work(tx: Transaction) -> None:
            tx.execute("DELETE FROM iam_groups WHERE lower_name = ?", (name.lower(),))

        await self._db.write(work)

    async def add_member(self, group: str, user: str) -> None:
        def work(tx: Transaction) -> None:
            tx.execute(
                "INSERT INTO iam_group_members (group_name, user_name) VALUES (?, ?) "
                "ON CONFLICT (group_name, user_name) DO NOTHING",
                (group.lower(), user.lower()),
            )

        await self._db.write(work)

    async def remove_member(self, group: str, user: str) -> None:
        def work(tx: Transaction) -> None:
            tx.execute(
                "DELETE FROM iam_group_members WHERE group_name = ? AND user_name = ?",
                (group.lower(), user.lower()),
            )

        await self._db.write(work)


class Groups:
    """The account's groups and their members in memory, written through to the store
    (each change stored before memory changes)."""

    def __init__(self, store: GroupStore) -> None:
        self._store = store
        self._groups: dict[str, Group] = {}
        #: Lower-cased group -> its members' lower-cased names, in the order they joined.
        self._members: dict[str, list[str]] = {}
        #: Counts changes (what a user's permissions were worked out at).
        self.changes = 0

    async def load(self) -> None:
        self.changes += 1
        self._groups = {g.name.lower(): g for g in await self._store.groups()}
        self._members = {}
        for group, user in await self._store.members():
            self._members.setdefault(group, []).append(user)

    def find(self, name: str) -> Group | None:
        return self._groups.get(name.lower())

    def get(self, name: str) -> Group:
        found = self._groups.get(name.lower())
        if found is None:
            raise NoSuchEntity(f"The group with name {name} cannot be found.")
        return found

    def listed(self, path_prefix: str = "/") -> list[Group]:
        """By name, whatever its case."""
        chosen = [g for g in self._groups.values() if g.path.startswith(path_prefix)]
        return sorted(chosen, key=lambda g: g.name.lower())

    async def create(self, group: Group) -> None:
        if group.name.lower() in self._groups:
            raise EntityAlreadyExists(f"Group with name {group.name} already exists.")
        try:
            await self._store.add(group)
        except GroupExists:
            raise EntityAlreadyExists(f"Group with name {group.name} already exists.") from None
        self._groups[group.name.lower()] = group
        self.changes += 1

    async def rename(self, old: Group, new: Group) -> None:
        """``old`` as ``new`` (its name and path); the caller moves its holdings in memory
        (the store moved them with the group)."""
        if new.name.lower() != old.name.lower() and new.name.lower() in self._groups:
            raise EntityAlreadyExists(f"Group with name {new.name} already exists.")
        try:
            await self._store.rename(old.name, new)
        except GroupExists:
            raise EntityAlreadyExists(f"Group with name {new.name} already exists.") from None
        self._groups.pop(old.name.lower(), None)
        self._groups[new.name.lower()] = new
        members = self._members.pop(old.name.lower(), None)
        if members is not None:
            self._members[new.name.lower()] = members
        self.changes += 1

    async def delete(self, group: Group) -> None:
        await self._store.delete(group.name)
        self._groups.pop(group.name.lower(), None)
        self._members.pop(group.name.lower(), None)
        self.changes += 1

    def members(self, group: Group) -> list[str]:
        """Its members' lower-cased names."""
        return list(self._members.get(group.name.lower(), []))

    def of(self, user: str) -> list[Group]:
        """The groups ``user`` is a member of, by name."""
        found = [self._groups[g] for g, users in self._members.items() if user.lower() in users]
        return sorted(found, key=lambda g: g.name.lower())

    async def add_member(self, group: Group, user: str) -> None:
        members = self._members.get(group.name.lower(), [])
        if user.lower() in members:
            return
        await self._store.add_member(group.name, user)
        current = self._members.setdefault(group.name.lower(), [])
        if user.lower() not in current:  # another call may have added it meanwhile
            current.append(user.lower())
        self.changes += 1

    async def remove_member(self, group: Group, user: str) -> None:
        members = self._members.get(group.name.lower(), [])
        if user.lower() not in members:
            return
        await self._store.remove_member(group.name, user)
        current = self._members.get(group.name.lower(), [])
        if user.lower() in current:  # another call may have removed it meanwhile
            current.remove(user.lower())
        self.changes += 1

    def member_renamed(self, old: str, new: str) -> None:
        """The user ``old`` is ``new`` now (its store was told, by ``rename_member_in``)."""
        self.changes += 1
        for members in self._members.values():
            if old.lower() in members:
                members[members.index(old.lower())] = new.lower()
