"""A greeting or a request for help, or one that already says what the question will be about
("hoi, vraagje over parkeren" heard as a greeting, "vraagje over de woz" as a request for help):
the greeting or the list of what the assistant does answered it, so the subject was lost. Such a
message is handled as the announcement it is (actions/subjects.py)."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.dialogue_config import dialogue_config
from actions.knowledge_answers import answer_turn
from actions.subjects import announced_subject


def reply_unless_a_subject_is_named(
    dispatcher: CollectingDispatcher, tracker: Tracker, *, response: str
) -> list[dict[str, Any]]:
    """`response`, or, when the message names the subject of the question to come, the question
    what the citizen wants to know about it (or the answer, when the pages answer it as it is)."""
    text = (tracker.latest_message or {}).get("text") or ""
    if announced_subject(text, config=dialogue_config()) is not None:
        return answer_turn(dispatcher, tracker)
    dispatcher.utter_message(response=response)
    return []


# A shared base class would be registered as an action of its own (rasa-sdk registers every
# subclass of Action), so each action calls the function above.
class ActionGreet(Action):
    def name(self) -> str:
        return "action_greet"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        return reply_unless_a_subject_is_named(dispatcher, tracker, response="utter_greet")


class ActionHelp(Action):
    def name(self) -> str:
        return "action_help"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        return reply_unless_a_subject_is_named(dispatcher, tracker, response="utter_help")
