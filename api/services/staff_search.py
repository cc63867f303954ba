"""Staff search: hits grouped by document, matched words highlighted, each source explained.

Access control is the knowledge package's (applied inside search, before ranking);
this module only narrows further (team, document type, date) and shapes results.
Every internal document shown or opened is written to the audit log.

A query is redacted first (api/services/personal_data.py, as the chat gateway redacts a citizen's
message): staff look a case up by what they have at hand ("bijstand BSN 111222333"), and the query
is audited and kept for 30 days, so the search runs on the redacted text and only that is audited.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import TYPE_CHECKING, Literal

from markdown_it import MarkdownIt
from sqlalchemy.orm import Session, sessionmaker

from api.services.audit import AuditLog
from api.services.personal_data import redact
from api.services.users import User

if TYPE_CHECKING:
    from knowledge.search import KnowledgeSearch
    from knowledge.sparse import Analyzer
    from knowledge.types import Document, Hit, Reader

DocType = Literal["public", "internal", "statute"]
_WORD = re.compile(r"\w+", re.UNICODE)


def reader_for(user: User) -> Reader:
    from knowledge.types import Reader

    return Reader(roles=frozenset(user.roles), teams=frozenset(user.teams))


def doc_type(document: Document | Hit) -> DocType:
    url = document.url or ""
    if "wetten.overheid.nl" in url:
        return "statute"
    return "internal" if document.audience == "internal" else "public"


@dataclass(frozen=True)
class Passage:
    section: str
    html: str  # the passage, escaped, with matched words in <mark>
    score: float
    bm25_score: float
    dense_score: float
    matched_terms: list[str]
    why: str  # the figures above in English (explain()), for API clients


@dataclass(frozen=True)
class DocumentResult:
    doc_id: str
    title: str
    url: str | None
    team: str | None
    audience: str
    doc_type: DocType
    effective_date: date | None
    version: str | None
    passages: list[Passage] = field(default_factory=list)


@dataclass(frozen=True)
class Filters:
    team: str | None = None
    doc_type: DocType | None = None
    effective_from: date | None = None
    effective_until: date | None = None

    def accept(self, document: Document) -> bool:
        if self.team and document.team != self.team:
            return False
        if self.doc_type and doc_type(document) != self.doc_type:
            return False
        when = document.effective_date
        if self.effective_from and (when is None or when < self.effective_from):
            return False
        return not (self.effective_until and (when is None or when > self.effective_until))


class Highlighter:
    """Marks the words of a passage whose lemma is one of the query's terms."""

    def __init__(self, analyzer: Analyzer) -> None:
        self._analyzer = analyzer
        self._lemma = lru_cache(maxsize=50_000)(self._lemmas)

    def _lemmas(self, word: str, language: str) -> frozenset[str]:
        return frozenset(self._analyzer.analyze(word, language)) | {word.lower()}

    def mark(self, text: str, terms: set[str], language: str) -> tuple[str, list[str]]:
        matched: dict[str, None] = {}
        parts: list[str] = []
        last = 0
        for match in _WORD.finditer(text):
            parts.append(html.escape(text[last : match.start()]))
            word = match.group()
            hit = self._lemma(word, language) & terms
            if hit:
                matched.update(dict.fromkeys(sorted(hit)))
                parts.append(f"<mark>{html.escape(word)}</mark>")
            else:
                parts.append(html.escape(word))
            last = match.end()
        parts.append(html.escape(text[last:]))
        return "".join(parts), list(matched)


class StaffSearch:
    """Searches the main index (public and internal documents) and, when built, the statutes'
    own index (`loket eval retrieval --set data/eval/statutes_test.jsonl` or `loket ingest-statutes`)."""

    def __init__(
        self, *, search: KnowledgeSearch, sessions: sessionmaker[Session], statutes: KnowledgeSearch | None = None
    ) -> None:
        self._search = search
        self._statutes = statutes
        self._sessions = sessions
        self._highlighter = Highlighter(search.analyzer)
        self._markdown = MarkdownIt("commonmark", {"html": False})

    def _indexes(self, filters: Filters) -> list[KnowledgeSearch]:
        if filters.doc_type == "statute":
            return [self._statutes] if self._statutes else []
        if filters.doc_type in ("public", "internal") or self._statutes is None:
            return [self._search]
        return [self._search, self._statutes]

    def _hits(self, query: str, *, reader: Reader, filters: Filters, k: int) -> list[tuple[KnowledgeSearch, Hit]]:
        """Hits of every index that applies, best first (RRF scores are rank-based, so comparable)."""
        # Ask for more than k: the optional filters narrow the list further.
        narrowed = filters.team or filters.doc_type or filters.effective_from or filters.effective_until
        wanted = k * 4 if narrowed else k
        found = [
            (index, hit)
            for index in self._indexes(filters)
            for hit in index.search(query, reader=reader, k=wanted).hits
        ]
        return sorted(found, key=lambda pair: -pair[1].score)

    def search(self, query: str, *, user: User, filters: Filters = Filters(), k: int = 10) -> list[DocumentResult]:
        query = redact(query).text
        reader = reader_for(user)
        terms = set(self._search.analyzer.analyze_query(query))
        grouped: dict[str, DocumentResult] = {}
        for index, hit in self._hits(query, reader=reader, filters=filters, k=k):
            document = index.document(hit.doc_id, reader=reader)
            if document is None or not filters.accept(document):
                continue
            if hit.doc_id not in grouped:
                if len(grouped) >= k:
                    continue
                grouped[hit.doc_id] = DocumentResult(
                    doc_id=document.id, title=document.title, url=document.url, team=document.team,
                    audience=document.audience, doc_type=doc_type(document),
                    effective_date=document.effective_date, version=document.version,
                )  # fmt: skip
            marked, matched = self._highlighter.mark(hit.passage, terms, document.language)
            grouped[hit.doc_id].passages.append(
                Passage(
                    section=hit.section,
                    html=marked,
                    score=hit.score,
                    bm25_score=hit.bm25_score,
                    dense_score=hit.dense_score,
                    matched_terms=matched,
                    why=explain(hit, matched),
                )  # fmt: skip
            )
        record_shown(
            self._sessions, user=user, query=query,
            doc_ids=[doc.doc_id for doc in grouped.values() if doc.audience == "internal"],
        )  # fmt: skip
        return list(grouped.values())

    def open_document(self, doc_id: str, *, user: User) -> tuple[Document, str] | None:
        """The document and its body as HTML (headings get anchors), or None if not readable."""
        reader = reader_for(user)
        document = self._search.document(doc_id, reader=reader)
        if document is None and self._statutes is not None:
            document = self._statutes.document(doc_id, reader=reader)
        if document is None:
            return None
        if document.audience == "internal":
            with self._sessions.begin() as session:
                AuditLog.add(
                    session, actor_id=user.id, actor=user.username, action="document.opened",
                    target_type="document", target_id=doc_id,
                )  # fmt: skip
        return document, _with_anchors(self._markdown.render(document.body))


def record_shown(sessions: sessionmaker[Session], *, user: User, doc_ids: list[str], query: str) -> None:
    """One audit entry per internal document shown to `user` for `query`, redacted (the callers pass
    it redacted already; this is the one writer of a query, so it makes sure). The query is kept
    under "query" only: retention removes that key after its period (api/services/retention.py)."""
    if not doc_ids:
        return
    audited = redact(query).text[:500]
    with sessions.begin() as session:
        for doc_id in dict.fromkeys(doc_ids):
            AuditLog.add(
                session, actor_id=user.id, actor=user.username, action="document.shown",
                target_type="document", target_id=doc_id, details={"query": audited},
            )  # fmt: skip


def explain(hit: Hit, matched: list[str]) -> str:
    """The passage's figures as one English sentence, for API clients; the workspace page words the
    figures themselves (bm25_score, dense_score, matched_terms) in its reader's language."""
    parts = []
    if hit.bm25_score > 0:
        words = ", ".join(matched) if matched else "related words"
        parts.append(f"words matched ({words}): BM25 {hit.bm25_score:.2f}")
    parts.append(f"meaning similarity {hit.dense_score:.2f}")
    return "; ".join(parts)


_HEADING = re.compile(r"<h([1-6])>(.*?)</h\1>")


def section_anchor(title: str) -> str:
    return re.sub(r"[^\w]+", "-", html.unescape(title).lower()).strip("-")


def _with_anchors(rendered: str) -> str:
    return _HEADING.sub(
        lambda m: f'<h{m.group(1)} id="{section_anchor(m.group(2))}">{m.group(2)}</h{m.group(1)}>', rendered
    )
