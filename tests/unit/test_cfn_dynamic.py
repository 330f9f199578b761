"""Dynamic references ({{resolve:ssm|ssm-secure|secretsmanager:...}}) replaced in strings."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from altus.cloudformation.dynamic import (
    MAX_REFERENCES,
    check_count,
    count,
    has_dynamic,
    resolve_dynamic,
    secret_reference,
    ssm_reference,
)
from altus.cloudformation.errors import TemplateError, ValidationError

ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:MySecret-a1b2c3"


class FakeLookup:
    def __init__(self) -> None:
        self.parameters = {
            ("/app/url", None): "https://x",
            ("/app/url", 2): "https://old",
            ("/db/pass", None): "p@ss",
        }
        self.secrets = {
            ("MySecret", None, None): json.dumps(
                {"username": "admin", "password": "pw", "port": 5432, "opts": {"a": 1}}
            ),
            ("MySecret", "AWSPREVIOUS", None): json.dumps({"password": "old"}),
            ("MySecret", None, "v-1"): json.dumps({"password": "v1"}),
            (ARN, None, None): "plain-text",
        }
        self.calls: list[tuple[Any, ...]] = []

    async def parameter(self, name: str, version: int | None) -> str:
        self.calls.append(("parameter", name, version))
        if (name, version) not in self.parameters:
            raise ValidationError(
                f"Unable to fetch parameters [{name}] from parameter store for this account."
            )
        return self.parameters[(name, version)]

    async def secret(self, secret_id: str, stage: str | None, version_id: str | None) -> str:
        self.calls.append(("secret", secret_id, stage, version_id))
        if (secret_id, stage, version_id) not in self.secrets:
            raise ValidationError("Secrets Manager can't find the specified secret.")
        return self.secrets[(secret_id, stage, version_id)]


def run(value: Any, lookup: FakeLookup | None = None) -> Any:
    return asyncio.run(resolve_dynamic(value, lookup or FakeLookup()))


def message(error: BaseException) -> str:
    return str(getattr(error, "message", None) or error)


def test_ssm_references():
    assert run("{{resolve:ssm:/app/url}}") == "https://x"
    assert run("{{resolve:ssm:/app/url:2}}") == "https://old"
    assert run("{{resolve:ssm-secure:/db/pass}}") == "p@ss"


def test_references_inside_longer_strings_and_structures():
    value = {
        "Url": "see {{resolve:ssm:/app/url}} and {{resolve:ssm:/app/url:2}}!",
        "List": [
            "{{resolve:secretsmanager:MySecret:SecretString:username}}",
            5,
            None,
            {"Nested": "{{resolve:ssm:/app/url}}"},
        ],
        "Plain": "{{not-a-reference}} {{resolve:other:x}}",
    }
    assert run(value) == {
        "Url": "see https://x and https://old!",
        "List": ["admin", 5, None, {"Nested": "https://x"}],
        "Plain": "{{not-a-reference}} {{resolve:other:x}}",
    }


def test_each_distinct_reference_is_fetched_once():
    lookup = FakeLookup()
    run(
        ["{{resolve:ssm:/app/url}}", "{{resolve:ssm:/app/url}}", "x{{resolve:ssm:/app/url}}"],
        lookup,
    )
    assert lookup.calls == [("parameter", "/app/url", None)]


def test_the_input_is_not_changed():
    value = {"A": ["{{resolve:ssm:/app/url}}"]}
    run(value)
    assert value == {"A": ["{{resolve:ssm:/app/url}}"]}


@pytest.mark.parametrize(
    ("reference", "expected", "call"),
    [
        ("{{resolve:secretsmanager:MySecret}}", None, ("MySecret", None, None)),
        ("{{resolve:secretsmanager:MySecret:SecretString}}", None, ("MySecret", None, None)),
        (
            "{{resolve:secretsmanager:MySecret:SecretString:password}}",
            "pw",
            ("MySecret", None, None),
        ),
        ("{{resolve:secretsmanager:MySecret::password}}", "pw", ("MySecret", None, None)),
        ("{{resolve:secretsmanager:MySecret:SecretString:port}}", "5432", ("MySecret", None, None)),
        (
            "{{resolve:secretsmanager:MySecret:SecretString:opts}}",
            '{"a":1}',
            ("MySecret", None, None),
        ),
        (
            "{{resolve:secretsmanager:MySecret:SecretString:password:AWSPREVIOUS}}",
            "old",
            ("MySecret", "AWSPREVIOUS", None),
        ),
        (
            "{{resolve:secretsmanager:MySecret:SecretString:password::v-1}}",
            "v1",
            ("MySecret", None, "v-1"),
        ),
        ("{{resolve:secretsmanager:MySecret:::}}", None, ("MySecret", None, None)),
        (f"{{{{resolve:secretsmanager:{ARN}}}}}", "plain-text", (ARN, None, None)),
        (f"{{{{resolve:secretsmanager:{ARN}:SecretString}}}}", "plain-text", (ARN, None, None)),
    ],
)
def test_secretsmanager_references(reference, expected, call):
    lookup = FakeLookup()
    result = run(reference, lookup)
    if expected is None:
        expected = lookup.secrets[call]
    assert result == expected
    assert lookup.calls == [("secret", *call)]


def test_secret_reference_parts():
    assert secret_reference("s", "r") == ("s", None, None, None)
    assert secret_reference(f"{ARN}:SecretString:k:AWSCURRENT", "r") == (
        ARN,
        "k",
        "AWSCURRENT",
        None,
    )
    assert secret_reference("s:SecretString:::", "r") == ("s", None, None, None)


def test_ssm_reference_parts():
    assert ssm_reference("/a/b", "r") == ("/a/b", None)
    assert ssm_reference("name:12", "r") == ("name", 12)
    shared = "arn:aws:ssm:us-east-1:123456789012:parameter/shared"
    assert ssm_reference(shared, "r") == (shared, None)
    assert ssm_reference(f"{shared}:3", "r") == (shared, 3)


@pytest.mark.parametrize(
    "reference",
    [
        "{{resolve:ssm:}}",
        "{{resolve:ssm:/a:x}}",
        "{{resolve:ssm:/a:0}}",
        "{{resolve:ssm:/a:1:2}}",
        "{{resolve:ssm-secure:/a:-1}}",
        "{{resolve:ssm:arn:aws:ssm:us-east-1:1:thing/x}}",
        "{{resolve:secretsmanager:}}",
        "{{resolve:secretsmanager::SecretString}}",
        "{{resolve:secretsmanager:s:SecretBinary}}",
        "{{resolve:secretsmanager:s:SecretString:k:stage:id:extra}}",
        "{{resolve:secretsmanager:arn:aws:secretsmanager:us-east-1:1}}",
    ],
)
def test_malformed_references(reference):
    with pytest.raises(ValidationError) as caught:
        run(reference)
    assert (
        message(caught.value)
        == f"Incorrect format is used in the following dynamic reference: [{reference}]"
    )


def test_stage_and_version_id_exclude_each_other():
    reference = "{{resolve:secretsmanager:MySecret:SecretString:password:AWSCURRENT:v-1}}"
    with pytest.raises(ValidationError, match="both a version stage and a version id"):
        run(reference)


def test_json_keys_the_secret_lacks():
    with pytest.raises(ValidationError) as caught:
        run("{{resolve:secretsmanager:MySecret:SecretString:nope}}")
    assert message(caught.value) == "Could not find SecretString key nope in secret MySecret"
    with pytest.raises(ValidationError, match="is not a JSON object"):
        run(f"{{{{resolve:secretsmanager:{ARN}:SecretString:key}}}}")


def test_lookup_errors_pass_through():
    with pytest.raises(ValidationError, match=r"Unable to fetch parameters \[/missing\]"):
        run("{{resolve:ssm:/missing}}")
    with pytest.raises(ValidationError, match="can't find the specified secret"):
        run("{{resolve:secretsmanager:Other}}")


def test_has_dynamic_and_count():
    assert has_dynamic({"a": ["x", {"b": "{{resolve:ssm:/p}}"}]})
    assert not has_dynamic({"{{resolve:ssm:/key}}": "value", "n": 5, "t": "{{resolve:other:x}}"})
    assert (
        count(["{{resolve:ssm:a}}{{resolve:ssm-secure:b}}", ("{{resolve:secretsmanager:c}}",)]) == 3
    )


def test_references_still_holding_sub_variables_count():
    assert count({"Fn::Sub": "{{resolve:ssm:/app/${Env}/url}} {{resolve:ssm:/x}}"}) == 2
    assert has_dynamic({"Fn::Sub": ["{{resolve:secretsmanager:${Secret}::password}}", {}]})


def test_at_most_sixty_references():
    check_count(
        {
            "Resources": {
                f"R{i}": {"Properties": {"V": "{{resolve:ssm:/p}}"}} for i in range(MAX_REFERENCES)
            }
        }
    )
    with pytest.raises(TemplateError) as caught:
        check_count(
            {"Resources": {f"R{i}": {"Properties": {"V": "{{resolve:ssm:/p}}"}} for i in range(61)}}
        )
    assert message(caught.value) == (
        "Template format error: the template holds 61 dynamic references; at most 60 are allowed"
    )
