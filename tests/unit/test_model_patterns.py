"""Every pattern in the models of the registered services compiles (a member with a
pattern that does not is a 500 on every request that has it)."""

from __future__ import annotations

import pytest

from altus.api.model import service_model
from altus.api.validate import _pattern
from altus.registry import SERVICES


@pytest.mark.parametrize("service", [spec.name for spec in SERVICES])
def test_every_pattern_compiles(service: str) -> None:
    model = service_model(service)
    for name in model.shape_names:
        pattern = model.shape_for(name).metadata.get("pattern")
        if pattern:
            _pattern(pattern)  # raises re.error for one it cannot read
