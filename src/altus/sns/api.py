"""SNS's topic operations: members in, members out (CreateTopic, DeleteTopic,
ListTopics, Get/SetTopicAttributes, tags, Add/RemovePermission). Subscriptions are in
``subscriptions_api``, publishing in ``publish_api``.
"""

from __future__ import annotations

from altus.api import paging
from altus.api.spec import Call, Members
from altus.sns import topics
from altus.sns.component import Topics
from altus.sns.errors import InvalidParameter, invalid

#: Topics per ListTopics page (SNS: 100).
PAGE = 100


def _bad_token(token: str) -> InvalidParameter:
    return invalid("NextToken")


async def create_topic(sns: Topics, call: Call, input: Members) -> Members:
    tags = topics.check_tags(input.get("Tags"))
    topic = await topics.create(sns.core, input["Name"], input.get("Attributes") or {}, tags)
    return {"TopicArn": sns.core.arn(topic.name)}


async def delete_topic(sns: Topics, call: Call, input: Members) -> Members:
    await topics.delete(sns.core, sns.deliveries, input["TopicArn"])
    return {}


async def list_topics(sns: Topics, call: Call, input: Members) -> Members:
    named = sorted(sns.core.topics)
    page = paging.page(named, named, input.get("NextToken"), PAGE, _bad_token)
    out: Members = {"Topics": [{"TopicArn": sns.core.arn(name)} for name in page.items]}
    if page.next is not None:
        out["NextToken"] = page.next
    return out


async def get_topic_attributes(sns: Topics, call: Call, input: Members) -> Members:
    state = sns.core.state_of_arn(input["TopicArn"])
    return {"Attributes": topics.reported(sns.core, state)}


async def set_topic_attributes(sns: Topics, call: Call, input: Members) -> Members:
    value = input.get("AttributeValue")
    await topics.set_attribute(
        sns.core, input["TopicArn"], input["AttributeName"], value if value is not None else ""
    )
    return {}


async def tag_resource(sns: Topics, call: Call, input: Members) -> Members:
    await topics.tag(sns.core, input["ResourceArn"], input["Tags"])
    return {}


async def untag_resource(sns: Topics, call: Call, input: Members) -> Members:
    await topics.untag(sns.core, input["ResourceArn"], input["TagKeys"])
    return {}


async def list_tags_for_resource(sns: Topics, call: Call, input: Members) -> Members:
    state = topics.tagged(sns.core, input["ResourceArn"])
    return {"Tags": [{"Key": key, "Value": value} for key, value in state.topic.tags]}


async def add_permission(sns: Topics, call: Call, input: Members) -> Members:
    await topics.add_permission(
        sns.core, input["TopicArn"], input["Label"], input["AWSAccountId"], input["ActionName"]
    )
    return {}


async def remove_permission(sns: Topics, call: Call, input: Members) -> Members:
    await topics.remove_permission(sns.core, input["TopicArn"], input["Label"])
    return {}
