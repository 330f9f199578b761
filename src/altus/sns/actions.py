"""The IAM action and resource each SNS operation needs: ``sns:<Operation>`` (PublishBatch
needs ``sns:Publish``) on the topic the call names, by TopicArn, TargetArn or
ResourceArn, or by the subscription it names (whose ARN is its topic's and an id), with
the topic's own access policy, which may allow it too (as SQS's queue policies do);
CreateTopic on the topic it would make; ``*`` for what names no topic (ListTopics,
ListSubscriptions, the operations Altus does not serve)."""

from __future__ import annotations

from altus.api.spec import Members, Needs
from altus.sns.component import Topics
from altus.sns.names import topic_of_subscription

#: Batch operations need the action of the operation they batch, as on SNS.
BATCHED = {"PublishBatch": "Publish"}


def actions(sns: Topics, operation: str, members: Members) -> Needs:
    action = f"sns:{BATCHED.get(operation, operation)}"
    arn: str | None = None
    for member in ("TopicArn", "TargetArn", "ResourceArn"):
        value = members.get(member)
        if isinstance(value, str) and value.startswith("arn:"):
            arn = value
            break
    subscription = members.get("SubscriptionArn")
    if arn is None and isinstance(subscription, str) and subscription.count(":") >= 6:
        arn = topic_of_subscription(subscription)
    name = members.get("Name")
    if arn is None and operation == "CreateTopic" and isinstance(name, str) and name:
        arn = sns.core.arn(name)
    if arn is None:
        return action, "*"
    return action, arn, sns.core.policies(arn)
