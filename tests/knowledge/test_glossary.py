"""The English → Dutch query glossary: loading, bad files, and the translations of a word."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from api.settings import Settings
from knowledge.glossary import Glossary, GlossaryError


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "glossary.yml"
    path.write_text(text, encoding="utf-8")
    return path


def test_translations_of_the_word_and_its_lemma_in_glossary_order(tmp_path: Path) -> None:
    glossary = Glossary.load(write(tmp_path, "glossary:\n  bins: [kliko]\n  bin: [container, kliko]\n  Fee: kosten\n"))
    assert glossary.translations("bins", "bin") == ("kliko", "container")
    assert glossary.translations("FEE") == ("kosten",)
    assert glossary.translations("unknown") == ()


@pytest.mark.parametrize(
    "text",
    ["glossary: [a, b]\n", "glossary:\n  bin: [container, 3]\n", "glossary:\n  bin: ['']\n", "other: {}\n", ": :\n"],
)
def test_a_bad_glossary_is_refused_with_the_file_named(tmp_path: Path, text: str) -> None:
    with pytest.raises(GlossaryError, match="glossary.yml"):
        Glossary.load(write(tmp_path, text))


def test_a_missing_glossary_is_refused(tmp_path: Path) -> None:
    with pytest.raises(GlossaryError, match="cannot read"):
        Glossary.load(tmp_path / "absent.yml")


def test_the_shipped_glossary_loads_and_maps_english_words_to_words_of_the_pages() -> None:
    path = Settings().search_glossary
    assert path is not None
    glossary = Glossary.load(path)
    assert len(glossary.entries) >= 150
    pages = " ".join(
        p.read_text(encoding="utf-8").lower() for p in (path.parents[2] / "data" / "policies").rglob("*.md")
    )
    # Every Dutch word is one the pages use (at least its first five letters: "containers", "kliko's").
    unused = sorted({w for words in glossary.entries.values() for w in words if w[:5] not in pages})
    assert unused == []
    assert yaml.safe_load(path.read_text(encoding="utf-8"))["glossary"]  # plain YAML, one mapping


def test_another_top_level_key_is_read_when_asked(tmp_path: Path) -> None:
    path = write(tmp_path, "synonyms:\n  bijstandsnorm: [norm, bijstand]\n")
    assert Glossary.load(path, key="synonyms").translations("Bijstandsnorm") == ("norm", "bijstand")
    with pytest.raises(GlossaryError, match="'glossary:'"):
        Glossary.load(path)


def test_the_shipped_citizen_synonyms_load_and_map_to_words_of_the_dutch_pages() -> None:
    path = Settings().search_synonyms
    assert path is not None
    synonyms = Glossary.load(path, key="synonyms")
    assert synonyms.translations("kliko") == ("container",)
    assert "stadhuis" in synonyms.translations("gemeentehuis")
    pages = " ".join(
        p.read_text(encoding="utf-8").lower()
        for p in (path.parents[2] / "data" / "policies").rglob("*.md")
        if not p.stem.endswith("-en")
    )
    # Every word it adds is one the Dutch pages use (at least its first five letters).
    unused = sorted({w for words in synonyms.entries.values() for w in words if w[:5] not in pages})
    assert unused == []
