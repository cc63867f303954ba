"""`loket eval answers --fit`: fit the answer engine's section ranker and answerability model on
the dev split, and choose the answer thresholds per NLU intent. Never run on the test split.

The engine runs directly (no Rasa) on every dev question; the NLU's intent for each question
comes from the trained Rasa model (its parse endpoint), because the thresholds depend on it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from api.operations.answer_eval import Case, Expected
from api.services.citizen_answers import CitizenAnswers
from knowledge.answerability import EVIDENCE_FEATURES, LinearModel, fit_linear, fit_pairwise
from knowledge.answers import PAGE_FEATURES, SECTION_FEATURES, Answer
from knowledge.chunking import heading_of

# Intents whose messages the NLU took for something other than a question: each gets its own
# threshold; every other intent (questions, follow-ups, ...) shares "default".
THRESHOLD_INTENTS = ("out_of_scope", "nlu_fallback", "report_problem", "file_complaint")
# A message the NLU took for chit-chat or did not understand is never held to a laxer threshold
# than a question: on the few dev messages of these groups the cheapest threshold fell to 0.15
# once, and "wil jij met mij trouwen lieve chatbot" got the wedding page.
STRICTER_INTENTS = ("out_of_scope", "nlu_fallback")
NEGATIVE_KINDS = ("uncovered", "out_of_scope", "external")
# What a wrong decision costs: a refused (or wrong-page) answer and an answered uncovered
# question cost the citizen the same; a passage shown for chit-chat or for a national
# organisation's question misleads more.
SEVERITY = {"answerable": 1.0, "uncovered": 1.0, "out_of_scope": 3.0, "external": 1.5}
# How often each kind reaches the chat (an assumed mix of real traffic). Each kind's error *rate*
# is weighed by it, so the threshold does not depend on how many dev questions of each kind
# there are: with plain counts, adding hard out-of-scope dev messages pushed it up until a
# third of the covered questions got refused.
TRAFFIC = {"answerable": 0.70, "uncovered": 0.10, "out_of_scope": 0.15, "external": 0.05}
GRID = tuple(round(0.05 * i, 2) for i in range(1, 20))
# The page and section rankers' regularisation, chosen by 5-fold cross-validation on the dev split
# over 5 assignments of conversations to folds (bench/answers_cross_validation.py; weighed cost
# 0.160 at C = 1, 0.149 at 0.01; right section 0.798 and 0.817). At C = 1 the weights of correlated
# similarities swapped signs from one fit to the next (the page ranker's `dense` 0.76, then -27
# after 53 more dev cases).
RANKER_C = 0.01
# The answerability model's regularisation, chosen by 5-fold cross-validation on the dev split
# (the weighed cost below: 0.213 at 0.1, 0.221 at 1, 0.234 at 10).
ANSWERABILITY_C = 0.1
# The thresholds are chosen on out-of-fold probabilities: a model scores the questions it was fitted
# on too confidently, so a threshold chosen on those moves by a grid step whenever a feature changes.
THRESHOLD_FOLDS = 5


@dataclass
class Observation:
    case_id: str
    kind: str
    question: str
    answer: Answer
    expected: tuple[Expected, ...]
    intent: str | None
    follow_up: bool = False

    @property
    def right_page(self) -> bool:
        return self.answer.hit is not None and any(e.page == self.answer.hit.doc_id for e in self.expected)


@dataclass
class FitReport:
    page_ranker: LinearModel
    section_ranker: LinearModel
    answerability: LinearModel
    thresholds: dict[str, float]


def observe(answers: CitizenAnswers, cases: Sequence[Case], intents: Mapping[str, str | None]) -> list[Observation]:
    """Every dev turn through the engine; follow-up turns keep the engine's own previous topic."""
    observations = []
    for case in cases:
        if case.kind == "after_answer":  # chit-chat after an answer: nothing to rank or to answer
            continue
        topic = None
        for index, turn in enumerate(case.turns):
            follow_up = index > 0
            intent = intents.get(turn.question)
            answer = answers.answer(
                turn.question,
                language=case.lang,
                topic=topic if follow_up else None,
                follow_up=follow_up,
                intent=intent if intent in THRESHOLD_INTENTS else None,
            )
            topic = answer.topic or topic
            observations.append(
                Observation(case.id, case.kind, turn.question, answer, turn.expected, intent, follow_up)
            )
    return observations


Group = tuple[list[dict[str, float]], list[bool]]


def ranker_examples(observations: Sequence[Observation]) -> tuple[list[Group], list[Group]]:
    """Per answerable question: its candidate pages labelled right or wrong, and the sections
    of each right page labelled right or wrong (questions without a right candidate teach nothing)."""
    page_groups: list[Group] = []
    section_groups: list[Group] = []
    for obs in observations:
        if not obs.expected:
            continue
        pages = obs.answer.ranked
        right_pages = [any(e.page == page.doc_id for e in obs.expected) for page in pages]
        if any(right_pages) and not all(right_pages):
            page_groups.append(([page.features for page in pages], right_pages))
        for page, is_right in zip(pages, right_pages, strict=True):
            if not is_right:
                continue
            right = [
                any(e.page == page.doc_id and e.section == heading_of(s.hit.section) for e in obs.expected)
                for s in page.sections
            ]
            if any(right) and not all(right):
                section_groups.append(([s.features for s in page.sections], right))
    return page_groups, section_groups


def kind_of(obs: Observation) -> str:
    return obs.kind if obs.kind in TRAFFIC else "answerable"  # a follow-up counts as a question


def choose_thresholds(observations: Sequence[Observation], probabilities: Sequence[float]) -> dict[str, float]:
    """Per intent group, the threshold with the lowest expected cost on real traffic: each kind's
    errors in the group, as a share of all dev messages of that kind, weighed by how often the
    kind comes and how much its error costs. The groups' costs add up to the cost of the whole
    mix, so each group's threshold can be chosen on its own. (A share of the group's own members
    would weigh the ten covered questions the NLU took for out of scope as heavily as all covered
    questions, and open the door to out-of-scope traffic.)"""
    totals: dict[str, int] = {}
    for obs in observations:
        totals[kind_of(obs)] = totals.get(kind_of(obs), 0) + 1
    groups: dict[str, list[tuple[Observation, float]]] = {}
    for obs, p in zip(observations, probabilities, strict=True):
        key = obs.intent if obs.intent in THRESHOLD_INTENTS else "default"
        groups.setdefault(str(key), []).append((obs, p))
    thresholds: dict[str, float] = {}
    # The default group first: the groups that must not be laxer than it are chosen above it.
    for key, members in sorted(groups.items(), key=lambda item: item[0] != "default"):

        def cost(threshold: float, members: list[tuple[Observation, float]] = members) -> float:
            errors: dict[str, int] = {}
            for obs, p in members:
                shown = p >= threshold
                # Answerable or follow-up: refusing is wrong, and so is a wrong page shown.
                wrong = shown if obs.kind in NEGATIVE_KINDS else not shown or not obs.right_page
                errors[kind_of(obs)] = errors.get(kind_of(obs), 0) + int(wrong)
            return sum(TRAFFIC[kind] * SEVERITY[kind] * count / totals[kind] for kind, count in errors.items())

        floor = thresholds.get("default", 0.0) if key in STRICTER_INTENTS else 0.0
        grid = [t for t in GRID if t >= floor]
        thresholds[key] = min(grid, key=lambda t: (round(cost(t), 9), abs(t - 0.5)))
    thresholds.setdefault("default", 0.5)
    return thresholds


def out_of_fold_probabilities(
    evidence: Sequence[Mapping[str, float]],
    labels: Sequence[bool],
    case_ids: Sequence[str],
    *,
    folds: int = THRESHOLD_FOLDS,
    features: tuple[str, ...] = EVIDENCE_FEATURES,
) -> list[float]:
    """Each turn's answerability probability from a model fitted without its case (all turns of a
    conversation stay in one fold, so a follow-up does not vouch for its own first turn)."""
    cases = sorted(set(case_ids))
    fold_of = {case: i % folds for i, case in enumerate(cases)}
    probabilities = [0.0] * len(evidence)
    for fold in range(folds):
        train = [i for i, case in enumerate(case_ids) if fold_of[case] != fold]
        model = fit_linear([evidence[i] for i in train], [labels[i] for i in train], features, c=ANSWERABILITY_C)
        for i, case in enumerate(case_ids):
            if fold_of[case] == fold:
                probabilities[i] = model.probability(evidence[i])
    return probabilities


def fit(
    answers: CitizenAnswers,
    cases: Sequence[Case],
    intents: Mapping[str, str | None],
    *,
    echo: Callable[[str], None] = print,
) -> FitReport:
    """Ranker first (it decides the evidence), then answerability on the new ranker's evidence."""
    engine = answers.engine
    observations = observe(answers, cases, intents)
    page_groups, section_groups = ranker_examples(observations)
    engine.page_ranker = fit_pairwise(page_groups, PAGE_FEATURES, c=RANKER_C)
    engine.section_ranker = fit_pairwise(section_groups, SECTION_FEATURES, c=RANKER_C)
    echo(f"rankers fitted: pages on {len(page_groups)} questions, sections on {len(section_groups)}")

    observations = observe(answers, cases, intents)
    evidence = [o.answer.evidence.values for o in observations if o.answer.evidence is not None]
    usable = [o for o in observations if o.answer.evidence is not None]
    labels = [o.kind not in NEGATIVE_KINDS for o in usable]
    answerability = fit_linear(evidence, labels, EVIDENCE_FEATURES, c=ANSWERABILITY_C)
    probabilities = out_of_fold_probabilities(evidence, labels, [o.case_id for o in usable])
    thresholds = choose_thresholds(usable, probabilities)
    return FitReport(
        page_ranker=engine.page_ranker,
        section_ranker=engine.section_ranker,
        answerability=answerability,
        thresholds=thresholds,
    )


def write_models(path: Path, *, embedder: str, report: FitReport, source: str, cases: int) -> None:
    """Store the fitted models for `embedder`, keeping other embedders' entries."""
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else {}
    data = data or {}
    models = data.setdefault("models", {})
    models[embedder] = {
        "fitted_on": f"{source} ({cases} cases, {date.today().isoformat()})",
        "page_ranker": report.page_ranker.to_json(),
        "section_ranker": report.section_ranker.to_json(),
        "answerability": {**report.answerability.to_json(), "thresholds": report.thresholds},
    }
    header = (
        "# The answer engine's fitted models per embedding model (knowledge/answers.py,\n"
        "# knowledge/answerability.py). Written by `loket eval answers --fit` from the dev split;\n"
        "# do not edit by hand, refit after changing the corpus, the features or the dev set.\n"
    )
    path.write_text(header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
