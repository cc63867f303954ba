"""Keeps the `language` slot in step with what the api gateway detected."""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

SUPPORTED = ("nl", "en")

# E-mail addresses, links and numbers say nothing about the citizen's language
# ("piet@example.nl" looks English to a detector): answers like these keep it.
_NOT_LANGUAGE = re.compile(r"\S+@\S+|https?://\S+|www\.\S+|\d[\d\s()+-]*")
_MIN_WORDS_TO_SWITCH = 1


def carries_language(text: str) -> bool:
    """Enough real words to switch language on; "/intent" triggers always count (page choice)."""
    if text.startswith("/"):
        return True
    words = re.findall(r"[^\W\d_]{2,}", _NOT_LANGUAGE.sub(" ", text))
    return len(words) >= _MIN_WORDS_TO_SWITCH


def tracker_language(tracker: Tracker) -> str:
    language = tracker.get_slot("language")
    return language if language in SUPPORTED else "nl"


class ActionDetectLanguage(Action):
    """Custom slot mapping of `language`: Rasa runs it after every user message.

    Because it runs on every message it also ends a run of misunderstood
    messages: any confidently understood message resets `fallback_count`.
    """

    def name(self) -> str:
        return "action_detect_language"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        latest = tracker.latest_message or {}
        metadata = latest.get("metadata") or {}
        language = metadata.get("language")
        events = []
        text = latest.get("text") or ""
        if language in SUPPORTED and language != tracker.get_slot("language") and carries_language(text):
            events.append(SlotSet("language", language))
        intent = (latest.get("intent") or {}).get("name")
        if intent and intent != "nlu_fallback" and tracker.get_slot("fallback_count"):
            events.append(SlotSet("fallback_count", 0.0))
        return events
