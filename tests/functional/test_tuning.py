"""Power tuning on an in-process server (``/_altus/tunings``, ``altus tune``): a function
whose duration falls with its memory size, so the best sizes are known; $LATEST, its
versions and aliases untouched; no transient version left; a size that fails; bad
input; the chart; the CLI end to end."""

from __future__ import annotations

import json
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from altus.awslambda.tuning_model import SizeResult, best_sizes
from altus.cli.main import main
from altus.cli.signing import SigV4
from altus.platform import Platform
from altus.testing import Harness
from tests.functional.guarded import guarded

SIZES = [128, 256, 512, 1024]


#: How long ``sized`` takes at each memory size (ms): cheapest at 128 MB by half again
#: (5120 MB-ms against 7680 at 256), fastest at 1024 MB by half (12 ms against 24 at
#: 512): margins a loaded machine's scheduling jitter does not close.
DURATIONS = {128: 40, 256: 30, 512: 24, 1024: 12}


def sized(event: Any, context: Any) -> Any:
    memory = int(context.memory_limit_in_mb)
    time.sleep(DURATIONS[memory] / 1000)
    return {"memory": memory, "event": event}


def starved(event: Any, context: Any) -> Any:
    if int(context.memory_limit_in_mb) < 256:
        raise MemoryError("out of memory")
    return "ok"


@pytest.fixture(scope="module")
def harness() -> Iterator[Harness]:
    with Harness(clock=None) as harness:
        harness.create_function("sized", sized, MemorySize=256)
        harness.create_function("starved", starved)
        harness.create_function("doomed", slow)
        harness.create_function("slow", slow)
        lam = harness.client("lambda")
        lam.publish_version(FunctionName="sized")
        lam.create_alias(FunctionName="sized", Name="live", FunctionVersion="1")
        yield harness


@pytest.fixture(scope="module")
def http(harness: Harness) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=harness.url, timeout=60) as client:
        yield client


def snapshot(harness: Harness, name: str) -> dict[str, Any]:
    lam = harness.client("lambda")
    latest = lam.get_function_configuration(FunctionName=name)
    latest.pop("ResponseMetadata")
    return {
        "latest": latest,
        "versions": lam.list_versions_by_function(FunctionName=name)["Versions"],
        "aliases": lam.list_aliases(FunctionName=name)["Aliases"],
    }


def transient(harness: Harness, name: str) -> list[str]:
    async def work(platform: Platform) -> list[str]:
        versions: list[str] = platform.component("lambda").functions.transient_versions(name)
        return versions

    return harness.call(work)


def finished(http: httpx.Client, tuning_id: str) -> dict[str, Any]:
    for _ in range(1200):  # bounded: a tuning here takes a second or two
        body: dict[str, Any] = http.get(f"/_altus/tunings/{tuning_id}").json()
        if body["Status"] != "RUNNING":
            return body
        time.sleep(0.05)
    raise AssertionError(f"tuning {tuning_id} did not end")


def tune(http: httpx.Client, **body: Any) -> dict[str, Any]:
    response = http.post("/_altus/tunings", json=body)
    assert response.status_code == 202, response.text
    started = response.json()
    assert started["Status"] == "RUNNING" and started["TuningId"]
    return finished(http, started["TuningId"])


@pytest.fixture(scope="module")
def sized_tuning(
    harness: Harness, http: httpx.Client
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    before = snapshot(harness, "sized")
    tuning = tune(http, FunctionName="sized", MemorySizes=SIZES, Runs=5, Payload='{"k": 1}')
    return tuning, before, snapshot(harness, "sized")


def test_best_sizes_follow_the_functions_duration(sized_tuning: Any) -> None:
    tuning = sized_tuning[0]
    assert tuning["Status"] == "SUCCEEDED", tuning
    assert tuning["FunctionName"] == "sized" and tuning["Qualifier"] == "$LATEST"
    assert [r["MemorySize"] for r in tuning["Results"]] == SIZES
    for result in tuning["Results"]:
        assert result["Runs"] == 5 and result["Errors"] == 0
        assert result["P50Ms"] <= result["P95Ms"]
        assert result["CostPerMillion"] > 0.2  # the request charge and then some
        assert result["InitDurationMs"] is None or result["InitDurationMs"] >= 0
    by_size = {r["MemorySize"]: r for r in tuning["Results"]}
    assert by_size[128]["P50Ms"] > by_size[1024]["P50Ms"]
    assert tuning["Best"]["Cost"] == 128
    assert tuning["Best"]["Speed"] == 1024
    # Balanced is the documented rule applied to what was measured.
    expected = best_sizes([SizeResult.from_api(r) for r in tuning["Results"]])
    assert tuning["Best"]["Balanced"] == expected.balanced
    assert "Ended" in tuning and "Error" not in tuning


def test_nothing_users_see_changes(harness: Harness, sized_tuning: Any) -> None:
    _, before, after = sized_tuning
    assert after == before
    assert transient(harness, "sized") == []


def test_listed_newest_first(harness: Harness, http: httpx.Client, sized_tuning: Any) -> None:
    tuning = sized_tuning[0]
    second = tune(http, FunctionName="sized", Qualifier="live", MemorySizes=[512], Runs=1)
    assert second["Status"] == "SUCCEEDED" and second["Qualifier"] == "live"
    listed = http.get("/_altus/tunings", params={"FunctionName": "sized"}).json()["Tunings"]
    ids = [t["TuningId"] for t in listed]
    assert ids.index(second["TuningId"]) < ids.index(tuning["TuningId"])
    assert all(t["FunctionName"] == "sized" for t in listed)
    others = http.get("/_altus/tunings", params={"FunctionName": "starved"}).json()["Tunings"]
    assert tuning["TuningId"] not in {t["TuningId"] for t in others}
    assert transient(harness, "sized") == []


def test_a_failing_size_is_never_best(harness: Harness, http: httpx.Client) -> None:
    tuning = tune(http, FunctionName="starved", MemorySizes=[128, 256], Runs=3, Parallel=True)
    assert tuning["Status"] == "SUCCEEDED"
    failing, working = tuning["Results"]
    # Errors are among the runs; the warm-up's failure is reported apart.
    assert failing["Errors"] == 3 and failing["WarmUpFailed"] is True
    assert failing["P50Ms"] is None and failing["CostPerMillion"] is None
    assert working["Errors"] == 0 and working["WarmUpFailed"] is False
    assert tuning["Best"] == {"Cost": 256, "Speed": 256, "Balanced": 256}
    assert transient(harness, "starved") == []


def test_every_size_is_made_from_the_configuration_the_job_started_with(
    harness: Harness,
) -> None:
    harness.create_function("snapped", starved, Timeout=30)
    lam = harness.client("lambda")

    async def base(platform: Platform) -> Any:
        return await platform.component("lambda").functions.transient_base("snapped", None)

    snapshot_config = harness.call(base)
    lam.update_function_configuration(FunctionName="snapped", Timeout=40)
    lam.get_waiter("function_updated_v2").wait(FunctionName="snapped")

    async def publish(platform: Platform) -> tuple[int, int]:
        functions = platform.component("lambda").functions
        made = await functions.publish_transient("snapped", None, "t", 512, snapshot_config)
        functions.drop_transient("snapped", made.version)
        return made.timeout, made.memory_size

    assert harness.call(publish) == (30, 512)


def test_chart(http: httpx.Client, sized_tuning: Any) -> None:
    tuning_id = sized_tuning[0]["TuningId"]
    response = http.get(f"/_altus/tunings/{tuning_id}/chart.svg")
    assert response.headers["content-type"].startswith("image/svg+xml")
    root = ET.fromstring(response.content)
    ns = "{http://www.w3.org/2000/svg}"
    series = {g.get("data-series"): g for g in root.iter(f"{ns}g") if g.get("class") == "series"}
    assert set(series) == {"p50", "p95", "cost"}
    assert [int(c.get("data-memory", "")) for c in series["cost"].iter(f"{ns}circle")] == SIZES
    page = http.get(f"/_altus/tunings/{tuning_id}/chart.html")
    assert page.headers["content-type"].startswith("text/html")
    assert "<svg" in page.text and "Best for cost: 128 MB" in page.text


@pytest.mark.parametrize(
    ("body", "status", "code", "words"),
    [
        ({"MemorySizes": [128]}, 400, "InvalidParameterValueException", "FunctionName"),
        ({"FunctionName": "nope", "MemorySizes": [128]}, 404, "ResourceNotFoundException", "nope"),
        (
            {"FunctionName": "sized", "Qualifier": "gone", "MemorySizes": [128]},
            404,
            "ResourceNotFoundException",
            "gone",
        ),
        ({"FunctionName": "sized", "MemorySizes": []}, 400, "InvalidParameterValueException", ""),
        (
            {"FunctionName": "sized", "MemorySizes": [64]},
            400,
            "InvalidParameterValueException",
            "64",
        ),
        (
            {"FunctionName": "sized", "MemorySizes": [128, 128]},
            400,
            "InvalidParameterValueException",
            "repeat",
        ),
        (
            {"FunctionName": "sized", "MemorySizes": [128], "Runs": 0},
            400,
            "InvalidParameterValueException",
            "Runs",
        ),
        (
            {"FunctionName": "sized", "MemorySizes": [128], "Payload": "{"},
            400,
            "InvalidParameterValueException",
            "Payload",
        ),
        (
            {"FunctionName": "sized", "MemorySizes": [128], "Colour": "red"},
            400,
            "InvalidParameterValueException",
            "Colour",
        ),
    ],
)
def test_bad_input(
    http: httpx.Client, body: dict[str, Any], status: int, code: str, words: str
) -> None:
    before = http.get("/_altus/tunings").json()["Tunings"]
    response = http.post("/_altus/tunings", json=body)
    assert response.status_code == status, response.text
    assert response.headers["x-amzn-ErrorType"].startswith(code)
    body = response.json()
    assert words in (body.get("message") or body.get("Message", "")), body
    assert http.get("/_altus/tunings").json()["Tunings"] == before


def test_unknown_tuning(http: httpx.Client) -> None:
    response = http.get("/_altus/tunings/nope")
    assert response.status_code == 404
    assert http.get("/_altus/tunings/nope/chart.svg").status_code == 404


def test_cli(harness: Harness, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    event = tmp_path / "event.json"
    event.write_text('{"from": "a file"}')
    code = main(
        [
            "tune",
            "sized",
            "--memory",
            "128,1024",
            "--payload",
            f"@{event}",
            "--runs",
            "2",
            "--out",
            str(tmp_path / "charts"),
            "--endpoint",
            harness.url,
        ]
    )
    out = capsys.readouterr()
    assert code == 0, out
    assert "best for cost: 128 MB" in out.out and "best for speed (P50): 1024 MB" in out.out
    assert "128 MB measured (1/2)" in out.err
    charts = sorted(p.name for p in (tmp_path / "charts").iterdir())
    assert len(charts) == 2 and charts[0].startswith("tune-sized-")
    assert {Path(c).suffix for c in charts} == {".html", ".svg"}
    ET.fromstring((tmp_path / "charts" / charts[1]).read_bytes())
    assert transient(harness, "sized") == []

    code = main(
        [
            "tune",
            "sized",
            "--memory",
            "256",
            "--runs",
            "1",
            "--json",
            "--out",
            str(tmp_path),
            "--endpoint",
            harness.url,
        ]
    )
    printed = json.loads(capsys.readouterr().out)
    assert code == 0 and printed["Best"]["Cost"] == 256

    code = main(["tune", "nope", "--memory", "128", "--endpoint", harness.url])
    assert code != 0
    assert "ResourceNotFoundException" in capsys.readouterr().err


def slow(event: Any, context: Any) -> Any:
    time.sleep(0.02)
    return "ok"


def test_a_stopped_server_fails_its_tunings(harness: Harness, http: httpx.Client) -> None:
    started = http.post(
        "/_altus/tunings", json={"FunctionName": "slow", "MemorySizes": [128], "Runs": 1000}
    ).json()
    again = http.post("/_altus/tunings", json={"FunctionName": "slow", "MemorySizes": [256]})
    assert again.status_code == 409  # one tuning of a function at a time
    assert started["TuningId"] in again.json()["message"]

    async def stop(platform: Platform) -> None:
        # What the server's close does first (its tuner's close: jobs cancelled).
        await platform.component("lambda").tuner.close()

    harness.call(stop)
    tuning = http.get(f"/_altus/tunings/{started['TuningId']}").json()
    assert tuning["Status"] == "FAILED"
    assert tuning["Error"] == "The server stopped before the tuning ended."
    assert "Ended" in tuning
    assert transient(harness, "slow") == []
    versions = harness.client("lambda").list_versions_by_function(FunctionName="slow")
    assert [v["Version"] for v in versions["Versions"]] == ["$LATEST"]


def test_a_deleted_function_fails_its_tuning(harness: Harness, http: httpx.Client) -> None:
    started = http.post(
        "/_altus/tunings", json={"FunctionName": "doomed", "MemorySizes": [128], "Runs": 1000}
    ).json()
    for _ in range(200):  # bounded: until the transient version is in use
        if transient(harness, "doomed"):
            break
        time.sleep(0.01)
    # No request can name a transient version.
    lam = harness.client("lambda")
    with pytest.raises(lam.exceptions.ClientError):
        lam.invoke(FunctionName="doomed", Qualifier=transient(harness, "doomed")[0])
    lam.delete_function(FunctionName="doomed")
    tuning = finished(http, started["TuningId"])
    assert tuning["Status"] == "FAILED"
    assert tuning["Error"].startswith("ResourceNotFoundException: Function not found")
    assert transient(harness, "doomed") == []


def test_a_tuning_needs_the_callers_leave_to_invoke(tmp_path: Path) -> None:
    # altus:Admin lets a principal use the route; it does not run what its policies deny.
    with guarded(tmp_path) as server:
        server.function("kept", {"ok": True})
        keys = server.admin_who_may_not_invoke()
        url = f"{server.harness.url}/_altus/tunings"
        job = {"FunctionName": "kept", "MemorySizes": [128], "Runs": 1}
        signer = SigV4(keys["aws_access_key_id"], keys["aws_secret_access_key"], "us-east-1")
        refused = httpx.post(url, json=job, auth=signer, timeout=60)
        assert refused.status_code == 403, refused.text
        assert refused.headers["x-amzn-errortype"] == "AccessDeniedException"
        admin = SigV4(
            server.keys["aws_access_key_id"], server.keys["aws_secret_access_key"], "us-east-1"
        )
        assert httpx.get(url, auth=admin, timeout=60).json()["Tunings"] == []
        assert httpx.post(url, json=job, auth=admin, timeout=60).status_code == 202
