"""The SQS-compatible queues, as the framework sees them: botocore's ``sqs`` model
(awsJson 1.0, what current SDKs send) and the query protocol older SDKs and tools still
send, with the query-era wire names and error codes the model no longer carries."""

from __future__ import annotations

import contextlib

from altus.api.model import Overrides
from altus.api.spec import Context, Schemas, ServiceSpec
from altus.api.validate import Problem, Unreadable
from altus.errors import AltusError
from altus.queues import actions, api, legacy
from altus.queues.errors import (
    LEGACY_CODES,
    STATUSES,
    InvalidAction,
    InvalidParameterValue,
    MissingParameter,
    QueueError,
    UnsupportedOperation,
)
from altus.queues.mapping_source import QueueMappingSource
from altus.queues.metrics import QueueDepths
from altus.queues.service import QueueService
from altus.queues.sql_store import SCHEMA, SqlQueueStore


class QueueViolations:
    """SQS's words for what its model refuses: a missing member is ``MissingParameter``
    (``The request must contain the parameter QueueUrl.``), anything else
    ``InvalidParameterValue``."""

    def invalid(self, problems: list[Problem]) -> AltusError:
        first = problems[0]
        if first.kind == "required":
            return MissingParameter(f"The request must contain the parameter {first.member}.")
        shown = first.shown.strip("'")
        return InvalidParameterValue(
            f"Value {shown} for parameter {first.member} is invalid. Reason: {first.constraint}."
        )

    def unreadable(self, error: Unreadable) -> AltusError:
        if not error.path:
            return InvalidParameterValue(f"The request body is not {error.expected}.")
        return InvalidParameterValue(
            f"Value for parameter {error.member} is invalid. Reason: expected {error.expected}."
        )


def _unknown(name: str | None) -> AltusError:
    if name is None:
        return InvalidAction("The action is not valid for this endpoint.")
    return UnsupportedOperation(f"{name} is not supported by Altus's queues.")


def _build(context: Context) -> QueueService:
    queues = QueueService(
        SqlQueueStore(context.storage.database()), context.account, clock=context.clock
    )
    context.targets.register("sqs", queues)
    context.sources.register("sqs", QueueMappingSource(queues))
    # Its AWS/SQS metrics, sampled once a minute, where the platform keeps metrics (the
    # metrics component is built first).
    with contextlib.suppress(LookupError):
        context.component("cloudwatch").register(QueueDepths(queues))
    return queues


SPEC = ServiceSpec(
    name="sqs",
    operations={
        "CreateQueue": api.create_queue,
        "GetQueueUrl": api.get_queue_url,
        "ListQueues": api.list_queues,
        "DeleteQueue": api.delete_queue,
        "GetQueueAttributes": api.get_queue_attributes,
        "SetQueueAttributes": api.set_queue_attributes,
        "ListDeadLetterSourceQueues": api.list_dead_letter_source_queues,
        "TagQueue": api.tag_queue,
        "UntagQueue": api.untag_queue,
        "ListQueueTags": api.list_queue_tags,
        "PurgeQueue": api.purge_queue,
        "SendMessage": api.send_message,
        "SendMessageBatch": api.send_message_batch,
        "ReceiveMessage": api.receive_message,
        "DeleteMessage": api.delete_message,
        "DeleteMessageBatch": api.delete_message_batch,
        "ChangeMessageVisibility": api.change_message_visibility,
        "ChangeMessageVisibilityBatch": api.change_message_visibility_batch,
    },
    errors=QueueError,
    violations=QueueViolations(),
    build=_build,
    schemas=(Schemas((SCHEMA,)),),
    clock_skew_minutes=15,
    actions=actions.actions,
    overrides=Overrides(
        error_codes=LEGACY_CODES,
        error_statuses=STATUSES,
        wire_names=legacy.WIRE_NAMES,
        map_names=legacy.MAP_NAMES,
        xml_namespace=legacy.XML_NAMESPACE,
        # The service checks attribute names itself: ReceiveMessage's AttributeNames
        # takes message system attribute names too, and each refusal is
        # InvalidAttributeName with SQS's words.
        open_enums=frozenset(
            {
                "QueueAttributeName",
                "MessageSystemAttributeName",
                "MessageSystemAttributeNameForSends",
            }
        ),
    ),
    extra_protocols=("query",),
    implied=api.implied,
    unknown=_unknown,
)
