from __future__ import annotations

import math
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from knowledge.sparse import Analyzer, BM25Index

CORPUS = [
    ("nl", "Wij zijn vorige maand verhuisd naar een nieuw adres."),
    ("nl", "Geef uw verhuizing binnen vijf dagen door. Verhuizen kan online."),
    ("nl", "Een paspoort kost € 86,55 en is 10 jaar geldig."),
    ("nl", "Grofvuil zoals een bank of matras wordt op afspraak opgehaald."),
    ("en", "A passport costs 86.55 euro and is valid for 10 years."),
    ("en", "Bulky waste such as a sofa is collected by appointment."),
]


@pytest.fixture(scope="module")
def index(analyzer: Analyzer) -> BM25Index:
    return BM25Index.build(analyzer.analyze_many([t for _, t in CORPUS], [lang for lang, _ in CORPUS]))


def test_analysis_lowercases_lemmatises_and_drops_stop_words(analyzer: Analyzer) -> None:
    assert analyzer.analyze("Wij zijn Verhuisd naar Utrecht", "nl") == ["verhuizen", "utrecht"]
    assert analyzer.analyze("The children moved", "en") == ["child", "move"]
    # Digits stay: amounts, years and house numbers are what people search for.
    assert analyzer.analyze("Kosten 2026: € 86,55", "nl") == ["kosten", "2026", "86,55"]


def test_query_is_analysed_in_both_languages(analyzer: Analyzer) -> None:
    groups = analyzer.analyze_query_groups("How much does the paspoort cost, verhuisd?")
    terms = [t for g in groups for t in g]
    assert "paspoort" in terms and "cost" in terms and "verhuizen" in terms
    # Stop words of either language are gone, even though the other language keeps them.
    assert not {"how", "much", "does", "the"} & set(terms)
    assert analyzer.analyze_query("Wat kost een paspoort?") == ["kost", "paspoort"]


def test_each_query_word_keeps_where_it_stands(analyzer: Analyzer) -> None:
    text = "Wat kost een paspoort, verhuisd?"
    words = analyzer.analyze_query_words(text)
    assert [(text[offset:].split()[0].strip(",?"), group[0]) for offset, group in words] == [
        ("kost", "kost"),
        ("paspoort", "paspoort"),
        ("verhuisd", "verhuizen"),
    ]
    assert [group for _, group in words] == analyzer.analyze_query_groups(text)


def test_docs_with_any_variant_of_a_word(analyzer: Analyzer, index: BM25Index) -> None:
    assert index.docs_with(("verhuizen",)).tolist() == [0, 1]
    assert index.docs_with(("paspoort", "passport")).tolist() == [2, 4]
    assert index.docs_with(("zeppelin",)).tolist() == []


def test_dutch_lemma_matches_inflected_form(analyzer: Analyzer, index: BM25Index) -> None:
    hits = index.search(analyzer.analyze_query_groups("verhuizen"))
    # "verhuisd" (doc 0) and "verhuizen" (doc 1) share the lemma.
    assert set(hits.ids.tolist()) == {0, 1}


def test_english_query_hits_identical_dutch_word(analyzer: Analyzer, index: BM25Index) -> None:
    hits = index.search(analyzer.analyze_query_groups("matras"))
    assert hits.ids.tolist() == [3]


def test_only_documents_containing_query_terms_are_scored(analyzer: Analyzer, index: BM25Index) -> None:
    hits = index.search(analyzer.analyze_query_groups("paspoort"))
    assert hits.ids.tolist() == [2]  # not a ranked list of every document with score 0
    assert len(index.search(["zeppelin"])) == 0


def _reference_bm25(docs: list[list[str]], query: list[str], k1: float = 1.2, b: float = 0.75) -> dict[int, float]:
    n = len(docs)
    avgdl = sum(map(len, docs)) / n
    scores: dict[int, float] = {}
    for term in set(query):
        df = sum(term in d for d in docs)
        if not df:
            continue
        idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
        for i, d in enumerate(docs):
            tf = Counter(d)[term]
            if tf:
                scores[i] = scores.get(i, 0.0) + idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * len(d) / avgdl))
    return scores


def test_scores_match_a_brute_force_bm25() -> None:
    rng = np.random.default_rng(7)
    vocab = [f"w{i}" for i in range(40)]
    docs = [list(rng.choice(vocab, size=rng.integers(3, 30))) for _ in range(200)]
    index = BM25Index.build(docs)
    query = ["w1", "w5", "w33", "onbekend"]
    hits = index.search(query, top_n=500)
    expected = _reference_bm25(docs, query)
    assert set(hits.ids.tolist()) == set(expected)
    for doc, score in zip(hits.ids.tolist(), hits.scores.tolist(), strict=True):
        assert score == pytest.approx(expected[doc], rel=1e-5)
    assert list(hits.scores) == sorted(hits.scores, reverse=True)
    top = index.search(query, top_n=5)
    assert top.ids.tolist() == hits.ids.tolist()[:5]


def test_allowed_mask_scores_as_if_the_rest_did_not_exist() -> None:
    rng = np.random.default_rng(3)
    vocab = [f"w{i}" for i in range(30)]
    docs = [list(rng.choice(vocab, size=rng.integers(3, 20))) for _ in range(120)]
    allowed = rng.random(120) < 0.3
    full = BM25Index.build(docs)
    subset_ids = np.flatnonzero(allowed)
    subset = BM25Index.build([docs[i] for i in subset_ids])
    query = ["w2", "w7", "w11"]
    masked = full.search(query, top_n=200, allowed=allowed)
    alone = subset.search(query, top_n=200)
    assert all(allowed[masked.ids])
    assert masked.ids.tolist() == subset_ids[alone.ids].tolist()
    np.testing.assert_allclose(masked.scores, alone.scores, rtol=1e-6)
    np.testing.assert_allclose(masked.coverage, alone.coverage, rtol=1e-6)


def test_coverage_counts_each_query_word_once() -> None:
    index = BM25Index.build([["paspoort", "kosten"], ["paspoort"], ["afval"]])
    hits = index.search([("paspoort",), ("kosten", "kost")])
    coverage = dict(zip(hits.ids.tolist(), hits.coverage.tolist(), strict=True))
    assert coverage[0] == pytest.approx(1.0)  # both words, "kost" variant not needed
    assert 0.0 < coverage[1] < 1.0
    unseen = index.search([("paspoort",), ("frankrijk",)])
    assert unseen.coverage[0] < 0.5  # a word the corpus never saw weighs the most


def test_save_and_load_round_trip(tmp_path: Path, analyzer: Analyzer, index: BM25Index) -> None:
    index.save(tmp_path)
    loaded = BM25Index.load(tmp_path)
    query = analyzer.analyze_query_groups("paspoort 10 jaar verhuizen")
    a, b = index.search(query), loaded.search(query)
    assert a.ids.tolist() == b.ids.tolist()
    np.testing.assert_allclose(a.scores, b.scores)
    assert not list(tmp_path.glob("*.pkl"))


def test_empty_index() -> None:
    index = BM25Index.build([])
    assert index.size == 0 and len(index.search(["iets"])) == 0


def test_the_glossary_adds_dutch_words_to_english_query_words_only() -> None:
    from knowledge.glossary import Glossary

    plain = Analyzer()
    translated = Analyzer(glossary=Glossary({"wedding": ("trouwen", "huwelijk"), "bins": ("container",)}))
    assert "trouwen" not in plain.analyze_query("wedding costs")
    groups = translated.analyze_query_groups("wedding costs for two bins")
    wedding = next(g for g in groups if "wedding" in g)
    assert {"trouwen", "huwelijk"} <= set(wedding)
    assert any("container" in g for g in groups)
    # A Dutch question gets nothing extra: its words are no glossary keys.
    assert translated.analyze_query_groups("wat kost trouwen") == plain.analyze_query_groups("wat kost trouwen")


def test_synonyms_add_words_to_dutch_query_words() -> None:
    from knowledge.glossary import Glossary

    plain = Analyzer()
    synonyms = Glossary({"bijstandsnorm": ("norm", "algemene bijstand"), "paspoort": ("reisdocument",)})
    expanded = Analyzer(synonyms=synonyms)
    groups = expanded.analyze_query_groups("hoe hoog is de bijstandsnorm")
    norm = next(g for g in groups if "bijstandsnorm" in g)
    assert {"norm", "bijstand"} <= set(norm) and set(expanded.analyze("algemene", "nl")) <= set(norm)
    assert "norm" not in plain.analyze_query("hoe hoog is de bijstandsnorm")
    # Words that are no key get nothing extra; glossary and synonyms are separate lists.
    assert expanded.analyze_query_groups("wat kost trouwen") == plain.analyze_query_groups("wat kost trouwen")
    both = Analyzer(glossary=Glossary({"passport": ("paspoort",)}), synonyms=Glossary({"paspoort": ("reisdocument",)}))
    assert "reisdocument" in both.analyze_query("paspoort") and "paspoort" in both.analyze_query("passport")


def test_union_coverage_of_one_doc_is_that_docs_coverage_and_a_page_holds_its_sections_words() -> None:
    docs = [["paspoort", "kosten", "euro"], ["paspoort", "aanvragen", "balie"], ["grofvuil", "ophalen"]]
    index = BM25Index.build(docs)
    query = [("paspoort",), ("kosten", "kost"), ("balie",)]
    hits = index.search(query, top_n=3)
    alone = dict(zip(hits.ids.tolist(), hits.coverage.tolist(), strict=True))
    one, two, both, other = (np.zeros(3, dtype=bool) for _ in range(4))
    one[0] = two[1] = True
    both[[0, 1]] = True
    other[2] = True
    shares = index.union_coverage(query, [one, two, both, other])
    assert shares[0] == pytest.approx(alone[0], rel=1e-5)
    assert shares[1] == pytest.approx(alone[1], rel=1e-5)
    assert shares[2] == pytest.approx(1.0)  # every word is on the page, in one section or another
    assert shares[3] == 0.0
    unseen = index.union_coverage([("paspoort",), ("rijbewijs",)], [both])
    assert unseen[0] < 0.5  # the word that names what is asked about is nowhere in the corpus
