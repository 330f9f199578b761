"""Step Functions' state machines through boto3: create (idempotent), describe, update
(revisions), delete, list, validate; name and ARN rules; versions and aliases; tags and
activities. AWS's texts are those LocalStack's snapshots recorded against AWS."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from altus.stepfunctions.recording import RecordingRuntime
from tests.functional.stepfunctions_helpers import (
    ACCOUNT,
    PASS,
    REGION,
    ROLE,
    Server,
    definition,
    error,
    machine_arn,
    serve,
    unique,
)


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    yield from serve()


@pytest.fixture
def runtime(server: Server) -> RecordingRuntime:
    return server.fresh_runtime()


def test_a_state_machine_round_trips(server: Server) -> None:
    sfn = server.sfn
    name = unique("round")
    created = sfn.create_state_machine(name=name, definition=PASS, roleArn=ROLE)
    arn = created["stateMachineArn"]
    assert arn == machine_arn(name)
    assert "stateMachineVersionArn" not in created
    got = sfn.describe_state_machine(stateMachineArn=arn)
    assert got["name"] == name and got["status"] == "ACTIVE" and got["type"] == "STANDARD"
    assert json.loads(got["definition"]) == json.loads(PASS)
    assert got["roleArn"] == ROLE
    assert got["loggingConfiguration"] == {"level": "OFF", "includeExecutionData": False}
    assert got["tracingConfiguration"] == {"enabled": False}
    assert "revisionId" not in got
    assert got["creationDate"] == created["creationDate"]
    listed = sfn.list_state_machines()["stateMachines"]
    assert {"stateMachineArn": arn, "name": name, "type": "STANDARD"} in [
        {k: m[k] for k in ("stateMachineArn", "name", "type")} for m in listed
    ]
    sfn.delete_state_machine(stateMachineArn=arn)
    assert error(sfn.describe_state_machine, stateMachineArn=arn) == (
        "StateMachineDoesNotExist",
        f"State Machine Does Not Exist: '{arn}'",
    )
    # Deleting what is not there succeeds, as on AWS.
    sfn.delete_state_machine(stateMachineArn=arn)


def test_create_is_idempotent_for_the_same_fields(server: Server) -> None:
    sfn = server.sfn
    name = unique("idem")
    first = sfn.create_state_machine(name=name, definition=PASS, roleArn=ROLE)
    # A different role (or tags) does not matter; the role is not updated.
    again = sfn.create_state_machine(
        name=name, definition=PASS, roleArn=f"{ROLE}-other", tags=[{"key": "k", "value": "v"}]
    )
    assert again["stateMachineArn"] == first["stateMachineArn"]
    assert again["creationDate"] == first["creationDate"]
    assert sfn.describe_state_machine(stateMachineArn=first["stateMachineArn"])["roleArn"] == ROLE
    arn = first["stateMachineArn"]
    for changed in (
        {"definition": definition("other")},
        {"type": "EXPRESS"},
        {"loggingConfiguration": {"level": "OFF", "includeExecutionData": True}},
        {"tracingConfiguration": {"enabled": True}},
        {"publish": True},
    ):
        members = {"name": name, "definition": PASS, "roleArn": ROLE, **changed}
        assert error(sfn.create_state_machine, **members) == (
            "StateMachineAlreadyExists",
            f"State Machine Already Exists: '{arn}'",
        )


@pytest.mark.parametrize(
    ("name", "valid"),
    [
        ("plain-name_1", True),
        ("ünïcödé.名前", True),
        ("with space", False),
        ("TestActivity InvalidName$", False),
        ("a<b", False),
        ("a{b}", False),
        ("a[0]", False),
        ("what?", False),
        ("star*", False),
        ('quote"', False),
        ("hash#", False),
        ("per%cent", False),
        ("back\\slash", False),
        ("caret^", False),
        ("pipe|", False),
        ("tilde~", False),
        ("tick`", False),
        ("dollar$", False),
        ("and&", False),
        ("comma,", False),
        ("semi;", False),
        ("colon:", False),
        ("slash/", False),
        ("tab\there", False),
        ("ctl\x01", False),
        ("ctl\x7f", False),
        ("ctl\x85", False),
    ],
)
def test_names_follow_aws_rules(server: Server, name: str, valid: bool) -> None:
    sfn = server.sfn
    if valid:
        arn = server.machine(name)
        assert sfn.describe_state_machine(stateMachineArn=arn)["name"] == name
        sfn.delete_state_machine(stateMachineArn=arn)
        return
    expected = ("InvalidName", f"Invalid Name: '{name}'")
    assert error(sfn.create_state_machine, name=name, definition=PASS, roleArn=ROLE) == expected
    assert error(sfn.create_activity, name=name) == expected


def test_refusals_of_create(server: Server) -> None:
    sfn = server.sfn
    code, message = error(
        sfn.create_state_machine, name=unique("bad"), definition="{}", roleArn=ROLE
    )
    assert code == "InvalidDefinition"
    assert message.startswith("Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED:")
    assert error(
        sfn.create_state_machine, name=unique("bad"), definition=PASS, roleArn="not-an-arn"
    ) == ("InvalidArn", "Invalid Arn: 'Invalid ARN prefix: not-an-arn'")
    assert error(
        sfn.create_state_machine,
        name=unique("bad"),
        definition=PASS,
        roleArn=ROLE,
        versionDescription="v",
    ) == ("ValidationException", "Version description can only be set when publish is true")
    code, _ = error(
        sfn.create_state_machine,
        name=unique("bad"),
        definition=PASS,
        roleArn=ROLE,
        loggingConfiguration={"level": "ALL"},
    )
    assert code == "InvalidLoggingConfiguration"
    code, _ = error(
        sfn.create_state_machine,
        name=unique("bad"),
        definition=PASS,
        roleArn=ROLE,
        tags=[{"key": f"k{i}", "value": "v"} for i in range(51)],
    )
    assert code == "TooManyTags"
    code, message = error(sfn.create_state_machine, name="x" * 81, definition=PASS, roleArn=ROLE)
    assert code == "ValidationException" and "Member must have length less than" in message


def test_an_express_machine_has_express_rules(server: Server) -> None:
    sfn = server.sfn
    activity = sfn.create_activity(name=unique("act"))["activityArn"]
    with_activity = json.dumps(
        {"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": activity, "End": True}}}
    )
    code, message = error(
        sfn.create_state_machine,
        name=unique("x"),
        definition=with_activity,
        roleArn=ROLE,
        type="EXPRESS",
    )
    assert code == "InvalidDefinition" and "Express state machine" in message
    # The same definition is fine for a STANDARD machine.
    server.machine(definition=with_activity)


def test_logging_and_tracing_are_kept(server: Server) -> None:
    group = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/sfn/x:*"
    logging = {
        "level": "ALL",
        "includeExecutionData": True,
        "destinations": [{"cloudWatchLogsLogGroup": {"logGroupArn": group}}],
    }
    arn = server.machine(loggingConfiguration=logging, tracingConfiguration={"enabled": True})
    got = server.sfn.describe_state_machine(stateMachineArn=arn)
    assert got["loggingConfiguration"] == logging
    assert got["tracingConfiguration"] == {"enabled": True}


def test_updates_make_revisions(server: Server) -> None:
    sfn = server.sfn
    arn = server.machine()
    first = sfn.update_state_machine(stateMachineArn=arn, definition=definition("r1"))
    revision = first["revisionId"]
    got = sfn.describe_state_machine(stateMachineArn=arn)
    assert got["revisionId"] == revision and json.loads(got["definition"])["Comment"] == "r1"
    # The same parameters again: no new revision.
    same = sfn.update_state_machine(stateMachineArn=arn, definition=definition("r1"))
    assert same["revisionId"] == revision
    second = sfn.update_state_machine(stateMachineArn=arn, roleArn=f"{ROLE}-2")
    assert second["revisionId"] != revision
    assert sfn.describe_state_machine(stateMachineArn=arn)["roleArn"] == f"{ROLE}-2"
    assert error(sfn.update_state_machine, stateMachineArn=arn) == (
        "MissingRequiredParameter",
        "Either the definition, the role ARN, the LoggingConfiguration, or the "
        "TracingConfiguration must be specified",
    )
    code, _ = error(sfn.update_state_machine, stateMachineArn=arn, definition="[]")
    assert code == "InvalidDefinition"
    missing = machine_arn(unique("none"))
    assert error(sfn.update_state_machine, stateMachineArn=missing, definition=PASS) == (
        "StateMachineDoesNotExist",
        f"State Machine Does Not Exist: '{missing}'",
    )


def test_arns_are_checked(server: Server) -> None:
    sfn = server.sfn
    assert error(sfn.describe_state_machine, stateMachineArn="not_a_valid_arn") == (
        "InvalidArn",
        "Invalid Arn: 'Invalid ARN prefix: not_a_valid_arn'",
    )
    activity = f"arn:aws:states:{REGION}:{ACCOUNT}:activity:a"
    assert error(sfn.describe_state_machine, stateMachineArn=activity) == (
        "InvalidArn",
        "Invalid Arn: 'Resource type not valid in this context: activity'",
    )


def test_listing_pages_by_name(server: Server) -> None:
    sfn = server.sfn
    prefix = unique("page")
    names = [f"{prefix}-{i:02d}" for i in range(5)]
    for name in reversed(names):
        server.machine(name)
    seen: list[str] = []
    token: str | None = None
    for _ in range(100):  # bounded
        page = sfn.list_state_machines(maxResults=2, **({"nextToken": token} if token else {}))
        seen.extend(m["name"] for m in page["stateMachines"])
        token = page.get("nextToken")
        if not token:
            break
    assert [n for n in seen if n.startswith(prefix)] == names
    assert seen == sorted(seen)
    assert error(sfn.list_state_machines, nextToken="garbage")[0] == "InvalidToken"
    code, message = error(sfn.list_state_machines, maxResults=1001)
    assert (code, message) == (
        "ValidationException",
        "1 validation error detected: Value '1001' at 'maxResults' failed to satisfy "
        "constraint: Member must have value less than or equal to 1000",
    )


def test_validate_reports_without_refusing(server: Server) -> None:
    sfn = server.sfn
    ok = sfn.validate_state_machine_definition(definition=PASS)
    assert ok["result"] == "OK" and ok["diagnostics"] == []
    bad = sfn.validate_state_machine_definition(definition='{"StartAt": "X"}')
    assert bad["result"] == "FAIL"
    first = bad["diagnostics"][0]
    assert first["severity"] == "ERROR" and first["code"] == "SCHEMA_VALIDATION_FAILED"
    broken = json.dumps(
        {
            "StartAt": "A",
            "States": {
                "A": {"Type": "Pass", "Next": "missing1"},
                "B": {"Type": "Pass", "Next": "missing2"},
            },
        }
    )
    one = sfn.validate_state_machine_definition(definition=broken, maxResults=1)
    assert len(one["diagnostics"]) == 1 and one["truncated"] is True


# --- versions -------------------------------------------------------------------------------


def test_publishing_versions(server: Server) -> None:
    sfn = server.sfn
    name = unique("ver")
    created = sfn.create_state_machine(
        name=name, definition=PASS, roleArn=ROLE, publish=True, versionDescription="first"
    )
    arn = created["stateMachineArn"]
    assert created["stateMachineVersionArn"] == f"{arn}:1"
    version = sfn.describe_state_machine(stateMachineArn=f"{arn}:1")
    assert version["stateMachineArn"] == f"{arn}:1" and version["description"] == "first"
    # Publishing the same revision again is idempotent.
    again = sfn.publish_state_machine_version(stateMachineArn=arn)
    assert again["stateMachineVersionArn"] == f"{arn}:1"
    updated = sfn.update_state_machine(
        stateMachineArn=arn, definition=definition("r2"), publish=True, versionDescription="2nd"
    )
    assert updated["stateMachineVersionArn"] == f"{arn}:2"
    listed = sfn.list_state_machine_versions(stateMachineArn=arn)["stateMachineVersions"]
    assert [v["stateMachineVersionArn"] for v in listed] == [f"{arn}:2", f"{arn}:1"]
    assert json.loads(sfn.describe_state_machine(stateMachineArn=f"{arn}:1")["definition"]) == (
        json.loads(PASS)
    )
    # A revision id that is not the current one.
    stale = updated["revisionId"]
    newer = sfn.update_state_machine(stateMachineArn=arn, definition=definition("r3"))
    with pytest.raises(sfn.exceptions.ConflictException) as raised:
        sfn.publish_state_machine_version(stateMachineArn=arn, revisionId=stale)
    assert raised.value.response["Error"]["Message"] == (
        f"Failed to publish the State Machine version for revision {stale}. "
        f"The current State Machine revision is {newer['revisionId']}."
    )
    # Numbers are never reused.
    sfn.delete_state_machine_version(stateMachineVersionArn=f"{arn}:2")
    sfn.delete_state_machine_version(stateMachineVersionArn=f"{arn}:2")
    third = sfn.publish_state_machine_version(
        stateMachineArn=arn, revisionId=newer["revisionId"], description="third"
    )
    assert third["stateMachineVersionArn"] == f"{arn}:3"
    assert error(sfn.describe_state_machine, stateMachineArn=f"{arn}:2") == (
        "StateMachineDoesNotExist",
        f"State Machine Does Not Exist: '{arn}:2'",
    )
    # Deleting the machine deletes its versions.
    sfn.delete_state_machine(stateMachineArn=arn)
    assert error(sfn.describe_state_machine, stateMachineArn=f"{arn}:3")[0] == (
        "StateMachineDoesNotExist"
    )


def _two_versions(server: Server) -> str:
    arn = server.machine(publish=True)
    server.sfn.update_state_machine(stateMachineArn=arn, definition=definition("v2"), publish=True)
    return arn


def test_aliases(server: Server) -> None:
    sfn = server.sfn
    arn = _two_versions(server)
    routing = [{"stateMachineVersionArn": f"{arn}:1", "weight": 100}]
    created = sfn.create_state_machine_alias(
        name="live", routingConfiguration=routing, description="d"
    )
    alias = created["stateMachineAliasArn"]
    assert alias == f"{arn}:live"
    # Idempotent with the same routing and description; a conflict with others.
    assert (
        sfn.create_state_machine_alias(name="live", routingConfiguration=routing, description="d")[
            "stateMachineAliasArn"
        ]
        == alias
    )
    assert error(
        sfn.create_state_machine_alias,
        name="live",
        routingConfiguration=routing,
        description="other",
    ) == (
        "ConflictException",
        "Failed to create alias because an alias with the same name and a different "
        "routing configuration already exists.",
    )
    got = sfn.describe_state_machine_alias(stateMachineAliasArn=alias)
    assert got["name"] == "live" and got["description"] == "d"
    assert got["routingConfiguration"] == routing
    split = [
        {"stateMachineVersionArn": f"{arn}:1", "weight": 50},
        {"stateMachineVersionArn": f"{arn}:2", "weight": 50},
    ]
    sfn.update_state_machine_alias(stateMachineAliasArn=alias, routingConfiguration=split)
    assert (
        sfn.describe_state_machine_alias(stateMachineAliasArn=alias)["routingConfiguration"]
        == split
    )
    listed = sfn.list_state_machine_aliases(stateMachineArn=arn)["stateMachineAliases"]
    assert [a["stateMachineAliasArn"] for a in listed] == [alias]
    by_version = sfn.list_state_machine_aliases(stateMachineArn=f"{arn}:2")
    assert [a["stateMachineAliasArn"] for a in by_version["stateMachineAliases"]] == [alias]
    # A version an alias routes to cannot be deleted.
    assert error(sfn.delete_state_machine_version, stateMachineVersionArn=f"{arn}:1") == (
        "ConflictException",
        "Version to be deleted must not be referenced by an alias. Current list of aliases "
        "referencing this version: [live]",
    )
    sfn.delete_state_machine_alias(stateMachineAliasArn=alias)
    sfn.delete_state_machine_alias(stateMachineAliasArn=alias)
    assert error(sfn.describe_state_machine_alias, stateMachineAliasArn=alias) == (
        "ResourceNotFound",
        "Request references a resource that does not exist.",
    )
    assert error(sfn.update_state_machine_alias, stateMachineAliasArn=alias, description="x") == (
        "ResourceNotFound",
        "Request references a resource that does not exist.",
    )
    sfn.delete_state_machine_version(stateMachineVersionArn=f"{arn}:1")


@pytest.mark.parametrize(
    ("routing", "message"),
    [
        (
            [("", 100)],
            "Routing configuration must contain state machine version ARNs. Received: [{arn}]",
        ),
        (
            [(":1", 50), (":1", 50)],
            "Routing configuration must contain distinct state machine version ARNs. "
            "Received: [{arn}:1, {arn}:1]",
        ),
        (
            [(":1", 70), (":2", 29)],
            "Sum of routing configuration weights must equal 100. Received: [70, 29]",
        ),
        (
            [(":1", 70), (":2", 31)],
            "Sum of routing configuration weights must equal 100. Received: [70, 31]",
        ),
    ],
)
def test_alias_routing_is_checked(
    server: Server, routing: list[tuple[str, int]], message: str
) -> None:
    arn = _two_versions(server)
    given: list[dict[str, Any]] = [
        {"stateMachineVersionArn": f"{arn}{suffix}", "weight": weight} for suffix, weight in routing
    ]
    assert error(server.sfn.create_state_machine_alias, name="a", routingConfiguration=given) == (
        "ValidationException",
        message.format(arn=arn),
    )


def test_alias_names_follow_the_model(server: Server) -> None:
    arn = _two_versions(server)
    routing = [{"stateMachineVersionArn": f"{arn}:1", "weight": 100}]
    code, message = error(
        server.sfn.create_state_machine_alias, name="123", routingConfiguration=routing
    )
    assert code == "ValidationException"
    assert message.startswith("1 validation error detected: Value '123' at 'name'")


# --- tags and activities ----------------------------------------------------------------------


def test_tags_of_state_machines_and_activities(server: Server) -> None:
    sfn = server.sfn
    machine = server.machine(tags=[{"key": "a", "value": "1"}], publish=True)
    activity = sfn.create_activity(name=unique("act"), tags=[{"key": "x", "value": "y"}])[
        "activityArn"
    ]
    sfn.tag_resource(
        resourceArn=machine, tags=[{"key": "b", "value": ""}, {"key": "a", "value": "2"}]
    )
    assert sfn.list_tags_for_resource(resourceArn=machine)["tags"] == [
        {"key": "a", "value": "2"},
        {"key": "b", "value": ""},
    ]
    sfn.untag_resource(resourceArn=machine, tagKeys=["a", "nope"])
    assert sfn.list_tags_for_resource(resourceArn=machine)["tags"] == [{"key": "b", "value": ""}]
    assert sfn.list_tags_for_resource(resourceArn=activity)["tags"] == [{"key": "x", "value": "y"}]
    version = f"{machine}:1"
    assert error(sfn.tag_resource, resourceArn=version, tags=[{"key": "k", "value": "v"}]) == (
        "ResourceNotFound",
        f"Resource not found: '{version}'",
    )
    code, _ = error(
        sfn.tag_resource,
        resourceArn=machine,
        tags=[{"key": f"k{i}", "value": "v"} for i in range(50)],
    )
    assert code == "TooManyTags"


def test_activities(server: Server) -> None:
    sfn = server.sfn
    name = unique("act")
    created = sfn.create_activity(name=name)
    arn = created["activityArn"]
    assert arn == f"arn:aws:states:{REGION}:{ACCOUNT}:activity:{name}"
    # Idempotent by name.
    assert sfn.create_activity(name=name)["activityArn"] == arn
    got = sfn.describe_activity(activityArn=arn)
    assert got["name"] == name and got["creationDate"] == created["creationDate"]
    assert arn in [a["activityArn"] for a in sfn.list_activities()["activities"]]
    sfn.delete_activity(activityArn=arn)
    sfn.delete_activity(activityArn=arn)
    assert error(sfn.describe_activity, activityArn=arn) == (
        "ActivityDoesNotExist",
        f"Activity Does Not Exist: '{arn}'",
    )
    assert error(sfn.get_activity_task, activityArn=arn) == (
        "ActivityDoesNotExist",
        f"Activity Does Not Exist: '{arn}'",
    )


def test_the_configuration_survives_a_restart(tmp_path: Any) -> None:
    from altus.testing import Harness

    store = f"sqlite:{tmp_path / 'altus.db'}"
    with Harness(store=store, data_dir=tmp_path) as first:
        sfn = first.client("stepfunctions")
        arn = sfn.create_state_machine(name="kept", definition=PASS, roleArn=ROLE, publish=True)[
            "stateMachineArn"
        ]
        sfn.create_state_machine_alias(
            name="a", routingConfiguration=[{"stateMachineVersionArn": f"{arn}:1", "weight": 100}]
        )
        activity = sfn.create_activity(name="kept")["activityArn"]
    with Harness(store=store, data_dir=tmp_path) as second:
        sfn = second.client("stepfunctions")
        assert sfn.describe_state_machine(stateMachineArn=f"{arn}:1")["name"] == "kept"
        assert sfn.describe_state_machine_alias(stateMachineAliasArn=f"{arn}:a")["name"] == "a"
        assert sfn.describe_activity(activityArn=activity)["name"] == "kept"
