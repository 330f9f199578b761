"""The IAM service's component: the account's roles, users, groups and managed policies,
in memory over their store; the questions Lambda asks of a function's role; and what the
identity layer asks of a principal (its permissions, a user's with its groups').

On first start it makes ``altus-function``, a role Lambda may assume, which ``altus
deploy`` and ``altus up --example`` name by default.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from altus.api.spec import Context
from altus.arns import parse_arn
from altus.iam import policies, tags
from altus.iam.customer_policies import SqlPolicyStore
from altus.iam.errors import (
    DeleteConflict,
    EntityAlreadyExists,
    LimitExceeded,
    NoSuchEntity,
    UnmodifiableEntity,
)
from altus.iam.groups import Group, Groups, SqlGroupStore
from altus.iam.holdings import GROUP, ROLE, USER, Holdings, SqlHoldingStore
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
#: IAM's quotas: managed policies attached to one role, user or group, access keys per
#: user, groups a user is a member of.
MAX_ATTACHED = 10
MAX_KEYS = 2
MAX_GROUPS_PER_USER = 10
_QUOTAS = {ROLE: "PoliciesPerRole", USER: "PoliciesPerUser", GROUP: "PoliciesPerGroup"}
#: What holds policies.
_KINDS = (ROLE, USER, GROUP)
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
        #: Inline policies and attachments, of roles, users and groups (by lower-cased
        #: name).
        self.role_holdings = Holdings(SqlHoldingStore(database, ROLE))
        self.user_holdings = Holdings(SqlHoldingStore(database, USER))
        self.group_holdings = Holdings(SqlHoldingStore(database, GROUP))
        self.groups = Groups(SqlGroupStore(database))
        self.policies = PolicyBook(SqlPolicyStore(database), context.account, context.clock)
        #: Counts changes to roles and users; with the holdings', the groups' and the
        #: policies' own, what a principal's cached permissions were worked out at.
        self._version = 0
        #: Held by each write the API makes, whole (``spec._one_at_a_time``).
        self.writing = asyncio.Lock()
        self._permissions_cache: dict[str, tuple[tuple[int, ...], Permissions]] = {}
        #: One rename of a user or group at a time: a user's keys are moved after its
        #: row, and a second rename of the same one must not start in between.
        self._renaming = asyncio.Lock()
        # The identity layer asks IAM what a principal may do.
        context.identity.permissions_of = self.permissions_of

    async def start(self) -> None:
        self._roles = {role.name.lower(): role for role in await self._roles_store.roles()}
        self._users = {user.name.lower(): user for user in await self._users_store.users()}
        self._version += 1
        await self.role_holdings.load()
        await self.user_holdings.load()
        await self.group_holdings.load()
        await self.groups.load()
        await self.policies.load()
        # Renames whose keys a crash left at their old ARNs (the identity layer has
        # loaded its keys by now): moved before any request is served.
        for old_arn, new_arn in await self._users_store.renames():
            await self.identity.rename_principal(old_arn, new_arn)
            await self._users_store.renamed(old_arn)
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
        if kind == ROLE:
            return self.role_holdings
        return self.user_holdings if kind == USER else self.group_holdings

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

    async def update_role(
        self, name: str, description: str | None = None, max_session: int | None = None
    ) -> Role:
        """UpdateRole and UpdateRoleDescription: what is given changes, nothing else
        (the model holds ``max_session`` to 3600..43200)."""
        role = self.role(name)
        updated = replace(
            role,
            description=role.description if description is None else description,
            max_session=role.max_session if max_session is None else max_session,
        )
        await self._replace_role(updated)
        return updated

    async def tag_role(self, name: str, given: dict[str, str]) -> None:
        role = self.role(name)
        merged = tags.merged(role.tags, given, fold_case=True, quota="TagsPerRole")
        await self._replace_role(replace(role, tags=merged))

    async def untag_role(self, name: str, keys: list[str]) -> None:
        role = self.role(name)
        await self._replace_role(replace(role, tags=tags.without(role.tags, keys, fold_case=True)))

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
        user_id = unique_id("AIDA", arn)
        now = self._now_ms()
        if any(u.id == user_id for u in self._users.values()):
            # A user renamed away from this ARN kept the id it gives: this one's is made
            # from the time too, so that ids stay unique.
            user_id = unique_id("AIDA", f"{arn}:{now}")
        user = User(name, user_id, path, now, dict(tags or {}), boundary)
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
        await self._replace_user(replace(user, boundary=boundary))

    async def _replace_user(self, updated: User) -> None:
        await self._users_store.replace(updated)
        self._users[updated.name.lower()] = updated
        self._version += 1

    async def tag_user(self, name: str, given: dict[str, str]) -> None:
        user = self._own_user(name)
        merged = tags.merged(user.tags, given, fold_case=True, quota="TagsPerUser")
        await self._replace_user(replace(user, tags=merged))

    async def untag_user(self, name: str, keys: list[str]) -> None:
        user = self._own_user(name)
        await self._replace_user(replace(user, tags=tags.without(user.tags, keys, fold_case=True)))

    async def update_user(
        self, name: str, new_name: str | None = None, new_path: str | None = None
    ) -> User:
        """UpdateUser: a new name or path (or both). The user keeps its id (as in IAM),
        its policies, attachments, memberships and access keys; its keys sign as its new
        ARN once this returns."""
        async with self._renaming:
            user = self._own_user(name)
            target = replace(user, name=new_name or user.name, path=new_path or user.path)
            if target == user:
                return user
            taken = target.name.lower() != user.name.lower() and (
                target.name.lower() in self._users or target.name.lower() == ADMIN
            )
            if taken:
                raise EntityAlreadyExists(f"User with name {target.name} already exists.")
            old_arn, new_arn = self.user_arn(user), self.user_arn(target)
            try:
                await self._users_store.rename(user.name, target, old_arn, new_arn, self._now_ms())
            except UserExists:
                raise EntityAlreadyExists(f"User with name {target.name} already exists.") from None
            self._users.pop(user.name.lower(), None)
            self._users[target.name.lower()] = target
            self.user_holdings.renamed(user.name, target.name)
            self.groups.member_renamed(user.name, target.name)
            self._version += 1
            if old_arn != new_arn:
                await self.identity.rename_principal(old_arn, new_arn)
                await self._users_store.renamed(old_arn)
            return target

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
        if self.groups.of(user.name):
            # IAM's words, the same as DeleteGroup's for a group with members.
            raise DeleteConflict("Cannot delete entity, must remove users from group first.")
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

    # --- groups ----------------------------------------------------------------------------

    def group_arn(self, group: Group) -> str:
        return self.account.arn("iam", f"group{group.path}{group.name}", regional=False)

    async def create_group(self, name: str, path: str = "/") -> Group:
        now = self._now_ms()
        arn = self.account.arn("iam", f"group{path}{name}", regional=False)
        group = Group(name, unique_id("AGPA", f"{arn}:{now}"), path, now)
        await self.groups.create(group)
        return group

    async def update_group(
        self, name: str, new_name: str | None = None, new_path: str | None = None
    ) -> Group:
        """UpdateGroup: a new name or path; its id, policies and members stay with it."""
        async with self._renaming:  # a second rename of it finds it by its new name only
            group = self.groups.get(name)
            target = replace(group, name=new_name or group.name, path=new_path or group.path)
            if target == group:
                return group
            await self.groups.rename(group, target)
            self.group_holdings.renamed(group.name, target.name)
            return target

    async def delete_group(self, name: str) -> None:
        group = self.groups.get(name)
        if self.groups.members(group):
            raise DeleteConflict("Cannot delete entity, must remove users from group first.")
        _check_empty(self.group_holdings, group.name)
        await self.groups.delete(group)

    def members(self, group: Group) -> list[User]:
        """Its members, by name."""
        found = [self._users[u] for u in self.groups.members(group) if u in self._users]
        return sorted(found, key=lambda u: u.name.lower())

    async def add_to_group(self, group_name: str, user_name: str) -> None:
        group = self.groups.get(group_name)
        user = self._own_user(user_name)
        if group in self.groups.of(user.name):
            return
        if len(self.groups.of(user.name)) >= MAX_GROUPS_PER_USER:
            raise LimitExceeded(f"Cannot exceed quota for GroupsPerUser: {MAX_GROUPS_PER_USER}")
        await self.groups.add_member(group, user.name)

    async def remove_from_group(self, group_name: str, user_name: str) -> None:
        """A user not in the group is no error, as in IAM."""
        group = self.groups.get(group_name)
        user = self._own_user(user_name)
        await self.groups.remove_member(group, user.name)

    def groups_of(self, user_name: str) -> list[Group]:
        return self.groups.of(self.user(user_name).name)

    # --- what a role, user or group holds ---------------------------------------------------

    def holder(self, kind: str, name: str) -> str:
        """The stored name of the role, user or group ``name`` (raises NoSuchEntity)."""
        if kind == ROLE:
            return self.role(name).name
        return self._own_user(name).name if kind == USER else self.groups.get(name).name

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
            raise LimitExceeded(f"Cannot exceed quota for {_QUOTAS[kind]}: {MAX_ATTACHED}")
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
        return sum(self.holdings(k).attachment_count(arn) for k in _KINDS)

    def boundary_count(self, arn: str) -> int:
        return sum(r.boundary == arn for r in self._roles.values()) + sum(
            u.boundary == arn for u in self._users.values()
        )

    async def delete_managed(self, arn: str) -> None:
        in_use = self.attachment_count(arn) > 0 or self.boundary_count(arn) > 0
        await self.policies.delete(arn, in_use)

    def entities_of(
        self, arn: str, usage: str | None = None
    ) -> tuple[list[Group], list[User], list[Role]]:
        """The groups, users and roles the managed policy ``arn`` is attached to
        (``usage`` ``PermissionsPolicy``) or bounds (``PermissionsBoundary``), or either
        (None), each by name. Raises NoSuchEntity for a policy IAM does not have."""
        self.policies.get(arn)
        attached = usage in (None, "PermissionsPolicy")
        bounding = usage in (None, "PermissionsBoundary")
        held = {k: set(self.holdings(k).holders_of(arn)) if attached else set() for k in _KINDS}
        groups = [g for g in self.groups.listed() if g.name.lower() in held[GROUP]]
        users = [
            u
            for u in self._users.values()
            if u.name.lower() in held[USER] or (bounding and u.boundary == arn)
        ]
        roles = [
            r
            for r in self._roles.values()
            if r.name.lower() in held[ROLE] or (bounding and r.boundary == arn)
        ]
        return (
            groups,
            sorted(users, key=lambda u: u.name.lower()),
            sorted(roles, key=lambda r: r.name.lower()),
        )

    async def tag_policy(self, arn: str, given: dict[str, str]) -> None:
        policy = self.policies.own(arn)
        merged = tags.merged(policy.tags, given, fold_case=False, quota="TagsPerPolicy")
        await self.policies.set_tags(arn, merged)

    async def untag_policy(self, arn: str, keys: list[str]) -> None:
        policy = self.policies.own(arn)
        await self.policies.set_tags(arn, tags.without(policy.tags, keys, fold_case=False))

    # --- what the identity layer and Lambda ask ---------------------------------------------

    def permissions_of(self, principal_arn: str) -> Permissions:
        """A principal's identity policies and permissions boundary: a role's session has
        its role's, a user (or a user's session) its own; anyone else none. Worked out
        once per principal until IAM changes (every authorised call asks)."""
        version = (
            self._version,
            self.role_holdings.changes,
            self.user_holdings.changes,
            self.group_holdings.changes,
            self.groups.changes,
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
            documents = self._documents(self.role_holdings, role.name)
            return Permissions(documents, self._bounding(role.boundary), role_arn=self.arn(role))
        user = self.user_of(principal_arn)
        if user is None:
            return Permissions()
        # A user has its own policies and those of every group it is a member of.
        documents = self._documents(self.user_holdings, user.name)
        for group in self.groups.of(user.name):
            documents += self._documents(self.group_holdings, group.name)
        return Permissions(documents, self._bounding(user.boundary), user.id)

    def _documents(self, holdings: Holdings, holder: str) -> list[Mapping[str, Any]]:
        documents = list(holdings.inline(holder).values())
        for arn in holdings.attached(holder):
            found = self.policies.find(arn)
            if found is not None:
                documents.append(found.document)
        return [_parsed(d) for d in documents]

    def _bounding(self, boundary: str) -> list[Mapping[str, Any]] | None:
        if not boundary:
            return None
        found = self.policies.find(boundary)
        # A boundary whose policy is gone allows nothing, as IAM's would.
        return [_parsed(found.document)] if found is not None else []

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
    """IAM deletes a role, user or group only once it holds no policies."""
    if holdings.inline(holder):
        raise DeleteConflict("Cannot delete entity, must delete policies first.")
    if holdings.attached(holder):
        raise DeleteConflict("Cannot delete entity, must detach all policies first.")
