"""Recorded invocations and their replay (``/_altus/recordings``, ``altus replay``,
``altus recordings``) on an in-process server: functions invoked through boto3 are
listed and read back whole, replayed at the qualifier they were invoked by or at another
version whose code differs (the diffs show it), kept within the size cap and the age
limit, and not recorded at all when recording is off."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from altus.cli.main import main as cli
from altus.cli.signing import SigV4
from altus.testing import Harness, wait_until
from tests.functional.guarded import guarded

ECHO = (
    "def handler(event, context):\n"
    "    print('got', event.get('n'), 'for', context.aws_request_id)\n"
    "    given = context.client_context\n"
    "    custom = getattr(given, 'custom', None)\n"
    "    return {'n': event.get('n'), 'version': 1, 'custom': custom}\n"
)
ECHO_V2 = ECHO.replace("'version': 1", "'version': 2").replace("'got'", "'received'")
FAILING = "def handler(event, context):\n    raise ValueError('nope')\n"


@pytest.fixture(scope="module")
def altus() -> Iterator[Harness]:
    # Real environments (the portable sandbox): what a function prints is its log
    # whichever test's output capture is in place.
    with Harness(sandbox="process", clock=None, keep_alive_seconds=60) as harness:
        harness.create_function("echo", files={"app.py": ECHO})
        lam = harness.client("lambda")
        lam.publish_version(FunctionName="echo")  # version 1: ECHO
        lam.update_function_code(
            FunctionName="echo", ZipFile=_zip({"app.py": ECHO_V2}), Publish=True
        )  # version 2 and $LATEST: ECHO_V2
        lam.get_waiter("function_updated_v2").wait(
            FunctionName="echo", WaiterConfig={"Delay": 0.05, "MaxAttempts": 200}
        )
        lam.create_alias(FunctionName="echo", Name="live", FunctionVersion="1")
        harness.create_function("failing", files={"app.py": FAILING})
        yield harness


def _zip(files: dict[str, str | bytes]) -> bytes:
    from altus.packaging import zip_files

    return zip_files(files)


def invoke(altus: Harness, name: str, payload: Any, **kwargs: Any) -> tuple[str, Any]:
    answer = altus.client("lambda").invoke(
        FunctionName=name, Payload=json.dumps(payload).encode(), **kwargs
    )
    return answer["ResponseMetadata"]["RequestId"], json.loads(answer["Payload"].read())


def get(altus: Harness, path: str, **params: str) -> httpx.Response:
    return httpx.get(altus.url + path, params=params, timeout=30)


def replay(altus: Harness, request_id: str, body: Any = None) -> httpx.Response:
    return httpx.post(f"{altus.url}/_altus/recordings/{request_id}/replay", json=body, timeout=60)


def test_an_invocation_is_recorded_whole(altus: Harness) -> None:
    context = '{"custom": {"who": "me"}}'
    request_id, body = invoke(
        altus,
        "echo:live",
        {"n": 7},
        ClientContext=base64.b64encode(context.encode()).decode(),
    )
    assert body == {"n": 7, "version": 1, "custom": {"who": "me"}}
    listed = get(altus, "/_altus/recordings", FunctionName="echo").json()["Recordings"]
    assert listed[0]["RequestId"] == request_id
    assert set(listed[0]) == {
        "RequestId",
        "FunctionName",
        "Qualifier",
        "ExecutedVersion",
        "Started",
        "DurationMs",
        "BilledMs",
        "FunctionError",
        "ErrorType",
    }
    whole = get(altus, f"/_altus/recordings/{request_id}").json()
    assert whole["FunctionName"] == "echo"
    assert (whole["Qualifier"], whole["ExecutedVersion"]) == ("live", "1")
    assert json.loads(whole["Event"]) == {"n": 7}
    assert json.loads(whole["Result"]) == body
    assert whole["ClientContext"] == context
    assert whole["TraceId"].startswith("Root=1-")
    assert whole["ContentType"] == "application/json"
    assert whole["MemorySize"] == 128 and whole["BilledMs"] >= 1
    assert whole["FunctionError"] is None and whole["ErrorType"] is None
    assert f"START RequestId: {request_id} Version: 1" in whole["Log"]
    assert f"got 7 for {request_id}" in whole["Log"]
    assert whole["Log"][-1].startswith(f"REPORT RequestId: {request_id}")
    assert whole["Started"].endswith("Z")


def test_a_function_error_is_recorded(altus: Harness) -> None:
    request_id, body = invoke(altus, "failing", {})
    assert body["errorType"] == "ValueError"
    whole = get(altus, f"/_altus/recordings/{request_id}").json()
    assert whole["FunctionError"] == "Unhandled" and "ValueError" in whole["ErrorType"]
    assert whole["Qualifier"] == "$LATEST"


def test_the_list_is_newest_first_in_pages(altus: Harness) -> None:
    made = [invoke(altus, "echo:1", {"n": n})[0] for n in range(3)]
    first = get(altus, "/_altus/recordings", FunctionName="echo", Limit="2").json()
    assert [r["RequestId"] for r in first["Recordings"]] == made[::-1][:2]
    second = get(
        altus, "/_altus/recordings", FunctionName="echo", Limit="2", NextToken=first["NextToken"]
    ).json()
    assert second["Recordings"][0]["RequestId"] == made[0]
    everything = get(altus, "/_altus/recordings").json()["Recordings"]
    assert {"echo", "failing"} <= {r["FunctionName"] for r in everything}


def test_a_replay_at_the_same_qualifier_is_the_same(altus: Harness) -> None:
    request_id, _ = invoke(altus, "echo:live", {"n": 1})
    answer = replay(altus, request_id).json()
    assert answer["Same"] is True
    assert answer["ResultDiff"] == [] and answer["LogDiff"] == []
    assert answer["Original"]["RequestId"] == request_id
    again = answer["Replay"]
    assert again["RequestId"] != request_id
    # Invoked by an alias: replayed at the version that ran (the alias may move).
    assert (again["Qualifier"], again["ExecutedVersion"]) == ("1", "1")
    assert (answer["Qualifier"], answer["ExecutedVersion"]) == ("1", "1")
    assert json.loads(again["Result"])["n"] == 1
    # The replay is recorded too.
    assert get(altus, f"/_altus/recordings/{again['RequestId']}").status_code == 200


def test_a_replay_keeps_the_client_context(altus: Harness) -> None:
    context = base64.b64encode(b'{"custom": {"k": "v"}}').decode()
    request_id, _ = invoke(altus, "echo:1", {"n": 2}, ClientContext=context)
    answer = replay(altus, request_id).json()
    assert json.loads(answer["Replay"]["Result"])["custom"] == {"k": "v"}
    assert answer["Same"] is True


def test_a_replay_at_a_version_whose_code_differs_shows_the_differences(altus: Harness) -> None:
    request_id, _ = invoke(altus, "echo:1", {"n": 3})
    answer = replay(altus, request_id, {"Qualifier": "2"}).json()
    assert answer["Same"] is False
    assert answer["Replay"]["ExecutedVersion"] == "2"
    assert '-  "version": 1' in answer["ResultDiff"]
    assert '+  "version": 2' in answer["ResultDiff"]
    assert "-got 3 for <request-id>" in answer["LogDiff"]
    assert "+received 3 for <request-id>" in answer["LogDiff"]
    assert "+START RequestId: <request-id> Version: 2" in answer["LogDiff"]
    # Durations and memory figures are not differences.
    assert not any(line.startswith(("-REPORT", "+REPORT")) for line in answer["LogDiff"])


def test_an_alias_replay_reruns_the_version_that_ran_unless_the_alias_is_asked(
    altus: Harness,
) -> None:
    lam = altus.client("lambda")
    lam.create_alias(FunctionName="echo", Name="moving", FunctionVersion="1")
    request_id, _ = invoke(altus, "echo:moving", {"n": 6})
    lam.update_alias(FunctionName="echo", Name="moving", FunctionVersion="2")
    answer = replay(altus, request_id).json()
    assert (answer["ExecutedVersion"], answer["Same"]) == ("1", True)
    moved = replay(altus, request_id, {"Qualifier": "moving"}).json()
    assert (moved["Replay"]["Qualifier"], moved["ExecutedVersion"]) == ("moving", "2")
    assert moved["Same"] is False


GENERATOR = "def handler(event, context):\n    yield 'first;'\n    yield b'second'\n"


def test_a_streamed_response_is_recorded_and_replayed_as_streamed(altus: Harness) -> None:
    altus.create_function("streams", files={"app.py": GENERATOR})
    answer = altus.client("lambda").invoke_with_response_stream(FunctionName="streams")
    request_id = answer["ResponseMetadata"]["RequestId"]
    events = list(answer["EventStream"])
    assert b"".join(e["PayloadChunk"]["Payload"] for e in events if "PayloadChunk" in e) == (
        b"first;second"
    )
    recorded = get(altus, f"/_altus/recordings/{request_id}").json()
    assert (recorded["Result"], recorded["StreamedBytes"]) == ("first;second", 12)
    again = replay(altus, request_id).json()
    assert again["Same"] is True, again
    assert (again["Replay"]["Result"], again["Replay"]["StreamedBytes"]) == ("first;second", 12)


def test_the_list_takes_a_function_arn(altus: Harness) -> None:
    request_id, _ = invoke(altus, "failing", {})
    arn = "arn:aws:lambda:us-east-1:000000000000:function:failing"
    for name in (arn, "failing:1", "000000000000:function:failing"):
        found = get(altus, "/_altus/recordings", FunctionName=name, Limit="1").json()
        assert [r["RequestId"] for r in found["Recordings"]] == [request_id]


def test_unknown_request_ids_are_not_found(altus: Harness) -> None:
    for response in (
        get(altus, "/_altus/recordings/no-such-request"),
        replay(altus, "no-such-request"),
    ):
        assert response.status_code == 404
        assert response.headers["x-amzn-errortype"] == "ResourceNotFoundException"


def test_bad_input_is_refused(altus: Harness) -> None:
    request_id, _ = invoke(altus, "echo", {"n": 4})
    for body in ({"Qualifier": "no spaces"}, {"Qualifier": 3}):
        answer = replay(altus, request_id, body)
        assert answer.status_code == 400
        assert answer.headers["x-amzn-errortype"] == "InvalidParameterValueException"
    assert replay(altus, request_id, {"Qualifier": "nope"}).status_code == 404
    tokens = ("x", "-1", "1.5", "9223372036854775808", "99999999999999999999999")
    for params in ({"Limit": "0"}, {"Limit": "x"}, *({"NextToken": t} for t in tokens)):
        answer = get(altus, "/_altus/recordings", **params)
        assert answer.status_code == 400, (params, answer.text)
        assert answer.headers["x-amzn-errortype"] == "InvalidParameterValueException"
        assert "message" in answer.json() or "Message" in answer.json()


def test_the_cli_replays_and_exits_as_diff_does(
    altus: Harness, capsys: pytest.CaptureFixture[str]
) -> None:
    request_id, _ = invoke(altus, "echo:live", {"n": 5})
    assert cli(["replay", request_id, "--endpoint", altus.url]) == 0
    out = capsys.readouterr().out
    assert '"n": 5' in out and "result: same" in out and out.rstrip().endswith("same")

    assert cli(["replay", request_id, "--qualifier", "2", "--endpoint", altus.url]) == 1
    out = capsys.readouterr().out
    assert "result diff:" in out and '+  "version": 2' in out and "log diff:" in out

    assert cli(["replay", request_id, "--json", "--endpoint", altus.url]) == 0
    assert json.loads(capsys.readouterr().out)["Same"] is True

    assert cli(["replay", "no-such-request", "--endpoint", altus.url]) == 2
    assert "ResourceNotFoundException" in capsys.readouterr().err


def test_the_cli_lists_recordings(altus: Harness, capsys: pytest.CaptureFixture[str]) -> None:
    request_id, _ = invoke(altus, "failing", {})
    assert (
        cli(["recordings", "--function", "failing", "--limit", "1", "--endpoint", altus.url]) == 0
    )
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("REQUEST ID") and len(lines) == 2
    assert request_id in lines[1] and "ValueError" in lines[1]


# --- retention ---------------------------------------------------------------------------------

PAD = 300_000  # bytes of event: four of them are over a 1 MB cap


@pytest.fixture(scope="module")
def small() -> Iterator[Harness]:
    """Recordings capped at 1 MB."""
    with Harness(clock=None, record_max_mb=1) as harness:
        harness.create_function("small", lambda event, context: {"ok": True})
        yield harness


def ids_of(altus: Harness) -> list[str]:
    return [
        r["RequestId"] for r in get(altus, "/_altus/recordings", Limit="1000").json()["Recordings"]
    ]


def test_the_oldest_go_first_when_over_the_size_cap(small: Harness) -> None:
    made = [invoke(small, "small", {"pad": "x" * PAD})[0] for _ in range(4)]
    # Over 1 MB: a pass brings what is kept under 90% of it, the oldest deleted first.
    wait_until(lambda: made[0] not in ids_of(small))
    assert ids_of(small)[:3] == made[:0:-1]


def test_an_invocation_larger_than_the_cap_is_not_recorded(small: Harness) -> None:
    request_id, _ = invoke(small, "small", {"pad": "x" * (1024 * 1024)})
    small_id, _ = invoke(small, "small", {})
    assert small_id in ids_of(small) and request_id not in ids_of(small)


def test_recordings_older_than_the_retention_go(small: Harness) -> None:
    request_id, _ = invoke(small, "small", {"n": 1})
    recorder = small.platform.component("lambda").recorder  # type: ignore[union-attr]

    async def prune_at(hours: float) -> int:
        await recorder.flush()
        deleted: int = await recorder.prune_all(time.time() + hours * 3600)
        return deleted

    assert small.call(lambda platform: prune_at(23)) == 0
    assert request_id in ids_of(small)
    assert small.call(lambda platform: prune_at(25)) >= 1
    assert ids_of(small) == []
    assert get(small, f"/_altus/recordings/{request_id}").status_code == 404


def test_nothing_is_recorded_when_recording_is_off() -> None:
    with Harness(clock=None, record_invocations=False) as harness:
        harness.create_function("quiet", lambda event, context: {"ok": True})
        request_id, body = invoke(harness, "quiet", {})
        assert body == {"ok": True}
        assert ids_of(harness) == []
        assert get(harness, f"/_altus/recordings/{request_id}").status_code == 404


def test_a_replay_needs_the_callers_leave_to_invoke(tmp_path: Path) -> None:
    with guarded(tmp_path) as server:
        server.function("kept", {"ok": True})
        request_id = server.client("lambda").invoke(FunctionName="kept")["ResponseMetadata"][
            "RequestId"
        ]
        keys = server.admin_who_may_not_invoke()
        signer = SigV4(keys["aws_access_key_id"], keys["aws_secret_access_key"], "us-east-1")
        url = f"{server.harness.url}/_altus/recordings/{request_id}/replay"
        refused = httpx.post(url, json={}, auth=signer, timeout=60)
        assert refused.status_code == 403, refused.text
        assert refused.headers["x-amzn-errortype"] == "AccessDeniedException"
        admin = SigV4(
            server.keys["aws_access_key_id"], server.keys["aws_secret_access_key"], "us-east-1"
        )
        assert httpx.post(url, json={}, auth=admin, timeout=60).json()["Same"] is True
