"""Threats against staff or the town hall: a calm answer, no form, and a flagged escalation."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.handoff import escalate_urgently, offers_open

THREAT_REASON = "threat"
THREAT_TEAM = "klantcontact"  # the contact centre follows the aggression protocol


class ActionThreat(Action):
    def name(self) -> str:
        return "action_threat"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        dispatcher.utter_message(response="utter_threat")
        escalate_urgently(tracker, reason=THREAT_REASON, team=THREAT_TEAM, text_key="threat_text")
        return offers_open()
