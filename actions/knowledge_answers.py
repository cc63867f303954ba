"""Answers a citizen's question from the knowledge index, with its source."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import context
from actions.dialogue_config import dialogue_config
from actions.followup import search_query
from actions.language import tracker_language

MAX_PASSAGE_WORDS = 90


def shorten(passage: str, *, max_words: int = MAX_PASSAGE_WORDS) -> str:
    """At most `max_words` words, line breaks kept, as one message.

    Rasa's output channels split a text at blank lines into separate messages,
    so paragraphs are joined with single line breaks.
    """
    lines = [line.strip() for line in passage.strip().splitlines() if line.strip()]
    kept: list[str] = []
    count = 0
    for line in lines:
        words = line.split()
        if count + len(words) > max_words:
            kept.append(" ".join(words[: max_words - count]).rstrip(",;:") + " …")
            break
        kept.append(line)
        count += len(words)
    return "\n".join(kept)


def answer_from_knowledge(dispatcher: CollectingDispatcher, tracker: Tracker, query: str) -> bool:
    """Utter the best passage with its sources; False (and nothing said) when none is relevant."""
    from knowledge.query_vectors import PARSE_KEY, QueryVector
    from knowledge.types import Reader

    # Rasa's NLU already embedded the message with the index's model: the search reuses that
    # vector when the query is the message itself (not for a follow-up joined with its topic).
    query_vector = QueryVector.from_json((tracker.latest_message or {}).get(PARSE_KEY))
    result = context.current().search.search(query, reader=Reader.public(), k=3, query_vector=query_vector)
    if not result.relevant or not result.hits:
        return False
    best = result.hits[0]
    dispatcher.utter_message(
        response="utter_answer_source", title=best.title, section=best.section or best.title
    )
    sources = [
        {"title": hit.title, "section": hit.section, "url": hit.url, "doc_id": hit.doc_id}
        for hit in result.hits
    ]
    # Unique documents only, best first: the page shows them as links.
    unique: dict[str, dict[str, Any]] = {}
    for source in sources:
        unique.setdefault(str(source["doc_id"]), source)
    dispatcher.utter_message(
        text=shorten(best.passage),
        json_message={"sources": list(unique.values()), "language": tracker_language(tracker)},
    )
    return True


def answer_turn(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[dict[str, Any]]:
    """Answer the latest message, as a follow-up of the last topic when it is one."""
    latest = tracker.latest_message or {}
    text = latest.get("text") or ""
    intent = (latest.get("intent") or {}).get("name")
    last_topic = tracker.get_slot("last_topic")
    query = search_query(text, last_topic=last_topic, intent=intent, config=dialogue_config())
    # A follow-up keeps the topic it followed; a new question becomes the topic.
    topic = last_topic if query != text else text
    answered = answer_from_knowledge(dispatcher, tracker, query)
    if not answered:
        dispatcher.utter_message(response="utter_no_answer")
    return [
        SlotSet("human_offered", not answered),
        SlotSet("last_topic", topic),
        SlotSet("fallback_count", 0.0),
    ]


class ActionAnswerQuestion(Action):
    def name(self) -> str:
        return "action_answer_question"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        return answer_turn(dispatcher, tracker)
