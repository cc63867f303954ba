"""BM25 over an inverted index, with spaCy lookup lemmas for Dutch and English."""

from __future__ import annotations

import functools
import json
import math
import re
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from knowledge.languages import SUPPORTED_LANGUAGES

if TYPE_CHECKING:
    from spacy.language import Language

    from knowledge.glossary import Glossary

ANALYZER_LANGUAGES = SUPPORTED_LANGUAGES  # a spaCy blank pipeline with lookup lemmas for each
FALLBACK_LANGUAGE = "nl"
GLOSSARY_LANGUAGE = "en"  # query words in this language get the glossary's Dutch words too
SYNONYM_LANGUAGE = "nl"  # query words in this language get their synonyms' words too
MAX_QUERY_TERMS = 64  # bounds query cost whatever someone pastes into the chat box
_HAS_ALNUM = re.compile(r"\w")


@functools.cache
def _pipeline(lang: str) -> Language:
    """A blank spaCy pipeline with the lookup lemmatizer, loaded once per process (~1 s each)."""
    import spacy

    nlp = spacy.blank(lang)
    # Lookup mode needs no POS tags, which a blank pipeline cannot give; the tables come from
    # spacy-lookups-data, installed locally (no download).
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    nlp.initialize()
    return nlp


class Analyzer:
    """Text → index terms: lowercase, lookup lemma, no stop words or punctuation, digits kept.

    The spaCy pipelines load on first use and are shared by all analyzers in the process.
    """

    def __init__(
        self,
        languages: Sequence[str] = ANALYZER_LANGUAGES,
        *,
        glossary: Glossary | None = None,
        synonyms: Glossary | None = None,
    ) -> None:
        self.languages = tuple(languages)
        self.glossary = glossary  # English query words -> Dutch words (knowledge/glossary.py)
        # Dutch query words -> the words the documents use for them (the statutes' legal
        # synonyms, data/search/legal_synonyms.yml: "bijstandsnorm" -> "norm", "bijstand"; the
        # citizens' words for the pages, data/search/citizen_synonyms_nl.yml: "kliko" -> "container").
        self.synonyms = synonyms
        self._nlps: dict[str, Language] = {}
        self._stops: frozenset[str] | None = None
        self._translated: dict[tuple[str, str, str], tuple[str, ...]] = {}

    def _lang(self, language: str) -> str:
        """Documents in a language without a pipeline here are analysed as the corpus default."""
        if language in self.languages:
            return language
        return FALLBACK_LANGUAGE if FALLBACK_LANGUAGE in self.languages else self.languages[0]

    def _nlp(self, language: str) -> Language:
        lang = self._lang(language)
        nlp = self._nlps.get(lang)
        if nlp is None:
            nlp = self._nlps[lang] = _pipeline(lang)
        return nlp

    @staticmethod
    def _terms(doc: Any, extra_stops: frozenset[str] = frozenset()) -> list[str]:
        terms = []
        for tok in doc:
            if tok.is_stop or tok.is_punct or tok.is_space or tok.text in extra_stops:
                continue
            lemma = (tok.lemma_ or tok.text).lower()
            if _HAS_ALNUM.search(lemma):
                terms.append(lemma)
        return terms

    def analyze(self, text: str, language: str = FALLBACK_LANGUAGE) -> list[str]:
        # Lowercase first: the lookup tables are keyed on lowercase words, and a sentence-
        # initial "Verhuisd" should lemmatise like "verhuisd".
        return self._terms(self._nlp(language)(text.lower()))

    def analyze_many(self, texts: Sequence[str], languages: Sequence[str], batch_size: int = 256) -> list[list[str]]:
        """Analyze texts with their own languages, batched per language, results in input order."""
        out: list[list[str]] = [[] for _ in texts]
        by_lang: dict[str, list[int]] = {}
        for i, lang in enumerate(languages):
            by_lang.setdefault(self._lang(lang), []).append(i)
        for lang, idxs in by_lang.items():
            docs = self._nlp(lang).pipe((texts[i].lower() for i in idxs), batch_size=batch_size)
            for i, doc in zip(idxs, docs, strict=True):
                out[i] = self._terms(doc)
        return out

    def _all_stop_words(self) -> frozenset[str]:
        if self._stops is None:
            self._stops = frozenset().union(*(self._nlp(lang).Defaults.stop_words for lang in self.languages))
        return self._stops

    def analyze_query_groups(self, text: str) -> list[tuple[str, ...]]:
        """Query terms per word (`analyze_query_words` without the words' positions)."""
        return [group for _, group in self.analyze_query_words(text)]

    def analyze_query_words(self, text: str) -> list[tuple[int, tuple[str, ...]]]:
        """Query terms per word, with the word's character offset in `text`: each group holds
        that word's lemma in every language.

        The query's language is unknown, so it is analysed with every pipeline and the terms
        are united (an English question still matches Dutch words that are spelled the same).
        A word that is a stop word in *any* language is dropped, or Dutch "wat"/"een" and
        English "how"/"the" would survive the other language's analysis as content words.
        """
        stops = self._all_stop_words()
        lowered = text.lower()
        groups: dict[int, dict[str, None]] = {}
        for lang in self.languages:
            for tok in self._nlp(lang)(lowered):
                terms = self._terms([tok], stops)
                if terms:
                    group = groups.setdefault(tok.idx, {})
                    group.setdefault(terms[0], None)
                    if lang == GLOSSARY_LANGUAGE and self.glossary is not None:
                        for term in self._translate(self.glossary, tok.text, terms[0]):
                            group.setdefault(term, None)
                    if lang == SYNONYM_LANGUAGE and self.synonyms is not None:
                        for term in self._translate(self.synonyms, tok.text, terms[0]):
                            group.setdefault(term, None)
        return [(pos, tuple(groups[pos])) for pos in sorted(groups)][:MAX_QUERY_TERMS]

    def _translate(self, glossary: Glossary, word: str, lemma: str) -> tuple[str, ...]:
        """The index terms of `glossary`'s Dutch words for a query word (cached per word)."""
        key = ("glossary" if glossary is self.glossary else "synonyms", word, lemma)
        cached = self._translated.get(key)
        if cached is None:
            dutch = glossary.translations(word, lemma)
            terms = [t for phrase in dutch for t in self.analyze(phrase, "nl")] if dutch else []
            cached = self._translated[key] = tuple(dict.fromkeys(terms))
            if len(self._translated) > 65536:  # bounded, whatever is typed into the chat box
                self._translated.clear()
        return cached

    def analyze_query(self, text: str) -> list[str]:
        """All query terms, unique, in query order."""
        return list(dict.fromkeys(t for group in self.analyze_query_groups(text) for t in group))


@dataclass(frozen=True)
class SparseHits:
    ids: np.ndarray  # int64 chunk rows, best first
    scores: np.ndarray  # float32 BM25 scores
    coverage: np.ndarray  # float32 in [0, 1]: idf-weighted share of query words matched

    @classmethod
    def empty(cls) -> SparseHits:
        return cls(np.zeros(0, np.int64), np.zeros(0, np.float32), np.zeros(0, np.float32))

    def __len__(self) -> int:
        return int(self.ids.shape[0])


def idf_weighted_share(
    groups: Sequence[tuple[str, ...]],
    postings: Mapping[str, tuple[np.ndarray, float]],
    contains: Callable[[np.ndarray], np.ndarray],
    size: int,
    unseen_idf: float,
) -> np.ndarray:
    """Per candidate (a doc, or a group of docs): the idf-weighted share of query words it contains.
    A word counts once, by its best variant present; a word without postings counts with
    `unseen_idf`. `postings`: term -> (its docs, its idf); `contains(docs)`: which candidates hold
    one of those docs."""
    matched = np.zeros(size, dtype=np.float64)
    total = 0.0
    for group in groups:
        seen = [postings[t] for t in group if t in postings]
        total += max((idf for _, idf in seen), default=unseen_idf)
        best_in_group = np.zeros(size, dtype=np.float64)
        for docs, idf in seen:
            present = contains(docs)
            best_in_group[present] = np.maximum(best_in_group[present], idf)
        matched += best_in_group
    return matched / total if total > 0 else np.zeros(size, dtype=np.float64)


def mapped(path: Path) -> np.ndarray:
    """An .npy file mapped read-only into memory (pages load on use, processes share them), as a
    plain ndarray: np.memmap's subclass hooks made every row or slice taken per query 3 to 7 times
    slower (`bench/hot_path_parts.py`), and a search takes thousands."""
    return np.asarray(np.load(path, mmap_mode="r"))


class BM25Index:
    """Okapi BM25 over compressed postings (CSR: term → sorted doc ids with term frequencies).

    Scoring touches only the postings of the query's terms, so cost grows with how common the
    terms are, not with the corpus size. ``allowed`` masks are applied to the postings before
    anything is counted: document frequencies, N and average length are those of the allowed
    subset, so a reader's scores are exactly what an index of only their documents would give.
    """

    def __init__(
        self,
        vocab: list[str],
        offsets: np.ndarray,
        post_docs: np.ndarray,
        post_tf: np.ndarray,
        doc_len: np.ndarray,
        *,
        k1: float = 1.2,
        b: float = 0.75,
    ) -> None:
        self.vocab = vocab
        self.term_ids = {t: i for i, t in enumerate(vocab)}
        self.offsets = offsets
        self.post_docs = post_docs
        self.post_tf = post_tf
        self.doc_len = doc_len
        self.k1 = k1
        self.b = b

    @property
    def size(self) -> int:
        return int(self.doc_len.shape[0])

    @classmethod
    def build(cls, docs_terms: Iterable[Sequence[str]], *, k1: float = 1.2, b: float = 0.75) -> BM25Index:
        vocab: dict[str, int] = {}
        # Flat typed buffers rather than per-term Python lists: ~12 bytes per posting, so a
        # million chunks stays in memory comfortably.
        terms_buf, docs_buf, tf_buf = array("i"), array("i"), array("f")
        lengths = array("i")
        for doc, terms in enumerate(docs_terms):
            lengths.append(len(terms))
            for term, tf in Counter(terms).items():
                terms_buf.append(vocab.setdefault(term, len(vocab)))
                docs_buf.append(doc)
                tf_buf.append(tf)
        term_arr = np.frombuffer(terms_buf, dtype=np.int32) if terms_buf else np.zeros(0, np.int32)
        order = np.argsort(term_arr, kind="stable")  # stable keeps doc ids ascending per term
        counts = np.bincount(term_arr, minlength=len(vocab))
        offsets = np.zeros(len(vocab) + 1, dtype=np.int64)
        np.cumsum(counts, out=offsets[1:])
        post_docs = np.asarray(docs_buf, dtype=np.int32)[order] if docs_buf else np.zeros(0, np.int32)
        post_tf = np.asarray(tf_buf, dtype=np.float32)[order] if tf_buf else np.zeros(0, np.float32)
        return cls(list(vocab), offsets, post_docs, post_tf, np.asarray(lengths, dtype=np.int32), k1=k1, b=b)

    def stats(self, allowed: np.ndarray | None = None) -> tuple[int, float]:
        """(number of documents, average length) over the allowed subset."""
        lengths = self.doc_len if allowed is None else self.doc_len[allowed]
        n = int(lengths.shape[0])
        return n, (float(lengths.mean()) if n else 0.0)

    def idf(self, df: int, n_docs: int) -> float:
        # Lucene's variant: never negative, so a very common term still counts a little.
        return math.log(1.0 + (n_docs - df + 0.5) / (df + 0.5))

    def search(
        self,
        terms: Sequence[str] | Sequence[Sequence[str]],
        top_n: int = 50,
        *,
        allowed: np.ndarray | None = None,
        stats: tuple[int, float] | None = None,
    ) -> SparseHits:
        """Best allowed docs for the query terms, best first, scores > 0 only.

        ``terms`` is a list of terms, or of term groups (one group per query word with its
        alternative lemmas, as Analyzer.analyze_query_groups gives). Groups only matter for
        ``coverage``: the idf-weighted share of query words a doc contains (a word counts
        once, by its best-matching variant); words the allowed corpus has never seen count
        with the highest idf, so "hoofdstad frankrijk" matching only a stray word scores low.
        """
        groups = [(t,) if isinstance(t, str) else tuple(t) for t in terms]
        n_docs, avgdl = stats if stats is not None else self.stats(allowed)
        if n_docs == 0 or avgdl <= 0 or not groups:
            return SparseHits.empty()
        postings: dict[str, tuple[np.ndarray, float]] = {}
        all_docs, all_scores = [], []
        for term in dict.fromkeys(t for g in groups for t in g):
            tid = self.term_ids.get(term)
            if tid is None:
                continue
            lo, hi = int(self.offsets[tid]), int(self.offsets[tid + 1])
            docs = np.asarray(self.post_docs[lo:hi])
            tf = np.asarray(self.post_tf[lo:hi])
            if allowed is not None:
                keep = allowed[docs]
                docs, tf = docs[keep], tf[keep]
            df = docs.shape[0]
            if df == 0:
                continue
            idf = self.idf(df, n_docs)
            norm = self.k1 * (1.0 - self.b + self.b * self.doc_len[docs] / avgdl)
            postings[term] = (docs, idf)
            all_docs.append(docs)
            all_scores.append(idf * tf * (self.k1 + 1.0) / (tf + norm))
        if not all_docs:
            return SparseHits.empty()
        uniq, inverse = np.unique(np.concatenate(all_docs), return_inverse=True)
        scores = np.bincount(inverse, weights=np.concatenate(all_scores)).astype(np.float32)
        part = np.argpartition(-scores, top_n)[:top_n] if top_n < scores.shape[0] else np.arange(scores.shape[0])
        best = part[np.lexsort((uniq[part], -scores[part]))]  # ties: lower id first, deterministic
        ids = uniq[best]

        def in_ids(docs: np.ndarray) -> np.ndarray:
            return np.isin(ids, docs, assume_unique=True)

        coverage = idf_weighted_share(groups, postings, in_ids, int(ids.shape[0]), self.idf(0, n_docs))
        return SparseHits(ids.astype(np.int64), scores[best], coverage.astype(np.float32))

    def docs_with(self, terms: Sequence[str]) -> np.ndarray:
        """The docs (rows) holding any of `terms` (one word's group: its variants), sorted."""
        found = []
        for term in dict.fromkeys(terms):
            tid = self.term_ids.get(term)
            if tid is not None:
                found.append(np.asarray(self.post_docs[int(self.offsets[tid]) : int(self.offsets[tid + 1])]))
        return np.unique(np.concatenate(found)) if found else np.zeros(0, dtype=np.int64)

    def union_coverage(
        self,
        terms: Sequence[str] | Sequence[Sequence[str]],
        members: Sequence[np.ndarray],
        *,
        allowed: np.ndarray | None = None,
        stats: tuple[int, float] | None = None,
    ) -> list[float]:
        """Per group of docs (e.g. the sections of one page): the idf-weighted share of query words
        that occur in *any* doc of the group, weighed as in `search`'s coverage (unseen words the
        most). A page that answers a question told as a story holds its words across several
        sections; a page on another subject misses the word that names what is asked about."""
        groups = [(t,) if isinstance(t, str) else tuple(t) for t in terms]
        n_docs, _ = stats if stats is not None else self.stats(allowed)
        if n_docs == 0 or not groups or not members:
            return [0.0] * len(members)
        postings: dict[str, tuple[np.ndarray, float]] = {}
        for term in dict.fromkeys(t for g in groups for t in g):
            tid = self.term_ids.get(term)
            if tid is None:
                continue
            docs = np.asarray(self.post_docs[int(self.offsets[tid]) : int(self.offsets[tid + 1])])
            if allowed is not None:
                docs = docs[allowed[docs]]
            if docs.shape[0]:
                postings[term] = (docs, self.idf(int(docs.shape[0]), n_docs))
        member_ids = [np.flatnonzero(m) for m in members]

        def contains(docs: np.ndarray) -> np.ndarray:
            return np.array([np.isin(ids, docs, assume_unique=True).any() for ids in member_ids])

        return idf_weighted_share(groups, postings, contains, len(members), self.idf(0, n_docs)).tolist()

    # --- persistence: plain .npy arrays + JSON, memory-mapped on load -----------------------

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        np.save(directory / "bm25_offsets.npy", self.offsets)
        np.save(directory / "bm25_docs.npy", self.post_docs)
        np.save(directory / "bm25_tf.npy", self.post_tf)
        np.save(directory / "bm25_doclen.npy", self.doc_len)
        meta = {"k1": self.k1, "b": self.b, "vocab": self.vocab}
        (directory / "bm25.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, directory: Path, *, mmap: bool = True) -> BM25Index:
        meta = json.loads((directory / "bm25.json").read_text(encoding="utf-8"))

        def postings(name: str) -> np.ndarray:
            return mapped(directory / name) if mmap else np.load(directory / name)

        return cls(
            meta["vocab"],
            postings("bm25_offsets.npy"),
            postings("bm25_docs.npy"),
            postings("bm25_tf.npy"),
            np.load(directory / "bm25_doclen.npy"),
            k1=float(meta["k1"]),
            b=float(meta["b"]),
        )
