"""What a role, a user or a group holds: inline policies (name -> document) and the
managed policies attached to it (their ARNs), kept in the ``iam`` schema and in memory.

Roles, users and groups hold policies the same way, in tables of their own
(``iam_role_policies``/``iam_role_attachments``, ``iam_user_...``, ``iam_group_...``);
``Holdings`` is one kind's, keyed by the holder's lower-cased name (IAM names are unique
whatever their case).
"""

from __future__ import annotations

from dataclasses import dataclass

from altus.store.database import Database, Transaction

ROLE = "role"
USER = "user"
GROUP = "group"


@dataclass(frozen=True, slots=True)
class _Tables:
    inline: str
    attached: str
    holder: str


#: Fixed table and column names per kind: never built from a request.
_TABLES = {
    ROLE: _Tables("iam_role_policies", "iam_role_attachments", "role"),
    USER: _Tables("iam_user_policies", "iam_user_attachments", "user_name"),
    GROUP: _Tables("iam_group_policies", "iam_group_attachments", "group_name"),
}


def rename_in(tx: Transaction, kind: str, old: str, new: str) -> None:
    """Within ``tx`` (a rename's, which changes the holder's own row too): what ``old``
    holds, held by ``new`` from then on."""
    t = _TABLES[kind]
    for table in (t.inline, t.attached):
        tx.execute(
            f"UPDATE {table} SET {t.holder} = ? WHERE {t.holder} = ?", (new.lower(), old.lower())
        )


class SqlHoldingStore:
    """One kind's inline policies and attachments on one database."""

    def __init__(self, database: Database, kind: str) -> None:
        self._db = database
        self._t = _TABLES[kind]

    async def policies(self) -> list[tuple[str, str, str]]:
        """(lower-cased holder, policy name, document) of every inline policy."""
        t = self._t

        def work(tx: Transaction) -> list[tuple[str, str, str]]:
            sql = f"SELECT {t.holder}, name, document FROM {t.inline} ORDER BY {t.holder}, name"
            return [(r[0], r[1], r[2]) for r in tx.execute(sql)]

        return await self._db.read(work)

    async def attachments(self) -> list[tuple[str, str]]:
        """(lower-cased holder, policy ARN) of every attached managed policy."""
        t = self._t

        def work(tx: Transaction) -> list[tuple[str, str]]:
            sql = f"SELECT {t.holder}, policy_arn FROM {t.attached} ORDER BY {t.holder}, policy_arn"
            return [(r[0], r[1]) for r in tx.execute(sql)]

        return await self._db.read(work)

    async def put_policy(self, holder: str, name: str, document: str) -> None:
        t = self._t

        def work(tx: Transaction) -> None:
            tx.execute(
                f"INSERT INTO {t.inline} ({t.holder}, name, document) VALUES (?, ?, ?) "
                f"ON CONFLICT ({t.holder}, name) DO UPDATE SET document = excluded.document",
                (holder.lower(), name, document),
            )

        await self._db.write(work)

    async def delete_policy(self, holder: str, name: str) -> None:
        t = self._t

        def work(tx: Transaction) -> None:
            tx.execute(
                f"DELETE FROM {t.inline} WHERE {t.holder} = ? AND name = ?", (holder.lower(), name)
            )

        await self._db.write(work)

    async def attach(self, holder: str, arn: str) -> None:
        t = self._t

        def work(tx: Transaction) -> None:
            tx.execute(
                f"INSERT INTO {t.attached} ({t.holder}, policy_arn) VALUES (?, ?) "
                f"ON CONFLICT ({t.holder}, policy_arn) DO NOTHING",
                (holder.lower(), arn),
            )

        await self._db.write(work)

    async def detach(self, holder: str, arn: str) -> None:
        t = self._t

        def work(tx: Transaction) -> None:
            tx.execute(
                f"DELETE FROM {t.attached} WHERE {t.holder} = ? AND policy_arn = ?",
                (holder.lower(), arn),
            )

        await self._db.write(work)


class Holdings:
    """One kind's holdings in memory, written through to its store."""

    def __init__(self, store: SqlHoldingStore) -> None:
        self._store = store
        self._inline: dict[str, dict[str, str]] = {}
        self._attached: dict[str, list[str]] = {}
        #: Counts changes (what the permissions of a holder were worked out at).
        self.changes = 0

    async def load(self) -> None:
        self.changes += 1
        self._inline, self._attached = {}, {}
        for holder, name, document in await self._store.policies():
            self._inline.setdefault(holder, {})[name] = document
        for holder, arn in await self._store.attachments():
            self._attached.setdefault(holder, []).append(arn)

    def inline(self, holder: str) -> dict[str, str]:
        """Name -> document of ``holder``'s inline policies."""
        return dict(self._inline.get(holder.lower(), {}))

    async def put(self, holder: str, name: str, document: str) -> None:
        await self._store.put_policy(holder, name, document)
        self.changes += 1
        self._inline.setdefault(holder.lower(), {})[name] = document

    async def delete(self, holder: str, name: str) -> None:
        await self._store.delete_policy(holder, name)
        self.changes += 1
        self._inline.get(holder.lower(), {}).pop(name, None)

    def attached(self, holder: str) -> list[str]:
        return list(self._attached.get(holder.lower(), []))

    async def attach(self, holder: str, arn: str) -> None:
        await self._store.attach(holder, arn)
        self.changes += 1
        attached = self._attached.setdefault(holder.lower(), [])
        if arn not in attached:
            attached.append(arn)

    async def detach(self, holder: str, arn: str) -> None:
        await self._store.detach(holder, arn)
        self.changes += 1
        attached = self._attached.get(holder.lower(), [])
        if arn in attached:
            attached.remove(arn)

    def renamed(self, old: str, new: str) -> None:
        """What ``old`` held is ``new``'s now (its store was told, by ``rename_in``)."""
        self.changes += 1
        if old.lower() == new.lower():
            return
        inline = self._inline.pop(old.lower(), None)
        if inline is not None:
            self._inline[new.lower()] = inline
        attached = self._attached.pop(old.lower(), None)
        if attached is not None:
            self._attached[new.lower()] = attached

    def holders_of(self, arn: str) -> list[str]:
        """The lower-cased names of the holders ``arn`` is attached to."""
        return [holder for holder, arns in self._attached.items() if arn in arns]

    def holds_any(self, holder: str) -> bool:
        return bool(self._inline.get(holder.lower()) or self._attached.get(holder.lower()))

    def attachment_count(self, arn: str) -> int:
        return sum(arn in arns for arns in self._attached.values())
