"""Search over the statutes' own index: the hybrid search, plus what a legal question says itself.

Staff ask "art. 21 lid 2 Pw", "Wmo eigen bijdrage" or "bijstandsnorm alleenstaande". Three
things in such a query are used before the fused ranking (knowledge/search.py) decides:

* an article reference ("artikel 21", "art. 2.3.5 lid 3", "artikel 21, tweede lid"): that
  article is put first (of the named law, or of every law that has such an article), and its
  passage of that lid before its other passages;
* a law named by its name or a usual abbreviation (Pw, Wmo, Gemw, Wet BRP, Woo; see
  LAW_ALIASES): that law's articles get a bonus in the fusion;
* legal synonyms (data/search/legal_synonyms.yml, the Analyzer's ``synonyms``): the words a
  person uses ("bijstandsnorm", "uitkering") also match the words of the statutes ("norm",
  "bijstand"), in BM25 and in the query the dense model embeds.

The article stays the unit of retrieval. Without a fitted ranker an article ranks by its best
passage in the fusion; with one (data/search/statute_ranker.yml, fitted on the dev split by
`loket eval retrieval --fit`), the candidate articles are ordered by a linear score over
ARTICLE_FEATURES: the fused rank, the best passage's dense, BM25 and coverage scores, and how
well the query matches the article's opening passage and the article as a whole, and its
closest example questions (data/search/statute_examples). The articles of the closest example
questions join the fusion's candidates when it missed them.
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from knowledge.answerability import LinearModel, fit_pairwise
from knowledge.example_index import ExampleIndex
from knowledge.examples import article_examples
from knowledge.glossary import Glossary
from knowledge.index import KnowledgeIndex, load_index
from knowledge.languages import SUPPORTED_LANGUAGES
from knowledge.query_vectors import QueryVector
from knowledge.search import KnowledgeSearch, SearchResult
from knowledge.sparse import Analyzer
from knowledge.statutes import article_id, lids_in
from knowledge.types import Embedder, Hit, Reader

# Articles of the closest example questions that join the fusion's candidates when it missed them.
EXAMPLE_ARTICLES = 5

# Names and usual abbreviations of the laws in ../shared/data/regelrecht, as lawyers and
# municipal staff write them (lower case; matched as whole words, "Woo-verzoek" included).
LAW_ALIASES: dict[str, tuple[str, ...]] = {
    "gemeentewet": ("gemeentewet", "gemw"),
    "participatiewet": ("participatiewet", "pw", "p-wet", "wet werk en bijstand", "wwb"),
    "paspoortwet": ("paspoortwet", "ppw"),
    "wet_basisregistratie_personen": (
        "wet basisregistratie personen", "wet brp", "wbrp", "brp", "basisregistratie personen", "wet gba", "gba",
    ),  # fmt: skip
    "wet_maatschappelijke_ondersteuning_2015": ("wet maatschappelijke ondersteuning", "wmo 2015", "wmo"),
    "wet_op_de_zorgtoeslag": ("wet op de zorgtoeslag", "zorgtoeslagwet", "wzt"),
    "wet_open_overheid": ("wet open overheid", "woo", "wob", "wet openbaarheid van bestuur"),
}

ORDINALS = {
    "eerste": "1", "tweede": "2", "derde": "3", "vierde": "4", "vijfde": "5", "zesde": "6",
    "zevende": "7", "achtste": "8", "negende": "9", "tiende": "10", "elfde": "11", "twaalfde": "12",
}  # fmt: skip

_NUMBER = r"\d+[a-z]?(?:\.\d+[a-z]?)*"
_REFERENCE = re.compile(
    rf"\b(?:artikel(?:en)?|art\.?)\s*(?P<number>{_NUMBER})\b"
    rf"(?:\s*,?\s*(?:lid\s*(?P<lid>\d+[a-z]?)\b|(?P<ordinal>{'|'.join(ORDINALS)})\s+lid\b))?",
    re.IGNORECASE,
)
_LAW_LINK = re.compile(r"[\s,]*(?:van\s+(?:de\s+)?)?", re.IGNORECASE)  # "art. 21 Pw", "artikel 21 van de Pw"
_ALIAS_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    (slug, re.compile(r"(?<![\w])" + re.escape(alias).replace(r"\ ", r"\s+") + r"(?![\w])", re.IGNORECASE))
    for slug, aliases in LAW_ALIASES.items()
    for alias in aliases
]


@dataclass(frozen=True)
class Reference:
    """An article the query names: `law` is a slug, or None when the query names no law."""

    article: str
    lid: str | None = None
    law: str | None = None


def mentioned_laws(query: str) -> list[str]:
    """The laws the query names (slugs), in the order they first appear."""
    found: dict[str, int] = {}
    for slug, pattern in _ALIAS_PATTERNS:
        match = pattern.search(query)
        if match and (slug not in found or match.start() < found[slug]):
            found[slug] = match.start()
    return sorted(found, key=found.__getitem__)


def _law_at(query: str, start: int) -> str | None:
    """The law named right after position `start` ("art. 21 Pw", "artikel 21 van de Participatiewet")."""
    rest = query[start:]
    best: tuple[int, str] | None = None
    for slug, pattern in _ALIAS_PATTERNS:
        match = pattern.search(rest)
        between = rest[: match.start()] if match else ""
        if match and _LAW_LINK.fullmatch(between) and (best is None or match.start() < best[0]):
            best = (match.start(), slug)
    return best[1] if best else None


def article_references(query: str) -> list[Reference]:
    """Every article reference in the query, with its lid and its law when the query says them.

    A reference's law is the one named right after it, else the only law the query names."""
    laws = mentioned_laws(query)
    only = laws[0] if len(laws) == 1 else None
    references: list[Reference] = []
    for match in _REFERENCE.finditer(query):
        lid = match.group("lid") or (ORDINALS[match.group("ordinal").lower()] if match.group("ordinal") else None)
        law = _law_at(query, match.end()) or only
        reference = Reference(article=match.group("number").lower(), lid=lid, law=law)
        if reference not in references:
            references.append(reference)
    return references


# What the article ranker sees of a candidate article (article_features).
ARTICLE_FEATURES = (
    "rrf", "dense", "bm25", "coverage", "first_dense", "article_dense", "example_dense", "example_dense_top2",
)  # fmt: skip


def load_ranker(path: Path, embedder: str) -> LinearModel | None:
    """The fitted article ranker for this embedder (similarity scales differ per model), if any."""
    if not path.exists():
        return None
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    fitted = (data.get("models") or {}).get(embedder)
    return LinearModel.from_json(fitted, ARTICLE_FEATURES) if fitted else None


def write_ranker(path: Path, embedder: str, model: LinearModel, *, note: str = "") -> None:
    """Store `model` for `embedder` in `path`, keeping the other embedders' models."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else None
    data = data or {}
    models = dict(data.get("models") or {})
    models[embedder] = model.to_json()
    header = (
        "# Article ranker of the staff statute search (knowledge/statute_search.py), per embedding\n"
        "# model: a linear score over ARTICLE_FEATURES, fitted on data/eval/statutes_dev.jsonl with\n"
        "# `loket eval retrieval --set data/eval/statutes_dev.jsonl --fit` (never on the test split).\n"
    )
    if note:
        header += f"# {note}\n"
    path.write_text(header + yaml.safe_dump({"models": models}, sort_keys=True, allow_unicode=True), encoding="utf-8")


RankingGroup = tuple[list[dict[str, float]], list[bool]]  # one question: candidate articles, right or not
FIT_DEPTH = 60  # candidate articles per question the ranker is fitted on (right ones further down are rare)


def fit_ranker(groups: list[RankingGroup], *, c: float = 1.0) -> LinearModel:
    """A pairwise ranker (knowledge/answerability.fit_pairwise) over the questions' candidate
    articles: every right article should outscore every wrong one of its question."""
    usable = [
        (rows[:FIT_DEPTH], labels[:FIT_DEPTH]) for rows, labels in groups
        if any(labels[:FIT_DEPTH]) and not all(labels[:FIT_DEPTH])
    ]  # fmt: skip
    if not usable:
        raise ValueError("no question has both a right and a wrong candidate article")
    return fit_pairwise(usable, ARTICLE_FEATURES, c=c)


def rank_of_right(model: LinearModel | None, group: RankingGroup, *, depth: int = 10) -> int | None:
    """1-based rank of the first right article when `model` orders the candidates (None: the
    fused order), or None when it is not within `depth`."""
    rows, labels = group
    order = list(range(len(rows)))
    if model is not None:
        order.sort(key=lambda n: (-model.score(rows[n]), n))
    return next((rank for rank, n in enumerate(order[:depth], 1) if labels[n]), None)


def cross_validated_ranks(
    groups: list[RankingGroup], *, folds: int = 5, seed: int = 0, c: float = 1.0
) -> list[int | None]:
    """Each question's rank_of_right under a ranker fitted on the other folds only."""
    order = list(range(len(groups)))
    random.Random(seed).shuffle(order)
    ranks: list[int | None] = [None] * len(groups)
    for fold in range(folds):
        held = set(order[fold::folds])
        model = fit_ranker([g for n, g in enumerate(groups) if n not in held], c=c)
        for n in held:
            ranks[n] = rank_of_right(model, groups[n])
    return ranks


def _law_of(doc_id: str) -> str:
    return doc_id.split(".art-", 1)[0]


class StatuteSearch(KnowledgeSearch):
    """KnowledgeSearch for an index of statute articles (knowledge/statutes.py ids "<law>.art-<n>").

    law_bonus: added to the fused (RRF) score of every passage of a law the query names; one
    first place in one retriever is worth 1 / (rrf_k + 1).
    expand_dense: also give the dense model the legal synonyms of the query's words.
    fuzzy: a query word no article contains also matches the index terms one edit away.
    ranker: orders the candidate articles (ARTICLE_FEATURES); None keeps the fused order.
    """

    def __init__(
        self,
        index: KnowledgeIndex,
        embedder: Embedder,
        *,
        law_bonus: float = 1 / 61,
        expand_dense: bool = True,
        fuzzy: bool = True,
        ranker: LinearModel | None = None,
        examples: ExampleIndex | None = None,
        **options: Any,
    ) -> None:
        options.setdefault("candidates", 100)  # per retriever; the ranker reorders what they find
        super().__init__(index, embedder, fuzzy=fuzzy, **options)
        self.law_bonus = law_bonus
        self.expand_dense = expand_dense
        self.ranker = ranker
        # Questions staff and citizens ask that an article answers, labelled by article id.
        self.examples = examples
        self._article_vectors: tuple[dict[str, int], np.ndarray, np.ndarray] | None = None
        self._last_embedding: tuple[str, np.ndarray] | None = None
        self._last_example_sims: tuple[np.ndarray, np.ndarray] | None = None
        self._law_masks: dict[str, np.ndarray] = {}
        self._rows: dict[str, int] | None = None

    @classmethod
    def open(
        cls,
        index_dir: Path | str | KnowledgeIndex,
        embedder_name: str | None = None,
        *,
        device: str | None = None,
        share: Embedder | None = None,
        glossary: Path | None = None,
        synonyms: Path | None = None,
        ranker: Path | LinearModel | None = None,
        examples: Path | None = None,
        **options: Any,
    ) -> StatuteSearch:
        """The statutes' index (a folder, or one already loaded) and its embedder: `share` when
        it is the index's model (no second copy in memory), else the one it was built with.
        `synonyms`: data/search/legal_synonyms.yml; `glossary`: English -> Dutch words;
        `ranker`: data/search/statute_ranker.yml (its model for the index's embedder, if any),
        or a model; `examples`: data/search/statute_examples (knowledge/examples.article_examples)."""
        from knowledge.embedding import make_embedder

        index = index_dir if isinstance(index_dir, KnowledgeIndex) else load_index(Path(index_dir))
        wanted = embedder_name or index.embedder_name
        embedder = share if share is not None and share.name == wanted else make_embedder(wanted, device=device)
        if "analyzer" not in options:
            options["analyzer"] = Analyzer(
                index.manifest.get("analyzer_languages") or SUPPORTED_LANGUAGES,
                glossary=Glossary.load(Path(glossary)) if glossary is not None else None,
                synonyms=Glossary.load(Path(synonyms), key="synonyms") if synonyms is not None else None,
            )
        if isinstance(ranker, LinearModel):
            options["ranker"] = ranker
        elif ranker is not None:
            options["ranker"] = load_ranker(Path(ranker), index.embedder_name)
        if examples is not None:
            labelled = [(doc_id, q) for doc_id, q in article_examples(Path(examples)) if doc_id in index.documents]
            # Cached beside the index's builds, as the answer engine's examples are.
            options["examples"] = ExampleIndex(embedder, labelled, cache_dir=index.path.parent) if labelled else None
        return cls(index, embedder, **options)

    # --- what the query names -------------------------------------------------------------

    def _law_mask(self, slug: str) -> np.ndarray:
        mask = self._law_masks.get(slug)
        if mask is None:
            prefix = f"{slug}.art-"
            mask = np.fromiter((c.doc_id.startswith(prefix) for c in self.index.chunks), bool, len(self.index.chunks))
            self._law_masks[slug] = mask
        return mask

    def referenced_documents(self, query: str, *, fit: Mapping[str, int] | None = None) -> list[tuple[str, str | None]]:
        """(document id, lid) of every article the query refers to that the index holds.

        A reference that names no law finds the article of that number in every law. `fit` (the
        rank of each article in the search's order for the whole question) puts those in the order
        of how well the rest of the question fits them: "artikel 34 lid 2 over mijn paspoort" wants
        the Paspoortwet's article 34 before the Gemeentewet's. Without it they come in law order."""
        out: list[tuple[str, str | None]] = []
        laws = list(dict.fromkeys(_law_of(doc_id) for doc_id in self.index.documents))
        for reference in article_references(query):
            slugs = [reference.law] if reference.law else laws
            found = [article_id(slug, reference.article) for slug in slugs]
            found = [doc_id for doc_id in found if doc_id in self.index.documents]
            if fit is not None and len(found) > 1:
                found.sort(key=lambda doc_id: fit.get(doc_id, len(fit)))  # stable: law order among the rest
            for doc_id in found:
                if all(doc_id != d for d, _ in out):
                    out.append((doc_id, reference.lid))
        return out

    def expanded_query(self, query: str) -> str:
        """The query with the legal synonyms of its words appended (what the dense model sees)."""
        synonyms = self.analyzer.synonyms
        if synonyms is None or not self.expand_dense:
            return query
        extra: dict[str, None] = {}
        for word in re.findall(r"\w[\w-]*", query.lower()):
            lemmas = self.analyzer.analyze(word, "nl")
            for phrase in synonyms.translations(word, *lemmas):
                if phrase not in query.lower():
                    extra.setdefault(phrase, None)
        return f"{query} ({', '.join(extra)})" if extra else query

    # --- ranking ---------------------------------------------------------------------------

    def _query_embedding(self, query: str, query_vector: QueryVector | None) -> np.ndarray:
        expanded = self.expanded_query(query)
        if expanded == query and query_vector is not None:
            return super()._query_embedding(query, query_vector)
        last = self._last_embedding  # the ranker asks again for the query the fusion just embedded
        if last is not None and last[0] == expanded:
            return last[1]
        vector = self.embedder.embed_queries([expanded])[0]
        self._last_embedding = (expanded, vector)
        return vector

    def _articles(self) -> tuple[dict[str, int], np.ndarray, np.ndarray]:
        """Per article: its row in the two matrices below, the vector of its opening passage and
        the normalised mean of its passages' vectors (from the index; nothing is embedded)."""
        if self._article_vectors is None:
            rows: dict[str, list[int]] = {}
            for row, chunk in enumerate(self.index.chunks):
                rows.setdefault(chunk.doc_id, []).append(row)
            embeddings = np.asarray(self.index.embeddings, dtype=np.float32)
            first = np.stack([embeddings[r[0]] for r in rows.values()])
            mean = np.stack([embeddings[r].mean(axis=0) for r in rows.values()])
            mean /= np.maximum(np.linalg.norm(mean, axis=1, keepdims=True), 1e-12)
            self._article_vectors = ({doc_id: n for n, doc_id in enumerate(rows)}, first, mean)
        return self._article_vectors

    def warm_up(self) -> None:
        super().warm_up()
        if self.ranker is not None:
            self._articles()
        if self.examples is not None:
            self.examples.warm_up()

    def article_features(self, hits: list[Hit], qvec: np.ndarray) -> dict[str, dict[str, float]]:
        """ARTICLE_FEATURES of every article with a passage in `hits` (fused order, best first)."""
        position, first, mean = self._articles()
        example_sims = self._example_similarities(qvec)
        features: dict[str, dict[str, float]] = {}
        for hit in hits:
            row = features.get(hit.doc_id)
            if row is None:
                n = position[hit.doc_id]
                features[hit.doc_id] = {
                    "rrf": 1.0 / (len(features) + 1),
                    "dense": hit.dense_score,
                    "bm25": hit.bm25_score,
                    "coverage": hit.coverage,
                    "first_dense": float(first[n] @ qvec),
                    "article_dense": float(mean[n] @ qvec),
                    "example_dense": self._example_dense(hit.doc_id, example_sims),
                    "example_dense_top2": self._example_dense(hit.doc_id, example_sims, k=2),
                }
            else:
                row["dense"] = max(row["dense"], hit.dense_score)
                row["bm25"] = max(row["bm25"], hit.bm25_score)
                row["coverage"] = max(row["coverage"], hit.coverage)
        for row in features.values():
            row["bm25"] = float(np.log1p(row["bm25"]))
        return features

    def _example_similarities(self, qvec: np.ndarray) -> np.ndarray | None:
        """The query's similarity to every example question; the ranker asks again for the vector
        the fusion's example articles were found with (the same array: `_query_embedding`)."""
        if self.examples is None:
            return None
        last = self._last_example_sims
        if last is not None and last[0] is qvec:
            return last[1]
        sims = self.examples.similarities(qvec)
        self._last_example_sims = (qvec, sims)
        return sims

    def _example_dense(self, doc_id: str, sims: np.ndarray | None, *, k: int = 1) -> float:
        """The similarity of the article's closest example question (k > 1: the mean of its k
        closest, which one lucky example does not decide); an article without examples (a formal
        or repealed one) gets the least similar example's."""
        if self.examples is None or sims is None or not len(sims):
            return 0.0
        best = self.examples.best(sims, doc_id, k=k)
        return float(sims.min()) if best is None else best

    def _ranked(self, query: str, hits: list[Hit], query_vector: QueryVector | None) -> list[Hit]:
        """`hits` with the articles in the ranker's order, each article's passages kept together
        in their fused order, and the scores falling along it."""
        if self.ranker is None or not hits:
            return hits
        features = self.article_features(hits, self._query_embedding(query, query_vector))
        scores = {doc_id: self.ranker.score(row) for doc_id, row in features.items()}
        order = {doc_id: n for n, doc_id in enumerate(features)}
        ranked = sorted(hits, key=lambda h: (-scores[h.doc_id], order[h.doc_id]))
        # The fused scores, best first, go to the new order: callers that merge or sort hits by
        # score (the staff search, over both indexes) keep this order, on the fusion's scale.
        fused_scores = sorted((hit.score for hit in hits), reverse=True)
        return [replace(hit, score=score) for hit, score in zip(ranked, fused_scores, strict=True)]

    def candidates(
        self,
        query: str,
        *,
        reader: Reader,
        query_vector: QueryVector | None = None,
        within_document: str | None = None,
    ) -> list[Hit]:
        if within_document is not None:
            return super().candidates(query, reader=reader, query_vector=query_vector, within_document=within_document)
        hits = self._ranked(" ".join(query.split()), self.fused(query, reader=reader, query_vector=query_vector),
                            query_vector)  # fmt: skip
        pinned = self._pinned(query, reader, hits, query_vector)
        if not pinned:
            return hits
        ids = {hit.chunk_id for hit in pinned}
        return pinned + [hit for hit in hits if hit.chunk_id not in ids]

    def fused(self, query: str, *, reader: Reader, query_vector: QueryVector | None = None) -> list[Hit]:
        """The fused candidate passages, the named laws' ones with their bonus: the order the
        article ranker starts from."""
        hits = super().candidates(query, reader=reader, query_vector=query_vector)
        laws = mentioned_laws(query)
        if laws and self.law_bonus:
            named = np.zeros(len(self.index.chunks), dtype=bool)
            for slug in laws:
                named |= self._law_mask(slug)
            bonus = {hit.chunk_id: self.law_bonus for hit in hits if named[self._row(hit)]}
            hits = sorted(hits, key=lambda h: -(h.score + bonus.get(h.chunk_id, 0.0)))
        return hits + self._articles_by_examples(query, reader, hits, query_vector)

    def _articles_by_examples(
        self, query: str, reader: Reader, hits: list[Hit], query_vector: QueryVector | None
    ) -> list[Hit]:
        """The best passage of each article of the EXAMPLE_ARTICLES closest example questions'
        articles (the reader may read) that the fusion did not find: a question told as a situation
        shares few words with the article that answers it, but often many with a question asked of it."""
        if self.examples is None or not hits:
            return []
        qvec = self._query_embedding(" ".join(query.split()), query_vector)
        sims = self._example_similarities(qvec)
        if sims is None:
            return []
        found = {hit.doc_id for hit in hits}
        allowed = self.index.allowed_mask(reader)
        closest: list[str] = []
        added: list[Hit] = []
        for example in self.examples.nearest(sims, 8 * EXAMPLE_ARTICLES):
            if example.label in closest:
                continue
            mask = self.index.document_mask(example.label)
            rows = np.flatnonzero(mask if allowed is None else mask & allowed)
            if not len(rows):
                continue
            closest.append(example.label)
            if example.label not in found:
                dense = self.index.embeddings[rows] @ qvec
                best = int(np.argmax(dense))
                row, similarity = int(rows[best]), float(dense[best])
                added.append(self._hit(row, reader, score=0.0, bm25=0.0, dense=similarity, coverage=0.0))
            if len(closest) == EXAMPLE_ARTICLES:
                break
        return added

    def ranking_group(self, query: str, expected: set[str], *, reader: Reader) -> RankingGroup:
        """The candidate articles of `query` (ARTICLE_FEATURES) and whether each is one of the
        `expected` articles (document ids or URLs): one question's data for fitting the ranker."""
        query = " ".join(query.split())
        hits = self.fused(query, reader=reader)
        features = self.article_features(hits, self._query_embedding(query, None)) if hits else {}
        urls = {hit.doc_id: hit.url for hit in hits}
        labels = [doc_id in expected or urls.get(doc_id) in expected for doc_id in features]
        return list(features.values()), labels

    def _row(self, hit: Hit) -> int:
        if self._rows is None:
            self._rows = {chunk.chunk_id: row for row, chunk in enumerate(self.index.chunks)}
        return self._rows[hit.chunk_id]

    def _pinned(self, query: str, reader: Reader, hits: list[Hit], query_vector: QueryVector | None) -> list[Hit]:
        """The passages of the articles the query refers to, best first: the named lid's
        passage first, then the article's passages in the fused order, then the rest of it."""
        fit: dict[str, int] = {}
        for rank, candidate in enumerate(hits):
            fit.setdefault(candidate.doc_id, rank)
        references = self.referenced_documents(query, fit=fit)
        if not references:
            return []
        allowed = self.index.allowed_mask(reader)
        order = {hit.chunk_id: n for n, hit in enumerate(hits)}
        by_id = {hit.chunk_id: hit for hit in hits}
        pinned: list[Hit] = []
        qvec: np.ndarray | None = None
        for doc_id, lid in references:
            rows = np.flatnonzero(self.index.document_mask(doc_id) if allowed is None else
                                  self.index.document_mask(doc_id) & allowed)  # fmt: skip
            passages: list[Hit] = []
            for row in rows.tolist():
                chunk = self.index.chunks[row]
                hit = by_id.get(chunk.chunk_id)
                if hit is None:
                    if qvec is None:
                        qvec = self._query_embedding(" ".join(query.split()), query_vector)
                    dense = float(np.dot(self.index.embeddings[row], qvec))
                    hit = self._hit(row, reader, score=0.0, bm25=0.0, dense=dense, coverage=0.0)
                passages.append(hit)

            def key(hit: Hit, lid: str | None = lid) -> tuple[int, int]:
                in_lid = lid is not None and lid in lids_in(hit.passage)
                return (0 if in_lid else 1, order.get(hit.chunk_id, len(order)))

            pinned.extend(sorted(passages, key=key))
        return pinned

    def search(
        self, query: str, *, reader: Reader, k: int = 5, query_vector: QueryVector | None = None
    ) -> SearchResult:
        """As KnowledgeSearch.search, except that an article the query refers to is relevant
        whatever its scores: a person who asks for "artikel 21 Pw" gets it."""
        if k <= 0:
            return SearchResult()
        referenced = {doc_id for doc_id, _ in self.referenced_documents(query)}
        hits: list[Hit] = []
        per_doc: dict[str, int] = {}
        for hit in self.candidates(query, reader=reader, query_vector=query_vector):
            below = hit.bm25_score < self.thresholds.bm25 and hit.dense_score < self.thresholds.dense
            if below and hit.doc_id not in referenced:
                continue
            if per_doc.get(hit.doc_id, 0) >= self.max_per_document:
                continue
            per_doc[hit.doc_id] = per_doc.get(hit.doc_id, 0) + 1
            hits.append(hit)
            if len(hits) >= k:
                break
        return SearchResult(hits=hits, relevant=bool(hits))
