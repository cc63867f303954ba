"""Two-stage fallback on low NLU confidence: ask to rephrase once, then search or offer a person."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.dialogue_config import dialogue_config
from actions.followup import is_follow_up
from actions.handoff import asks_for_a_person, hand_over
from actions.knowledge_answers import answer_turn, answered


class ActionFallback(Action):
    def name(self) -> str:
        return "action_fallback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        config = dialogue_config()
        text = (tracker.latest_message or {}).get("text") or ""
        if asks_for_a_person(text):  # the NLU was unsure, the words are not
            return hand_over(dispatcher, tracker, reason="requested_human")
        # "en voor mijn kind?" after a question is a follow-up, not a misunderstanding.
        if tracker.get_slot("last_topic") and is_follow_up(text, config=config):
            return answer_turn(dispatcher, tracker)
        # Not understood as a dialogue move, but the documents may answer it clearly (the engine
        # is stricter after this intent): then that is the best reply.
        attempt = CollectingDispatcher()
        events = answer_turn(attempt, tracker, decline=None, decline_uncovered=True)
        if answered(events) or attempt.messages:  # an answer, or "no information" on a municipal subject
            dispatcher.messages.extend(attempt.messages)
            return events
        return rephrase_or_hand_over(dispatcher, tracker)


def rephrase_requests_in_a_row(events: list[dict[str, Any]]) -> int:
    """How many of the bot's turns before the latest message asked to rephrase, counting back to
    the first turn that did not."""
    count = 0
    asked = False
    users_seen = 0
    for event in reversed(events):
        if event.get("event") == "user":
            users_seen += 1
            if users_seen > 1:  # a turn of the bot's ends here: was it a rephrase request?
                if not asked:
                    break
                count += 1
                asked = False
        elif event.get("event") == "bot" and users_seen:
            asked = asked or (event.get("metadata") or {}).get("utter_action") == "utter_rephrase"
    return count


def rephrase_or_hand_over(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[dict[str, Any]]:
    """A message not understood that the documents do not answer: ask to rephrase, or after
    `max_rephrase` such requests in a row, hand over to a person."""
    # Counted from the conversation itself: a message is "not understood" after nlu_fallback and
    # after a report the NLU was unsure of (actions/question_or_form.py) alike.
    if rephrase_requests_in_a_row(tracker.events) < dialogue_config().max_rephrase:
        dispatcher.utter_message(response="utter_rephrase")
        return []
    # Second miss in a row, and the documents have nothing: a person takes over rather than
    # a third round of "sorry?".
    return hand_over(dispatcher, tracker, reason="repeated_fallback")
