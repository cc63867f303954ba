"""Keeps the `language` slot in step with what the api gateway detected."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

SUPPORTED = ("nl", "en")


def tracker_language(tracker: Tracker) -> str:
    language = tracker.get_slot("language")
    return language if language in SUPPORTED else "nl"


class ActionDetectLanguage(Action):
    """Custom slot mapping of `language`: Rasa runs it after every user message."""

    def name(self) -> str:
        return "action_detect_language"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        metadata = (tracker.latest_message or {}).get("metadata") or {}
        language = metadata.get("language")
        if language in SUPPORTED and language != tracker.get_slot("language"):
            return [SlotSet("language", language)]
        return []
