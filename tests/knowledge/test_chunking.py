from __future__ import annotations

import pytest

from knowledge.chunking import (
    MAX_WORDS,
    chunk_document,
    heading_of,
    iter_sections,
    section_url,
    section_window,
    split_sentences,
    split_text,
)
from knowledge.types import Document

BODY = """# Paspoort aanvragen

Intro over het paspoort.

## Wat heeft u nodig

- Een pasfoto.
- Uw oude paspoort.

## Kosten

Een paspoort kost € 86,55.

### Spoed

Een spoedaanvraag kost extra.

```
# geen kop, maar code
```
"""


def doc(body: str, **fields: object) -> Document:
    return Document(id="paspoort", title=str(fields.pop("title", "Paspoort aanvragen")), body=body, **fields)  # type: ignore[arg-type]


def test_sections_keep_the_heading_path() -> None:
    sections = list(iter_sections(BODY, "Paspoort aanvragen"))
    paths = [" › ".join(p) for p, _ in sections]
    assert paths == [
        "Paspoort aanvragen",
        "Paspoort aanvragen › Wat heeft u nodig",
        "Paspoort aanvragen › Kosten",
        "Paspoort aanvragen › Kosten › Spoed",
    ]
    # A '#' line inside a code fence is text, not a heading.
    assert "# geen kop" in sections[-1][1]


def test_body_without_h1_gets_the_title_as_root() -> None:
    sections = list(iter_sections("Voorwoord.\n\n## Kosten\n\nGratis.", "Hondenbelasting"))
    assert [p for p, _ in sections] == [("Hondenbelasting",), ("Hondenbelasting", "Kosten")]


def test_empty_sections_are_skipped() -> None:
    sections = list(iter_sections("# Titel\n\n## Leeg\n\n## Vol\n\nTekst.", "Titel"))
    assert [p[-1] for p, _ in sections] == ["Vol"]


def test_chunks_carry_document_metadata_and_numbered_ids() -> None:
    d = doc(
        BODY,
        audience="internal",
        team="burgerzaken",
        allowed_teams=("burgerzaken",),
        url="/documents/paspoort",
    )
    chunks = chunk_document(d)
    assert [c.chunk_id for c in chunks] == [f"paspoort#{i}" for i in range(len(chunks))]
    kosten = next(c for c in chunks if c.section == "Paspoort aanvragen › Kosten")
    assert kosten.text == "Een paspoort kost € 86,55."
    assert kosten.audience == "internal" and kosten.allowed_teams == ("burgerzaken",)
    assert kosten.team == "burgerzaken" and kosten.url == "/documents/paspoort"
    # The title and section are not in the passage but are what the embedder sees first.
    assert kosten.embed_text() == "Paspoort aanvragen — Paspoort aanvragen › Kosten: Een paspoort kost € 86,55."
    intro = chunks[0]
    assert intro.embed_text() == "Paspoort aanvragen: Intro over het paspoort."


def test_list_stays_one_passage() -> None:
    chunks = chunk_document(doc(BODY))
    nodig = next(c for c in chunks if c.section.endswith("Wat heeft u nodig"))
    assert nodig.text == "- Een pasfoto.\n- Uw oude paspoort."


def test_long_section_is_split_at_paragraphs_within_the_limit() -> None:
    paragraphs = [" ".join(f"woord{p}_{i}" for i in range(50)) + "." for p in range(5)]
    chunks = chunk_document(doc("# Lang\n\n" + "\n\n".join(paragraphs), title="Lang"))
    assert all(len(c.text.split()) <= MAX_WORDS for c in chunks)
    # 5 × 50 words pack as 2 + 2 + 1 paragraphs, never cutting one in half.
    assert [len(c.text.split()) for c in chunks] == [100, 100, 50]
    assert all(c.section == "Lang" for c in chunks)
    joined = " ".join(c.text for c in chunks).split()
    assert joined == " ".join(paragraphs).split()  # nothing lost, nothing duplicated


def test_long_paragraph_is_split_at_sentences() -> None:
    sentences = [f"Zin {n} " + " ".join(["tekst"] * 28) + "." for n in range(8)]  # 30 words each
    passages = split_text(" ".join(sentences), max_words=100)
    assert [len(p.split()) for p in passages] == [90, 90, 60]
    assert all(p.rstrip().endswith(".") for p in passages)


def test_run_on_sentence_is_cut_at_word_boundaries() -> None:
    passages = split_text(" ".join(["woord"] * 250), max_words=120)
    assert [len(p.split()) for p in passages] == [120, 120, 10]


def test_sentence_splitter_keeps_times_and_amounts() -> None:
    assert split_sentences("Open van 9.00 tot 17.00 uur. Kosten € 12,50! Vragen? Bel ons.") == [
        "Open van 9.00 tot 17.00 uur.",
        "Kosten € 12,50!",
        "Vragen?",
        "Bel ons.",
    ]


def test_plain_text_without_headings_is_one_section() -> None:
    chunks = chunk_document(doc("Gewoon een tekst.\n\nMet twee alinea's.", title="Notitie"))
    assert len(chunks) == 1 and chunks[0].section == "Notitie"


@pytest.mark.parametrize(
    ("section", "heading"),
    [
        ("Paspoort aanvragen › Kosten", "Kosten"),
        ("Paspoort aanvragen", ""),  # the text before the first ## heading
        ("Paspoort aanvragen › Kosten › Spoed", "Spoed"),
        ("", ""),
        # A ## heading that repeats the title is still a heading of its own.
        ("Paspoort aanvragen › Paspoort aanvragen", "Paspoort aanvragen"),
    ],
)
def test_heading_of_a_section_path(section: str, heading: str) -> None:
    assert heading_of(section) == heading


def test_section_url_opens_the_heading_and_the_page_for_its_opening_text() -> None:
    assert (
        section_url("/documents/paspoort", "Paspoort › Hoe lang duurt het") == "/documents/paspoort#hoe-lang-duurt-het"
    )
    assert section_url("/documents/paspoort", "Paspoort") == "/documents/paspoort"
    assert section_url(None, "Paspoort › Kosten") is None


def test_a_section_window_shows_the_passage_that_answers_with_what_it_goes_on_from() -> None:
    """A short last passage qualifies what came before it: the lines just before it come with it,
    nearest first and in whole lines, then those after it, within the word limit."""
    rules = "Vuistregels:\n- achter: vrij\n- voor: vergunning"
    tail = "Ook zonder vergunning: bouwregels."
    passages = [f"Doe eerst de check.\n\n{rules}", tail]
    assert section_window(passages, 1, max_words=11) == f"{rules}\n{tail}"
    assert section_window(passages, 1, max_words=100) == f"Doe eerst de check.\n{rules}\n{tail}"
    # The first passage is followed by what fits of the rest; a line that does not fit ends it.
    assert section_window(passages, 0, max_words=12) == f"Doe eerst de check.\n{rules}"
    assert section_window(passages, 0, max_words=100) == f"Doe eerst de check.\n{rules}\n{tail}"
    # A passage longer than the limit is cut at a whole line; never less than its first line.
    assert section_window(["een twee drie vier\nvijf zes"], 0, max_words=2) == "een twee drie vier"
    # Lines before and after it come only when they adjoin: the window is one stretch of the section.
    three = ["a b c d e f g h", "midden", "x y"]
    assert section_window(three, 1, max_words=4) == "midden\nx y"
