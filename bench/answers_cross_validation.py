"""Cross-validated figures of the answer engine on the dev split, without Rasa in the loop.

    .venv/bin/python bench/answers_cross_validation.py [--without example_dense,...] [--folds 5] [--seeds 5] [--misses]

Every dev turn runs through the engine once (the NLU's intent per message comes from the trained
Rasa model, read once and kept in --intents). Then, per fold of conversations, the page and
section rankers, the answerability model and its thresholds are fitted on the other folds, as
`loket eval answers --fit` fits them on the whole split, and the held-out fold is decided with
them. `--without` leaves features out of every model, to measure what they add. The figures are
for first turns (follow-ups are answered on the page shown): right page and right section among
covered questions, covered refused, uncovered declined, out of scope answered, and the weighed
cost the thresholds minimise. Engine only: NLU routing to forms, referrals and the gateway's
checks are not in these figures (`loket eval answers` runs the whole chat path). `--seeds N` runs
N assignments of conversations to folds (the sorted one and N − 1 shuffled ones) and reports each
figure's mean and range. Which questions share a fold alone moves a figure: over 5 assignments of
the dev split the weighed cost ranged 0.142–0.154 and covered refused 0.067–0.086, so a change
smaller than that is not shown to help by one assignment.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import statistics
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from api.operations.answer_eval import DEV_SET, load_cases, running_stack  # noqa: E402
from api.operations.answer_fitting import (  # noqa: E402
    ANSWERABILITY_C,
    NEGATIVE_KINDS,
    RANKER_C,
    SEVERITY,
    THRESHOLD_INTENTS,
    TRAFFIC,
    Observation,
    choose_thresholds,
    kind_of,
    observe,
    out_of_fold_probabilities,
    ranker_examples,
)
from api.services.citizen_answers import CitizenAnswers  # noqa: E402
from api.services.knowledge_service import open_knowledge  # noqa: E402
from api.settings import Settings  # noqa: E402
from knowledge.answerability import EVIDENCE_FEATURES, Evidence, LinearModel, fit_linear, fit_pairwise  # noqa: E402
from knowledge.answers import PAGE_FEATURES, SECTION_FEATURES  # noqa: E402
from knowledge.chunking import heading_of  # noqa: E402


def intents_for(settings: Settings, cases: Sequence, cache: Path) -> dict[str, str | None]:
    if cache.exists():
        return json.loads(cache.read_text(encoding="utf-8"))
    questions = {(turn.question, case.lang) for case in cases for turn in case.turns}
    with running_stack(settings, echo=lambda line: print(line, file=sys.stderr)) as driver:
        intents = {text: driver.parse(text, language=language)[0] for text, language in sorted(questions)}
    cache.write_text(json.dumps(intents, ensure_ascii=False), encoding="utf-8")
    return intents


def decide(obs: Observation, pages: LinearModel, sections: LinearModel) -> tuple[str, str, dict[str, float]]:
    """The page, section and decision evidence the fold's rankers give this observation."""
    ranked = []
    for page in obs.answer.ranked:
        best = max(page.sections, key=lambda s: sections.score(s.features))
        ranked.append((pages.score(page.features), page, best))
    ranked.sort(key=lambda item: -item[0])
    score, page, best = ranked[0]
    values = obs.answer.evidence.values
    evidence = Evidence.of(
        page=page.features,
        section=best.features,
        page_score=score,
        page_margin=score - ranked[1][0] if len(ranked) > 1 else 1.0,
        section_score=sections.score(best.features),
        query_terms=round(math.expm1(values["query_terms"])),  # stored as log1p(count)
        follow_up=values["follow_up"] > 0,
        uncovered_topic=values["uncovered_topic"] > 0,
    )
    return page.doc_id, heading_of(best.hit.section), evidence.values


@dataclass
class Figures:
    """The cross-validated figures of one assignment of conversations to folds."""

    page: float
    section: float
    refused: float
    declined: float
    out_of_scope: float
    cost: float
    covered: int
    uncovered: int
    out_of_scope_messages: int
    follow_up: tuple[float, float, int]  # right page, right section, turns
    thresholds: list[dict[str, float]]


def fold_assignment(case_ids: Sequence[str], folds: int, seed: int) -> dict[str, int]:
    """Conversations to folds: in sorted order for seed 0 (the figures the docs quote), shuffled
    for the others, so that the spread over seeds shows how much the split alone moves a figure."""
    order = sorted(case_ids)
    if seed:
        random.Random(seed).shuffle(order)
    return {case: i % folds for i, case in enumerate(order)}


def cross_validate(
    observations: Sequence[Observation],
    fold_of: dict[str, int],
    *,
    folds: int,
    features: tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]],
    misses: bool = False,
) -> Figures:
    page_features, section_features, evidence_features = features
    outcome: dict[int, tuple[bool, bool, bool]] = {}  # observation → (shown, right page, right section)
    chosen = []
    for fold in range(folds):
        train = [o for o in observations if fold_of[o.case_id] != fold]
        page_groups, section_groups = ranker_examples(train)
        pages = fit_pairwise(page_groups, page_features, c=RANKER_C)
        sections = fit_pairwise(section_groups, section_features, c=RANKER_C)
        decided = {id(o): decide(o, pages, sections) for o in observations}
        evidence = [decided[id(o)][2] for o in train]
        labels = [o.kind not in NEGATIVE_KINDS for o in train]
        decision = fit_linear(evidence, labels, evidence_features, c=ANSWERABILITY_C)
        held_out = out_of_fold_probabilities(evidence, labels, [o.case_id for o in train], features=evidence_features)
        thresholds = choose_thresholds(train, held_out)
        for o in observations:
            if fold_of[o.case_id] != fold:
                continue
            doc_id, heading, values = decided[id(o)]
            key = o.intent if o.intent in THRESHOLD_INTENTS else "default"
            shown = o.follow_up or decision.probability(values) >= thresholds.get(str(key), thresholds["default"])
            right_page = any(e.page == doc_id for e in o.expected)
            right_section = any(e.page == doc_id and e.section == heading for e in o.expected)
            outcome[id(o)] = (shown, right_page, right_section)
            if misses and o.kind == "answerable" and not o.follow_up and shown and not right_section:
                want = "; ".join(f"{e.page} › {e.section or '(opening)'}" for e in o.expected)
                print(f"  {o.question!r}\n      got {doc_id} › {heading or '(opening)'}\n      want {want}")
        chosen.append(thresholds)

    def rate(kind: str, test) -> tuple[float, int]:
        members = [o for o in observations if o.kind == kind and not o.follow_up]
        return (sum(test(outcome[id(o)]) for o in members) / len(members) if members else 0.0, len(members))

    page, n = rate("answerable", lambda r: r[0] and r[1])
    section, _ = rate("answerable", lambda r: r[0] and r[2])
    refused, _ = rate("answerable", lambda r: not r[0])
    declined, n_unc = rate("uncovered", lambda r: not r[0])
    oos, n_oos = rate("out_of_scope", lambda r: r[0])
    follow = [outcome[id(o)] for o in observations if o.follow_up and o.expected]
    errors = {kind: 0 for kind in TRAFFIC}
    totals = {kind: 0 for kind in TRAFFIC}
    for o in observations:
        shown, right_page, _ = outcome[id(o)]
        totals[kind_of(o)] += 1
        errors[kind_of(o)] += int(shown if o.kind in NEGATIVE_KINDS else not shown or not right_page)
    cost = sum(TRAFFIC[k] * SEVERITY[k] * errors[k] / totals[k] for k in TRAFFIC if totals[k])
    follow_up = (
        (sum(r[1] for r in follow) / len(follow), sum(r[2] for r in follow) / len(follow), len(follow))
        if follow
        else (0.0, 0.0, 0)
    )
    return Figures(page, section, refused, declined, oos, cost, n, n_unc, n_oos, follow_up, chosen)


def report(figures: Figures) -> None:
    print(
        f"  covered questions ({figures.covered}): right page {figures.page:.3f}"
        f"  right section {figures.section:.3f}  refused {figures.refused:.3f}"
    )
    print(
        f"  uncovered declined ({figures.uncovered}) {figures.declined:.3f}"
        f"   out of scope answered ({figures.out_of_scope_messages}) {figures.out_of_scope:.3f}"
    )
    page, section, turns = figures.follow_up
    if turns:
        print(f"  follow-up turns ({turns}): right page {page:.3f}  right section {section:.3f}")
    print(f"  weighed cost {figures.cost:.3f}   thresholds per fold {figures.thresholds}")


def report_spread(runs: Sequence[Figures]) -> None:
    """Mean, lowest and highest of each figure over the fold assignments."""
    print(f"over {len(runs)} fold assignments (mean, lowest–highest):")
    for name in ("page", "section", "refused", "declined", "out_of_scope", "cost"):
        values = [getattr(run, name) for run in runs]
        print(f"  {name:13s} {statistics.fmean(values):.3f}  {min(values):.3f}–{max(values):.3f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", default=str(DEV_SET))
    parser.add_argument("--intents", default="/tmp/loket-dev-intents.json", help="cache of the NLU's intents")
    parser.add_argument("--without", default="", help="features to leave out, comma-separated")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument(
        "--seeds", type=int, default=1, help="fold assignments to run (1: the sorted one; more: shuffled ones as well)"
    )
    parser.add_argument("--misses", action="store_true", help="list covered first turns answered from a wrong section")
    args = parser.parse_args()
    left_out = {f for f in args.without.split(",") if f}
    features = (
        tuple(f for f in PAGE_FEATURES if f not in left_out),
        tuple(f for f in SECTION_FEATURES if f not in left_out),
        tuple(f for f in EVIDENCE_FEATURES if f not in left_out),
    )

    settings = Settings()
    cases = load_cases(Path(args.set))
    intents = intents_for(settings, cases, Path(args.intents))
    answers = CitizenAnswers.open(open_knowledge(settings).search, answers_dir=settings.answers_dir)
    answers.engine.warm_up()
    observations = [o for o in observe(answers, cases, intents) if o.answer.evidence is not None]
    case_ids = sorted({o.case_id for o in observations})

    without = sorted(left_out) or "-"
    runs = []
    for seed in range(max(1, args.seeds)):
        fold_of = fold_assignment(case_ids, args.folds, seed)
        runs.append(
            cross_validate(observations, fold_of, folds=args.folds, features=features, misses=args.misses and not seed)
        )
        print(
            f"{args.folds}-fold cross-validated on {Path(args.set).name}, engine only, without: {without}, seed {seed}:"
        )
        report(runs[-1])
    if len(runs) > 1:
        report_spread(runs)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
