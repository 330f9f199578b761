"""Managed policies as IAM serves them: the AWS managed ones Altus knows
(``altus.iam.managed``) and the account's own (``altus.iam.customer_policies``), found by
ARN; the account's own made, versioned and deleted here."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from altus.arns import Account, parse_arn
from altus.clock import Clock
from altus.iam import policies
from altus.iam.customer_policies import (
    CustomerPolicy,
    PolicyExists,
    PolicyStore,
    PolicyVersion,
)
from altus.iam.errors import (
    DeleteConflict,
    EntityAlreadyExists,
    LimitExceeded,
    NoSuchEntity,
)
from altus.iam.managed import AWS_MANAGED, ManagedPolicy
from altus.identity.authenticator import unique_id

#: How many versions a customer managed policy may have (IAM's quota).
MAX_VERSIONS = 5


@dataclass(frozen=True, slots=True)
class Managed:
    """A managed policy of either kind, as GetPolicy shows it."""

    arn: str
    name: str
    id: str
    path: str
    description: str
    default_version: str
    created_ms: int
    updated_ms: int
    versions: tuple[PolicyVersion, ...]
    tags: Mapping[str, str]
    aws: bool

    @property
    def document(self) -> str:
        """Its default version's document: what counts."""
        return next(v.document for v in self.versions if v.id == self.default_version)


def _aws(policy: ManagedPolicy) -> Managed:
    # Its default version was made when the policy last changed.
    version = PolicyVersion(policy.version_id, policy.document, policy.updated_ms)
    return Managed(
        policy.arn,
        policy.name,
        unique_id("ANPA", policy.arn),
        policy.path,
        policy.description,
        policy.version_id,
        policy.created_ms,
        policy.updated_ms,
        (version,),
        {},
        True,
    )


def _customer(policy: CustomerPolicy) -> Managed:
    return Managed(
        policy.arn,
        policy.name,
        policy.id,
        policy.path,
        policy.description,
        policy.default_version,
        policy.created_ms,
        policy.updated_ms,
        policy.versions,
        policy.tags,
        False,
    )


class PolicyBook:
    def __init__(self, store: PolicyStore, account: Account, clock: Clock) -> None:
        self._store = store
        self._account = account
        self._clock = clock
        #: The account's own, by lower-cased name.
        self._own: dict[str, CustomerPolicy] = {}
        #: Counts changes (what permissions were worked out at).
        self.changes = 0

    async def load(self) -> None:
        self._own = {p.name.lower(): p for p in await self._store.policies()}
        self.changes += 1

    def _now_ms(self) -> int:
        return int(self._clock.now() * 1000)

    def find(self, arn: str) -> Managed | None:
        """The managed policy ``arn`` names (its path must match too), of either kind."""
        known = AWS_MANAGED.get(arn)
        if known is not None:
            return _aws(known)
        own = self._own_by_arn(arn)
        return _customer(own) if own is not None else None

    def get(self, arn: str) -> Managed:
        found = self.find(arn)
        if found is None:
            raise NoSuchEntity(f"Policy {arn} was not found.")
        return found

    def attachable(self, arn: str) -> Managed:
        found = self.find(arn)
        if found is None:
            raise NoSuchEntity(f"Policy {arn} does not exist or is not attachable.")
        return found

    def listed(self, scope: str) -> list[Managed]:
        """``All``, ``AWS`` or ``Local`` policies, by name."""
        chosen: list[Managed] = []
        if scope in ("All", "AWS"):
            chosen += [_aws(p) for p in AWS_MANAGED.values()]
        if scope in ("All", "Local"):
            chosen += [_customer(p) for p in self._own.values()]
        return sorted(chosen, key=lambda p: p.name.lower())

    def _own_by_arn(self, arn: str) -> CustomerPolicy | None:
        parsed = parse_arn(arn)
        if parsed is None or parsed.service != "iam" or parsed.account != self._account.account_id:
            return None
        if not parsed.resource.startswith("policy/"):
            return None
        name = parsed.resource.rsplit("/", 1)[-1]
        found = self._own.get(name.lower())
        return found if found is not None and found.arn == arn else None

    def _local(self, arn: str) -> CustomerPolicy:
        found = self._own_by_arn(arn)
        if found is None:
            raise NoSuchEntity(f"Policy {arn} was not found.")
        return found

    def own(self, arn: str) -> Managed:
        """The account's own policy ``arn`` (an AWS managed one is not the account's to
        change: NoSuchEntity, as DeletePolicy answers)."""
        return _customer(self._local(arn))

    async def set_tags(self, arn: str, tags: Mapping[str, str]) -> None:
        """The account's own policy's tags, all of them (TagPolicy, UntagPolicy)."""
        policy = self._local(arn)
        updated = replace(policy, tags=dict(tags))
        await self._store.update(updated)
        self._own[policy.name.lower()] = updated

    async def create(
        self, name: str, path: str, document: str, description: str, tags: Mapping[str, str]
    ) -> Managed:
        policies.parse(document)
        if name.lower() in self._own:
            raise EntityAlreadyExists(
                f"A policy called {name} already exists. Duplicate names are not allowed."
            )
        now = self._now_ms()
        arn = self._account.arn("iam", f"policy{path}{name}", regional=False)
        policy = CustomerPolicy(
            name,
            arn,
            unique_id("ANPA", f"{arn}:{now}"),
            path,
            description,
            "v1",
            2,
            now,
            now,
            dict(tags),
            (PolicyVersion("v1", document, now),),
        )
        try:
            await self._store.create(policy)
        except PolicyExists:
            raise EntityAlreadyExists(
                f"A policy called {name} already exists. Duplicate names are not allowed."
            ) from None
        self._own[name.lower()] = policy
        self.changes += 1
        return _customer(policy)

    async def delete(self, arn: str, in_use: bool) -> None:
        """``in_use``: attached to a role or user, or bounding one."""
        policy = self._local(arn)
        if in_use:
            raise DeleteConflict("Cannot delete a policy attached to entities.")
        if len(policy.versions) > 1:
            raise DeleteConflict(
                "This policy has more than one version. Before you delete a policy, you must "
                "delete the policy's versions. The default version is deleted with the policy."
            )
        await self._store.delete(policy)
        self._own.pop(policy.name.lower(), None)
        self.changes += 1

    async def create_version(self, arn: str, document: str, set_default: bool) -> PolicyVersion:
        policy = self._local(arn)
        policies.parse(document)
        if len(policy.versions) >= MAX_VERSIONS:
            raise LimitExceeded(
                "A managed policy can have up to 5 versions. Before you create a new version, "
                "you must delete an existing version."
            )
        version = PolicyVersion(f"v{policy.next_version}", document, self._now_ms())
        updated = policy.with_version(version, default=set_default)
        await self._store.update(updated, added=version)
        self._own[policy.name.lower()] = updated
        self.changes += 1
        return version

    def version(self, arn: str, version_id: str) -> tuple[Managed, PolicyVersion]:
        policy = self.get(arn)
        found = next((v for v in policy.versions if v.id == version_id), None)
        if found is None:
            raise NoSuchEntity(
                f"Policy {arn} version {version_id} does not exist or is not attachable."
            )
        return policy, found

    async def delete_version(self, arn: str, version_id: str) -> None:
        policy = self._local(arn)
        if policy.version(version_id) is None:
            raise NoSuchEntity(
                f"Policy {arn} version {version_id} does not exist or is not attachable."
            )
        if version_id == policy.default_version:
            raise DeleteConflict("Cannot delete the default version of a policy.")
        updated = replace(policy, versions=tuple(v for v in policy.versions if v.id != version_id))
        await self._store.update(updated, removed=version_id)
        self._own[policy.name.lower()] = updated
        self.changes += 1

    async def set_default(self, arn: str, version_id: str) -> None:
        policy = self._local(arn)
        if policy.version(version_id) is None:
            raise NoSuchEntity(
                f"Policy {arn} version {version_id} does not exist or is not attachable."
            )
        updated = replace(policy, default_version=version_id, updated_ms=self._now_ms())
        await self._store.update(updated)
        self._own[policy.name.lower()] = updated
        self.changes += 1
