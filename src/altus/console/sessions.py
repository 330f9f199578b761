"""Who is using the console: sign-in with an access key, and server-side sessions.

A browser is given a random session id (32 bytes from ``secrets``) in an ``HttpOnly``,
``SameSite=Strict`` cookie, and nothing else: the session (whose principal it acts as,
its CSRF token, when it ends) stays in this process's memory, and the secret given at
sign-in is checked and dropped, never stored with the session nor sent back. Pages act
as the session's principal through temporary credentials the identity layer mints for
it (``Principals``), so IAM decides what each page may read or change.

A session ends after ``IDLE_SECONDS`` without a request (the live tail's polls do not
count), ``LIFETIME_SECONDS`` after its sign-in, at sign-out, when the key it was signed
in with is deactivated, deleted or moved to another principal (checked on every
request), or when the server restarts (they are not stored: several frontends behind
one load balancer need sticky sessions). With ``--auth open`` every browser gets a
session of the administrator's without signing in (one per client address, reused), so
that forms carry a CSRF token all the same.

Bounds, so that no one can crowd others out: sign-in attempts are throttled per key id
and per client address (``Throttle``), a principal holds at most
``MAX_PER_PRINCIPAL`` sessions (its least recently used goes first), and the server at
most ``MAX_SESSIONS``.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from altus.identity.keys import ACTIVE, AccessKey, SessionCredentials

IDLE_SECONDS = 3600.0
LIFETIME_SECONDS = 12 * 3600.0
#: At most this many sessions are kept; the least recently used goes first.
MAX_SESSIONS = 10_000
#: At most this many per principal (its least recently used goes first).
MAX_PER_PRINCIPAL = 20
#: Sign-in attempts: a burst of this many per key id and per client address ...
SIGNIN_BURST = 10.0
#: ... then one every this many seconds.
SIGNIN_EVERY = 6.0
#: Invokes one session may have running at once.
MAX_INVOKES = 2
COOKIE = "altus_console"


@dataclass(slots=True)
class Session:
    id: str
    #: The ARN the console acts as (the key's user, or the administrator in open mode).
    principal: str
    #: The key the session was signed in with (shown, never its secret).
    key_id: str
    csrf: str
    started: float
    seen: float
    #: Flash messages for the next page.
    notices: list[str] = field(default_factory=list)
    #: Invokes running for it now (``MAX_INVOKES`` at most).
    invoking: int = 0
    #: The last invoke's result made without the page's script, shown by the page the
    #: browser is redirected to (post/redirect/get): (function name, result).
    result: tuple[str, dict[str, Any]] | None = None


class Keys(Protocol):
    """The identity layer, as a keeper of long-term access keys."""

    def key(self, key_id: str) -> AccessKey | None: ...


class SignInRefused(Exception):
    """Unknown key, wrong secret, or an inactive key (one message for all three, so a
    caller learns nothing of which)."""


class SignInThrottled(SignInRefused):
    """Too many attempts for that key id or from that client: try again later."""


class Throttle:
    """Token buckets by name (a key id, a client address): ``allow`` takes a token where
    one is left. At most ``limit`` names are kept; when full, the buckets that have
    refilled are dropped (they hold nothing worth keeping), else the oldest."""

    def __init__(
        self,
        now: Callable[[], float],
        burst: float = SIGNIN_BURST,
        every: float = SIGNIN_EVERY,
        limit: int = 10_000,
    ) -> None:
        self._now = now
        self._burst = burst
        self._every = every
        self._limit = limit
        #: name -> (tokens, when counted)
        self._buckets: dict[str, tuple[float, float]] = {}

    def _tokens(self, name: str, now: float) -> float:
        tokens, when = self._buckets.get(name, (self._burst, now))
        return min(self._burst, tokens + (now - when) / self._every)

    def allow(self, *names: str) -> bool:
        """Whether every one of ``names`` has a token left; if so, each gives one."""
        now = self._now()
        held = {name: self._tokens(name, now) for name in names}
        if any(tokens < 1.0 for tokens in held.values()):
            return False
        if len(self._buckets) + len(names) > self._limit:
            self._make_room(now)
        for name, tokens in held.items():
            self._buckets.pop(name, None)
            self._buckets[name] = (tokens - 1.0, now)
        return True

    def _make_room(self, now: float) -> None:
        full = [n for n in self._buckets if self._tokens(n, now) >= self._burst]
        for name in full:
            del self._buckets[name]
        while len(self._buckets) >= self._limit:
            del self._buckets[next(iter(self._buckets))]


class Sessions:
    def __init__(self, keys: Keys, now: Callable[[], float]) -> None:
        self._keys = keys
        self._now = now
        self._sessions: dict[str, Session] = {}
        #: Open mode: a client address -> its session's id (reused, not one per request).
        self._by_client: dict[str, str] = {}
        self.throttle = Throttle(now)

    def sign_in(self, key_id: str, secret: str, client: str = "") -> Session:
        """A new session acting as the key's principal, if ``secret`` is its secret and
        the key is active; SignInRefused otherwise (SignInThrottled past the attempts
        allowed for that key id or client)."""
        key_id = key_id.strip()
        if not self.throttle.allow("key:" + key_id[:128], "client:" + client):
            raise SignInThrottled("Too many sign-in attempts: wait a minute and try again.")
        key = self._keys.key(key_id)
        # Compared in constant time, and compared even for an unknown key, so that the
        # answer's timing does not tell a known key id from an unknown one.
        expected = key.secret if key is not None else secrets.token_urlsafe(30)
        matches = hmac.compare_digest(expected.encode(), secret.strip().encode())
        if key is None or not matches or key.status != ACTIVE:
            raise SignInRefused("The access key ID or secret access key is not valid.")
        return self.open(key.principal, key.id)

    def open(self, principal: str, key_id: str) -> Session:
        now = self._now()
        self._prune(principal)
        session = Session(
            id=secrets.token_urlsafe(32),
            principal=principal,
            key_id=key_id,
            csrf=secrets.token_urlsafe(32),
            started=now,
            seen=now,
        )
        self._sessions[session.id] = session
        return session

    def for_client(self, client: str, principal: str, key_id: str) -> tuple[Session, bool]:
        """Open mode: the session of that client address (reused while it lasts, so a
        flood of requests without a cookie makes one session, not one each), and whether
        it is new."""
        found = self.find(self._by_client.get(client))
        if found is not None and found.principal == principal and found.key_id == key_id:
            return found, False
        session = self.open(principal, key_id)
        if len(self._by_client) >= MAX_SESSIONS:
            self._by_client = {c: s for c, s in self._by_client.items() if s in self._sessions}
            while len(self._by_client) >= MAX_SESSIONS:
                del self._by_client[next(iter(self._by_client))]
        self._by_client[client] = session.id
        return session, True

    def find(self, session_id: str | None, touch: bool = True) -> Session | None:
        """The live session of that id, if any: not expired, and its key still there,
        active and its principal's (a session whose key is not ends here). ``touch``:
        restart its idle time (not for the live tail's polls: an open tab is not a
        person)."""
        if not session_id:
            return None
        session = self._sessions.get(session_id)
        if session is None:
            return None
        now = self._now()
        key = self._keys.key(session.key_id)
        if (
            now - session.seen > IDLE_SECONDS
            or now - session.started > LIFETIME_SECONDS
            or key is None
            or key.status != ACTIVE
            or key.principal != session.principal
        ):
            self._sessions.pop(session_id, None)
            return None
        if touch:
            session.seen = now
            # Most recently used last: pruning takes from the front.
            self._sessions[session_id] = self._sessions.pop(session_id)
        return session

    def close(self, session_id: str | None) -> None:
        if session_id:
            self._sessions.pop(session_id, None)

    def _prune(self, principal: str) -> None:
        """Room for one more session of ``principal``: its own least recently used go
        past ``MAX_PER_PRINCIPAL``, anyone's past ``MAX_SESSIONS``."""
        own = [s.id for s in self._sessions.values() if s.principal == principal]
        for session_id in own[: max(0, len(own) - MAX_PER_PRINCIPAL + 1)]:
            del self._sessions[session_id]
        while len(self._sessions) >= MAX_SESSIONS:
            self._sessions.pop(next(iter(self._sessions)))


def csrf_matches(session: Session, given: str | None) -> bool:
    return given is not None and hmac.compare_digest(session.csrf.encode(), given.encode())


class Minter(Protocol):
    """The identity layer, as a maker of temporary credentials."""

    def temporary(self, principal: str, seconds: float) -> SessionCredentials: ...


class Principals:
    """``altus.api.selfcalls.Sessions`` for the console: the "role" it is asked for is
    the signed-in principal's ARN (a user's, the administrator's), acted as with
    temporary credentials of its own, as CloudFormation acts as its caller."""

    def __init__(self, minter: Minter, now: Callable[[], float]) -> None:
        self._minter = minter
        self._now = now
        self._held: dict[str, SessionCredentials] = {}

    def session(self, role_arn: str, session_name: str, seconds: float) -> SessionCredentials:
        return self._minter.temporary(role_arn, seconds)

    def credentials(self, principal: str, seconds: float = 3600.0) -> SessionCredentials:
        """Credentials acting as ``principal``, renewed five minutes before they end
        (for the console's signed requests to Altus's own routes)."""
        held = self._held.get(principal)
        if held is None or held.expiration - self._now() < 300:
            held = self._minter.temporary(principal, seconds)
            self._held[principal] = held
        return held
