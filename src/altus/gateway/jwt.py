"""HTTP APIs' JWT authorizers: a token's checks, in API Gateway's order and words, against
the issuer's keys found by OpenID discovery and cached.

The issuer's ``/.well-known/openid-configuration`` names its ``jwks_uri``; the key set
is kept ``ttl`` seconds, and fetched again at once (but not more than every 30 s) when a
token names a key the set lacks, since issuers rotate keys. ``http://`` issuers are
accepted, unlike on AWS, so that a local identity provider can be used.

The checks ("Controlling access to HTTP APIs with JWT authorizers"): the ``kid`` is in
the key set; the algorithm is RSA; the signature; ``iss`` is the authorizer's issuer;
``aud`` (or ``client_id`` when there is no ``aud``) is one of its audiences; ``exp`` is
in the future, ``nbf`` and ``iat`` in the past; and, where the route names scopes, the
token's ``scope`` (space-separated) or ``scp`` (a list) has one of them.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeGuard

import httpx
import jwt as pyjwt

#: The algorithms API Gateway accepts: RSA only.
ALGORITHMS = frozenset({"RS256", "RS384", "RS512"})
#: An issuer's keys are fetched again for an unknown ``kid`` at most this often.
REFETCH_INTERVAL = 30.0
FETCH_TIMEOUT = 1.5


class JwtRefused(Exception):
    """A token API Gateway would refuse: 401 (403 when only the scopes are missing),
    with ``description`` as the ``www-authenticate`` header's ``error_description``."""

    def __init__(self, description: str, *, forbidden: bool = False) -> None:
        super().__init__(description)
        self.description = description
        self.forbidden = forbidden

    def www_authenticate(self) -> str:
        """The ``www-authenticate`` header API Gateway answers with."""
        error = "insufficient_scope" if self.forbidden else "invalid_token"
        return f'Bearer scope="" error="{error}" error_description="{self.description}"'


def bearer_token(value: str) -> str:
    """The token of an ``Authorization`` value, with or without ``Bearer ``."""
    value = value.strip()
    if value[:7].lower() == "bearer ":
        return value[7:].strip()
    return value


class JwtKeys:
    """Issuers' signing keys, fetched when needed and cached; verifies tokens."""

    def __init__(
        self, client: httpx.AsyncClient, clock: Callable[[], float], ttl: float = 3600.0
    ) -> None:
        self._client = client
        self._clock = clock
        self._ttl = ttl
        #: Per issuer: when its keys were fetched, and the keys by ``kid``.
        self._keys: dict[str, tuple[float, dict[str, pyjwt.PyJWK]]] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        #: Per issuer: when its keys were last asked for, whatever came of it.
        self._tried: dict[str, float] = {}

    async def verify(
        self, token: str, issuer: str, audiences: Sequence[str], scopes: Sequence[str]
    ) -> Mapping[str, Any]:
        """The token's claims; raises ``JwtRefused``."""
        try:
            header = pyjwt.get_unverified_header(token)
        except pyjwt.PyJWTError as error:
            raise JwtRefused("the token is malformed") from error
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise JwtRefused("the token does not have a valid kid")
        algorithm = header.get("alg")
        if algorithm not in ALGORITHMS:
            raise JwtRefused(f"signing method {algorithm} is invalid")
        key = await self._key(issuer, kid)
        try:
            claims: dict[str, Any] = pyjwt.decode(
                token,
                key.key,
                algorithms=[str(algorithm)],
                options={
                    "verify_signature": True,
                    "verify_aud": False,
                    "verify_iss": False,
                    "verify_exp": False,
                    "verify_nbf": False,
                    "verify_iat": False,
                },
            )
        except pyjwt.InvalidSignatureError as error:
            raise JwtRefused("the token does not have a valid signature") from error
        except pyjwt.PyJWTError as error:
            raise JwtRefused("the token is malformed") from error
        check_claims(claims, issuer, audiences, scopes, self._clock())
        return claims

    async def _key(self, issuer: str, kid: str) -> pyjwt.PyJWK:
        lock = self._locks.setdefault(issuer, asyncio.Lock())
        async with lock:
            now = self._clock()
            cached = self._keys.get(issuer)
            tried = self._tried.get(issuer)
            stale = cached is None or now - cached[0] >= self._ttl
            unknown = cached is not None and kid not in cached[1]
            # A fetch is tried at most every REFETCH_INTERVAL, failed or not, so an issuer
            # that is down is not asked again by every request, queued on this lock.
            due = tried is None or now - tried >= REFETCH_INTERVAL
            if (stale or unknown) and due:
                self._tried[issuer] = now
                try:
                    self._keys[issuer] = (now, await self._fetch(issuer))
                except JwtRefused:
                    if cached is None:
                        raise
                    # Keys fetched before still verify the tokens they signed while the
                    # issuer cannot be reached.
            found = self._keys.get(issuer)
            if found is None:
                raise JwtRefused("unable to fetch the issuer's signing keys")
            keys = found[1]
        key = keys.get(kid)
        if key is None:
            raise JwtRefused("the token does not have a valid kid")
        return key

    async def _fetch(self, issuer: str) -> dict[str, pyjwt.PyJWK]:
        discovery = issuer.rstrip("/") + "/.well-known/openid-configuration"
        try:
            found = await self._json(discovery)
            uri = found.get("jwks_uri") if isinstance(found, dict) else None
            if not isinstance(uri, str):
                raise JwtRefused("the issuer's discovery document has no jwks_uri")
            document = await self._json(uri)
        except (httpx.HTTPError, ValueError) as error:
            raise JwtRefused("unable to fetch the issuer's signing keys") from error
        keys: dict[str, pyjwt.PyJWK] = {}
        listed = document.get("keys") if isinstance(document, dict) else None
        for entry in listed if isinstance(listed, list) else []:
            if not isinstance(entry, dict) or not isinstance(entry.get("kid"), str):
                continue
            try:
                keys[entry["kid"]] = pyjwt.PyJWK(entry)
            except pyjwt.PyJWTError:
                continue  # a key of a kind API Gateway does not use: skipped
        return keys

    async def _json(self, url: str) -> Any:
        response = await self._client.get(url, timeout=FETCH_TIMEOUT)
        response.raise_for_status()
        return json.loads(response.content)


def check_claims(
    claims: Mapping[str, Any],
    issuer: str,
    audiences: Sequence[str],
    scopes: Sequence[str],
    now: float,
) -> None:
    """The checks after the signature, in API Gateway's order; raises ``JwtRefused``."""
    if claims.get("iss") != issuer:
        raise JwtRefused("the token does not have a valid issuer")
    # aud when the token has one, else client_id (Cognito's access tokens).
    audience = claims["aud"] if "aud" in claims else claims.get("client_id")
    named = [audience] if isinstance(audience, str) else audience
    if not isinstance(named, list) or not any(a in audiences for a in named):
        raise JwtRefused("the token does not have a valid audience")
    expiry = claims.get("exp")
    if not _number(expiry) or now >= expiry:
        raise JwtRefused("the token has expired")
    not_before = claims.get("nbf")
    if not_before is not None and (not _number(not_before) or now < not_before):
        raise JwtRefused("the token is not valid yet")
    issued = claims.get("iat")
    if issued is not None and (not _number(issued) or now < issued):
        raise JwtRefused("the token was issued in the future")
    if scopes and not set(token_scopes(claims)) & set(scopes):
        raise JwtRefused("the token does not have the required scopes", forbidden=True)


def token_scopes(claims: Mapping[str, Any]) -> list[str]:
    """The scopes a token carries: ``scope`` (space-separated) or ``scp`` (a list)."""
    scope = claims.get("scope")
    if isinstance(scope, str):
        return scope.split()
    scp = claims.get("scp")
    if isinstance(scp, str):
        return scp.split()
    if isinstance(scp, list):
        return [item for item in scp if isinstance(item, str)]
    return []


def _number(value: Any) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)
