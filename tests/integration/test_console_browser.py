"""The web console in a real browser: headless Chromium (Debian's, driven by
Playwright; no browser download) against a real ``altus up``, checking what a person
sees, and its guards over plain HTTP (CSRF, origin, Host, sessions that end with their
key, saved events only for those who may invoke). One browser and one server per mode
(``open`` on loopback; ``iam``), shared by the module's tests, which are few: each page
load costs a browser round trip. The console has a port of its own, which the server
prints at start ("Web console at ...")."""

from __future__ import annotations

import contextlib
import json
import os
import re
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest
from botocore.config import Config

from tests.conftest import (
    ROLE,
    Server,
    create_function,
    python_function,
    start_server,
    unavailable,
)

pytestmark = pytest.mark.integration

CHROMIUM = "/usr/bin/chromium"
CONSOLE = "/_altus/console"
#: How long a browser waits for what a page shows (ms): generous, never a threshold.
WAIT_MS = 20_000
NO_RETRIES = Config(retries={"total_max_attempts": 1})

HANDLER = "def handler(event, context):\n    print('got', event)\n    return {'echo': event}\n"
MACHINE = {
    "StartAt": "Prepare",
    "States": {
        "Prepare": {"Type": "Pass", "Result": {"n": 5}, "Next": "Big?"},
        "Big?": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.n", "NumericGreaterThan": 3, "Next": "Done"}],
            "Default": "Small",
        },
        "Small": {"Type": "Fail", "Error": "TooSmall"},
        "Done": {"Type": "Succeed"},
    },
}


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not os.path.exists(CHROMIUM):
        unavailable("Chromium", f"{CHROMIUM} is missing (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("Playwright", "pip install playwright (the browser is Debian's Chromium)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="module")
def open_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = start_server(tmp_path_factory.mktemp("console"), {"ALTUS_SANDBOX": "process"})
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def page(browser: Any, open_server: Server) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    opened.set_default_timeout(WAIT_MS)
    yield opened
    context.close()


@pytest.fixture(scope="module")
def echo(open_server: Server) -> str:
    create_function(open_server.client(), "echo", python_function(HANDLER))
    return "echo"


def _console(server: Server) -> str:
    """The console's origin, from the server's start-up output (printed just after the
    line ``start_server`` waits for)."""
    for _ in range(300):  # bounded: the line follows at once
        for line in list(server.output):
            found = re.search(r"Web console at (http://[^/\s]+)" + CONSOLE + "/", line)
            if found:
                return found.group(1)
        time.sleep(0.05)
    raise AssertionError("no console URL in:\n" + "".join(server.output))


def _url(server: Server, path: str) -> str:
    return _console(server) + CONSOLE + path


def test_the_functions_list_and_a_function_page_render(
    page: Any, open_server: Server, echo: str
) -> None:
    page.goto(_url(open_server, "/functions"))
    assert page.locator("h1").inner_text() == "Functions"
    page.locator("#functions").get_by_role("link", name=echo).click()
    page.wait_for_url(re.compile(f"/functions/{echo}$"))
    assert page.locator("h1").inner_text() == echo
    configuration = page.locator("table.kv").inner_text()
    assert "Handler" in configuration and "app.handler" in configuration
    assert page.locator("#versions tbody tr").count() >= 1  # $LATEST


def test_an_invoke_from_the_console_shows_its_result_and_log(
    page: Any, open_server: Server, echo: str
) -> None:
    page.goto(_url(open_server, f"/functions/{echo}"))
    page.fill("#payload", json.dumps({"from": "console"}))
    page.click("#invoke")
    page.wait_for_selector("#invoke-result:has-text('console')")
    assert json.loads(page.inner_text("#invoke-result")) == {"echo": {"from": "console"}}
    assert page.inner_text("#invoke-status") == "Succeeded"
    log = page.inner_text("#invoke-log")
    assert "START RequestId:" in log and "got {'from': 'console'}" in log


def test_a_saved_test_event_is_kept_and_reused(page: Any, open_server: Server, echo: str) -> None:
    page.goto(_url(open_server, f"/functions/{echo}"))
    page.fill("#payload", json.dumps({"saved": 42}))
    page.fill("#event-name", "answer")
    page.click("#save-event")
    page.wait_for_selector(".notice:has-text('Saved the test event answer')")
    # A fresh page: the event is in the list, and choosing it fills the editor.
    page.goto(_url(open_server, f"/functions/{echo}"))
    assert json.loads(page.input_value("#payload")) != {"saved": 42}
    page.select_option("#saved-event", "answer")
    page.wait_for_url(re.compile("event=answer"))
    assert json.loads(page.input_value("#payload")) == {"saved": 42}
    page.click("#invoke")
    page.wait_for_selector("#invoke-result:has-text('42')")
    assert json.loads(page.inner_text("#invoke-result")) == {"echo": {"saved": 42}}
    page.click("#delete-event")
    page.wait_for_selector(".notice:has-text('Deleted the test event answer')")
    assert page.locator("#saved-event option[value=answer]").count() == 0


def test_the_live_tail_shows_a_new_line(page: Any, open_server: Server, echo: str) -> None:
    page.goto(_url(open_server, f"/functions/{echo}"))
    page.wait_for_selector("#tail-state:has-text('live')")
    marker = f"tail-{uuid.uuid4().hex[:8]}"
    open_server.client().invoke(FunctionName=echo, Payload=json.dumps(marker).encode())
    page.wait_for_selector(f"#tail:has-text('{marker}')")


def test_the_dashboard_charts_the_invocations(page: Any, open_server: Server, echo: str) -> None:
    lam = open_server.client()
    for _ in range(3):
        lam.invoke(FunctionName=echo, Payload=b"{}")
    values: list[float] = []
    for _ in range(30):  # bounded: metrics are published within moments
        page.goto(_url(open_server, "/"))
        assert page.locator("h1").inner_text() == "Dashboard"
        assert page.locator(".problem").count() == 0, page.locator(".problem").all_inner_texts()
        invocations = page.locator("svg.chart").first
        assert "Invocations" in invocations.get_attribute("aria-label")
        values = [
            float(v)
            for v in invocations.locator("[data-value]").evaluate_all(
                "nodes => nodes.map(n => n.dataset.value)"
            )
        ]
        if sum(values) >= 3:
            break
        time.sleep(1)
    # Bars of the echo function's invocations (this module invoked it at least 3 times).
    assert values and sum(values) >= 3


def test_a_state_machine_is_drawn_and_an_execution_colours_it(
    page: Any, open_server: Server
) -> None:
    sfn = boto3.client(
        "stepfunctions",
        endpoint_url=open_server.url,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=NO_RETRIES,
    )
    arn = sfn.create_state_machine(name="choose", definition=json.dumps(MACHINE), roleArn=ROLE)[
        "stateMachineArn"
    ]
    page.goto(_url(open_server, "/statemachines"))
    page.get_by_role("link", name="choose").click()
    page.wait_for_selector("svg.graph")
    drawn = page.locator("svg.graph g.state").evaluate_all(
        "nodes => nodes.map(n => n.dataset.state)"
    )
    assert set(drawn) == {"Prepare", "Big?", "Small", "Done"}
    assert page.locator("svg.graph path.edge-default").count() == 1
    page.click("#start-execution")
    page.wait_for_url(re.compile("/execution\\?arn="))
    for _ in range(20):  # bounded: the execution ends within moments
        if page.inner_text("#execution-status") != "RUNNING":
            break
        time.sleep(0.5)
        page.reload()
    assert page.inner_text("#execution-status") == "SUCCEEDED"
    outcome = {
        name: page.locator(f'svg.graph g.state[data-state="{name}"]').get_attribute("data-outcome")
        for name in ("Prepare", "Big?", "Done", "Small")
    }
    assert outcome == {
        "Prepare": "succeeded",
        "Big?": "succeeded",
        "Done": "succeeded",
        "Small": "notrun",
    }
    history = page.locator("#history").inner_text()
    assert "ExecutionSucceeded" in history and "ChoiceStateEntered" in history
    assert arn


def test_the_other_pages_render(page: Any, open_server: Server) -> None:
    for path, heading in (
        ("/stacks", "Stacks"),
        ("/queues", "Queues"),
        ("/streams", "Streams"),
        ("/topics", "Topics"),
        ("/buses", "Event buses and rules"),
        ("/schedules", "Schedules"),
        ("/apis", "APIs"),
        ("/cost", "Cost"),
        ("/recordings", "Recorded invocations"),
        ("/tunings", "Power tuning"),
    ):
        page.goto(_url(open_server, path))
        assert page.locator("h1").inner_text() == heading, path
        assert page.locator(".problem-error, .problem-denied").count() == 0, path


def test_a_post_without_its_csrf_token_is_refused(open_server: Server, echo: str) -> None:
    request = urllib.request.Request(
        _url(open_server, f"/functions/{echo}/invoke"), data=b"payload=%7B%7D", method="POST"
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=30)
    assert refused.value.code == 403


def _session(server: Server, path: str) -> tuple[httpx.Client, str]:
    """A client with a session of the console's (its cookie), and the CSRF token of the
    page at ``path``."""
    origin = _console(server)
    client = httpx.Client(base_url=origin + CONSOLE, headers={"Origin": origin}, timeout=60)
    page = client.get(path)
    assert page.status_code == 200, page.text[:300]
    token = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert token is not None
    return client, token.group(1)


def test_a_post_with_a_session_but_a_wrong_token_or_origin_is_refused(
    open_server: Server, echo: str
) -> None:
    client, token = _session(open_server, f"/functions/{echo}")
    json_answer = {"Accept": "application/json"}
    with contextlib.closing(client):
        target = f"/functions/{echo}/invoke"
        for form, headers in (
            ({"payload": "{}"}, json_answer),  # no token
            ({"payload": "{}", "csrf": token[:-1] + "x"}, json_answer),  # a wrong one
            ({"payload": "{}", "csrf": token}, {**json_answer, "Origin": "http://evil.test"}),
            ({"payload": "{}", "csrf": token}, {**json_answer, "Origin": "null"}),
            # The API's port is another origin.
            ({"payload": "{}", "csrf": token}, {**json_answer, "Origin": open_server.url}),
        ):
            refused = client.post(target, data=form, headers=headers)
            assert refused.status_code == 403, (form, headers)
        answered = client.post(target, data={"payload": "{}", "csrf": token}, headers=json_answer)
        assert answered.status_code == 200 and answered.json()["StatusCode"] == 200
        # Without the page's script: post/redirect/get, the result on the page it leads to.
        posted = client.post(target, data={"payload": '{"n": 1}', "csrf": token})
        assert posted.status_code == 303 and "result=1" in posted.headers["location"]
        shown = client.get(posted.headers["location"].removeprefix(CONSOLE))
        assert "&#34;n&#34;: 1" in shown.text or '"n": 1' in shown.text


def test_the_console_is_not_on_the_apis_port(open_server: Server) -> None:
    answer = httpx.get(open_server.url + CONSOLE + "/functions", timeout=30)
    assert answer.status_code == 404
    assert _console(open_server) != open_server.url


def test_with_auth_open_the_console_answers_loopback_hosts_only(open_server: Server) -> None:
    origin = _console(open_server)
    port = origin.rsplit(":", 1)[1]
    for host in ("evil.example", f"evil.example:{port}", f"127.0.0.1.evil.example:{port}"):
        refused = httpx.get(origin + CONSOLE + "/", headers={"Host": host}, timeout=30)
        assert refused.status_code == 421, host
    for host in (f"localhost:{port}", f"127.0.0.1:{port}"):
        answered = httpx.get(origin + CONSOLE + "/functions", headers={"Host": host}, timeout=30)
        assert answered.status_code == 200, host


HOSTILE = (
    "import json\n"
    "def handler(event, context):\n"
    "    print('<img src=x onerror=alert(1)></pre><script>alert(2)</script>')\n"
    "    return {'html': '<script>alert(3)</script>'}\n"
)


def test_hostile_logs_and_results_stay_text(page: Any, open_server: Server) -> None:
    create_function(open_server.client(), "hostile", python_function(HOSTILE))
    dialogs: list[str] = []

    def on_dialog(dialog: Any) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.goto(_url(open_server, "/functions/hostile"))
    page.fill("#payload", json.dumps({"x": "<b>bold</b>"}))
    page.click("#invoke")
    page.wait_for_selector("#invoke-result:has-text('alert(3)')")
    assert "<script>alert(2)</script>" in page.inner_text("#invoke-log")
    page.wait_for_selector("#tail:has-text('onerror')")
    assert "<img src=x onerror=alert(1)>" in page.inner_text("#tail")
    assert page.locator("img, b").count() == 0
    assert dialogs == []


BURST = (
    "import sys\n"
    "def handler(event, context):\n"
    "    sys.stdout.write(''.join(f'line {i}\\n' for i in range(event['n'])))\n"
    "    sys.stdout.flush()\n"
    "    print('END-MARK', event['tag'])\n"
    "    return 1\n"
)


def test_the_tail_serves_a_burst_of_600_lines_once_each(open_server: Server) -> None:
    lam = open_server.client()
    create_function(lam, "burst", python_function(BURST))
    client, _ = _session(open_server, "/functions/burst")
    cursor: dict[str, Any] = {"start": 0}
    seen: list[str] = []
    messages: list[str] = []

    def poll() -> None:
        nonlocal cursor
        answer = client.get(
            "/functions/burst/logs", params=cursor, headers={"Accept": "application/json"}
        ).json()
        assert "problem" not in answer, answer
        seen.extend(e["id"] for e in answer["events"])
        messages.extend(e["message"] for e in answer["events"])
        cursor = answer["cursor"]

    with contextlib.closing(client):
        lam.invoke(FunctionName="burst", Payload=json.dumps({"n": 600, "tag": "first"}).encode())
        for _ in range(40):  # bounded: 600 lines are a few pages
            poll()
            if any("END-MARK first" in m for m in messages):
                break
        lam.invoke(FunctionName="burst", Payload=json.dumps({"n": 1, "tag": "second"}).encode())
        for _ in range(40):
            poll()
            if any("END-MARK second" in m for m in messages):
                break
    assert len(seen) == len(set(seen))  # never an event twice
    assert sum(m.startswith("line ") for m in messages) == 601
    assert any("END-MARK second" in m for m in messages)


# --- --auth iam: sign-in, and pages acting as the signed-in principal -----------------------


@pytest.fixture(scope="module")
def iam_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = start_server(
        tmp_path_factory.mktemp("console-iam"), {"ALTUS_AUTH": "iam", "ALTUS_SANDBOX": "process"}
    )
    try:
        yield server
    finally:
        server.stop()


def _admin_key(data_dir: Path) -> tuple[str, str]:
    text = (data_dir / "credentials").read_text()
    key = re.search(r"aws_access_key_id = (\S+)", text)
    secret = re.search(r"aws_secret_access_key = (\S+)", text)
    assert key is not None and secret is not None
    return key.group(1), secret.group(1)


def _sign_in(page: Any, server: Server, key: str, secret: str) -> None:
    page.goto(_url(server, "/functions"))
    page.wait_for_url(re.compile("/signin"))
    page.fill("input[name=access_key_id]", key)
    page.fill("input[name=secret_access_key]", secret)
    page.click("button[type=submit]")


def test_sign_in_refuses_a_wrong_secret_and_takes_the_right_one(
    browser: Any, iam_server: Server
) -> None:
    key, secret = _admin_key(iam_server.data_dir)
    context = browser.new_context()
    try:
        page = context.new_page()
        page.set_default_timeout(WAIT_MS)
        _sign_in(page, iam_server, key, secret[:-1] + ("A" if secret[-1] != "A" else "B"))
        page.wait_for_selector(".problem:has-text('not valid')")
        assert page.locator("h1").inner_text() == "Sign in"
        _sign_in(page, iam_server, key, secret)
        page.wait_for_url(re.compile("/functions$"))
        assert page.locator("h1").inner_text() == "Functions"
        assert page.locator(".who").inner_text().startswith("admin")
        cookies = context.cookies()
        assert [c["httpOnly"] and c["sameSite"] == "Strict" for c in cookies] == [True]
        assert secret not in page.content()
        page.click("text=Sign out")
        page.wait_for_url(re.compile("/signin"))
        page.goto(_url(iam_server, "/functions"))
        page.wait_for_url(re.compile("/signin"))
    finally:
        context.close()


def _iam(server: Server, service: str) -> Any:
    key, secret = _admin_key(server.data_dir)
    return boto3.client(
        service,
        endpoint_url=server.url,
        region_name="us-east-1",
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        config=NO_RETRIES,
    )


def _signed_in(server: Server, key: str, secret: str) -> httpx.Client:
    origin = _console(server)
    client = httpx.Client(base_url=origin + CONSOLE, headers={"Origin": origin}, timeout=60)
    answer = client.post("/signin", data={"access_key_id": key, "secret_access_key": secret})
    assert answer.status_code == 303, answer.text[:300]
    return client


def test_a_reader_may_not_invoke_nor_keep_test_events_and_its_session_ends_with_its_key(
    iam_server: Server,
) -> None:
    iam = _iam(iam_server, "iam")
    role = iam.create_role(
        RoleName="console-fn",
        AssumeRolePolicyDocument=json.dumps(
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
        ),
    )["Role"]["Arn"]
    create_function(_iam(iam_server, "lambda"), "shared", python_function(HANDLER), role=role)
    iam.create_user(UserName="reader")
    iam.put_user_policy(
        UserName="reader",
        PolicyName="read",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Action": ["lambda:Get*", "lambda:List*"], "Resource": "*"}
                ],
            }
        ),
    )
    made = iam.create_access_key(UserName="reader")["AccessKey"]
    client = _signed_in(iam_server, made["AccessKeyId"], made["SecretAccessKey"])
    with contextlib.closing(client):
        page = client.get("/functions/shared")
        token = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert page.status_code == 200 and token is not None
        csrf = token.group(1)
        invoked = client.post(
            "/functions/shared/invoke",
            data={"csrf": csrf, "payload": "{}"},
            headers={"Accept": "application/json"},
        )
        assert invoked.status_code == 403
        assert invoked.json()["Problem"]["kind"] == "denied"
        for name in ("shared", "shared:$LATEST"):
            saved = client.post(
                f"/functions/{name}/events",
                data={"csrf": csrf, "event_name": "planted", "payload": "{}"},
            )
            assert saved.status_code == 303
            shown = client.get("/functions/shared")
            assert "lambda:InvokeFunction" in shown.text
            assert 'value="planted"' not in shown.text
        iam.update_access_key(UserName="reader", AccessKeyId=made["AccessKeyId"], Status="Inactive")
        after = client.get("/functions/shared")
        assert after.status_code == 303 and "/signin" in after.headers["location"]
        polled = client.get("/functions/shared/logs", headers={"Accept": "application/json"})
        assert polled.status_code == 401


def test_a_principal_without_rights_sees_access_denied(browser: Any, iam_server: Server) -> None:
    key, secret = _admin_key(iam_server.data_dir)
    iam = boto3.client(
        "iam",
        endpoint_url=iam_server.url,
        region_name="us-east-1",
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        config=NO_RETRIES,
    )
    iam.create_user(UserName="viewer")
    made = iam.create_access_key(UserName="viewer")["AccessKey"]
    context = browser.new_context()
    try:
        page = context.new_page()
        page.set_default_timeout(WAIT_MS)
        _sign_in(page, iam_server, made["AccessKeyId"], made["SecretAccessKey"])
        page.wait_for_url(re.compile("/functions$"))
        denied = page.locator(".problem-denied")
        assert denied.count() == 1
        assert "Access denied" in denied.inner_text() and "viewer" in denied.inner_text()
    finally:
        context.close()
