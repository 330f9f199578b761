"""What SQS's query protocol calls things, where its current (JSON) model no longer says.

The query-era model (botocore 1.31.80, the last release with it) gave these members
``locationName`` traits: a flattened list's items and a flattened map's entries are
``<wire>.N`` on the form and repeated ``<wire>`` elements in the XML, a map entry's key
and value are ``Name`` / ``Value`` (``Key`` / ``Value`` for tags). Members not listed
keep their own names. Facts read off that model and checked by round trips through
botocore's own query serializer and parser.
"""

from __future__ import annotations

#: ``Shape.Member`` -> its wire name.
WIRE_NAMES = {
    "AddPermissionRequest.AWSAccountIds": "AWSAccountId",
    "AddPermissionRequest.Actions": "ActionName",
    "ChangeMessageVisibilityBatchRequest.Entries": "ChangeMessageVisibilityBatchRequestEntry",
    "ChangeMessageVisibilityBatchResult.Successful": "ChangeMessageVisibilityBatchResultEntry",
    "ChangeMessageVisibilityBatchResult.Failed": "BatchResultErrorEntry",
    "CreateQueueRequest.Attributes": "Attribute",
    "CreateQueueRequest.tags": "Tag",
    "DeleteMessageBatchRequest.Entries": "DeleteMessageBatchRequestEntry",
    "DeleteMessageBatchResult.Successful": "DeleteMessageBatchResultEntry",
    "DeleteMessageBatchResult.Failed": "BatchResultErrorEntry",
    "GetQueueAttributesRequest.AttributeNames": "AttributeName",
    "GetQueueAttributesResult.Attributes": "Attribute",
    "ListDeadLetterSourceQueuesResult.queueUrls": "QueueUrl",
    "ListMessageMoveTasksResult.Results": "ListMessageMoveTasksResultEntry",
    "ListQueueTagsResult.Tags": "Tag",
    "ListQueuesResult.QueueUrls": "QueueUrl",
    "Message.Attributes": "Attribute",
    "Message.MessageAttributes": "MessageAttribute",
    "MessageAttributeValue.StringListValues": "StringListValue",
    "MessageAttributeValue.BinaryListValues": "BinaryListValue",
    "MessageSystemAttributeValue.StringListValues": "StringListValue",
    "MessageSystemAttributeValue.BinaryListValues": "BinaryListValue",
    "ReceiveMessageRequest.AttributeNames": "AttributeName",
    "ReceiveMessageRequest.MessageAttributeNames": "MessageAttributeName",
    # Newer than the query-era model; clients generated from the Smithy model send it
    # under the old name, so the two lists read as one.
    "ReceiveMessageRequest.MessageSystemAttributeNames": "AttributeName",
    "ReceiveMessageResult.Messages": "Message",
    "SendMessageBatchRequest.Entries": "SendMessageBatchRequestEntry",
    "SendMessageBatchRequestEntry.MessageAttributes": "MessageAttribute",
    "SendMessageBatchRequestEntry.MessageSystemAttributes": "MessageSystemAttribute",
    "SendMessageBatchResult.Successful": "SendMessageBatchResultEntry",
    "SendMessageBatchResult.Failed": "BatchResultErrorEntry",
    "SendMessageRequest.MessageAttributes": "MessageAttribute",
    "SendMessageRequest.MessageSystemAttributes": "MessageSystemAttribute",
    "SetQueueAttributesRequest.Attributes": "Attribute",
    "TagQueueRequest.Tags": "Tag",
    "UntagQueueRequest.TagKeys": "TagKey",
}

#: Map shape -> (key name, value name).
MAP_NAMES = {
    "QueueAttributeMap": ("Name", "Value"),
    "MessageSystemAttributeMap": ("Name", "Value"),
    "MessageBodyAttributeMap": ("Name", "Value"),
    "MessageBodySystemAttributeMap": ("Name", "Value"),
    "TagMap": ("Key", "Value"),
}

XML_NAMESPACE = "http://queue.amazonaws.com/doc/2012-11-05/"
