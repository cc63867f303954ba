"""Crisis signals: show 113 / 0800-0113 and 112 at once, then escalate with high priority.

A crisis reading that comes from the NLU alone, and unsure, may be an ordinary question in
strong words ("ik vind hem te hoog" after a question about the WOZ value, "ik word er gek van"
about the neighbours). When the documents answer it, the citizen gets that answer first and the
help lines after it, asked rather than told (utter_crisis_check), and a moderator still sees the
conversation, at normal priority. When they do not, it is a crisis like any other.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.dialogue_config import dialogue_config
from actions.handoff import escalate_urgently
from actions.knowledge_answers import answer_turn, answered

CRISIS_TEXT = "crisis_text"  # the metadata key of a message the gateway recognised as a crisis


def unsure_reading(tracker: Tracker) -> bool:
    """Whether the crisis intent is the NLU's own reading, below the confidence taken as sure. The
    gateway's /crisis (a phrase of data/crisis/signals.yml) is always sure."""
    latest = tracker.latest_message or {}
    if (latest.get("metadata") or {}).get(CRISIS_TEXT):
        return False
    confidence = (latest.get("intent") or {}).get("confidence")
    return confidence is not None and float(confidence) < dialogue_config().crisis_sure_confidence


class ActionCrisis(Action):
    def name(self) -> str:
        return "action_crisis"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        if unsure_reading(tracker):
            # Asked on a dispatcher of its own: what the engine says is kept only if it answered.
            attempt = CollectingDispatcher()
            events = answer_turn(attempt, tracker, decline=None)
            if answered(events) and attempt.messages:
                dispatcher.messages.extend(attempt.messages)
                dispatcher.utter_message(response="utter_crisis_check")
                escalate_urgently(tracker, reason="crisis", team="crisis", text_key=CRISIS_TEXT, priority="normal")
                return events
        dispatcher.utter_message(response="utter_crisis")
        if escalate_urgently(tracker, reason="crisis", team="crisis", text_key=CRISIS_TEXT):
            dispatcher.utter_message(response="utter_crisis_escalated")
        return []
