"""How pushing services (SNS, S3, EventBridge) invoke functions: an Event invoke made as
the service's principal, allowed only by the function's own policy (AddPermission) for
the source it names, as on AWS."""

from __future__ import annotations

from typing import Any

import pytest

from altus.errors import AltusError
from altus.testing import Harness, wait_until

TOPIC = "arn:aws:sns:us-east-1:000000000000:orders"


def test_a_service_invokes_only_where_the_functions_policy_lets_it() -> None:
    seen: list[Any] = []
    with Harness() as altus:
        function = altus.create_function("pushed", lambda event, context: seen.append(event))
        arn = function["FunctionArn"]
        lam = altus.client("lambda")

        def push(service: str = "sns.amazonaws.com", source: str = TOPIC) -> None:
            async def work(platform: Any) -> None:
                await platform.component("lambda").invoke_as_service(
                    service, source, "000000000000", arn, '{"n": 1}'
                )

            altus.call(work)

        with pytest.raises(AltusError) as refused:
            push()
        assert refused.value.code == "AccessDeniedException"
        assert "sns.amazonaws.com is not authorized to perform: lambda:InvokeFunction" in (
            refused.value.message
        )
        lam.add_permission(
            FunctionName="pushed",
            StatementId="from-orders",
            Action="lambda:InvokeFunction",
            Principal="sns.amazonaws.com",
            SourceArn=TOPIC,
        )
        push()
        wait_until(lambda: seen == [{"n": 1}])
        # Another topic, or another service, is still refused.
        with pytest.raises(AltusError):
            push(source=TOPIC + "-other")
        with pytest.raises(AltusError):
            push(service="s3.amazonaws.com")
        with pytest.raises(AltusError) as missing:

            async def gone(platform: Any) -> None:
                await platform.component("lambda").invoke_as_service(
                    "sns.amazonaws.com", TOPIC, "000000000000", arn + "-nope", "{}"
                )

            altus.call(gone)
        assert missing.value.code == "ResourceNotFoundException"
