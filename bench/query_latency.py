"""Latency and memory of the whole hybrid query at 1k .. 1M chunks, exact and approximate dense search.

    .venv/bin/python bench/query_latency.py [--sizes 1000,10000,100000,1000000]
        [--kinds flat,ivf,hnsw] [--queries 200] [--hnsw-max 100000] [--json]

Each size runs in its own process (so RSS is that size's alone). The index is a synthetic
scale-up of the real one in var/index (build it first with `loket ingest`):

* embeddings: rows of the real chunk embeddings plus Gaussian noise, re-normalised (so the
  vectors have the real model's geometry: clustered, in a narrow cone, as e5's are);
* BM25: documents of the real length distribution whose terms are drawn from the real
  vocabulary with the real term frequencies, written straight into the CSR postings arrays;
* access: 10 % of the chunks internal, spread over the 12 teams; measured for a citizen
  (public mask) and for a staff member of one team (mask with that team's internal rows).

A query is KnowledgeSearch.search as the api calls it: spaCy analysis of the question, BM25
over the inverted index, dense top-50 from faiss (exact IndexFlatIP or approximate IVF/HNSW,
ApproximateVectorIndex in knowledge/vectors.py), reciprocal rank fusion, ACL filter, thresholds.
The questions are the real ones from data/eval/retrieval_nl_en.jsonl; their query vectors are
embedded once with the index's embedder up front, and that embedding time is reported
separately (query_embed_ms) because it does not depend on the index size.

Recall lost by the approximate index: dense recall@10 and @50 against the exact top-k of the
same (allowed) rows, and how often the fused top-5 equals the exact run's top-5.
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

TEAMS = [
    "burgerzaken", "belastingen", "afval", "openbare_ruimte", "parkeren", "vergunningen",
    "zorg_welzijn", "werk_inkomen", "handhaving", "wonen", "klachten_bezwaar", "klantcontact",
]  # fmt: skip


def rss_mb() -> float:
    import psutil

    return psutil.Process().memory_info().rss / 2**20


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


class FixedQueryEmbedder:
    """Returns precomputed query vectors (embedded once with the real model)."""

    def __init__(self, name: str, vectors: dict[str, np.ndarray]) -> None:
        self._name = name
        self._vectors = vectors
        self._dim = next(iter(vectors.values())).shape[0]

    @property
    def name(self) -> str:
        return self._name

    @property
    def dim(self) -> int:
        return self._dim

    def embed_documents(self, texts: list[str]) -> np.ndarray:  # pragma: no cover - unused
        raise NotImplementedError

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return np.stack([self._vectors[" ".join(t.split())] for t in texts])


def synthetic_embeddings(real: np.ndarray, n: int, rng: np.random.Generator, noise: float) -> np.ndarray:
    out = np.empty((n, real.shape[1]), dtype=np.float32)
    for start in range(0, n, 100_000):
        stop = min(n, start + 100_000)
        block = real[rng.integers(0, real.shape[0], stop - start)].astype(np.float32)
        block += rng.standard_normal(block.shape, dtype=np.float32) * noise
        block /= np.linalg.norm(block, axis=1, keepdims=True)
        out[start:stop] = block
    return out


def synthetic_bm25(real: Any, n: int, rng: np.random.Generator) -> Any:
    from knowledge.sparse import BM25Index

    vocab_size = len(real.vocab)
    tf_per_term = np.add.reduceat(np.asarray(real.post_tf, dtype=np.float64), np.asarray(real.offsets[:-1]))
    tf_per_term[np.diff(real.offsets) == 0] = 0
    p = tf_per_term / tf_per_term.sum()
    lengths = np.maximum(1, real.doc_len[rng.integers(0, real.doc_len.shape[0], n)]).astype(np.int64)
    keys_parts = []
    doc_base = 0
    for start in range(0, n, 100_000):
        stop = min(n, start + 100_000)
        lens = lengths[start:stop]
        docs = np.repeat(np.arange(start, stop, dtype=np.int64), lens)
        terms = rng.choice(vocab_size, size=docs.shape[0], p=p).astype(np.int64)
        keys_parts.append(np.unique(docs * vocab_size + terms))  # sorted by doc, then term
        doc_base = stop
    del doc_base
    keys = np.concatenate(keys_parts)
    del keys_parts
    docs = (keys // vocab_size).astype(np.int32)
    terms = (keys % vocab_size).astype(np.int32)
    # term frequency: the multiplicity was lost by unique(); draw it from the real tf distribution
    tf = rng.choice(np.asarray(real.post_tf, dtype=np.float32), size=keys.shape[0])
    del keys
    order = np.argsort(terms, kind="stable")
    post_docs = docs[order]
    post_tf = tf[order]
    counts = np.bincount(terms, minlength=vocab_size)
    offsets = np.zeros(vocab_size + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    doc_len = np.bincount(docs, weights=tf, minlength=n).astype(np.int32)
    return BM25Index(list(real.vocab), offsets, post_docs, post_tf, doc_len, k1=real.k1, b=real.b)


def synthetic_chunks(n: int, rng: np.random.Generator) -> list[Any]:
    from knowledge.types import Chunk

    internal = rng.random(n) < 0.10
    team_of = rng.integers(0, len(TEAMS), n)
    chunks = []
    for i in range(n):
        team = TEAMS[team_of[i]]
        if internal[i]:
            chunks.append(
                Chunk(f"s{i}#0", f"s{i}", "t", "t", "", audience="internal", team=team, allowed_teams=(team,))
            )
        else:
            chunks.append(Chunk(f"s{i}#0", f"s{i}", "t", "t", "", team=team))
    return chunks


def run_one(args: argparse.Namespace) -> dict[str, Any]:
    from knowledge.embedding import make_embedder
    from knowledge.index import KnowledgeIndex, load_index
    from knowledge.search import KnowledgeSearch
    from knowledge.sparse import Analyzer
    from knowledge.types import Reader
    from knowledge.vectors import FaissVectorIndex, make_vector_index

    n = args.one
    rng = np.random.default_rng(args.seed)
    real = load_index(ROOT / "var" / "index")
    questions = [json.loads(line)["question"] for line in (ROOT / args.questions).read_text().splitlines() if line]
    questions = [" ".join(q.split()) for q in questions][: args.queries]
    embedder = make_embedder(real.embedder_name)
    embedder.embed_queries(["warm up"])
    embed_times = []
    qvecs: dict[str, np.ndarray] = {}
    for q in questions:
        t0 = time.perf_counter()
        qvecs[q] = embedder.embed_queries([q])[0]
        embed_times.append(time.perf_counter() - t0)
    del embedder
    gc.collect()
    base_rss = rss_mb()

    t0 = time.perf_counter()
    embeddings = synthetic_embeddings(np.asarray(real.embeddings), n, rng, args.noise)
    bm25 = synthetic_bm25(real.bm25, n, rng)
    chunks = synthetic_chunks(n, rng)
    gen_s = time.perf_counter() - t0
    analyzer = Analyzer(real.manifest.get("analyzer_languages") or ("nl", "en"))
    fixed = FixedQueryEmbedder("bench-fixed", qvecs)
    readers = {"citizen": Reader.public(), "staff": Reader.staff(teams={"burgerzaken"})}
    result: dict[str, Any] = {
        "chunks": n,
        "postings": int(bm25.post_docs.shape[0]),
        "generate_s": round(gen_s, 1),
        "query_embed_ms": {
            "model": real.embedder_name,
            "p50": round(1000 * statistics.median(embed_times), 1),
            "p95": round(1000 * percentile(embed_times, 0.95), 1),
        },
        "kinds": {},
    }
    exact_dense: dict[tuple[str, str], np.ndarray] = {}
    exact_top5: dict[tuple[str, str], list[str]] = {}
    exact_index = None
    for kind in args.kinds.split(","):
        if kind == "hnsw" and n > args.hnsw_max:
            result["kinds"][kind] = {"skipped": f"HNSW build above {args.hnsw_max} chunks takes too long here"}
            continue
        gc.collect()
        before = rss_mb()
        t0 = time.perf_counter()
        vectors = (
            make_vector_index(embeddings, kind) if kind != "flat" else FaissVectorIndex.from_embeddings(embeddings)
        )
        build_s = time.perf_counter() - t0
        if kind == "flat":
            exact_index = vectors
        manifest = {"embedder": fixed.name, "analyzer_languages": list(analyzer.languages)}
        index = KnowledgeIndex(
            path=ROOT / "var" / "bench", manifest=manifest,
            documents={}, chunks=chunks, embed_keys=[], embeddings=embeddings, bm25=bm25, vectors=vectors,
        )  # fmt: skip
        search = KnowledgeSearch(index, fixed, analyzer=analyzer, bm25_threshold=0.0, dense_threshold=-1.0)
        entry: dict[str, Any] = {"build_s": round(build_s, 1), "index_rss_mb": round(rss_mb() - before)}
        for label, reader in readers.items():
            for q in questions[:10]:  # warm-up: spaCy, mask and stats caches
                search.search(q, reader=reader, k=5)
            times = []
            recall10, recall50, same_top5 = [], [], []
            mask = index.allowed_mask(reader)
            for q in questions:
                t0 = time.perf_counter()
                res = search.search(q, reader=reader, k=5)
                times.append(time.perf_counter() - t0)
                top5 = [h.chunk_id for h in res.hits]
                _, dense_ids = vectors.search(qvecs[q], 50, allowed=mask)
                if kind == "flat":
                    exact_dense[(label, q)] = dense_ids
                    exact_top5[(label, q)] = top5
                else:
                    if exact_index is not None and (label, q) not in exact_dense:
                        exact_dense[(label, q)] = exact_index.search(qvecs[q], 50, allowed=mask)[1]
                    truth = exact_dense.get((label, q))
                    if truth is not None and truth.shape[0]:
                        recall10.append(
                            len(set(dense_ids[:10].tolist()) & set(truth[:10].tolist())) / min(10, truth.shape[0])
                        )
                        recall50.append(len(set(dense_ids.tolist()) & set(truth.tolist())) / truth.shape[0])
                    if (label, q) in exact_top5:
                        same_top5.append(top5 == exact_top5[(label, q)])
            stats = {
                "p50_ms": round(1000 * statistics.median(times), 2),
                "p95_ms": round(1000 * percentile(times, 0.95), 2),
                "max_ms": round(1000 * max(times), 2),
            }
            if recall10:
                stats["dense_recall@10"] = round(float(np.mean(recall10)), 4)
                stats["dense_recall@50"] = round(float(np.mean(recall50)), 4)
            if same_top5:
                stats["fused_top5_identical"] = round(float(np.mean(same_top5)), 4)
            entry[label] = stats
        result["kinds"][kind] = entry
        if kind != "flat":
            del vectors
    result["rss_mb"] = round(rss_mb())
    result["rss_over_baseline_mb"] = round(rss_mb() - base_rss)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000,1000000")
    parser.add_argument("--kinds", default="flat,ivf,hnsw")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--hnsw-max", type=int, default=100_000)
    parser.add_argument("--noise", type=float, default=0.03, help="per-dimension noise added to real vectors")
    parser.add_argument("--questions", default="data/eval/retrieval_nl_en.jsonl")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true", help="print one JSON object per size only")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(args)))
        return 0
    for size in (int(s) for s in args.sizes.split(",")):
        cmd = [sys.executable, __file__, "--one", str(size), "--kinds", args.kinds, "--queries", str(args.queries),
               "--hnsw-max", str(args.hnsw_max), "--noise", str(args.noise), "--questions", args.questions,
               "--seed", str(args.seed)]  # fmt: skip
        started = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            print(f"size {size}: failed\n{proc.stderr[-2000:]}", file=sys.stderr)
            continue
        row = json.loads(proc.stdout.strip().splitlines()[-1])
        row["wall_s"] = round(time.perf_counter() - started, 1)
        if args.json:
            print(json.dumps(row), flush=True)
            continue
        print(f"== {size:,} chunks ({row['postings']:,} postings), RSS {row['rss_mb']} MB "
              f"(+{row['rss_over_baseline_mb']} MB for the index), query embedding "
              f"{row['query_embed_ms']['model']} p50 {row['query_embed_ms']['p50']} ms / "
              f"p95 {row['query_embed_ms']['p95']} ms", flush=True)  # fmt: skip
        for kind, entry in row["kinds"].items():
            if "skipped" in entry:
                print(f"   {kind:<5} skipped: {entry['skipped']}")
                continue
            for label in ("citizen", "staff"):
                s = entry[label]
                extra = ""
                if "dense_recall@10" in s:
                    extra = (f"  dense recall@10 {s['dense_recall@10']:.3f} @50 {s['dense_recall@50']:.3f}"
                             f"  fused top-5 identical {s.get('fused_top5_identical', float('nan')):.3f}")  # fmt: skip
                print(f"   {kind:<5} {label:<8} p50 {s['p50_ms']:7.2f} ms  p95 {s['p95_ms']:7.2f} ms{extra}"
                      f"  (build {entry['build_s']} s, +{entry['index_rss_mb']} MB)", flush=True)  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
