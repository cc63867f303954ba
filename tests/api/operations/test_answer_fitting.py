"""Fitting the answer engine: examples for the rankers, thresholds per intent, the test split refused."""

from __future__ import annotations

import argparse

from api.operations.answer_eval import TEST_SET, Expected
from api.operations.answer_fitting import (
    ANSWERABILITY_C,
    Observation,
    choose_thresholds,
    out_of_fold_probabilities,
    ranker_examples,
)
from api.operations.cli import cmd_fit_answers
from api.settings import Settings
from knowledge.answerability import EVIDENCE_FEATURES, fit_linear
from knowledge.answers import Answer, RankedPage, ScoredPassage
from knowledge.types import Hit


def hit(doc_id: str, heading: str) -> Hit:
    section = f"{doc_id} › {heading}" if heading else doc_id
    return Hit(
        doc_id=doc_id, title=doc_id, section=section, url=None, audience="public", team=None, score=0.0, passage=""
    )


def page(doc_id: str, *headings: str) -> RankedPage:
    sections = tuple(ScoredPassage(hit(doc_id, h), {"dense_gap": -i / 10}, -i) for i, h in enumerate(headings))
    return RankedPage(doc_id, {"dense": 0.9}, 1.0, sections)


def observation(
    kind: str, *, intent: str | None = None, right: bool = True, pages: tuple[RankedPage, ...] = ()
) -> Observation:
    shown = hit("paspoort", "Kosten") if right else hit("rijbewijs", "Kosten")
    answer = Answer(answerable=True, score=0.5, hit=shown, ranked=pages)
    expected = (Expected("paspoort", "Kosten"),) if kind == "answerable" else ()
    return Observation("id", kind, "vraag", answer, expected, intent)


def test_ranker_examples_label_pages_and_the_sections_of_the_right_page() -> None:
    pages = (page("rijbewijs", "", "Kosten"), page("paspoort", "", "Kosten", "Aanvragen"))
    page_groups, section_groups = ranker_examples([observation("answerable", pages=pages)])
    assert page_groups == [([{"dense": 0.9}, {"dense": 0.9}], [False, True])]
    [(rows, labels)] = section_groups
    assert labels == [False, True, False] and len(rows) == 3


def test_questions_without_a_right_candidate_teach_nothing() -> None:
    pages = (page("rijbewijs", "", "Kosten"),)
    assert ranker_examples([observation("answerable", pages=pages), observation("uncovered")]) == ([], [])


def test_thresholds_weigh_each_error_by_its_target() -> None:
    # Answerable questions score 0.6-0.9; out-of-scope ones 0.2-0.55. One uncovered at 0.45.
    observations = [observation("answerable") for _ in range(10)] + [observation("out_of_scope") for _ in range(10)]
    observations.append(observation("uncovered"))
    probabilities = [0.6 + 0.03 * i for i in range(10)] + [0.2 + 0.035 * i for i in range(10)] + [0.45]
    thresholds = choose_thresholds(observations, probabilities)
    # Above every out-of-scope score (tolerance 0.03) and below every answerable one.
    assert 0.515 < thresholds["default"] <= 0.6


def test_each_intent_group_gets_its_own_threshold() -> None:
    questions = [observation("answerable") for _ in range(4)]
    chit_chat = [observation("out_of_scope", intent="out_of_scope") for _ in range(4)]
    thresholds = choose_thresholds(questions + chit_chat, [0.3] * 4 + [0.7] * 4)
    assert thresholds["default"] <= 0.3 and thresholds["out_of_scope"] > 0.7


def test_chit_chat_and_messages_not_understood_are_never_held_to_a_laxer_threshold_than_questions() -> None:
    # Questions score 0.5-0.88 and nothing else among them: the default threshold lands at 0.5.
    # Each of the other groups holds one covered question at 0.2 and one stray message at 0.1: on
    # those alone 0.15 would be cheapest. A report may get it; chit-chat and not understood may not.
    questions = [observation("answerable") for _ in range(20)]
    chit_chat = [observation("out_of_scope") for _ in range(20)]
    groups = ("out_of_scope", "nlu_fallback", "report_problem")
    odd = [observation("answerable", intent=intent) for intent in groups]
    strays = [observation("out_of_scope", intent=intent) for intent in groups]
    scores = [0.5 + 0.02 * i for i in range(20)] + [0.1] * 20 + [0.2] * 3 + [0.1] * 3
    thresholds = choose_thresholds(questions + chit_chat + odd + strays, scores)
    assert 0.1 < thresholds["default"] <= 0.5
    assert thresholds["out_of_scope"] >= thresholds["default"]
    assert thresholds["nlu_fallback"] >= thresholds["default"]
    assert thresholds["report_problem"] < thresholds["default"]  # a statement scores lower; no floor


def test_fitting_refuses_the_test_split() -> None:
    args = argparse.Namespace(set=str(TEST_SET))
    assert cmd_fit_answers(Settings(), args) == 2


def test_thresholds_do_not_depend_on_how_many_dev_questions_a_kind_has() -> None:
    questions = [observation("answerable") for _ in range(10)]
    chit_chat = [observation("out_of_scope") for _ in range(4)]
    scores = [0.4 + 0.05 * i for i in range(10)]
    once = choose_thresholds(questions + chit_chat, scores + [0.3, 0.42, 0.5, 0.6])
    five_times = choose_thresholds(questions + chit_chat * 5, scores + [0.3, 0.42, 0.5, 0.6] * 5)
    assert once == five_times


def test_a_few_questions_in_an_intent_group_do_not_open_it_to_its_chit_chat() -> None:
    # 100 covered questions, of which the NLU took 2 for out of scope; 40 out-of-scope messages.
    # Letting the 2 through would show 20 out-of-scope messages a passage: those 2 questions are
    # 2 % of the covered questions, not the whole of them.
    questions = [observation("answerable") for _ in range(98)]
    odd_questions = [observation("answerable", intent="out_of_scope") for _ in range(2)]
    chit_chat = [observation("out_of_scope", intent="out_of_scope") for _ in range(40)]
    scores = [0.8] * 98 + [0.35] * 2 + [0.4] * 20 + [0.1] * 20
    thresholds = choose_thresholds(questions + odd_questions + chit_chat, scores)
    assert thresholds["out_of_scope"] > 0.4


def test_thresholds_are_chosen_on_probabilities_from_models_fitted_without_the_case() -> None:
    """A covered question that looks uncovered (low similarity) gets a confident probability from a
    model fitted on it, and an honest low one from the models fitted on the other cases."""
    evidence, labels, cases = [], [], []
    for i in range(40):
        covered = i % 2 == 0
        evidence.append({"dense": (0.9 if covered else 0.7) + (i % 5) / 100})
        labels.append(covered)
        cases.append(f"case-{i:02d}")
    evidence.append({"dense": 0.7})  # the odd one: covered, yet as similar as the uncovered ones
    labels.append(True)
    cases.append("odd")
    evidence.append({"dense": 0.95})  # its follow-up turn, in the same conversation
    labels.append(True)
    cases.append("odd")
    in_sample = fit_linear(evidence, labels, EVIDENCE_FEATURES, c=ANSWERABILITY_C)
    held_out = out_of_fold_probabilities(evidence, labels, cases)
    assert len(held_out) == len(evidence)
    assert held_out[-2] < in_sample.probability(evidence[-2])
    assert held_out[-2] < 0.5 < held_out[-1]  # the follow-up was left out with it, and still looks covered
    assert all(p > 0.5 for p, covered in zip(held_out[:40], labels[:40], strict=True) if covered)
