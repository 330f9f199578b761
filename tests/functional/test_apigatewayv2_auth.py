"""API Gateway V2 where requests are authorised (``--auth iam``): calls are allowed by
HTTP verb (``apigateway:GET`` ...) on the ARN of the resource path they address
(``arn:aws:apigateway:<region>::/apis/<id>/...``), so a policy scoped to one API or one
verb binds."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from botocore.exceptions import ClientError

from tests.functional.guarded import Guarded, guarded

BASE = "arn:aws:apigateway:us-east-1::"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Guarded]:
    with guarded(tmp_path_factory.mktemp("apigatewayv2-auth")) as made:
        yield made


def test_calls_are_authorised_by_verb_on_the_resource_path(server: Guarded) -> None:
    admin = server.client("apigatewayv2")
    mine = admin.create_api(Name="mine", ProtocolType="HTTP")["ApiId"]
    theirs = admin.create_api(Name="theirs", ProtocolType="HTTP")["ApiId"]
    user = server.client(
        "apigatewayv2",
        **server.user(
            "scoped",
            [
                {"Effect": "Allow", "Action": "apigateway:GET", "Resource": f"{BASE}/apis/*"},
                {
                    "Effect": "Allow",
                    "Action": ["apigateway:POST", "apigateway:DELETE"],
                    "Resource": [f"{BASE}/apis/{mine}", f"{BASE}/apis/{mine}/*"],
                },
            ],
        ),
    )
    assert user.get_api(ApiId=theirs)["Name"] == "theirs"
    route = user.create_route(ApiId=mine, RouteKey="GET /a")
    user.delete_route(ApiId=mine, RouteId=route["RouteId"])
    for call, members in (
        (user.create_route, {"ApiId": theirs, "RouteKey": "GET /a"}),
        (user.update_api, {"ApiId": mine, "Name": "renamed"}),  # PATCH: not allowed
        (user.delete_api, {"ApiId": theirs}),
        (user.create_api, {"Name": "new", "ProtocolType": "HTTP"}),  # POST /apis
    ):
        with pytest.raises(ClientError) as refused:
            call(**members)
        assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert admin.get_api(ApiId=mine)["Name"] == "mine"
    assert [r["RouteKey"] for r in admin.get_routes(ApiId=theirs)["Items"]] == []
