"""CloudWatch metrics on a real ``altus up``: GetMetricData over a day of per-second data
at periods 60, 300 and 3600, and over the last hour at period 1, next to ListMetrics in
the same run.

    .venv/bin/python bench/metrics_query.py [--series 4] [--calls 200] [--hours 24]

One ``altus up`` (the default SQLite store in its data directory: the rollups in
``metrics.db`` beside ``altus.db``). The load: ``--hours`` of one value a second for each
of ``--series`` series, put through the API as a client would (PutMetricData with
StorageResolution 1, 1000 values a call, from 4 threads; boto3 gzips each body), so
each value is merged into its second (the last 3 hours), minute, five-minute and hour
buckets; the load's rate and the store's size are reported.

Then, one call at a time from one client, ``--calls`` of each (series in turn):

- GetMetricData, Average, the whole load at period 60 (1440 datapoints for a day), 300
  (288) and 3600 (24), and the last hour at period 1 (3600);
- the baseline: ListMetrics of the namespace (a page of ``--series`` metrics), the
  cheapest read the service serves: the same client, server and connection.

p50 and p95 in milliseconds, and each row's p50 over the baseline's.
"""

from __future__ import annotations

import argparse
import datetime
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import boto3
from botocore.config import Config
from common import altus_process, percentile

NAMESPACE = "Bench/Metrics"
BATCH = 1000


def client(url: str) -> Any:
    return boto3.client(
        "cloudwatch",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(retries={"max_attempts": 0}, max_pool_connections=16),
    )


def dimensions(series: int) -> list[dict[str, str]]:
    return [{"Name": "Series", "Value": f"s{series}"}]


def load(url: str, series: int, start: int, seconds: int) -> float:
    """One value a second from ``start`` for each series: values per second loaded."""
    jobs = [(s, first) for s in range(series) for first in range(0, seconds, BATCH)]

    def put(job: tuple[int, int]) -> int:
        s, first = job
        data = [
            {
                "MetricName": "Latency",
                "Dimensions": dimensions(s),
                "Timestamp": datetime.datetime.fromtimestamp(start + i, datetime.UTC),
                "Value": float(10 + (i * 7919) % 90),
                "Unit": "Milliseconds",
                "StorageResolution": 1,
            }
            for i in range(first, min(seconds, first + BATCH))
        ]
        if not hasattr(local, "client"):  # one client a thread: they are not shared
            local.client = client(url)
        local.client.put_metric_data(Namespace=NAMESPACE, MetricData=data)
        return len(data)

    local = threading.local()
    began = time.perf_counter()
    with ThreadPoolExecutor(4) as pool:
        done = sum(pool.map(put, jobs))
    return done / (time.perf_counter() - began)


def timed(calls: int, work: Callable[[int], object]) -> list[float]:
    took: list[float] = []
    for i in range(calls):
        began = time.perf_counter()
        work(i)
        took.append((time.perf_counter() - began) * 1000)
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--series", type=int, default=4)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--hours", type=int, default=24)
    args = parser.parse_args()
    seconds = args.hours * 3600
    now = int(time.time())
    end = now - now % 3600  # on the hour: every period's buckets fit the span exactly
    start = end - seconds

    with (
        TemporaryDirectory(prefix="altus-bench-") as data_dir,
        altus_process(data_dir=data_dir) as (url, _),
    ):
        rate = load(url, args.series, start, seconds)
        size = sum(f.stat().st_size for f in Path(data_dir).glob("metrics.db*"))
        cw = client(url)

        def query(period: int, since: int) -> Callable[[int], Any]:
            def work(i: int) -> Any:
                metric = {
                    "Namespace": NAMESPACE,
                    "MetricName": "Latency",
                    "Dimensions": dimensions(i % args.series),
                }
                answer = cw.get_metric_data(
                    MetricDataQueries=[
                        {
                            "Id": "m",
                            "MetricStat": {
                                "Metric": metric,
                                "Period": period,
                                "Stat": "Average",
                            },
                        }
                    ],
                    StartTime=datetime.datetime.fromtimestamp(since, datetime.UTC),
                    EndTime=datetime.datetime.fromtimestamp(end, datetime.UTC),
                )
                return answer

            return work

        def baseline(_: int) -> object:
            return cw.list_metrics(Namespace=NAMESPACE)

        points = {
            "whole load, period 60": len(query(60, start)(0)["MetricDataResults"][0]["Values"]),
            "whole load, period 300": len(query(300, start)(0)["MetricDataResults"][0]["Values"]),
            "whole load, period 3600": len(query(3600, start)(0)["MetricDataResults"][0]["Values"]),
            "last hour, period 1": len(query(1, end - 3600)(0)["MetricDataResults"][0]["Values"]),
        }
        rows = [
            ("ListMetrics (baseline)", 0, timed(args.calls, baseline)),
            (
                "whole load, period 60",
                points["whole load, period 60"],
                timed(args.calls, query(60, start)),
            ),
            (
                "whole load, period 300",
                points["whole load, period 300"],
                timed(args.calls, query(300, start)),
            ),
            (
                "whole load, period 3600",
                points["whole load, period 3600"],
                timed(args.calls, query(3600, start)),
            ),
            (
                "last hour, period 1",
                points["last hour, period 1"],
                timed(args.calls, query(1, end - 3600)),
            ),
        ]

    values = args.series * seconds
    print(
        f"## GetMetricData over {args.hours} h of per-second data ({args.series} series, "
        f"{values:,} values)\n"
    )
    print(f"load: {rate:,.0f} values/s through PutMetricData; metrics.db {size / 1e6:.1f} MB\n")
    print("| query | datapoints | p50 (ms) | p95 (ms) | p50 / baseline |")
    print("|---|---:|---:|---:|---:|")
    base = percentile(rows[0][2], 0.5)
    for name, count, took in rows:
        p50, p95 = percentile(took, 0.5), percentile(took, 0.95)
        print(f"| {name} | {count} | {p50:.2f} | {p95:.2f} | {p50 / base:.2f}x |")


if __name__ == "__main__":
    main()
