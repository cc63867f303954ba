"""Crisis signals: show 113 / 0800-0113 and 112 at once, then escalate with high priority."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import context
from actions.handoff import conversation_summary
from actions.language import tracker_language

log = logging.getLogger(__name__)


def crisis_text(tracker: Tracker) -> str:
    """What the citizen wrote: the gateway sends `/crisis` with the original text in metadata."""
    latest = tracker.latest_message or {}
    metadata = latest.get("metadata") or {}
    original = metadata.get("crisis_text")
    if original:
        return str(original)
    return conversation_summary(tracker, max_messages=1)


class ActionCrisis(Action):
    def name(self) -> str:
        return "action_crisis"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        dispatcher.utter_message(response="utter_crisis")
        language = tracker_language(tracker)
        try:
            services = context.current()
            services.store.ensure(tracker.sender_id, language=language)
            services.escalations.escalate(
                conversation_id=tracker.sender_id,
                reason="crisis",
                priority="high",
                team="crisis",
                language=language,
                summary=crisis_text(tracker),
            )
        except Exception:  # noqa: BLE001 - the help lines must reach the citizen whatever fails
            log.exception("Crisis escalation failed for %s", tracker.sender_id)
            return []
        dispatcher.utter_message(response="utter_crisis_escalated")
        return []
