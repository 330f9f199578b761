"""JWT authorizers: tokens signed by a key made here, its JWKS served through httpx's
MockTransport (the issuer's HTTP endpoints, not a service of this machine)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import httpx
import jwt as pyjwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from altus.gateway.jwt import JwtKeys, JwtRefused, bearer_token, token_scopes

ISSUER = "http://127.0.0.1:9999/pool"
NOW = 1_700_000_000.0
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def jwk(key: rsa.RSAPrivateKey, kid: str) -> dict[str, Any]:
    public = json.loads(pyjwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    return {**public, "kid": kid, "use": "sig", "alg": "RS256"}


class Issuer:
    """The issuer's discovery document and key set, counting fetches."""

    def __init__(self) -> None:
        self.keys = [jwk(KEY, "k1")]
        self.fetches = 0
        self.down = False

    def handler(self, request: httpx.Request) -> httpx.Response:
        if self.down:
            return httpx.Response(503)
        if request.url.path == "/pool/.well-known/openid-configuration":
            return httpx.Response(200, json={"issuer": ISSUER, "jwks_uri": ISSUER + "/jwks"})
        if request.url.path == "/pool/jwks":
            self.fetches += 1
            return httpx.Response(200, json={"keys": self.keys})
        return httpx.Response(404)


def token(
    claims: dict[str, Any] | None = None, key: Any = KEY, kid: str = "k1", alg: str = "RS256"
) -> str:
    body = {"iss": ISSUER, "aud": "app", "exp": NOW + 60, "iat": NOW - 10, "sub": "u1"}
    body.update(claims or {})
    body = {k: v for k, v in body.items() if v is not None}
    return pyjwt.encode(body, key, algorithm=alg, headers={"kid": kid})


def verify(
    issuer: Issuer,
    value: str,
    scopes: tuple[str, ...] = (),
    clock: Callable[[], float] = lambda: NOW,
) -> Any:
    async def run() -> Any:
        async with httpx.AsyncClient(transport=httpx.MockTransport(issuer.handler)) as client:
            keys = JwtKeys(client, clock)
            return await keys.verify(value, ISSUER, ["app", "other"], scopes)

    return asyncio.run(run())


def test_valid_token() -> None:
    claims = verify(Issuer(), token())
    assert claims["sub"] == "u1"


@pytest.mark.parametrize(
    ("value", "description"),
    [
        (token({"aud": "nope"}), "the token does not have a valid audience"),
        (token({"iss": "http://elsewhere"}), "the token does not have a valid issuer"),
        (token({"exp": NOW - 1}), "the token has expired"),
        (token({"exp": None}), "the token has expired"),
        (token({"nbf": NOW + 30}), "the token is not valid yet"),
        (token({"iat": NOW + 30}), "the token was issued in the future"),
        (token(kid="unknown"), "the token does not have a valid kid"),
        (token(key=OTHER), "the token does not have a valid signature"),
        (
            token(key="secret-secret-secret-secret-1234", alg="HS256"),
            "signing method HS256 is invalid",
        ),
        ("not.a.token", "the token is malformed"),
    ],
)
def test_refused(value: str, description: str) -> None:
    with pytest.raises(JwtRefused) as refused:
        verify(Issuer(), value)
    assert refused.value.description == description and not refused.value.forbidden
    assert 'error="invalid_token"' in refused.value.www_authenticate()


def test_client_id_counts_only_without_aud() -> None:
    assert verify(Issuer(), token({"aud": None, "client_id": "app"}))["client_id"] == "app"
    with pytest.raises(JwtRefused):
        verify(Issuer(), token({"aud": "nope", "client_id": "app"}))


def test_audience_list() -> None:
    assert verify(Issuer(), token({"aud": ["x", "other"]}))


@pytest.mark.parametrize(
    ("claims", "allowed"),
    [
        ({"scope": "read write"}, True),
        ({"scp": ["admin", "write"]}, True),
        ({"scope": "admin"}, False),
        ({}, False),
    ],
)
def test_scopes(claims: dict[str, Any], allowed: bool) -> None:
    value = token(claims)
    if allowed:
        assert verify(Issuer(), value, scopes=("write",))
    else:
        with pytest.raises(JwtRefused) as refused:
            verify(Issuer(), value, scopes=("write",))
        assert refused.value.forbidden


def test_issuer_down_is_refused() -> None:
    issuer = Issuer()
    issuer.down = True
    with pytest.raises(JwtRefused):
        verify(issuer, token())


def test_keys_cached_and_refetched_for_a_new_kid_at_most_every_30_seconds() -> None:
    issuer = Issuer()
    now = [NOW]

    async def run() -> None:
        async with httpx.AsyncClient(transport=httpx.MockTransport(issuer.handler)) as client:
            keys = JwtKeys(client, lambda: now[0], ttl=3600)
            await keys.verify(token(), ISSUER, ["app"], ())
            await keys.verify(token(), ISSUER, ["app"], ())
            assert issuer.fetches == 1  # cached
            issuer.keys.append(jwk(OTHER, "k2"))
            rotated = token(key=OTHER, kid="k2")
            with pytest.raises(JwtRefused):
                await keys.verify(rotated, ISSUER, ["app"], ())  # too soon to refetch
            assert issuer.fetches == 1
            now[0] += 31
            await keys.verify(token({"exp": now[0] + 60}, key=OTHER, kid="k2"), ISSUER, ["app"], ())
            assert issuer.fetches == 2
            now[0] += 3600
            await keys.verify(token({"exp": now[0] + 60}), ISSUER, ["app"], ())
            assert issuer.fetches == 3  # the ttl ran out

    asyncio.run(run())


@pytest.mark.parametrize(
    ("value", "expected"),
    [("Bearer abc", "abc"), ("bearer abc", "abc"), ("abc", "abc"), ("  Bearer  abc ", "abc")],
)
def test_bearer_token(value: str, expected: str) -> None:
    assert bearer_token(value) == expected


def test_token_scopes() -> None:
    assert token_scopes({"scp": "a b"}) == ["a", "b"]
    assert token_scopes({"scope": 5}) == []
