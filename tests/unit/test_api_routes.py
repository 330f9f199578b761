"""Every Lambda route Altus serves is an operation of botocore's model, at its exact
method and path (the version date in a path differs by operation and is easy to get
wrong)."""

from __future__ import annotations

import re

import botocore.session

from altus.api import app


def _model_paths() -> set[tuple[str, str]]:
    model = botocore.session.get_session().get_service_model("lambda")
    out = set()
    for name in model.operation_names:
        http = model.operation_model(name).http
        path = re.sub(r"\{[^}]+\}", "{}", http["requestUri"].split("?")[0])
        out.add((http["method"], path))
    return out


def test_every_lambda_route_is_a_model_operation() -> None:
    known = _model_paths()
    routes = app.lambda_routes()
    assert routes
    for route in routes:
        path = route.path
        shape = re.sub(r"\{[^}]+\}", "{}", path)
        for method in (route.methods or set()) - {"HEAD"}:
            assert (method, shape) in known, f"{method} {path} is not in botocore's model"
