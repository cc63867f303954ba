"""A report or a complaint, or a question about one: answer from the documents first, start the
form when the citizen asks for it or the documents have nothing.

The NLU hears "melden" or "klacht" in "kan ik een kapotte lantaarnpaal ergens melden?" or "wat kost
het om een autowrak te melden?" (questions the public pages answer), in "de grijze container is
vandaag niet geleegd" (a situation a page covers: it is emptied after all when reported in time)
and in "ik wil een kapotte lantaarnpaal melden" (a request for the form). The rules run this action
before the form (data/rules/forms.yml). Unless the citizen asks for the form in so many words
(actions/dialogue.yml `form_requests`), the documents are asked first; when they answer, the answer
is given with the offer to report after all, and the form does not start.
"""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.dialogue_config import DialogueConfig, dialogue_config
from actions.fallback import rephrase_or_hand_over
from actions.handoff import told_first
from actions.knowledge_answers import answer_turn, answered, asked_about_subject, refer_if_external
from actions.language import tracker_language
from actions.phrases import says_any
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
    if "?" in text or says_any(text, config.question_phrases):
        return True
    for clause in _CLAUSE.split(text.lower()):
        words = _WORD.findall(clause)
        if not words:
            continue
        if words[0] in config.question_starts or _asks_inverted(words, config) or _ends_asking(words, config):
            return True
    return False


def asks_for_the_form(text: str, *, form: str, config: DialogueConfig) -> bool:
    """The citizen asks to report or complain, rather than asking something or telling what
    happened: "ik wil een kapotte lantaarnpaal melden", "I'd like to file a complaint". For a form
    with words of its own (`form_offer_words`) the request must say one: "ik wil bezwaar maken
    tegen een besluit", which the NLU hears as a complaint, asks for the objection procedure that a
    page describes, not for the complaint form."""
    words = config.form_offer_words.get(form)
    names_the_form = not words or says_any(text, words)
    return names_the_form and not is_question(text, config=config) and says_any(text, config.form_requests)


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


def offer_fits(form: str, text: str, answer_messages: list[dict[str, Any]], *, config: DialogueConfig) -> bool:
    """Whether the form is worth offering after this answer: the message, or the title or heading of
    the section that answered, says one of the form's words (actions/dialogue.yml
    `form_offer_words`); always, for a form without any."""
    words = config.form_offer_words.get(form)
    if not words:
        return True
    answered_from = [
        f"{source.get('title', '')} {source.get('heading', '')}"
        for message in answer_messages
        for source in (message.get("custom") or {}).get("sources", [])
    ]
    return any(says_any(said, words) for said in (text, *answered_from))


def is_sure_of_form(latest_message: dict[str, Any], *, config: DialogueConfig) -> bool:
    """Whether the NLU's confidence in its report or complaint intent is enough to start the form
    unasked (actions/dialogue.yml `fallback.form_min_confidence`)."""
    confidence = (latest_message.get("intent") or {}).get("confidence")
    return confidence is None or float(confidence) >= config.form_min_confidence


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
        if asks_for_the_form(text, form=form, config=dialogue_config()):
            return []  # the rule goes on to the form
        replies = CollectingDispatcher()
        events = answer_turn(replies, tracker, decline=None)
        if asked_about_subject(events):  # "ik heb een vraag over ...": what about it comes first
            dispatcher.messages.extend(replies.messages)
            return [*events, FollowupAction("action_listen")]
        if not answered(events):
            if is_sure_of_form(latest, config=dialogue_config()):
                # Nothing in the documents: the form is the way to tell the municipality. When the
                # citizen told what happened ("er ligt al dagen een dode kat op de stoep"), that is
                # the form's first answer, said back to them, not "Wat is het probleem?" again; a
                # question ("kunnen jullie de bank repareren?") gets the form's own first question.
                config = dialogue_config()
                return [] if is_question(text, config=config) else told_first(dispatcher, form, text)
            # Unsure it is a report at all ("doe de rolluiken omlaag"): no form starts unasked; the
            # citizen is asked to say it differently, with "Ik wil ... melden" as an example.
            return [*rephrase_or_hand_over(dispatcher, tracker), FollowupAction("action_listen")]
        dispatcher.messages.extend(replies.messages)
        if not offer_fits(form, text, replies.messages, config=dialogue_config()):
            return [*events, FollowupAction("action_listen")]  # answered; a form would be beside the point
        dispatcher.utter_message(response=FORM_OFFERS[form])
        # The rule would start the form next; after an answer the bot waits for the citizen, and a
        # "yes" takes up the offer (data/rules/forms.yml).
        return [*events, SlotSet("form_offered", form), FollowupAction("action_listen")]
