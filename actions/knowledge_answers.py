"""Answers a citizen's question from the knowledge index, with its source."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import context
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


class ActionAnswerQuestion(Action):
    def name(self) -> str:
        return "action_answer_question"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        from knowledge.types import Reader

        question = (tracker.latest_message or {}).get("text") or ""
        result = context.current().search.search(question, reader=Reader.public(), k=3)
        if not result.relevant or not result.hits:
            dispatcher.utter_message(response="utter_no_answer")
            return [SlotSet("human_offered", True)]

        best = result.hits[0]
        dispatcher.utter_message(
            response="utter_answer_source", title=best.title, section=best.section or best.title
        )
        sources = [
            {"title": hit.title, "section": hit.section, "url": hit.url, "doc_id": hit.doc_id}
            for hit in result.hits
        ]
        # Unique documents only, best first: the page shows them as links.
        seen: set[str] = set()
        unique = [s for s in sources if not (s["doc_id"] in seen or seen.add(s["doc_id"]))]
        dispatcher.utter_message(
            text=shorten(best.passage),
            json_message={"sources": unique, "language": tracker_language(tracker)},
        )
        return [SlotSet("human_offered", False)]
