"""API Gateway where requests are authorised (``--auth iam``): each call needs
``apigateway:<HTTP method>`` on its path as an ARN (``arn:aws:apigateway:<region>::/
restapis/<id>/...``), as AWS documents API Gateway's control-plane permissions, so a
policy scoped to one API binds."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from botocore.exceptions import ClientError

from tests.functional.guarded import Guarded, guarded

REGION = "us-east-1"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Guarded]:
    with guarded(tmp_path_factory.mktemp("apigateway-auth")) as made:
        yield made


def _refused(call: object, **members: object) -> str:
    with pytest.raises(ClientError) as raised:
        call(**members)  # type: ignore[operator]
    code: str = raised.value.response["Error"]["Code"]
    return code


def test_calls_are_authorised_by_method_and_path(server: Guarded) -> None:
    admin = server.client("apigateway")
    mine = admin.create_rest_api(name="mine")
    other = admin.create_rest_api(name="other")
    arn = f"arn:aws:apigateway:{REGION}::/restapis/{mine['id']}"
    keys = server.user(
        "api-reader",
        [
            {"Effect": "Allow", "Action": "apigateway:GET", "Resource": [arn, f"{arn}/*"]},
            {"Effect": "Allow", "Action": "apigateway:POST", "Resource": f"{arn}/resources/*"},
        ],
    )
    reader = server.client("apigateway", **keys)
    assert reader.get_rest_api(restApiId=mine["id"])["name"] == "mine"
    assert reader.get_resources(restApiId=mine["id"])["items"]
    made = reader.create_resource(
        restApiId=mine["id"], parentId=mine["rootResourceId"], pathPart="pets"
    )
    assert made["path"] == "/pets"
    # Another API, another method, the listing: not allowed.
    assert _refused(reader.get_rest_api, restApiId=other["id"]) == "AccessDeniedException"
    assert _refused(reader.delete_rest_api, restApiId=mine["id"]) == "AccessDeniedException"
    assert _refused(reader.get_rest_apis) == "AccessDeniedException"
    assert _refused(reader.create_rest_api, name="x") == "AccessDeniedException"
    assert {a["name"] for a in admin.get_rest_apis()["items"]} >= {"mine", "other"}
