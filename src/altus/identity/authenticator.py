"""Who a request comes from: its SigV4 signature checked against the server's access keys.

Two modes (``altus up --auth``):

- ``iam``: every API request must be signed by an active key of this server, within the
  service's allowed clock skew, scoped to this server's region and the service it is for.
  What fails is refused with the identity layer's errors, rendered by that service.
- ``open``: nothing is checked, so any client works without keys (a laptop's default:
  ``auto`` is ``open`` when the server listens on loopback only, ``iam`` otherwise).

Either way the server has an administrator key from its first start on, written to
``<data dir>/credentials`` (``altus.identity.keys``).

Sessions are temporary credentials of a role (what a function runs as): an ``ASIA`` key,
a secret and a session token, good until they expire. They live in memory only: what
holds them (an execution environment) does not outlive the server.
"""

from __future__ import annotations

import base64
import datetime
import functools
import hashlib
import hmac
import ipaddress
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from altus.arns import Account
from altus.clock import Clock
from altus.errors import AltusError
from altus.identity import evaluation, sigv2, sigv4
from altus.identity.errors import (
    AccessDenied,
    ExpiredToken,
    InvalidSignature,
    MissingAuthenticationToken,
    UnrecognizedClient,
)
from altus.identity.keys import (
    ACTIVE,
    AccessKey,
    KeyStore,
    SessionCredentials,
    active,
    new_key,
    new_session,
    read_credentials,
    write_credentials,
)

log = logging.getLogger(__name__)

IAM = "iam"
OPEN = "open"
#: How often expired sessions are forgotten (seconds).
_PRUNE_EVERY = 60.0
#: How often the keys are read again from the store (seconds): what another server
#: sharing it made, deactivated or deleted counts here within this long.
RELOAD_EVERY = 5.0
#: The administrator's user name (its ARN: ``arn:aws:iam::<account>:user/admin``).
ADMIN = "admin"


def resolve_mode(setting: str, host: str) -> str:
    """``auto``: ``open`` where the server listens on loopback only, ``iam`` otherwise."""
    if setting != "auto":
        return setting
    if host == "localhost":
        return OPEN
    try:
        return OPEN if ipaddress.ip_address(host).is_loopback else IAM
    except ValueError:  # a host name: it may well be reachable from elsewhere
        return IAM


@dataclass(frozen=True, slots=True)
class Principal:
    """Who signed a request: the principal's ARN, and the key it signed with (and, for
    temporary credentials, the session as it was when the request was admitted: its
    policies hold for the whole request, even if it expires meanwhile)."""

    arn: str
    access_key: str
    session: SessionCredentials | None = field(default=None, compare=False, repr=False)

    @property
    def user_id(self) -> str:
        """Its unique id as STS reports it: ``AIDA...`` for a user, ``AROA...:<session>``
        for a role's session, the account id for the root. Derived from the ARN, so the
        same principal always has the same id."""
        resource = self.arn.split(":", 5)[5]
        if resource == "root":
            return self.arn.split(":")[4]
        if resource.startswith("assumed-role/"):
            _, role, session = resource.split("/", 2)
            account = self.arn.split(":")[4]
            return f"{unique_id('AROA', role_id_source(account, role))}:{session}"
        return unique_id("AIDA", self.arn)

    @property
    def user_name(self) -> str | None:
        """For an IAM user (or a session of one): its name; else None."""
        resource = self.arn.split(":", 5)[5]
        return resource.rsplit("/", 1)[-1] if resource.startswith("user/") else None

    @property
    def role_arn(self) -> str | None:
        """For a role's session: the role's ARN, as trust policies name it (its path is
        not in the session's ARN, and not needed to match it); else None."""
        parts = self.arn.split(":", 5)
        if not parts[5].startswith("assumed-role/"):
            return None
        return f"arn:{parts[1]}:iam::{parts[4]}:role/{parts[5].split('/')[1]}"


@functools.lru_cache(maxsize=4096)
def service_session(role_arn: str, service_principal: str) -> Principal:
    """A role's session as a service assumes it (a Scheduler schedule's role, an API
    Gateway integration's credentials): ``assumed-role/<role>/<service>``, the role's
    name without its path, as STS writes sessions."""
    parts = role_arn.split(":", 5)
    partition = parts[1] if len(parts) == 6 else "aws"
    account = parts[4] if len(parts) == 6 else ""
    role = role_arn.rsplit("/", 1)[-1]
    session = service_principal.split(".", 1)[0]
    return Principal(f"arn:{partition}:sts::{account}:assumed-role/{role}/{session}", "")


def unique_id(prefix: str, source: str) -> str:
    """An IAM unique id (``AIDA``, ``AROA`` ...) as a digest of ``source``: the same
    principal always gets the same id, in IAM's answers and in STS's."""
    digest = base64.b32encode(hashlib.sha256(source.encode()).digest()).decode()
    return prefix + digest[:17]


def role_id_source(account_id: str, role_name: str) -> str:
    """What a role's id is made from: its account and name (case-insensitively, as IAM
    names are unique)."""
    return f"{account_id}:role:{role_name.lower()}"


@dataclass(frozen=True, slots=True)
class Permissions:
    """What IAM says a principal may do: its identity policies, and the policy bounding
    them (its permissions boundary; None: unbounded)."""

    identity: Sequence[Mapping[str, Any]] = ()
    boundary: Sequence[Mapping[str, Any]] | None = None
    #: Its unique id where IAM keeps one its ARN does not give (a user renamed keeps its
    #: own); None: the one ``Principal.user_id`` derives.
    user_id: str | None = None
    #: For a role's session: the role's ARN with its path (None: the one
    #: ``Principal.role_arn`` derives, without one).
    role_arn: str | None = None


@dataclass(frozen=True, slots=True)
class Admitted:
    """A request whose credentials hold as far as can be told without its body."""

    signed: sigv4.Signed
    key: AccessKey
    session: SessionCredentials | None = None


@dataclass(frozen=True, slots=True)
class Wire:
    """A request as it arrived, as far as its signature covers it."""

    method: str
    raw_path: bytes
    query_string: bytes
    headers: sigv4.Headers
    body: bytes


class Identity:
    def __init__(
        self,
        mode: str,
        store: KeyStore,
        account: Account,
        clock: Clock,
        credentials_file: Path,
    ) -> None:
        self.mode = mode
        self.credentials_file = credentials_file
        self._store = store
        self._account = account
        self._clock = clock
        #: Every key (``_keys``: the active ones, what may sign).
        self._all: dict[str, AccessKey] = {}
        self._keys: dict[str, AccessKey] = {}
        self._sessions: dict[str, SessionCredentials] = {}
        #: Session tokens -> their key ids (what a token alone identifies: the Parameters
        #: and Secrets extension's callers).
        self._tokens: dict[str, str] = {}
        self._next_prune = 0.0
        self._next_reload = 0.0
        self._reloading = False
        #: Counts this server's own key changes, so a reload that overlapped one is
        #: dropped rather than undo it.
        self._changes = 0
        #: A principal's permissions, by its ARN (IAM sets this when it is built; none
        #: before).
        self.permissions_of: Callable[[str], Permissions] = lambda arn: Permissions()

    @property
    def enforcing(self) -> bool:
        return self.mode == IAM

    async def start(self) -> None:
        """Load the keys; make the administrator's on first start, and (re)write the
        credentials file when it is missing or holds another key."""
        keys = await self._store.keys()
        admin_arn = self._account.arn("iam", f"user/{ADMIN}", regional=False)
        admin = next((k for k in keys if k.principal == admin_arn and k.status == "Active"), None)
        if admin is None:
            admin = new_key(admin_arn, int(self._clock.now() * 1000))
            await self._store.put(admin)  # stored before the file names it
            keys.append(admin)
            log.info("made the administrator's access key %s", admin.id)
        written = (admin.id, admin.secret, self._account.region)
        if read_credentials(self.credentials_file) != written:
            write_credentials(self.credentials_file, admin, self._account.region)
        self._all = {key.id: key for key in keys}
        self._keys = active(keys)
        self._next_reload = self._clock.now() + RELOAD_EVERY

    async def keep_fresh(self) -> None:
        """Read the keys again if it has been ``RELOAD_EVERY`` seconds: servers sharing a
        store learn of one another's key changes this way (the dispatcher calls this
        before it admits a request). At most one reload runs at a time."""
        now = self._clock.now()
        if now < self._next_reload or self._reloading:
            return
        self._reloading = True
        changes = self._changes
        try:
            keys = await self._store.keys()
        finally:
            self._reloading = False
            self._next_reload = now + RELOAD_EVERY
        if changes == self._changes:
            self._all = {key.id: key for key in keys}
            self._keys = active(keys)

    def admin_key(self) -> AccessKey:
        admin_arn = self._account.arn("iam", f"user/{ADMIN}", regional=False)
        return next(k for k in self._keys.values() if k.principal == admin_arn)

    # --- long-term keys (IAM users') ------------------------------------------------------

    async def add_key(self, principal: str) -> AccessKey:
        """A new active key for ``principal``, stored before it is handed out."""
        key = new_key(principal, int(self._clock.now() * 1000))
        self._changes += 1
        await self._store.put(key)
        self._changes += 1  # and after: a reload that read before the write is dropped
        self._all[key.id] = key
        self._keys[key.id] = key
        return key

    def key(self, key_id: str) -> AccessKey | None:
        """A long-term key, active or not (never a session's)."""
        return self._all.get(key_id)

    def keys_of(self, principal: str) -> list[AccessKey]:
        """``principal``'s long-term keys, active or not, oldest first."""
        return sorted(
            (k for k in self._all.values() if k.principal == principal),
            key=lambda k: (k.created_ms, k.id),
        )

    async def set_key_status(self, key_id: str, status: str) -> None:
        """``Active`` or ``Inactive``: an inactive key signs nothing until reactivated."""
        key = self._all[key_id]
        changed = AccessKey(key.id, key.secret, key.principal, key.created_ms, status)
        self._changes += 1
        await self._store.put(changed)
        self._changes += 1
        self._all[key_id] = changed
        if status == ACTIVE:
            self._keys[key_id] = changed
        else:
            self._keys.pop(key_id, None)

    async def delete_key(self, key_id: str) -> None:
        self._changes += 1
        await self._store.delete(key_id)
        self._changes += 1
        self._all.pop(key_id, None)
        self._keys.pop(key_id, None)

    async def rename_principal(self, old_arn: str, new_arn: str) -> None:
        """``old_arn``'s keys, and its sessions, act for ``new_arn`` from now on (an IAM
        user renamed or moved to another path): each key rewritten in the store, then in
        memory. Keys already moved are left alone, so a rename cut short is finished by
        calling this again."""
        for key in [k for k in self._all.values() if k.principal == old_arn]:
            moved = replace(key, principal=new_arn)
            self._changes += 1
            await self._store.put(moved)
            self._all[key.id] = moved
            if key.id in self._keys:
                self._keys[key.id] = moved
        for key_id, session in list(self._sessions.items()):
            if session.key.principal == old_arn:
                key = replace(session.key, principal=new_arn)
                self._sessions[key_id] = replace(session, key=key)

    def unique_id_of(self, principal: Principal) -> str:
        """Its unique id as STS reports it: the one IAM keeps where its ARN no longer
        gives it (a renamed user's), else ``Principal.user_id``."""
        return self.permissions_of(principal.arn).user_id or principal.user_id

    # --- temporary credentials --------------------------------------------------------------

    def session(
        self,
        role_arn: str,
        session_name: str,
        seconds: float,
        policies: tuple[Mapping[str, Any], ...] | None = None,
        *,
        environment: bool = False,
        uid: int | None = None,
    ) -> SessionCredentials:
        """Temporary credentials of ``role_arn`` for ``seconds``, acting as
        ``arn:aws:sts::<account>:assumed-role/<role name>/<session name>``, narrowed by
        ``policies`` where given (session policies). ``environment``: for an execution
        environment, running as ``uid`` where it has one of its own."""
        role = role_arn.rsplit("/", 1)[-1]
        principal = self._account.arn("sts", f"assumed-role/{role}/{session_name}", regional=False)
        return self.temporary(principal, seconds, policies, environment=environment, uid=uid)

    def temporary(
        self,
        principal: str,
        seconds: float,
        policies: tuple[Mapping[str, Any], ...] | None = None,
        *,
        environment: bool = False,
        uid: int | None = None,
    ) -> SessionCredentials:
        """Temporary credentials acting as ``principal`` (a role's session ARN, or a user's
        own for GetSessionToken) for ``seconds``."""
        now = self._clock.now()
        if now >= self._next_prune:  # not on every cold start: expired ones go in bulk
            self._sessions = {k: s for k, s in self._sessions.items() if s.expiration > now}
            self._tokens = {s.token: k for k, s in self._sessions.items()}
            self._next_prune = now + _PRUNE_EVERY
        credentials = new_session(
            principal, now, seconds, policies, environment=environment, uid=uid
        )
        self._sessions[credentials.key.id] = credentials
        self._tokens[credentials.token] = credentials.key.id
        return credentials

    def session_of_token(self, token: str) -> SessionCredentials | None:
        """The unexpired session whose token ``token`` is, if any."""
        key_id = self._tokens.get(token)
        session = self._sessions.get(key_id) if key_id is not None else None
        if session is None or session.expiration <= self._clock.now():
            return None
        return session

    def end_session(self, key_id: str) -> None:
        """Forget a session before it expires (what held it is gone)."""
        session = self._sessions.pop(key_id, None)
        if session is not None:
            self._tokens.pop(session.token, None)

    def identify(self, query_string: bytes, headers: sigv4.Headers) -> Principal | None:
        """Whose key a request names, without checking its signature (``open`` mode:
        what STS reports); None for an unsigned request or a key Altus does not know."""
        try:
            signed = sigv4.parse(query_string, headers)
        except AltusError:
            return None
        if signed is None:
            return None
        key = self._keys.get(signed.access_key)
        if key is None:
            session = self._sessions.get(signed.access_key)
            key = session.key if session is not None else None
        return Principal(key.principal, key.id) if key is not None else None

    def authenticate(
        self, wire: Wire, *, service: str, skew_minutes: int = 5, s3: bool = False
    ) -> Principal:
        """The principal that signed ``wire`` for ``service``; raises the identity
        layer's errors where the request is unsigned or its signature does not hold."""
        admitted = self.admit(
            wire.query_string, wire.headers, service=service, skew_minutes=skew_minutes
        )
        return self.verify(admitted, wire, s3=s3)

    def admit(
        self, query_string: bytes, headers: sigv4.Headers, *, service: str, skew_minutes: int = 5
    ) -> Admitted:
        """Everything but the signature itself, which needs the body: the request is
        signed, by a key Altus knows (a session's with its token, unexpired), at a time
        within the skew, for this region and ``service``. A request that fails here is
        refused before its body is read."""
        signed = sigv4.parse(query_string, headers)
        if signed is None:
            raise MissingAuthenticationToken()
        key = self._keys.get(signed.access_key)
        session = None
        if key is None:
            session = self._session(signed.access_key, signed.session_token)
            key = session.key
        elif signed.session_token is not None:
            # A long-term key with a token (a stale AWS_SESSION_TOKEN beside fresh keys):
            # refused, as AWS refuses it.
            raise UnrecognizedClient("The security token included in the request is invalid")
        now = datetime.datetime.fromtimestamp(self._clock.now(), datetime.UTC)
        sigv4.check_time(signed, now, skew_minutes)
        if signed.region != self._account.region:
            raise InvalidSignature(
                f"Credential should be scoped to a valid region, not '{signed.region}'. "
            )
        if signed.service != service:
            raise InvalidSignature(f"Credential should be scoped to correct service: '{service}'. ")
        return Admitted(signed, key, session)

    def verify(self, admitted: Admitted, wire: Wire, *, s3: bool = False) -> Principal:
        """The signature of an admitted request, over all of it (the body included)."""
        key = admitted.key
        sigv4.verify(
            admitted.signed,
            key.secret,
            wire.method,
            wire.raw_path,
            wire.query_string,
            wire.headers,
            wire.body,
            s3=s3,
        )
        return Principal(key.principal, key.id, admitted.session)

    def presigned_v2(self, wire: Wire) -> Principal | None:
        """The principal of an S3 request signed with Signature Version 2: a presigned
        URL (what boto3 makes for S3 by default) or an ``Authorization: AWS`` header;
        None where the request is neither. Raises the identity layer's errors where it
        is one and does not hold."""
        presigned = sigv2.parse(wire.query_string)
        if presigned is None:
            for name, value in wire.headers:
                if name.lower() == b"authorization":
                    presigned = sigv2.parse_header(value.decode("latin-1"), wire.headers)
                    break
        if presigned is None:
            return None
        key = self._keys.get(presigned.access_key)
        session = None
        if key is None:
            session = self._session(presigned.access_key, presigned.session_token)
            key = session.key
        sigv2.verify(
            presigned,
            key.secret,
            self._clock.now(),
            wire.method,
            wire.raw_path,
            wire.query_string,
            wire.headers,
        )
        return Principal(key.principal, key.id, session)

    def verify_declared(self, admitted: Admitted, wire: Wire, payload_hash: str) -> Principal:
        """The signature of an admitted S3 request over the payload hash it declares; its
        body (``wire.body`` unused) is checked against that as the operation reads it."""
        key = admitted.key
        sigv4.verify_declared(
            admitted.signed,
            key.secret,
            wire.method,
            wire.raw_path,
            wire.query_string,
            wire.headers,
            payload_hash,
        )
        return Principal(key.principal, key.id, admitted.session)

    def authorize(
        self,
        principal: Principal,
        action: str,
        resource: str,
        resource_policies: Sequence[Mapping[str, Any]] = (),
        context: evaluation.Context | None = None,
    ) -> None:
        """Raise AccessDenied unless ``principal`` may perform ``action`` on ``resource``,
        by IAM's logic within one account:

        - an explicit deny anywhere (identity policies, the resource's, the principal's
          permissions boundary, its session policies) refuses;
        - its identity policies or the resource's own policies must allow it; a resource
          policy grants only where it names the principal itself (its ARN, its role's) or
          ``*``: naming the account leaves the decision to the principal's own policies;
        - a permissions boundary must allow it too, unless a resource policy grants it to
          the user's own ARN;
        - a session's policies must allow it too, unless a resource policy grants it to
          the session's own ARN.

        The administrator may do anything, as with AdministratorAccess. Conditions read
        ``context`` with the global keys added (``aws:PrincipalArn``,
        ``aws:PrincipalAccount``, ``aws:PrincipalType``, ``aws:userid``, ``aws:username``
        for a user, ``aws:RequestedRegion``, ``aws:CurrentTime``, ``aws:EpochTime``, and
        for temporary credentials ``aws:TokenIssueTime`` and
        ``aws:MultiFactorAuthPresent``)."""
        root = self._account.arn("iam", "root", regional=False)
        # A Deny in a resource policy that names the account applies to everyone in it
        # (naming the account grants nothing by itself, but denies all).
        everyone = [root, self._account.account_id]
        # The administrator may do anything its resources' own policies do not deny.
        admin = principal.arn == self._account.arn("iam", f"user/{ADMIN}", regional=False)
        if admin and not resource_policies:
            return
        now = self._clock.now()
        user = principal.user_name
        permissions = self.permissions_of(principal.arn)
        # A role's ARN with its path, as IAM has it (a session's ARN does not show it).
        role_arn = permissions.role_arn or principal.role_arn
        known: dict[str, evaluation.ContextValue] = {
            "aws:PrincipalArn": role_arn or principal.arn,
            "aws:PrincipalAccount": self._account.account_id,
            "aws:PrincipalType": ("AssumedRole" if role_arn else "User" if user else "Account"),
            "aws:userid": permissions.user_id or principal.user_id,
            "aws:RequestedRegion": self._account.region,
            "aws:CurrentTime": _iso(now),
            "aws:EpochTime": str(int(now)),
        }
        if user is not None:
            known["aws:username"] = user
        session = principal.session or self._sessions.get(principal.access_key)
        if session is not None:
            # Absent for long-term keys: that absence is what a Null condition tests.
            known["aws:TokenIssueTime"] = _iso(session.key.created_ms / 1000)
            known["aws:MultiFactorAuthPresent"] = "false"
        known.update(context or {})
        if admin:
            denied = evaluation.evaluate_resource(
                resource_policies, [principal.arn, *everyone], action, resource, known
            )
            if denied == evaluation.DENY:
                raise AccessDenied(
                    f"User: {principal.arn} is not authorized to perform: {action} on "
                    f"resource: {resource} with an explicit deny in a resource-based policy"
                )
            return
        own = evaluation.evaluate(permissions.identity, action, resource, known)
        names = [principal.arn] + ([role_arn] if role_arn else [])
        theirs = evaluation.evaluate_resource(resource_policies, names, action, resource, known)
        if (
            theirs != evaluation.DENY
            and resource_policies
            and evaluation.evaluate_resource(
                resource_policies, [*names, *everyone], action, resource, known
            )
            == evaluation.DENY
        ):
            theirs = evaluation.DENY
        bound = (
            None
            if permissions.boundary is None
            else evaluation.evaluate(permissions.boundary, action, resource, known)
        )
        narrowed = (
            None
            if session is None or session.policies is None
            else evaluation.evaluate(session.policies, action, resource, known)
        )

        def granted_to_own_arn() -> bool:
            """A resource policy grants it to the principal's own ARN (not its role's)."""
            direct = evaluation.evaluate_resource(
                resource_policies, [principal.arn], action, resource, known
            )
            return direct == evaluation.ALLOW

        if own == evaluation.DENY:
            why = "with an explicit deny in an identity-based policy"
        elif theirs == evaluation.DENY:
            why = "with an explicit deny in a resource-based policy"
        elif bound == evaluation.DENY:
            why = "with an explicit deny in a permissions boundary"
        elif narrowed == evaluation.DENY:
            why = "with an explicit deny in a session policy"
        elif evaluation.ALLOW not in (own, theirs):
            why = f"because no identity-based policy allows the {action} action"
        elif (
            bound is not None
            and bound != evaluation.ALLOW
            and not (user is not None and granted_to_own_arn())
        ):
            why = f"because no permissions boundary allows the {action} action"
        elif narrowed is not None and narrowed != evaluation.ALLOW and not granted_to_own_arn():
            why = f"because no session policy allows the {action} action"
        else:
            return
        raise AccessDenied(
            f"User: {principal.arn} is not authorized to perform: {action} on resource: "
            f"{resource} {why}"
        )

    def authorize_service(
        self,
        service: str,
        action: str,
        resource: str,
        resource_policies: Sequence[Mapping[str, Any]],
        source_arn: str | None = None,
        source_account: str | None = None,
    ) -> None:
        """Raise AccessDenied unless the resource's own policies let ``service`` (a
        service principal: ``s3.amazonaws.com``) perform ``action`` on it, as when S3,
        SNS or EventBridge invokes a function: a service has no identity policies, so only
        a statement naming it grants, with its conditions read against the event's source
        (``aws:SourceArn``, ``aws:SourceAccount``). In both modes: this is what the
        resource's owner configured, not a caller's credentials."""
        now = self._clock.now()
        known: dict[str, evaluation.ContextValue] = {
            "aws:PrincipalIsAWSService": "true",
            "aws:PrincipalServiceName": service,
            "aws:RequestedRegion": self._account.region,
            "aws:CurrentTime": _iso(now),
            "aws:EpochTime": str(int(now)),
        }
        if source_arn is not None:
            known["aws:SourceArn"] = source_arn
        if source_account is not None:
            known["aws:SourceAccount"] = source_account
        said = evaluation.evaluate_resource(
            resource_policies, (), action, resource, known, services=(service,)
        )
        if said == evaluation.ALLOW:
            return
        why = (
            "with an explicit deny in a resource-based policy"
            if said == evaluation.DENY
            else f"because no resource-based policy allows the {action} action"
        )
        raise AccessDenied(
            f"The service {service} is not authorized to perform: {action} on resource: "
            f"{resource} {why}"
        )

    def _session(self, key_id: str, token: str | None) -> SessionCredentials:
        session = self._sessions.get(key_id)
        if session is None:
            raise UnrecognizedClient()
        if token is None or not hmac.compare_digest(token.encode(), session.token.encode()):
            # AWS's words for a bad session token lack the full stop of an unknown key's.
            raise UnrecognizedClient("The security token included in the request is invalid")
        if session.expiration <= self._clock.now():
            raise ExpiredToken()
        return session


def _iso(seconds: float) -> str:
    return _iso_second(int(seconds))


@functools.lru_cache(maxsize=64)
def _iso_second(second: int) -> str:
    """One second as a condition key's ISO 8601 time (each second's written once)."""
    return datetime.datetime.fromtimestamp(second, datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
