"""Topic names and the ARNs of topics and subscriptions, read as SNS reads them.

A topic's ARN is ``arn:aws:sns:<region>:<account>:<name>``; a subscription's is its
topic's with ``:<uuid>`` after it. SNS words a malformed ARN by its elements (``An ARN
must have at least 6 elements, not 1``), an ARN of another region or account, or of
another service, as the bare parameter (``Invalid parameter: TopicArn``: recorded from
AWS for a topic in another region), and a subscription id that is no UUID as
``Invalid parameter: SubscriptionId``.
"""

from __future__ import annotations

import re

from altus.arns import Account
from altus.sns.errors import InvalidParameter, invalid

_NAME = re.compile(r"[A-Za-z0-9_-]{1,256}")
_FIFO_NAME = re.compile(r"[A-Za-z0-9_-]{1,251}\.fifo")
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
FIFO_SUFFIX = ".fifo"


def check_topic_name(name: str, fifo: bool) -> str:
    """A topic name as CreateTopic takes it: 1-256 of ``[A-Za-z0-9_-]``, and a FIFO
    topic's (only a FIFO topic's) ending in ``.fifo``."""
    pattern = _FIFO_NAME if fifo else _NAME
    if not pattern.fullmatch(name):
        raise invalid("Topic Name")
    return name


def _parts(arn: str, parameter: str) -> list[str]:
    if arn == "":
        raise invalid(parameter, "no value for required parameter")
    parts = arn.split(":")
    if len(parts) < 6:
        raise invalid(parameter, f"An ARN must have at least 6 elements, not {len(parts)}")
    return parts


def _ours(parts: list[str], account: Account) -> bool:
    return (
        parts[0] == "arn"
        and parts[1] == account.partition
        and parts[2] == "sns"
        and parts[3] == account.region
        and parts[4] == account.account_id
    )


def topic_name(arn: str, account: Account, parameter: str = "TopicArn") -> str:
    """The name of the topic ``arn`` names here. Raises InvalidParameter for what is no
    topic ARN of this region and account (whether or not such a topic exists)."""
    parts = _parts(arn, parameter)
    if len(parts) != 6 or not _ours(parts, account) or not _is_name(parts[5]):
        raise invalid(parameter)
    return parts[5]


def _is_name(text: str) -> bool:
    return bool(_NAME.fullmatch(text) or _FIFO_NAME.fullmatch(text))


def subscription_parts(arn: str, account: Account) -> tuple[str, str]:
    """(topic name, subscription id) of a subscription ARN of this region and account."""
    parts = _parts(arn, "SubscriptionArn")
    if len(parts) != 7 or not _UUID.fullmatch(parts[6]):
        raise invalid("SubscriptionId")
    if not _ours(parts, account) or not _is_name(parts[5]):
        raise invalid("SubscriptionArn")
    return parts[5], parts[6]


def is_topic_arn(arn: str, account: Account) -> bool:
    try:
        topic_name(arn, account)
    except InvalidParameter:
        return False
    return True


def topic_of_subscription(arn: str) -> str:
    """The topic ARN inside a subscription ARN (everything before its last element)."""
    return arn.rsplit(":", 1)[0]
