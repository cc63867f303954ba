"""The router's signals: keywords, similarity to the team examples, the knowledge index."""

from __future__ import annotations

import re
import threading
import unicodedata
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

if TYPE_CHECKING:
    from knowledge.query_vectors import QueryVector
    from knowledge.types import Embedder, Searcher
    from routing.teams import Team


# ---------------------------------------------------------------- keywords


def normalise(text: str) -> str:
    """Lower case, accents and punctuation removed (apostrophes dropped), whitespace collapsed."""
    text = unicodedata.normalize("NFKD", text.lower())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.replace("'", "").replace("\u2019", "")
    text = re.sub(r"[^\w]+", " ", text)
    return " ".join(text.split())


WEAK = 0.5  # marks a weak keyword in KeywordHit.weight; its score weight is a routing parameter


@dataclass(frozen=True)
class KeywordHit:
    team: str
    keyword: str
    found: str  # the citizen's word(s)
    weight: float


class KeywordMatcher:
    """Words that point to a team. A keyword of 5+ letters also matches at the start or end of
    a Dutch compound ("paspoort" in "paspoortfoto") and with one typo (two in long words).
    When one word of the message matches keywords of several teams, the longest keyword wins
    ("afvalstoffenheffing" is a tax, not "afval")."""

    def __init__(self, teams: Iterable[Team]) -> None:
        self.words: dict[str, list[tuple[str, float]]] = {}
        self.phrases: dict[str, list[tuple[str, float]]] = {}
        for team in teams:
            for keywords, weight in ((team.keywords, 1.0), (team.weak_keywords, WEAK)):
                for raw in keywords:
                    keyword = normalise(raw)
                    if not keyword:
                        continue
                    target = self.phrases if " " in keyword else self.words
                    target.setdefault(keyword, []).append((team.id, weight))
        self._order = {keyword: i for i, keyword in enumerate(self.words)}
        self._long_keywords = [keyword for keyword in self.words if len(keyword) >= 5]
        self._long = set(self._long_keywords)

    def _word_matches(self, token: str) -> list[tuple[str, str, float]]:
        found: list[tuple[str, str, float]] = []
        if token in self.words:
            found += [(kw, team, w) for kw in (token,) for team, w in self.words[kw]]
        if len(token) < 5:
            return found
        # Compounds: a keyword of 5+ letters that starts or ends a longer word.
        matched = {part for i in range(5, len(token)) for part in (token[:i], token[-i:]) if part in self._long}
        # Typos: one edit, two for keywords of 9+ letters (one C call over all keywords).
        for keyword, distance, _ in process.extract(
            token, self._long_keywords, scorer=Levenshtein.distance, score_cutoff=2, limit=None
        ):
            if keyword != token and distance <= (2 if len(keyword) >= 9 else 1):
                matched.add(keyword)
        for keyword in sorted(matched, key=self._order.__getitem__):  # the keywords' own order
            found += [(keyword, team, w) for team, w in self.words[keyword]]
        return found

    def match(self, text: str) -> list[KeywordHit]:
        norm = normalise(text)
        padded = f" {norm} "
        hits: dict[tuple[str, str], KeywordHit] = {}
        covered: set[int] = set()
        tokens = norm.split()
        for phrase, owners in self.phrases.items():
            if f" {phrase} " in padded:
                for team, weight in owners:
                    hits.setdefault((team, phrase), KeywordHit(team, phrase, phrase, weight))
                # the phrase's words are spoken for (e.g. "id kaart" is not also "kaart")
                n = len(phrase.split())
                for i in range(len(tokens) - n + 1):
                    if " ".join(tokens[i : i + n]) == phrase:
                        covered.update(range(i, i + n))
        for position, token in enumerate(tokens):
            if position in covered:
                continue
            matches = self._word_matches(token)
            if not matches:
                continue
            longest = max(len(kw) for kw, _, _ in matches)
            for keyword, team, weight in matches:
                if len(keyword) == longest:
                    hits.setdefault((team, keyword), KeywordHit(team, keyword, token, weight))
        return list(hits.values())


def keyword_scores(hits: Sequence[KeywordHit], cap: float, *, weak_weight: float = 0.4) -> dict[str, float]:
    """Per team: strong keywords count 1, weak ones weak_weight; capped."""
    scores: dict[str, float] = {}
    for hit in hits:
        scores[hit.team] = scores.get(hit.team, 0.0) + (1.0 if hit.weight >= 1.0 else weak_weight)
    return {team: min(score, cap) for team, score in scores.items()}


# ---------------------------------------------------------------- embeddings


class QueryCache:
    """Wraps an Embedder and remembers the last query vectors (the router and the knowledge
    search embed the same message; this embeds it once)."""

    def __init__(self, inner: Embedder, size: int = 512) -> None:
        self.inner = inner
        self._size = size
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        return self.inner.name

    @property
    def dim(self) -> int:
        return self.inner.dim

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        return self.inner.embed_documents(texts)

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            missing = [t for t in dict.fromkeys(texts) if t not in self._cache]
        if missing:
            vectors = self.inner.embed_queries(missing)
            with self._lock:
                for text, vector in zip(missing, vectors, strict=True):
                    self._cache[text] = vector
                    while len(self._cache) > self._size:
                        self._cache.popitem(last=False)
        with self._lock:
            rows = [self._cache.get(t) for t in texts]
        if any(row is None for row in rows):  # evicted meanwhile: embed directly
            return self.inner.embed_queries(texts)
        return np.stack([row for row in rows if row is not None]) if rows else self.inner.embed_queries([])


# ---------------------------------------------------------------- knowledge index


@dataclass(frozen=True)
class MatchingDocument:
    doc_id: str
    title: str
    team: str | None
    url: str | None
    score: float


def knowledge_votes(
    search: Searcher | None, text: str, k: int = 5, *, query_vector: QueryVector | None = None
) -> tuple[dict[str, float], list[MatchingDocument], bool]:
    """Share of the relevant public documents (rank-weighted) owned by each team."""
    if search is None:
        return {}, [], False
    from knowledge.types import Reader

    result = search.search(text, reader=Reader.public(), k=k, query_vector=query_vector)
    if not result.relevant:
        return {}, [], False
    documents: list[MatchingDocument] = []
    votes: dict[str, float] = {}
    seen: set[str] = set()
    for rank, hit in enumerate(result.hits):
        if hit.doc_id in seen:
            continue
        seen.add(hit.doc_id)
        documents.append(MatchingDocument(hit.doc_id, hit.title, hit.team, hit.url, round(float(hit.dense_score), 4)))
        if hit.team:
            votes[hit.team] = votes.get(hit.team, 0.0) + 1.0 / (rank + 1)
    total = sum(votes.values())
    return ({team: v / total for team, v in votes.items()} if total else {}), documents, True
