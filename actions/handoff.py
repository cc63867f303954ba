"""Hands the conversation to a person: opens an escalation and tells the citizen when."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import context
from actions.language import tracker_language

_DAY_NAMES = {
    "nl": ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}


def format_opening(moment: datetime, language: str) -> str:
    day = _DAY_NAMES[language][moment.weekday()]
    return f"{day} {moment:%H:%M}" if language == "en" else f"{day} {moment:%H.%M} uur"


def conversation_summary(tracker: Tracker, *, max_messages: int = 3) -> str:
    """The citizen's last few messages: what a moderator reads first."""
    texts = [
        event.get("text") or ""
        for event in tracker.events
        if event.get("event") == "user" and event.get("text")
    ]
    return " | ".join(texts[-max_messages:])


class ActionRequestHuman(Action):
    def name(self) -> str:
        return "action_request_human"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        services = context.current()
        language = tracker_language(tracker)
        services.store.ensure(tracker.sender_id, language=language)
        services.store.escalate(
            conversation_id=tracker.sender_id,
            reason="requested_human",
            summary=conversation_summary(tracker),
        )
        now = datetime.now(timezone.utc)
        if services.office_hours.is_open(now):
            dispatcher.utter_message(response="utter_handoff_now")
        else:
            opening = services.office_hours.next_opening(now)
            when = format_opening(opening, language) if opening else "?"
            dispatcher.utter_message(response="utter_handoff_later", next_opening=when)
        return [SlotSet("human_offered", False)]


class ActionResetOffer(Action):
    def name(self) -> str:
        return "action_reset_offer"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        return [SlotSet("human_offered", False)]
