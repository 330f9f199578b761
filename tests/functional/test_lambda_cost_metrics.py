"""Lambda's metering, cost and CloudWatch metrics on an in-process server: functions
invoked through boto3 (unqualified, by alias, by version; x86 and Arm) leave usage rows,
``/_altus/cost`` and ``altus cost`` price them, and CloudWatch answers Invocations and
Duration percentiles for a function, its alias and the account, and the metrics a
function wrote in the embedded metric format."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from altus.cli.main import main as cli
from altus.observe.billing import UsageRow
from altus.platform import Platform
from altus.testing import Harness, wait_until

APP = (
    "import json, time\n"
    "def handler(event, context):\n"
    "    print(json.dumps({'_aws': {'Timestamp': int(time.time() * 1000),\n"
    "        'CloudWatchMetrics': [{'Namespace': 'Shop', 'Dimensions': [['service']],\n"
    "        'Metrics': [{'Name': 'Orders', 'Unit': 'Count'}]}]},\n"
    "        'service': 'checkout', 'Orders': [1, 2]}))\n"
    "    return {'ok': True}\n"
)
COST_KEYS = {"Requests", "Duration", "Ephemeral", "Provisioned", "Total"}


@pytest.fixture(scope="module")
def altus() -> Iterator[Harness]:
    with Harness(sandbox="process", clock=None, keep_alive_seconds=60) as harness:
        harness.create_function("shop", files={"app.py": APP}, MemorySize=1024)
        harness.create_function(
            "arm",
            files={"app.py": APP},
            MemorySize=2048,
            Architectures=["arm64"],
            EphemeralStorage={"Size": 1024},
        )
        lam = harness.client("lambda")
        lam.publish_version(FunctionName="shop")
        lam.create_alias(FunctionName="shop", Name="live", FunctionVersion="1")
        for name in ("shop", "shop", "shop:live", "shop:live", "shop:1", "arm"):
            answer = lam.invoke(FunctionName=name, Payload=b"{}")
            assert json.loads(answer["Payload"].read()) == {"ok": True}
        yield harness


def _lambda(altus: Harness) -> Any:
    assert altus.platform is not None
    return altus.platform.component("lambda")


def usage(altus: Harness) -> list[UsageRow]:
    async def read(platform: Platform) -> list[UsageRow]:
        lam = platform.component("lambda")
        await lam.meter.flush()
        rows: list[UsageRow] = await lam.usage.usage(0, 2**40)
        return rows

    return altus.call(read)


def test_every_invocation_is_metered_per_version_and_configuration(altus: Harness) -> None:
    rows = {(r.function, r.version): r for r in usage(altus)}
    assert rows[("shop", "$LATEST")].requests == 2
    assert rows[("shop", "1")].requests == 3  # the alias and the version ran version 1
    shop = rows[("shop", "1")]
    assert (shop.architecture, shop.memory_mb, shop.provisioned) == ("x86_64", 1024, False)
    assert shop.billed_ms > 0
    assert shop.gb_seconds == pytest.approx(shop.billed_ms / 1000)
    arm = rows[("arm", "$LATEST")]
    assert (arm.architecture, arm.memory_mb, arm.ephemeral_mb) == ("arm64", 2048, 1024)
    assert arm.ephemeral_gb_seconds == pytest.approx(arm.billed_ms / 1000 / 2)


def test_the_cost_route_prices_usage_per_function(altus: Harness) -> None:
    body = httpx.get(altus.url + "/_altus/cost", params={"since": "1h"}).json()
    assert set(body) == {
        "Currency",
        "Prices",
        "Since",
        "Until",
        "By",
        "Items",
        "Total",
        "ProjectedMonthly",
    }
    assert body["Currency"] == "USD" and body["By"] == "function"
    assert body["Prices"]["Region"] == "us-east-1" and body["Prices"]["Date"]
    items = {item["Key"]: item for item in body["Items"]}
    assert set(items) == {"arm", "shop"}
    shop = items["shop"]
    assert set(shop) == {
        "Key",
        "Requests",
        "GBSeconds",
        "EphemeralGBSeconds",
        "ProvisionedGBSeconds",
        "Cost",
        "ProjectedMonthly",
    }
    assert shop["Requests"] == 5
    assert set(shop["Cost"]) == COST_KEYS
    assert shop["Cost"]["Requests"] == pytest.approx(5 * 0.2e-6)
    assert shop["Cost"]["Duration"] == pytest.approx(shop["GBSeconds"] * 0.0000166667, rel=1e-3)
    assert items["arm"]["Cost"]["Ephemeral"] > 0
    assert body["Total"]["Total"] == pytest.approx(
        sum(i["Cost"]["Total"] for i in body["Items"]), abs=1e-9
    )
    since = datetime.fromisoformat(body["Since"].replace("Z", "+00:00"))
    until = datetime.fromisoformat(body["Until"].replace("Z", "+00:00"))
    assert abs((until - since) - timedelta(hours=1)) < timedelta(seconds=2)
    # The rate is over the whole hours the rows cover that have passed: from the start
    # of since's hour to now (until).
    covered = (until - since.replace(minute=0, second=0, microsecond=0)).total_seconds() / 3600
    assert body["ProjectedMonthly"] == pytest.approx(
        body["Total"]["Total"] * 730 / covered, rel=1e-2
    )


def test_the_cost_route_by_day_and_its_errors(altus: Harness) -> None:
    today = datetime.now(UTC).strftime("%Y-%m-%d")
    body = httpx.get(altus.url + "/_altus/cost", params={"since": "2d", "by": "day"}).json()
    assert [item["Key"] for item in body["Items"]] == [today]
    assert body["Items"][0]["Requests"] == 6
    before = {"since": "2020-01-01T00:00:00Z", "until": "2020-01-02"}
    body = httpx.get(altus.url + "/_altus/cost", params=before).json()
    assert body["Items"] == [] and body["Total"]["Total"] == 0
    assert body["Until"] == "2020-01-02T00:00:00Z"
    for params in ({"by": "week"}, {"since": "yesterday"}, {"since": "1h", "until": "2h"}):
        answer = httpx.get(altus.url + "/_altus/cost", params=params)
        assert answer.status_code == 400, params
        assert answer.headers["x-amzn-errortype"] == "InvalidParameterValueException"
        assert answer.json()["message"]


def test_the_cli_prints_a_table_with_totals_and_the_projection(
    altus: Harness, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli(["cost", "--since", "1h", "--endpoint", altus.url]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1].split()[:2] == ["FUNCTION", "REQUESTS"]
    assert [line.split()[0] for line in lines[2:5]] == ["arm", "shop", "TOTAL"]
    assert lines[4].split()[1] == "6"
    assert "a month" in lines[-1]
    assert cli(["cost", "--by", "day", "--json", "--endpoint", altus.url]) == 0
    assert json.loads(capsys.readouterr().out)["By"] == "day"
    assert cli(["cost", "--since", "nonsense", "--endpoint", altus.url]) != 0
    assert "InvalidParameterValueException" in capsys.readouterr().err


# --- CloudWatch --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cloudwatch(altus: Harness) -> Any:
    async def flush(platform: Platform) -> None:
        await platform.component("cloudwatch").flush()

    altus.call(flush)
    return altus.client("cloudwatch")


def statistics(cloudwatch: Any, name: str, dimensions: dict[str, str], **kwargs: Any) -> Any:
    now = datetime.now(UTC)
    answer = cloudwatch.get_metric_statistics(
        Namespace=kwargs.pop("Namespace", "AWS/Lambda"),
        MetricName=name,
        Dimensions=[{"Name": k, "Value": v} for k, v in dimensions.items()],
        StartTime=now - timedelta(minutes=10),
        EndTime=now + timedelta(minutes=1),
        Period=3600,
        **kwargs,
    )
    return answer["Datapoints"]


def _total(points: list[dict[str, Any]], key: str = "Sum") -> float:
    return sum(p[key] for p in points)


def test_invocations_by_function_alias_executed_version_and_account(cloudwatch: Any) -> None:
    by = {"Statistics": ["Sum"]}
    assert _total(statistics(cloudwatch, "Invocations", {"FunctionName": "shop"}, **by)) == 5
    live = {"FunctionName": "shop", "Resource": "shop:live"}
    assert _total(statistics(cloudwatch, "Invocations", live, **by)) == 2
    executed = {**live, "ExecutedVersion": "1"}
    assert _total(statistics(cloudwatch, "Invocations", executed, **by)) == 2
    assert _total(statistics(cloudwatch, "Invocations", {}, **by)) == 6
    assert _total(statistics(cloudwatch, "Errors", {"FunctionName": "shop"}, **by)) == 0


def test_duration_percentiles(cloudwatch: Any) -> None:
    for dims in ({"FunctionName": "shop"}, {"FunctionName": "shop", "Resource": "shop:live"}, {}):
        points = statistics(
            cloudwatch, "Duration", dims, ExtendedStatistics=["p95"], Unit="Milliseconds"
        )
        assert points and all(p["ExtendedStatistics"]["p95"] > 0 for p in points), dims


def test_get_metric_data_answers_the_same(cloudwatch: Any) -> None:
    now = datetime.now(UTC)
    answer = cloudwatch.get_metric_data(
        MetricDataQueries=[
            {
                "Id": "p95",
                "MetricStat": {
                    "Metric": {
                        "Namespace": "AWS/Lambda",
                        "MetricName": "Duration",
                        "Dimensions": [{"Name": "FunctionName", "Value": "arm"}],
                    },
                    "Period": 3600,
                    "Stat": "p95",
                },
            },
            {
                "Id": "calls",
                "MetricStat": {
                    "Metric": {"Namespace": "AWS/Lambda", "MetricName": "Invocations"},
                    "Period": 3600,
                    "Stat": "Sum",
                },
            },
        ],
        StartTime=now - timedelta(minutes=10),
        EndTime=now + timedelta(minutes=1),
    )
    results = {r["Id"]: r for r in answer["MetricDataResults"]}
    assert results["p95"]["Values"] and results["p95"]["Values"][0] > 0
    assert sum(results["calls"]["Values"]) == 6


def test_embedded_metric_format_lines_become_metrics(cloudwatch: Any) -> None:
    points = statistics(
        cloudwatch,
        "Orders",
        {"service": "checkout"},
        Namespace="Shop",
        Statistics=["Sum", "SampleCount"],
    )
    assert _total(points) == 6 * 3
    assert _total(points, "SampleCount") == 6 * 2


def test_provisioned_concurrency_is_metered_priced_and_published(
    altus: Harness, cloudwatch: Any
) -> None:
    lam = altus.client("lambda")
    altus.create_function("warm", files={"app.py": APP}, MemorySize=512)
    version = lam.publish_version(FunctionName="warm")["Version"]
    lam.create_alias(FunctionName="warm", Name="live", FunctionVersion=version)
    lam.put_provisioned_concurrency_config(
        FunctionName="warm", Qualifier="live", ProvisionedConcurrentExecutions=1
    )
    wait_until(
        lambda: (
            lam.get_provisioned_concurrency_config(FunctionName="warm", Qualifier="live")["Status"]
            == "READY"
        )
    )
    for _ in range(2):
        lam.invoke(FunctionName="warm:live", Payload=b"{}")
    lam.invoke(FunctionName="warm:live", InvocationType="Event", Payload=b"{}")

    def served() -> list[UsageRow]:
        rows = [r for r in usage(altus) if r.function == "warm" and r.provisioned]
        return rows if sum(r.requests for r in rows) == 3 else []

    rows = wait_until(served)
    assert sum(r.provisioned_gb_seconds for r in rows) > 0
    body = httpx.get(altus.url + "/_altus/cost", params={"since": "1h"}).json()
    warm = {item["Key"]: item for item in body["Items"]}["warm"]
    assert warm["ProvisionedGBSeconds"] > 0 and warm["Cost"]["Provisioned"] > 0

    async def flush(platform: Platform) -> None:
        await platform.component("cloudwatch").flush()

    altus.call(flush)
    live = {"FunctionName": "warm", "Resource": "warm:live"}
    by = {"Statistics": ["Sum"]}
    assert _total(statistics(cloudwatch, "ProvisionedConcurrencyInvocations", live, **by)) == 3
    spill = statistics(cloudwatch, "ProvisionedConcurrencySpilloverInvocations", live, **by)
    assert _total(spill) == 0
    received = statistics(cloudwatch, "AsyncEventsReceived", {"FunctionName": "warm"}, **by)
    assert _total(received) == 1
    utilization = statistics(
        cloudwatch, "ProvisionedConcurrencyUtilization", live, Statistics=["Maximum"]
    )
    assert utilization and max(p["Maximum"] for p in utilization) == 1.0
