"""The Runtime API state machine of one environment."""

import asyncio
import json

from altus.runtime_api.endpoint import MAX_RESPONSE_BYTES, Invocation, Reply, RuntimeEndpoint


def run(coro):
    return asyncio.run(coro)


def test_event_waits_for_next_and_result_resolves_the_future():
    async def scenario():
        endpoint = RuntimeEndpoint()
        sent: list[Reply] = []
        invocation = Invocation("req-1", b'{"a":1}', 123, "arn:fn")
        future = endpoint.deliver(invocation)
        assert not endpoint.ready.done()
        endpoint.on_next(sent.append)
        assert endpoint.ready.result() is None
        assert sent[0].status == 200 and sent[0].body == b'{"a":1}'
        headers = dict(sent[0].headers)
        assert headers["Lambda-Runtime-Aws-Request-Id"] == "req-1"
        assert headers["Lambda-Runtime-Deadline-Ms"] == "123"
        assert endpoint.on_response("other", b"1", False).status == 400
        assert endpoint.on_response("req-1", b"42", False).status == 202
        assert (await future).payload == b"42"
        assert endpoint.on_response("req-1", b"42", False).status == 403

    run(scenario())


def test_parked_next_gets_the_event_at_once_and_errors_are_documents():
    async def scenario():
        endpoint = RuntimeEndpoint()
        sent: list[Reply] = []
        endpoint.on_next(sent.append)
        future = endpoint.deliver(Invocation("r", b"{}", 1, "arn"))
        assert len(sent) == 1
        endpoint.on_error("r", b"not json", "Custom.Error")
        outcome = await future
        assert outcome.error_type == "Custom.Error"
        assert json.loads(outcome.payload)["errorType"] == "Custom.Error"

    run(scenario())


def test_oversized_response_and_init_error():
    async def scenario():
        endpoint = RuntimeEndpoint()
        endpoint.on_next(lambda reply: None)
        future = endpoint.deliver(Invocation("r", b"{}", 1, "arn"))
        assert endpoint.on_response("r", b"", True).status == 413
        outcome = await future
        assert outcome.error_type == "Function.ResponseSizeTooLarge"
        assert str(MAX_RESPONSE_BYTES) in outcome.payload.decode()

        other = RuntimeEndpoint()
        assert other.on_init_error(b'{"errorType":"X","errorMessage":"m"}', "X").status == 202
        init = other.ready.result()
        assert init is not None
        assert init.error_type == "X"
        assert other.on_init_error(b"{}", "Y").status == 403

    run(scenario())
