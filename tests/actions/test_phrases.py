"""Fixed phrases in a message: whole words, punctuation and spacing aside."""

from __future__ import annotations

import pytest

from actions.phrases import WORD, says_any


@pytest.mark.parametrize(
    "text",
    ["Ik wil  een medewerker spreken!", "ik wil een MEDEWERKER, spreken", "kan ik een medewerker spreken?"],
)
def test_a_phrase_is_found_whatever_the_case_punctuation_and_spacing(text: str) -> None:
    assert says_any(text, ["medewerker spreken"])


@pytest.mark.parametrize(
    "text",
    [
        "de medewerkers spreken elkaar",  # another word that starts the same
        "spreken met een medewerker",  # the words in another order
        "",
    ],
)
def test_only_the_whole_words_in_their_order_count(text: str) -> None:
    assert not says_any(text, ["medewerker spreken"])


def test_a_word_keeps_its_apostrophe() -> None:
    assert WORD.findall("zo'n bak, I'd like") == ["zo'n", "bak", "I'd", "like"]
    assert says_any("I'd like to file a complaint", ["i'd like"])
