"""Broker mappings through Lambda's API (boto3), on the in-memory broker: what
CreateEventSourceMapping takes and refuses for ``SelfManagedEventSource`` endpoints, how
the mapping shows, its function invoked with the broker's events, its credentials read
from Secrets Manager, a broker that cannot be reached, and deletion. The real brokers'
own tests are in tests/integration/test_broker_*.py."""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from altus.brokers.base import Consumer, Subscription
from altus.brokers.memory import MemoryBroker
from altus.identity.keys import read_credentials
from altus.packaging import zip_files
from altus.platform import Platform
from altus.testing import Harness, wait_until

REDIS = {"Endpoints": {"REDIS_URL": ["redis://127.0.0.1:6379/0"]}}


class Setup:
    def __init__(self) -> None:
        self.broker = MemoryBroker()
        self.subscriptions: list[Subscription] = []
        self.received: list[dict[str, Any]] = []
        self.lock = threading.Lock()

    def connect(self, subscription: Subscription) -> Consumer:
        self.subscriptions.append(subscription)
        return self.broker.connect(subscription)

    def handler(self, event: dict[str, Any], context: Any) -> None:
        with self.lock:
            self.received.append(event)


@pytest.fixture(scope="module")
def setup() -> Iterator[tuple[Harness, Setup]]:
    made = Setup()
    with Harness(clock=None, brokers=made.connect) as altus:
        altus.create_function("sink", made.handler)
        yield altus, made


def publish(altus: Harness, broker: MemoryBroker, group: str, data: bytes) -> None:
    async def put(platform: Platform) -> None:
        broker.publish(group, data)

    altus.call(put)


def create(altus: Harness, **members: Any) -> dict[str, Any]:
    found: dict[str, Any] = altus.client("lambda").create_event_source_mapping(
        FunctionName="sink", **members
    )
    return found


def refused(altus: Harness, **members: Any) -> str:
    with pytest.raises(ClientError) as caught:
        create(altus, **members)
    error = caught.value.response["Error"]
    assert error["Code"] == "InvalidParameterValueException", error
    return str(error["Message"])


def settled(altus: Harness, uuid: str) -> dict[str, Any]:
    lam = altus.client("lambda")

    def done() -> dict[str, Any] | None:
        found: dict[str, Any] = lam.get_event_source_mapping(UUID=uuid)
        return found if found["State"] in ("Enabled", "Disabled") else None

    found = wait_until(done)
    assert found is not None
    return found


def delete(altus: Harness, uuid: str) -> None:
    lam = altus.client("lambda")
    lam.delete_event_source_mapping(UUID=uuid)

    def gone() -> bool:
        try:
            lam.get_event_source_mapping(UUID=uuid)
        except ClientError:
            return True
        return False

    wait_until(gone)


def test_a_mapping_reads_its_broker_and_shows_as_a_self_managed_source(
    setup: tuple[Harness, Setup],
) -> None:
    altus, made = setup
    created = create(
        altus,
        SelfManagedEventSource=REDIS,
        Topics=["orders", "orders:eu"],
        StartingPosition="TRIM_HORIZON",
        BatchSize=5,
    )
    assert created["State"] == "Creating"
    assert "EventSourceArn" not in created
    assert created["SelfManagedEventSource"] == REDIS
    assert created["Topics"] == ["orders", "orders:eu"]
    assert created["StartingPosition"] == "TRIM_HORIZON"
    assert created["MaximumRetryAttempts"] == -1
    assert created["DestinationConfig"] == {"OnFailure": {}}
    assert created["StateTransitionReason"] == "USER_INITIATED"
    uuid = created["UUID"]
    assert settled(altus, uuid)["State"] == "Enabled"
    publish(altus, made.broker, "orders", b'{"id": 1}')
    event = wait_until(lambda: made.received[-1] if made.received else None)
    assert event is not None
    (record,) = event["Records"]
    assert base64.b64decode(record["memory"]["data"]) == b'{"id": 1}'
    assert record["awsRegion"] == "us-east-1"
    subscription = made.subscriptions[-1]
    assert subscription.names == ("orders", "orders:eu")
    assert subscription.starting_position == "TRIM_HORIZON"
    assert subscription.batch_size == 5
    assert subscription.endpoint.kind == "redis"
    listed = altus.client("lambda").list_event_source_mappings(FunctionName="sink")
    assert uuid in [m["UUID"] for m in listed["EventSourceMappings"]]
    delete(altus, uuid)
    assert uuid in made.broker.forgotten


def test_credentials_come_from_the_secret_the_mapping_names(
    setup: tuple[Harness, Setup],
) -> None:
    altus, made = setup
    secret = altus.client("secretsmanager").create_secret(
        Name="broker-login", SecretString=json.dumps({"username": "ann", "password": "pw"})
    )["ARN"]
    created = create(
        altus,
        SelfManagedEventSource={"Endpoints": {"RABBITMQ_URL": ["amqp://127.0.0.1:5672/"]}},
        Queues=["jobs"],
        SourceAccessConfigurations=[
            {"Type": "BASIC_AUTH", "URI": secret},
            {"Type": "VIRTUAL_HOST", "URI": "/prod"},
        ],
    )
    assert "StartingPosition" not in created
    settled(altus, created["UUID"])
    subscription = wait_until(
        lambda: next((s for s in made.subscriptions if s.names == ("jobs",)), None)
    )
    assert subscription is not None
    assert (subscription.endpoint.username, subscription.endpoint.password) == ("ann", "pw")
    assert subscription.virtual_host == "/prod"
    delete(altus, created["UUID"])


def test_a_secret_that_cannot_be_read_is_the_mappings_problem(
    setup: tuple[Harness, Setup],
) -> None:
    altus, _ = setup
    missing = "arn:aws:secretsmanager:us-east-1:000000000000:secret:nope-AbCdEf"
    created = create(
        altus,
        SelfManagedEventSource={"Endpoints": {"MQTT_URL": ["mqtt://127.0.0.1:1883"]}},
        Topics=["sensors/#"],
        SourceAccessConfigurations=[{"Type": "BASIC_AUTH", "URI": missing}],
    )
    lam = altus.client("lambda")

    def troubled() -> dict[str, Any] | None:
        found: dict[str, Any] = lam.get_event_source_mapping(UUID=created["UUID"])
        return found if found["StateTransitionReason"] == "ESM_CONFIG_NOT_VALID" else None

    found = wait_until(troubled)
    assert found is not None
    assert found["State"] == "Enabled"
    assert found["LastProcessingResult"].startswith("PROBLEM: The BASIC_AUTH secret")
    delete(altus, created["UUID"])


def test_an_unreachable_broker_is_reported_and_retried(setup: tuple[Harness, Setup]) -> None:
    altus, made = setup
    created = create(
        altus,
        SelfManagedEventSource={"Endpoints": {"NATS_URL": ["nats://127.0.0.1:4222"]}},
        Topics=["down.>"],
        StartingPosition="LATEST",
    )
    settled(altus, created["UUID"])
    lam = altus.client("lambda")
    made.broker.down = True
    try:

        def troubled() -> dict[str, Any] | None:
            found: dict[str, Any] = lam.get_event_source_mapping(UUID=created["UUID"])
            result = found["LastProcessingResult"]
            return found if result.startswith("PROBLEM: Connection error.") else None

        wait_until(troubled)
    finally:
        made.broker.down = False
    # Back: the mapping says what it said before the trouble (nothing processed yet).
    wait_until(
        lambda: (
            lam.get_event_source_mapping(UUID=created["UUID"])["LastProcessingResult"]
            == "No records processed"
        ),
        timeout=30,
    )
    delete(altus, created["UUID"])


@pytest.mark.parametrize(
    ("members", "words"),
    [
        (
            {"SelfManagedEventSource": {"Endpoints": {"ZMQ_URL": ["zmq://h:1"]}}},
            "Member must satisfy enum value set: [MQTT_URL, NATS_URL, POSTGRES_URL, "
            "RABBITMQ_URL, REDIS_URL]",
        ),
        (
            {
                "SelfManagedEventSource": {
                    "Endpoints": {
                        "REDIS_URL": ["redis://127.0.0.1:6379"],
                        "NATS_URL": ["nats://127.0.0.1:4222"],
                    }
                }
            },
            "exactly one endpoint must be given",
        ),
        (
            {"SelfManagedEventSource": {"Endpoints": {"REDIS_URL": ["http://127.0.0.1:6379"]}}},
            "The REDIS_URL endpoint is not valid: its scheme must be redis:// or rediss://.",
        ),
        (
            {"SelfManagedEventSource": {"Endpoints": {"REDIS_URL": ["redis://:99999"]}}},
            "The REDIS_URL endpoint is not valid",
        ),
        ({"SelfManagedEventSource": REDIS, "StartingPosition": "LATEST"}, "'topics'"),
        (
            {"SelfManagedEventSource": REDIS, "Topics": ["t"]},
            "Value null at 'startingPosition'",
        ),
        (
            {
                "SelfManagedEventSource": REDIS,
                "Topics": ["t"],
                "StartingPosition": "AT_TIMESTAMP",
                "StartingPositionTimestamp": 1,
            },
            "Unsupported StartingPositionTimestamp parameter",
        ),
        (
            {"SelfManagedEventSource": REDIS, "Topics": ["t"], "Queues": ["q"]},
            "Unsupported Queues parameter",
        ),
        (
            {
                "SelfManagedEventSource": REDIS,
                "Topics": ["t"],
                "StartingPosition": "LATEST",
                "ParallelizationFactor": 2,
            },
            "Unsupported ParallelizationFactor parameter",
        ),
        (
            {
                "SelfManagedEventSource": {"Endpoints": {"RABBITMQ_URL": ["amqp://h:5672/"]}},
                "Queues": ["q"],
                "StartingPosition": "LATEST",
            },
            "StartingPosition is not valid for RABBITMQ_URL event sources.",
        ),
        (
            {
                "SelfManagedEventSource": {"Endpoints": {"POSTGRES_URL": ["postgresql://h/db"]}},
                "Topics": ["public.t"],
                "SelfManagedKafkaEventSourceConfig": {"ConsumerGroupId": "Has-Caps"},
            },
            "it must be a replication slot name",
        ),
        (
            {
                "SelfManagedEventSource": REDIS,
                "Topics": ["t"],
                "StartingPosition": "LATEST",
                "SourceAccessConfigurations": [{"Type": "VIRTUAL_HOST", "URI": "/v"}],
            },
            "Unsupported SourceAccessConfigurations type VIRTUAL_HOST",
        ),
        (
            {
                "SelfManagedEventSource": REDIS,
                "Topics": ["t"],
                "StartingPosition": "LATEST",
                "SourceAccessConfigurations": [{"Type": "BASIC_AUTH", "URI": "user:pw"}],
            },
            "must be a Secrets Manager secret's ARN",
        ),
        (
            {
                "SelfManagedEventSource": REDIS,
                "EventSourceArn": "arn:aws:sqs:us-east-1:000000000000:q",
                "Topics": ["t"],
                "StartingPosition": "LATEST",
            },
            "cannot both be given",
        ),
    ],
)
def test_what_a_broker_mapping_refuses(
    setup: tuple[Harness, Setup], members: dict[str, Any], words: str
) -> None:
    altus, _ = setup
    assert words in refused(altus, **members)


def test_the_same_broker_source_and_function_twice_is_a_conflict(
    setup: tuple[Harness, Setup],
) -> None:
    altus, _ = setup
    members: dict[str, Any] = {
        "SelfManagedEventSource": REDIS,
        "Topics": ["twice"],
        "StartingPosition": "LATEST",
    }
    first = create(altus, **members)
    with pytest.raises(ClientError) as caught:
        create(altus, **members)
    assert caught.value.response["Error"]["Code"] == "ResourceConflictException"
    assert first["UUID"] in caught.value.response["Error"]["Message"]
    settled(altus, first["UUID"])
    delete(altus, first["UUID"])


def test_a_broker_mapping_takes_updates_but_not_a_new_consumer_group(
    setup: tuple[Harness, Setup],
) -> None:
    altus, made = setup
    lam = altus.client("lambda")
    created = create(
        altus,
        SelfManagedEventSource=REDIS,
        Topics=["updated"],
        StartingPosition="LATEST",
        SelfManagedKafkaEventSourceConfig={"ConsumerGroupId": "mine"},
    )
    settled(altus, created["UUID"])
    updated = lam.update_event_source_mapping(
        UUID=created["UUID"],
        BatchSize=7,
        FilterCriteria={"Filters": [{"Pattern": '{"data": {"k": [1]}}'}]},
        FunctionResponseTypes=["ReportBatchItemFailures"],
        MaximumRetryAttempts=3,
    )
    assert updated["State"] == "Updating"
    after = settled(altus, created["UUID"])
    assert after["BatchSize"] == 7
    assert after["MaximumRetryAttempts"] == 3
    assert after["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert after["SelfManagedKafkaEventSourceConfig"] == {"ConsumerGroupId": "mine"}
    subscription = wait_until(
        lambda: next(
            (s for s in made.subscriptions if s.names == ("updated",) and s.batch_size == 7),
            None,
        )
    )
    assert subscription is not None
    with pytest.raises(ClientError) as caught:
        lam.update_event_source_mapping(
            UUID=created["UUID"], SelfManagedKafkaEventSourceConfig={"ConsumerGroupId": "new"}
        )
    assert caught.value.response["Error"]["Message"] == "ConsumerGroupId cannot be updated."
    # Another mapping may not take the same name on the same broker.
    other = refused(
        altus,
        SelfManagedEventSource={"Endpoints": {"REDIS_URL": ["redis://127.0.0.1:6379/0"]}},
        Topics=["elsewhere"],
        StartingPosition="LATEST",
        SelfManagedKafkaEventSourceConfig={"ConsumerGroupId": "mine"},
    )
    assert f"taken on this broker by the event source mapping {created['UUID']}" in other
    disabled = lam.update_event_source_mapping(UUID=created["UUID"], Enabled=False)
    assert disabled["State"] == "Disabling"
    assert settled(altus, created["UUID"])["State"] == "Disabled"
    delete(altus, created["UUID"])


def test_a_password_in_the_url_is_not_shown(setup: tuple[Harness, Setup]) -> None:
    altus, _ = setup
    created = create(
        altus,
        SelfManagedEventSource={"Endpoints": {"RABBITMQ_URL": ["amqp://ann:s3cret@h:5672/"]}},
        Queues=["masked"],
    )
    assert created["SelfManagedEventSource"]["Endpoints"] == {
        "RABBITMQ_URL": ["amqp://ann:****@h:5672/"]
    }
    settled(altus, created["UUID"])
    delete(altus, created["UUID"])


def test_the_execution_role_must_be_allowed_to_read_the_credentials(tmp_path: Path) -> None:
    broker = MemoryBroker()
    with Harness(clock=None, data_dir=tmp_path, auth="iam", brokers=broker.connect) as altus:
        found = read_credentials(tmp_path / "credentials")
        assert found is not None
        keys = {"aws_access_key_id": found[0], "aws_secret_access_key": found[1]}

        def client(service: str) -> Any:
            return boto3.client(
                service,
                endpoint_url=altus.url,
                region_name="us-east-1",
                config=Config(retries={"total_max_attempts": 1}),
                **keys,
            )

        sm, iam, lam = client("secretsmanager"), client("iam"), client("lambda")
        allowed = sm.create_secret(Name="allowed", SecretString='{"username":"u","password":"p"}')
        other = sm.create_secret(Name="other", SecretString='{"username":"u","password":"p"}')
        trust = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "lambda.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
        role = iam.create_role(RoleName="reader", AssumeRolePolicyDocument=json.dumps(trust))
        iam.put_role_policy(
            RoleName="reader",
            PolicyName="read",
            PolicyDocument=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Action": "secretsmanager:GetSecretValue",
                            "Resource": allowed["ARN"],
                        }
                    ],
                }
            ),
        )
        lam.create_function(
            FunctionName="guarded",
            Runtime="python3.12",
            Handler="handler.handler",
            Role=role["Role"]["Arn"],
            Code={"ZipFile": zip_files({"handler.py": "def handler(e, c):\n    return None\n"})},
        )
        members: dict[str, Any] = {
            "FunctionName": "guarded",
            "SelfManagedEventSource": {"Endpoints": {"MQTT_URL": ["mqtt://127.0.0.1:1883"]}},
            "Topics": ["t/#"],
        }
        with pytest.raises(ClientError) as caught:
            lam.create_event_source_mapping(
                **members,
                SourceAccessConfigurations=[{"Type": "BASIC_AUTH", "URI": other["ARN"]}],
            )
        assert caught.value.response["Error"]["Message"] == (
            "The provided execution role does not have permissions to call GetSecretValue "
            "on Secrets Manager"
        )
        created = lam.create_event_source_mapping(
            **members, SourceAccessConfigurations=[{"Type": "BASIC_AUTH", "URI": allowed["ARN"]}]
        )
        assert created["State"] == "Creating"


def test_a_mapping_whose_broker_never_answers_is_still_deleted() -> None:
    """A replication slot pins WAL: its removal is tried again before a PostgreSQL
    mapping goes; a URL that never led anywhere does not keep it forever."""
    with Harness() as altus:  # the real PostgreSQL consumer, on a fake clock
        altus.create_function("sink", lambda event, context: None)
        created = create(
            altus,
            SelfManagedEventSource={"Endpoints": {"POSTGRES_URL": ["postgresql://127.0.0.1:1/x"]}},
            Topics=["t"],
        )
        lam = altus.client("lambda")
        lam.delete_event_source_mapping(UUID=created["UUID"])
        for _ in range(40):
            try:
                found = lam.get_event_source_mapping(UUID=created["UUID"])
            except ClientError:
                break
            assert found["State"] in ("Creating", "Deleting")
            altus.advance(30)
            time.sleep(0.05)
        else:
            raise AssertionError("the mapping was never deleted")
