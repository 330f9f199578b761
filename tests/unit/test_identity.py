"""The identity layer's keys and sessions: the administrator key made once and written
for the owner only, and role sessions (what functions run as) accepted with their token
until they expire."""

from __future__ import annotations

import asyncio
import datetime
import stat
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from altus.arns import Account
from altus.clock import FakeClock
from altus.identity.authenticator import RELOAD_EVERY, Identity, Permissions, Principal, Wire
from altus.identity.errors import AccessDenied, ExpiredToken, UnrecognizedClient
from altus.identity.keys import AccessKey

ACCOUNT = Account(region="us-east-1", account_id="123456789012")


class MemoryKeys:
    def __init__(self) -> None:
        self.stored: list[AccessKey] = []

    async def keys(self) -> list[AccessKey]:
        return list(self.stored)

    async def put(self, key: AccessKey) -> None:
        self.stored = [k for k in self.stored if k.id != key.id] + [key]

    async def delete(self, key_id: str) -> None:
        self.stored = [k for k in self.stored if k.id != key_id]


def identity(tmp_path: Path, keys: MemoryKeys, clock: FakeClock) -> Identity:
    made = Identity("iam", keys, ACCOUNT, clock, tmp_path / "credentials")
    asyncio.run(made.start())
    return made


def wire(key_id: str, secret: str, token: str | None) -> Wire:
    """A request botocore signed with these credentials, as the server receives it."""
    request = AWSRequest(
        "GET", "http://127.0.0.1:9000/2015-03-31/functions/", headers={"Host": "127.0.0.1:9000"}
    )
    SigV4Auth(Credentials(key_id, secret, token), "lambda", "us-east-1").add_auth(request)
    headers = [(k.lower().encode(), str(v).encode()) for k, v in request.headers.items()]
    return Wire("GET", urlsplit(request.url).path.encode(), b"", headers, b"")


def test_the_administrator_key_is_made_once_and_its_file_kept(tmp_path: Path) -> None:
    keys, clock = MemoryKeys(), FakeClock(datetime.datetime.now(datetime.UTC).timestamp())
    first = identity(tmp_path, keys, clock)
    credentials = tmp_path / "credentials"
    assert stat.S_IMODE(credentials.stat().st_mode) == 0o600
    written = credentials.read_text()
    admin = first.admin_key()
    assert admin.principal == "arn:aws:iam::123456789012:user/admin"
    assert admin.id.startswith("AKIA") and len(admin.id) == 20 and len(admin.secret) == 40
    credentials.unlink()
    again = identity(tmp_path, keys, clock)
    assert again.admin_key() == admin and len(keys.stored) == 1
    assert credentials.read_text() == written
    principal = again.authenticate(wire(admin.id, admin.secret, None), service="lambda")
    assert principal.arn == admin.principal


def test_a_role_session_works_with_its_token_until_it_expires(tmp_path: Path) -> None:
    clock = FakeClock(datetime.datetime.now(datetime.UTC).timestamp())
    made = identity(tmp_path, MemoryKeys(), clock)
    session = made.session("arn:aws:iam::123456789012:role/service/runner", "my-function", 3600)
    assert session.key.id.startswith("ASIA")
    assert session.variables()["AWS_SESSION_TOKEN"] == session.token
    principal = made.authenticate(
        wire(session.key.id, session.key.secret, session.token), service="lambda"
    )
    assert principal.arn == "arn:aws:sts::123456789012:assumed-role/runner/my-function"
    with pytest.raises(UnrecognizedClient) as raised:
        made.authenticate(
            wire(session.key.id, session.key.secret, "not-the-token"),
            service="lambda",
        )
    assert raised.value.message == "The security token included in the request is invalid"
    with pytest.raises(UnrecognizedClient):
        made.authenticate(wire(session.key.id, session.key.secret, None), service="lambda")
    clock.set(clock.now() + 3601)
    with pytest.raises(ExpiredToken):
        made.authenticate(wire(session.key.id, session.key.secret, session.token), service="lambda")


def test_servers_sharing_a_store_learn_of_each_others_key_changes(tmp_path: Path) -> None:
    keys, clock = MemoryKeys(), FakeClock(datetime.datetime.now(datetime.UTC).timestamp())
    one = identity(tmp_path / "one", keys, clock)
    two = identity(tmp_path / "two", keys, clock)
    made = asyncio.run(one.add_key("arn:aws:iam::123456789012:user/ann"))
    request = wire(made.id, made.secret, None)
    assert one.authenticate(request, service="lambda").arn.endswith(":user/ann")
    with pytest.raises(UnrecognizedClient):
        two.authenticate(request, service="lambda")
    asyncio.run(two.keep_fresh())  # too soon: nothing read again
    with pytest.raises(UnrecognizedClient):
        two.authenticate(request, service="lambda")
    clock.advance(RELOAD_EVERY)
    asyncio.run(two.keep_fresh())
    assert two.authenticate(request, service="lambda").arn.endswith(":user/ann")
    # A key deactivated or deleted on one stops signing on the other too.
    asyncio.run(one.set_key_status(made.id, "Inactive"))
    clock.advance(RELOAD_EVERY)
    asyncio.run(two.keep_fresh())
    with pytest.raises(UnrecognizedClient):
        two.authenticate(wire(made.id, made.secret, None), service="lambda")
    asyncio.run(one.delete_key(made.id))
    assert one.key(made.id) is None and keys.stored == [one.admin_key()]


def test_a_service_acts_on_a_resource_only_where_its_policy_names_it(tmp_path: Path) -> None:
    clock = FakeClock(datetime.datetime.now(datetime.UTC).timestamp())
    made = identity(tmp_path, MemoryKeys(), clock)
    function = "arn:aws:lambda:us-east-1:123456789012:function:f"
    bucket = "arn:aws:s3:::uploads"
    # As AddPermission writes it: the service, with the event's source as conditions.
    statement: dict[str, Any] = {
        "Sid": "s3",
        "Effect": "Allow",
        "Principal": {"Service": "s3.amazonaws.com"},
        "Action": "lambda:InvokeFunction",
        "Resource": function,
        "Condition": {
            "StringEquals": {"AWS:SourceAccount": "123456789012"},
            "ArnLike": {"AWS:SourceArn": bucket},
        },
    }
    policy = {"Version": "2012-10-17", "Statement": [statement]}
    invoke = "lambda:InvokeFunction"
    made.authorize_service("s3.amazonaws.com", invoke, function, [policy], bucket, "123456789012")
    refused = [
        ("sns.amazonaws.com", bucket, "123456789012"),  # another service
        ("s3.amazonaws.com", "arn:aws:s3:::other", "123456789012"),  # another source
        ("s3.amazonaws.com", bucket, "210987654321"),  # another account's bucket
        ("s3.amazonaws.com", None, None),  # no source: the conditions cannot hold
    ]
    for service, source, account in refused:
        with pytest.raises(AccessDenied) as raised:
            made.authorize_service(service, invoke, function, [policy], source, account)
        assert raised.value.message == (
            f"The service {service} is not authorized to perform: lambda:InvokeFunction on "
            f"resource: {function} because no resource-based policy allows the "
            "lambda:InvokeFunction action"
        )
    # An account's principal or a wildcard AWS principal does not name a service.
    for principal in ({"AWS": "*"}, {"AWS": "arn:aws:iam::123456789012:root"}):
        widened = {"Statement": [{**statement, "Principal": principal}]}
        with pytest.raises(AccessDenied):
            made.authorize_service("s3.amazonaws.com", invoke, function, [widened], bucket)


def test_temporary_credentials_carry_their_issue_time_long_term_keys_do_not(
    tmp_path: Path,
) -> None:
    clock = FakeClock(datetime.datetime.now(datetime.UTC).timestamp())
    made = identity(tmp_path, MemoryKeys(), clock)
    # Allowed only where the caller signs with temporary credentials.
    needs_session = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "sqs:ListQueues",
                "Resource": "*",
                "Condition": {
                    "Null": {"aws:TokenIssueTime": "false"},
                    "StringEquals": {"aws:PrincipalType": "User"},
                },
            }
        ],
    }
    made.permissions_of = lambda arn: Permissions([needs_session])
    user = "arn:aws:iam::123456789012:user/ann"
    long_term = asyncio.run(made.add_key(user))
    with pytest.raises(AccessDenied):
        made.authorize(Principal(user, long_term.id), "sqs:ListQueues", "*")
    session = made.temporary(user, 900)
    made.authorize(Principal(user, session.key.id), "sqs:ListQueues", "*")


def test_a_long_term_key_with_a_session_token_is_refused(tmp_path: Path) -> None:
    clock = FakeClock(datetime.datetime.now(datetime.UTC).timestamp())
    made = identity(tmp_path, MemoryKeys(), clock)
    admin = made.admin_key()
    assert made.authenticate(wire(admin.id, admin.secret, None), service="lambda")
    with pytest.raises(UnrecognizedClient) as raised:
        made.authenticate(wire(admin.id, admin.secret, "stale-token"), service="lambda")
    assert raised.value.message == "The security token included in the request is invalid"


def test_a_sessions_policies_hold_for_its_whole_request_even_if_it_ends_meanwhile(
    tmp_path: Path,
) -> None:
    clock = FakeClock(datetime.datetime.now(datetime.UTC).timestamp())
    made = identity(tmp_path, MemoryKeys(), clock)
    everything = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
    }
    only_sts = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "sts:GetCallerIdentity", "Resource": "*"}],
    }
    made.permissions_of = lambda arn: Permissions([everything])
    session = made.session("arn:aws:iam::123456789012:role/wide", "s", 900, (only_sts,))
    admitted = made.admit(
        b"", wire(session.key.id, session.key.secret, session.token).headers, service="lambda"
    )
    principal = made.verify(admitted, wire(session.key.id, session.key.secret, session.token))
    made.end_session(session.key.id)  # gone (expired and pruned) while the body was read
    with pytest.raises(AccessDenied) as raised:
        made.authorize(principal, "sqs:CreateQueue", "*")
    assert raised.value.message.endswith(
        "because no session policy allows the sqs:CreateQueue action"
    )


def test_a_resource_deny_binds_the_administrator_as_its_conditions_read_it(
    tmp_path: Path,
) -> None:
    """Conditions of a resource policy's Deny read the administrator's keys as anyone's:
    a Deny for everyone but the administrator spares it, one for everyone binds it."""
    clock = FakeClock(datetime.datetime.now(datetime.UTC).timestamp())
    made = identity(tmp_path, MemoryKeys(), clock)
    admin = Principal("arn:aws:iam::123456789012:user/admin", made.admin_key().id)
    queue = "arn:aws:sqs:us-east-1:123456789012:q"

    def deny(condition: dict[str, Any] | None) -> dict[str, Any]:
        statement: dict[str, Any] = {
            "Effect": "Deny",
            "Principal": "*",
            "Action": "sqs:DeleteQueue",
            "Resource": queue,
        }
        if condition:
            statement["Condition"] = condition
        return {"Version": "2012-10-17", "Statement": [statement]}

    spare_admin = deny({"StringNotEquals": {"aws:PrincipalArn": admin.arn}})
    made.authorize(admin, "sqs:DeleteQueue", queue, [spare_admin])
    with pytest.raises(AccessDenied):
        made.authorize(admin, "sqs:DeleteQueue", queue, [deny(None)])
