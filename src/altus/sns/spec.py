"""The SNS service, as the framework sees it: botocore's ``sns`` model (the query
protocol: form requests, XML answers), the topic, subscription and publishing
operations Altus serves (platform applications, SMS and data protection policies are
refused as operations Altus does not serve), its tables, its component, and the routes
SNS's URLs point at."""

from __future__ import annotations

from altus.api.model import Overrides
from altus.api.spec import Schemas, ServiceSpec
from altus.api.validate import CoralViolations
from altus.sns import actions, api, publish_api, routes, subscriptions_api
from altus.sns.component import Topics
from altus.sns.errors import SnsError, ValidationError
from altus.sns.sql_store import SCHEMA

SPEC = ServiceSpec(
    name="sns",
    operations={
        "CreateTopic": api.create_topic,
        "DeleteTopic": api.delete_topic,
        "ListTopics": api.list_topics,
        "GetTopicAttributes": api.get_topic_attributes,
        "SetTopicAttributes": api.set_topic_attributes,
        "TagResource": api.tag_resource,
        "UntagResource": api.untag_resource,
        "ListTagsForResource": api.list_tags_for_resource,
        "AddPermission": api.add_permission,
        "RemovePermission": api.remove_permission,
        "Subscribe": subscriptions_api.subscribe,
        "ConfirmSubscription": subscriptions_api.confirm_subscription,
        "Unsubscribe": subscriptions_api.unsubscribe,
        "ListSubscriptions": subscriptions_api.list_subscriptions,
        "ListSubscriptionsByTopic": subscriptions_api.list_subscriptions_by_topic,
        "GetSubscriptionAttributes": subscriptions_api.get_subscription_attributes,
        "SetSubscriptionAttributes": subscriptions_api.set_subscription_attributes,
        "Publish": publish_api.publish,
        "PublishBatch": publish_api.publish_batch,
    },
    errors=SnsError,
    violations=CoralViolations(ValidationError),
    build=Topics,
    schemas=(Schemas((SCHEMA,)),),
    open_routes=routes.routes,
    actions=actions.actions,
    # SNS words the identity layer's refusal as its AuthorizationError (403).
    overrides=Overrides(error_codes={"AccessDeniedException": "AuthorizationError"}),
)
