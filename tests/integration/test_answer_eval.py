"""`loket eval answers` on the real stack: the runner reports what the chat really did."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from api.operations.answer_eval import ChatDriver, check_set, declined, load_cases, run_cases, score
from api.settings import Settings
from tests.integration.conftest import RunningLoket

pytestmark = pytest.mark.integration

FIXTURE = Path(__file__).with_name("answers_fixture.jsonl")


def test_the_runner_reports_the_outcomes_the_chat_really_had(
    project_settings: Settings, eval_driver: ChatDriver
) -> None:
    cases = load_cases(FIXTURE)
    assert check_set(cases, project_settings, name=FIXTURE.name) == []
    results = run_cases(cases, eval_driver)
    by_id = {result.case.id: result for result in results}
    followup = by_id["fx-passport-followup"]
    assert followup.conversation_id is not None
    # All turns of a follow-up went into one conversation, in order.
    events = eval_driver.tracker(followup.conversation_id)["events"]
    assert [e["text"] for e in events if e["event"] == "user"] == [t.question for t in followup.case.turns]
    # Rasa's HTTP API is open to this run only: without its token a tracker is refused.
    refused = httpx.get(f"{eval_driver.rasa_url}/conversations/{followup.conversation_id}/tracker", timeout=10)
    assert refused.status_code == 401
    report = score(results, name=FIXTURE.name)
    outcomes = {case_id: result.outcomes for case_id, result in by_id.items()}
    assert all(len(o) == len(by_id[i].case.turns) for i, o in outcomes.items()), outcomes
    assert report.errors == 0, report.misses

    # The plain passport-cost question: its passage and section, as Rasa's answer action showed them.
    [passport] = outcomes["fx-passport-cost-nl"]
    assert (passport.outcome, passport.page, passport.section) == ("answer", "paspoort-aanvragen", "Kosten")
    assert "action_answer_question" in passport.steps and passport.language == "nl"
    # The English question is detected as English (no language was sent) and answered from either page.
    [english] = outcomes["fx-passport-cost-en"]
    assert english.language == "en" and english.page in {"paspoort-aanvragen", "paspoort-aanvragen-en"}
    assert report.figures["en"]["right_page"].hits == 1

    # Chit-chat is not counted as answered: no passage, no form, whatever Rasa said instead.
    [chitchat] = outcomes["fx-chitchat"]
    assert not chitchat.answered and chitchat.form is None and chitchat.outcome != "answer"
    assert report.figures["all"]["out_of_scope_answered"].to_dict() == {"hits": 0, "n": 1, "rate": 0.0}

    # The other figures follow the outcomes the turns really had.
    [uncovered] = outcomes["fx-uncovered"]
    assert report.figures["all"]["uncovered_declined"].hits == int(declined(uncovered))
    [external] = outcomes["fx-rent-benefit"]
    assert report.figures["all"]["external_referred"].hits == int(external.referral and not external.answered)
    first, second = outcomes["fx-passport-followup"]
    assert report.figures["all"]["right_page"].n == 3  # two answerable questions and the follow-up's first turn
    assert report.figures["all"]["followup_right_section"].n == 1
    assert report.figures["all"]["followup_right_section"].hits == int(
        second.page == "paspoort-aanvragen" and second.section == "Hoe lang duurt het"
    )
    missed = {miss.id for miss in report.misses}
    assert "fx-passport-cost-nl" not in missed and "fx-chitchat" not in missed
    assert ("fx-passport-followup#1" in missed) == (
        first.page != "paspoort-aanvragen" or first.section != "Wat heeft u nodig"
    )


def test_the_plain_stack_keeps_rasas_http_api_closed(loket: RunningLoket) -> None:
    """Only an evaluation opens Rasa's HTTP API; `loket run` (and this stack) has the REST channel only."""
    conversation = loket.new_conversation()
    loket.say(conversation, "Wat kost een paspoort?")
    response = httpx.get(f"{loket.settings.rasa_url}/conversations/{conversation}/tracker", timeout=10)
    assert response.status_code == 404
