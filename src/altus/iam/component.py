"""The IAM service's component: the account's roles, users and managed policies, in
memory over their store; the questions Lambda asks of a function's role; and what the
identity layer asks of a principal (its permissions).

On first start it makes ``altus-function``, a role Lambda may assume, which ``altus
deploy`` and ``altus up --example`` name by default.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from altus.api.spec import Context
from altus.arns import parse_arn
from altus.iam import policies
from altus.iam.customer_policies import SqlPolicyStore
from altus.iam.errors import (
    DeleteConflict,
    EntityAlreadyExists,
    LimitExceeded,
    NoSuchEntity,
    UnmodifiableEntity,
)
from altus.iam.holdings import ROLE, USER, Holdings, SqlHoldingStore
from altus.iam.policy_book import PolicyBook
from altus.iam.roles import Role, RoleExists, SqlRoleStore, new_role_id
from altus.iam.users import SqlUserStore, User, UserExists
from altus.identity.authenticator import ADMIN, Identity, Permissions, unique_id
from altus.identity.documents import parsed
from altus.identity.keys import AccessKey

#: The role Altus makes on first start for functions deployed without one named.
DEFAULT_ROLE = "altus-function"
LAMBDA_TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
)
#: IAM's quotas: managed policies attached to one role or user, access keys per user.
MAX_ATTACHED = 10
MAX_KEYS = 2
#: Principals whose permissions are kept worked out (sessions come and go: bounded).
_PERMISSIONS_CACHED = 4096


def _parsed(document: str) -> Mapping[str, Any]:
    """A stored document (checked by ``policies.parse`` when it was stored)."""
    return parsed(document) or {}


class Iam:
    def __init__(self, context: Context) -> None:
        self.account = context.account
        self._clock = context.clock
        self.identity: Identity = context.identity
        database = context.storage.database()
        self._roles_store = SqlRoleStore(database)
        self._users_store = SqlUserStore(database)
        self._roles: dict[str, Role] = {}
        self._users: dict[str, User] = {}
        #: Inline policies and attachments, of roles and of users (by lower-cased name).
        self.role_holdings = Holdings(SqlHoldingStore(database, ROLE))
        self.user_holdings = Holdings(SqlHoldingStore(database, USER))
        self.policies = PolicyBook(SqlPolicyStore(database), context.account, context.clock)
        #: Counts changes to roles and users; with the holdings' and the policies' own,
        #: what a principal's cached permissions were worked out at.
        self._version = 0
        self._permissions_cache: dict[str, tuple[tuple[int, int, int, int], Permissions]] = {}
        # The identity layer asks IAM what a principal may do.
        context.identity.permissions_of = self.permissions_of

    async def start(self) -> None:
        self._roles = {role.name.lower(): role for role in await self._roles_store.roles()}
        self._users = {user.name.lower(): user for user in await self._users_store.users()}
        self._version += 1
        await self.role_holdings.load()
        await self.user_holdings.load()
        await self.policies.load()
        if DEFAULT_ROLE not in self._roles:
            # EntityAlreadyExists: another server on this store made it first.
            with contextlib.suppress(EntityAlreadyExists):
                await self.create_role(
                    DEFAULT_ROLE,
                    LAMBDA_TRUST,
                    description="Made by Altus for functions deployed without a role",
                )

    def interrupt(self) -> None:
        """Nothing here waits on a client."""

    async def close(self) -> None:
        """Nothing of its own to close."""

    def _now_ms(self) -> int:
        return int(self._clock.now() * 1000)

    def holdings(self, kind: str) -> Holdings:
        return self.role_holdings if kind == ROLE else self.user_holdings

    # --- roles ------------------------------------------------------------------------------

    def arn(self, role: Role) -> str:
        return self.account.arn("iam", f"role{role.path}{role.name}", regional=False)

    async def create_role(
        self,
        name: str,
        trust: str,
        *,
        path: str = "/",
        description: str = "",
        max_session: int = 3600,
        tags: Mapping[str, str] | None = None,
        boundary: str = "",
    ) -> Role:
        policies.parse(trust, trust=True)
        if name.lower() in self._roles:
            raise EntityAlreadyExists(f"Role with name {name} already exists.")
        if boundary:
            self.policies.attachable(boundary)
        role = Role(
            name,
            new_role_id(self.account.account_id, name),
            path,
            trust,
            self._now_ms(),
            description,
            max_session,
            dict(tags or {}),
            boundary,
        )
        try:
            await self._roles_store.add(role)
        except RoleExists:
            raise EntityAlreadyExists(f"Role with name {name} already exists.") from None
        self._roles[name.lower()] = role
        self._version += 1
        return role

    def by_name(self, name: str) -> Role | None:
        return self._roles.get(name.lower())

    def role(self, name: str) -> Role:
        found = self._roles.get(name.lower())
        if found is None:
            raise NoSuchEntity(f"The role with name {name} cannot be found.")
        return found

    def roles(self, path_prefix: str = "/") -> list[Role]:
        return [r for r in self._roles.values() if r.path.startswith(path_prefix)]

    async def _replace_role(self, updated: Role) -> None:
        await self._roles_store.replace(updated)
        self._roles[updated.name.lower()] = updated
        self._version += 1

    async def update_trust(self, name: str, trust: str) -> None:
        role = self.role(name)
        policies.parse(trust, trust=True)
        await self._replace_role(replace(role, trust=trust))

    async def set_role_boundary(self, name: str, boundary: str) -> None:
        """``boundary``: a managed policy's ARN, or "" to remove the role's."""
        role = self.role(name)
        if boundary:
            self.policies.attachable(boundary)
        await self._replace_role(replace(role, boundary=boundary))

    async def delete_role(self, name: str) -> None:
        role = self.role(name)
        _check_empty(self.role_holdings, role.name)
        await self._roles_store.delete(role.name)
        self._roles.pop(name.lower(), None)
        self._version += 1

    # --- users ------------------------------------------------------------------------------

    def user_arn(self, user: User) -> str:
        return self.account.arn("iam", f"user{user.path}{user.name}", regional=False)

    def _admin(self) -> User:
        """The administrator, the user whose key Altus made at its first start."""
        arn = self.account.arn("iam", f"user/{ADMIN}", regional=False)
        return User(ADMIN, unique_id("AIDA", arn), "/", self.identity.admin_key().created_ms)

    async def create_user(
        self,
        name: str,
        *,
        path: str = "/",
        tags: Mapping[str, str] | None = None,
        boundary: str = "",
    ) -> User:
        if name.lower() in self._users or name.lower() == ADMIN:
            raise EntityAlreadyExists(f"User with name {name} already exists.")
        if boundary:
            self.policies.attachable(boundary)
        arn = self.account.arn("iam", f"user{path}{name}", regional=False)
        user = User(name, unique_id("AIDA", arn), path, self._now_ms(), dict(tags or {}), boundary)
        try:
            await self._users_store.add(user)
        except UserExists:
            raise EntityAlreadyExists(f"User with name {name} already exists.") from None
        self._users[name.lower()] = user
        self._version += 1
        return user

    def user(self, name: str) -> User:
        if name.lower() == ADMIN:
            return self._admin()
        found = self._users.get(name.lower())
        if found is None:
            raise NoSuchEntity(f"The user with name {name} cannot be found.")
        return found

    def users(self, path_prefix: str = "/") -> list[User]:
        return [u for u in self._users.values() if u.path.startswith(path_prefix)]

    def user_of(self, principal_arn: str) -> User | None:
        """The user ``principal_arn`` is (its path must match), the administrator
        included; None for anyone else."""
        parsed = parse_arn(principal_arn)
        if parsed is None or parsed.service != "iam" or parsed.account != self.account.account_id:
            return None
        if not parsed.resource.startswith("user/"):
            return None
        name = parsed.resource.rsplit("/", 1)[-1]
        try:
            user = self.user(name)
        except NoSuchEntity:
            return None
        return user if self.user_arn(user) == principal_arn else None

    async def set_user_boundary(self, name: str, boundary: str) -> None:
        user = self._own_user(name)
        if boundary:
            self.policies.attachable(boundary)
        updated = User(user.name, user.id, user.path, user.created_ms, user.tags, boundary)
        await self._users_store.replace(updated)
        self._users[user.name.lower()] = updated
        self._version += 1

    def _own_user(self, name: str) -> User:
        """A user IAM keeps (the administrator is Altus's own, and cannot be changed)."""
        user = self.user(name)
        if user.name == ADMIN and name.lower() not in self._users:
            raise UnmodifiableEntity(
                "Cannot modify the administrator: it is Altus's own user (its key is in the "
                "data directory's credentials file)."
            )
        return user

    async def delete_user(self, name: str) -> None:
        user = self._own_user(name)
        if self.identity.keys_of(self.user_arn(user)):
            raise DeleteConflict("Cannot delete entity, must delete access keys first.")
        _check_empty(self.user_holdings, user.name)
        await self._users_store.delete(user.name)
        self._users.pop(user.name.lower(), None)
        self._version += 1

    # --- access keys ------------------------------------------------------------------------

    async def create_key(self, user: User) -> AccessKey:
        principal = self.user_arn(user)
        if len(self.identity.keys_of(principal)) >= MAX_KEYS:
            raise LimitExceeded(f"Cannot exceed quota for AccessKeysPerUser: {MAX_KEYS}")
        return await self.identity.add_key(principal)

    def keys_of(self, user: User) -> list[AccessKey]:
        return self.identity.keys_of(self.user_arn(user))

    def key_of(self, user: User, key_id: str) -> AccessKey:
        key = self.identity.key(key_id)
        if key is None or key.principal != self.user_arn(user):
            raise NoSuchEntity(f"The Access Key with id {key_id} cannot be found.")
        return key

    async def delete_key(self, user: User, key_id: str) -> None:
        key = self.key_of(user, key_id)
        if key.id == self.identity.admin_key().id:
            # The credentials file names it: losing it would lock the operator out.
            raise UnmodifiableEntity(
                "Cannot delete the administrator's first access key: it is the one in the "
                "data directory's credentials file."
            )
        await self.identity.delete_key(key.id)

    async def set_key_status(self, user: User, key_id: str, status: str) -> None:
        key = self.key_of(user, key_id)
        if key.id == self.identity.admin_key().id and status != "Active":
            raise UnmodifiableEntity(
                "Cannot deactivate the administrator's first access key: it is the one in "
                "the data directory's credentials file."
            )
        await self.identity.set_key_status(key.id, status)

    # --- what a role or user holds ----------------------------------------------------------

    def holder(self, kind: str, name: str) -> str:
        """The stored name of the role or user ``name`` (raises NoSuchEntity)."""
        return self.role(name).name if kind == ROLE else self._own_user(name).name

    async def put_policy(self, kind: str, holder: str, name: str, document: str) -> None:
        stored = self.holder(kind, holder)
        policies.parse(document)
        await self.holdings(kind).put(stored, name, document)

    def inline_policy(self, kind: str, holder: str, name: str) -> str:
        found = self.holdings(kind).inline(self.holder(kind, holder)).get(name)
        if found is None:
            raise NoSuchEntity(f"The {kind} policy with name {name} cannot be found.")
        return found

    def inline_names(self, kind: str, holder: str) -> list[str]:
        return sorted(self.holdings(kind).inline(self.holder(kind, holder)))

    async def delete_policy(self, kind: str, holder: str, name: str) -> None:
        self.inline_policy(kind, holder, name)
        await self.holdings(kind).delete(self.holder(kind, holder), name)

    async def attach(self, kind: str, holder: str, arn: str) -> None:
        stored = self.holder(kind, holder)
        self.policies.attachable(arn)
        attached = self.holdings(kind).attached(stored)
        if arn in attached:
            return
        if len(attached) >= MAX_ATTACHED:
            quota = "PoliciesPerRole" if kind == ROLE else "PoliciesPerUser"
            raise LimitExceeded(f"Cannot exceed quota for {quota}: {MAX_ATTACHED}")
        await self.holdings(kind).attach(stored, arn)

    async def detach(self, kind: str, holder: str, arn: str) -> None:
        stored = self.holder(kind, holder)
        if arn not in self.holdings(kind).attached(stored):
            raise NoSuchEntity(f"Policy {arn} was not found.")
        await self.holdings(kind).detach(stored, arn)

    def attached(self, kind: str, holder: str) -> list[str]:
        return self.holdings(kind).attached(self.holder(kind, holder))

    # --- managed policies -------------------------------------------------------------------

    def attachment_count(self, arn: str) -> int:
        return self.role_holdings.attachment_count(arn) + self.user_holdings.attachment_count(arn)

    def boundary_count(self, arn: str) -> int:
        return sum(r.boundary == arn for r in self._roles.values()) + sum(
            u.boundary == arn for u in self._users.values()
        )

    async def delete_managed(self, arn: str) -> None:
        in_use = self.attachment_count(arn) > 0 or self.boundary_count(arn) > 0
        await self.policies.delete(arn, in_use)

    # --- what the identity layer and Lambda ask ---------------------------------------------

    def permissions_of(self, principal_arn: str) -> Permissions:
        """A principal's identity policies and permissions boundary: a role's session has
        its role's, a user (or a user's session) its own; anyone else none. Worked out
        once per principal until IAM changes (every authorised call asks)."""
        version = (
            self._version,
            self.role_holdings.changes,
            self.user_holdings.changes,
            self.policies.changes,
        )
        cached = self._permissions_cache.get(principal_arn)
        if cached is not None and cached[0] == version:
            return cached[1]
        if len(self._permissions_cache) >= _PERMISSIONS_CACHED:
            self._permissions_cache.clear()
        found = self._work_out(principal_arn)
        self._permissions_cache[principal_arn] = (version, found)
        return found

    def _work_out(self, principal_arn: str) -> Permissions:
        parts = principal_arn.split(":", 5)
        if len(parts) < 6:
            return Permissions()
        if parts[5].startswith("assumed-role/"):
            role = self._roles.get(parts[5].split("/")[1].lower())
            if role is None:
                return Permissions()
            return self._permissions(self.role_holdings, role.name, role.boundary)
        user = self.user_of(principal_arn)
        if user is None:
            return Permissions()
        return self._permissions(self.user_holdings, user.name, user.boundary)

    def _permissions(self, holdings: Holdings, holder: str, boundary: str) -> Permissions:
        documents = list(holdings.inline(holder).values())
        for arn in holdings.attached(holder):
            found = self.policies.find(arn)
            if found is not None:
                documents.append(found.document)
        bounding = None
        if boundary:
            found = self.policies.find(boundary)
            # A boundary whose policy is gone allows nothing, as IAM's would.
            bounding = [_parsed(found.document)] if found is not None else []
        return Permissions([_parsed(d) for d in documents], bounding)

    def by_arn(self, arn: str) -> Role | None:
        """The role ``arn`` names in this account (its path must match too)."""
        parsed = parse_arn(arn)
        if parsed is None or parsed.service != "iam" or parsed.account != self.account.account_id:
            return None
        if not parsed.resource.startswith("role/"):
            return None
        path, _, name = parsed.resource.removeprefix("role").rpartition("/")
        role = self._roles.get(name.lower())
        return role if role is not None and role.path == f"{path}/" else None

    def assumable_by(self, arn: str, service: str) -> bool:
        """Whether ``service`` (``lambda.amazonaws.com``) may assume the role ``arn``."""
        role = self.by_arn(arn)
        return role is not None and policies.trusts(json.loads(role.trust), service=service)

    def trusted_callers(
        self, arn: str, names: list[str], context: Mapping[str, str]
    ) -> Role | None:
        """The role ``arn`` if its trust policy lets a caller known by ``names`` assume
        it (conditions read against ``context``); None if it does not, or there is no
        such role (AWS does not tell which)."""
        role = self.by_arn(arn)
        if role is None:
            return None
        if not policies.trusts(json.loads(role.trust), aws=names, context=context):
            return None
        return role


def _check_empty(holdings: Holdings, holder: str) -> None:
    """IAM deletes a role or user only once it holds no policies."""
    if holdings.inline(holder):
        raise DeleteConflict("Cannot delete entity, must delete policies first.")
    if holdings.attached(holder):
        raise DeleteConflict("Cannot delete entity, must detach all policies first.")
