"""X-Ray's pure parts: trace headers and how an invocation joins a trace, segment
documents checked and assembled, summaries and filter expressions, the daemon's
datagrams, and segments as OTLP spans."""

from __future__ import annotations

import json
from typing import Any

import pytest

from altus.observe import trace_header
from altus.xray import daemon, otlp, segments
from altus.xray.errors import InvalidRequest
from altus.xray.filters import compile_filter
from altus.xray.summary import facts, summarize

ROOT = "1-5759e988-bd862e3fe1be46a994272793"


def test_headers_parse_and_format() -> None:
    found = trace_header.parse(f"Root={ROOT};Parent=53995c3f42cd8ad8;Sampled=1;Lineage=a:1")
    assert found == trace_header.TraceHeader(ROOT, "53995c3f42cd8ad8", True)
    assert found.format() == f"Root={ROOT};Parent=53995c3f42cd8ad8;Sampled=1"
    assert trace_header.parse(f"Root={ROOT};Sampled=?") == trace_header.TraceHeader(ROOT)
    assert trace_header.parse(f" Root = {ROOT.upper()} ") == trace_header.TraceHeader(ROOT)
    for bad in (None, "", "Root=2-x", "Parent=53995c3f42cd8ad8", "nonsense"):
        assert trace_header.parse(bad) is None
    # A bad parent is dropped, not the trace.
    assert trace_header.parse(f"Root={ROOT};Parent=xyz") == trace_header.TraceHeader(ROOT)
    assert trace_header.parse(trace_header.ensure("junk")) is not None
    started = trace_header.parse(trace_header.ensure(None))
    assert started is not None and started.parent is None and started.sampled is None
    # So a function invoked with it is the trace's root: its caller is nobody.
    assert trace_header.for_function(trace_header.ensure(None), "Active").caller is None


@pytest.mark.parametrize(
    ("upstream", "mode", "sampled"),
    [
        (None, "Active", True),
        (None, "PassThrough", False),
        (f"Root={ROOT}", "Active", True),
        (f"Root={ROOT};Sampled=0", "Active", False),
        (f"Root={ROOT};Sampled=1", "PassThrough", True),
        (f"Root={ROOT};Sampled=?", "PassThrough", False),
    ],
)
def test_tracing_config_decides_only_what_the_caller_did_not(
    upstream: str | None, mode: str, sampled: bool
) -> None:
    joined = trace_header.for_function(upstream, mode)
    assert joined.sampled is sampled
    seen = trace_header.parse(joined.header)
    assert seen is not None and seen.sampled is sampled
    if upstream is not None:
        assert joined.root == seen.root == ROOT
    if sampled:
        assert seen.parent == joined.function_id and joined.service_id


def test_the_function_segment_is_the_functions_parent_and_the_callers_is_kept() -> None:
    joined = trace_header.for_function(f"Root={ROOT};Parent=53995c3f42cd8ad8;Sampled=1", "X")
    assert joined.caller == "53995c3f42cd8ad8"
    assert trace_header.parse(joined.header) == trace_header.TraceHeader(
        ROOT, joined.function_id, True
    )
    unsampled = trace_header.for_function(f"Root={ROOT};Parent=53995c3f42cd8ad8;Sampled=0", "X")
    assert unsampled.header == f"Root={ROOT};Parent=53995c3f42cd8ad8;Sampled=0"


def test_traced_services_sample_unless_told_not_to() -> None:
    # Without tracing a caller's header passes on normalised; one that is not X-Ray's
    # does not pass on at all.
    assert trace_header.traced("junk", False) is None
    assert trace_header.traced(f"Root={ROOT};Lineage=a:1;Sampled=1", False) == (
        f"Root={ROOT};Sampled=1"
    )
    assert trace_header.traced(None, False) is None
    made = trace_header.parse(trace_header.traced(None, True))
    # A new trace names no parent: no segment of the service's own would be there.
    assert made is not None and made.sampled is True and made.parent is None
    kept = trace_header.traced(f"Root={ROOT};Parent=53995c3f42cd8ad8;Sampled=0", True)
    assert kept == f"Root={ROOT};Parent=53995c3f42cd8ad8;Sampled=0"


def test_otlp_trace_ids_are_the_x_ray_ids_hex_digits() -> None:
    assert trace_header.otlp_trace_id(ROOT) == "5759e988bd862e3fe1be46a994272793"


def _doc(id: str, **extra: Any) -> dict[str, Any]:
    return {
        "trace_id": ROOT,
        "id": id,
        "name": "svc",
        "start_time": 10.0,
        "end_time": 11.0,
        **extra,
    }


def test_documents_are_checked() -> None:
    row = segments.parse(
        json.dumps(_doc("0000000000000001", origin="AWS::Lambda", aws={"request_id": "r-1"}))
    )
    assert (row.trace_id, row.id, row.start_us, row.end_us) == (
        ROOT,
        "0000000000000001",
        10_000_000,
        11_000_000,
    )
    assert row.request_id == "r-1"
    # Only Lambda's own segments name an invocation.
    assert (
        segments.parse(json.dumps(_doc("0000000000000002", aws={"request_id": "r"}))).request_id
        is None
    )
    in_progress = _doc("0000000000000003", in_progress=True)
    del in_progress["end_time"]
    assert segments.parse(json.dumps(in_progress)).end_us is None
    bad = [
        "{",
        "[]",
        json.dumps(_doc("short")),
        json.dumps({**_doc("0000000000000004"), "trace_id": "1-x"}),
        json.dumps({**_doc("0000000000000004"), "name": ""}),
        json.dumps({**_doc("0000000000000004"), "start_time": "soon"}),
        json.dumps({k: v for k, v in _doc("0000000000000004").items() if k != "end_time"}),
        json.dumps({**_doc("0000000000000004"), "type": "subsegment"}),
        json.dumps({**_doc("0000000000000004"), "pad": "x" * segments.MAX_DOCUMENT_BYTES}),
    ]
    for text in bad:
        with pytest.raises(segments.BadSegment):
            segments.parse(text)


def test_independent_subsegments_nest_in_their_parents() -> None:
    top = _doc(
        "0000000000000001",
        subsegments=[{"id": "0000000000000002", "name": "a", "start_time": 10.1, "end_time": 10.2}],
    )
    sub = {
        "type": "subsegment",
        "trace_id": ROOT,
        "id": "0000000000000003",
        "parent_id": "0000000000000002",
        "name": "b",
        "start_time": 10.1,
        "end_time": 10.2,
    }
    orphan = {**sub, "id": "0000000000000004", "parent_id": "00000000000000ff"}
    # Documents naming each other as parents neither loop nor vanish silently.
    loop_a = {**sub, "id": "00000000000000a1", "parent_id": "00000000000000a2"}
    loop_b = {**sub, "id": "00000000000000a2", "parent_id": "00000000000000a1"}
    kept = segments.assemble([json.dumps(d) for d in (sub, top, orphan, loop_a, loop_b)])
    assert [d["id"] for d in kept][:2] == ["0000000000000001", "0000000000000004"]
    nested = kept[0]["subsegments"][0]["subsegments"]
    assert [s["id"] for s in nested] == ["0000000000000003"]
    assert len(list(segments.walk(kept[0]))) == 3


def _trace() -> list[dict[str, Any]]:
    return [
        _doc(
            "0000000000000001",
            name="front",
            origin="AWS::ApiGateway::Stage",
            http={
                "request": {"method": "GET", "url": "https://x/pets"},
                "response": {"status": 502},
            },
        ),
        _doc(
            "0000000000000002",
            name="fn",
            parent_id="0000000000000001",
            start_time=10.2,
            end_time=12.0,
            annotations={"tier": "gold", "n": 3, "vip": True},
            subsegments=[
                {
                    "id": "0000000000000003",
                    "name": "db",
                    "start_time": 10.3,
                    "end_time": 10.4,
                    "fault": True,
                }
            ],
        ),
    ]


def test_summaries_say_what_x_ray_says() -> None:
    summary = summarize(ROOT, _trace())
    assert summary["Duration"] == 2.0 and summary["ResponseTime"] == 1.0
    assert (summary["HasFault"], summary["HasError"], summary["HasThrottle"]) == (
        True,
        False,
        False,
    )
    assert summary["Http"] == {"HttpURL": "https://x/pets", "HttpStatus": 502, "HttpMethod": "GET"}
    assert summary["EntryPoint"]["Name"] == "front"
    assert summary["Annotations"]["tier"] == [{"AnnotationValue": {"StringValue": "gold"}}]
    assert summary["Annotations"]["n"] == [{"AnnotationValue": {"NumberValue": 3.0}}]


@pytest.mark.parametrize(
    ("expression", "matches"),
    [
        ("fault", True),
        ("error", False),
        ("ok", False),
        ("!ok", True),
        ("fault = false", False),
        ("fault = true AND NOT error", True),
        ("http.status = 502", True),
        ("http.status >= 500 && http.status < 600", True),
        ("http.status != 502", False),
        ('http.url CONTAINS "pets"', True),
        ('http.url BEGINSWITH "https://x"', True),
        ('http.url ENDSWITH "dogs"', False),
        ('http.method = "GET"', True),
        ("responsetime > 0.5", True),
        ("duration <= 1", False),
        ('service("fn")', True),
        ('service("nobody") OR service("front")', True),
        ('service("nobody") OR (fault AND annotation.tier = "gold")', True),
        ("annotation.n > 2", True),
        ("annotation.vip = true", True),
        ('annotation.n = "3"', False),
        ('annotation.missing = "x"', False),
    ],
)
def test_filter_expressions(expression: str, matches: bool) -> None:
    assert compile_filter(expression)(facts(ROOT, _trace())) is matches


@pytest.mark.parametrize(
    ("expression", "named"),
    [
        ("edge(a, b)", "edge"),
        ('service("a") { fault }', "body"),
        ("rootcause.fault.entity", "rootcause"),
        ('http.status = "x"', "number"),
        ('http.url > "a"', "compares numbers"),
        ("responsetime CONTAINS 1", "number"),
        ("fault AND", "ends"),
        ("(fault", "ends"),
        ("fault fault", "unexpected"),
        ("http.status", "comparison"),
        ("fault = maybe", "true or false"),
        ("#", "unexpected character"),
    ],
)
def test_filter_expressions_altus_does_not_serve_are_refused_by_name(
    expression: str, named: str
) -> None:
    with pytest.raises(InvalidRequest) as refused:
        compile_filter(expression)
    assert named in refused.value.message


def test_daemon_datagrams() -> None:
    assert daemon.split(b'{"format": "json", "version": 1}\n{"id": 1}') == b'{"id": 1}'
    for bad in (b"{}", b'{"format": "json"}\n', b'nope\n{"id": 1}', b'{"format": "x"}\n{}'):
        assert daemon.split(bad) is None


def test_segments_become_otlp_spans() -> None:
    doc = _trace()[1]
    doc["http"] = {"request": {"method": "POST"}, "response": {"status": 500}}
    doc["fault"] = True
    doc["cause"] = {"exceptions": [{"message": "boom"}]}
    doc["subsegments"][0]["namespace"] = "aws"
    request, skipped = otlp.export_request([doc])
    assert skipped == 0
    [resource] = request["resourceSpans"]
    assert resource["resource"]["attributes"] == [
        {"key": "service.name", "value": {"stringValue": "fn"}}
    ]
    top, sub = resource["scopeSpans"][0]["spans"]
    assert top["traceId"] == "5759e988bd862e3fe1be46a994272793"
    assert (top["spanId"], top["parentSpanId"]) == ("0000000000000002", "0000000000000001")
    assert (top["startTimeUnixNano"], top["endTimeUnixNano"]) == ("10200000000", "12000000000")
    assert top["kind"] == otlp.KIND_SERVER
    assert top["status"] == {"code": otlp.STATUS_ERROR, "message": "boom"}
    attributes = {a["key"]: a["value"] for a in top["attributes"]}
    assert attributes["http.request.method"] == {"stringValue": "POST"}
    assert attributes["http.response.status_code"] == {"intValue": "500"}
    assert attributes["annotation.n"] == {"intValue": "3"}
    assert (sub["parentSpanId"], sub["kind"]) == ("0000000000000002", otlp.KIND_CLIENT)
    assert sub["status"]["code"] == otlp.STATUS_ERROR
    assert json.loads(json.dumps(request)) == request


def _text(**extra: Any) -> str:
    return json.dumps(_doc("00000000000000aa", **extra))


@pytest.mark.parametrize(
    "text",
    [
        _text(subsegments=5),
        _text(subsegments=[5]),
        _text(subsegments=[{"id": "bad", "name": "a", "start_time": 10.0, "end_time": 11.0}]),
        _text(subsegments=[{"id": "00000000000000ab", "start_time": 10.0, "end_time": 11.0}]),
        _text(subsegments=[{"id": "00000000000000ab", "name": "a", "start_time": "x"}]),
        _text(parent_id=[]),
        _text(parent_id="xyz"),
        _text(start_time=1e300),
        _text(start_time=-5),
        _text(end_time=float("inf")).replace("Infinity", "1e400"),
        _text(annotations={"k": float("nan")}),
        _text(annotations={"k": {"nested": 1}}),
        _text(annotations={"k": 10**30}),
        _text(http={"response": {"status": "abc"}}),
        _text(http={"response": {"status": 200.5}}),
        _text(http={"request": {"url": 5}}),
        _text(http=[]),
        _text(in_progress="yes"),
        _text(origin=5),
        _text(type="segment"),
        json.dumps(
            {**_doc("00000000000000aa", type="subsegment", parent_id="00000000000000ab"), "name": 5}
        ),
        "[" * 10_000 + "]" * 10_000,
        # 64 KB in bytes, not characters.
        _text(pad="\u00e9" * (segments.MAX_DOCUMENT_BYTES // 2)),
    ],
)
def test_documents_readers_could_not_read_are_refused(text: str) -> None:
    with pytest.raises(segments.BadSegment):
        for doc in segments.decode(text):
            segments.row_of(doc)


def test_an_array_of_subsegments_is_one_string_of_several_documents() -> None:
    subs = [
        _doc(f"00000000000000b{n}", type="subsegment", parent_id="0000000000000001")
        for n in range(2)
    ]
    assert [d["id"] for d in segments.decode(json.dumps(subs))] == [s["id"] for s in subs]
    with pytest.raises(segments.BadSegment):
        segments.decode(json.dumps([subs[0], 5]))


def test_reading_tolerates_any_stored_shape() -> None:
    # Documents stored before their shape was checked (or by an older Altus): reads
    # answer what they can instead of failing for 30 days.
    stored = [
        json.dumps({**_doc("0000000000000001"), "subsegments": 5, "parent_id": []}),
        json.dumps(
            {
                **_doc("0000000000000002", parent_id="0000000000000001", type="subsegment"),
                "start_time": "soon",
                "name": 5,
                "origin": 7,
                "http": {"response": {"status": "abc"}, "request": {"url": 5}},
                "annotations": {"n": float("nan"), "s": "x", "o": {"a": 1}},
            }
        ),
        json.dumps({"id": "0000000000000003", "type": "subsegment", "parent_id": {}}),
        "not json",
    ]
    docs = segments.assemble(stored)
    summary = summarize(ROOT, docs)
    assert summary["Annotations"] == {"s": [{"AnnotationValue": {"StringValue": "x"}}]}
    assert "Http" not in summary
    assert all(isinstance(s["Name"], str) for s in summary["ServiceIds"])
    assert compile_filter("ok")(facts(ROOT, docs)) is True
    # Documents that name each other as parents do not loop.
    looped = segments.assemble(
        [
            json.dumps(_doc("0000000000000001", type="subsegment", parent_id="0000000000000002")),
            json.dumps(_doc("0000000000000002", type="subsegment", parent_id="0000000000000001")),
        ]
    )
    json.dumps(looped)


def test_deep_or_long_filter_expressions_are_refused_or_served() -> None:
    for deep in ("!" * 3000 + "ok", "(" * 3000 + "ok" + ")" * 3000):
        with pytest.raises(InvalidRequest, match="nested"):
            compile_filter(deep)
    trace = facts(ROOT, _trace())
    assert compile_filter(" AND ".join(["!ok"] * 20_000))(trace) is True
    assert compile_filter(" OR ".join(["ok"] * 20_000) + " OR fault")(trace) is True


def test_the_daemon_keeps_to_its_budget_and_survives_what_it_is_sent() -> None:
    now = [100.0]
    kept: list[bytes] = []

    def accept(document: bytes) -> None:
        if document == b"overflow":
            raise OverflowError("int too large")
        if document == b"odd":
            raise KeyError("odd")
        kept.append(document)

    listener = daemon.XRayDaemon(0, accept, clock=lambda: now[0])
    header = b'{"format": "json", "version": 1}\n'
    listener.received(header + b"overflow")
    listener.received(header + b"odd")
    assert listener.dropped == 2
    for _ in range(daemon.DATAGRAMS_PER_SECOND + 3):
        listener.received(header + b"{}")
    assert (len(kept), listener.limited) == (daemon.DATAGRAMS_PER_SECOND - 2, 5)
    now[0] += 1
    listener.received(header + b"x" * 10)
    assert kept[-1] == b"x" * 10


def test_untraced_invokes_get_a_new_unsampled_trace_cheaply() -> None:
    header = trace_header.unsampled()
    found = trace_header.parse(header)
    assert found is not None and found.sampled is False and found.parent
    assert found.format() == header


def test_headers_are_normalised_where_they_are_kept() -> None:
    assert trace_header.normal(None) is None
    assert trace_header.normal("junk") is None
    assert trace_header.normal(f"Root={ROOT};x=" + "y" * 5000) is None
    assert trace_header.normal(f" Root={ROOT.upper()};Foo=1;Sampled=1") == f"Root={ROOT};Sampled=1"
    assert trace_header.parse(trace_header.ensure("junk")) is not None


def test_a_document_otlp_cannot_carry_costs_its_span_not_the_batch() -> None:
    good = _doc("0000000000000001", annotations={"n": 1.5, "big": 2**70})
    bad = {**_doc("0000000000000002"), "trace_id": 5}
    half = _doc(
        "0000000000000003",
        subsegments=[{"id": "0000000000000004", "name": "a", "start_time": float("nan")}],
    )
    request, skipped = otlp.export_request([good, bad, half])
    assert skipped == 1
    spans = [s for r in request["resourceSpans"] for s in r["scopeSpans"][0]["spans"]]
    assert [s["spanId"] for s in spans] == ["0000000000000001", "0000000000000003"]
    attributes = {a["key"] for a in spans[0]["attributes"]}
    assert "annotation.n" in attributes and "annotation.big" not in attributes
    json.dumps(request, allow_nan=False)
