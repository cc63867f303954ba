"""A citizen asks for a person: the conversation goes to the moderators (actions/handoff.py).

Unless the NLU is less sure than not that it is such a request and the message does not ask for
a person in so many words: "kan ik de gemeente bellen" (0.47) is a question the contact page
answers, and was handed to a moderator. When the documents answer such a message, the citizen
gets the answer and the offer of a person after it; otherwise it is handed over as before.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.dialogue_config import dialogue_config
from actions.handoff import asks_for_a_person, hand_over
from actions.knowledge_answers import answer_if_the_documents_do


def unsure_request(tracker: Tracker) -> bool:
    """A message read as a request for a person, below `handoff.min_confidence` (actions/dialogue.yml),
    without a phrase asking for one. A "ja" to the offer of a person (affirm) is no such message."""
    latest = tracker.latest_message or {}
    intent = latest.get("intent") or {}
    if intent.get("name") != "request_human" or asks_for_a_person(latest.get("text") or ""):
        return False
    return float(intent.get("confidence") or 0.0) < dialogue_config().handoff_min_confidence


class ActionRequestHuman(Action):
    def name(self) -> str:
        return "action_request_human"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        if unsure_request(tracker) and (events := answer_if_the_documents_do(dispatcher, tracker)) is not None:
            dispatcher.utter_message(response="utter_offer_human")
            return [*events, SlotSet("human_offered", True)]
        return hand_over(dispatcher, tracker, reason="requested_human")
