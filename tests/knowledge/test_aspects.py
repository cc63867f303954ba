"""Which aspect of a product a question asks about, and which section headings answer it."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge.aspects import AspectLexicon, fold

PROJECT_ASPECTS = Path(__file__).resolve().parents[2] / "data" / "answers" / "aspects.yml"

LEXICON = r"""
aspects:
  costs:
    triggers: ['\bkost(en)?\b', '\bhow much\b']
    headings: ['^kosten', '^costs']
  duration:
    triggers: ['\bhoe lang\b', '\bklaar\b']
    headings: ['^hoe lang duurt']
  conditions:
    broad: true
    triggers: ['\bmag ik\b']
    headings: ['^voorwaarden']
  empty: {}
"""


@pytest.fixture
def lexicon(tmp_path: Path) -> AspectLexicon:
    path = tmp_path / "aspects.yml"
    path.write_text(LEXICON, encoding="utf-8")
    return AspectLexicon.from_yaml(path)


def test_fold_lowercases_and_drops_accents() -> None:
    assert fold("Wanneer is mijn Paspoort klaar?") == "wanneer is mijn paspoort klaar?"
    assert fold("Café, ÉÉN reïntegratie") == "cafe, een reintegratie"
    assert fold("€ 86,55") == "€ 86,55"  # symbols stay


def test_questions_are_matched_folded_and_in_lexicon_order(lexicon: AspectLexicon) -> None:
    assert [aspect.id for aspect in lexicon.aspects] == ["costs", "duration", "conditions", "empty"]
    assert lexicon.asked("Hoe lang duurt het en wat KOST het?") == ("costs", "duration")
    assert lexicon.asked("Hóé lang?") == ("duration",)  # accents removed before matching
    assert lexicon.asked("How much is it") == ("costs",)
    assert lexicon.asked("kostuum huren") == ()  # word boundaries in the triggers hold
    assert lexicon.asked("") == ()


def test_a_heading_answers_only_the_aspects_asked(lexicon: AspectLexicon) -> None:
    assert lexicon.answers(("costs",), "Kosten")
    assert lexicon.answers(("costs",), "  Kosten en betalen ")  # stripped before the anchored match
    assert lexicon.answers(("duration", "costs"), "Hoe lang duurt het")
    assert not lexicon.answers(("duration",), "Kosten")
    assert not lexicon.answers(("costs",), "Extra kosten")  # anchored: the heading must start with it
    assert not lexicon.answers((), "Kosten")
    assert not lexicon.answers(("unknown",), "Kosten")
    assert not lexicon.answers(("empty",), "Kosten")


def test_a_broad_aspect_answers_but_not_as_a_specific_one(lexicon: AspectLexicon) -> None:
    asked = lexicon.asked("mag ik dat, en wat kost het?")
    assert asked == ("costs", "conditions")
    assert lexicon.answers(asked, "Voorwaarden") and not lexicon.answers(asked, "Voorwaarden", specific_only=True)
    assert lexicon.answers(asked, "Kosten", specific_only=True)
    assert [aspect.id for aspect in lexicon.aspects if aspect.broad] == ["conditions"]
    assert lexicon.specific(asked) == ("costs",) and lexicon.specific(("conditions",)) == ()


def test_an_empty_lexicon_knows_no_aspects(tmp_path: Path) -> None:
    assert AspectLexicon.empty().asked("wat kost een paspoort") == ()
    assert not AspectLexicon.empty().answers(("costs",), "Kosten")
    (tmp_path / "none.yml").write_text("", encoding="utf-8")
    assert AspectLexicon.from_yaml(tmp_path / "none.yml") == AspectLexicon.empty()


def test_a_broken_pattern_fails_at_load_time(tmp_path: Path) -> None:
    path = tmp_path / "aspects.yml"
    path.write_text("aspects:\n  costs:\n    triggers: ['(kosten']\n", encoding="utf-8")
    with pytest.raises(Exception, match="missing \\)"):
        AspectLexicon.from_yaml(path)


# ---------------------------------------------------------------- the project's lexicon


@pytest.mark.parametrize(
    ("question", "aspect"),
    [
        ("wat kost een id kaart", "costs"),
        ("how much is a resident permit", "costs"),
        ("hoe lang duurt het voordat mijn rijbewijs klaar is", "duration"),
        ("how long does it take", "duration"),
        ("wat moet ik meenemen naar de afspraak", "documents"),
        ("heb ik recht op bijzondere bijstand", "conditions"),
        ("moet ik ervoor betalen als ik het aan de balie doe", "costs"),
        ("is it free for children", "costs"),
        ("welke stukken moet ik opsturen met mijn aanvraag", "documents"),
        ("what proof of address do you want from me", "documents"),
        ("na hoeveel weken hoor ik iets", "duration"),
        ("how fast is it done", "duration"),
        # Dutch separable verbs and word order: the parts apart
        ("wat breng ik mee naar het stadhuis", "documents"),
        ("welke papieren stuurt u mee", "documents"),
        ("moet ik lang wachten op de uitslag", "duration"),
        ("duurt de behandeling erg lang", "duration"),
    ],
)
def test_aspects_are_recognised_in_both_languages(question: str, aspect: str) -> None:
    assert aspect in AspectLexicon.from_yaml(PROJECT_ASPECTS).asked(question)


def test_only_the_aspects_asked_about_anything_are_broad() -> None:
    lexicon = AspectLexicon.from_yaml(PROJECT_ASPECTS)
    assert sorted(aspect.id for aspect in lexicon.aspects if aspect.broad) == ["apply", "conditions"]


def test_validity_or_an_allowed_time_is_not_a_duration_question() -> None:
    """How long something is valid or allowed is a rule of the page, not how long the municipality
    takes: "Hoe lang duurt het" does not answer it."""
    lexicon = AspectLexicon.from_yaml(PROJECT_ASPECTS)
    assert "duration" not in lexicon.asked("hoe lang is een paspoort geldig")
    assert "duration" not in lexicon.asked("how long is a passport valid")
    assert "duration" not in lexicon.asked("hoe lang mag een caravan op straat staan")
    assert "duration" not in lexicon.asked("how long is a trailer allowed to stay in the street")
    assert "duration" in lexicon.asked("hoe lang duurt het voordat mijn vergunning er is")
    assert "duration" in lexicon.asked("how long does it take")


@pytest.mark.parametrize(
    ("heading", "aspect"),
    [("Kosten", "costs"), ("Hoe lang duurt het", "duration"), ("Wat heeft u nodig", "documents"),
     ("Aanvragen", "apply"), ("Voorwaarden", "conditions")],
)  # fmt: skip
def test_each_standard_product_page_heading_answers_its_own_aspect_only(heading: str, aspect: str) -> None:
    lexicon = AspectLexicon.from_yaml(PROJECT_ASPECTS)
    assert [a.id for a in lexicon.aspects if lexicon.answers((a.id,), heading)] == [aspect]


def test_an_aspect_listed_without_entries_loads_and_matches_nothing(tmp_path: Path) -> None:
    lexicon_file = tmp_path / "aspects.yml"
    lexicon_file.write_text("aspects:\n  costs:\n", encoding="utf-8")
    lexicon = AspectLexicon.from_yaml(lexicon_file)
    assert lexicon.asked("Wat kost een paspoort?") == ()
