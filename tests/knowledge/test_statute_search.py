"""The statute search: article references, law names and legal synonyms on top of the hybrid search."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from knowledge.answerability import LinearModel
from knowledge.embedding import HashingEmbedder
from knowledge.glossary import Glossary
from knowledge.index import build_index, load_index
from knowledge.sparse import Analyzer
from knowledge.statute_search import (
    ARTICLE_FEATURES,
    LAW_ALIASES,
    Reference,
    StatuteSearch,
    article_references,
    cross_validated_ranks,
    fit_ranker,
    load_ranker,
    mentioned_laws,
    rank_of_right,
    write_ranker,
)
from knowledge.statutes import read_statute
from knowledge.types import Reader

ROOT = Path(__file__).resolve().parents[2]
LEGAL_SYNONYMS = ROOT / "data" / "search" / "legal_synonyms.yml"
REGELRECHT = ROOT.parent / "shared" / "data" / "regelrecht"


def statute(slug: str, articles: dict[str, str]) -> str:
    url = f"https://wetten.overheid.nl/BWBR{abs(hash(slug)) % 10**7:07d}/2026-01-01"
    return yaml.safe_dump(
        {
            "$id": slug,
            "bwb_id": "BWBR0000001",
            "valid_from": "2026-01-01",
            "url": url,
            "articles": [{"number": n, "text": t, "url": f"{url}#Artikel{n}"} for n, t in articles.items()],
        },
        allow_unicode=True,
    )


PARTICIPATIEWET = {
    "9": "1 De belanghebbende is verplicht naar vermogen algemeen geaccepteerde arbeid te verkrijgen en te aanvaarden."
    "\n\n2 Het college kan tijdelijk ontheffing verlenen van de verplichtingen.",
    "21": "Voor belanghebbenden van 21 jaar of ouder is de norm per kalendermaand voor een alleenstaande € 1.419,46.",
    # Lids of 70+ words: a passage (at most 120 words of whole paragraphs) per lid.
    "35": "1 Onverminderd het elders bepaalde heeft de alleenstaande recht op bijzondere bijstand voor zover hij niet "
    "beschikt over de middelen om te voorzien in de noodzakelijke kosten van het bestaan. "
    + "Eerste. " * 60
    + "\n\n2 Het college kan bijzondere bijstand verlenen in de vorm van een geldlening. "
    + "Tweede. " * 60
    + "\n\n3 De bijzondere bijstand wordt vastgesteld met inachtneming van de draagkracht. "
    + "Derde. " * 60,
}
GEMEENTEWET = {
    "176": "1 Wanneer een omstandigheid zich voordoet, kan de burgemeester algemeen verbindende voorschriften geven "
    "die ter handhaving van de openbare orde nodig zijn.",
    "21": "De raad vergadert zo vaak als hij daartoe heeft besloten, en verder als de burgemeester het nodig oordeelt.",
    "230": "Het college kan besluiten tot kwijtschelding van de norm voor belastingen van een alleenstaande.",
}


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("statutes")
    docs = []
    for slug, articles in (("participatiewet", PARTICIPATIEWET), ("gemeentewet", GEMEENTEWET)):
        path = folder / f"{slug}.yaml"
        path.write_text(statute(slug, articles), encoding="utf-8")
        docs.extend(read_statute(path))
    build_index(docs, embedder=HashingEmbedder(), index_dir=folder / "index")
    return folder / "index"


@pytest.fixture(scope="module")
def search(index_dir: Path) -> StatuteSearch:
    return StatuteSearch.open(index_dir, synonyms=LEGAL_SYNONYMS)


def docs_of(result_hits: list) -> list[str]:  # type: ignore[type-arg]
    return list(dict.fromkeys(hit.doc_id for hit in result_hits))


# --- what a query names ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "query, expected",
    [
        ("art. 21 lid 2 Pw", [Reference("21", "2", "participatiewet")]),
        ("Artikel 2.3.5, derde lid, Wmo 2015", [Reference("2.3.5", "3", "wet_maatschappelijke_ondersteuning_2015")]),
        ("wat zegt artikel 22a van de Participatiewet?", [Reference("22a", None, "participatiewet")]),
        ("artikel 9", [Reference("9", None, None)]),
        ("art.176 gemw", [Reference("176", None, "gemeentewet")]),
        (
            "verschil tussen artikel 21 Pw en artikel 176 Gemeentewet",
            [Reference("21", None, "participatiewet"), Reference("176", None, "gemeentewet")],
        ),
        ("hoe hoog is de bijstandsnorm", []),
    ],
)
def test_article_references_are_read_with_their_lid_and_law(query: str, expected: list[Reference]) -> None:
    assert article_references(query) == expected


@pytest.mark.parametrize(
    "query, laws",
    [
        ("Binnen hoeveel weken beslist het bestuursorgaan op een Woo-verzoek?", ["wet_open_overheid"]),
        ("eigen bijdrage in de Wmo 2015", ["wet_maatschappelijke_ondersteuning_2015"]),
        ("inzage in de BRP volgens de Gemeentewet", ["wet_basisregistratie_personen", "gemeentewet"]),
        ("pwa pwned wmoo wetboek", []),  # aliases are whole words only
    ],
)
def test_laws_are_recognised_by_name_and_abbreviation(query: str, laws: list[str]) -> None:
    assert mentioned_laws(query) == laws


def test_every_law_with_a_display_name_has_aliases() -> None:
    from knowledge.statutes import LAW_NAMES

    assert set(LAW_NAMES) == set(LAW_ALIASES)
    for slug, aliases in LAW_ALIASES.items():
        assert LAW_NAMES[slug].lower().removesuffix(" 2015") in aliases or LAW_NAMES[slug].lower() in aliases


# --- ranking --------------------------------------------------------------------------------


def test_a_referenced_article_comes_first_whatever_its_words(search: StatuteSearch) -> None:
    # Nothing in the query's words is in article 35; the reference alone must find it.
    result = search.search("artikel 35 Participatiewet", reader=Reader.public(), k=5)
    assert result.relevant and result.hits[0].doc_id == "participatiewet.art-35"


def test_a_reference_without_a_law_finds_that_article_in_every_law(search: StatuteSearch) -> None:
    result = search.search("artikel 21", reader=Reader.public(), k=10)
    assert set(docs_of(result.hits)[:2]) == {"participatiewet.art-21", "gemeentewet.art-21"}


def test_a_reference_without_a_law_puts_the_article_the_rest_of_the_question_fits_first(
    search: StatuteSearch,
) -> None:
    # Both laws have an article 21; the index holds the Participatiewet first (law order).
    about_the_council = search.search("artikel 21: hoe vaak vergadert de raad?", reader=Reader.public(), k=5)
    assert docs_of(about_the_council.hits)[:2] == ["gemeentewet.art-21", "participatiewet.art-21"]
    about_the_norm = search.search("artikel 21: de norm per kalendermaand", reader=Reader.public(), k=5)
    assert docs_of(about_the_norm.hits)[:2] == ["participatiewet.art-21", "gemeentewet.art-21"]


def test_the_named_lid_is_the_passage_shown_first(search: StatuteSearch) -> None:
    assert len([c for c in search.index.chunks if c.doc_id == "participatiewet.art-35"]) == 3
    hits = search.search("art. 35 lid 3 Pw", reader=Reader.public(), k=5).hits
    assert hits[0].doc_id == "participatiewet.art-35" and "draagkracht" in hits[0].passage
    hits = search.search("artikel 35, tweede lid, Participatiewet", reader=Reader.public(), k=5).hits
    assert "geldlening" in hits[0].passage


def test_a_named_law_gets_a_bonus_over_the_same_words_in_another_law(index_dir: Path) -> None:
    plain = StatuteSearch.open(index_dir, law_bonus=0.0)
    boosted = StatuteSearch.open(index_dir)
    query = "norm alleenstaande gemeentewet"
    assert docs_of(boosted.candidates(query, reader=Reader.public()))[0] == "gemeentewet.art-230"
    ranks = docs_of(plain.candidates(query, reader=Reader.public()))
    boosted_ranks = docs_of(boosted.candidates(query, reader=Reader.public()))
    assert boosted_ranks.index("gemeentewet.art-230") <= ranks.index("gemeentewet.art-230")
    assert boosted_ranks.index("participatiewet.art-21") >= ranks.index("participatiewet.art-21")


def test_legal_synonyms_let_a_persons_words_match_the_statutes_words(index_dir: Path) -> None:
    without = StatuteSearch.open(index_dir)
    with_synonyms = StatuteSearch.open(index_dir, synonyms=LEGAL_SYNONYMS)
    query = "noodverordening"  # the statute says "algemeen verbindende voorschriften"
    assert all(hit.bm25_score == 0 for hit in without.candidates(query, reader=Reader.public()))
    hits = with_synonyms.candidates(query, reader=Reader.public())
    assert hits[0].doc_id == "gemeentewet.art-176" and hits[0].bm25_score > 0
    assert "algemeen verbindende voorschriften" in with_synonyms.expanded_query(query)
    assert without.expanded_query(query) == query


def test_synonyms_do_not_expand_when_dense_expansion_is_off(index_dir: Path) -> None:
    search = StatuteSearch.open(index_dir, synonyms=LEGAL_SYNONYMS, expand_dense=False)
    assert search.expanded_query("bijstandsnorm") == "bijstandsnorm"
    # BM25 still gets them.
    assert "norm" in search.analyzer.analyze_query("bijstandsnorm")


def test_the_reader_filter_applies_to_referenced_articles(index_dir: Path, tmp_path: Path) -> None:
    from knowledge.types import Document

    internal = Document(id="participatiewet.art-99", title="Participatiewet, artikel 99", audience="internal",
                        allowed_teams=("werk_inkomen",), body="Interne werkinstructie.")  # fmt: skip
    build_index([internal], embedder=HashingEmbedder(), index_dir=tmp_path / "index")
    search = StatuteSearch.open(tmp_path / "index")
    assert search.search("artikel 99 Pw", reader=Reader.public()).hits == []
    staff = Reader(roles=frozenset({"staff"}), teams=frozenset({"werk_inkomen"}))
    assert search.search("artikel 99 Pw", reader=staff).hits[0].doc_id == "participatiewet.art-99"


def test_open_shares_an_embedder_of_the_same_model(index_dir: Path) -> None:
    shared = HashingEmbedder()
    assert StatuteSearch.open(index_dir, share=shared).embedder is shared
    analyzer = Analyzer(synonyms=Glossary({"x": ("y",)}))
    assert StatuteSearch.open(load_index(index_dir), analyzer=analyzer).analyzer is analyzer


# --- the article ranker ----------------------------------------------------------------------


def only(feature: str, weight: float = 1.0) -> LinearModel:
    return LinearModel(features=ARTICLE_FEATURES, weights={feature: weight})


def test_article_features_describe_each_candidate_article_once(search: StatuteSearch) -> None:
    query = "bijzondere bijstand geldlening"
    hits = search.fused(query, reader=Reader.public())
    features = search.article_features(hits, search.embedder.embed_queries([search.expanded_query(query)])[0])
    assert list(features) == list(dict.fromkeys(hit.doc_id for hit in hits))  # fused order, one row each
    first = features["participatiewet.art-35"]
    assert set(first) == set(ARTICLE_FEATURES)
    assert first["rrf"] == 1.0 / (list(features).index("participatiewet.art-35") + 1)
    passages = [hit for hit in hits if hit.doc_id == "participatiewet.art-35"]
    assert len(passages) > 1  # a long article: its best passage's scores count
    assert first["dense"] == max(hit.dense_score for hit in passages)
    assert first["coverage"] == max(hit.coverage for hit in passages)
    assert -1.0 <= first["first_dense"] <= 1.0 and -1.0 <= first["article_dense"] <= 1.0


def test_the_ranker_orders_the_articles_and_keeps_their_passages_together(index_dir: Path) -> None:
    query = "norm alleenstaande"
    fused = StatuteSearch.open(index_dir).candidates(query, reader=Reader.public())
    last = docs_of(fused)[-1]
    # A ranker that prefers the article the fusion put last (by its rank feature, reversed).
    ranked = StatuteSearch.open(index_dir, ranker=only("rrf", -1.0)).candidates(query, reader=Reader.public())
    assert docs_of(ranked) == list(reversed(docs_of(fused)))
    assert docs_of(ranked)[0] == last
    assert sorted(hit.chunk_id for hit in ranked) == sorted(hit.chunk_id for hit in fused)
    # Scores fall along the new order (callers sort by them), on the fusion's scale.
    assert [hit.score for hit in ranked] == sorted((hit.score for hit in fused), reverse=True)
    for doc_id in docs_of(ranked):  # an article's passages stay in their fused order
        assert [h.chunk_id for h in ranked if h.doc_id == doc_id] == [h.chunk_id for h in fused if h.doc_id == doc_id]


def test_a_referenced_article_still_comes_before_the_rankers_order(index_dir: Path) -> None:
    search = StatuteSearch.open(index_dir, ranker=only("rrf", -1.0))
    assert docs_of(search.search("artikel 21 Gemeentewet raad", reader=Reader.public()).hits)[0] == "gemeentewet.art-21"


def test_ranking_groups_label_the_expected_articles_by_id_or_url(search: StatuteSearch) -> None:
    rows, labels = search.ranking_group("bijzondere bijstand", {"participatiewet.art-35"}, reader=Reader.public())
    assert len(rows) == len(labels) and sum(labels) == 1
    url = next(h.url for h in search.fused("bijzondere bijstand", reader=Reader.public()) if h.doc_id.endswith("35"))
    assert url is not None
    assert search.ranking_group("bijzondere bijstand", {url}, reader=Reader.public())[1] == labels


def _group(right: int, n: int = 6) -> tuple[list[dict[str, float]], list[bool]]:
    """n candidates whose "dense" rises with their position; the one at `right` is the answer and
    has the best first_dense."""
    rows = [{"rrf": 1.0 / (i + 1), "dense": 0.1 * i, "first_dense": 1.0 if i == right else 0.0} for i in range(n)]
    return rows, [i == right for i in range(n)]


def test_rank_of_right_counts_from_one_within_the_depth() -> None:
    group = _group(right=3)
    assert rank_of_right(None, group) == 4  # the fused order
    assert rank_of_right(only("first_dense"), group) == 1
    assert rank_of_right(only("dense"), group) == 3  # dense puts 5 and 4 first
    assert rank_of_right(None, group, depth=3) is None


def test_fit_ranker_learns_the_feature_that_separates_right_from_wrong() -> None:
    groups = [_group(right=i % 6) for i in range(20)]
    model = fit_ranker(groups)
    assert model.weights["first_dense"] > abs(model.weights["dense"])
    assert all(rank_of_right(model, g) == 1 for g in groups)
    ranks = cross_validated_ranks(groups, folds=5)
    assert len(ranks) == len(groups) and all(r == 1 for r in ranks)
    with pytest.raises(ValueError):
        fit_ranker([([{"dense": 1.0}], [True])])  # no wrong candidate to compare with


def test_a_written_ranker_loads_per_embedder(tmp_path: Path) -> None:
    path = tmp_path / "statute_ranker.yml"
    assert load_ranker(path, "hashing") is None
    write_ranker(path, "hashing", only("dense", 2.0), note="fitted in a test")
    write_ranker(path, "other", only("bm25", 1.0))
    hashing, other = load_ranker(path, "hashing"), load_ranker(path, "other")
    assert hashing is not None and hashing.weights == {"dense": 2.0} and hashing.features == ARTICLE_FEATURES
    assert other is not None and other.weights == {"bm25": 1.0}
    assert load_ranker(path, "missing") is None
    assert path.read_text(encoding="utf-8").startswith("# Article ranker")
    opened = StatuteSearch.open(_hashing_index(tmp_path), ranker=path)
    assert opened.ranker is not None and opened.ranker.weights == {"dense": 2.0}


def _hashing_index(tmp_path: Path) -> Path:
    from knowledge.types import Document

    doc = Document(id="gemeentewet.art-1", title="Gemeentewet, artikel 1", body="De raad vergadert.")
    build_index([doc], embedder=HashingEmbedder(), index_dir=tmp_path / "index")
    return tmp_path / "index"


def test_the_fitted_ranker_file_is_for_the_default_model() -> None:
    from knowledge.embedding import DEFAULT_EMBEDDER

    model = load_ranker(ROOT / "data" / "search" / "statute_ranker.yml", DEFAULT_EMBEDDER)
    assert model is not None and set(model.weights) <= set(ARTICLE_FEATURES)


# --- the synonyms file ----------------------------------------------------------------------


def test_the_legal_synonyms_file_loads_and_its_words_are_the_statutes_words() -> None:
    synonyms = Glossary.load(LEGAL_SYNONYMS, key="synonyms")
    assert synonyms.translations("bijstandsnorm")
    if not REGELRECHT.is_dir():
        pytest.skip("../shared/data/regelrecht is not checked out")
    text = " ".join(
        " ".join(str(a.get("text") or "") for a in (yaml.safe_load(p.read_text(encoding="utf-8"))["articles"]))
        for p in sorted(REGELRECHT.glob("*.yaml"))
    )
    words = " ".join(re.sub(r"[^\w€-]+", " ", text.lower()).split())
    missing = sorted({w for ws in synonyms.entries.values() for w in ws if w not in words})
    assert not missing, f"legal synonyms that no statute uses: {missing}"


# --- example questions per article ---------------------------------------------------------


def write_examples(folder: Path, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "gemeentewet-1.yml").write_text(text, encoding="utf-8")
    return folder


def test_article_examples_are_read_per_law_and_article_number(tmp_path: Path) -> None:
    from knowledge.examples import article_examples

    folder = write_examples(tmp_path, 'law: gemeentewet\narticles:\n  "176":\n    - " noodverordening wie "\n'
                                      '  "21":\n    - "hoe vaak vergadert de raad"\n')  # fmt: skip
    assert article_examples(folder) == [
        ("gemeentewet.art-176", "noodverordening wie"),
        ("gemeentewet.art-21", "hoe vaak vergadert de raad"),
    ]
    assert article_examples(tmp_path / "missing") == []


def test_a_malformed_statute_example_file_is_refused_with_its_name(tmp_path: Path) -> None:
    from knowledge.examples import ExampleQuestionsError, article_examples

    folder = write_examples(tmp_path, "articles:\n  '21': ['x']\n")
    with pytest.raises(ExampleQuestionsError, match="gemeentewet-1.yml"):
        article_examples(folder)


def test_an_articles_example_question_is_a_feature_of_that_article(index_dir: Path, tmp_path: Path) -> None:
    """The example's words, not the article's: "rellen" and "stadion" are in no article."""
    folder = write_examples(tmp_path / "examples", 'law: gemeentewet\narticles:\n  "176":\n'
                            '    - "mag de burgemeester na rellen bij het stadion zelf regels maken"\n'
                            '  "999":\n    - "an article the index does not hold"\n')  # fmt: skip
    search = StatuteSearch.open(index_dir, examples=folder)
    assert search.examples is not None and search.examples.texts == [
        "mag de burgemeester na rellen bij het stadion zelf regels maken"
    ]  # the unknown article's example is left out
    query = "rellen bij het stadion regels burgemeester"
    qvec = search.embedder.embed_queries([search.expanded_query(query)])[0]
    features = search.article_features(search.fused(query, reader=Reader.public()), qvec)
    assert set(features["gemeentewet.art-176"]) == set(ARTICLE_FEATURES)
    others = [row["example_dense"] for doc_id, row in features.items() if doc_id != "gemeentewet.art-176"]
    # Articles without examples all get the least similar example's similarity (here: the only one).
    assert others and all(value == features["gemeentewet.art-176"]["example_dense"] for value in others)
    without = StatuteSearch.open(index_dir).article_features(search.fused(query, reader=Reader.public()), qvec)
    assert all(row["example_dense"] == 0.0 for row in without.values())


def test_the_articles_of_the_closest_examples_join_the_candidates_the_fusion_missed(
    index_dir: Path, tmp_path: Path
) -> None:
    """A situation that shares no word with its article ("gemeenteraad bijeen" against "De raad
    vergadert") still gets it as a candidate when a question asked of that article comes closest."""
    question = "hoe dikwijls komt de gemeenteraad eigenlijk bijeen"
    folder = write_examples(tmp_path / "examples", f'law: gemeentewet\narticles:\n  "21":\n    - "{question}"\n')
    plain = StatuteSearch.open(index_dir, candidates=1)
    assert "gemeentewet.art-21" not in docs_of(plain.fused(question, reader=Reader.public()))
    search = StatuteSearch.open(index_dir, examples=folder, candidates=1)
    fused = search.fused(question, reader=Reader.public())
    assert "gemeentewet.art-21" in docs_of(fused)
    added = next(hit for hit in fused if hit.doc_id == "gemeentewet.art-21")
    assert added.passage.startswith("De raad vergadert") and added.dense_score != 0.0


def test_an_example_article_the_reader_may_not_read_does_not_join(tmp_path: Path) -> None:
    from knowledge.types import Document

    documents = [
        Document(id="gemeentewet.art-1", title="Gemeentewet, artikel 1", body="Er is een gemeenteraad."),
        Document(id="gemeentewet.art-2", title="Gemeentewet, artikel 2", audience="internal",
                 allowed_teams=("klantcontact",), body="Interne werkinstructie voor de balie."),
    ]  # fmt: skip
    build_index(documents, embedder=HashingEmbedder(), index_dir=tmp_path / "index")
    folder = write_examples(tmp_path / "examples", 'law: gemeentewet\narticles:\n  "2":\n    - "hoe werkt de balie"\n')
    search = StatuteSearch.open(tmp_path / "index", examples=folder, candidates=1)
    assert "gemeentewet.art-2" not in docs_of(search.fused("hoe werkt de balie", reader=Reader.public()))
    staff = Reader(roles=frozenset({"staff"}), teams=frozenset({"klantcontact"}))
    assert "gemeentewet.art-2" in docs_of(search.fused("hoe werkt de balie", reader=staff))


def test_the_shipped_statute_examples_name_real_articles() -> None:
    from knowledge.examples import article_examples
    from knowledge.statutes import article_id

    regelrecht = ROOT.parent / "shared" / "data" / "regelrecht"
    if not regelrecht.is_dir():
        pytest.skip(f"statute corpus not found at {regelrecht} (../shared/data)")
    examples = article_examples(ROOT / "data" / "search" / "statute_examples")
    assert len(examples) >= 1000
    articles = set()
    for path in regelrecht.glob("*.yaml"):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        articles.update(article_id(path.stem, str(article["number"])) for article in data["articles"])
    assert {doc_id for doc_id, _ in examples} <= articles
