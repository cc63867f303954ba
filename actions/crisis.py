"""Crisis signals: show 113 / 0800-0113 and 112 at once, then escalate with high priority."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.handoff import escalate_urgently


class ActionCrisis(Action):
    def name(self) -> str:
        return "action_crisis"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        dispatcher.utter_message(response="utter_crisis")
        if escalate_urgently(tracker, reason="crisis", team="crisis", text_key="crisis_text"):
            dispatcher.utter_message(response="utter_crisis_escalated")
        return []
