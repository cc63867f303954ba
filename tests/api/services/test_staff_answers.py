"""Staff questions on a tiny real index (hashing embedder) and the project's answer models: a team's
internal document answers its own staff only, public pages answer everyone, statutes come from
their own index, follow-ups keep the conversation's page, and every internal document shown is
audited with the question under "query" (which retention removes) and nothing else."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from api.services.audit import AuditLog
from api.services.citizen_answers import CitizenAnswers
from api.services.database import create_schema, make_engine, make_sessionmaker
from api.services.staff_answers import MAX_HISTORY, Found, FoundTopics, StaffAnswers, document_link
from api.services.users import User
from api.settings import PROJECT_ROOT
from knowledge.answers import Topic
from knowledge.embedding import make_embedder
from knowledge.index import build_index
from knowledge.search import KnowledgeSearch
from knowledge.types import Document, Reader
from tests.api.services.conftest import make_user

ANSWERS_DIR = PROJECT_ROOT / "data" / "answers"

PASPOORT = Document(
    id="paspoort", title="Paspoort aanvragen", team="burgerzaken", url="/documents/paspoort",
    body="# Paspoort aanvragen\n\nU vraagt een paspoort aan bij de balie.\n\n## Kosten\n\n"
         "Een paspoort voor volwassenen kost 84 euro.\n\n## Termijn\n\nUw paspoort is na vijf werkdagen klaar.",
)  # fmt: skip
URGENTIE = Document(
    id="urgentie", title="Beleidsregel woonurgentie", audience="internal", team="wonen", allowed_teams=("wonen",),
    url="/documents/urgentie", effective_date=date(2026, 1, 1), version="2026.1",
    body="# Beleidsregel woonurgentie\n\nDe urgentiecommissie beoordeelt aanvragen om woonurgentie.\n\n"
         "## Geldigheid\n\nEen urgentieverklaring is 6 maanden geldig, code URG-INT bij intrekking.\n\n"
         "## Termijn\n\nDe urgentiecommissie beslist binnen 8 weken over de urgentieverklaring.",
)  # fmt: skip
PUNTEN = Document(
    id="punten", title="Puntentabel woonurgentie", audience="internal", team="wonen", allowed_teams=("wonen",),
    url="/documents/punten",
    body="# Puntentabel woonurgentie\n\n## Punten\n\nBij 14 punten of meer wordt woonurgentie toegekend.",
)  # fmt: skip
PASWET = Document(
    id="paspoortwet-art-3", title="Paspoortwet, artikel 3", url="https://wetten.overheid.nl/BWBR0005212/#Artikel3",
    body="# Paspoortwet, artikel 3\n\nDe geldigheidsduur van een nationaal paspoort bedraagt tien jaar.",
)  # fmt: skip
SECRET = ("URG-INT", "urgentiecommissie", "6 maanden")


def open_search(documents: list[Document], index_dir: Path) -> KnowledgeSearch:
    build_index(documents, embedder=make_embedder("hashing"), index_dir=index_dir)
    return KnowledgeSearch.open(index_dir)


@pytest.fixture(scope="module")
def indexes(tmp_path_factory: pytest.TempPathFactory) -> tuple[KnowledgeSearch, KnowledgeSearch]:
    root = tmp_path_factory.mktemp("staff-answers")
    return open_search([PASPOORT, URGENTIE, PUNTEN], root / "index"), open_search([PASWET], root / "statutes")


@pytest.fixture
def sessions(tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(f"sqlite:///{tmp_path / 'loket.db'}")
    create_schema(engine)
    yield make_sessionmaker(engine)
    engine.dispose()


@pytest.fixture
def answers(indexes: tuple[KnowledgeSearch, KnowledgeSearch], sessions: sessionmaker[Session]) -> StaffAnswers:
    main, statutes = indexes
    engine = CitizenAnswers.open(main, answers_dir=ANSWERS_DIR).engine
    return StaffAnswers.open(engine=engine, sessions=sessions, statutes=statutes, answers_dir=ANSWERS_DIR)


def wonen(sessions: sessionmaker[Session]) -> User:
    return make_user(sessions, "Wim", "staff", teams=("wonen",))


def audited(sessions: sessionmaker[Session]) -> list[tuple[str, str, dict[str, object]]]:
    entries = AuditLog(sessions=sessions).entries(action="document.shown")
    return sorted((e.action, e.target_id, e.details) for e in entries)


def test_a_teams_internal_document_answers_its_staff_with_a_citation_into_the_workspace(
    answers: StaffAnswers, sessions: sessionmaker[Session]
) -> None:
    answer = answers.ask("Hoe lang is een urgentieverklaring geldig?", user=wonen(sessions))
    assert answer.answered and answer.citation is not None and answer.html is not None
    assert "6 maanden geldig" in answer.html and answer.html.startswith("<p>")
    citation = answer.citation
    assert (citation.doc_id, citation.heading, citation.doc_type) == ("urgentie", "Geldigheid", "internal")
    assert citation.title == "Beleidsregel woonurgentie" and citation.version == "2026.1"
    assert citation.url == "/staff#doc=urgentie&section=geldigheid"  # not the public /documents page
    assert citation.official_url is None


def test_another_teams_staff_get_nothing_of_it(answers: StaffAnswers, sessions: sessionmaker[Session]) -> None:
    afval = make_user(sessions, "Ada", "staff", teams=("afval",))
    answer = answers.ask("Hoe lang is een urgentieverklaring van de urgentiecommissie geldig?", user=afval)
    assert not answer.answered and answer.citation is None and answer.html is None
    shown = str(answer)
    assert "urgentie" not in {c.doc_id for c in answer.alternatives} and "punten" not in shown
    assert not any(secret in shown for secret in SECRET)
    assert audited(sessions) == []


def test_public_pages_answer_everyone_and_link_to_the_page_at_its_section(
    answers: StaffAnswers, sessions: sessionmaker[Session]
) -> None:
    for user in (wonen(sessions), make_user(sessions, "Ada", "staff", teams=("afval",))):
        answer = answers.ask("Wat kost een paspoort?", user=user)
        assert answer.citation is not None and answer.citation.doc_id == "paspoort"
        assert answer.citation.url == "/documents/paspoort#kosten" and answer.citation.doc_type == "public"
        assert answer.html is not None and "84 euro" in answer.html
    assert audited(sessions) == []  # public pages are not recorded


def test_statutes_answer_from_their_own_index(answers: StaffAnswers, sessions: sessionmaker[Session]) -> None:
    answer = answers.ask("Wat is de geldigheidsduur van een nationaal paspoort?", user=wonen(sessions))
    assert answer.citation is not None and answer.citation.doc_id == "paspoortwet-art-3"
    assert answer.citation.doc_type == "statute"
    assert answer.citation.official_url == PASWET.url
    assert answer.citation.url.startswith("/staff#doc=paspoortwet-art-3&section=")


def test_every_internal_document_shown_is_audited_with_the_question_only(
    answers: StaffAnswers, sessions: sessionmaker[Session]
) -> None:
    user = wonen(sessions)
    answer = answers.ask(
        "Hoeveel punten zijn nodig voor woonurgentie?", user=user, history=["Wat doet de urgentiecommissie?"]
    )
    shown = ([answer.citation] if answer.citation else []) + answer.alternatives
    internal = sorted(c.doc_id for c in shown if c.doc_type == "internal")
    assert internal == ["punten", "urgentie"]  # the answer and an alternative
    question = {"query": "Hoeveel punten zijn nodig voor woonurgentie?"}
    assert audited(sessions) == [("document.shown", doc_id, question) for doc_id in internal]
    assert "urgentiecommissie" not in str(audited(sessions))  # the earlier question is not kept


def test_the_question_and_the_earlier_ones_are_answered_and_audited_redacted(
    answers: StaffAnswers, sessions: sessionmaker[Session]
) -> None:
    user = wonen(sessions)
    answer = answers.ask(
        "Hoeveel punten zijn nodig voor woonurgentie van BSN 111222333?",
        user=user, history=["Wat doet de urgentiecommissie voor jan.jansen@example.nl?"],
    )  # fmt: skip
    assert answer.citation is not None and answer.citation.doc_id == "punten"  # still answered
    queries = {str(details["query"]) for _, _, details in audited(sessions)}
    assert queries == {"Hoeveel punten zijn nodig voor woonurgentie van BSN [BSN]?"}


def test_a_follow_up_keeps_the_page_of_the_conversation(answers: StaffAnswers, sessions: sessionmaker[Session]) -> None:
    user = wonen(sessions)
    alone = answers.ask("en de termijn?", user=user)
    assert not alone.follow_up and (alone.citation is None or alone.citation.doc_id != "urgentie")
    follow_up = answers.ask("en de termijn?", user=user, history=["Hoe lang is een urgentieverklaring geldig?"])
    assert follow_up.follow_up and follow_up.citation is not None
    assert (follow_up.citation.doc_id, follow_up.citation.heading) == ("urgentie", "Termijn")
    # Still the same page after another follow-up; a new question starts a new topic.
    again = answers.ask(
        "en de termijn?", user=user, history=["Hoe lang is een urgentieverklaring geldig?", "en voor een gezin?"]
    )
    assert again.citation is not None and again.citation.doc_id == "urgentie"
    new = answers.ask("en de termijn?", user=user, history=["Hoe lang is een urgentieverklaring geldig?",
                                                            "Wat kost een paspoort?"])  # fmt: skip
    assert new.citation is not None and (new.citation.doc_id, new.citation.heading) == ("paspoort", "Termijn")


def test_a_short_question_without_a_page_of_its_own_asks_about_the_conversations_page(
    answers: StaffAnswers, sessions: sessionmaker[Session]
) -> None:
    """As in the chat: "welke termijn geldt" finds no answer of its own; after the passport's costs
    it asks about the passport, also when it is only in the history."""
    user = wonen(sessions)
    short = "welke termijn geldt"
    assert not answers.ask(short, user=user).answered
    after = answers.ask(short, user=user, history=["Wat kost een paspoort?"])
    assert after.follow_up and after.citation is not None and after.citation.doc_id == "paspoort"
    # Read the same way when it is an earlier question: the conversation is still about the passport.
    later = answers.ask("en wat kost het?", user=user, history=["Wat kost een paspoort?", short])
    assert later.citation is not None and later.citation.doc_id == "paspoort"
    # Naming a page of its own, a short question starts a new topic.
    named = answers.ask("woonurgentie binnen 8 weken beslist", user=user, history=["Wat kost een paspoort?"])
    assert named.citation is not None and named.citation.doc_id == "urgentie" and not named.follow_up
    # Gibberish finds no page of its own either, but asks nothing of the passport (no aspect, no
    # word on the pages, no word pointing back): no passport passage.
    typo = answers.ask("qwfp arst zxcv", user=user, history=["Wat kost een paspoort?"])
    assert not typo.follow_up and not typo.answered


def test_a_short_question_naming_what_the_conversations_page_lacks_starts_a_new_topic(
    answers: StaffAnswers, sessions: sessionmaker[Session]
) -> None:
    """As in the chat: "wordt er binnen 8 weken beslist" names a decision within weeks, which the
    passport page never mentions; after the passport's costs it is a question of its own, also when
    it is only in the history (AnswerEngine.subject_words)."""
    user = wonen(sessions)
    short = "wordt er binnen 8 weken beslist"
    after = answers.ask(short, user=user, history=["Wat kost een paspoort?"])
    assert not after.follow_up and after.citation is not None and after.citation.doc_id == "urgentie"
    later = answers.ask("en hoe lang is die geldig?", user=user, history=["Wat kost een paspoort?", short])
    assert later.follow_up and later.citation is not None and later.citation.doc_id == "urgentie"


RESIDENTS = Document(
    id="bewoners", title="Bewonersvergunning parkeren", url="/documents/bewoners",
    body="# Bewonersvergunning parkeren\n\nMet een bewonersvergunning parkeert u in uw eigen wijk.\n\n"
         "## Kosten\n\nEen bewonersvergunning kost € 120 per jaar.\n\n"
         "## Aanvragen\n\nU vraagt de vergunning online aan.",
)  # fmt: skip
VISITORS = Document(
    id="bezoekers", title="Bezoekersvergunning parkeren", url="/documents/bezoekers",
    body="# Bezoekersvergunning parkeren\n\nMet een bezoekersvergunning parkeert uw bezoek in uw wijk.\n\n"
         "## Kosten\n\nEen bezoekersvergunning kost € 30 per jaar.",
)  # fmt: skip


def test_a_follow_up_naming_a_related_product_moves_to_its_page(
    tmp_path: Path, sessions: sessionmaker[Session]
) -> None:
    """As in the chat: "en voor bezoekers?" after the resident permit's costs asks the visitor
    permit's costs; "en de aanvraag?" stays on the page shown."""
    main = open_search([PASPOORT, RESIDENTS, VISITORS], tmp_path / "index")
    engine = CitizenAnswers.open(main, answers_dir=ANSWERS_DIR).engine
    statutes = open_search([PASWET], tmp_path / "statutes")
    answers = StaffAnswers.open(engine=engine, sessions=sessions, statutes=statutes, answers_dir=ANSWERS_DIR)
    user = make_user(sessions, "Bo", "staff", teams=("parkeren",))
    history = ["Wat kost een bewonersvergunning?"]
    first = answers.ask(history[0], user=user)
    assert first.citation is not None and (first.citation.doc_id, first.citation.heading) == ("bewoners", "Kosten")
    visitors = answers.ask("en voor bezoekers?", user=user, history=history)
    assert visitors.follow_up and visitors.citation is not None
    assert (visitors.citation.doc_id, visitors.citation.heading) == ("bezoekers", "Kosten")
    stays = answers.ask("en hoe vraag ik die aan?", user=user, history=history)
    assert stays.follow_up and stays.citation is not None and stays.citation.doc_id == "bewoners"


def test_a_follow_up_on_a_page_the_reader_may_not_read_finds_nothing(
    answers: StaffAnswers, sessions: sessionmaker[Session]
) -> None:
    afval = make_user(sessions, "Ada", "staff", teams=("afval",))
    answer = answers.ask("en de termijn?", user=afval, history=["Hoe lang is een urgentieverklaring geldig?"])
    assert answer.citation is None or answer.citation.doc_id != "urgentie"
    assert audited(sessions) == []


def test_only_the_last_questions_of_the_history_count(answers: StaffAnswers, sessions: sessionmaker[Session]) -> None:
    user = wonen(sessions)
    history = ["Hoe lang is een urgentieverklaring geldig?"] + ["en voor een gezin?"] * MAX_HISTORY
    answer = answers.ask("en de termijn?", user=user, history=history)
    assert answer.citation is None or answer.citation.doc_id != "urgentie"  # the topic's question fell off


def test_document_links() -> None:
    assert document_link(PASPOORT, "Paspoort aanvragen › Kosten") == "/documents/paspoort#kosten"
    assert document_link(PASPOORT, "Paspoort aanvragen") == "/documents/paspoort"
    assert document_link(URGENTIE, "Beleidsregel woonurgentie › Geldigheid") == "/staff#doc=urgentie&section=geldigheid"
    opening = document_link(URGENTIE, "Beleidsregel woonurgentie")
    assert opening == "/staff#doc=urgentie&section=beleidsregel-woonurgentie"  # the page's own heading
    assert document_link(PASWET, "Paspoortwet, artikel 3").startswith("/staff#doc=paspoortwet-art-3&section=")


def test_a_follow_up_after_its_question_runs_the_engine_once_with_the_same_answer(
    answers: StaffAnswers, indexes: tuple[KnowledgeSearch, KnowledgeSearch], sessions: sessionmaker[Session],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    user = wonen(sessions)
    question, history = "en de termijn?", ["Hoe lang is een urgentieverklaring geldig?"]
    fresh = StaffAnswers.open(
        engine=CitizenAnswers.open(indexes[0], answers_dir=ANSWERS_DIR).engine, sessions=sessions, statutes=None,
        answers_dir=ANSWERS_DIR,
    ).ask(question, user=user, history=history)  # fmt: skip
    answers.ask(history[0], user=user)
    runs: list[str] = []
    engine = answers._engines[0]
    original = engine.answer

    def counted(question: str, **options: object) -> object:
        runs.append(question)
        return original(question, **options)  # type: ignore[arg-type]

    monkeypatch.setattr(engine, "answer", counted)
    remembered = answers.ask(question, user=user, history=history)
    assert runs == [question]  # the earlier question's page was remembered, not searched again
    assert remembered.citation == fresh.citation and remembered.follow_up and fresh.follow_up


def test_found_topics_keep_no_question_text_and_stay_bounded() -> None:
    topics = FoundTopics(size=2)
    staff = Reader.staff(teams={"wonen"})
    key = topics.key("Hoe lang is een urgentieverklaring geldig?", reader=staff, language="nl")
    assert "urgentie" not in key and len(key) == 64
    assert key != topics.key("Hoe lang is een urgentieverklaring geldig?", reader=Reader.staff(teams={"afval"}),
                             language="nl")  # fmt: skip
    assert topics.get(key) is None
    topics.put(key, Found(Topic("urgentie", "", ("duration",)), names_its_page=True))
    topics.put("declined", Found(None))
    assert topics.get("declined") == Found(None)  # known: it found nothing
    assert topics.get(key) == Found(Topic("urgentie", "", ("duration",)), names_its_page=True)
    topics.put("c", Found(None))  # the least recently used goes
    assert topics.get("declined") is None and topics.get(key) is not None


def test_the_teams_own_policy_answers_before_the_public_page_on_the_same_subject(
    tmp_path: Path, sessions: sessionmaker[Session]
) -> None:
    public = Document(
        id="urgentie-aanvragen", title="Urgentie aanvragen", team="wonen", url="/documents/urgentie-aanvragen",
        body="# Urgentie aanvragen\n\nHoe lang is een urgentieverklaring geldig? Urgentie aanvragen doet u online.\n\n"
             "## Hoe lang is een urgentieverklaring geldig\n\nEen urgentieverklaring is 6 maanden geldig.",
    )  # fmt: skip
    main = open_search([public, URGENTIE], tmp_path / "index")
    engine = CitizenAnswers.open(main, answers_dir=ANSWERS_DIR).engine
    question = "Hoe lang is een urgentieverklaring geldig?"
    staff_reader = Reader(roles=frozenset({"staff"}), teams=frozenset({"wonen"}))
    plain = engine.answer(question, reader=staff_reader)
    assert plain.hit is not None and plain.hit.doc_id == "urgentie-aanvragen"  # the public page ranks first
    answers = StaffAnswers(engine=engine, sessions=sessions)
    answer = answers.ask(question, user=wonen(sessions))
    assert answer.citation is not None and answer.citation.doc_id == "urgentie"
    assert [c.doc_id for c in answer.alternatives] == ["urgentie-aanvragen"]
