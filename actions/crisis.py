"""Crisis signals: show 113 / 0800-0113 and 112 at once, then escalate with high priority.

A crisis reading that comes from the NLU alone, and unsure (`crisis_unsure`), may be an ordinary
question in strong words ("ik vind hem te hoog" after a question about the WOZ value, "ik word er gek van"
about the neighbours). When the documents answer it, the citizen gets that answer first and the
help lines after it, asked rather than told (utter_crisis_check), and a moderator still sees the
conversation, at normal priority. When they do not, it is a crisis like any other. Inside a form
an unsure reading is the answer to the form's question (actions/forms.py); the help lines are
asked before the form's next question, and a moderator is asked to look with priority.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.handoff import escalate_urgently
from actions.knowledge_answers import answer_if_the_documents_do

CRISIS_TEXT = "crisis_text"  # the metadata key of a message the gateway recognised as a crisis
# The NLU's reading below the confidence taken as sure (bot/nlu/unsure_crisis.py, config.yml).
UNSURE_CRISIS = "crisis_unsure"


def unsure_reading(tracker: Tracker) -> bool:
    """Whether the latest message was read as a crisis, unsure. The gateway's /crisis (a phrase of
    data/crisis/signals.yml) is always sure."""
    return ((tracker.latest_message or {}).get("intent") or {}).get("name") == UNSURE_CRISIS


def ask_after_an_unsure_reading(dispatcher: CollectingDispatcher, tracker: Tracker, *, priority: str) -> None:
    """The help lines asked ("Gaat het niet goed met u? ..."), with what the message got instead of
    them, and the conversation in the moderators' queue as a crisis at `priority`."""
    dispatcher.utter_message(response="utter_crisis_check")
    escalate_urgently(tracker, reason="crisis", team="crisis", text_key=CRISIS_TEXT, priority=priority)


class ActionCrisis(Action):
    def name(self) -> str:
        return "action_crisis"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        if unsure_reading(tracker) and (events := answer_if_the_documents_do(dispatcher, tracker)) is not None:
            # The documents' answer says it was most likely the question: not urgent.
            ask_after_an_unsure_reading(dispatcher, tracker, priority="normal")
            return events
        dispatcher.utter_message(response="utter_crisis")
        if escalate_urgently(tracker, reason="crisis", team="crisis", text_key=CRISIS_TEXT):
            dispatcher.utter_message(response="utter_crisis_escalated")
        return []
