"""Statutes in the regelrecht YAML format: one public Document per article, plain text, the article's URL."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from knowledge.chunking import chunk_document
from knowledge.ingest import load_documents
from knowledge.statutes import StatuteError, clean_article_text, is_statute, law_name, read_statute

REGELRECHT = Path(__file__).resolve().parents[3] / "shared" / "data" / "regelrecht"

STATUTE = """\
$id: wet_voorbeeld
regulatory_layer: WET
valid_from: '2026-01-01'
bwb_id: BWBR0000001
url: https://wetten.overheid.nl/BWBR0000001/2026-01-01
articles:
  - number: '1'
    text: |-
      In deze wet wordt verstaan onder:

      - *aanvrager:* degene die een aanvraag indient als bedoeld in [artikel 2, eerste
      lid][ref1];

      [ref1]: https://wetten.overheid.nl/BWBR0000001/2026-01-01#Artikel2
    url: https://wetten.overheid.nl/BWBR0000001/2026-01-01#Artikel1
  - number: 2a
    text: Het college beslist binnen acht weken op de aanvraag.
    url: https://wetten.overheid.nl/BWBR0000001/2026-01-01#Artikel2a
"""


def write(tmp_path: Path, text: str, name: str = "wet_voorbeeld.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_statute_yaml_gives_one_document_per_article(tmp_path: Path) -> None:
    first, second = read_statute(write(tmp_path, STATUTE))
    assert first.id == "wet_voorbeeld.art-1"
    assert first.title == "Wet voorbeeld, artikel 1"
    assert first.url == "https://wetten.overheid.nl/BWBR0000001/2026-01-01#Artikel1"
    assert (first.audience, first.language, first.effective_date) == ("public", "nl", date(2026, 1, 1))
    assert first.version == "2026-01-01" and first.source_path == str(tmp_path / "wet_voorbeeld.yaml")
    assert "[ref1]" not in first.body and "https://" not in first.body
    assert "aanvrager: degene die een aanvraag indient als bedoeld in artikel 2, eerste lid;" in first.body
    assert second.id == "wet_voorbeeld.art-2a"
    [chunk] = chunk_document(second)
    assert chunk.url is not None and chunk.url.endswith("#Artikel2a") and chunk.section == "Wet voorbeeld, artikel 2a"


def test_ingest_reads_statute_files(tmp_path: Path) -> None:
    write(tmp_path, STATUTE)
    result = load_documents([tmp_path])
    assert result.errors == []
    assert [d.id for d in result.documents] == ["wet_voorbeeld.art-1", "wet_voorbeeld.art-2a"]


def test_known_laws_get_their_name_and_team(tmp_path: Path) -> None:
    text = STATUTE.replace("$id: wet_voorbeeld", "$id: paspoortwet")
    [first, _] = read_statute(write(tmp_path, text))
    assert first.id == "paspoortwet.art-1" and first.title == "Paspoortwet, artikel 1"
    assert first.team == "burgerzaken"
    assert read_statute(write(tmp_path, text), teams={"paspoortwet": "klantcontact"})[0].team == "klantcontact"
    assert read_statute(write(tmp_path, STATUTE))[0].team is None  # an unknown law: no owner


def test_without_an_id_the_file_name_is_the_slug_and_urls_fall_back_to_the_law(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "bwb_id: BWBR0000002\nurl: https://wetten.overheid.nl/BWBR0000002\nvalid_from: 2025-07-01\n"
        "articles:\n  - {number: 3, text: Eerste regel.}\n  - {number: 'A 1:2', text: Tweede regel.}\n",
        name="wet_op_het_voorbeeld.yml",
    )
    first, second = read_statute(path)
    assert first.id == "wet_op_het_voorbeeld.art-3" and first.title == "Wet op het voorbeeld, artikel 3"
    assert first.url == "https://wetten.overheid.nl/BWBR0000002#Artikel3"
    assert first.effective_date == date(2025, 7, 1) and first.version == "2025-07-01"  # an unquoted YAML date
    assert second.id == "wet_op_het_voorbeeld.art-A-1-2"  # a safe id from any article number
    no_urls = write(tmp_path, "$id: wet_x\narticles:\n  - {number: '1', text: Tekst.}\n", name="x.yaml")
    [doc] = read_statute(no_urls)
    assert doc.url is None and doc.effective_date is None and doc.version is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("foo: bar\n", "not a statute"),
        ("articles: []\n", "not a statute"),  # neither bwb_id nor $id
        ("bwb_id: B\narticles: []\n", "no articles"),
        ("bwb_id: B\narticles:\n  - {number: '1'}\n", "#1 has no text"),
        ("bwb_id: B\narticles:\n  - {number: '1', text: a}\n  - just text\n", "#2 has no text"),
        ("bwb_id: B\narticles:\n  - {text: a}\n", "#1 has no number"),
        ("bwb_id: B\narticles:\n  - {number: '1', text: a}\n  - {number: 1, text: b}\n", "article 1 appears twice"),
        ("bwb_id: [unclosed\n", "invalid YAML"),
    ],
)
def test_malformed_statutes_are_refused_with_a_reason(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(StatuteError, match=message):
        read_statute(write(tmp_path, text))


def test_is_statute() -> None:
    assert is_statute({"bwb_id": "B", "articles": []})
    assert is_statute({"$id": "wet", "articles": [{}]})
    assert not is_statute({"bwb_id": "B"})
    assert not is_statute({"bwb_id": "B", "articles": "none"})
    assert not is_statute([{"bwb_id": "B", "articles": []}])
    assert not is_statute(None)


def test_law_name() -> None:
    assert law_name("wet_basisregistratie_personen") == "Wet basisregistratie personen"
    assert law_name("wet_op_de_zorgtoeslag") == "Wet op de zorgtoeslag"
    assert law_name("omgevingswet") == "Omgevingswet"
    assert law_name("") == ""


def test_clean_article_text_keeps_the_words_and_the_paragraphs() -> None:
    text = (
        "1. Zie [artikel 8][ref3] en [de regeling](https://example.nl/r) voor\n"
        "de voorwaarden.\n\n\n"
        "- *college:* het college van burgemeester en wethouders;\n\n"
        "[ref3]: https://wetten.overheid.nl/BWBR1#Artikel8\n"
    )
    assert clean_article_text(text) == (
        "1. Zie artikel 8 en de regeling voor de voorwaarden.\n\n- college: het college van burgemeester en wethouders;"
    )


@pytest.mark.skipif(not REGELRECHT.is_dir(), reason=f"statute corpus not found at {REGELRECHT} (../shared/data)")
def test_real_statutes_from_regelrecht() -> None:
    files = sorted(REGELRECHT.glob("*.yaml"))
    result = load_documents(files)
    assert result.errors == []
    docs = {d.id: d for d in result.documents}
    assert len(docs) == 896  # as stated in regelrecht/README.md
    art = docs["paspoortwet.art-1"]
    assert art.title == "Paspoortwet, artikel 1"
    assert art.url == "https://wetten.overheid.nl/BWBR0005212/2026-10-01#Artikel1"
    assert art.team == "burgerzaken" and art.audience == "public"
    assert art.effective_date == date(2026, 10, 1)
    assert all(d.url and d.url.startswith("https://wetten.overheid.nl/BWBR") for d in docs.values())
    assert not any("[ref" in d.body for d in docs.values())


def test_the_lids_in_a_passage_are_read_from_their_numbers() -> None:
    from knowledge.statutes import article_id, lids_in

    passage = "1 Het college beslist binnen acht weken.\n\na. onderdeel\n\n2a Het college kan verdagen.\n\n2019 jaar"
    assert lids_in(passage) == ["1", "2a", "2019"]
    assert lids_in("Voor belanghebbenden van 21 jaar of ouder is de norm.") == []
    assert article_id("participatiewet", "22a") == "participatiewet.art-22a"
    assert article_id("wet_voorbeeld", "2 bis") == "wet_voorbeeld.art-2-bis"
