"""Who may call an API: Lambda REQUEST authorizers (simple and IAM-policy answers, their
cache), JWT authorizers against an issuer served on loopback (its discovery document and
key set are another HTTP API of the same server, the tokens signed here), IAM routes
signed for ``execute-api`` in both auth modes, and a WebSocket ``$connect`` authorizer."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from cryptography.hazmat.primitives.asymmetric import rsa
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from altus.packaging import zip_files
from altus.testing import Harness
from tests.functional.gateways import (
    REGION,
    allow_api_gateway,
    echo,
    functions,
    management,
)
from tests.functional.guarded import guarded

KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
KID = "test-key"


class Counted:
    """An authorizer that counts its calls: it allows the token ``good``."""

    def __init__(self, simple: bool) -> None:
        self.simple = simple
        self.calls = 0
        self.lock = threading.Lock()

    def __call__(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        with self.lock:
            self.calls += 1
        token = (event.get("headers") or {}).get("authorization", "")
        good = token == "good"
        if self.simple:
            return {"isAuthorized": good, "context": {"who": "alice", "n": 1}}
        arn = event.get("routeArn") or event.get("methodArn")
        return {
            "principalId": "alice",
            "policyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Action": "execute-api:Invoke",
                        "Effect": "Allow" if good else "Deny",
                        "Resource": arn,
                    }
                ],
            },
            "context": {"who": "alice"},
        }


def _issuer(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """An OpenID issuer: its discovery document and its key set."""
    issuer = event["stageVariables"]["issuer"] if event.get("stageVariables") else ""
    if event["rawPath"].endswith("/.well-known/openid-configuration"):
        body: dict[str, Any] = {"issuer": issuer, "jwks_uri": issuer + "/jwks"}
    else:
        public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(KEY.public_key()))
        body = {"keys": [{**public, "kid": KID, "use": "sig", "alg": "RS256"}]}
    return {
        "statusCode": 200,
        "headers": {"content-type": "application/json"},
        "body": json.dumps(body),
    }


class Setup:
    def __init__(self, altus: Harness) -> None:
        self.altus = altus
        self.v2 = altus.client("apigatewayv2")
        self.lam = altus.client("lambda")
        self.http = httpx.Client(timeout=30)
        self.simple = Counted(simple=True)
        self.policy = Counted(simple=False)
        self.arns = functions(
            altus, {"echo": echo, "simple": self.simple, "policy": self.policy, "issuer": _issuer}
        )

    def api(self, name: str) -> tuple[str, str]:
        api_id: str = self.v2.create_api(Name=name, ProtocolType="HTTP")["ApiId"]
        integration: str = self.v2.create_integration(
            ApiId=api_id,
            IntegrationType="AWS_PROXY",
            IntegrationUri=self.arns["echo"],
            PayloadFormatVersion="2.0",
        )["IntegrationId"]
        return api_id, integration

    def serve(self, api_id: str) -> str:
        self.v2.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True)
        return f"{self.altus.url}/_aws/execute-api/{api_id}"


@pytest.fixture(scope="module")
def setup() -> Iterator[Setup]:
    with Harness() as altus:
        made = Setup(altus)
        yield made
        made.http.close()


def _event(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    found: dict[str, Any] = json.loads(response.content)
    return found


def test_a_simple_request_authorizer_and_its_cache(setup: Setup) -> None:
    api_id, integration = setup.api("simple")
    authorizer = setup.v2.create_authorizer(
        ApiId=api_id,
        Name="simple",
        AuthorizerType="REQUEST",
        AuthorizerUri=setup.arns["simple"],
        AuthorizerPayloadFormatVersion="2.0",
        EnableSimpleResponses=True,
        IdentitySource=["$request.header.Authorization"],
        AuthorizerResultTtlInSeconds=300,
    )["AuthorizerId"]
    setup.v2.create_route(
        ApiId=api_id,
        RouteKey="GET /private",
        Target=f"integrations/{integration}",
        AuthorizationType="CUSTOM",
        AuthorizerId=authorizer,
    )
    url = setup.serve(api_id) + "/private"
    missing = setup.http.get(url)
    assert (missing.status_code, missing.json()) == (401, {"message": "Unauthorized"})
    assert setup.simple.calls == 0  # no identity: the function is not asked
    refused = setup.http.get(url, headers={"Authorization": "bad"})
    assert (refused.status_code, refused.json()) == (403, {"message": "Forbidden"})
    event = _event(setup.http.get(url, headers={"Authorization": "good"}))
    assert event["requestContext"]["authorizer"]["lambda"] == {"who": "alice", "n": 1}
    calls = setup.simple.calls
    # Cached by the identity values: the function is not asked again.
    _event(setup.http.get(url, headers={"Authorization": "good"}))
    assert setup.simple.calls == calls
    setup.altus.advance(301)
    _event(setup.http.get(url, headers={"Authorization": "good"}))
    assert setup.simple.calls == calls + 1
    # ResetAuthorizersCache forgets every cached answer of the stage.
    setup.v2.reset_authorizers_cache(ApiId=api_id, StageName="$default")
    _event(setup.http.get(url, headers={"Authorization": "good"}))
    assert setup.simple.calls == calls + 2


def test_a_policy_authorizer_with_payload_1_0(setup: Setup) -> None:
    api_id, integration = setup.api("policy")
    authorizer = setup.v2.create_authorizer(
        ApiId=api_id,
        Name="policy",
        AuthorizerType="REQUEST",
        AuthorizerUri=setup.arns["policy"],
        AuthorizerPayloadFormatVersion="1.0",
        IdentitySource=["$request.header.Authorization"],
        AuthorizerResultTtlInSeconds=0,
    )["AuthorizerId"]
    setup.v2.create_route(
        ApiId=api_id,
        RouteKey="GET /p",
        Target=f"integrations/{integration}",
        AuthorizationType="CUSTOM",
        AuthorizerId=authorizer,
    )
    url = setup.serve(api_id) + "/p"
    assert setup.http.get(url, headers={"Authorization": "bad"}).status_code == 403
    event = _event(setup.http.get(url, headers={"Authorization": "good"}))
    assert event["requestContext"]["authorizer"]["lambda"]["who"] == "alice"


def _token(issuer: str, **claims: Any) -> str:
    body = {"iss": issuer, "aud": "my-app", "sub": "user-1", "scope": "read write", **claims}
    return jwt.encode(body, KEY, algorithm="RS256", headers={"kid": KID})


def test_jwt_authorizers_check_tokens_against_the_issuers_keys(setup: Setup) -> None:
    issuer_api = setup.v2.create_api(Name="issuer", ProtocolType="HTTP")
    issuer = issuer_api["ApiEndpoint"]
    integration = setup.v2.create_integration(
        ApiId=issuer_api["ApiId"],
        IntegrationType="AWS_PROXY",
        IntegrationUri=setup.arns["issuer"],
        PayloadFormatVersion="2.0",
    )["IntegrationId"]
    setup.v2.create_route(
        ApiId=issuer_api["ApiId"], RouteKey="$default", Target=f"integrations/{integration}"
    )
    setup.v2.create_stage(
        ApiId=issuer_api["ApiId"],
        StageName="$default",
        AutoDeploy=True,
        StageVariables={"issuer": issuer},
    )
    api_id, echo = setup.api("jwt")
    authorizer = setup.v2.create_authorizer(
        ApiId=api_id,
        Name="jwt",
        AuthorizerType="JWT",
        IdentitySource=["$request.header.Authorization"],
        JwtConfiguration={"Issuer": issuer, "Audience": ["my-app"]},
    )["AuthorizerId"]
    setup.v2.create_route(
        ApiId=api_id,
        RouteKey="GET /me",
        Target=f"integrations/{echo}",
        AuthorizationType="JWT",
        AuthorizerId=authorizer,
    )
    setup.v2.create_route(
        ApiId=api_id,
        RouteKey="GET /admin",
        Target=f"integrations/{echo}",
        AuthorizationType="JWT",
        AuthorizerId=authorizer,
        AuthorizationScopes=["admin"],
    )
    base = setup.serve(api_id)
    now = int(setup.altus.clock.now()) if setup.altus.clock is not None else 0
    good = _token(issuer, iat=now - 10, exp=now + 600)
    event = _event(setup.http.get(base + "/me", headers={"Authorization": f"Bearer {good}"}))
    claims = event["requestContext"]["authorizer"]["jwt"]["claims"]
    assert claims["sub"] == "user-1" and claims["iss"] == issuer
    assert setup.http.get(base + "/me").status_code == 401
    expired = _token(issuer, iat=now - 1000, exp=now - 100)
    refused = setup.http.get(base + "/me", headers={"Authorization": expired})
    assert refused.status_code == 401
    assert refused.headers["www-authenticate"].startswith('Bearer scope="" error="invalid_token"')
    stranger = _token(issuer, aud="other-app", iat=now - 10, exp=now + 600)
    assert setup.http.get(base + "/me", headers={"Authorization": stranger}).status_code == 401
    forged = jwt.encode(
        {"iss": issuer, "aud": "my-app", "exp": now + 600},
        rsa.generate_private_key(public_exponent=65537, key_size=2048),
        algorithm="RS256",
        headers={"kid": KID},
    )
    assert setup.http.get(base + "/me", headers={"Authorization": forged}).status_code == 401
    # A token without the route's scope is forbidden.
    assert setup.http.get(base + "/admin", headers={"Authorization": good}).status_code == 403
    admin = _token(issuer, scope="admin", iat=now - 10, exp=now + 600)
    assert setup.http.get(base + "/admin", headers={"Authorization": admin}).status_code == 200


def _signed(url: str, method: str = "GET", **keys: str) -> dict[str, str]:
    credentials = Credentials(keys.get("key", "testing"), keys.get("secret", "testing"))
    request = AWSRequest(method=method, url=url)
    SigV4Auth(credentials, "execute-api", REGION).add_auth(request)
    return dict(request.headers.items())


def test_iam_routes_need_a_signature(setup: Setup) -> None:
    api_id, integration = setup.api("iam")
    setup.v2.create_route(
        ApiId=api_id,
        RouteKey="GET /signed",
        Target=f"integrations/{integration}",
        AuthorizationType="AWS_IAM",
    )
    url = setup.serve(api_id) + "/signed"
    assert setup.http.get(url).status_code == 403
    event = _event(setup.http.get(url, headers=_signed(url)))
    iam = event["requestContext"]["authorizer"]["iam"]
    assert iam["accessKey"] == "testing"


def test_iam_routes_under_iam_auth(tmp_path: Path) -> None:
    with guarded(tmp_path) as server:
        lam = server.client("lambda")
        role = server.client("iam").create_role(
            RoleName="runner",
            AssumeRolePolicyDocument=json.dumps(
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
            ),
        )["Role"]["Arn"]
        assert server.harness.backend is not None
        server.harness.backend.handlers["echo"] = echo
        lam.create_function(
            FunctionName="echo",
            Runtime="python3.12",
            Handler="handler.handler",
            Role=role,
            Code={"ZipFile": zip_files({"handler.py": "def handler(e, c):\n    return 1\n"})},
        )
        lam.get_waiter("function_active_v2").wait(
            FunctionName="echo", WaiterConfig={"Delay": 0.05, "MaxAttempts": 600}
        )
        allow_api_gateway(lam, "echo")
        v2 = server.client("apigatewayv2")
        arn = lam.get_function(FunctionName="echo")["Configuration"]["FunctionArn"]
        created = v2.create_api(Name="iam", ProtocolType="HTTP", Target=arn)
        route = v2.get_routes(ApiId=created["ApiId"])["Items"][0]
        v2.update_route(
            ApiId=created["ApiId"], RouteId=route["RouteId"], AuthorizationType="AWS_IAM"
        )
        url = created["ApiEndpoint"] + "/x"
        allowed = server.user(
            "caller",
            [{"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": "*"}],
        )
        other = server.user("other", [{"Effect": "Allow", "Action": "lambda:*", "Resource": "*"}])
        with httpx.Client(timeout=30) as http:
            assert http.get(url).status_code == 403
            signed = _signed(
                url, key=allowed["aws_access_key_id"], secret=allowed["aws_secret_access_key"]
            )
            event = _event(http.get(url, headers=signed))
            assert event["requestContext"]["authorizer"]["iam"]["userArn"].endswith(":user/caller")
            refused = http.get(
                url,
                headers=_signed(
                    url, key=other["aws_access_key_id"], secret=other["aws_secret_access_key"]
                ),
            )
            assert refused.status_code == 403
            forged = http.get(url, headers=_signed(url, key=allowed["aws_access_key_id"]))
            assert forged.status_code == 403


def test_a_websocket_connect_authorizer(setup: Setup) -> None:
    api_id = setup.v2.create_api(
        Name="ws-auth", ProtocolType="WEBSOCKET", RouteSelectionExpression="$request.body.action"
    )["ApiId"]
    authorizer = setup.v2.create_authorizer(
        ApiId=api_id,
        Name="tokens",
        AuthorizerType="REQUEST",
        AuthorizerUri=setup.arns["policy"],
        IdentitySource=["route.request.header.Authorization"],
    )["AuthorizerId"]
    integration = setup.v2.create_integration(
        ApiId=api_id, IntegrationType="AWS_PROXY", IntegrationUri=setup.arns["echo"]
    )["IntegrationId"]
    setup.v2.create_route(
        ApiId=api_id,
        RouteKey="$connect",
        Target=f"integrations/{integration}",
        AuthorizationType="CUSTOM",
        AuthorizerId=authorizer,
    )
    setup.v2.create_stage(ApiId=api_id, StageName="live", AutoDeploy=True)
    url = setup.altus.url.replace("http://", "ws://") + f"/_aws/execute-api/{api_id}/live"
    for headers, status in (({}, 401), ({"Authorization": "bad"}, 403)):
        with (
            pytest.raises(InvalidStatus) as refused,
            connect(url, additional_headers=headers, open_timeout=10),
        ):
            pass
        assert refused.value.response.status_code == status
    with connect(url, additional_headers={"Authorization": "good"}, open_timeout=10) as socket:
        socket.ping().wait(10)


def test_boto3_reaches_the_management_api_of_no_connection(setup: Setup) -> None:
    client = management(setup.altus.url)
    with pytest.raises(client.exceptions.GoneException):
        client.get_connection(ConnectionId="nosuchconnection")
