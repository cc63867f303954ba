"""The citizen's language as the actions see it: the `language` slot, or Dutch."""

from __future__ import annotations

import pytest

from actions.language import tracker_language
from tests.actions.conftest import tracker


@pytest.mark.parametrize("slot, expected", [("nl", "nl"), ("en", "en")])
def test_a_supported_language_in_the_slot_is_used(slot: str, expected: str) -> None:
    assert tracker_language(tracker("hallo", language=slot)) == expected


@pytest.mark.parametrize("slot", [None, "", "de", "EN", "english"])
def test_anything_else_means_dutch(slot: object) -> None:
    assert tracker_language(tracker("hallo", slots={"language": slot})) == "nl"
