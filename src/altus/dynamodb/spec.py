"""The DynamoDB service and the DynamoDB Streams service, as the framework sees them:
botocore's ``dynamodb`` model (awsJson 1.0, ``X-Amz-Target: DynamoDB_20120810.<Op>``)
and ``dynamodbstreams`` (``DynamoDBStreams_20120810.<Op>``, signed as ``dynamodb``), the
operations each serves (tables, items, queries; the stream's records), their errors, and
one component: the streams' is a view of the tables' (``streams_api.Streams``)."""

from __future__ import annotations

from altus.api.spec import Schemas, ServiceSpec
from altus.api.validate import CoralViolations
from altus.dynamodb import actions, items_api, partiql_api, query_api, streams_api, tables_api
from altus.dynamodb.component import DynamoDB
from altus.dynamodb.errors import (
    DynamoDBError,
    StreamsError,
    StreamsValidation,
    ValidationException,
)
from altus.dynamodb.sql_store import SCHEMA

SPEC = ServiceSpec(
    name="dynamodb",
    operations={
        **tables_api.OPERATIONS,
        **items_api.OPERATIONS,
        **query_api.OPERATIONS,
        **partiql_api.OPERATIONS,
    },
    errors=DynamoDBError,
    violations=CoralViolations(ValidationException),
    build=DynamoDB,
    schemas=(Schemas((SCHEMA,)),),
    # A request of 25 items of 400 KB each (BatchWriteItem, TransactWriteItems: 100
    # actions) in JSON, with room for the base64 of binary attributes.
    body_limit=48 * 1024 * 1024,
    actions=actions.actions,
)

STREAMS_SPEC = ServiceSpec(
    name="dynamodbstreams",
    operations=streams_api.OPERATIONS,
    errors=StreamsError,
    violations=CoralViolations(StreamsValidation),
    build=streams_api.build,
    actions=actions.actions,
)
