"""The router's signals: keywords, similarity to the team examples, votes of the knowledge index."""

from __future__ import annotations

import numpy as np
import pytest

from knowledge.embedding import HashingEmbedder
from knowledge.search import SearchResult
from knowledge.types import Hit, Reader
from routing.signals import (
    WEAK,
    KeywordHit,
    KeywordMatcher,
    MatchingDocument,
    QueryCache,
    keyword_scores,
    knowledge_votes,
    normalise,
)
from routing.teams import Team


def team(team_id: str, keywords: tuple[str, ...] = (), weak: tuple[str, ...] = ()) -> Team:
    return Team(id=team_id, kind="team", names={"nl": team_id}, keywords=keywords, weak_keywords=weak)


TEAMS = [
    team("burgerzaken", ("paspoort", "rijbewijs", "verhuizing", "ID-kaart", "BRP")),
    team("afval", ("container", "grofvuil", "afval")),
    team("belastingen", ("afvalstoffenheffing", "WOZ"), weak=("aanslag",)),
    team("parkeren", ("parkeervergunning", "kaart")),
    team("wonen", ("kaart",)),
]


class CountingEmbedder(HashingEmbedder):
    def __init__(self) -> None:
        super().__init__()
        self.queries: list[list[str]] = []

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        self.queries.append(list(texts))
        return super().embed_queries(texts)


# ---------------------------------------------------------------- keywords


@pytest.mark.parametrize(
    ("text", "normalised"),
    [
        ("Mijn ID-kaart is   kwijt!!", "mijn id kaart is kwijt"),
        ("Réïntegratie, café", "reintegratie cafe"),
        ("d'r is 's nachts geen licht", "dr is s nachts geen licht"),  # apostrophes dropped, not split
        ("Team’s  kliko", "teams kliko"),
        ("", ""),
    ],
)
def test_normalise(text: str, normalised: str) -> None:
    assert normalise(text) == normalised


def test_the_longest_keyword_wins_and_compounds_and_typos_match() -> None:
    matcher = KeywordMatcher(TEAMS)
    assert {h.team for h in matcher.match("aanslag afvalstoffenheffing")} == {"belastingen"}
    assert [(h.team, h.keyword) for h in matcher.match("paspoortfoto")] == [("burgerzaken", "paspoort")]
    assert [(h.team, h.found) for h in matcher.match("pasport kwijt")] == [("burgerzaken", "pasport")]
    assert matcher.match("hallo daar") == []


def test_compounds_match_at_either_end_and_long_keywords_allow_two_typos() -> None:
    matcher = KeywordMatcher(TEAMS)
    assert [(h.team, h.keyword, h.found) for h in matcher.match("de restafvalcontainer")] == [
        ("afval", "container", "restafvalcontainer")
    ]
    assert [h.keyword for h in matcher.match("parkeervergunnig")] == ["parkeervergunning"]  # one typo
    assert [h.keyword for h in matcher.match("parkervergunnig")] == ["parkeervergunning"]  # two: 9+ letters
    assert [h.keyword for h in matcher.match("grofvul")] == ["grofvuil"]
    assert matcher.match("grovvul") == []  # two typos are too many below 9 letters
    # Keywords under five letters match whole words only: no compounds, no typos.
    assert matcher.match("wozwaarde") == [] and matcher.match("brp") != [] and matcher.match("brb") == []


def test_a_phrase_claims_its_words() -> None:
    matcher = KeywordMatcher(TEAMS)
    # "ID-kaart" is the phrase "id kaart": its "kaart" is not also a keyword of parkeren or wonen.
    assert [(h.team, h.keyword) for h in matcher.match("mijn id-kaart is kwijt")] == [("burgerzaken", "id kaart")]
    # Alone, "kaart" belongs to two teams, and both get the hit.
    assert {(h.team, h.keyword) for h in matcher.match("kaart kwijt")} == {("parkeren", "kaart"), ("wonen", "kaart")}


def test_each_keyword_counts_once_and_weak_keywords_are_marked() -> None:
    matcher = KeywordMatcher(TEAMS)
    hits = matcher.match("container container, grofvuil en een aanslag")
    assert sorted((h.team, h.keyword, h.weight) for h in hits) == [
        ("afval", "container", 1.0),
        ("afval", "grofvuil", 1.0),
        ("belastingen", "aanslag", WEAK),
    ]


def test_keyword_scores_weigh_weak_keywords_and_are_capped() -> None:
    hits = [
        KeywordHit("afval", "container", "container", 1.0),
        KeywordHit("afval", "grofvuil", "grofvuil", 1.0),
        KeywordHit("afval", "afval", "afval", 1.0),
        KeywordHit("belastingen", "aanslag", "aanslag", WEAK),
    ]
    assert keyword_scores(hits, cap=2.0) == {"afval": 2.0, "belastingen": 0.4}
    assert keyword_scores(hits, cap=5.0, weak_weight=0.1) == {"afval": 3.0, "belastingen": 0.1}
    assert keyword_scores([], cap=2.0) == {}


# ---------------------------------------------------------------- embeddings


def test_query_cache_embeds_each_text_once() -> None:
    inner = CountingEmbedder()
    cache = QueryCache(inner)
    assert (cache.name, cache.dim) == (inner.name, inner.dim)
    first = cache.embed_queries(["paspoort", "grofvuil", "paspoort"])
    np.testing.assert_array_equal(first, HashingEmbedder().embed_queries(["paspoort", "grofvuil", "paspoort"]))
    assert inner.queries == [["paspoort", "grofvuil"]]  # duplicates inside one call embedded once
    again = cache.embed_queries(["grofvuil", "container"])
    assert inner.queries[-1] == ["container"]
    np.testing.assert_array_equal(again[0], first[1])
    assert cache.embed_queries([]).shape[0] == 0


def test_query_cache_forgets_the_oldest_and_never_caches_documents() -> None:
    inner = CountingEmbedder()
    cache = QueryCache(inner, size=2)
    cache.embed_queries(["a b c"])
    cache.embed_queries(["d e f"])
    cache.embed_queries(["g h i"])  # "a b c" falls out
    cache.embed_queries(["d e f"])
    assert inner.queries == [["a b c"], ["d e f"], ["g h i"]]
    cache.embed_queries(["a b c"])
    assert inner.queries[-1] == ["a b c"]
    cache.embed_documents(["a b c"])
    assert inner.queries[-1] == ["a b c"] and len(inner.queries) == 4  # documents go straight through


# ---------------------------------------------------------------- knowledge index


class FakeSearch:
    def __init__(self, hits: list[Hit], relevant: bool = True) -> None:
        self.result = SearchResult(hits=hits, relevant=relevant)
        self.calls: list[tuple[str, Reader, int]] = []

    def search(self, query: str, *, reader: Reader, k: int = 5, query_vector: object = None) -> SearchResult:
        self.calls.append((query, reader, k))
        return self.result


def hit(doc_id: str, team: str | None, dense: float = 0.9) -> Hit:
    return Hit(doc_id=doc_id, title=doc_id.title(), section=doc_id, url=f"/documents/{doc_id}", audience="public",
               team=team, score=0.03, passage="...", dense_score=dense)  # fmt: skip


def test_knowledge_votes_share_out_rank_weighted_votes_per_document() -> None:
    search = FakeSearch(
        [hit("ozb", "belastingen", 0.91234), hit("kliko", "afval"), hit("ozb", "belastingen"), hit("faq", None)]
    )
    votes, documents, relevant = knowledge_votes(search, "aanslag", k=7)
    assert search.calls == [("aanslag", Reader.public(), 7)]  # only public documents vote
    # first 1, second 1/2; a second passage of the same document is no second vote
    assert votes == pytest.approx({"belastingen": 2 / 3, "afval": 1 / 3})
    assert relevant is True
    assert documents == [
        MatchingDocument("ozb", "Ozb", "belastingen", "/documents/ozb", 0.9123),
        MatchingDocument("kliko", "Kliko", "afval", "/documents/kliko", 0.9),
        MatchingDocument("faq", "Faq", None, "/documents/faq", 0.9),  # shown, but no team to vote for
    ]


def test_no_votes_without_search_relevance_or_teams() -> None:
    assert knowledge_votes(None, "paspoort") == ({}, [], False)
    assert knowledge_votes(FakeSearch([hit("ozb", "belastingen")], relevant=False), "x") == ({}, [], False)
    votes, documents, relevant = knowledge_votes(FakeSearch([hit("faq", None)]), "x")
    assert votes == {} and [d.doc_id for d in documents] == ["faq"] and relevant is True
