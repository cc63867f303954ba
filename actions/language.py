"""The citizen's language as the actions see it.

The `language` slot follows what the api gateway detected for every message (or the
citizen chose with /nl or /en): the gateway sends it as message metadata, Rasa's
`LanguageFromMetadata` component (bot/nlu) turns it into the `language` entity, and the
domain's `from_entity` mapping fills the slot.
"""

from __future__ import annotations

from rasa_sdk import Tracker

from knowledge.languages import Language, supported


def tracker_language(tracker: Tracker) -> Language:
    return supported(tracker.get_slot("language"))
