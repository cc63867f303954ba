"""`loket eval answers` without a server: the set, classifying a turn, the figures."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from api.operations.answer_eval import (
    AnswerSetError,
    Case,
    CaseResult,
    Expected,
    Turn,
    TurnOutcome,
    check_against_corpus,
    classify_turn,
    corpus_sections,
    error_outcome,
    load_cases,
    parse_cases,
    score,
)
from api.operations.cli import main
from knowledge.types import Document

PASSPORT = [{"page": "paspoort-aanvragen", "section": "Kosten"}, {"page": "paspoort-aanvragen-en", "section": "Costs"}]


def jsonl(*rows: Any) -> list[str]:
    return [row if isinstance(row, str) else json.dumps(row) for row in rows]


# ---------------------------------------------------------------------------- the set


def test_every_kind_is_read() -> None:
    cases = parse_cases(
        jsonl(
            {"id": "a", "kind": "answerable", "lang": "nl", "question": "Wat kost een paspoort?", "expected": PASSPORT},
            "",
            {"id": "u", "kind": "uncovered", "lang": "en", "question": "Can I keep a camel?"},
            {"id": "o", "kind": "out_of_scope", "lang": "nl", "question": "Wie wint de Tour?"},
            {"id": "e", "kind": "external", "lang": "nl", "question": "Huurtoeslag?", "org": "belastingdienst"},
            {
                "id": "f",
                "kind": "followup",
                "lang": "nl",
                "turns": [
                    {"question": "Paspoort aanvragen?", "expected": [{"page": "paspoort-aanvragen", "section": ""}]},
                    {"question": "En wat kost het?", "expected": PASSPORT[:1]},
                ],
            },  # fmt: skip
        )
    )
    assert [c.kind for c in cases] == ["answerable", "uncovered", "out_of_scope", "external", "followup"]
    assert cases[0].turns[0].expected == (
        Expected("paspoort-aanvragen", "Kosten"),
        Expected("paspoort-aanvragen-en", "Costs"),
    )
    assert cases[1].turns[0].expected == () and cases[1].lang == "en"
    assert cases[3].org == "belastingdienst"
    assert [t.question for t in cases[4].turns] == ["Paspoort aanvragen?", "En wat kost het?"]
    assert cases[4].turns[0].expected == (Expected("paspoort-aanvragen", ""),)
    assert cases[4].line == 6  # the blank line counts: errors name the line in the file


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ('{"id": "x", "kind": "answerable",', "not valid JSON"),
        ({"id": "x", "kind": "faq", "lang": "nl", "question": "q"}, "'kind' must be one of"),
        ({"id": "x", "kind": "uncovered", "lang": "de", "question": "q"}, "'lang' must be one of"),
        ({"id": "x", "kind": "uncovered", "lang": "nl", "question": " "}, "'question' must be a non-empty string"),
        ({"id": "x", "kind": "answerable", "lang": "nl", "question": "q", "expected": []}, "'expected' must be"),
        (
            {"id": "x", "kind": "answerable", "lang": "nl", "question": "q", "expected": [{"page": "p"}]},
            "needs a 'section'",
        ),
        ({"id": "x", "kind": "external", "lang": "nl", "question": "q", "org": "ind"}, "'org' must be one of"),
        (
            {"id": "x", "kind": "followup", "lang": "nl", "turns": [{"question": "q", "expected": PASSPORT}]},
            "at least 2",
        ),
        (
            {"id": "x", "kind": "followup", "lang": "nl", "turns": [{"question": "q", "expected": PASSPORT}, {}]},
            "x) turn 2: 'question'",
        ),
        ({"id": "a", "kind": "uncovered", "lang": "nl", "question": "again"}, "duplicate id 'a' (also on line 1)"),
        ([1, 2], "must be a JSON object"),
    ],
)
def test_a_bad_line_is_named_with_its_number(bad: Any, message: str) -> None:
    good = {"id": "a", "kind": "uncovered", "lang": "nl", "question": "q"}
    with pytest.raises(AnswerSetError) as error:
        parse_cases(jsonl(good, bad), name="set.jsonl")
    assert str(error.value).startswith("set.jsonl:2")
    assert message in str(error.value)


def test_an_empty_or_missing_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(AnswerSetError, match="no cases"):
        parse_cases(["", "  "])
    with pytest.raises(AnswerSetError, match="cannot read"):
        load_cases(tmp_path / "absent.jsonl")


def test_expected_pages_and_sections_are_checked_against_the_public_documents() -> None:
    documents = [
        Document(
            id="paspoort-aanvragen", title="Paspoort aanvragen",
            body="# Paspoort aanvragen\n\nIntro.\n\n## Kosten\n\nVeel.\n\n### Spoed\n\nMeer.\n",
        ),
        Document(id="werkinstructie", title="Werkinstructie", audience="internal", body="## Stap 1\n\nDoe iets.\n"),
    ]  # fmt: skip
    sections = corpus_sections(documents)
    assert sections == {"paspoort-aanvragen": {"", "Kosten", "Spoed"}}

    def case(line: int, page: str, section: str) -> Case:
        return Case(f"c{line}", "answerable", "nl", (Turn("q", (Expected(page, section),)),), line=line)

    problems = check_against_corpus(
        [
            case(1, "paspoort-aanvragen", ""),
            case(2, "paspoort-aanvragen", "Spoed"),
            case(3, "paspoort-aanvragen", "Costs"),
            case(4, "werkinstructie", "Stap 1"),
            case(5, "pasport-aanvragen", "Kosten"),
        ],
        sections,
        name="s.jsonl",
    )
    assert len(problems) == 3
    assert problems[0].startswith("s.jsonl:3 (c3): paspoort-aanvragen has no section 'Costs'")
    assert problems[1] == "s.jsonl:4 (c4): 'werkinstructie' is not a public document"
    assert problems[2] == "s.jsonl:5 (c5): 'pasport-aanvragen' is not a public document"


def test_the_command_refuses_a_bad_set_before_starting_anything(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "a", "kind": "uncovered", "lang": "nl", "question": "q"}\n{"id": "b"}\n')
    assert main(["eval", "answers", "--set", str(bad)]) == 2
    assert f"{bad}:2 (b): 'kind' must be one of" in capsys.readouterr().err

    typo = tmp_path / "typo.jsonl"
    typo.write_text(json.dumps({"id": "t", "kind": "answerable", "lang": "nl", "question": "q",
                                "expected": [{"page": "paspoort-aanvragen", "section": "Prijs"}]}) + "\n")  # fmt: skip
    assert main(["eval", "answers", "--set", str(typo)]) == 2
    assert "paspoort-aanvragen has no section 'Prijs'" in capsys.readouterr().err


# -------------------------------------------------------------------- classifying a turn


def user(text: str) -> dict[str, Any]:
    return {"event": "user", "text": text, "metadata": {"language": "nl"}}


def action(name: str) -> dict[str, Any]:
    return {"event": "action", "name": name, "policy": "RulePolicy", "confidence": 1.0}


def bot(text: str, utter: str | None = None, custom: dict[str, Any] | None = None) -> dict[str, Any]:
    metadata = {"utter_action": utter, "model_id": "m"} if utter else {"model_id": "m"}
    return {"event": "bot", "text": text, "metadata": metadata, "data": {"custom": custom}}


def tracker(*events: dict[str, Any], active_loop: str | None = None) -> dict[str, Any]:
    start = [action("action_session_start"), {"event": "session_started"}, action("action_listen")]
    return {"events": start + list(events), "active_loop": {"name": active_loop} if active_loop else {}}


def reply(*messages: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"author": "citizen", "text": "vraag", "sources": []}, *messages]


def source(doc_id: str, title: str, section: str) -> dict[str, Any]:
    return {"title": title, "section": section, "url": f"/documents/{doc_id}", "doc_id": doc_id}


ANSWER_EVENTS = (
    user("Wat kost een paspoort?"),
    action("action_answer_question"),
    bot('Uit "Paspoort aanvragen" (Paspoort aanvragen › Kosten):', "utter_answer_source"),
    bot("- Paspoort: € 86,55", custom={"sources": [], "language": "nl"}),
    {"event": "slot", "name": "human_offered", "value": False},
    action("action_listen"),
)


def test_the_shown_passage_is_the_first_source_of_the_first_message_with_sources() -> None:
    messages = reply(
        {"author": "bot", "text": 'Uit "Paspoort aanvragen":', "sources": []},
        {
            "author": "bot",
            "text": "- Paspoort: € 86,55",
            "sources": [
                source("paspoort-aanvragen", "Paspoort aanvragen", "Paspoort aanvragen › Kosten"),
                source("afspraak-maken", "Afspraak maken", "Afspraak maken › Online"),
            ],
        },  # fmt: skip
        {"author": "bot", "text": "Nog iets?", "sources": [source("x", "X", "X › Y")]},
    )
    outcome = classify_turn(messages, tracker(*ANSWER_EVENTS), language="nl")
    assert (outcome.outcome, outcome.page, outcome.section) == ("answer", "paspoort-aanvragen", "Kosten")
    assert outcome.steps == ("action_answer_question", "utter_answer_source")
    assert outcome.answered and outcome.language == "nl"


def test_an_unsure_crisis_reading_that_was_answered_is_an_answer_with_the_help_lines_asked_after_it() -> None:
    messages = reply(
        {"author": "bot", "text": "Vindt u de WOZ-waarde te hoog?", "sources": [source("woz", "WOZ", "WOZ › Bezwaar")]},
        {"author": "bot", "text": "Gaat het niet goed met u? Bel 113.", "sources": []},
    )
    events = tracker(
        user("ik vind hem te hoog"),
        action("action_crisis"),
        bot("Vindt u de WOZ-waarde te hoog?", "utter_answer"),
        bot("Gaat het niet goed met u? Bel 113.", "utter_crisis_check"),
        action("action_listen"),
    )
    outcome = classify_turn(messages, events, language="nl")
    assert (outcome.outcome, outcome.page) == ("answer", "woz")


def test_a_turn_with_no_sources_and_rasas_honest_no_is_no_answer() -> None:
    events = tracker(
        *ANSWER_EVENTS,  # an earlier turn's answer does not count for this one
        user("Mag ik een kameel houden?"),
        action("action_answer_question"),
        bot("Daar heb ik geen antwoord op.", "utter_no_answer"),
        {"event": "slot", "name": "human_offered", "value": True},
        action("action_listen"),
    )
    outcome = classify_turn(reply({"author": "bot", "text": "Daar heb ik geen antwoord op.", "sources": []}), events)
    assert outcome.outcome == "no_answer"
    assert outcome.page is None and not outcome.answered and outcome.form is None


def test_no_sources_and_no_tracker_is_other() -> None:
    outcome = classify_turn(reply({"author": "bot", "text": "Hallo!", "sources": []}), None)
    assert outcome.outcome == "other" and not outcome.answered and outcome.steps == ()


def test_a_form_started_in_the_turn() -> None:
    events = tracker(
        user("Er is een lantaarnpaal kapot"),
        action("report_form"),
        {"event": "active_loop", "name": "report_form"},
        {"event": "slot", "name": "requested_slot", "value": "report_what"},
        bot("Wat is het probleem?", "utter_ask_report_what"),
        action("action_listen"),
        active_loop="report_form",
    )
    outcome = classify_turn(reply({"author": "bot", "text": "Wat is het probleem?", "sources": []}), events)
    assert outcome.outcome == "form:report_form" and outcome.form == "report_form"


def test_a_form_that_was_already_running_is_recognised_by_its_action() -> None:
    events = tracker(
        user("Er is een lantaarnpaal kapot"),
        action("report_form"),
        {"event": "active_loop", "name": "report_form"},
        action("action_listen"),
        user("Kerkstraat 1"),
        action("report_form"),
        bot("Heeft u een foto?", "utter_ask_report_photo"),
        action("action_listen"),
        active_loop="report_form",
    )
    assert classify_turn(reply(), events).form == "report_form"
    # A form that is active but did not run in this turn (e.g. an interruption answered) is no form turn.
    interrupted = tracker(
        *events["events"][3:], user("Wat kost een paspoort?"), action("utter_out_of_scope"), active_loop="report_form"
    )
    assert classify_turn(reply(), interrupted).form is None


@pytest.mark.parametrize(
    ("events", "expected"),
    [
        ((action("utter_out_of_scope"), bot("Daar kan ik niet mee helpen.", "utter_out_of_scope")), "out_of_scope"),
        ((action("action_request_human"), bot("Een medewerker ...", "utter_handoff_later")), "handoff"),
        ((action("action_crisis"), bot("Bel 113", "utter_crisis"), bot("...", "utter_crisis_escalated")), "crisis"),
        ((action("action_fallback"), bot("Kunt u het anders zeggen?", "utter_rephrase")), "other"),
        ((action("action_refer_external"), bot("Kijk bij de Belastingdienst.")), "referral"),
        ((action("action_answer_question"), bot("Dat is voor het UWV.", "utter_referral_uwv")), "referral"),
    ],
)
def test_what_rasa_did_after_the_message(events: tuple[dict[str, Any], ...], expected: str) -> None:
    outcome = classify_turn(reply(), tracker(user("bericht"), *events, action("action_listen")))
    assert outcome.outcome == expected
    assert outcome.referral == (expected == "referral")


def test_a_referral_in_custom_json_names_the_organisation() -> None:
    events = tracker(
        user("Hoe vraag ik huurtoeslag aan?"),
        action("action_answer_question"),
        bot("Dat regelt de Belastingdienst.", custom={"referral": {"org": "belastingdienst", "phone": "0800-0543"}}),
    )
    outcome = classify_turn(reply(), events)
    assert outcome.outcome == "referral" and outcome.referral_org == "belastingdienst"
    # A referral next to a municipal passage is still both: the scoring needs to know.
    messages = reply({"author": "bot", "text": "...", "sources": [source("woo-verzoek", "Woo", "Woo › Kosten")]})
    both = classify_turn(messages, events)
    assert both.outcome == "answer" and both.referral and both.page == "woo-verzoek"


# ------------------------------------------------------------------------------- scoring


def answerable(case_id: str, lang: str, *expected: Expected, kind: str = "answerable") -> Case:
    return Case(case_id, kind, lang, (Turn(f"vraag {case_id}", expected),))


def answer(page: str, section: str = "") -> TurnOutcome:
    return TurnOutcome("answer", page=page, section=section, steps=("action_answer_question",))


COSTS_NL = Expected("paspoort-aanvragen", "Kosten")
COSTS_EN = Expected("paspoort-aanvragen-en", "Costs")


def test_an_english_page_or_a_dutch_page_both_count_when_both_are_expected() -> None:
    report = score(
        [
            CaseResult(answerable("en1", "en", COSTS_EN, COSTS_NL), [answer("paspoort-aanvragen", "Kosten")]),
            CaseResult(answerable("en2", "en", COSTS_EN, COSTS_NL), [answer("paspoort-aanvragen-en", "Costs")]),
            # The English page was not among the expected ones for this question.
            CaseResult(answerable("nl1", "nl", COSTS_NL), [answer("paspoort-aanvragen-en", "Costs")]),
        ]
    )
    assert report.figures["en"]["right_section"].to_dict() == {"hits": 2, "n": 2, "rate": 1.0}
    assert report.figures["nl"]["right_page"].hits == 0
    assert report.figures["all"]["right_page"].to_dict() == {"hits": 2, "n": 3, "rate": 0.6667}
    assert [m.id for m in report.misses] == ["nl1"]
    assert report.misses[0].got.startswith("answer: paspoort-aanvragen-en › Costs")


def test_opening_text_is_the_empty_section_and_a_wrong_section_is_still_the_right_page() -> None:
    intro = Expected("paspoort-aanvragen", "")
    report = score(
        [
            CaseResult(answerable("a", "nl", intro), [answer("paspoort-aanvragen", "")]),
            CaseResult(answerable("b", "nl", intro), [answer("paspoort-aanvragen", "Kosten")]),
            CaseResult(answerable("c", "nl", COSTS_NL), [answer("paspoort-aanvragen", "")]),
        ]
    )
    assert (report.figures["all"]["right_page"].hits, report.figures["all"]["right_section"].hits) == (3, 1)
    assert report.misses[0].expected == "paspoort-aanvragen (opening text)"
    assert [m.id for m in report.misses] == ["b", "c"]


def test_refusals_declines_out_of_scope_and_referrals() -> None:
    no_answer = TurnOutcome("no_answer", steps=("action_answer_question", "utter_no_answer"))
    form = TurnOutcome("form:report_form", form="report_form")
    handoff = TurnOutcome("handoff")
    referral = TurnOutcome("referral", referral=True, referral_org="uwv")

    def case(case_id: str, kind: str, lang: str = "nl", org: str | None = None) -> Case:
        return Case(case_id, kind, lang, (Turn(f"vraag {case_id}"),), org=org)

    report = score(
        [
            CaseResult(answerable("covered", "nl", COSTS_NL), [no_answer]),
            CaseResult(case("u1", "uncovered"), [no_answer]),
            CaseResult(case("u2", "uncovered"), [handoff]),
            CaseResult(case("u3", "uncovered"), [form]),
            CaseResult(case("u4", "uncovered", "en"), [answer("boom-kappen")]),
            CaseResult(case("o1", "out_of_scope"), [TurnOutcome("out_of_scope")]),
            CaseResult(case("o2", "out_of_scope"), [form]),
            CaseResult(case("e1", "external", org="uwv"), [referral]),
            CaseResult(case("e2", "external", org="uwv"), [answer("bijstand-aanvragen")]),
            CaseResult(
                case("e3", "external", org="uwv"),
                [TurnOutcome("answer", page="bijstand-aanvragen", section="", referral=True)],
            ),
        ]
    )
    figures = report.figures["all"]
    assert figures["covered_refused"].to_dict() == {"hits": 1, "n": 1, "rate": 1.0}
    assert figures["right_page"].hits == 0
    assert (figures["uncovered_declined"].hits, figures["uncovered_declined"].n) == (2, 4)
    assert report.figures["en"]["uncovered_declined"].to_dict() == {"hits": 0, "n": 1, "rate": 0.0}
    assert (figures["out_of_scope_answered"].hits, figures["out_of_scope_answered"].n) == (1, 2)
    assert (figures["external_referred"].hits, figures["external_referred"].n) == (1, 3)
    assert [m.id for m in report.misses] == ["covered", "u3", "u4", "o2", "e2", "e3"]
    assert report.outcomes_by_kind["uncovered"] == {"no_answer": 1, "handoff": 1, "form:report_form": 1, "answer": 1}


def test_follow_up_turns_are_reported_apart_from_first_turns() -> None:
    case = Case(
        "f", "followup", "nl",
        (
            Turn("Paspoort aanvragen?", (Expected("paspoort-aanvragen", ""),)),
            Turn("En wat kost het?", (COSTS_NL,)),
            Turn("En hoe lang duurt het?", (Expected("paspoort-aanvragen", "Hoe lang duurt het"),)),
        ),
    )  # fmt: skip
    report = score(
        [
            CaseResult(case, [answer("paspoort-aanvragen"), answer("paspoort-aanvragen", "Kosten"), answer("x")]),
            CaseResult(answerable("a", "nl", COSTS_NL), [answer("paspoort-aanvragen", "Kosten")]),
        ]
    )
    figures = report.figures["all"]
    assert figures["right_section"].to_dict() == {"hits": 2, "n": 2, "rate": 1.0}  # first turns with the answerable
    assert figures["followup_right_section"].to_dict() == {"hits": 1, "n": 2, "rate": 0.5}
    assert figures["followup_right_page"].hits == 1
    assert [(m.id, m.question) for m in report.misses] == [("f#3", "En hoe lang duurt het?")]
    assert report.outcomes_by_kind == {"followup": {"answer": 1}, "followup (later turns)": {"answer": 2},
                                       "answerable": {"answer": 1}}  # fmt: skip


def test_chit_chat_after_an_answer_is_scored_as_out_of_scope_and_the_answered_question_is_not() -> None:
    [case] = parse_cases(
        jsonl({"id": "c", "kind": "after_answer", "lang": "nl",
               "turns": [{"question": "Wat kost een paspoort?"}, {"question": "wat vind jij van ajax"}]})
    )  # fmt: skip
    assert [t.question for t in case.turns] == ["Wat kost een paspoort?", "wat vind jij van ajax"]
    with pytest.raises(AnswerSetError, match="at least 2"):
        parse_cases(jsonl({"id": "c", "kind": "after_answer", "lang": "nl", "turns": [{"question": "q"}]}))
    refused = TurnOutcome("out_of_scope", steps=("action_out_of_scope", "utter_out_of_scope"))
    report = score(
        [
            CaseResult(case, [answer("paspoort-aanvragen", "Kosten"), refused]),
            CaseResult(Case("d", "after_answer", "nl", case.turns), [answer("paspoort-aanvragen", "Kosten")] * 2),
        ]
    )
    figures = report.figures["all"]
    assert figures["out_of_scope_after_answer"].to_dict() == {"hits": 1, "n": 2, "rate": 0.5}
    assert figures["right_page"].n == 0 and figures["followup_right_page"].n == 0  # the scene is not scored
    assert [(m.id, m.question) for m in report.misses] == [("d#2", "wat vind jij van ajax")]
    assert report.outcomes_by_kind["after_answer"] == {"out_of_scope": 1, "answer": 1}


def test_a_failed_turn_is_a_miss_and_the_rest_of_its_conversation_is_not_run() -> None:
    case = Case("f", "followup", "en", (Turn("q1", (COSTS_EN,)), Turn("q2", (COSTS_EN,))))
    report = score([CaseResult(case, [error_outcome("503 Service Unavailable")])])
    assert report.errors == 1
    assert report.figures["en"]["covered_refused"].hits == 1
    assert [m.got for m in report.misses] == ["error (503 Service Unavailable)", "error (not run)"]
    assert "nl" not in report.figures  # no Dutch cases, no Dutch column


def test_the_report_as_text_and_as_json() -> None:
    report = score(
        [
            CaseResult(answerable("a", "nl", COSTS_NL), [answer("paspoort-aanvragen", "Kosten")], "conv-1"),
            CaseResult(answerable("b", "en", COSTS_EN), [TurnOutcome("no_answer")], "conv-2"),
        ],
        name="answers_dev.jsonl",
    )
    report.wall_s, report.start_s, report.turns_s = 50.0, 45.0, 5.0
    text = report.format(show_misses=True)
    assert "Answers on answers_dev.jsonl: 2 cases (nl 1, en 1), 2 turns" in text
    assert "misses (1):" in text and "- b [answerable, en] vraag b" in text
    assert "wall time 50 s" in text
    assert "misses" not in report.format()
    summary = json.loads(json.dumps(report.summary()))
    assert summary["figures"]["all"]["right_section"] == {"hits": 1, "n": 2, "rate": 0.5}
    assert summary["better"]["covered_refused"] == "lower"
    first = summary["results"][0]
    assert first["conversation_id"] == "conv-1"
    assert first["turns"][0]["outcome"] == "answer" and first["turns"][0]["section"] == "Kosten"
    assert first["turns"][0]["expected"] == [{"page": "paspoort-aanvragen", "section": "Kosten"}]


def test_targets_are_reached_from_the_right_side() -> None:
    from api.operations.answer_eval import TARGETS, meets_target

    assert meets_target("right_page", TARGETS["right_page"]) and not meets_target("right_page", 0.89)
    assert meets_target("covered_refused", 0.0) and not meets_target("covered_refused", 0.06)
