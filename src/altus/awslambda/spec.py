"""The Lambda service, as the framework sees it: botocore's ``lambda`` model (rest-json),
its operations, its tables, its component, function URLs by path and by host, and its
pages under ``/_altus``."""

from __future__ import annotations

from altus.api.model import Overrides
from altus.api.spec import Schemas, ServiceSpec
from altus.awslambda import (
    actions,
    admin,
    configs,
    cost,
    functions,
    invoke,
    layers,
    mappings,
    recordings_routes,
    tuning_routes,
    url_http,
)
from altus.awslambda.component import Lambda
from altus.awslambda.sql_recording_store import SCHEMA as RECORDINGS
from altus.awslambda.tuning_sql_store import SCHEMA as TUNINGS
from altus.awslambda.usage_store import SCHEMA as USAGE
from altus.awslambda.violations import LambdaViolations
from altus.control.sql_store import SCHEMA as FUNCTIONS
from altus.engine.async_store import SCHEMA as ASYNC
from altus.errors import AltusError
from altus.events.sql_store import SCHEMA as MAPPINGS

SPEC = ServiceSpec(
    name="lambda",
    operations={
        "CreateFunction": functions.create_function,
        "ListFunctions": functions.list_functions,
        "GetFunction": functions.get_function,
        "GetFunctionConfiguration": functions.get_function_configuration,
        "UpdateFunctionCode": functions.update_function_code,
        "UpdateFunctionConfiguration": functions.update_function_configuration,
        "DeleteFunction": functions.delete_function,
        "PublishVersion": functions.publish_version,
        "ListVersionsByFunction": functions.list_versions_by_function,
        "CreateAlias": functions.create_alias,
        "ListAliases": functions.list_aliases,
        "GetAlias": functions.get_alias,
        "UpdateAlias": functions.update_alias,
        "DeleteAlias": functions.delete_alias,
        "GetAccountSettings": functions.get_account_settings,
        "Invoke": invoke.invoke,
        "InvokeAsync": invoke.invoke_async,
        "InvokeWithResponseStream": invoke.invoke_with_response_stream,
        "PublishLayerVersion": layers.publish_layer_version,
        "GetLayerVersion": layers.get_layer_version,
        "GetLayerVersionByArn": layers.get_layer_version_by_arn,
        "ListLayers": layers.list_layers,
        "ListLayerVersions": layers.list_layer_versions,
        "DeleteLayerVersion": layers.delete_layer_version,
        "AddLayerVersionPermission": layers.add_layer_version_permission,
        "GetLayerVersionPolicy": layers.get_layer_version_policy,
        "RemoveLayerVersionPermission": layers.remove_layer_version_permission,
        "AddPermission": configs.add_permission,
        "GetPolicy": configs.get_policy,
        "RemovePermission": configs.remove_permission,
        "PutFunctionConcurrency": configs.put_function_concurrency,
        "GetFunctionConcurrency": configs.get_function_concurrency,
        "DeleteFunctionConcurrency": configs.delete_function_concurrency,
        "PutProvisionedConcurrencyConfig": configs.put_provisioned_concurrency_config,
        "GetProvisionedConcurrencyConfig": configs.get_provisioned_concurrency_config,
        "ListProvisionedConcurrencyConfigs": configs.list_provisioned_concurrency_configs,
        "DeleteProvisionedConcurrencyConfig": configs.delete_provisioned_concurrency_config,
        "CreateFunctionUrlConfig": configs.create_function_url_config,
        "GetFunctionUrlConfig": configs.get_function_url_config,
        "UpdateFunctionUrlConfig": configs.update_function_url_config,
        "DeleteFunctionUrlConfig": configs.delete_function_url_config,
        "ListFunctionUrlConfigs": configs.list_function_url_configs,
        "PutFunctionEventInvokeConfig": configs.put_function_event_invoke_config,
        "UpdateFunctionEventInvokeConfig": configs.update_function_event_invoke_config,
        "GetFunctionEventInvokeConfig": configs.get_function_event_invoke_config,
        "DeleteFunctionEventInvokeConfig": configs.delete_function_event_invoke_config,
        "ListFunctionEventInvokeConfigs": configs.list_function_event_invoke_configs,
        "CreateEventSourceMapping": mappings.create_event_source_mapping,
        "GetEventSourceMapping": mappings.get_event_source_mapping,
        "UpdateEventSourceMapping": mappings.update_event_source_mapping,
        "DeleteEventSourceMapping": mappings.delete_event_source_mapping,
        "ListEventSourceMappings": mappings.list_event_source_mappings,
        "TagResource": configs.tag_resource,
        "UntagResource": configs.untag_resource,
        "ListTags": configs.list_tags,
    },
    errors=AltusError,
    violations=LambdaViolations(),
    build=Lambda,
    # Recorded invocations in a database of their own (SQLite: recordings.db), which a
    # power cut may cut short: replay material, not configuration.
    schemas=(
        Schemas((FUNCTIONS, ASYNC, MAPPINGS, TUNINGS, USAGE)),
        Schemas((RECORDINGS,), database="recordings", durable=False),
    ),
    overrides=Overrides(
        # The model's ranges now include Lambda Managed Instances (Timeout up to 5400 s,
        # MemorySize up to 32768 MB); Altus emulates standard functions.
        limits={
            "Timeout": {"max": 900},
            "MemorySize": {"max": 10240},
            "EphemeralStorageSize": {"max": 10240},
            "Topics": {"min": 1, "max": 20},
        },
        # A destination may also be an http(s) URL: a signed webhook (docs/engine.md).
        # A broker mapping's endpoint is a URL (amqp://, redis://, nats://, mqtt://,
        # postgresql://), and its topics are stream keys, subjects, MQTT filters or
        # tables, several to a mapping (docs/brokers.md).
        patterns={
            "DestinationArn": r"https?://[^\s/?#]+(/\S*)?",
            "Endpoint": r"[A-Za-z][A-Za-z0-9+.\-]*://\S+",
            "Topic": r"[^\x00]+",
        },
        # Endpoint keys besides KAFKA_BOOTSTRAP_SERVERS: checked, in Lambda's words, by
        # the mapping's validation (altus.events.validation.broker_of).
        open_enums=frozenset({"EndPointType"}),
    ),
    # A CreateFunction request carries a 50 MB zip, base64-encoded: Lambda's own limit.
    body_limit=70_167_211,
    actions=actions.actions,
    routes=lambda lam: [
        *admin.routes(lam),
        *recordings_routes.routes(lam),
        *tuning_routes.routes(lam),
        *cost.routes(lam),
    ],
    open_routes=lambda lam: [*url_http.routes(lam), *lam.code_urls.routes(lam.code.zip_path)],
    hosts=url_http.host_rule,
    default_error_shape="InvalidParameterValueException",
)
