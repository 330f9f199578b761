"""The states that hold state machines of their own: Parallel (``Branches``) and Map
(``ItemProcessor``, or the older ``Iterator``), with the Distributed Map's fields. The
nested scopes are handed back to the scope walk (``Context.visit_scope``); a branch or an
ItemProcessor carries no ``QueryLanguage`` of its own (AWS: ``Field 'QueryLanguage' is not
supported`` at ``/States/M/ItemProcessor``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from altus.asl.definition import JSONATA, JSONPATH
from altus.asl.validation_context import Context, is_expression
from altus.asl.validation_values import check_reference_path, check_template

_SCOPE = frozenset(("StartAt", "States", "Comment"))
_PROCESSOR = _SCOPE | {"ProcessorConfig"}
_DISTRIBUTED_ONLY = (
    "ItemReader",
    "ItemBatcher",
    "ResultWriter",
    "ToleratedFailurePercentage",
    "ToleratedFailurePercentagePath",
    "ToleratedFailureCount",
    "ToleratedFailureCountPath",
    "Label",
)
_READER = frozenset(("Resource", "ReaderConfig", "Parameters", "Arguments"))
_READER_CONFIG = frozenset(
    (
        "InputType",
        "CSVHeaderLocation",
        "CSVHeaders",
        "CSVDelimiter",
        "MaxItems",
        "MaxItemsPath",
        "ManifestType",
        "Transformation",
    )
)
_INPUT_TYPES = ("CSV", "JSON", "JSONL", "MANIFEST", "PARQUET")
_READER_RESOURCES = frozenset(
    (
        "arn:aws:states:::s3:getObject",
        "arn:aws:states:::s3:listObjectsV2",
        "arn:aws:states:::aws-sdk:s3:getObject",
        "arn:aws:states:::aws-sdk:s3:listObjectsV2",
    )
)
_BATCHER = frozenset(
    (
        "MaxItemsPerBatch",
        "MaxItemsPerBatchPath",
        "MaxInputBytesPerBatch",
        "MaxInputBytesPerBatchPath",
        "BatchInput",
    )
)
_WRITER = frozenset(("Resource", "Parameters", "Arguments", "WriterConfig"))
_WRITER_RESOURCE = "arn:aws:states:::s3:putObject"


def check_parallel(ctx: Context, state: Mapping[str, Any], location: str) -> None:
    if not ctx.required(state, ("Branches",), location):
        return
    here = f"{location}/Branches"
    branches = state["Branches"]
    if not ctx.type_is(branches, "ARRAY", here):
        return
    if not branches:
        ctx.error("Minimum number of items is 1", here)
    for index, branch in enumerate(branches):
        _check_scope(ctx, branch, _SCOPE, f"{here}[{index}]")


def check_map(ctx: Context, state: Mapping[str, Any], language: str, location: str) -> None:
    ctx.exclusive(state, ("ItemProcessor", "Iterator"), location)
    ctx.exclusive(state, ("ItemSelector", "Parameters"), location)
    mode = "INLINE"
    if "ItemProcessor" in state:
        mode = _check_processor(ctx, state["ItemProcessor"], f"{location}/ItemProcessor")
    elif "Iterator" in state:
        _check_scope(ctx, state["Iterator"], _SCOPE, f"{location}/Iterator")
    else:
        ctx.error("These fields are required: [ItemProcessor]", location)
    if mode != "DISTRIBUTED":
        for name in _DISTRIBUTED_ONLY:
            if name in state:
                ctx.error(
                    f"Field '{name}' is only supported when the ProcessorConfig Mode is "
                    "'DISTRIBUTED'",
                    location,
                )

    if language == JSONPATH and "ItemsPath" in state:
        check_reference_path(ctx, state["ItemsPath"], "ItemsPath", f"{location}/ItemsPath")
    if language == JSONATA and "Items" in state:
        items = state["Items"]
        if not isinstance(items, list) and not is_expression(items):
            ctx.error(
                "The field 'Items' must be an array or a JSONata expression", f"{location}/Items"
            )
    if "ItemSelector" in state:
        ctx.type_is(state["ItemSelector"], "OBJECT", f"{location}/ItemSelector")

    ctx.exclusive(state, ("MaxConcurrency", "MaxConcurrencyPath"), location)
    if "MaxConcurrency" in state:
        # No ceiling: AWS takes any count (and runs at most its own limit at once).
        ctx.integer_or_expression(
            state["MaxConcurrency"], language, f"{location}/MaxConcurrency", 0, None
        )
    ctx.exclusive(state, ("ToleratedFailurePercentage", "ToleratedFailurePercentagePath"), location)
    if "ToleratedFailurePercentage" in state:
        value = state["ToleratedFailurePercentage"]
        if not (language == JSONATA and is_expression(value)):
            ctx.number(value, f"{location}/ToleratedFailurePercentage", 0, 100)
    ctx.exclusive(state, ("ToleratedFailureCount", "ToleratedFailureCountPath"), location)
    if "ToleratedFailureCount" in state:
        ctx.integer_or_expression(
            state["ToleratedFailureCount"], language, f"{location}/ToleratedFailureCount", 0
        )
    for name in (
        "MaxConcurrencyPath",
        "ToleratedFailurePercentagePath",
        "ToleratedFailureCountPath",
    ):
        if name in state and language == JSONPATH:
            check_reference_path(ctx, state[name], name, f"{location}/{name}")
    if "Label" in state:
        ctx.type_is(state["Label"], "STRING", f"{location}/Label")

    if "ItemReader" in state:
        _check_reader(ctx, state["ItemReader"], language, f"{location}/ItemReader")
    if "ItemBatcher" in state and ctx.type_is(
        state["ItemBatcher"], "OBJECT", f"{location}/ItemBatcher"
    ):
        ctx.allowed(state["ItemBatcher"], _BATCHER, f"{location}/ItemBatcher")
    if "ResultWriter" in state:
        _check_writer(ctx, state["ResultWriter"], language, f"{location}/ResultWriter")


def _check_processor(ctx: Context, processor: object, location: str) -> str:
    """Check an ItemProcessor; its mode (INLINE unless it says DISTRIBUTED)."""
    if not _check_scope(ctx, processor, _PROCESSOR, location):
        return "INLINE"
    assert isinstance(processor, Mapping)
    config = processor.get("ProcessorConfig")
    if config is None:
        return "INLINE"
    here = f"{location}/ProcessorConfig"
    if not ctx.type_is(config, "OBJECT", here):
        return "INLINE"
    ctx.allowed(config, ("Mode", "ExecutionType"), here)
    mode = config.get("Mode", "INLINE")
    if "Mode" in config and not ctx.one_of(mode, ("INLINE", "DISTRIBUTED"), f"{here}/Mode"):
        return "INLINE"
    if "ExecutionType" in config:
        ctx.one_of(config["ExecutionType"], ("STANDARD", "EXPRESS"), f"{here}/ExecutionType")
    elif mode == "DISTRIBUTED":
        ctx.error("These fields are required: [ExecutionType]", here)
    return str(mode)


def _check_scope(ctx: Context, scope: object, fields: frozenset[str], location: str) -> bool:
    """A branch or an ItemProcessor: an object with StartAt and States, walked as a scope."""
    if not ctx.type_is(scope, "OBJECT", location):
        return False
    assert isinstance(scope, Mapping)
    ctx.allowed(scope, fields, location)
    if ctx.visit_scope is not None:
        ctx.visit_scope(scope, location)
    return True


def _check_reader(ctx: Context, reader: object, language: str, location: str) -> None:
    if not ctx.type_is(reader, "OBJECT", location):
        return
    assert isinstance(reader, Mapping)
    ctx.allowed(reader, _READER, location)
    if ctx.required(reader, ("Resource",), location):
        resource = reader["Resource"]
        if (
            ctx.type_is(resource, "STRING", f"{location}/Resource")
            and resource not in _READER_RESOURCES
        ):
            ctx.error(
                f"The resource '{resource}' is not supported for the ItemReader",
                f"{location}/Resource",
            )
    config = reader.get("ReaderConfig")
    if config is not None and ctx.type_is(config, "OBJECT", f"{location}/ReaderConfig"):
        ctx.allowed(config, _READER_CONFIG, f"{location}/ReaderConfig")
        if "InputType" in config:
            ctx.one_of(config["InputType"], _INPUT_TYPES, f"{location}/ReaderConfig/InputType")
    _check_arguments(ctx, reader, language, location)


def _check_writer(ctx: Context, writer: object, language: str, location: str) -> None:
    if not ctx.type_is(writer, "OBJECT", location):
        return
    assert isinstance(writer, Mapping)
    ctx.allowed(writer, _WRITER, location)
    if "Resource" not in writer and "WriterConfig" not in writer:
        ctx.error("These fields are required: [Resource]", location)
    if "Resource" in writer:
        resource = writer["Resource"]
        if resource != _WRITER_RESOURCE:
            ctx.error(
                f"The resource '{resource}' is not supported for the ResultWriter",
                f"{location}/Resource",
            )
        if "Parameters" not in writer and "Arguments" not in writer:
            ctx.error("These fields are required: [Parameters]", location)
    config = writer.get("WriterConfig")
    here = f"{location}/WriterConfig"
    if config is not None and ctx.type_is(config, "OBJECT", here):
        assert isinstance(config, Mapping)
        ctx.allowed(config, ("Transformation", "OutputType"), here)
        if "Transformation" in config:
            ctx.one_of(
                config["Transformation"], ("NONE", "COMPACT", "FLATTEN"), f"{here}/Transformation"
            )
        if "OutputType" in config:
            ctx.one_of(config["OutputType"], ("JSON", "JSONL"), f"{here}/OutputType")
    _check_arguments(ctx, writer, language, location)


def _check_arguments(ctx: Context, holder: Mapping[str, Any], language: str, location: str) -> None:
    """An ItemReader's or ResultWriter's Parameters (JSONPath) or Arguments (JSONata)."""
    wrong = "Arguments" if language == JSONPATH else "Parameters"
    if wrong in holder:
        ctx.error(f"Field '{wrong}' is not supported", f"{location}/{wrong}")
    here = f"{location}/Parameters"
    if (
        language == JSONPATH
        and "Parameters" in holder
        and ctx.type_is(holder["Parameters"], "OBJECT", here)
    ):
        check_template(ctx, holder["Parameters"], here)
