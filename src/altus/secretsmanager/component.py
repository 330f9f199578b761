"""The Secrets Manager service's component: the account's secrets, in memory over their
store (metadata and version labels; values stay sealed in the store and are read when
asked for), and the task that purges secrets whose recovery window has ended.

Every change is planned from memory under one lock (secrets change rarely: AWS asks for
no more than one new value every ten minutes), written to the store, and only then put
in memory and answered. Deletion is scheduled on the platform's clock: a secret's purge
time is stored with it, so a restart finds it and purges it when it comes (at once if it
passed while the server was down).

Other parts of Altus read secrets through ``read_value``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from altus.api.spec import Context
from altus.identity.authenticator import Principal
from altus.identity.documents import parsed
from altus.secretsmanager import names, policy, versions
from altus.secretsmanager.errors import (
    MARKED_FOR_DELETION,
    NOT_FOUND,
    InvalidParameter,
    InvalidRequest,
    ResourceExists,
    ResourceNotFound,
)
from altus.secretsmanager.model import CURRENT, Secret, Value, Version
from altus.secretsmanager.sql_store import SqlSecretStore
from altus.secretsmanager.store import NameTaken, SecretStore
from altus.store.secrets import FernetCipher

log = logging.getLogger(__name__)

DAY_MS = 86_400_000
#: DeleteSecret's recovery window when none is given, and its bounds.
DEFAULT_WINDOW_DAYS = 30
MIN_WINDOW_DAYS, MAX_WINDOW_DAYS = 7, 30
#: The largest value a version may hold (AWS's quota is in bytes, the model's in characters).
MAX_VALUE_BYTES = 65_536
#: The purger looks again at least this often (seconds of the clock), so a wall clock
#: that jumps (a suspended machine) delays a purge by no more than this.
_RECHECK = 3600.0
#: After a purge failed (the database unreachable), wait this long before trying again.
_RETRY = 60.0

TOKEN_REQUIRED = "You must provide a ClientRequestToken value. We recommend a UUID-type value."
EXISTING_VERSION = "You can't modify an existing version, you can only create new ones."
#: The versions UpdateSecret's KmsKeyId encrypts again (the rest keep their key).
REKEYED_STAGES = {"AWSCURRENT", "AWSPENDING", "AWSPREVIOUS"}


@dataclass(frozen=True, slots=True)
class Fetched:
    """A version of a secret with its value, as GetSecretValue answers it."""

    arn: str
    name: str
    version_id: str
    stages: tuple[str, ...]
    created_ms: int
    value: Value


class SecretsManager:
    def __init__(self, context: Context) -> None:
        self.account = context.account
        self._clock = context.clock
        self._identity = context.identity
        self.store: SecretStore = SqlSecretStore(
            context.storage.database(),
            FernetCipher.from_file(context.settings.data_dir / "secret.key"),
        )
        #: Every secret, by name, those scheduled for deletion included; names by ARN.
        self._secrets: dict[str, Secret] = {}
        self._names: dict[str, str] = {}
        self._lock = asyncio.Lock()
        #: Set when a deletion is scheduled or cancelled: the purger looks again.
        self._schedule_changed = asyncio.Event()
        self._purger: asyncio.Task[None] | None = None

    # --- the component's life ------------------------------------------------------------

    async def start(self) -> None:
        for secret in await self.store.load():
            self._keep(secret)
        self._purger = asyncio.get_running_loop().create_task(self._purge_forever())

    def interrupt(self) -> None:
        """Nothing here waits on a client."""

    async def close(self) -> None:
        if self._purger is not None:
            self._purger.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._purger

    # --- for the rest of Altus -----------------------------------------------------------

    async def read_value(
        self, secret_id: str, *, stage: str | None = None, version_id: str | None = None
    ) -> Fetched:
        """A secret's value, as GetSecretValue reads it, for other parts of Altus (the
        Parameters and Secrets extension, SSM's ``/aws/reference/secretsmanager/``
        parameters).

        ``secret_id`` is the secret's name, full ARN or partial ARN; ``stage`` a staging
        label and ``version_id`` a version (both: they must agree); neither: the
        ``AWSCURRENT`` version. No permission is checked: the caller has checked its own.

        Raises the service's errors, worded as AWS words them: ResourceNotFound (no such
        secret, version or label), InvalidRequest (the secret is scheduled for
        deletion, or the label and version disagree), ValidationError (a name of
        characters no secret has), DecryptionFailure (the data directory's key does not
        open it)."""
        secret = self.live(secret_id)
        version = versions.pick(secret, version_id, stage)
        value = await self.store.value(secret.arn, version.id)
        if value is None:  # purged, or the version pruned, since we looked
            raise ResourceNotFound(NOT_FOUND)
        await self._touch(secret.name, version.id)
        return Fetched(
            secret.arn, secret.name, version.id, version.stages, version.created_ms, value
        )

    # --- finding secrets ---------------------------------------------------------------

    def lookup(self, secret_id: str) -> Secret | None:
        """The secret ``secret_id`` names (a name, a full or a partial ARN), if there is
        one. Raises ValidationError for a name no secret could have."""
        wanted = names.parse_id(secret_id, self.account)
        if wanted is None:
            return None
        if wanted.arn is not None and wanted.arn in self._names:
            return self._secrets[self._names[wanted.arn]]
        return self._secrets.get(wanted.name)

    def find(self, secret_id: str) -> Secret:
        found = self.lookup(secret_id)
        if found is None:
            raise ResourceNotFound(NOT_FOUND)
        return found

    def live(self, secret_id: str) -> Secret:
        """The secret, which must not be scheduled for deletion (InvalidRequest)."""
        found = self.find(secret_id)
        if found.scheduled:
            raise InvalidRequest(MARKED_FOR_DELETION)
        return found

    def secrets(self) -> list[Secret]:
        return list(self._secrets.values())

    def policies(self, secret: Secret) -> list[Mapping[str, Any]]:
        """The secret's resource policy as a policy document, if it has one (for
        authorisation: it may allow a call as well as the caller's own policies), parsed
        once however many calls read it."""
        found = parsed(secret.policy) if secret.policy else None
        return [found] if found is not None else []

    def authorize(
        self,
        principal: Principal | None,
        action: str,
        secret: Secret | None,
        context: Mapping[str, str] | None = None,
    ) -> None:
        """Where requests are authenticated, the caller must be allowed ``action`` on the
        secret (``*`` for none), its resource policy included, conditions read against
        ``context`` (the request's keys); AccessDenied otherwise."""
        if principal is None or not self._identity.enforcing:
            return
        if secret is None:
            self._identity.authorize(principal, action, "*", (), context)
        else:
            policies = self.policies(secret)
            self._identity.authorize(principal, action, secret.arn, policies, context)

    # --- changing secrets --------------------------------------------------------------

    async def create(
        self,
        name: str,
        *,
        token: str | None,
        value: Value | None,
        description: str | None = None,
        kms_key_id: str | None = None,
        secret_type: str | None = None,
        tags: Sequence[tuple[str, str]] = (),
    ) -> tuple[Secret, str | None]:
        """A new secret, with its first version when ``value`` is given (its id the
        token). A retry with the same token and value answers as the first call did."""
        names.check_name(name)
        _check_value(value, token)
        async with self._lock:
            existing = self._secrets.get(name)
            if existing is not None:
                if existing.scheduled:
                    raise InvalidRequest(
                        "You can't create this secret because a secret with this name is "
                        "already scheduled for deletion."
                    )
                if await self._same_version(existing, token, value):
                    return existing, token
                raise ResourceExists(_exists(name))
            now = self._now_ms()
            arn = names.new_arn(self.account, name)
            while arn in self._names:
                arn = names.new_arn(self.account, name)  # astronomically rare
            secret = Secret(
                arn=arn,
                name=name,
                created_ms=now,
                changed_ms=now,
                description=description,
                kms_key_id=kms_key_id or None,
                type=secret_type,
                tags=_merged((), tags),
            )
            values: dict[str, Value] = {}
            if value is not None and token is not None:
                first = Version(token, (CURRENT,), now, secret.kms_key_id)
                secret = versions.add_version(secret, first, now)
                values[token] = value
            try:
                await self.store.create(secret, values)
            except NameTaken:
                raise ResourceExists(_exists(name)) from None
            self._keep(secret)
            return secret, token if values else None

    async def put_value(
        self, secret_id: str, *, token: str | None, value: Value | None, stages: Sequence[str] = ()
    ) -> tuple[Secret, Version]:
        """A new version (labelled ``stages``, else ``AWSCURRENT``). The same token with
        the same value changes nothing; with another value it is refused."""
        if value is None:
            raise InvalidParameter("You must provide either SecretString or SecretBinary.")
        _check_value(value, token)
        assert token is not None
        async with self._lock:
            secret = self.live(secret_id)
            existing = secret.version(token)
            if existing is not None:
                if await self._same_version(secret, token, value):
                    return secret, existing
                raise ResourceExists(EXISTING_VERSION)
            now = self._now_ms()
            new = Version(token, versions.unique(stages) or (CURRENT,), now, secret.kms_key_id)
            after = versions.add_version(secret, new, now).replace(changed_ms=now)
            await self._save(after, {token: value})
            found = after.version(token)
            assert found is not None
            return after, found

    async def update(
        self,
        secret_id: str,
        *,
        token: str | None,
        value: Value | None,
        description: str | None = None,
        kms_key_id: str | None = None,
        secret_type: str | None = None,
    ) -> tuple[Secret, str | None]:
        """New details, and a new ``AWSCURRENT`` version when ``value`` is given. Unlike
        PutSecretValue, a token that names an existing version is always refused."""
        _check_value(value, token)
        async with self._lock:
            secret = self.live(secret_id)
            now = self._now_ms()
            after = secret.replace(changed_ms=now)
            if description is not None:
                after = after.replace(description=description)
            if kms_key_id is not None and (kms_key_id or None) != secret.kms_key_id:
                after = _rekeyed(after, kms_key_id or None)
            if secret_type is not None:
                after = after.replace(type=secret_type)
            values: dict[str, Value] = {}
            if value is not None and token is not None:
                if secret.version(token) is not None:
                    raise ResourceExists(EXISTING_VERSION)
                new = Version(token, (CURRENT,), now, after.kms_key_id)
                after = versions.add_version(after, new, now)
                values[token] = value
            await self._save(after, values)
            return after, token if values else None

    async def move_stage(
        self, secret_id: str, stage: str, *, move_to: str | None, remove_from: str | None
    ) -> Secret:
        async with self._lock:
            secret = self.live(secret_id)
            after = versions.move_stage(secret, stage, move_to, remove_from)
            if after is not secret:
                await self._save(after.replace(changed_ms=self._now_ms()), {})
            return after

    async def delete(
        self, secret_id: str, *, window_days: int | None, force: bool
    ) -> tuple[str | None, str, int]:
        """Schedule the secret's deletion (the end of its recovery window), or purge it at
        once (``force``; a secret that is not there is then no error). The secret's ARN
        (None for one that is not there), name, and when it is (to be) deleted."""
        if window_days is not None and not MIN_WINDOW_DAYS <= window_days <= MAX_WINDOW_DAYS:
            raise InvalidParameter(
                "The RecoveryWindowInDays value must be between 7 and 30 days (inclusive)."
            )
        if force and window_days is not None:
            raise InvalidParameter(
                "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays."
            )
        async with self._lock:
            now = self._now_ms()
            secret = self.lookup(secret_id)
            if secret is None:
                if not force:
                    raise ResourceNotFound(NOT_FOUND)
                if not secret_id.startswith("arn:"):
                    return None, secret_id, now
                named = secret_id.rsplit(":secret:", 1)[-1]
                return secret_id, named, now
            if force:
                await self.store.purge(secret.arn)
                self._forget(secret)
                self._schedule_changed.set()
                return secret.arn, secret.name, now
            if secret.scheduled:
                raise InvalidRequest(MARKED_FOR_DELETION)
            window = window_days if window_days is not None else DEFAULT_WINDOW_DAYS
            after = secret.replace(deleted_ms=now, purge_ms=now + window * DAY_MS, changed_ms=now)
            await self._save(after, {})
            self._schedule_changed.set()
            assert after.purge_ms is not None
            return after.arn, after.name, after.purge_ms

    async def restore(self, secret_id: str) -> Secret:
        """Cancel a scheduled deletion (a secret not scheduled is left as it is)."""
        async with self._lock:
            secret = self.find(secret_id)
            if not secret.scheduled:
                return secret
            after = secret.replace(deleted_ms=None, purge_ms=None, changed_ms=self._now_ms())
            await self._save(after, {})
            self._schedule_changed.set()
            return after

    async def tag(self, secret_id: str, tags: Sequence[tuple[str, str]]) -> Secret:
        async with self._lock:
            secret = self.live(secret_id)
            after = secret.replace(tags=_merged(secret.tags, tags), changed_ms=self._now_ms())
            await self._save(after, {})
            return after

    async def untag(self, secret_id: str, keys: Sequence[str]) -> Secret:
        async with self._lock:
            secret = self.live(secret_id)
            gone = set(keys)
            kept = tuple((k, v) for k, v in secret.tags if k not in gone)
            after = secret.replace(tags=kept, changed_ms=self._now_ms())
            await self._save(after, {})
            return after

    async def put_policy(self, secret_id: str, document: str, *, block_public: bool) -> Secret:
        policy.check(document, block_public=block_public)
        async with self._lock:
            secret = self.live(secret_id)
            after = secret.replace(policy=document, changed_ms=self._now_ms())
            await self._save(after, {})
            return after

    async def delete_policy(self, secret_id: str) -> Secret:
        async with self._lock:
            secret = self.live(secret_id)
            if secret.policy is None:
                return secret
            after = secret.replace(policy=None, changed_ms=self._now_ms())
            await self._save(after, {})
            return after

    # --- inside ------------------------------------------------------------------------

    def _now_ms(self) -> int:
        return int(self._clock.now() * 1000)

    async def _save(self, secret: Secret, values: Mapping[str, Value]) -> None:
        await self.store.save(secret, values)
        self._keep(secret)

    def _keep(self, secret: Secret) -> None:
        self._secrets[secret.name] = secret
        self._names[secret.arn] = secret.name

    def _forget(self, secret: Secret) -> None:
        self._secrets.pop(secret.name, None)
        self._names.pop(secret.arn, None)

    async def _same_version(self, secret: Secret, token: str | None, value: Value | None) -> bool:
        """Whether ``token`` names a version of ``secret`` holding ``value`` already (a
        retry of the call that made it)."""
        if token is None or value is None or secret.version(token) is None:
            return False
        stored = await self.store.value(secret.arn, token)
        return stored == value and type(stored) is type(value)

    async def _touch(self, name: str, version_id: str) -> None:
        """Record the day a secret and its version were last read (AWS reports the date
        only, so this writes at most once a day per version)."""
        today = self._now_ms() // DAY_MS * DAY_MS
        secret = self._secrets.get(name)
        version = secret.version(version_id) if secret is not None else None
        if secret is None or version is None:
            return
        if secret.accessed_ms == today and version.accessed_ms == today:
            return
        async with self._lock:
            secret = self._secrets.get(name)
            if secret is None or secret.version(version_id) is None:
                return
            touched = tuple(
                v.replace(accessed_ms=today) if v.id == version_id else v for v in secret.versions
            )
            await self._save(secret.replace(accessed_ms=today, versions=touched), {})

    async def _purge_forever(self) -> None:
        while True:
            due = min(
                (s.purge_ms for s in self._secrets.values() if s.purge_ms is not None),
                default=None,
            )
            now = self._now_ms()
            wait = _RECHECK
            if due is not None and due <= now:
                try:
                    await self._purge_due()
                    continue
                except Exception:
                    log.exception("purging secrets whose recovery window ended failed")
                    wait = _RETRY
            elif due is not None:
                wait = min(_RECHECK, (due - now) / 1000)
            self._schedule_changed.clear()
            await self._clock.wait(self._schedule_changed, wait)

    async def _purge_due(self) -> None:
        async with self._lock:
            now = self._now_ms()
            for secret in list(self._secrets.values()):
                if secret.purge_ms is not None and secret.purge_ms <= now:
                    await self.store.purge(secret.arn)
                    self._forget(secret)
                    log.info("purged secret %s: its recovery window ended", secret.name)


def _rekeyed(secret: Secret, key: str | None) -> Secret:
    """The secret under another KMS key (None: the default one): new versions take it,
    and so do the versions labelled for rotation, which AWS encrypts again with it."""
    versions = tuple(
        v.replace(kms_key_id=key) if set(v.stages) & REKEYED_STAGES else v for v in secret.versions
    )
    return secret.replace(kms_key_id=key, versions=versions)


def _exists(name: str) -> str:
    return f"The operation failed because the secret {name} already exists."


def _check_value(value: Value | None, token: str | None) -> None:
    if value is None:
        return
    size = len(value.encode()) if isinstance(value, str) else len(value)
    if size > MAX_VALUE_BYTES:
        raise InvalidParameter(
            f"A secret's value can't be larger than {MAX_VALUE_BYTES} bytes; this one is {size}."
        )
    if token is None:
        raise InvalidRequest(TOKEN_REQUIRED)


def _merged(
    tags: Sequence[tuple[str, str]], added: Sequence[tuple[str, str]]
) -> tuple[tuple[str, str], ...]:
    """``tags`` with ``added`` put in: a key already there takes the new value in place."""
    merged = dict(tags)
    merged.update(added)
    return tuple(merged.items())
