"""A greeting, or a greeting that already says what the question will be about ("hoi, vraagje
over parkeren"): the NLU hears the greeting, and the greeting alone answered it, so the subject
was lost. Such a message is handled as the announcement it is (actions/subjects.py)."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.dialogue_config import dialogue_config
from actions.knowledge_answers import answer_turn
from actions.subjects import announced_subject


class ActionGreet(Action):
    def name(self) -> str:
        return "action_greet"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        text = (tracker.latest_message or {}).get("text") or ""
        if announced_subject(text, config=dialogue_config()) is not None:
            return answer_turn(dispatcher, tracker)
        dispatcher.utter_message(response="utter_greet")
        return []
