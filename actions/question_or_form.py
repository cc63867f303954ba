"""A report or a complaint, or a question about one: answer the question, start the form otherwise.

The NLU hears "melden" or "klacht" in both "de lantaarnpaal bij ons is kapot" (a report: start the
form) and "kan ik een kapotte lantaarnpaal ergens melden?" or "wat kost het om een autowrak te
melden?" (a question the public pages answer). The rules run this action before the form
(data/rules/forms.yml); when the message is phrased as a question and the documents answer it, the
answer is given with an offer to report after all, and the form does not start.
"""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction
from rasa_sdk.executor import CollectingDispatcher

from actions.dialogue_config import DialogueConfig, dialogue_config
from actions.knowledge_answers import answer_turn, answered, refer_if_external
from actions.language import tracker_language
from actions.switches import refused

# The response that offers the form after an answer, per form the NLU would have started.
FORM_OFFERS = {"report_form": "utter_offer_report", "complaint_form": "utter_offer_complaint"}
FORM_OF_INTENT = {"report_problem": "report_form", "file_complaint": "complaint_form"}

_CLAUSE = re.compile(r"[,.;:!\n]+|\s+(?:en|maar|of|and|but|or)\s+")
_WORD = re.compile(r"[^\W\d_]+")


def is_question(text: str, *, config: DialogueConfig) -> bool:
    """A question mark, a clause that opens with a question word ("..., wat moet ik doen"), a
    question phrase anywhere ("autowrak melden wat kost dat"), a question word before a verb and
    its subject anywhere ("put zit verstopt waar meld ik dat"), or a clause that ends in a question
    word, alone or before an infinitive, as a search does ("verstopte put waar doorgeven")."""
    lowered = text.lower()
    if "?" in text or any(re.search(rf"\b{re.escape(p)}\b", lowered) for p in config.question_phrases):
        return True
    for clause in _CLAUSE.split(lowered):
        words = _WORD.findall(clause)
        if not words:
            continue
        if words[0] in config.question_starts or _asks_inverted(words, config) or _ends_asking(words, config):
            return True
    return False


def _asks_inverted(words: list[str], config: DialogueConfig) -> bool:
    """A question word, a verb, then its subject: "waar meld ik", "where should i"; a subordinate
    clause puts the subject first ("weet niet waar ik moet zijn", "de plek waar ik het vond")."""
    subjects = config.question_subjects
    return any(
        word in config.question_words and words[i + 1] not in subjects and words[i + 2] in subjects
        for i, word in enumerate(words[:-2])
    )


def _ends_asking(words: list[str], config: DialogueConfig) -> bool:
    """The clause ends in a question word, or in one before a Dutch infinitive ("waar doorgeven")."""
    if words[-1] in config.question_words:
        return True
    return len(words) >= 2 and words[-2] in config.question_words and words[-1].endswith("en")


class ActionAnswerOrStartForm(Action):
    def name(self) -> str:
        return "action_answer_or_start_form"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        from knowledge.query_vectors import PARSE_KEY, QueryVector

        latest = tracker.latest_message or {}
        intent = (latest.get("intent") or {}).get("name") or ""
        text = latest.get("text") or ""
        form = FORM_OF_INTENT.get(intent, "report_form")
        # "kenteken afmelden", "pinpas gestolen": a national organisation's matter is never a
        # municipal case, whether it is asked or reported.
        query_vector = QueryVector.from_json(latest.get(PARSE_KEY))
        referred = refer_if_external(dispatcher, text, language=tracker_language(tracker), query_vector=query_vector)
        if referred is not None:
            return [*referred, FollowupAction("action_listen")]
        if refused("forms", dispatcher, tracker):
            return [FollowupAction("action_listen")]  # switched off by an admin: no form starts
        if not is_question(text, config=dialogue_config()):
            return []  # a report: the rule goes on to the form
        replies = CollectingDispatcher()
        events = answer_turn(replies, tracker, decline=None)
        if not answered(events):
            return []  # nothing in the documents: the citizen probably wants to report after all
        dispatcher.messages.extend(replies.messages)
        dispatcher.utter_message(response=FORM_OFFERS[form])
        # The rule would start the form next; after an answer the bot waits for the citizen.
        return [*events, FollowupAction("action_listen")]
