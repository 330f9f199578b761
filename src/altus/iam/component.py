"""The IAM service's component: the account's roles (so far), in memory over their
store, and the question Lambda asks of a function's role.

On first start it makes ``altus-function``, a role Lambda may assume, which ``altus
deploy`` and ``altus up --example`` name by default.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping
from typing import Any

from altus.api.spec import Context
from altus.arns import parse_arn
from altus.iam import policies
from altus.iam.errors import DeleteConflict, EntityAlreadyExists, NoSuchEntity
from altus.iam.managed import AWS_MANAGED
from altus.iam.roles import Role, RoleExists, SqlRoleStore, new_role_id

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


class Iam:
    def __init__(self, context: Context) -> None:
        self.account = context.account
        self._clock = context.clock
        self._store = SqlRoleStore(context.storage.database())
        self._roles: dict[str, Role] = {}
        #: By lower-cased role name: inline policies (name -> document), attached ARNs.
        self._inline: dict[str, dict[str, str]] = {}
        self._attached: dict[str, list[str]] = {}
        # The identity layer asks IAM what a principal's policies are.
        context.identity.policies_of = self.policies_of

    async def start(self) -> None:
        self._roles = {role.name.lower(): role for role in await self._store.roles()}
        for role, name, document in await self._store.policies():
            self._inline.setdefault(role, {})[name] = document
        for role, arn in await self._store.attachments():
            self._attached.setdefault(role, []).append(arn)
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
    ) -> Role:
        policies.parse(trust, trust=True)
        if name.lower() in self._roles:
            raise EntityAlreadyExists(f"Role with name {name} already exists.")
        role = Role(
            name,
            new_role_id(self.account.account_id, name),
            path,
            trust,
            int(self._clock.now() * 1000),
            description,
            max_session,
            dict(tags or {}),
        )
        try:
            await self._store.add(role)
        except RoleExists:
            raise EntityAlreadyExists(f"Role with name {name} already exists.") from None
        self._roles[name.lower()] = role
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

    async def update_trust(self, name: str, trust: str) -> None:
        role = self.role(name)
        policies.parse(trust, trust=True)
        updated = Role(
            role.name,
            role.id,
            role.path,
            trust,
            role.created_ms,
            role.description,
            role.max_session,
            role.tags,
        )
        await self._store.replace(updated)
        self._roles[name.lower()] = updated

    async def delete_role(self, name: str) -> None:
        role = self.role(name)
        if self._inline.get(name.lower()) or self._attached.get(name.lower()):
            raise DeleteConflict("Cannot delete entity, must delete policies first.")
        await self._store.delete(role.name)
        self._roles.pop(name.lower(), None)

    # --- a role's policies ---------------------------------------------------------------

    async def put_role_policy(self, role_name: str, name: str, document: str) -> None:
        role = self.role(role_name)
        policies.parse(document)
        await self._store.put_policy(role.name, name, document)
        self._inline.setdefault(role.name.lower(), {})[name] = document

    def role_policy(self, role_name: str, name: str) -> str:
        role = self.role(role_name)
        found = self._inline.get(role.name.lower(), {}).get(name)
        if found is None:
            raise NoSuchEntity(f"The role policy with name {name} cannot be found.")
        return found

    def role_policy_names(self, role_name: str) -> list[str]:
        return sorted(self._inline.get(self.role(role_name).name.lower(), {}))

    async def delete_role_policy(self, role_name: str, name: str) -> None:
        self.role_policy(role_name, name)
        await self._store.delete_policy(role_name, name)
        self._inline.get(role_name.lower(), {}).pop(name, None)

    async def attach(self, role_name: str, arn: str) -> None:
        role = self.role(role_name)
        if arn not in AWS_MANAGED:
            raise NoSuchEntity(f"Policy {arn} does not exist or is not attachable.")
        await self._store.attach(role.name, arn)
        attached = self._attached.setdefault(role.name.lower(), [])
        if arn not in attached:
            attached.append(arn)

    async def detach(self, role_name: str, arn: str) -> None:
        role = self.role(role_name)
        if arn not in self._attached.get(role.name.lower(), []):
            raise NoSuchEntity(f"Policy {arn} was not found.")
        await self._store.detach(role.name, arn)
        self._attached[role.name.lower()].remove(arn)

    def attached(self, role_name: str) -> list[str]:
        return list(self._attached.get(self.role(role_name).name.lower(), []))

    def policies_of(self, principal_arn: str) -> list[dict[str, Any]]:
        """The identity policies of a principal: for a role's session, its role's inline
        and attached policies (none for a role IAM does not have)."""
        parts = principal_arn.split(":", 5)
        if len(parts) < 6 or not parts[5].startswith("assumed-role/"):
            return []
        role = parts[5].split("/")[1].lower()
        documents = [*self._inline.get(role, {}).values()]
        documents += [AWS_MANAGED[arn].document for arn in self._attached.get(role, [])]
        return [json.loads(d) for d in documents]

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
