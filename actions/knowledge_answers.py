"""Answers a citizen's question from the public pages: the section that answers, with its source,
or an honest "I have no information on that"."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import context
from actions.dialogue_config import dialogue_config
from actions.followup import asks_about_own_case, is_follow_up, is_variant, refers_back
from actions.handoff import asks_for_a_person, hand_over, offers_open, user_texts
from actions.language import tracker_language
from actions.phrases import WORD
from actions.subjects import AnnouncedSubject, announced_subject, pending_subject, said_back
from actions.switches import is_off, say_off
from knowledge.chunking import ANSWER_MAX_WORDS, section_window

if TYPE_CHECKING:
    from knowledge.answers import Answer, Topic
    from knowledge.query_vectors import QueryVector
    from knowledge.types import Hit

log = logging.getLogger("loket.actions")

# Rasa's output channels split a text at blank lines into separate messages: one answer is one
# message, so its paragraphs are joined with single line breaks (Markdown still sees lists).
# Intents after which the message is treated as a question (the engine's normal threshold).
QUESTION_INTENTS = ("ask_question", "ask_followup")


def shorten(passage: str, *, max_words: int = ANSWER_MAX_WORDS) -> str:
    """At most `max_words` words in whole lines (a list item is never cut in half), as one message."""
    return section_window([passage], 0, max_words=max_words)


def source_of(hit: Hit, *, language: str) -> dict[str, Any]:
    """The link under an answer: the page, opened at the section that answered."""
    from knowledge.chunking import heading_of, section_url

    return {
        "title": hit.title,
        "section": hit.section,
        "heading": heading_of(hit.section),
        "url": section_url(hit.url, hit.section),
        "doc_id": hit.doc_id,
        "language": language,
    }


def utter_answer(dispatcher: CollectingDispatcher, answer: Answer, *, language: str, document_language: str) -> None:
    """One message: the section's text, its source, and a note when the page is in another language."""
    assert answer.hit is not None
    response = "utter_answer" if document_language == language else "utter_answer_other_language"
    dispatcher.utter_message(
        response=response,
        answer=shorten(answer.hit.passage),
        json_message={
            "sources": [source_of(hit, language=document_language) for hit in answer.sources],
            "language": language,
        },
    )


def referral_for(text: str, *, language: str, query_vector: QueryVector | None = None) -> dict[str, Any] | None:
    """The national organisation this question belongs to, when the router is sure of it."""
    services = context.current()
    try:
        decision = services.route(text, query_vector=query_vector)
    except Exception:  # noqa: BLE001 - without routing the question is simply answered or declined
        log.exception("Routing failed; answering without a referral")
        return None
    team_id = decision.get("team")
    if decision.get("status") != "routed" or not team_id or team_id not in services.teams:
        return None
    team = services.teams[team_id]
    if team.kind != "external" or not team.referral:
        return None
    if float(decision.get("confidence") or 0.0) < dialogue_config().referral_min_confidence:
        return None
    texts = team.referral.get("text") or {}
    return {
        "org": team_id,
        "name": team.name(language),
        "text": texts.get(language) or texts.get("nl") or "",
        "website": team.referral.get("website"),
        "phone": team.referral.get("phone"),
    }


def refer_if_external(
    dispatcher: CollectingDispatcher, text: str, *, language: str, query_vector: QueryVector | None = None
) -> list[dict[str, Any]] | None:
    """The referral to a national organisation, with its events, when the question is theirs."""
    referral = referral_for(text, language=language, query_vector=query_vector)
    if referral is None:
        return None
    dispatcher.utter_message(
        response="utter_referral", referral_text=referral["text"], json_message={"referral": referral}
    )
    return [*offers_open(), SlotSet("last_topic", None)]


def is_short(text: str) -> bool:
    return len(text.split()) <= dialogue_config().follow_up_max_words


def stands_on_its_own(answer: Answer, topic: Topic, text: str) -> bool:
    """Whether a short message's own answer is a new subject rather than a question about the
    page just shown: it is answered, and from that page or from one whose title it names ("en
    hoe zit het met grofvuil"). A short question answered from another page it does not name
    ("welke spullen neem ik mee" after a birth registration) found that page by its aspect only.
    A question naming a municipal topic the documents do not cover ("hoe word ik lid van een
    stembureau?" after the passport's costs) is a new subject too, declined on its own. So is a
    question naming a subject of the page it finds that the page shown does not mention ("grijze
    bak niet geleegd" after the passport's costs), answered or declined on its own, unless a word ahead
    of that subject points back at the answer ("kan ik dat per maand betalen")."""
    if answer.names_uncovered_topic:
        return True
    if names_a_new_subject(text, answer.new_subject_at):
        return True
    if not answer.answerable or answer.hit is None:
        # Declined on its own: still not a question about the page shown when it names something
        # that page does not mention ("waar klaag ik over hangjongeren" after the passport's costs).
        return names_a_new_subject(text, answer.other_subject_at)
    return answer.hit.doc_id == topic.doc_id or answer.names_its_page


def reads_as_follow_up(text: str, answer: Answer, topic: Topic | None, *, intent: str | None = None) -> bool:
    """Whether a message that is not a follow-up by its words asks about the page just shown
    after all: short, its own answer does not stand on its own (`stands_on_its_own`), and it
    fits a follow-up (`fits_a_follow_up`; `intent`: what the NLU made of it, None without one)."""
    return (
        topic is not None
        and is_short(text)
        and not stands_on_its_own(answer, topic, text)
        and fits_a_follow_up(text, answer, intent)
    )


def fits_a_follow_up(text: str, answer: Answer, intent: str | None) -> bool:
    """Whether a short message that finds no page of its own may be read as a question about the
    page shown. Chit-chat and gibberish find no page either: "wat vind jij van ajax" got the
    passport's costs again, "asdf qwerty" its application section, "is het vandaag zondag" the
    bulky waste's collection time.

    It fits when it asks one of a page's aspects (costs, duration, ...: "hoeveel tijd zit daar
    tussen"); taken by the NLU for out of scope, only a specific one ("welke film moet ik kijken"
    asks the broad "moet ik"). Otherwise, read by the NLU as a question (or without an NLU), when it
    has a word on the pages ("hoeveel weken duurt de behandeling") or points back at the answer
    ("kan ik dat per maand laten afschrijven"). Read as something else (not understood, a
    statement), a word on the pages says little (nearly every Dutch sentence has one: "het regent
    hier al de hele dag"): it must point back with a word that cannot point at nothing ("maakt dat
    nog uit", not the "het" of "is het vandaag zondag"), or ask what the citizen may or must do,
    with a word on the pages ("kan ik in mei al gaan zagen")."""
    if intent == "out_of_scope":
        return bool(answer.specific_aspects)
    if answer.aspects:
        return True
    config = dialogue_config()
    on_the_pages = answer.evidence is not None and answer.evidence.values.get("bm25", 0.0) > 0.0
    if intent is None or intent in QUESTION_INTENTS:
        return on_the_pages or refers_back(text, config=config)
    return refers_back(text, config=config, strictly=True) or (
        on_the_pages and asks_about_own_case(text, config=config)
    )


def names_a_new_subject(text: str, offsets: tuple[int, ...]) -> bool:
    """Whether one of the words at `offsets` (AnswerEngine.subject_words) names a subject: not a
    question word ("hoeveel", "wanneer": on few pages, but they name nothing), and no word pointing
    back at the answer shown comes before it."""
    config = dialogue_config()
    named = [at for at in offsets if (word := WORD.match(text[at:].lower())) and word[0] not in config.question_starts]
    return bool(named) and not refers_back(text, config=config, before=min(named))


def answer_turn(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    *,
    decline: str | None = "utter_no_answer",
    decline_uncovered: bool = False,
) -> list[dict[str, Any]]:
    """Answer the latest message, as a follow-up of the last topic when it is one, or with the
    subject the citizen's previous message announced ("ik heb een vraag over mijn afvalcontainer",
    then "hij is kapot"). A message that only announces a subject the documents may cover gets
    the question what the citizen wants to know about it (actions/subjects.py).

    `decline`: the response when the documents do not answer (None: say nothing, the caller
    decides); the events still record whether an answer was given (`human_offered`).
    `decline_uncovered`: with `decline` None, still say "no information" (with the contact route
    and the offer of a person) when the message names a municipal subject the documents lack: the
    caller's own reply ("could you say that differently?", "that is not something we do") would
    be wrong for "plekje vrijmarkt koningsdag reserveren".
    """
    subject = pending_subject(tracker.get_slot("announced_subject"), len(user_texts(tracker)))
    events = _answer_turn(dispatcher, tracker, decline=decline, decline_uncovered=decline_uncovered, subject=subject)
    if tracker.get_slot("announced_subject") is not None and not asked_about_subject(events):
        events.append(SlotSet("announced_subject", None))  # used, or out of date
    return events


def asked_about_subject(events: list[dict[str, Any]]) -> bool:
    """Whether `answer_turn`'s events asked what the citizen wants to know about a subject."""
    return any(e.get("name") == "announced_subject" and e.get("value") for e in events)


def _answer_turn(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    *,
    decline: str | None,
    decline_uncovered: bool,
    subject: str | None,
) -> list[dict[str, Any]]:
    from api.services.redaction import without_placeholders
    from knowledge.answers import Topic
    from knowledge.query_vectors import PARSE_KEY, QueryVector

    latest = tracker.latest_message or {}
    # "[BSN]" stands where the gateway took personal data out: no words to search for.
    text = without_placeholders(latest.get("text") or "")
    intent = latest.get("intent") or {}
    intent_name = intent.get("name")
    topic = Topic.from_json(tracker.get_slot("last_topic"))
    follow_up = topic is not None and (intent_name == "ask_followup" or is_follow_up(text, config=dialogue_config()))
    # Rasa's NLU already embedded the message with the index's model: the engine reuses that vector.
    query_vector = QueryVector.from_json(latest.get(PARSE_KEY))
    said = text
    if subject and not follow_up:
        # "hij is kapot" after "ik heb een vraag over mijn afvalcontainer": searched with its subject.
        text, query_vector = f"{text} {subject}", None
    services = context.current()
    language = tracker_language(tracker)
    if not follow_up:
        referred = refer_if_external(dispatcher, text, language=language, query_vector=query_vector)
        if referred is not None:
            return referred
    if is_off("answers"):
        # Switched off by an admin: nothing from the pages. The citizen gets the contact route and,
        # as after a question the pages do not answer, the offer of a person.
        if decline is not None:
            say_off("answers", dispatcher, tracker)
        return [
            *offers_open(person=True),
            SlotSet("last_topic", topic.to_json() if topic else None),
        ]
    answer = services.answers.answer(
        text,
        language=language,
        topic=topic,
        follow_up=follow_up,
        variant=follow_up and is_variant(text, config=dialogue_config()),
        query_vector=query_vector,
        # Right after the citizen said what they would ask about, whatever the NLU made of the
        # message ("hoeveel krijg ik" read as out of scope), it is a question about that subject.
        intent=intent_name if intent_name not in QUESTION_INTENTS and not subject else None,
    )
    announced = None if follow_up or subject else announced_subject(said, config=dialogue_config())
    if announced and not answer.aspects and not answer.names_uncovered_topic:
        # Only the subject so far ("ik heb een vraag over mijn uitkering"): any section shown would
        # be a guess. The citizen is asked what they want to know, and the next message is read with
        # the subject; a page that clearly covers it becomes the topic, for follow-ups on it.
        config = dialogue_config()
        dispatcher.utter_message(
            response="utter_ask_about_subject", subject=said_back(announced, language=language, config=config)
        )
        page = answer.topic if answer.answerable else None
        mark = AnnouncedSubject(announced, message=len(user_texts(tracker)))
        return [
            *offers_open(),
            SlotSet("last_topic", page.to_json() if page else None),
            SlotSet("announced_subject", mark.to_json()),
        ]
    if not follow_up and reads_as_follow_up(text, answer, topic, intent=intent_name):
        # "duurt dat lang?", "wat kost dat per jaar" after an answer: too little to find a page of
        # its own, so it is read as a question about the page the citizen was just shown.
        answer = services.answers.answer(text, language=language, topic=topic, follow_up=True)
    if answer.answerable and answer.hit is not None:
        document = services.answers.document_language(answer.hit.doc_id)
        utter_answer(dispatcher, answer, language=language, document_language=document)
    elif decline is not None:
        dispatcher.utter_message(response=decline)
    elif decline_uncovered and answer.names_uncovered_topic:
        dispatcher.utter_message(response="utter_no_answer")
    # A declined question still sets the topic when a page came up: "en wat kost dat?" may follow.
    new_topic = answer.topic if answer.answerable else topic
    return [
        *offers_open(person=not answer.answerable),  # an offer made with an earlier answer is gone
        SlotSet("last_topic", new_topic.to_json() if new_topic else None),
    ]


def answered(events: list[dict[str, Any]]) -> bool:
    """Whether `answer_turn`'s events say an answer was shown."""
    return not any(e.get("name") == "human_offered" and e.get("value") for e in events)


def answer_if_the_documents_do(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[dict[str, Any]] | None:
    """`answer_turn`'s answer and events when the documents answer the latest message; else None,
    and nothing said: for a message read as something else, unsure (a crisis, a request for a
    person), which is handled as that reading when it is not a question the documents answer."""
    attempt = CollectingDispatcher()  # what the engine says is kept only if it answered
    events = answer_turn(attempt, tracker, decline=None)
    if not answered(events) or not attempt.messages:
        return None
    dispatcher.messages.extend(attempt.messages)
    return events


class ActionAnswerQuestion(Action):
    def name(self) -> str:
        return "action_answer_question"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        return answer_turn(dispatcher, tracker)


class ActionOutOfScope(Action):
    """The NLU took the message for something a municipality does not do. A strong match in the
    documents still answers it (the engine is stricter after this intent); else a polite refusal."""

    def name(self) -> str:
        return "action_out_of_scope"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        if asks_for_a_person((tracker.latest_message or {}).get("text") or ""):
            return hand_over(dispatcher, tracker, reason="requested_human")  # "... a real person, please"
        events = answer_turn(dispatcher, tracker, decline=None, decline_uncovered=True)
        if answered(events) or dispatcher.messages:  # an answer, or "no information" on a municipal subject
            return events
        dispatcher.utter_message(response="utter_out_of_scope")
        return []
