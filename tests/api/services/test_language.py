from __future__ import annotations

import pytest

from api.services.language import split_language_choice


def test_language_choice_prefix() -> None:
    assert split_language_choice("/en how much is a passport") == ("en", "how much is a passport")
    assert split_language_choice("/NL") == ("nl", "")
    assert split_language_choice("/next thing") == (None, "/next thing")
    assert split_language_choice("paspoort") == (None, "paspoort")


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Sorry, can you answer in English please?", "en"),
        ("english please", "en"),
        ("Do you speak English?", "en"),
        ("kunt u in het Nederlands antwoorden?", "nl"),
        ("Nederlands graag", "nl"),
        ("spreek je nederlands", "nl"),
        ("en in het nederlands graag", "nl"),  # after an English answer: not a follow-up "en ..."
        ("ok, back to English now please", "en"),
    ],
)
def test_a_request_for_another_language_switches_it(text: str, language: str) -> None:
    assert split_language_choice(text) == (language, "")


@pytest.mark.parametrize(
    "text",
    [
        "how do I register a birth in English and Dutch forms",
        "is er een Engelse versie van het formulier",
        "can you translate my letter into English",
        "ik wil mijn paspoort aanvragen in het Nederlands consulaat",
    ],
)
def test_a_question_that_mentions_a_language_is_still_a_question(text: str) -> None:
    assert split_language_choice(text) == (None, text)
