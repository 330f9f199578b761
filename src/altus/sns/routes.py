"""What SNS's URLs point at, served by Altus itself under ``/_aws/sns/`` (raw routes
that authorise by themselves: endpoints fetch them unsigned, as they fetch AWS's):

- ``GET /_aws/sns/SimpleNotificationService-<hash>.pem``: the signing certificate
  (``SigningCertURL``);
- ``GET /_aws/sns/?Action=ConfirmSubscription&TopicArn=...&Token=...``: confirms the
  pending subscription (``SubscribeURL``), answered as ConfirmSubscription is;
- ``GET /_aws/sns/?Action=Unsubscribe&SubscriptionArn=...``: ends the subscription
  (``UnsubscribeURL``), unless it was confirmed with AuthenticateOnUnsubscribe.

The same actions are served signed, as query operations, at the API's root.
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from altus import ids
from altus.api.protocols.xml import escape
from altus.sns import subscribing
from altus.sns.component import Topics
from altus.sns.envelopes import ROUTE_PREFIX
from altus.sns.errors import invalid

NAMESPACE = "http://sns.amazonaws.com/doc/2010-03-31/"


def _answer(action: str, result: str) -> Response:
    body = (
        f'<{action}Response xmlns="{NAMESPACE}">{result}<ResponseMetadata><RequestId>'
        f"{ids.request_id()}</RequestId></ResponseMetadata></{action}Response>"
    )
    return Response(body.encode(), 200, media_type="text/xml")


def routes(sns: Topics) -> Sequence[BaseRoute]:
    async def certificate(request: Request) -> Response:
        if request.path_params["name"] != sns.core.signer.certificate_name:
            return Response(b"Not Found", 404, media_type="text/plain")
        return Response(sns.core.signer.certificate, 200, media_type="application/x-pem-file")

    async def action(request: Request) -> Response:
        query = request.query_params
        name = query.get("Action")
        if name == "ConfirmSubscription":
            subscription = await subscribing.confirm(
                sns.core, query.get("TopicArn", ""), query.get("Token", ""), False, False
            )
            arn = escape(subscription.arn)
            return _answer(
                name,
                f"<ConfirmSubscriptionResult><SubscriptionArn>{arn}</SubscriptionArn>"
                "</ConfirmSubscriptionResult>",
            )
        if name == "Unsubscribe":
            await subscribing.unsubscribe(
                sns.core, sns.deliveries, query.get("SubscriptionArn", ""), signed=False
            )
            return _answer(name, "")
        raise invalid("Action")

    return [
        Route(f"{ROUTE_PREFIX}/", action, methods=["GET"]),
        Route(f"{ROUTE_PREFIX}/{{name}}", certificate, methods=["GET"]),
    ]
