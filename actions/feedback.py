"""A "no" that says the answer shown did not help ("dat klopt niet", "dat is niet wat ik vroeg",
"that's not what I asked"): an apology, the request to ask it in other words and the offer of a
person, instead of "what can I help you with?" as if nothing had been answered."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.dialogue_config import dialogue_config
from actions.handoff import offers_open
from actions.phrases import says_any


def finds_the_answer_unhelpful(text: str, *, answered_before: bool) -> bool:
    """Whether a "no" is about the answer just shown: there was one, and the message says it did
    not help (actions/dialogue.yml `not_helpful`). A bare "nee" says nothing about it."""
    return answered_before and says_any(text, dialogue_config().not_helpful_phrases)


class ActionDeny(Action):
    """A "no" while nothing is offered (data/rules/handoff.yml)."""

    def name(self) -> str:
        return "action_deny"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        text = (tracker.latest_message or {}).get("text") or ""
        # The topic is set by an answer (or a decline on a page that came up): what "dat" refers to.
        if finds_the_answer_unhelpful(text, answered_before=tracker.get_slot("last_topic") is not None):
            dispatcher.utter_message(response="utter_answer_not_helpful")
            return offers_open(person=True)  # "ja" now hands over to a person
        dispatcher.utter_message(response="utter_how_can_i_help")
        return []
