"""Municipal topics the documents do not cover (knowledge/topics.py), and the project's catalogue."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge.topics import TopicCatalogue

PROJECT = Path(__file__).resolve().parents[2]
PROJECT_TOPICS = PROJECT / "data" / "answers" / "municipal_topics.yml"


@pytest.fixture
def catalogue(tmp_path: Path) -> TopicCatalogue:
    path = tmp_path / "topics.yml"
    path.write_text(
        "topics:\n"
        "  naturalisatie: ['naturalisat', 'citizenship ceremony']\n"
        "  markt: ['weekmarkt', 'market stall']\n"
        "  erfpacht: ['erfpacht']\n",
        encoding="utf-8",
    )
    return TopicCatalogue.from_yaml(path)


def test_a_topic_counts_as_covered_once_a_document_mentions_one_of_its_terms(catalogue: TopicCatalogue) -> None:
    assert catalogue.uncovered == {"naturalisatie", "markt", "erfpacht"}  # before any document is seen
    covered = catalogue.covered_by(["Paspoort aanvragen", "Elke zaterdag is er WEEKMARKT op het plein."])
    assert covered.uncovered == {"naturalisatie", "erfpacht"}
    assert covered.uncovered_in("Op welke dag is de weekmarkt?") == ()  # the pages say it
    assert covered.uncovered_in("Wat kost het afkopen van de erfpacht?") == ("erfpacht",)


def test_terms_match_from_the_start_of_a_word_without_case_or_accents(catalogue: TopicCatalogue) -> None:
    assert catalogue.uncovered_in("NATURALISATIE aanvragen") == ("naturalisatie",)
    assert catalogue.uncovered_in("When is the next naturalisation ceremony?") == ("naturalisatie",)
    assert catalogue.uncovered_in("Naturalisatíe en érfpacht") == ("naturalisatie", "erfpacht")
    assert catalogue.uncovered_in("denaturalisatie van eiwitten") == ()  # not at a word's start
    assert catalogue.uncovered_in("Wat kost een paspoort?") == ()


def test_an_empty_catalogue_finds_nothing() -> None:
    assert TopicCatalogue.empty().covered_by(["iets"]).uncovered_in("naturalisatie") == ()


def test_the_project_catalogue_against_the_sample_pages() -> None:
    """The engine counts a topic as covered when a title or heading names it. The sample pages name
    none of the catalogue's topics; one page mentions the parking garage next to the town hall in
    passing, which does not answer questions about parking garages."""
    pages = [path.read_text(encoding="utf-8") for path in sorted((PROJECT / "data" / "policies").rglob("*.md"))]
    headings = [line.lstrip("#").strip() for page in pages for line in page.splitlines() if line.startswith("#")]
    assert len(headings) > 100
    catalogue = TopicCatalogue.from_yaml(PROJECT_TOPICS)
    assert len(catalogue.topics) > 80
    by_headings = catalogue.covered_by(headings)
    assert by_headings.uncovered == catalogue.uncovered
    assert "parkeergarage" not in catalogue.covered_by(pages).uncovered  # mentioned in a passage
    assert by_headings.uncovered_in("Kan ik me opgeven voor het stembureau?") == ("verkiezingen",)
    assert by_headings.uncovered_in("abonnement parkeergarage") == ("parkeergarage",)
    assert by_headings.uncovered_in("Wat kost een paspoort?") == ()
