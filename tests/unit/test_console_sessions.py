"""The console's sessions, sign-in throttling, its request checks (where to go after
signing in, same origin, Host) and the live tail's cursor: pure logic, no server."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from starlette.requests import Request

from altus.console import BASE, web
from altus.console.sessions import (
    IDLE_SECONDS,
    LIFETIME_SECONDS,
    MAX_PER_PRINCIPAL,
    SIGNIN_BURST,
    SIGNIN_EVERY,
    Sessions,
    SignInRefused,
    SignInThrottled,
    Throttle,
)
from altus.console.views.functions import Cursor, follow
from altus.identity.keys import AccessKey

USER = "arn:aws:iam::000000000000:user/alice"
OTHER = "arn:aws:iam::000000000000:user/bob"


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


class Keys:
    def __init__(self) -> None:
        self.keys: dict[str, AccessKey] = {}

    def add(self, key_id: str, principal: str = USER, status: str = "Active") -> AccessKey:
        key = AccessKey(key_id, "s" * 40, principal, 0, status)
        self.keys[key_id] = key
        return key

    def key(self, key_id: str) -> AccessKey | None:
        return self.keys.get(key_id)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def keys() -> Keys:
    found = Keys()
    found.add("AKIAALICE")
    return found


@pytest.fixture
def sessions(keys: Keys, clock: Clock) -> Sessions:
    return Sessions(keys, clock)


def test_a_session_is_found_by_its_id_and_only_by_it(sessions: Sessions) -> None:
    session = sessions.sign_in("AKIAALICE", "s" * 40)
    assert sessions.find(session.id) is session
    assert sessions.find("not-" + session.id) is None
    assert sessions.find(None) is None and sessions.find("") is None


def test_a_wrong_secret_and_an_inactive_key_are_refused_alike(
    sessions: Sessions, keys: Keys
) -> None:
    keys.add("AKIAOFF", status="Inactive")
    messages = set()
    for key_id, secret in (("AKIAALICE", "x" * 40), ("AKIAOFF", "s" * 40), ("AKIANONE", "s")):
        with pytest.raises(SignInRefused) as refused:
            sessions.sign_in(key_id, secret)
        messages.add(str(refused.value))
    assert len(messages) == 1


def test_a_session_ends_after_its_idle_time(sessions: Sessions, clock: Clock) -> None:
    session = sessions.sign_in("AKIAALICE", "s" * 40)
    clock.now += IDLE_SECONDS - 1
    assert sessions.find(session.id) is session  # and its idle time restarts
    clock.now += IDLE_SECONDS - 1
    assert sessions.find(session.id) is session
    clock.now += IDLE_SECONDS + 1
    assert sessions.find(session.id) is None
    assert sessions.find(session.id) is None  # gone for good


def test_a_session_ends_at_its_lifetime_however_busy(sessions: Sessions, clock: Clock) -> None:
    session = sessions.sign_in("AKIAALICE", "s" * 40)
    for _ in range(int(LIFETIME_SECONDS // (IDLE_SECONDS / 2))):
        clock.now += IDLE_SECONDS / 2
        if sessions.find(session.id) is None:
            break
    assert clock.now - session.started >= LIFETIME_SECONDS - IDLE_SECONDS / 2
    clock.now += IDLE_SECONDS / 2
    assert sessions.find(session.id) is None


def test_the_tails_polls_do_not_keep_a_session_alive(sessions: Sessions, clock: Clock) -> None:
    session = sessions.sign_in("AKIAALICE", "s" * 40)
    for _ in range(3):
        clock.now += IDLE_SECONDS / 2
        sessions.find(session.id, touch=False)
    assert sessions.find(session.id) is None


@pytest.mark.parametrize("change", ["deactivate", "delete", "move"])
def test_a_session_ends_when_its_key_is_deactivated_deleted_or_moved(
    sessions: Sessions, keys: Keys, change: str
) -> None:
    session = sessions.sign_in("AKIAALICE", "s" * 40)
    if change == "deactivate":
        keys.add("AKIAALICE", status="Inactive")
    elif change == "delete":
        del keys.keys["AKIAALICE"]
    else:
        keys.add("AKIAALICE", principal=OTHER)
    assert sessions.find(session.id) is None
    keys.add("AKIAALICE")  # back as it was: the session stays closed
    assert sessions.find(session.id) is None


def test_a_principal_holds_a_bounded_number_of_sessions(sessions: Sessions, keys: Keys) -> None:
    keys.add("AKIABOB", principal=OTHER)
    bob = sessions.open(OTHER, "AKIABOB")
    opened = [sessions.open(USER, "AKIAALICE") for _ in range(MAX_PER_PRINCIPAL + 5)]
    alive = [s for s in opened if sessions.find(s.id) is not None]
    assert alive == opened[-MAX_PER_PRINCIPAL:]  # its own oldest went
    assert sessions.find(bob.id) is bob  # nobody else's


def test_sign_in_is_throttled_per_key_and_per_client(sessions: Sessions, clock: Clock) -> None:
    for _ in range(int(SIGNIN_BURST)):
        with pytest.raises(SignInRefused) as refused:
            sessions.sign_in("AKIAALICE", "wrong", "10.0.0.1")
        assert not isinstance(refused.value, SignInThrottled)
    # The key is throttled, from any client, even with its right secret ...
    with pytest.raises(SignInThrottled):
        sessions.sign_in("AKIAALICE", "s" * 40, "10.0.0.2")
    # ... and so is that client, for any key.
    with pytest.raises(SignInThrottled):
        sessions.sign_in("AKIAOTHER", "s", "10.0.0.1")
    clock.now += SIGNIN_EVERY
    assert sessions.sign_in("AKIAALICE", "s" * 40, "10.0.0.3").principal == USER


def test_the_throttle_keeps_a_bounded_number_of_names(clock: Clock) -> None:
    throttle = Throttle(clock, burst=2, every=1, limit=100)
    for index in range(1000):
        assert throttle.allow(f"client-{index}")
    assert len(throttle._buckets) <= 100
    assert throttle.allow("client-999") and not throttle.allow("client-999")


def test_open_mode_reuses_a_clients_session(sessions: Sessions, keys: Keys) -> None:
    first, fresh = sessions.for_client("127.0.0.1", USER, "AKIAALICE")
    assert fresh
    for _ in range(50):
        again, fresh = sessions.for_client("127.0.0.1", USER, "AKIAALICE")
        assert again is first and not fresh
    other, fresh = sessions.for_client("127.0.0.2", USER, "AKIAALICE")
    assert fresh and other is not first
    keys.add("AKIAALICE", status="Inactive")
    keys.add("AKIANEW")
    renewed, fresh = sessions.for_client("127.0.0.1", USER, "AKIANEW")
    assert fresh and renewed is not first


# --- the request checks ----------------------------------------------------------------------


def _request(method: str = "GET", path: str = "/", **headers: str) -> Request:
    raw = [(k.replace("_", "-").lower().encode(), v.encode()) for k, v in headers.items()]
    scope: dict[str, Any] = {
        "type": "http",
        "method": method,
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": raw,
        "scheme": "http",
        "server": ("127.0.0.1", 9001),
    }
    return Request(scope)


@pytest.mark.parametrize(
    "target",
    [
        None,
        "",
        "/",
        "https://evil.example/",
        "//evil.example/_altus/console/",
        "/_altus/console//evil.example",
        "/_altus/console/\\evil",
        "/_altus/console/\tx",
        "/_altus/consolex",
        "/elsewhere",
    ],
)
def test_safe_next_refuses_anything_but_a_console_path(target: str | None) -> None:
    assert web._safe_next(target) == BASE + "/"


def test_safe_next_takes_a_console_path() -> None:
    assert web._safe_next("/_altus/console/functions?x=1") == "/_altus/console/functions?x=1"


@pytest.mark.parametrize(
    ("origin", "same"),
    [
        (None, True),
        ("http://127.0.0.1:9001", True),
        ("https://127.0.0.1:9001", True),
        ("http://127.0.0.1:9000", False),  # the API's port: another origin
        ("http://evil.example", False),
        ("null", False),
        ("ftp://127.0.0.1:9001", False),
        ("127.0.0.1:9001", False),
    ],
)
def test_same_origin(origin: str | None, same: bool) -> None:
    headers = {"host": "127.0.0.1:9001"} | ({"origin": origin} if origin is not None else {})
    assert web._same_origin(_request("POST", **headers)) is same


@pytest.mark.parametrize(
    ("host", "name"),
    [
        ("127.0.0.1:9001", "127.0.0.1"),
        ("LOCALHOST", "localhost"),
        ("[::1]:9001", "::1"),
        ("::1", "::1"),
        ("evil.example:9001", "evil.example"),
        ("", ""),
    ],
)
def test_host_of(host: str, name: str) -> None:
    assert web._host_of(host) == name


def test_after_sign_in_a_post_returns_to_the_page_it_came_from() -> None:
    page = "http://127.0.0.1:9001/_altus/console/functions/f"
    posted = _request("POST", "/_altus/console/functions/f/invoke", host="127.0.0.1:9001")
    assert web._next_of(posted) == BASE + "/"
    posted = _request(
        "POST", "/_altus/console/functions/f/invoke", host="127.0.0.1:9001", referer=page
    )
    assert web._next_of(posted) == "/_altus/console/functions/f"
    foreign = _request(
        "POST", "/x", host="127.0.0.1:9001", referer="http://evil.example/_altus/console/a"
    )
    assert web._next_of(foreign) == BASE + "/"
    got = _request("GET", "/_altus/console/functions", host="127.0.0.1:9001")
    assert web._next_of(got) == "/_altus/console/functions"


# --- the live tail's cursor -----------------------------------------------------------------


class Group:
    """FilterLogEvents as Altus answers it: events since a time, in id order, ``limit``
    at a time, with a token going on after the last one while the page was full."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.reads = 0

    def log(self, timestamp: int, count: int) -> None:
        for _ in range(count):
            number = len(self.events) + 1
            self.events.append({"eventId": str(number), "timestamp": timestamp, "message": ""})

    async def read(self, start: int, token: str, limit: int = 200) -> dict[str, Any]:
        self.reads += 1
        after = int(token) if token else 0
        found = [e for e in self.events if e["timestamp"] >= start and int(e["eventId"]) > after]
        page = found[:limit]
        answer: dict[str, Any] = {"events": page}
        if len(found) > limit or (page and len(page) == limit):
            answer["nextToken"] = page[-1]["eventId"]
        return answer


def _tail(group: Group, cursor: Cursor, polls: int) -> tuple[list[str], Cursor]:
    shown: list[str] = []
    for _ in range(polls):
        events, cursor = asyncio.run(follow(group.read, cursor))
        shown.extend(e["eventId"] for e in events)
    return shown, cursor


def test_the_tail_shows_a_burst_of_600_lines_of_one_timestamp_once_each() -> None:
    group = Group()
    group.log(1000, 5)
    shown, cursor = _tail(group, Cursor(0), 2)
    assert shown == ["1", "2", "3", "4", "5"]
    group.log(2000, 600)  # a burst: one millisecond
    more, cursor = _tail(group, cursor, 6)
    group.log(2000, 1)  # and one more line of that millisecond
    group.log(3000, 1)
    last, cursor = _tail(group, cursor, 3)
    everything = shown + more + last
    assert everything == [str(n) for n in range(1, 608)]  # each once, in order
    quiet, _ = _tail(group, cursor, 3)
    assert quiet == []


def test_the_tail_goes_on_past_a_burst_longer_than_it_skips() -> None:
    group = Group()
    group.log(2000, 3000)  # more than SKIP_PAGES pages of one millisecond
    shown, cursor = _tail(group, Cursor(0), 20)
    assert shown == [str(n) for n in range(1, 3001)]
    group.log(2000, 1)
    more, cursor = _tail(group, cursor, 5)
    assert more == ["3001"]  # reached, across polls, and nothing shown twice
