"""Public documents as pages: only public ones, Markdown without raw HTML, an id on every heading."""

from __future__ import annotations

from datetime import date

from api.services.documents import DocumentLibrary
from knowledge.chunking import section_anchor
from knowledge.types import Document

PUBLIC = Document(
    id="paspoort",
    title="Paspoort aanvragen",
    body="# Paspoort aanvragen\n\n## Kosten & tarieven\n\nEen paspoort kost **€ 84,20**.\n\n## Één dag levertijd",
    version="3",
    effective_date=date(2026, 1, 1),
)
INTERNAL = Document(
    id="werkinstructie", title="Werkinstructie", audience="internal", allowed_teams=("burgerzaken",),
    body="Codewoord TULP-7.",
)  # fmt: skip


def library(*documents: Document) -> DocumentLibrary:
    return DocumentLibrary({document.id: document for document in documents})


def test_a_public_document_is_a_page_with_its_details() -> None:
    page = library(PUBLIC).public_html("paspoort")
    assert page is not None
    assert page.startswith("<!doctype html>") and '<html lang="nl">' in page
    assert "<title>Paspoort aanvragen</title>" in page
    assert '<p class="meta">versie 3, geldig vanaf 2026-01-01</p>' in page
    assert "<strong>€ 84,20</strong>" in page
    assert page.count("<h1") == 1  # the body's own title is not doubled


def test_headings_get_the_anchors_the_answers_link_to() -> None:
    page = library(PUBLIC).public_html("paspoort")
    assert page is not None
    for heading in ("Kosten & tarieven", "Één dag levertijd"):
        assert f'id="{section_anchor(heading)}"' in page, heading
    assert '<h2 id="kosten-tarieven">Kosten &amp; tarieven</h2>' in page
    assert '<h2 id="een-dag-levertijd">' in page


def test_internal_and_unknown_documents_do_not_exist_for_the_public() -> None:
    documents = library(PUBLIC, INTERNAL)
    assert documents.count() == 2
    assert documents.public_html("werkinstructie") is None
    assert documents.public_html("nope") is None


def test_a_body_without_a_title_gets_one_and_no_meta_without_details() -> None:
    plain = Document(id="afval", title="Afval & <grofvuil>", language="en", body="Put the bin out by 7:30.")
    page = library(plain).public_html("afval")
    assert page is not None
    assert '<html lang="en">' in page and "<title>Afval &amp; &lt;grofvuil&gt;</title>" in page
    assert '<h1 id="afval-grofvuil">Afval &amp; &lt;grofvuil&gt;</h1>' in page
    assert 'class="meta"' not in page


def test_raw_html_in_a_document_is_shown_as_text() -> None:
    hostile = Document(id="x", title="X", body="# X\n\n<script>alert(1)</script>\n\n[link](javascript:alert(1))")
    page = library(hostile).public_html("x")
    assert page is not None
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert 'href="javascript:' not in page
