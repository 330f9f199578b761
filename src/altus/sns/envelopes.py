"""What an endpoint receives of a message, in the shapes SNS sends: the JSON envelope
queues and HTTP/S endpoints get, the event a function gets, the confirmations of an
HTTP/S subscription, the headers of a POST, and a raw delivery's queue attributes.

Field order follows AWS's (recorded from the real service): ``Type``, ``MessageId``,
(``SequenceNumber`` for a FIFO topic), ``TopicArn``, ``Subject`` only when there is one,
``Message``, ``Timestamp``, ``SignatureVersion``, ``Signature``, ``SigningCertURL``,
``UnsubscribeURL``, ``MessageAttributes`` only when there are any. FIFO topics' messages
carry no signature. A function's event spells the URLs ``SigningCertUrl`` and
``UnsubscribeUrl``, always has ``Subject`` (null without one) and ``MessageAttributes``.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from altus.sns.model import CONFIRMATION, NOTIFICATION, Message
from altus.sns.signing import Signer

#: Where Altus serves what SNS's URLs point at (the certificate, confirmation and
#: unsubscribe links), under the API's own address.
ROUTE_PREFIX = "/_aws/sns"
USER_AGENT = "Amazon Simple Notification Service Agent"
CONTENT_TYPE = "text/plain; charset=UTF-8"


def timestamp(ms: int) -> str:
    """ISO 8601 in UTC with milliseconds, as SNS writes it."""
    moment = datetime.datetime.fromtimestamp(ms / 1000, datetime.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


@dataclass(frozen=True, slots=True)
class Urls:
    """The links a message carries, on the server's own address."""

    base: str
    certificate: str

    @property
    def certificate_url(self) -> str:
        return f"{self.base}{ROUTE_PREFIX}/{self.certificate}"

    def unsubscribe(self, subscription: str) -> str:
        return f"{self.base}{ROUTE_PREFIX}/?Action=Unsubscribe&SubscriptionArn={subscription}"

    def subscribe(self, topic: str, token: str) -> str:
        return (
            f"{self.base}{ROUTE_PREFIX}/?Action=ConfirmSubscription&TopicArn={topic}"
            f"&Token={quote(token, safe='')}"
        )


def _signed(
    fields: dict[str, Any], signer: Signer, version: str, certificate_url: str
) -> dict[str, Any]:
    fields["SignatureVersion"] = version
    fields["Signature"] = signer.sign(fields, version)
    fields["SigningCertURL"] = certificate_url
    return fields


def notification(
    message: Message,
    protocol: str,
    subscription: str,
    urls: Urls,
    signer: Signer,
    version: str,
) -> dict[str, Any]:
    """The JSON envelope of a Notification for a queue or an HTTP/S endpoint."""
    fields: dict[str, Any] = {"Type": NOTIFICATION, "MessageId": message.id}
    if message.sequence is not None:
        fields["SequenceNumber"] = message.sequence
    fields["TopicArn"] = message.topic
    if message.subject is not None:
        fields["Subject"] = message.subject
    fields["Message"] = message.text_for(protocol)
    fields["Timestamp"] = timestamp(message.timestamp_ms)
    if message.sequence is None:
        fields = _signed(fields, signer, version, urls.certificate_url)
    fields["UnsubscribeURL"] = urls.unsubscribe(subscription)
    if message.attributes:
        fields["MessageAttributes"] = {k: dict(v) for k, v in message.attributes.items()}
    return fields


def lambda_event(message: Message, subscription: str, urls: Urls, signer: Signer) -> str:
    """Lambda's SNS event for one message, as JSON text. AWS signs what it sends to
    functions with SignatureVersion 1 whatever the topic says (recorded)."""
    text = message.text_for("lambda")
    signed: dict[str, Any] = {
        "Type": NOTIFICATION,
        "MessageId": message.id,
        "TopicArn": message.topic,
        "Subject": message.subject,
        "Message": text,
        "Timestamp": timestamp(message.timestamp_ms),
    }
    sns = {
        **signed,
        "SignatureVersion": "1",
        "Signature": signer.sign(signed, "1"),
        "SigningCertUrl": urls.certificate_url,
        "UnsubscribeUrl": urls.unsubscribe(subscription),
        "MessageAttributes": {k: dict(v) for k, v in message.attributes.items()},
    }
    record = {
        "EventSource": "aws:sns",
        "EventVersion": "1.0",
        "EventSubscriptionArn": subscription,
        "Sns": sns,
    }
    return json.dumps({"Records": [record]})


def confirmation(message: Message, urls: Urls, signer: Signer, version: str) -> dict[str, Any]:
    """A SubscriptionConfirmation or UnsubscribeConfirmation."""
    token = message.token or ""
    fields: dict[str, Any] = {
        "Type": message.kind,
        "MessageId": message.id,
        "Token": token,
        "TopicArn": message.topic,
        "Message": message.text,
        "SubscribeURL": urls.subscribe(message.topic, token),
        "Timestamp": timestamp(message.timestamp_ms),
    }
    return _signed(fields, signer, version, urls.certificate_url)


def subscribe_text(topic: str) -> str:
    return (
        f"You have chosen to subscribe to the topic {topic}.\n"
        "To confirm the subscription, visit the SubscribeURL included in this message."
    )


def unsubscribe_text(subscription: str) -> str:
    return (
        f"You have chosen to deactivate subscription {subscription}.\n"
        "To cancel this operation and restore the subscription, visit the SubscribeURL "
        "included in this message."
    )


def http_headers(
    message: Message, subscription: str, raw: bool, content_type: str
) -> dict[str, str]:
    """The headers of a POST to an HTTP/S endpoint (no subscription ARN on a
    SubscriptionConfirmation: the subscription is not one yet)."""
    headers = {
        "Content-Type": content_type,
        "User-Agent": USER_AGENT,
        "x-amz-sns-message-type": message.kind,
        "x-amz-sns-message-id": message.id,
        "x-amz-sns-topic-arn": message.topic,
    }
    if message.kind != CONFIRMATION:
        headers["x-amz-sns-subscription-arn"] = subscription
    if raw and message.kind == NOTIFICATION:
        headers["x-amz-sns-rawdelivery"] = "true"
    return headers


def queue_attributes(message: Message) -> dict[str, dict[str, str]]:
    """A raw delivery's message attributes as a queue takes them (SQS's wire form)."""
    out: dict[str, dict[str, str]] = {}
    for name, attribute in message.attributes.items():
        kind, value = attribute["Type"], attribute["Value"]
        if kind.startswith("Binary"):
            out[name] = {"DataType": kind, "BinaryValue": value}
        else:
            out[name] = {"DataType": kind, "StringValue": value}
    return out


def from_queue_attributes(
    attributes: Mapping[str, Mapping[str, str]] | None,
) -> dict[str, dict[str, str]]:
    """Queue-form attributes (a record sent to a topic as a target) as SNS's."""
    out: dict[str, dict[str, str]] = {}
    for name, attribute in (attributes or {}).items():
        kind = attribute.get("DataType", "String")
        value = attribute.get("BinaryValue") if kind.startswith("Binary") else None
        out[name] = {"Type": kind, "Value": value or attribute.get("StringValue", "")}
    return out
