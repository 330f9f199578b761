"""Request members -> configuration fields: what CreateFunction and
UpdateFunctionConfiguration ask for, checked against Lambda's own rules (the API model
has checked types, lengths, ranges and enums before)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from altus.control import validation
from altus.control.errors import InvalidParameterValue, ResourceNotFound
from altus.control.model import FunctionConfig
from altus.runtimes.registry import check_runtime

_MANDATORY = (
    "Runtime and Handler are mandatory parameters for functions created with deployment packages."
)
#: Members copied as they are: request member -> FunctionConfig field.
_SIMPLE = {
    "Description": "description",
    "Timeout": "timeout",
    "MemorySize": "memory_size",
    "KMSKeyArn": "kms_key_arn",
}


def config_fields(
    body: Mapping[str, Any], *, creating: bool, base: FunctionConfig | None = None
) -> dict[str, Any]:
    """FunctionConfig fields for the members ``body`` has (all of them when
    ``creating``); ``base`` is the configuration an update starts from."""
    if body.get("PackageType", "Zip") == "Image":
        raise InvalidParameterValue(
            "Container image packages are not supported by this Altus installation; "
            "use PackageType Zip."
        )
    fields: dict[str, Any] = {}
    runtime = body.get("Runtime")
    if runtime is not None:
        check_runtime(runtime)
        fields["runtime"] = runtime
    elif creating:
        raise InvalidParameterValue(_MANDATORY)
    if "Handler" in body:
        fields["handler"] = body["Handler"]
    elif creating:
        raise InvalidParameterValue(_MANDATORY)
    for member, field in _SIMPLE.items():
        if member in body:
            fields[field] = body[member]
    if "Environment" in body:
        variables = dict((body["Environment"] or {}).get("Variables") or {})
        validation.check_environment(variables)
        fields["environment"] = variables
    if "TracingConfig" in body:
        fields["tracing_mode"] = body["TracingConfig"].get("Mode", "PassThrough")
    if "DeadLetterConfig" in body:
        target = (body["DeadLetterConfig"] or {}).get("TargetArn") or None
        if target is not None:
            validation.check_dead_letter_target(target)
        fields["dead_letter_target"] = target
    if "EphemeralStorage" in body:
        fields["ephemeral_storage"] = body["EphemeralStorage"]["Size"]
    if body.get("Architectures"):
        fields["architectures"] = tuple(body["Architectures"])
    if "VpcConfig" in body:
        vpc = dict(body["VpcConfig"] or {})
        fields["vpc_config"] = (
            vpc if (vpc.get("SubnetIds") or vpc.get("SecurityGroupIds")) else None
        )
    if "SnapStart" in body:
        fields["snap_start"] = body["SnapStart"].get("ApplyOn", "None")
    if "ImageConfig" in body:
        fields["image_config"] = dict(body["ImageConfig"] or {}) or None
    if "LoggingConfig" in body:
        fields.update(_logging_fields(body["LoggingConfig"], base))
    if body.get("FileSystemConfigs"):
        raise InvalidParameterValue(
            "FileSystemConfigs (Amazon EFS) are not supported by this Altus installation."
        )
    if body.get("CodeSigningConfigArn"):
        raise ResourceNotFound(f"Code signing config not found: {body['CodeSigningConfigArn']}")
    return fields


def _logging_fields(config: Mapping[str, Any], base: FunctionConfig | None) -> dict[str, Any]:
    log_format = config.get("LogFormat", base.log_format if base else "Text")
    fields: dict[str, Any] = {"log_format": log_format}
    for member, field in (
        ("ApplicationLogLevel", "application_log_level"),
        ("SystemLogLevel", "system_log_level"),
        ("LogGroup", "log_group"),
    ):
        if member in config:
            fields[field] = config[member]
    if log_format != "JSON":
        if "ApplicationLogLevel" in config or "SystemLogLevel" in config:
            raise InvalidParameterValue(
                'LogLevel is not supported when LogFormat is set to "Text". Remove '
                'LogLevel from your request or change the LogFormat to "JSON" and '
                "try again."
            )
        # Levels filter JSON logs only; back to Text, a function has none.
        fields["application_log_level"] = fields["system_log_level"] = None
    return fields


def routing_weights(body: Mapping[str, Any]) -> dict[str, float]:
    """An alias request's ``RoutingConfig.AdditionalVersionWeights``."""
    routing = body.get("RoutingConfig") or {}
    # + 0.0 turns a -0.0 weight into 0.0, so it is stored and rendered as AWS does.
    return {
        str(k): float(v) + 0.0 for k, v in (routing.get("AdditionalVersionWeights") or {}).items()
    }
