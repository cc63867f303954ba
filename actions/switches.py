"""Parts of the bot an admin has switched off (api/services/chat_switches.py): the answers from the
website's pages, the report and complaint forms. The actions that give them ask here first, and the
citizen is told what is off and how to reach the municipality instead. Handoff and crisis help have
no switch."""

from __future__ import annotations

from typing import Literal

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import context
from actions.language import tracker_language

Part = Literal["answers", "forms"]
# The response that says a part is off; it has a {contact_route} (domain.yml).
OFF_RESPONSES: dict[Part, str] = {"answers": "utter_answers_off", "forms": "utter_forms_off"}


def is_off(part: Part) -> bool:
    return not context.current().switches().is_on(part)


def say_off(part: Part, dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
    """Tell the citizen `part` is off, with the municipality's contact route."""
    route = context.current().contact_route(tracker_language(tracker))
    dispatcher.utter_message(response=OFF_RESPONSES[part], contact_route=route)


def refused(part: Part, dispatcher: CollectingDispatcher, tracker: Tracker) -> bool:
    """Whether `part` is off; when it is, the citizen has been told so."""
    if not is_off(part):
        return False
    say_off(part, dispatcher, tracker)
    return True
