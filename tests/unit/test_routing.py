"""Alias routing weights."""

import random
from collections import Counter

import pytest

from altus.control.errors import InvalidParameterValue
from altus.control.routing import check_routing, choose_version


def test_choose_version_splits_by_weight():
    rng = random.Random(7)
    counts = Counter(choose_version("1", {"2": 0.3}, rng.random) for _ in range(20000))
    assert 0.27 < counts["2"] / 20000 < 0.33
    assert set(counts) == {"1", "2"}


def test_extreme_weights():
    assert choose_version("1", {"2": 0.0}, lambda: 0.0) == "1"
    assert choose_version("1", {"2": 1.0}, lambda: 0.999999) == "2"
    assert choose_version("1", {}, lambda: 0.5) == "1"


@pytest.mark.parametrize(
    ("primary", "weights", "published"),
    [
        ("1", {"2": 0.5, "3": 0.1}, {"1", "2", "3"}),
        ("$LATEST", {"1": 0.5}, {"1"}),
        ("1", {"1": 0.5}, {"1"}),
        ("1", {"9": 0.5}, {"1"}),
        ("1", {"$LATEST": 0.5}, {"1"}),
        ("1", {"2": 1.5}, {"1", "2"}),
    ],
)
def test_invalid_routing(primary, weights, published):
    with pytest.raises(InvalidParameterValue):
        check_routing(primary, weights, published)


def test_valid_routing():
    check_routing("1", {"2": 0.25}, {"1", "2"})
    check_routing("$LATEST", {}, set())
