"""Staff search on a tiny real index (hashing embedder): results per document, highlighted words,
narrowing filters, the statutes' own index, and an audit record for every internal document."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from api.services.audit import AuditLog
from api.services.database import create_schema, make_engine, make_sessionmaker
from api.services.staff_search import (
    Filters,
    Highlighter,
    StaffSearch,
    doc_type,
    explain,
    reader_for,
    record_shown,
    section_anchor,
)
from api.services.users import User, UserStore
from knowledge.embedding import make_embedder
from knowledge.index import build_index
from knowledge.search import KnowledgeSearch
from knowledge.types import Document, Hit

PASPOORT = Document(
    id="paspoort", title="Paspoort aanvragen", team="burgerzaken",
    body="# Paspoort aanvragen\n\n## Kosten\n\nEen paspoort kost 84 euro.\n\n## Levertijd\n\n"
         "Een paspoort is na vijf werkdagen klaar.",
)  # fmt: skip
SPOED = Document(
    id="spoed", title="Werkinstructie spoedaanvraag", audience="internal", team="burgerzaken",
    allowed_teams=("burgerzaken",), effective_date=date(2025, 6, 1),
    body="# Werkinstructie spoedaanvraag\n\nGebruik codewoord TULP-7 bij de spoedbalie voor een spoedpaspoort.",
)  # fmt: skip
KWIJTSCHELDING = Document(
    id="kwijtschelding", title="Beleidsregel kwijtschelding", audience="internal", team="belastingen",
    allowed_teams=("belastingen",), effective_date=date(2026, 1, 1),
    body="# Beleidsregel kwijtschelding\n\nHanteer de vrijlating van 3350 euro bij kwijtschelding.",
)  # fmt: skip
PASWET = Document(
    id="paspoortwet-art-2", title="Paspoortwet, artikel 2", team=None,
    url="https://wetten.overheid.nl/BWBR0005212/#Artikel2",
    body="# Paspoortwet, artikel 2\n\nEen paspoort wordt verstrekt aan iedere Nederlander.",
)  # fmt: skip


def open_search(documents: list[Document], index_dir: Path) -> KnowledgeSearch:
    embedder = make_embedder("hashing")
    build_index(documents, embedder=embedder, index_dir=index_dir)
    return KnowledgeSearch.open(index_dir)


@pytest.fixture(scope="module")
def indexes(tmp_path_factory: pytest.TempPathFactory) -> tuple[KnowledgeSearch, KnowledgeSearch]:
    root = tmp_path_factory.mktemp("staff-search")
    main = open_search([PASPOORT, SPOED, KWIJTSCHELDING], root / "index")
    statutes = open_search([PASWET], root / "index-statutes")
    return main, statutes


@pytest.fixture
def sessions(tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(f"sqlite:///{tmp_path / 'loket.db'}")
    create_schema(engine)
    yield make_sessionmaker(engine)
    engine.dispose()


@pytest.fixture
def staff_search(indexes: tuple[KnowledgeSearch, KnowledgeSearch], sessions: sessionmaker[Session]) -> StaffSearch:
    main, statutes = indexes
    return StaffSearch(search=main, sessions=sessions, statutes=statutes)


def make_user(sessions: sessionmaker[Session], *roles: str, teams: tuple[str, ...] = ()) -> User:
    users = UserStore(sessions=sessions, session_ttl=timedelta(hours=1))
    return users.create(username=f"u-{uuid.uuid4().hex[:8]}", password="correct horse battery",
                        roles=list(roles), teams=list(teams))  # fmt: skip


def audited(sessions: sessionmaker[Session]) -> list[tuple[str, str, str]]:
    """The documents shown and opened (creating a user is in the log too)."""
    entries = AuditLog(sessions=sessions).entries()
    return sorted((e.actor, e.action, e.target_id) for e in entries if e.action.startswith("document."))


# --- the parts ---------------------------------------------------------------------------------


def test_document_types() -> None:
    assert doc_type(PASPOORT) == "public"
    assert doc_type(SPOED) == "internal"
    assert doc_type(PASWET) == "statute"


def test_the_reader_is_the_users_roles_and_teams() -> None:
    user = User(id=1, username="a", display_name="A", roles=frozenset({"staff"}), teams=frozenset({"afval"}))
    reader = reader_for(user)
    assert reader.may_read(PASPOORT) and not reader.may_read(SPOED)
    assert reader_for(User(1, "b", "B", frozenset({"admin"}), frozenset())).may_read(KWIJTSCHELDING)


def test_filters_narrow_by_team_type_and_date() -> None:
    assert Filters().accept(PASPOORT)
    assert Filters(team="burgerzaken").accept(SPOED) and not Filters(team="belastingen").accept(SPOED)
    assert Filters(doc_type="statute").accept(PASWET) and not Filters(doc_type="public").accept(PASWET)
    assert Filters(effective_from=date(2025, 6, 1)).accept(SPOED)
    assert not Filters(effective_from=date(2025, 6, 2)).accept(SPOED)
    assert Filters(effective_until=date(2025, 6, 1)).accept(SPOED)
    assert not Filters(effective_until=date(2025, 5, 31)).accept(SPOED)
    # A date filter wants a date: documents without one are left out.
    assert not Filters(effective_from=date(2000, 1, 1)).accept(PASPOORT)
    assert not Filters(effective_until=date(2100, 1, 1)).accept(PASPOORT)


def test_highlighter_marks_words_by_lemma_and_escapes_the_rest(
    indexes: tuple[KnowledgeSearch, KnowledgeSearch],
) -> None:
    analyzer = indexes[0].analyzer
    highlighter = Highlighter(analyzer)
    terms = set(analyzer.analyze_query("paspoort kosten"))
    marked, matched = highlighter.mark("<b>Paspoorten</b> & meer: kosten", terms, "nl")
    assert marked == "&lt;b&gt;<mark>Paspoorten</mark>&lt;/b&gt; &amp; meer: <mark>kosten</mark>"
    assert set(matched) <= terms and len(matched) == 2
    assert highlighter.mark("niets hier", terms, "nl") == ("niets hier", [])


def test_explain_names_the_matched_words_and_the_similarity() -> None:
    hit = Hit(doc_id="d", title="T", section="S", url=None, audience="public", team=None, score=0.1, passage="p",
              bm25_score=3.14159, dense_score=0.5)  # fmt: skip
    assert explain(hit, ["paspoort"]) == "words matched (paspoort): BM25 3.14; meaning similarity 0.50"
    assert explain(hit, []) == "words matched (related words): BM25 3.14; meaning similarity 0.50"
    dense_only = Hit(doc_id="d", title="T", section="S", url=None, audience="public", team=None, score=0.1,
                     passage="p", dense_score=0.25)  # fmt: skip
    assert explain(dense_only, []) == "meaning similarity 0.25"


def test_section_anchor() -> None:
    assert section_anchor("Kosten &amp; tarieven") == "kosten-tarieven"
    assert section_anchor("  Wat kost het?  ") == "wat-kost-het"


# --- searching ---------------------------------------------------------------------------------


def test_staff_find_their_teams_internal_document_and_it_is_audited(
    staff_search: StaffSearch, sessions: sessionmaker[Session]
) -> None:
    user = make_user(sessions, "staff", teams=("burgerzaken",))
    results = staff_search.search("codewoord spoedbalie", user=user)
    assert results[0].doc_id == "spoed" and results[0].doc_type == "internal"
    passage = results[0].passages[0]
    assert "<mark>codewoord</mark>" in passage.html and "codewoord" in passage.matched_terms
    assert passage.why.startswith("words matched (")
    shown = [r.doc_id for r in results if r.audience == "internal"]
    assert audited(sessions) == sorted((user.username, "document.shown", doc_id) for doc_id in shown)


def test_a_query_with_personal_data_is_searched_and_audited_redacted(
    staff_search: StaffSearch, sessions: sessionmaker[Session]
) -> None:
    user = make_user(sessions, "staff", teams=("burgerzaken",))
    results = staff_search.search("codewoord spoedbalie voor BSN 111222333, bel 0612345678", user=user)
    assert results[0].doc_id == "spoed"  # the rest of the query still finds it
    entries = AuditLog(sessions=sessions).entries(action="document.shown")
    assert [e.details for e in entries] == [{"query": "codewoord spoedbalie voor BSN [BSN], bel [telefoon]"}]


def test_the_audit_of_a_shown_document_never_holds_a_query_in_clear(sessions: sessionmaker[Session]) -> None:
    """record_shown is the one writer of a query: whatever a caller passes, it keeps the redacted text."""
    user = make_user(sessions, "staff")
    record_shown(sessions, user=user, doc_ids=["spoed", "spoed"], query="huisbezoek NL91ABNA0417164300 " + "x" * 600)
    [entry] = AuditLog(sessions=sessions).entries(action="document.shown")
    assert entry.details["query"].startswith("huisbezoek [IBAN] x") and len(entry.details["query"]) == 500


def test_another_teams_internal_document_is_never_found(
    staff_search: StaffSearch, sessions: sessionmaker[Session]
) -> None:
    user = make_user(sessions, "staff", teams=("afval",))
    results = staff_search.search("codewoord TULP-7 spoedbalie kwijtschelding vrijlating", user=user, k=10)
    assert {r.doc_id for r in results} <= {"paspoort", "paspoortwet-art-2"}
    assert audited(sessions) == []  # nothing internal shown, nothing recorded


def test_results_are_grouped_per_document_and_k_counts_documents(
    staff_search: StaffSearch, sessions: sessionmaker[Session]
) -> None:
    user = make_user(sessions, "admin")
    results = staff_search.search("paspoort", user=user, k=10)
    ids = [r.doc_id for r in results]
    assert len(ids) == len(set(ids))
    assert {"paspoort", "paspoortwet-art-2"} <= set(ids)  # the statutes' index is searched too
    assert len(next(r for r in results if r.doc_id == "paspoort").passages) >= 2  # Kosten and Levertijd
    assert len(staff_search.search("paspoort", user=user, k=1)) == 1


def test_filters_choose_the_indexes_and_narrow_the_results(
    staff_search: StaffSearch, indexes: tuple[KnowledgeSearch, KnowledgeSearch], sessions: sessionmaker[Session]
) -> None:
    admin = make_user(sessions, "admin")
    statutes_only = staff_search.search("paspoort", user=admin, filters=Filters(doc_type="statute"))
    assert [r.doc_id for r in statutes_only] == ["paspoortwet-art-2"]
    public = staff_search.search("paspoort", user=admin, filters=Filters(doc_type="public"))
    assert [r.doc_id for r in public] == ["paspoort"]
    tax = staff_search.search("kwijtschelding vrijlating", user=admin, filters=Filters(team="burgerzaken"))
    assert "kwijtschelding" not in [r.doc_id for r in tax]
    without_statutes = StaffSearch(search=indexes[0], sessions=sessions)
    assert without_statutes.search("paspoort", user=admin, filters=Filters(doc_type="statute")) == []
    assert "paspoortwet-art-2" not in [r.doc_id for r in without_statutes.search("paspoort", user=admin)]


# --- opening -----------------------------------------------------------------------------------


def test_opening_an_internal_document_is_audited_and_headings_get_anchors(
    staff_search: StaffSearch, sessions: sessionmaker[Session]
) -> None:
    user = make_user(sessions, "staff", teams=("burgerzaken",))
    public = staff_search.open_document("paspoort", user=user)
    assert public is not None
    document, body = public
    assert document.id == "paspoort" and '<h2 id="kosten">Kosten</h2>' in body
    assert audited(sessions) == []  # public documents are not recorded
    internal = staff_search.open_document("spoed", user=user)
    assert internal is not None and "TULP-7" in internal[1]
    assert audited(sessions) == [(user.username, "document.opened", "spoed")]


def test_a_document_not_yours_is_the_same_as_none(staff_search: StaffSearch, sessions: sessionmaker[Session]) -> None:
    user = make_user(sessions, "staff", teams=("afval",))
    assert staff_search.open_document("spoed", user=user) is None
    assert staff_search.open_document("does-not-exist", user=user) is None
    assert audited(sessions) == []


def test_statutes_open_from_their_own_index(staff_search: StaffSearch, sessions: sessionmaker[Session]) -> None:
    opened = staff_search.open_document("paspoortwet-art-2", user=make_user(sessions, "staff"))
    assert opened is not None and "iedere Nederlander" in opened[1]
