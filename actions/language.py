"""The citizen's language as the actions see it.

The `language` slot follows what the api gateway detected for every message (or the
citizen chose with /nl or /en): the gateway sends it as message metadata, Rasa's
`LanguageFromMetadata` component (bot/nlu) turns it into the `language` entity, and the
domain's `from_entity` mapping fills the slot.
"""

from __future__ import annotations

from rasa_sdk import Tracker

SUPPORTED = ("nl", "en")


def tracker_language(tracker: Tracker) -> str:
    language = tracker.get_slot("language")
    return language if language in SUPPORTED else "nl"
