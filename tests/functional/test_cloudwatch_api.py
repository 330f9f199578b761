"""CloudWatch metrics through boto3's ``cloudwatch`` client against a server in this
process (the public harness): PutMetricData, GetMetricStatistics, GetMetricData and
ListMetrics in each protocol the model lists (Smithy RPC v2 CBOR, awsJson 1.0, query),
AWS's refusals, paging, gzipped bodies, unsigned CBOR requests, and the platform's own
metrics reaching the store through the component (``MetricSink``)."""

from __future__ import annotations

import datetime
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import boto3
import cbor2
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from botocore.serialize import create_serializer

from altus.observe.metrics import Aggregate, SeriesKey, Statistics
from altus.platform import Platform
from altus.testing import Harness

PROTOCOLS = ("smithy-rpc-v2-cbor", "json", "query")
UTC = datetime.UTC


@pytest.fixture(scope="module")
def harness() -> Iterator[Harness]:
    with Harness(clock=None) as running:
        yield running


def client(
    harness: Harness, protocol: str = "json", keys: dict[str, str] | None = None, **config: Any
) -> Any:
    """A cloudwatch client speaking ``protocol`` (boto3 picks awsJson from the model's
    list; other SDKs pick CBOR, the AWS CLI v1 and older SDKs the query protocol)."""
    made = boto3.client(
        "cloudwatch",
        endpoint_url=harness.url,
        region_name="us-east-1",
        **(keys or {"aws_access_key_id": "x", "aws_secret_access_key": "x"}),
        config=Config(retries={"total_max_attempts": 1}, **config),
    )
    made.meta.service_model.__dict__["resolved_protocol"] = protocol
    checks = config.get("parameter_validation", True)
    made._serializer = create_serializer(protocol, include_validation=checks)
    return made


@pytest.fixture
def namespace() -> str:
    """A namespace of this test's own (the server is shared by the module's tests)."""
    return f"Test/{uuid.uuid4().hex[:10]}"


def hour_ago() -> datetime.datetime:
    """A minute boundary an hour back: data put from there stays in one minute each."""
    now = datetime.datetime.now(UTC).replace(second=0, microsecond=0)
    return now - datetime.timedelta(hours=1)


def refusal(call: Any, **kwargs: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as raised:
        call(**kwargs)
    error = raised.value.response["Error"]
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    return error["Code"], error["Message"]


DIMS = [{"Name": "Stage", "Value": "prod"}]


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_put_then_read_in_each_protocol(harness: Harness, namespace: str, protocol: str) -> None:
    cw = client(harness, protocol)
    start = hour_ago()
    cw.put_metric_data(
        Namespace=namespace,
        MetricData=[
            {
                "MetricName": "Latency",
                "Dimensions": DIMS,
                "Timestamp": start + datetime.timedelta(seconds=5),
                "Values": [10.0, 20.0, 30.0],
                "Counts": [1.0, 1.0, 2.0],
                "Unit": "Milliseconds",
            },
            {
                "MetricName": "Latency",
                "Dimensions": DIMS,
                "Timestamp": start + datetime.timedelta(seconds=65),
                "Value": 100.0,
                "Unit": "Milliseconds",
            },
        ],
    )
    stats = cw.get_metric_statistics(
        Namespace=namespace,
        MetricName="Latency",
        Dimensions=DIMS,
        StartTime=start,
        EndTime=start + datetime.timedelta(minutes=5),
        Period=60,
        Statistics=["SampleCount", "Sum", "Average", "Minimum", "Maximum"],
    )
    assert stats["Label"] == "Latency"
    points = sorted(stats["Datapoints"], key=lambda p: p["Timestamp"])
    assert [p["Timestamp"] for p in points] == [start, start + datetime.timedelta(minutes=1)]
    assert {k: v for k, v in points[0].items() if k != "Timestamp"} == {
        "SampleCount": 4.0,
        "Sum": 90.0,
        "Average": 22.5,
        "Minimum": 10.0,
        "Maximum": 30.0,
        "Unit": "Milliseconds",
    }
    data = cw.get_metric_data(
        MetricDataQueries=[
            {
                "Id": "lat",
                "MetricStat": {
                    "Metric": {"Namespace": namespace, "MetricName": "Latency", "Dimensions": DIMS},
                    "Period": 300,
                    "Stat": "Sum",
                },
            }
        ],
        StartTime=start,
        EndTime=start + datetime.timedelta(minutes=5),
    )
    [result] = data["MetricDataResults"]
    assert (result["Id"], result["Label"], result["StatusCode"]) == ("lat", "Latency", "Complete")
    assert (result["Timestamps"], result["Values"]) == ([start], [190.0])
    listed = cw.list_metrics(Namespace=namespace)["Metrics"]
    assert listed == [{"Namespace": namespace, "MetricName": "Latency", "Dimensions": DIMS}]
    code, message = refusal(
        cw.put_metric_data, Namespace="AWS/Lambda", MetricData=[{"MetricName": "a", "Value": 1}]
    )
    assert (code, message) == (
        "InvalidParameterValue",
        "The value AWS/Lambda for parameter Namespace is invalid.",
    )


def test_percentiles_units_and_high_resolution(harness: Harness, namespace: str) -> None:
    cw = client(harness)
    start = hour_ago()
    values = [float(v) for v in range(1, 101)]
    cw.put_metric_data(
        Namespace=namespace,
        MetricData=[
            {
                "MetricName": "Size",
                "Timestamp": start + datetime.timedelta(seconds=i % 3),
                "Values": values,
                "Unit": "Bytes",
                "StorageResolution": 1,
            }
            for i in range(3)
        ]
        + [{"MetricName": "Size", "Timestamp": start, "Value": 7.0, "Unit": "Count"}],
    )
    window = {"StartTime": start, "EndTime": start + datetime.timedelta(seconds=60)}
    stats = cw.get_metric_statistics(
        Namespace=namespace,
        MetricName="Size",
        Period=60,
        ExtendedStatistics=["p50", "p99.9", "p100"],
        Unit="Bytes",
        **window,
    )
    [point] = stats["Datapoints"]
    extended = point["ExtendedStatistics"]
    assert abs(extended["p50"] - 50) <= 0.5 and extended["p100"] == 100.0
    # Without a unit: a datapoint for each unit the metric was put in.
    stats = cw.get_metric_statistics(
        Namespace=namespace, MetricName="Size", Period=60, Statistics=["SampleCount"], **window
    )
    assert sorted((p["Unit"], p["SampleCount"]) for p in stats["Datapoints"]) == [
        ("Bytes", 300.0),
        ("Count", 1.0),
    ]
    # Per second (high resolution only): the three seconds apart.
    stats = cw.get_metric_statistics(
        Namespace=namespace,
        MetricName="Size",
        Period=1,
        Statistics=["SampleCount"],
        Unit="Bytes",
        **window,
    )
    assert sorted(p["SampleCount"] for p in stats["Datapoints"]) == [100.0, 100.0, 100.0]


def test_get_metric_statistics_refusals(harness: Harness) -> None:
    cw = client(harness)
    now = datetime.datetime.now(UTC)
    base: dict[str, Any] = {"Namespace": "n", "MetricName": "m", "EndTime": now}
    base["StartTime"] = now - datetime.timedelta(hours=1)
    cases: list[tuple[dict[str, Any], str, str]] = [
        ({"Period": 45, "Statistics": ["Sum"]}, "InvalidParameterValue", "Period must be"),
        (
            {"Period": 60, "Statistics": ["Sum"], "ExtendedStatistics": ["p90"]},
            "InvalidParameterCombination",
            "mutually exclusive",
        ),
        ({"Period": 60}, "MissingParameter", "Statistics or ExtendedStatistics"),
        ({"Period": 60, "ExtendedStatistics": ["p101"]}, "InvalidParameterValue", "percentile"),
        ({"Period": 1, "Statistics": ["Sum"]}, "InvalidParameterCombination", "limit of 1440"),
    ]
    for extra, code, words in cases:
        found = refusal(cw.get_metric_statistics, **base, **extra)
        assert found[0] == code and words in found[1], found
    code, message = refusal(
        cw.get_metric_statistics,
        **{**base, "StartTime": now, "EndTime": now - datetime.timedelta(minutes=1)},
        Period=60,
        Statistics=["Sum"],
    )
    assert message == "The parameter StartTime must be less than the parameter EndTime."
    code, message = refusal(
        cw.get_metric_statistics,
        **{**base, "StartTime": now, "EndTime": now},
        Period=60,
        Statistics=["Sum"],
    )
    assert message == "The parameter StartTime must not equal parameter EndTime."
    # The model's constraints, in Coral's words.
    unchecked = client(harness, parameter_validation=False)
    code, message = refusal(unchecked.get_metric_statistics, **base, Period=0, Statistics=["Sum"])
    assert code == "ValidationError" and "failed to satisfy constraint" in message


def test_get_metric_data_pages_scans_and_refuses_math(harness: Harness, namespace: str) -> None:
    cw = client(harness, "smithy-rpc-v2-cbor")
    start = hour_ago()
    cw.put_metric_data(
        Namespace=namespace,
        MetricData=[
            {"MetricName": name, "Timestamp": start + datetime.timedelta(minutes=i), "Value": i}
            for i in range(10)
            for name in ("a", "b")
        ],
    )

    def query(name: str, **extra: Any) -> dict[str, Any]:
        metric = {"Namespace": namespace, "MetricName": name}
        return {
            "Id": name,
            "MetricStat": {"Metric": metric, "Period": 60, "Stat": "Maximum"},
            **extra,
        }

    window = {"StartTime": start, "EndTime": start + datetime.timedelta(minutes=10)}
    pages: list[dict[str, Any]] = []
    request: dict[str, Any] = {
        "MetricDataQueries": [query("a", Label="A"), query("b", ReturnData=False)],
        "MaxDatapoints": 4,
        "ScanBy": "TimestampAscending",
        **window,
    }
    for _ in range(10):
        page = cw.get_metric_data(**request)
        pages.append(page)
        if "NextToken" not in page:
            break
        request["NextToken"] = page["NextToken"]
    assert [len(p["MetricDataResults"][0]["Values"]) for p in pages] == [4, 4, 2]
    assert [p["MetricDataResults"][0]["StatusCode"] for p in pages] == [
        "PartialData",
        "PartialData",
        "Complete",
    ]
    assert [v for p in pages for v in p["MetricDataResults"][0]["Values"]] == list(range(10))
    assert pages[0]["MetricDataResults"][0]["Label"] == "A"
    assert all(len(p["MetricDataResults"]) == 1 for p in pages)  # b: ReturnData False
    newest = cw.get_metric_data(MetricDataQueries=[query("a")], **window)
    assert newest["MetricDataResults"][0]["Values"] == list(range(9, -1, -1))
    code, message = refusal(
        cw.get_metric_data,
        MetricDataQueries=[query("a"), {"Id": "e1", "Expression": "SUM(METRICS())"}],
        **window,
    )
    assert code == "ValidationError" and "Metric math is not supported by Altus" in message
    code, message = refusal(
        cw.get_metric_data,
        MetricDataQueries=[
            {**query("a"), "MetricStat": {**query("a")["MetricStat"], "Stat": "tm90"}}
        ],
        **window,
    )
    assert "tm90" in message and "not supported" in message
    code, _ = refusal(cw.get_metric_data, MetricDataQueries=[query("a"), query("a")], **window)
    assert code == "ValidationError"
    code, _ = refusal(
        cw.get_metric_data, MetricDataQueries=[query("a")], NextToken="bogus", **window
    )
    assert code == "InvalidNextToken"


def test_list_metrics_filters_and_pages(harness: Harness, namespace: str) -> None:
    cw = client(harness, "query")
    for batch in range(2):  # 1000 a request at most
        cw.put_metric_data(
            Namespace=namespace,
            MetricData=[
                {
                    "MetricName": f"m{batch * 300 + i:04d}",
                    "Dimensions": [{"Name": "Fn", "Value": f"f{i % 3}"}],
                    "Value": 1.0,
                }
                for i in range(300)
            ],
        )
    first = cw.list_metrics(Namespace=namespace)
    assert len(first["Metrics"]) == 500
    rest = cw.list_metrics(Namespace=namespace, NextToken=first["NextToken"])
    assert len(rest["Metrics"]) == 100 and "NextToken" not in rest
    names = [m["MetricName"] for m in first["Metrics"] + rest["Metrics"]]
    assert names == sorted(names) and len(set(names)) == 600
    f1 = cw.list_metrics(Namespace=namespace, Dimensions=[{"Name": "Fn", "Value": "f1"}])
    assert len(f1["Metrics"]) == 200
    named = cw.list_metrics(Namespace=namespace, Dimensions=[{"Name": "Fn"}], MetricName="m0001")
    assert [m["MetricName"] for m in named["Metrics"]] == ["m0001"]
    assert cw.list_metrics(Namespace=namespace, Dimensions=[{"Name": "Other"}])["Metrics"] == []
    recent = cw.list_metrics(Namespace=namespace, RecentlyActive="PT3H", MetricName="m0002")
    assert len(recent["Metrics"]) == 1
    code, _ = refusal(cw.list_metrics, Namespace=namespace, NextToken="bogus")
    assert code == "InvalidNextToken"


def test_large_puts_arrive_gzipped(harness: Harness, namespace: str) -> None:
    """botocore gzips PutMetricData past ``request_min_compression_size_bytes``."""
    cw = client(harness, "json", request_min_compression_size_bytes=128)
    sent: list[Any] = []

    def seen(request: Any, **_: Any) -> None:
        sent.append(request.headers.get("Content-Encoding", ""))

    cw.meta.events.register("before-send.cloudwatch.PutMetricData", seen)
    cw.put_metric_data(
        Namespace=namespace, MetricData=[{"MetricName": f"m{i}", "Value": 1.0} for i in range(50)]
    )
    assert [bytes(h) if isinstance(h, bytes) else h.encode() for h in sent] == [b"gzip"]
    assert len(cw.list_metrics(Namespace=namespace)["Metrics"]) == 50


def test_unsigned_cbor_requests_reach_the_service(harness: Harness, namespace: str) -> None:
    body = cbor2.dumps({"Namespace": namespace, "MetricData": [{"MetricName": "u", "Value": 2.0}]})
    request = urllib.request.Request(
        f"{harness.url}/service/GraniteServiceVersion20100801/operation/PutMetricData",
        data=body,
        method="POST",
        headers={"smithy-protocol": "rpc-v2-cbor", "Content-Type": "application/cbor"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.headers["smithy-protocol"] == "rpc-v2-cbor"
        assert cbor2.loads(response.read()) == {}
    assert client(harness).list_metrics(Namespace=namespace)["Metrics"][0]["MetricName"] == "u"


class Depth:
    """A part of the platform that aggregates a metric of its own."""

    def __init__(self, key: SeriesKey) -> None:
        self.key = key
        self.pending: list[Aggregate] = []

    def drain(self) -> Iterable[Aggregate]:
        drained, self.pending = self.pending, []
        return drained


def test_the_platforms_metrics_arrive_through_the_sink(harness: Harness, namespace: str) -> None:
    key = SeriesKey(namespace, "Depth", (("Queue", "q"),), "Count")
    source = Depth(key)
    second = int(time.time()) - 120
    values = Statistics()
    values.add(3.0)
    source.pending.append(Aggregate(key, second, values))
    put = Statistics()
    put.add(5.0)

    async def hand_over(platform: Platform) -> None:
        sink = platform.component("cloudwatch")
        sink.register(source)
        sink.put([Aggregate(key, second, put)])
        await sink.flush()

    harness.call(hand_over)
    stats = client(harness).get_metric_statistics(
        Namespace=namespace,
        MetricName="Depth",
        Dimensions=[{"Name": "Queue", "Value": "q"}],
        StartTime=datetime.datetime.fromtimestamp(second - second % 60, UTC),
        EndTime=datetime.datetime.fromtimestamp(second - second % 60 + 60, UTC),
        Period=60,
        Statistics=["Sum", "SampleCount"],
    )
    [point] = stats["Datapoints"]
    assert (point["Sum"], point["SampleCount"], point["Unit"]) == (8.0, 2.0, "Count")


def test_queue_depths_are_aws_sqs_metrics(harness: Harness) -> None:
    from altus.queues.metrics import QueueDepths

    sqs = harness.client("sqs")
    name = f"depth-{uuid.uuid4().hex[:8]}"
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="a")
    sqs.send_message(QueueUrl=url, MessageBody="b", DelaySeconds=60)
    sqs.receive_message(QueueUrl=url, VisibilityTimeout=60)

    async def sample(platform: Platform) -> list[Aggregate]:
        depths = QueueDepths(platform.component("sqs"))
        # Not the minute it was made in (a restart within a minute sampled it already).
        assert list(depths.drain()) == []
        depths._sampled -= 1  # as if made a minute before
        drained = list(depths.drain())
        sink = platform.component("cloudwatch")
        sink.put(drained)
        await sink.flush()
        return drained

    drained = harness.call(sample)
    mine = {
        a.key.name: a.values.total for a in drained if a.key.dimensions == (("QueueName", name),)
    }
    assert mine == {
        "ApproximateNumberOfMessagesVisible": 0.0,
        "ApproximateNumberOfMessagesNotVisible": 1.0,
        "ApproximateNumberOfMessagesDelayed": 1.0,
    }
    listed = client(harness).list_metrics(
        Namespace="AWS/SQS", Dimensions=[{"Name": "QueueName", "Value": name}]
    )["Metrics"]
    assert sorted(m["MetricName"] for m in listed) == sorted(mine)


def test_callers_need_cloudwatch_actions(tmp_path: Path) -> None:
    """With ``--auth iam``: every protocol's signed requests (a gzipped body's signature
    is over what was sent), ``cloudwatch:<Operation>`` on ``*``, unsigned ones refused."""
    import json

    from altus.identity.keys import read_credentials

    with Harness(clock=None, data_dir=tmp_path, auth="iam") as altus:
        found = read_credentials(tmp_path / "credentials")
        assert found is not None
        admin = {"aws_access_key_id": found[0], "aws_secret_access_key": found[1]}
        for protocol in PROTOCOLS:
            signed = client(altus, protocol, admin, request_min_compression_size_bytes=64)
            signed.put_metric_data(
                Namespace="Signed", MetricData=[{"MetricName": protocol, "Value": 1.0}] * 5
            )
        iam = boto3.client("iam", endpoint_url=altus.url, region_name="us-east-1", **admin)
        iam.create_user(UserName="reader")
        policy = {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "cloudwatch:ListMetrics", "Resource": "*"}],
        }
        iam.put_user_policy(UserName="reader", PolicyName="p", PolicyDocument=json.dumps(policy))
        key = iam.create_access_key(UserName="reader")["AccessKey"]
        reader = client(
            altus,
            "smithy-rpc-v2-cbor",
            {
                "aws_access_key_id": key["AccessKeyId"],
                "aws_secret_access_key": key["SecretAccessKey"],
            },
        )
        listed = reader.list_metrics(Namespace="Signed")["Metrics"]
        assert sorted(m["MetricName"] for m in listed) == sorted(PROTOCOLS)
        with pytest.raises(ClientError) as raised:
            reader.put_metric_data(Namespace="Signed", MetricData=[{"MetricName": "x", "Value": 1}])
        assert "cloudwatch:PutMetricData" in raised.value.response["Error"]["Message"]
        request = urllib.request.Request(
            f"{altus.url}/service/GraniteServiceVersion20100801/operation/ListMetrics",
            data=cbor2.dumps({}),
            method="POST",
            headers={"smithy-protocol": "rpc-v2-cbor", "Content-Type": "application/cbor"},
        )
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=30)
        assert refused.value.code in (400, 403)
        assert refused.value.headers["smithy-protocol"] == "rpc-v2-cbor"


# --- review fixes ------------------------------------------------------------------------


def _raw(harness: Harness, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
    request = urllib.request.Request(harness.url + path, data=body, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


_CBOR = "/service/GraniteServiceVersion20100801/operation/PutMetricData"
_CBOR_HEADERS = {"smithy-protocol": "rpc-v2-cbor", "Content-Type": "application/cbor"}


def test_statistics_count_nothing_after_the_end_time(harness: Harness, namespace: str) -> None:
    cw = client(harness)
    t0 = hour_ago().replace(minute=0) - datetime.timedelta(hours=1)
    for k in range(10):
        cw.put_metric_data(
            Namespace=namespace,
            MetricData=[
                {
                    "MetricName": "q",
                    "Timestamp": t0 + datetime.timedelta(seconds=60 * k + 1),
                    "Values": [float(v) for v in range(10 * k, 10 * k + 10)],
                }
            ],
        )
    for period in (300, 3600):
        [point] = cw.get_metric_statistics(
            Namespace=namespace,
            MetricName="q",
            Period=period,
            StartTime=t0,
            EndTime=t0 + datetime.timedelta(seconds=120),
            Statistics=["SampleCount"],
        )["Datapoints"]
        assert point["SampleCount"] == 20


def test_numbers_past_any_double_are_refused(harness: Harness, namespace: str) -> None:
    huge = "9" * 400
    datum = '[{"MetricName":"m","Value":' + huge + "}]"
    body = '{"Namespace":"' + namespace + '","MetricData":' + datum + "}"
    status, answer = _raw(
        harness,
        "/",
        body.encode(),
        {
            "X-Amz-Target": "GraniteServiceVersion20100801.PutMetricData",
            "Content-Type": "application/x-amz-json-1.0",
        },
    )
    assert status == 400 and b"MetricData.member.1.Value" in answer
    big = {"Namespace": namespace, "MetricData": [{"MetricName": "m", "Value": 10**400}]}
    status, answer = _raw(harness, _CBOR, cbor2.dumps(big), _CBOR_HEADERS)
    assert status == 400 and "InvalidParameterValue" in cbor2.loads(answer)["__type"]


def test_gzip_bodies_must_be_whole_and_named_exactly(harness: Harness, namespace: str) -> None:
    import gzip

    good = cbor2.dumps({"Namespace": namespace, "MetricData": [{"MetricName": "z", "Value": 1.0}]})
    packed = gzip.compress(good)
    gzipped = {**_CBOR_HEADERS, "Content-Encoding": "gzip"}
    for broken in (packed[:-8], packed[:-4], packed + b"trailing junk"):
        status, answer = _raw(harness, _CBOR, broken, gzipped)
        assert status == 400, answer
    # Not gzip: a token that merely holds the word is not it.
    status, _ = _raw(harness, _CBOR, good, {**_CBOR_HEADERS, "Content-Encoding": "notgzip"})
    assert status == 200
    status, _ = _raw(harness, _CBOR, packed, {**_CBOR_HEADERS, "Content-Encoding": "br, gzip"})
    assert status == 200
    # PutMetricData's body is 1 MiB at most, gzipped or not (once inflated).
    status, answer = _raw(harness, _CBOR, gzip.compress(b"\0" * (1024 * 1024 + 1)), gzipped)
    assert status == 413 or status == 400, answer


def test_get_metric_data_pages_hold_their_place_when_data_arrives(
    harness: Harness, namespace: str
) -> None:
    cw = client(harness)
    start = hour_ago()
    cw.put_metric_data(
        Namespace=namespace,
        MetricData=[
            {"MetricName": "g", "Timestamp": start + datetime.timedelta(minutes=m), "Value": 1.0}
            for m in range(1, 5)
        ],
    )
    request = {
        "MetricDataQueries": [
            {
                "Id": "g",
                "MetricStat": {
                    "Metric": {"Namespace": namespace, "MetricName": "g"},
                    "Period": 60,
                    "Stat": "Sum",
                },
            }
        ],
        "StartTime": start,
        "EndTime": start + datetime.timedelta(minutes=10),
        "ScanBy": "TimestampAscending",
        "MaxDatapoints": 2,
    }
    first = cw.get_metric_data(**request)
    assert [t.minute for t in first["MetricDataResults"][0]["Timestamps"]] == [
        (start + datetime.timedelta(minutes=m)).minute for m in (1, 2)
    ]
    # A value before the page's place arrives: the next page does not shift back.
    cw.put_metric_data(
        Namespace=namespace, MetricData=[{"MetricName": "g", "Timestamp": start, "Value": 1.0}]
    )
    second = cw.get_metric_data(**request, NextToken=first["NextToken"])
    assert [t.minute for t in second["MetricDataResults"][0]["Timestamps"]] == [
        (start + datetime.timedelta(minutes=m)).minute for m in (3, 4)
    ]
    assert "NextToken" not in second
