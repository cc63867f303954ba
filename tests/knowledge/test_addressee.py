"""A short question addressing the municipality ("wat is jullie adres") is searched with its name."""

from __future__ import annotations

from pathlib import Path

import pytest

from api.settings import PROJECT_ROOT
from knowledge.addressee import Addressee

ADDRESSEE = Addressee(names={"jullie": "de gemeente"}, max_words=8)


def test_a_short_question_names_the_municipality_where_it_addresses_it() -> None:
    rewritten = ADDRESSEE.named("wat is Jullie adres?")
    assert rewritten.changed and rewritten.text == "wat is de gemeente adres?"


@pytest.mark.parametrize(
    "question",
    [
        "Al maanden wordt er gedeald in ons portiek, wat doen jullie daar nou eigenlijk mee?",  # long: a story
        "wat kost een paspoort",  # no addressing word
        "julliebus vertrekt wanneer",  # only whole words
    ],
)
def test_other_questions_keep_their_words(question: str) -> None:
    rewritten = ADDRESSEE.named(question)
    assert not rewritten.changed and rewritten.text == question


def test_offsets_in_the_searched_text_lead_back_to_the_citizens_words() -> None:
    question = "kunnen jullie de kliko van jullie buren legen"
    rewritten = ADDRESSEE.named(question)
    text = rewritten.text
    for word in ("kunnen", "kliko", "buren", "legen"):
        at = text.index(word)
        original = rewritten.original_offset(at)
        assert original is not None and question[original : original + len(word)] == word
    assert rewritten.original_offset(text.index("gemeente")) is None  # not typed by the citizen


def test_the_projects_file_names_jullie_only(tmp_path: Path) -> None:
    shipped = Addressee.from_yaml(PROJECT_ROOT / "data" / "answers" / "addressee.yml")
    assert dict(shipped.names) == {"jullie": "de gemeente"}
    assert shipped.max_words == 8
    (tmp_path / "empty.yml").write_text("", encoding="utf-8")
    assert not Addressee.from_yaml(tmp_path / "empty.yml").named("wat is jullie adres").changed
