"""The history event rendering table against botocore's model: every event type has an
entry, every details member named is one of HistoryEvent's, and each type's member is
the one named after it (or the shared state entered/exited one)."""

from __future__ import annotations

import botocore.session
import pytest

from altus.asl.host import Record
from altus.stepfunctions.history import DETAILS_MEMBER, event


def _model() -> tuple[list[str], set[str]]:
    loader = botocore.session.get_session().get_component("data_loader")
    shapes = loader.load_service_model("stepfunctions", "service-2")["shapes"]
    members = set(shapes["HistoryEvent"]["members"]) - {
        "timestamp",
        "type",
        "id",
        "previousEventId",
    }
    return list(shapes["HistoryEventType"]["enum"]), members


def test_the_table_covers_the_model() -> None:
    types, members = _model()
    assert set(DETAILS_MEMBER) == set(types)
    named = {m for m in DETAILS_MEMBER.values() if m is not None}
    assert named <= members
    # Every member of the model is used by some type.
    assert members == named


@pytest.mark.parametrize("kind", sorted(DETAILS_MEMBER))
def test_each_type_has_its_own_member(kind: str) -> None:
    member = DETAILS_MEMBER[kind]
    _, members = _model()
    own = kind[0].lower() + kind[1:] + "EventDetails"
    if kind.endswith("StateEntered"):
        assert member == "stateEnteredEventDetails"
    elif kind.endswith("StateExited"):
        assert member == "stateExitedEventDetails"
    elif own in members:
        assert member == own
    else:
        assert member is None


def test_an_event_is_rendered_with_its_details() -> None:
    record = Record("k", "TaskStateEntered", {"name": "T", "input": "{}"}, 12.5, 3, 2)
    assert event(record) == {
        "timestamp": 12.5,
        "type": "TaskStateEntered",
        "id": 3,
        "previousEventId": 2,
        "stateEnteredEventDetails": {"name": "T", "input": "{}"},
    }
    assert event(record, include_data=False)["stateEnteredEventDetails"] == {"name": "T"}
    bare = Record("k", "ParallelStateStarted", {}, 1.0, 4, 3)
    assert set(event(bare)) == {"timestamp", "type", "id", "previousEventId"}
    with pytest.raises(ValueError):
        event(Record("k", "~wake", {}, 1.0, None))
