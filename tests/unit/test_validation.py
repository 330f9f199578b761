"""Request validation against botocore's model, and Lambda's own rules."""

from typing import Any

import pytest

from altus.api.model import service_model
from altus.api.validate import Unreadable, check
from altus.awslambda.spec import SPEC
from altus.control.errors import InvalidParameterValue, InvalidRequestContent, ValidationFailed
from altus.control.validation import check_environment


def validate_body(operation: str, body: object) -> dict[str, Any]:
    """CreateFunction's members checked as the Lambda service checks them at the edge."""
    shape = service_model("lambda").operation_model(operation).input_shape
    try:
        checked, problems = check(shape, body, SPEC.overrides)  # type: ignore[arg-type]
    except Unreadable as error:
        raise SPEC.violations.unreadable(error) from None
    if problems:
        raise SPEC.violations.invalid(problems)
    return checked


BASE = {
    "FunctionName": "f",
    "Role": "arn:aws:iam::123456789012:role/r",
    "Code": {"ZipFile": "UEsFBgAAAAAAAAAAAAAAAAAAAAAAAA=="},
    "Runtime": "python3.12",
    "Handler": "app.handler",
}


def test_valid_body_decodes_blobs():
    body = validate_body("CreateFunction", BASE)
    assert body["Code"]["ZipFile"].startswith(b"PK")


def test_missing_required_member():
    with pytest.raises(ValidationFailed, match="Value null at 'role'"):
        validate_body("CreateFunction", {k: v for k, v in BASE.items() if k != "Role"})


def test_several_errors_are_counted():
    with pytest.raises(ValidationFailed) as excinfo:
        validate_body("CreateFunction", {**BASE, "MemorySize": 64, "Timeout": 0})
    message = str(excinfo.value)
    assert message.startswith("2 validation errors detected: ")
    assert (
        "Value '64' at 'memorySize' failed to satisfy constraint: Member must have value "
        "greater than or equal to 128" in message
    )
    assert "Value '0' at 'timeout'" in message


def test_standard_function_limits_narrow_the_model():
    with pytest.raises(ValidationFailed, match="less than or equal to 900"):
        validate_body("CreateFunction", {**BASE, "Timeout": 1000})
    with pytest.raises(ValidationFailed, match="less than or equal to 10240"):
        validate_body("CreateFunction", {**BASE, "MemorySize": 10241})
    validate_body("CreateFunction", {**BASE, "Timeout": 900, "MemorySize": 10240})


def test_enum_and_pattern():
    with pytest.raises(ValidationFailed, match="enum value set"):
        validate_body("CreateFunction", {**BASE, "Runtime": "cobol"})
    with pytest.raises(ValidationFailed, match="regular expression"):
        validate_body("CreateFunction", {**BASE, "Handler": "has space"})


def test_wrong_json_types_are_request_content_errors():
    with pytest.raises(InvalidRequestContent):
        validate_body("CreateFunction", {**BASE, "Timeout": "3"})
    with pytest.raises(InvalidRequestContent):
        validate_body("CreateFunction", {**BASE, "Code": {"ZipFile": "%%%"}})
    with pytest.raises(InvalidRequestContent):
        validate_body("CreateFunction", [])


def test_tags_with_unicode_letters_pass():
    validate_body("CreateFunction", {**BASE, "Tags": {"équipe": "données"}})


def test_environment_rules():
    check_environment({"GOOD_NAME": "x"})
    with pytest.raises(
        InvalidParameterValue, match="Reserved keys used in this request: AWS_REGION,_HANDLER"
    ):
        check_environment({"_HANDLER": "x", "AWS_REGION": "y"})
    with pytest.raises(InvalidParameterValue, match="4KB"):
        check_environment({"BIG": "x" * 4090})
