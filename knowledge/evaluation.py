"""Retrieval evaluation: recall@1, recall@5 and MRR of KnowledgeSearch on a labelled set.

A set is JSONL, one question per line::

    {"id": "nl-001", "lang": "nl", "question": "autowrak in de straat",
     "expected": ["achtergelaten-voertuig-melden"], "team": "handhaving", "style": "short",
     "reader": {"roles": ["staff"], "teams": ["handhaving"]}}      # optional; default: citizen

``expected`` holds document ids or URLs (a statute article's wetten.overheid.nl URL); a
question is answered at rank r when the r-th distinct document in the results matches any of
them. Searches run exactly as the api runs them, relevance threshold included: a question
for which search says "nothing relevant" counts as a miss.
"""

from __future__ import annotations

import json
import statistics
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from knowledge.search import KnowledgeSearch
from knowledge.types import Reader

Targets = dict[str, dict[str, float]]  # language -> {"recall@5": ..., "mrr": ...}
# The public pages' retrieval targets, and the statute search's (staff questions, issue targets).
TARGETS: Targets = {"nl": {"recall@5": 0.95, "mrr": 0.85}}
STATUTE_TARGETS: Targets = {"nl": {"recall@5": 0.95, "mrr": 0.80}}
DEPTH = 10  # ranks looked at for MRR (MRR@10)


@dataclass(frozen=True)
class Question:
    id: str
    question: str
    expected: tuple[str, ...]
    lang: str = "nl"
    team: str | None = None
    style: str | None = None
    reader: Reader = field(default_factory=Reader.public)


@dataclass
class Outcome:
    question: Question
    rank: int | None  # 1-based rank of the first expected document, None if not in the top DEPTH
    top: list[str]  # the distinct documents returned, best first (ids, or URLs for URL sets)
    seconds: float


def load_questions(path: Path | str) -> list[Question]:
    questions = []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        row = json.loads(line)
        expected = row.get("expected") or row.get("expected_urls")
        if isinstance(expected, str):
            expected = [expected]
        if not row.get("question") or not expected:
            raise ValueError(f"{path}:{n}: needs 'question' and 'expected'")
        reader_data = row.get("reader")
        reader = (
            Reader(
                roles=frozenset(reader_data.get("roles") or ["staff"]), teams=frozenset(reader_data.get("teams") or ())
            )
            if reader_data
            else Reader.public()
        )
        questions.append(
            Question(
                id=str(row.get("id") or n),
                question=row["question"],
                expected=tuple(expected),
                lang=row.get("lang", "nl"),
                team=row.get("team"),
                style=row.get("style"),
                reader=reader,
            )  # fmt: skip
        )
    return questions


def _matches(expected: tuple[str, ...], doc_id: str, url: str | None) -> bool:
    return doc_id in expected or (url is not None and url in expected)


def run_question(search: KnowledgeSearch, q: Question, depth: int = DEPTH) -> Outcome:
    started = time.perf_counter()
    # max_per_document hits per document: ask for enough hits to see `depth` distinct documents.
    result = search.search(q.question, reader=q.reader, k=depth * max(1, search.max_per_document))
    seconds = time.perf_counter() - started
    docs: list[tuple[str, str | None]] = []
    for hit in result.hits:
        if hit.doc_id not in (d for d, _ in docs):
            docs.append((hit.doc_id, hit.url))
    docs = docs[:depth]
    rank = next((i for i, (d, u) in enumerate(docs, 1) if _matches(q.expected, d, u)), None)
    return Outcome(q, rank, [d for d, _ in docs], seconds)


@dataclass
class Metrics:
    n: int
    recall_at_1: float
    recall_at_5: float
    mrr: float

    @classmethod
    def of(cls, outcomes: list[Outcome]) -> Metrics:
        n = len(outcomes)
        if not n:
            return cls(0, 0.0, 0.0, 0.0)
        ranks = [o.rank for o in outcomes]
        return cls(
            n=n,
            recall_at_1=round(sum(r == 1 for r in ranks) / n, 4),
            recall_at_5=round(sum(r is not None and r <= 5 for r in ranks) / n, 4),
            mrr=round(sum(1.0 / r for r in ranks if r) / n, 4),
        )

    def as_dict(self) -> dict[str, Any]:
        return {"n": self.n, "recall@1": self.recall_at_1, "recall@5": self.recall_at_5, "mrr": self.mrr}


@dataclass
class RetrievalReport:
    outcomes: list[Outcome]
    name: str = ""
    targets: Targets = field(default_factory=lambda: TARGETS)

    def _group(self, key: Callable[[Question], str | None]) -> dict[str, Metrics]:
        groups: dict[str, list[Outcome]] = defaultdict(list)
        for o in self.outcomes:
            groups[key(o.question) or "-"].append(o)
        return {k: Metrics.of(v) for k, v in sorted(groups.items())}

    def summary(self) -> dict[str, Any]:
        latencies = sorted(o.seconds for o in self.outcomes)
        return {
            "set": self.name,
            "overall": Metrics.of(self.outcomes).as_dict(),
            "per_language": {k: m.as_dict() for k, m in self._group(lambda q: q.lang).items()},
            "per_team": {k: m.as_dict() for k, m in self._group(lambda q: q.team).items()},
            "per_style": {k: m.as_dict() for k, m in self._group(lambda q: q.style).items()},
            "latency_ms": {
                "p50": round(1000 * statistics.median(latencies), 1) if latencies else None,
                "p95": round(1000 * latencies[int(0.95 * (len(latencies) - 1))], 1) if latencies else None,
            },
            "targets": self.targets,
            "meets_targets": self.meets_targets(),
        }

    def meets_targets(self) -> bool:
        per_lang = self._group(lambda q: q.lang)
        for lang, target in self.targets.items():
            m = per_lang.get(lang)
            if m is None:
                continue
            if m.recall_at_5 < target["recall@5"] or m.mrr < target["mrr"]:
                return False
        return True

    def misses(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.rank != 1]

    def format(self, show_errors: bool = True) -> str:
        def row(label: str, m: Metrics) -> str:
            return f"  {label:<28} {m.n:>4}  {m.recall_at_1:>6.3f}  {m.recall_at_5:>6.3f}  {m.mrr:>6.3f}"

        header = f"  {'':<28} {'n':>4}  {'R@1':>6}  {'R@5':>6}  {'MRR':>6}"
        lines = [f"Retrieval evaluation {self.name}".rstrip(), header, row("overall", Metrics.of(self.outcomes))]
        for title, key in (
            ("language", lambda q: q.lang),
            ("team", lambda q: q.team),
            ("style", lambda q: q.style),
        ):
            groups = self._group(key)
            if len(groups) > 1 or title == "team":
                lines.append(f"per {title}:")
                lines.extend(row(k, m) for k, m in groups.items())
        s = self.summary()
        lines.append(f"latency per query: p50 {s['latency_ms']['p50']} ms, p95 {s['latency_ms']['p95']} ms")
        for lang, target in self.targets.items():
            lines.append(
                f"targets ({lang}): recall@5 >= {target['recall@5']}, MRR >= {target['mrr']}: "
                + ("met" if self.meets_targets() else "NOT met")
            )
        if show_errors:
            misses = self.misses()
            if misses:
                lines.append(f"not first ({len(misses)}):")
                for o in misses:
                    got = ", ".join(o.top[:3]) or "(nothing relevant)"
                    lines.append(
                        f"  [{o.question.id}] rank {o.rank or '-'}: {o.question.question!r} "
                        f"expected {', '.join(o.question.expected)}; got {got}"
                    )
        return "\n".join(lines)


def evaluate(
    search: KnowledgeSearch,
    questions: Iterable[Question],
    *,
    name: str = "",
    progress: Callable[[int, int], None] | None = None,
    targets: Targets = TARGETS,
) -> RetrievalReport:
    questions = list(questions)
    outcomes = []
    for i, q in enumerate(questions, 1):
        outcomes.append(run_question(search, q))
        if progress is not None:
            progress(i, len(questions))
    return RetrievalReport(outcomes, name=name, targets=targets)
