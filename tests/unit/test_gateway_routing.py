"""API Gateway routing: HTTP APIs' routes and REST APIs' resource methods."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from altus.gateway.deployed import Route
from altus.gateway.routing import HttpRoutes, RestResources, path_problem, route_key_problem


def route(key: str) -> Route:
    if key == "$default":
        return Route(id="default", key=key, method="", path="", integration=None)
    method, path = key.split(" ", 1)
    return Route(id=key, key=key, method=method, path=path, integration=None)


HTTP_KEYS = [
    "GET /pets",
    "GET /pets/dog/1",
    "GET /pets/dog/{id}",
    "ANY /pets/dog/{id}",
    "POST /pets/{kind}/{id}",
    "GET /pets/{proxy+}",
    "ANY /{proxy+}",
    "GET /",
    "$default",
]


@pytest.mark.parametrize(
    ("method", "path", "key", "parameters"),
    [
        ("GET", "/pets/dog/1", "GET /pets/dog/1", {}),  # a literal beats {id}
        ("GET", "/pets/dog/2", "GET /pets/dog/{id}", {"id": "2"}),
        ("PUT", "/pets/dog/2", "ANY /pets/dog/{id}", {"id": "2"}),  # exact method, else ANY
        ("POST", "/pets/cat/9", "POST /pets/{kind}/{id}", {"kind": "cat", "id": "9"}),
        ("GET", "/pets/cat/9", "GET /pets/{proxy+}", {"proxy": "cat/9"}),  # greedy after full
        ("GET", "/pets/a/b/c", "GET /pets/{proxy+}", {"proxy": "a/b/c"}),
        ("DELETE", "/pets/a", "ANY /{proxy+}", {"proxy": "pets/a"}),
        ("GET", "/pets", "GET /pets", {}),
        ("GET", "/pets/", "GET /pets", {}),  # a trailing slash is ignored
        ("GET", "/", "GET /", {}),
        ("POST", "/", "$default", {}),  # a greedy variable takes one segment or more
        ("GET", "/pets/dog/a%20b", "GET /pets/dog/{id}", {"id": "a b"}),  # decoded
        ("GET", "/pets/dog/a%2Fb", "GET /pets/dog/{id}", {"id": "a/b"}),  # one segment
        ("GET", "/pets/x%20y/z", "GET /pets/{proxy+}", {"proxy": "x y/z"}),
        ("get", "/pets", "GET /pets", {}),
    ],
)
def test_http_precedence(method: str, path: str, key: str, parameters: dict[str, str]) -> None:
    matched = HttpRoutes([route(k) for k in HTTP_KEYS]).match(method, path)
    assert matched is not None
    assert (matched.route.key, dict(matched.path_parameters)) == (key, parameters)


def test_http_precedence_does_not_depend_on_the_order_of_routes() -> None:
    routes = [route(k) for k in reversed(HTTP_KEYS)]
    matched = HttpRoutes(routes).match("GET", "/pets/dog/1")
    assert matched is not None and matched.route.key == "GET /pets/dog/1"


def test_http_no_match_without_default_is_none() -> None:
    routes = HttpRoutes([route("GET /pets"), route("GET /pets/{id}")])
    assert routes.match("POST", "/pets") is None
    assert routes.match("GET", "/pets/1/2") is None
    assert routes.match("GET", "/") is None
    assert routes.match("GET", "/Pets") is None  # paths are case-sensitive


def test_http_trailing_slash_gives_a_greedy_variable_the_empty_rest() -> None:
    routes = HttpRoutes([route("ANY /handler/{proxy+}")])
    matched = routes.match("POST", "/handler/")
    assert matched is not None and matched.path_parameters == {"proxy": ""}
    assert routes.match("POST", "/handler") is None
    full = HttpRoutes([route("ANY /handler/{proxy+}"), route("GET /handler")])
    matched = full.match("GET", "/handler/")
    assert matched is not None and matched.route.key == "GET /handler"


def test_http_empty_segment_matches_no_variable() -> None:
    routes = HttpRoutes([route("GET /a/{b}/c")])
    assert routes.match("GET", "/a//c") is None


REST_KEYS = [
    "GET /",
    "GET /pets",
    "GET /pets/{id}",
    "ANY /pets/{id}/toys",
    "POST /pets/{proxy+}",
    "GET /pets/mine",
    "ANY /{proxy+}",
]


@pytest.mark.parametrize(
    ("method", "path", "key", "parameters"),
    [
        ("GET", "/", "GET /", {}),
        ("GET", "/pets/mine", "GET /pets/mine", {}),
        ("GET", "/pets/7", "GET /pets/{id}", {"id": "7"}),
        ("PATCH", "/pets/7/toys", "ANY /pets/{id}/toys", {"id": "7"}),
        ("POST", "/pets/7/a/b", "POST /pets/{proxy+}", {"proxy": "7/a/b"}),
        ("GET", "/other/x", "ANY /{proxy+}", {"proxy": "other/x"}),
        ("GET", "/pets/7/", "GET /pets/{id}", {"id": "7"}),
    ],
)
def test_rest_precedence(method: str, path: str, key: str, parameters: dict[str, str]) -> None:
    matched = RestResources([route(k) for k in REST_KEYS]).match(method, path)
    assert matched is not None
    assert (matched.route.key, dict(matched.path_parameters)) == (key, parameters)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/pets"),  # the resource is found and lacks the method
        ("POST", "/pets/7"),
        ("POST", "/"),
    ],
)
def test_rest_missing_method_is_none(method: str, path: str) -> None:
    assert RestResources([route(k) for k in REST_KEYS]).match(method, path) is None


def test_rest_unknown_path_without_proxy_is_none() -> None:
    assert RestResources([route("GET /pets")]).match("GET", "/cats") is None


def test_many_literal_routes() -> None:
    routes = HttpRoutes([route(f"GET /r{n}/items/{{id}}") for n in range(2000)])
    matched = routes.match("GET", "/r1999/items/5")
    assert matched is not None and matched.route.key == "GET /r1999/items/{id}"


@given(st.lists(st.from_regex(r"[a-z0-9]{1,6}", fullmatch=True), min_size=1, max_size=6))
def test_greedy_takes_the_whole_rest(segments: list[str]) -> None:
    path = "/" + "/".join(segments)
    matched = HttpRoutes([route("ANY /{proxy+}")]).match("GET", path)
    assert matched is not None
    assert matched.path_parameters == {"proxy": "/".join(segments)}


@pytest.mark.parametrize(
    ("key", "websocket", "valid"),
    [
        ("GET /pets", False, True),
        ("ANY /{proxy+}", False, True),
        ("$default", False, True),
        ("GET /", False, True),
        ("$connect", False, False),
        ("$connect", True, True),
        ("sendMessage", True, True),
        ("$other", True, False),
        ("FETCH /pets", False, False),
        ("GET pets", False, False),
        ("GET /{proxy+}/more", False, False),
        ("GET /a//b", False, False),
        ("GET /{a}/{a}", False, False),
        ("GET /a{b", False, False),
        ("", True, False),
        ("GET", False, False),
    ],
)
def test_route_key_problem(key: str, websocket: bool, valid: bool) -> None:
    assert (route_key_problem(key, websocket) is None) is valid


def test_path_problem_names_the_path() -> None:
    problem = path_problem("/{proxy+}/x")
    assert problem is not None and "greedy" in problem
