"""The embedded metric format parser: documents as aws-lambda-powertools writes them,
the runtime prefixes Lambda allows, and documents CloudWatch refuses (no metric)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from altus.observe import emf

TIMESTAMP = 1_700_000_000_123
#: When the documents are read.
NOW = TIMESTAMP / 1000

#: What ``Metrics.add_metric(name="SuccessfulBooking", unit=MetricUnit.Count, value=1)``
#: with ``service="booking"`` and a default dimension prints (Powertools for AWS Lambda,
#: Python), written as one line of JSON.
POWERTOOLS = (
    '{"_aws":{"Timestamp":1700000000123,"CloudWatchMetrics":[{"Namespace":"ServerlessAirline",'
    '"Dimensions":[["service","environment"]],"Metrics":[{"Name":"SuccessfulBooking",'
    '"Unit":"Count"},{"Name":"BookingLatency","Unit":"Milliseconds","StorageResolution":1}]}]},'
    '"service":"booking","environment":"prod","SuccessfulBooking":[1.0,1.0],'
    '"BookingLatency":120.5,"function_request_id":"c6af9ac6-7b61-11e6-9a41-93e812345678"}'
)


def document(**changes: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "_aws": {
            "Timestamp": TIMESTAMP,
            "CloudWatchMetrics": [
                {
                    "Namespace": "App",
                    "Dimensions": [["service"]],
                    "Metrics": [{"Name": "Hits", "Unit": "Count"}],
                }
            ],
        },
        "service": "web",
        "Hits": 3,
    }
    doc.update(changes)
    return doc


def test_powertools_metrics_become_one_series_each() -> None:
    found = {a.key.name: a for a in emf.parse(POWERTOOLS, NOW)}
    booking = found["SuccessfulBooking"]
    assert booking.key.namespace == "ServerlessAirline"
    assert booking.key.dimensions == (("environment", "prod"), ("service", "booking"))
    assert booking.key.unit == "Count"
    assert booking.second == TIMESTAMP // 1000
    assert booking.resolution == 60
    assert (booking.values.count, booking.values.total) == (2, 2.0)
    latency = found["BookingLatency"]
    assert latency.key.unit == "Milliseconds"
    assert latency.resolution == 1
    assert latency.values.maximum == 120.5


def test_every_dimension_set_makes_a_series_and_an_empty_set_none() -> None:
    doc = document(region="eu")
    doc["_aws"]["CloudWatchMetrics"][0]["Dimensions"] = [["service"], ["service", "region"], []]
    dims = sorted(a.key.dimensions for a in emf.parse(json.dumps(doc), NOW))
    assert dims == [(), (("region", "eu"), ("service", "web")), (("service", "web"),)]


def test_a_runtime_prefix_before_the_document_is_allowed() -> None:
    line = "2024-01-01T00:00:00.000Z\tc6af9ac6\tINFO\t" + json.dumps(document())
    [found] = emf.parse(line, NOW)
    assert found.values.total == 3


def test_a_metric_without_a_unit_has_none() -> None:
    doc = document()
    doc["_aws"]["CloudWatchMetrics"][0]["Metrics"] = [{"Name": "Hits"}]
    [found] = emf.parse(json.dumps(doc), NOW)
    assert found.key.unit == "None"


def _broken(mutate: Any) -> str:
    doc = document()
    mutate(doc)
    return json.dumps(doc)


@pytest.mark.parametrize(
    "message",
    [
        'not json at all, though it mentions "_aws"',
        json.dumps(document()) + " trailing",
        json.dumps([document()]),
        _broken(lambda d: d.update(_aws="x")),
        _broken(lambda d: d["_aws"].pop("Timestamp")),
        _broken(lambda d: d["_aws"].update(Timestamp="now")),
        _broken(lambda d: d["_aws"].pop("CloudWatchMetrics")),
        _broken(lambda d: d["_aws"]["CloudWatchMetrics"][0].pop("Namespace")),
        _broken(lambda d: d["_aws"]["CloudWatchMetrics"][0].update(Dimensions=[])),
        _broken(lambda d: d["_aws"]["CloudWatchMetrics"][0].update(Dimensions=[["missing"]])),
        _broken(lambda d: d.update(service=7)),
        _broken(lambda d: d.update(Hits="3")),
        _broken(lambda d: d.update(Hits=[1] * 101)),
        _broken(lambda d: d.update(Hits=True)),
        _broken(lambda d: d.pop("Hits")),
        _broken(lambda d: d["_aws"]["CloudWatchMetrics"][0]["Metrics"][0].update(Unit="Parsecs")),
        _broken(
            lambda d: d["_aws"]["CloudWatchMetrics"][0]["Metrics"][0].update(StorageResolution=5)
        ),
        _broken(
            lambda d: d["_aws"]["CloudWatchMetrics"][0].update(
                Metrics=[{"Name": f"m{i}"} for i in range(101)]
            )
        ),
    ],
)
def test_an_invalid_document_yields_no_metric(message: str) -> None:
    assert emf.parse(message, NOW) == []


def test_a_plain_log_line_is_not_looked_at() -> None:
    assert not emf.looks_like("START RequestId: 1 Version: $LATEST")
    assert emf.looks_like(POWERTOOLS)


@pytest.mark.parametrize("namespace", ["AWS/Lambda", "AWS/Custom"])
def test_a_reserved_aws_namespace_is_refused(namespace: str) -> None:
    doc = document()
    doc["_aws"]["CloudWatchMetrics"][0]["Namespace"] = namespace
    assert emf.parse(json.dumps(doc), NOW) == []


@pytest.mark.parametrize(
    ("offset", "kept"),
    [
        (-14 * 86400 - 1, False),
        (-14 * 86400 + 1, True),
        (2 * 3600 - 1, True),
        (2 * 3600 + 1, False),
    ],
)
def test_a_timestamp_must_lie_within_14_days_before_and_2_hours_after_now(
    offset: int, kept: bool
) -> None:
    doc = document()
    doc["_aws"]["Timestamp"] = TIMESTAMP + offset * 1000
    assert bool(emf.parse(json.dumps(doc), NOW)) is kept


def test_a_repeated_dimension_set_is_one_series() -> None:
    doc = document()
    doc["_aws"]["CloudWatchMetrics"][0]["Dimensions"] = [["service"]] * 50
    [found] = emf.parse(json.dumps(doc), NOW)
    assert found.values.total == 3


def test_a_document_making_too_many_series_is_refused() -> None:
    keys = [f"k{i}" for i in range(11)]
    doc = document(**{k: "v" for k in keys})
    directive = doc["_aws"]["CloudWatchMetrics"][0]
    directive["Dimensions"] = [[k] for k in keys]
    directive["Metrics"] = [{"Name": f"m{i}"} for i in range(100)]
    doc.update({f"m{i}": 1 for i in range(100)})
    assert emf.parse(json.dumps(doc), NOW) == []  # 11 x 100 > MAX_SERIES
    directive["Dimensions"] = directive["Dimensions"][:10]
    assert len(emf.parse(json.dumps(doc), NOW)) == 1000


def test_a_document_over_a_log_events_limit_is_refused() -> None:
    doc = document(padding="x" * emf.MAX_DOCUMENT)
    assert emf.parse(json.dumps(doc), NOW) == []
