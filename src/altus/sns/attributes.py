"""Topic attributes: which ones CreateTopic and SetTopicAttributes take and how each is
checked, and what GetTopicAttributes answers (the ones set, SNS's defaults, and those
it computes: the owner, the subscription counts, the effective delivery policy).

Texts AWS was recorded answering are AWS's (``Invalid parameter: AttributeName`` for a
name SetTopicAttributes does not take, FifoTopic included); the others follow their
form (``Invalid parameter: <Name>``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from altus.arns import Account
from altus.sns.errors import InvalidParameter, invalid

_FEEDBACK = tuple(
    f"{kind}{what}"
    for kind in ("Application", "HTTP", "Lambda", "Firehose", "SQS")
    for what in ("SuccessFeedbackRoleArn", "SuccessFeedbackSampleRate", "FailureFeedbackRoleArn")
)
#: What SetTopicAttributes takes (any topic).
SETTABLE = frozenset(
    {
        "DisplayName",
        "Policy",
        "DeliveryPolicy",
        "SignatureVersion",
        "TracingConfig",
        "KmsMasterKeyId",
        *_FEEDBACK,
    }
)
#: What only FIFO topics take, at creation and after.
FIFO_ONLY = frozenset({"ContentBasedDeduplication", "ArchivePolicy", "FifoThroughputScope"})
#: What CreateTopic takes besides.
CREATE_ONLY = frozenset({"FifoTopic"})
MAX_DISPLAY_NAME = 100

#: SNS's delivery policy for HTTP/S endpoints when the topic sets none (what
#: EffectiveDeliveryPolicy shows, in AWS's order of its keys).
DEFAULT_HEALTHY_RETRY: dict[str, Any] = {
    "minDelayTarget": 20,
    "maxDelayTarget": 20,
    "numRetries": 3,
    "numMaxDelayRetries": 0,
    "numNoDelayRetries": 0,
    "numMinDelayRetries": 0,
    "backoffFunction": "linear",
}
DEFAULT_CONTENT_TYPE = "text/plain; charset=UTF-8"
_BACKOFFS = ("linear", "arithmetic", "geometric", "exponential")
_TRACING = ("PassThrough", "Active")


def compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def default_policy(account: Account, arn: str) -> str:
    """The access policy SNS gives a new topic: the account's principals may manage and
    use it (as AWS writes it, the owner's account as a condition)."""
    return compact(
        {
            "Version": "2008-10-17",
            "Id": "__default_policy_ID",
            "Statement": [
                {
                    "Sid": "__default_statement_ID",
                    "Effect": "Allow",
                    "Principal": {"AWS": "*"},
                    "Action": [
                        "SNS:GetTopicAttributes",
                        "SNS:SetTopicAttributes",
                        "SNS:AddPermission",
                        "SNS:RemovePermission",
                        "SNS:DeleteTopic",
                        "SNS:Subscribe",
                        "SNS:ListSubscriptionsByTopic",
                        "SNS:Publish",
                    ],
                    "Resource": arn,
                    "Condition": {"StringEquals": {"AWS:SourceOwner": account.account_id}},
                }
            ],
        }
    )


def json_object(text: str, parameter: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        raise invalid(parameter, "failed to parse JSON") from None
    if not isinstance(value, dict):
        raise invalid(parameter, "must be a JSON object")
    return value


def _true_or_false(name: str, value: str) -> str:
    if value.lower() not in ("true", "false"):
        raise invalid(name, f"Invalid value [{value}]. Must be true or false.")
    return value.lower()


def check_delivery_policy(text: str) -> None:
    """A topic's ``{"http": {...}}`` policy, or a subscription's ``{...}`` (without
    the ``http`` level): its retry numbers as SNS bounds them."""
    policy = json_object(text, "DeliveryPolicy")
    retry = policy.get("http", policy)
    if not isinstance(retry, dict):
        raise invalid("DeliveryPolicy", "http must be a JSON object")
    healthy = retry.get("defaultHealthyRetryPolicy", retry.get("healthyRetryPolicy"))
    if healthy is None:
        return
    if not isinstance(healthy, dict):
        raise invalid("DeliveryPolicy", "healthyRetryPolicy must be a JSON object")
    for key in (
        "minDelayTarget",
        "maxDelayTarget",
        "numRetries",
        "numMaxDelayRetries",
        "numNoDelayRetries",
        "numMinDelayRetries",
    ):
        value = healthy.get(key)
        if value is not None and (
            not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 3600
        ):
            raise invalid("DeliveryPolicy", f"{key} must be an integer from 0 to 3600")
    low = healthy.get("minDelayTarget", DEFAULT_HEALTHY_RETRY["minDelayTarget"])
    high = healthy.get("maxDelayTarget", DEFAULT_HEALTHY_RETRY["maxDelayTarget"])
    if low > high:
        raise invalid(
            "DeliveryPolicy", "minDelayTarget must be less than or equal to maxDelayTarget"
        )
    backoff = healthy.get("backoffFunction")
    if backoff is not None and backoff not in _BACKOFFS:
        raise invalid("DeliveryPolicy", f"backoffFunction must be one of {', '.join(_BACKOFFS)}")


def check_value(name: str, value: str, fifo: bool) -> str:
    """The attribute's value as stored ("" removes a policy)."""
    if name in FIFO_ONLY and not fifo:
        raise invalid(name, f"{name} is only supported for FIFO topics")
    if name == "DisplayName":
        if len(value) > MAX_DISPLAY_NAME:
            raise invalid("DisplayName", "must be at most 100 characters long")
    elif name == "Policy":
        if value:
            json_object(value, "Policy")
    elif name == "DeliveryPolicy":
        if value:
            check_delivery_policy(value)
    elif name == "SignatureVersion":
        if value not in ("1", "2"):
            raise invalid("SignatureVersion", f"Invalid value [{value}]. Must be 1 or 2.")
    elif name == "TracingConfig":
        if value not in _TRACING:
            raise invalid(
                "TracingConfig", f"Invalid value [{value}]. Must be PassThrough or Active."
            )
    elif name in ("ContentBasedDeduplication", "FifoTopic"):
        return _true_or_false(name, value)
    elif name.endswith("SampleRate") and not (value.isdigit() and int(value) <= 100):
        raise invalid(name, "must be an integer from 0 to 100")
    return value


def check_for_create(given: Mapping[str, str], fifo: bool) -> dict[str, str]:
    """CreateTopic's Attributes, checked (its FifoTopic already read): a refusal names
    the attribute after ``Attributes Reason:``."""
    out: dict[str, str] = {}
    for name, value in given.items():
        if name not in SETTABLE and name not in FIFO_ONLY and name not in CREATE_ONLY:
            raise invalid("Attributes", f"Unknown attribute {name}")
        try:
            out[name] = check_value(name, value, fifo)
        except InvalidParameter as error:
            reason = error.message.removeprefix("Invalid parameter: ")
            raise invalid("Attributes", reason) from None
    return out


def check_for_set(name: str, value: str, fifo: bool) -> str:
    """SetTopicAttributes' one attribute, checked."""
    if name not in SETTABLE and name not in FIFO_ONLY:
        raise invalid("AttributeName")
    return check_value(name, value, fifo)


def effective_delivery_policy(attributes: Mapping[str, str]) -> dict[str, Any]:
    """The topic's HTTP/S delivery policy with SNS's defaults where it says nothing."""
    http: dict[str, Any] = {}
    text = attributes.get("DeliveryPolicy")
    if text:
        found = json.loads(text).get("http")
        http = found if isinstance(found, dict) else {}
    healthy = {**DEFAULT_HEALTHY_RETRY, **(http.get("defaultHealthyRetryPolicy") or {})}
    out: dict[str, Any] = {
        "defaultHealthyRetryPolicy": healthy,
        "disableSubscriptionOverrides": bool(http.get("disableSubscriptionOverrides", False)),
    }
    if http.get("defaultThrottlePolicy"):
        out["defaultThrottlePolicy"] = http["defaultThrottlePolicy"]
    request = http.get("defaultRequestPolicy") or {}
    out["defaultRequestPolicy"] = {
        "headerContentType": request.get("headerContentType", DEFAULT_CONTENT_TYPE)
    }
    return {"http": out}


def reported(
    arn: str,
    account: Account,
    attributes: Mapping[str, str],
    confirmed: int,
    pending: int,
    deleted: int,
) -> dict[str, str]:
    """GetTopicAttributes' answer."""
    out = {k: v for k, v in attributes.items() if v != ""}
    out.setdefault("DisplayName", "")
    out["DisplayName"] = attributes.get("DisplayName", "")
    out.setdefault("Policy", default_policy(account, arn))
    if attributes.get("FifoTopic") == "true":
        out.setdefault("ContentBasedDeduplication", "false")
    out["EffectiveDeliveryPolicy"] = compact(effective_delivery_policy(attributes))
    out["Owner"] = account.account_id
    out["SubscriptionsConfirmed"] = str(confirmed)
    out["SubscriptionsPending"] = str(pending)
    out["SubscriptionsDeleted"] = str(deleted)
    out["TopicArn"] = arn
    return dict(sorted(out.items()))
