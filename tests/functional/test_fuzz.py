"""Bad input and hostile callers: requests generated from botocore's models of every
registered service, in each protocol it serves, then broken, and raw HTTP junk, sent
over a real socket to a server in this process (``--auth open``, state in memory).

Whatever comes in, the answer is never a 5xx; an error is a 4xx in the AWS shape of the
request's protocol, which botocore reads; and an error changes nothing (every List/Get
of the resources made here reads the same after it). Requests built to be wrong (a
required member left out, a value of the wrong type, outside its range or enum, an
unknown member inside a structure, a body that is not UTF-8) must be errors.

Examples are drawn deterministically (``derandomize``), with no example database, so a
run in CI tries what a run here tried. ``docs/security.md`` summarises what is tried.
"""

from __future__ import annotations

import configparser
import json
import logging
import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.auth import S3SigV4Auth, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from altus.httpd.connection import MAX_HEAD_BYTES
from altus.packaging import zip_files
from altus.testing import Harness, wait_until
from tests.functional.fuzzing import (
    Answer,
    Case,
    Snapshot,
    Wire,
    broken,
    check_error,
    difference,
    members_of,
    send,
    serialise,
    served_cases,
    unserved_cases,
)

FUNCTION = "fuzz-fn"
STREAM = "fuzz-stream"
TOPIC = "fuzz-topic"
QUEUE = "fuzz-queue"
ROLE_NAME = "fuzz-role"
LAYER = "fuzz-layer"
TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
)

FUZZ = settings(
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
    ],
)


class _Failures(logging.Handler):
    """What the server logs as unexpected (an error it answered 500, or could not
    answer at all because the client had gone): none may be."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def taken(self) -> list[str]:
        found = [f"{r.name}: {r.getMessage()} {r.exc_text or ''}"[:2000] for r in self.records]
        self.records.clear()
        return found


#: Fields of log groups and streams that change as log lines are written.
_GROWING = ("storedBytes", "lastEventTimestamp", "lastIngestionTime", "uploadSequenceToken")


def _steady(answer: dict[str, Any], key: str) -> dict[str, Any]:
    return {key: [{k: v for k, v in item.items() if k not in _GROWING} for item in answer[key]]}


def _unsigned(answer: dict[str, Any]) -> dict[str, Any]:
    """GetFunction without its Code.Location's expiry and signature (new every call)."""
    code = answer["Code"]
    return {**answer, "Code": {**code, "Location": code["Location"].split("?")[0]}}


class Target:
    """The server under fuzz, the resources made on it, and what they look like."""

    def __init__(self, harness: Harness, failures: _Failures) -> None:
        self.harness = harness
        self.url = harness.url
        self.names: list[str] = []
        #: The path of the function's URL (``/lambda-url/<id>/``).
        self.url_path = ""
        self.snapshot = Snapshot()
        self.failures = failures
        self._baseline: dict[str, Any] | None = None

    def seed(self) -> None:
        h = self.harness
        lam, sqs, iam = h.client("lambda"), h.client("sqs"), h.client("iam")
        logs = h.client("logs")
        function = h.create_function(FUNCTION, lambda event, context: {"ok": True})
        arn = function["FunctionArn"]
        lam.invoke(FunctionName=FUNCTION, Payload=b"{}")  # its log group and stream
        version = lam.publish_version(FunctionName=FUNCTION)["Version"]
        lam.create_alias(FunctionName=FUNCTION, Name="live", FunctionVersion=version)
        lam.add_permission(
            FunctionName=FUNCTION,
            StatementId="fuzz-sid",
            Action="lambda:InvokeFunction",
            Principal="s3.amazonaws.com",
        )
        lam.tag_resource(Resource=arn, Tags={"team": "fuzz"})
        lam.put_function_concurrency(FunctionName=FUNCTION, ReservedConcurrentExecutions=5)
        lam.put_function_event_invoke_config(FunctionName=FUNCTION, MaximumRetryAttempts=1)
        url = lam.create_function_url_config(FunctionName=FUNCTION, AuthType="NONE")
        self.url_path = "/" + url["FunctionUrl"].split("/", 3)[3]
        layer = lam.publish_layer_version(
            LayerName=LAYER, Content={"ZipFile": zip_files({"python/fuzz.py": "X = 1\n"})}
        )
        queue_url = sqs.create_queue(QueueName=QUEUE, tags={"team": "fuzz"})["QueueUrl"]
        sqs.send_message(QueueUrl=queue_url, MessageBody="kept")
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        role = iam.create_role(RoleName=ROLE_NAME, AssumeRolePolicyDocument=TRUST)["Role"]
        iam.put_role_policy(
            RoleName=ROLE_NAME,
            PolicyName="fuzz-inline",
            PolicyDocument=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Action": "sqs:*", "Resource": "*"}],
                }
            ),
        )
        kinesis = h.client("kinesis")
        kinesis.create_stream(StreamName=STREAM, ShardCount=1, Tags={"team": "fuzz"})
        kinesis.put_record(StreamName=STREAM, Data=b"kept", PartitionKey="k")
        stream_arn = kinesis.describe_stream_summary(StreamName=STREAM)["StreamDescriptionSummary"][
            "StreamARN"
        ]
        # A mapping that stays disabled (it would consume what it maps).
        mapping = lam.create_event_source_mapping(
            EventSourceArn=stream_arn,
            FunctionName=FUNCTION,
            StartingPosition="TRIM_HORIZON",
            Enabled=False,
        )
        wait_until(
            lambda: lam.get_event_source_mapping(UUID=mapping["UUID"])["State"] == "Disabled"
        )
        sns = h.client("sns")
        topic_arn = sns.create_topic(Name=TOPIC, Tags=[{"Key": "team", "Value": "fuzz"}])[
            "TopicArn"
        ]
        # A subscription whose filter passes no message the fuzz makes up: a publish that
        # is accepted delivers nothing, so it changes no queue behind the snapshot's back.
        subscription = sns.subscribe(
            TopicArn=topic_arn,
            Protocol="sqs",
            Endpoint=queue_arn,
            Attributes={"FilterPolicy": json.dumps({"fuzz-never": ["never"]})},
        )["SubscriptionArn"]
        group = f"/aws/lambda/{FUNCTION}"
        self.names = [
            TOPIC,
            topic_arn,
            subscription,
            STREAM,
            stream_arn,
            "shardId-000000000000",
            mapping["UUID"],
            mapping["EventSourceMappingArn"],
            FUNCTION,
            arn,
            f"{arn}:live",
            "live",
            version,
            "$LATEST",
            "fuzz-sid",
            "team",
            LAYER,
            layer["LayerArn"],
            layer["LayerVersionArn"],
            QUEUE,
            queue_url,
            queue_arn,
            ROLE_NAME,
            role["Arn"],
            "fuzz-inline",
            "arn:aws:iam::aws:policy/AdministratorAccess",
            group,
        ]
        add = self.snapshot.add
        add("functions", lambda: lam.list_functions())
        add("function", lambda: _unsigned(lam.get_function(FunctionName=FUNCTION)))
        add("versions", lambda: lam.list_versions_by_function(FunctionName=FUNCTION))
        add("aliases", lambda: lam.list_aliases(FunctionName=FUNCTION))
        add("policy", lambda: lam.get_policy(FunctionName=FUNCTION))
        add("tags", lambda: lam.list_tags(Resource=arn))
        add("concurrency", lambda: lam.get_function_concurrency(FunctionName=FUNCTION))
        add("urls", lambda: lam.list_function_url_configs(FunctionName=FUNCTION))
        add("url", lambda: lam.get_function_url_config(FunctionName=FUNCTION))
        add("event-invoke", lambda: lam.list_function_event_invoke_configs(FunctionName=FUNCTION))
        add("layers", lambda: lam.list_layers())
        add("layer-versions", lambda: lam.list_layer_versions(LayerName=LAYER))
        add("queues", lambda: sqs.list_queues())
        add("queue", lambda: sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["All"]))
        add("queue-tags", lambda: sqs.list_queue_tags(QueueUrl=queue_url))
        # Without what grows as a function's log lines land (an invoke a request made
        # may finish writing them after the next request's snapshot was taken).
        add("log-groups", lambda: _steady(logs.describe_log_groups(), "logGroups"))
        add(
            "log-streams",
            lambda: _steady(logs.describe_log_streams(logGroupName=group), "logStreams"),
        )
        add("roles", lambda: iam.list_roles())
        add("role-policies", lambda: iam.list_role_policies(RoleName=ROLE_NAME))
        add("attached", lambda: iam.list_attached_role_policies(RoleName=ROLE_NAME))
        add("stream", lambda: kinesis.describe_stream(StreamName=STREAM))
        add("streams", lambda: kinesis.list_streams())
        add("stream-tags", lambda: kinesis.list_tags_for_stream(StreamName=STREAM))
        add("mappings", lambda: lam.list_event_source_mappings())
        add("topics", lambda: sns.list_topics())
        add("topic", lambda: sns.get_topic_attributes(TopicArn=topic_arn))
        add("topic-tags", lambda: sns.list_tags_for_resource(ResourceArn=topic_arn))
        add("subscriptions", lambda: sns.list_subscriptions())
        add("subscription", lambda: sns.get_subscription_attributes(SubscriptionArn=subscription))

    def baseline(self) -> dict[str, Any]:
        if self._baseline is None:
            self._baseline = self.snapshot.settled()
        return self._baseline

    def answered(
        self,
        wire: Wire,
        answer: Answer,
        *,
        must_fail: bool,
        may_close: bool = False,
        plain: bool = False,
    ) -> None:
        """The properties every answer must have. ``may_close``: the request was cut
        short (the server cannot answer a request it never got whole); ``plain``: it is
        not HTTP the server can read, which its HTTP layer refuses in plain text (a 400,
        or 431 for a head too large) before any service sees it."""
        logged = self.failures.taken()
        assert not logged, f"{wire!r} made the server log unexpected errors: {logged}"
        if answer.closed:
            assert may_close, f"no answer: {wire!r}"
            after = self.snapshot.take()
            assert after == self.baseline(), difference(self.baseline(), after)
            return
        assert answer.status < 500, (
            f"{answer.status} for {wire.service}/{wire.operation} ({wire.note}): "
            f"{answer.body[:400]!r}"
        )
        if answer.status < 400:
            assert not must_fail, (
                f"{wire.service}/{wire.protocol}/{wire.operation} accepted {wire.note}: "
                f"{answer.body[:300]!r}"
            )
            self._baseline = None  # it may have changed something, as it should
            return
        if plain and _plain(answer):
            assert answer.status in (400, 431), answer
        else:
            check_error(answer, wire)
        before = self.baseline()
        after = self.snapshot.take()
        assert after == before, (
            f"{wire.service}/{wire.operation} refused ({wire.note}) but changed "
            f"{difference(before, after)}"
        )


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    failures = _Failures()
    logger = logging.getLogger("altus")
    logger.addHandler(failures)
    try:
        with Harness(clock=None, data_dir=tmp_path_factory.mktemp("fuzz")) as harness:
            made = Target(harness, failures)
            made.seed()
            assert not failures.taken()
            yield made
    finally:
        logger.removeHandler(failures)


SERVED = served_cases()


@st.composite
def aimed(draw: st.DrawFn, targets: list[str]) -> Wire:
    case = draw(st.sampled_from(SERVED))
    members = draw(members_of(case, targets))
    return draw(broken(case, members))


# --- requests from the models ------------------------------------------------------------------


def test_broken_requests_at_real_resources_are_refused_and_change_nothing(
    target: Target,
) -> None:
    """Every served operation, aimed at the resources that exist, with one thing wrong:
    an AWS-shaped 4xx, and nothing changed."""

    @settings(FUZZ, max_examples=300)
    @given(aimed(target.names))
    def run(wire: Wire) -> None:
        target.answered(wire, send(target.url, wire), must_fail=True, plain=_unreadable_head(wire))

    run()


def _unreadable_head(wire: Wire) -> bool:
    """A head that is not HTTP the server can read: a header value with a control
    character, a header name that is not a token, a Content-Length that is not a number.
    Its HTTP layer refuses it in plain text, before any service sees it (S3's models put
    many members in headers, so drawn members land there too)."""
    for name, value in wire.headers:
        if not _TOKEN.fullmatch(name) or any(b < 0x20 and b != 0x09 for b in value):
            return True
        if name.lower() == b"content-length" and not value.strip().isdigit():
            return True
    return False


#: What HTTP allows in a header name (RFC 9110's token).
_TOKEN = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")


@st.composite
def loose(draw: st.DrawFn) -> Wire:
    """A request of any served operation with members drawn freely (valid or not), now
    and then with one more oddity that AWS ignores or refuses: an unknown top-level
    member, a huge string, a percent-escape that is not one."""
    case = draw(st.sampled_from(SERVED))
    members = draw(members_of(case))
    oddity = draw(st.sampled_from(["none", "unknown", "huge", "escape"]))
    shape = case.op.input_shape
    if oddity == "huge" and shape is not None:
        strings = [n for n, m in shape.members.items() if m.type_name == "string"]
        if strings:
            name = draw(st.sampled_from(strings))
            members = {**members, name: "x" * draw(st.sampled_from([1025, 65_537, 300_000]))}
    wire = serialise(case, members)
    if oddity == "unknown":
        if case.protocol == "query":
            wire = replace(wire, body=wire.body + b"&FuzzUnknown=1")
        elif wire.body.strip().startswith(b"{"):
            document = json.loads(wire.body)
            wire = replace(wire, body=json.dumps({**document, "FuzzUnknown": [1]}).encode())
    if oddity == "escape":
        bad = draw(st.sampled_from([b"%", b"%Z", b"%ff", b"%00", b"%c3%28", b"%2F..%2F"]))
        where = draw(st.sampled_from(["path", "query", "body"]))
        if where == "path":
            wire = replace(wire, path=wire.path + bad)
        elif where == "query":
            wire = replace(wire, query=wire.query + b"&x=" + bad if wire.query else b"x=" + bad)
        elif case.protocol == "query":
            wire = replace(wire, body=wire.body + b"&QueueName=" + bad)
    return replace(wire, note=f"{oddity} {members!r}"[:300])


def test_any_request_of_any_served_operation_gets_an_aws_answer(target: Target) -> None:
    """Members drawn from the whole of each model's types: never a 5xx, an error in AWS's
    shape, and nothing changed by a refused request."""

    @settings(FUZZ, max_examples=300)
    @given(loose())
    def run(wire: Wire) -> None:
        target.answered(wire, send(target.url, wire), must_fail=False, plain=_unreadable_head(wire))

    run()


@pytest.mark.parametrize("case", unserved_cases()[::7], ids=repr)
def test_unserved_operations_are_refused_in_their_protocol(target: Target, case: Case) -> None:
    """An operation of a registered model that Altus does not serve: a 4xx in the
    service's shape (one in seven of them, every protocol: they share one path)."""
    from tests.functional.test_routes import sample

    shape = case.op.input_shape
    wire = serialise(case, sample(shape) if shape is not None else {})
    answer = send(target.url, wire)
    target.answered(wire, answer, must_fail=True)


# --- raw HTTP junk -----------------------------------------------------------------------------

#: Where junk is aimed: a request each protocol would take, before it is spoiled.
_FRONTS = [
    (b"POST", b"/", "json", {b"X-Amz-Target": b"AmazonSQS.CreateQueue"}, "1.0"),
    (b"POST", b"/", "json", {b"X-Amz-Target": b"Logs_20140328.DescribeLogGroups"}, "1.1"),
    (b"POST", b"/", "query", {}, "Action=CreateRole&Version=2010-05-08"),
    (b"POST", b"/", "query", {}, "Action=GetCallerIdentity&Version=2011-06-15"),
    (b"POST", b"/", "query", {}, "Action=SendMessage&Version=2012-11-05"),
    (b"POST", b"/2015-03-31/functions", "rest-json", {}, ""),
    (b"POST", b"/2015-03-31/functions/fuzz-fn/invocations", "rest-json", {}, ""),
    (b"PUT", b"/2015-03-31/functions/fuzz-fn/configuration", "rest-json", {}, ""),
    (b"PUT", b"/2015-03-31/functions/fuzz-fn/code", "rest-json", {}, ""),
    (b"POST", b"/2018-10-31/layers/fuzz-layer/versions", "rest-json", {}, ""),
    (b"GET", b"/2015-03-31/functions/", "rest-json", {}, ""),
]

_BODIES = st.one_of(
    st.sampled_from(
        [
            b"",
            b"{",
            b'{"QueueName": "q", "Attributes": {',
            b"not json at all",
            b"null",
            b"[]",
            b'"text"',
            b"12",
            b'{"a": NaN}',
            b'{"a": Infinity}',
            b'{"FunctionName": "x", "FunctionName": 1}',
            b"\xef\xbb\xbf{}",
            '{"QueueName": "q"}'.encode("utf-16"),
            b"\xff\xfe\xfd",
            b'{"x": "\\ud800"}',
            b'{"Environment": {"Variables": ' + b"[" * 5000 + b"]" * 5000 + b"}}",
            b"[" * 200_000,
            b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
            b"Action=CreateQueue&QueueName=%ZZ&Version=2012-11-05",
            b"Action=%ff%fe&Version=%00",
            b"&&&===&&&",
            b"Action=SendMessage&QueueUrl=x&MessageBody=x&MessageAttribute.99999999999999999999.Name=a",
            b"Action=CreateRole&Version=2010-05-08&RoleName=r&AssumeRolePolicyDocument="
            + b"%5B" * 20_000,
            b'{"Code": {"ZipFile": "not base64!"}}',
            b'{"Code": {"ZipFile": "UEsFBgAAAAAAAAAAAAAAAAAAAAAAAA=="}}',
        ]
    ),
    st.binary(max_size=256),
    st.text(max_size=64).map(str.encode),
)

_CONTENT_TYPES = st.sampled_from(
    [
        None,
        b"application/x-amz-json-1.0",
        b"application/x-amz-json-1.1",
        b"application/json",
        b"text/plain",
        b"application/x-www-form-urlencoded",
        b"application/x-www-form-urlencoded; charset=latin-1",
        b"multipart/form-data; boundary=x",
        b"\x01\x02",
    ]
)

_TARGETS = st.sampled_from(
    [
        None,
        b"AmazonSQS",
        b"AmazonSQS.",
        b".CreateQueue",
        b"AmazonSQS.NoSuchOperation",
        b"AmazonSQS.CreateQueue.Extra",
        b"amazonsqs.createqueue",
        b"Logs_20140328.StartLiveTail",
        b"AmazonSQS." + b"x" * 5000,
        b"\xff\xfe.\x80",
        b"secretsmanager.GetSecretValue",
    ]
)

_PATH_JUNK = st.sampled_from(
    [b"", b"%", b"%Z", b"%ff%fe", b"/%2e%2e/%2e%2e", b"//", b"/a%00b", b"/..", b";x=1", b"%C0%AF"]
)
_QUERY_JUNK = st.sampled_from(
    [
        b"",
        b"%",
        b"a=%ZZ",
        b"MaxItems=%ff",
        b"=&&=",
        b"Action=%00",
        b"MaxItems=1e3",
        b"x=" + b"y" * 4000,
    ]
)


@st.composite
def junk(draw: st.DrawFn, url_path: str) -> tuple[Wire, str]:
    """A request that is wrong at the HTTP level or below its protocol: and how it is
    sent (``plain``, ``half-close`` with the body cut short, ``length-lie`` with a
    Content-Length shorter than the body, ``huge-header``, ``many-headers``). Aimed at
    each protocol, a function URL (``url_path``) and Altus's own pages."""
    fronts = [
        *_FRONTS,
        (b"POST", url_path.encode() + b"any/path", "rest-json", {}, ""),
        (b"POST", b"/_altus/async/parked/replay", "rest-json", {}, ""),
    ]
    method, path, protocol, headers, extra = draw(st.sampled_from(fronts))
    body = draw(_BODIES)
    all_headers = dict(headers)
    if protocol == "query" and draw(st.booleans()):
        body = extra.encode() + b"&" + body
    content_type = draw(_CONTENT_TYPES)
    if protocol == "json" and draw(st.booleans()):
        content_type = b"application/x-amz-json-" + extra.encode()
    if protocol == "query" and draw(st.booleans()):
        content_type = b"application/x-www-form-urlencoded"
    if content_type is not None:
        all_headers[b"Content-Type"] = content_type
    target = draw(_TARGETS)
    if target is not None:
        all_headers[b"X-Amz-Target"] = target
    how = draw(
        st.sampled_from(
            [
                "plain",
                "plain",
                "half-close",
                "half-close-long",
                "length-lie",
                "huge-header",
                "many-headers",
            ]
        )
    )
    if how == "huge-header":
        all_headers[b"X-Fuzz"] = b"h" * draw(st.sampled_from([8_000, 60_000, 70_000]))
    if how == "many-headers":
        for index in range(draw(st.sampled_from([100, 2_000]))):
            all_headers[b"X-Fuzz-%d" % index] = b"v"
    wire = Wire(
        method=method.decode(),
        path=path + draw(_PATH_JUNK),
        query=draw(_QUERY_JUNK),
        headers=tuple(all_headers.items()),
        body=body,
        note=f"{how} {protocol} {_clip(body)}",
    )
    return wire, how


def _clip(data: bytes) -> str:
    return repr(data[:80]) + (f"...({len(data)} bytes)" if len(data) > 80 else "")


def test_raw_http_junk_gets_an_aws_answer_or_none(target: Target) -> None:
    """Truncated bodies, Content-Length lies, wrong content types, huge and many
    headers, bodies that are not JSON or nest past any parser, bad percent-encoding in
    paths and query strings, bad X-Amz-Target values: never a 5xx, never an error the
    server did not expect, an AWS-shaped 4xx (a plain 400 or 431 where the HTTP server
    refuses what is not HTTP it can read), and nothing changed."""

    @settings(FUZZ, max_examples=250)
    @given(junk(target.url_path))
    def run(drawn: tuple[Wire, str]) -> None:
        wire, how = drawn
        if how.startswith("half-close"):
            # Announce more than is sent, then stop sending: the server never gets the
            # request whole, and has nobody to answer. A short body is waited for before
            # any service sees it; a long one streams to a service already reading it.
            more = 100 if how == "half-close" else 200_000
            head = _head(target.url, wire, len(wire.body) + more)
            answer = send(target.url, wire, raw_head=head, half_close=True)
            target.answered(wire, answer, must_fail=True, may_close=True, plain=True)
            return
        if how == "length-lie" and wire.body:
            # The rest of the body is read as the next request: junk, refused plainly.
            head = _head(target.url, wire, len(wire.body) // 2)
            answer = send(target.url, wire, raw_head=head)
            target.answered(wire, answer, must_fail=False, may_close=True, plain=True)
            return
        # What is not HTTP the server can read: a head past its limit, a header value
        # with control characters.
        unreadable = wire.head_size > MAX_HEAD_BYTES or any(
            byte < 0x20 and byte != 0x09 for _, value in wire.headers for byte in value
        )
        target.answered(wire, send(target.url, wire), must_fail=False, plain=unreadable)

    run()


def _head(base_url: str, wire: Wire, length: int) -> bytes:
    host = base_url.split("//", 1)[1].encode()
    target = wire.path + (b"?" + wire.query if wire.query else b"")
    lines = [wire.method.encode() + b" " + target + b" HTTP/1.1", b"Host: " + host]
    lines += [k + b": " + v for k, v in wire.headers]
    lines.append(b"Content-Length: %d" % length)
    return b"\r\n".join(lines) + b"\r\n\r\n"


def _plain(answer: Answer) -> bool:
    """The HTTP server's own refusal (no service saw the request)."""
    return (answer.header("content-type") or "").startswith("text/plain") and answer.header(
        "connection"
    ) == "close"


# --- signed callers and forged signatures (--auth iam) -----------------------------------------


class Guarded:
    """A server with ``--auth iam``, its administrator's key, and what it holds."""

    def __init__(self, harness: Harness, failures: _Failures, data_dir: Path) -> None:
        self.harness = harness
        self.url = harness.url
        self.failures = failures
        profile = configparser.ConfigParser()
        profile.read(data_dir / "credentials")
        self.key = profile["altus"]["aws_access_key_id"]
        self.secret = profile["altus"]["aws_secret_access_key"]
        session = boto3.Session(
            aws_access_key_id=self.key, aws_secret_access_key=self.secret, region_name="us-east-1"
        )
        self.sqs = session.client("sqs", endpoint_url=self.url)
        self.lam = session.client("lambda", endpoint_url=self.url)
        self.iam = session.client("iam", endpoint_url=self.url)
        self.sqs.create_queue(QueueName="guarded")

    def state(self) -> tuple[Any, ...]:
        return (
            self.sqs.list_queues().get("QueueUrls"),
            [f["FunctionName"] for f in self.lam.list_functions()["Functions"]],
            [r["RoleName"] for r in self.iam.list_roles()["Roles"]],
        )

    def sign(
        self, wire: Wire, service: str, secret: str | None = None, key: str | None = None
    ) -> Wire:
        """``wire`` signed as botocore signs, for ``service``'s signing name."""
        url = f"{self.url}{wire.path.decode('latin-1')}"
        if wire.query:
            url += "?" + wire.query.decode("latin-1")
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in wire.headers}
        credentials = Credentials(key or self.key, secret or self.secret)
        if service == "s3":
            # As botocore signs S3 over HTTP: the body's SHA-256 declared and signed.
            headers.pop("x-amz-content-sha256", None)
            request = AWSRequest(method=wire.method, url=url, data=wire.body, headers=headers)
            S3SigV4Auth(credentials, service, "us-east-1").add_auth(request)
        else:
            request = AWSRequest(method=wire.method, url=url, data=wire.body, headers=headers)
            SigV4Auth(credentials, service, "us-east-1").add_auth(request)
        signed = tuple(
            (k.encode("latin-1"), str(v).encode("latin-1")) for k, v in request.headers.items()
        )
        return replace(wire, headers=signed)


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Guarded]:
    failures = _Failures()
    logger = logging.getLogger("altus")
    logger.addHandler(failures)
    try:
        data_dir = tmp_path_factory.mktemp("guarded")
        with Harness(clock=None, data_dir=data_dir, auth="iam") as harness:
            yield Guarded(harness, failures, data_dir)
    finally:
        logger.removeHandler(failures)


#: What a forger does to a request botocore signed; every one must be refused.
FORGERIES = [
    "unsigned",
    "garbage",
    "truncated",
    "other-secret",
    "unknown-key",
    "other-service",
    "other-region",
    "stale",
    "body-changed",
]


@st.composite
def forged(draw: st.DrawFn, guarded: Guarded) -> tuple[Wire, str]:
    """A request of a served operation (its members drawn freely), signed by the
    administrator's key, then forged (or, now and then, left as it was signed)."""
    case = draw(st.sampled_from(SERVED))
    members = draw(members_of(case))
    wire = serialise(case, members)
    service = case.model.metadata.get("signingName") or case.model.metadata["endpointPrefix"]
    forgery = draw(st.sampled_from(["none", *FORGERIES]))
    if forgery == "unsigned":
        return wire, forgery
    if forgery == "other-secret":
        return guarded.sign(wire, service, secret="x" * 40), forgery
    if forgery == "unknown-key":
        return guarded.sign(wire, service, key="AKIA" + "Z" * 16), forgery
    if forgery == "other-service":
        # On one port the credential scope routes a request (docs/api.md): it goes to
        # the service it is signed for, which answers in its own shape.
        other = guarded.sign(wire, "sqs" if service != "sqs" else "lambda")
        return replace(other, protocol=None, service=None, operation=None), forgery
    signed = guarded.sign(wire, service)
    authorization = signed.header(b"Authorization") or b""
    if forgery == "garbage":
        junk = draw(
            st.sampled_from(
                [b"AWS4-HMAC-SHA256", b"Bearer x", b"AWS4-HMAC-SHA256 Credential=/////", b"\xff"]
            )
        )
        return signed.with_header(b"Authorization", junk), forgery
    if forgery == "truncated":
        return signed.with_header(
            b"Authorization", authorization[: len(authorization) // 2]
        ), forgery
    if forgery == "other-region":
        return signed.with_header(
            b"Authorization", authorization.replace(b"/us-east-1/", b"/eu-west-1/")
        ), forgery
    if forgery == "stale":
        return signed.with_header(b"X-Amz-Date", b"20200101T000000Z"), forgery
    if forgery == "body-changed":
        return replace(signed, body=signed.body + b" "), forgery
    return signed, forgery


def test_forged_signatures_are_refused_and_signed_junk_answered(guarded: Guarded) -> None:
    """With ``--auth iam``: requests botocore signs with the administrator's key (their
    members drawn freely: valid or not), and the same requests forged (unsigned, signed
    with another secret or key, for another service or region, stale, their body changed
    after signing): a forgery is a 4xx in the service's
    shape and changes nothing; nothing is ever a 5xx."""
    before = guarded.state()

    @settings(FUZZ, max_examples=250)
    @given(forged(guarded))
    def run(drawn: tuple[Wire, str]) -> None:
        nonlocal before
        wire, forgery = drawn
        answer = send(guarded.url, wire)
        logged = guarded.failures.taken()
        assert not logged, f"{wire!r} made the server log unexpected errors: {logged}"
        assert answer.status < 500, f"{answer.status} for {wire!r}: {answer.body[:300]!r}"
        if _unreadable_head(wire) and _plain(answer):
            assert answer.status == 400, answer
            assert guarded.state() == before
            return
        if answer.status < 400:
            assert forgery in ("none", "other-service"), f"{forgery} accepted: {wire!r}"
            before = guarded.state()
            return
        code = check_error(answer, wire)
        if forgery not in ("none", "other-service"):
            assert code in AUTH_CODES, (forgery, code, wire)
        assert guarded.state() == before

    run()


#: How every service words a refused signature (docs/identity.md), in each protocol.
AUTH_CODES = {
    "MissingAuthenticationTokenException",
    "MissingAuthenticationToken",
    "IncompleteSignatureException",
    "IncompleteSignature",
    "UnrecognizedClientException",
    "InvalidClientTokenId",
    "InvalidSignatureException",
    "SignatureDoesNotMatch",
    "ExpiredTokenException",
    "ExpiredToken",
    # S3's: a body other than the one whose hash was signed.
    "XAmzContentSHA256Mismatch",
    # S3's answer to a HEAD has no body: a refused signature is only its status.
    "403",
}
