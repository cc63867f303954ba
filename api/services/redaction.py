"""The gateway's redaction: personal data out of a citizen's message before it is stored, sent to
Rasa or logged, and the notice that tells the citizen so (api/services/personal_data.py finds it).

One exception, until a form's contact details get a step of their own: the answer to a
form's question for a contact (the bot's last message asked for an e-mail address or phone
number) keeps those two kinds, or the team could not reach the citizen. Anything else in that
answer is taken out all the same.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from api.services.bot_responses import response_texts
from api.services.personal_data import PLACEHOLDER_PATTERN, Kind, Redaction, redact

CONTACT_KINDS: frozenset[Kind] = frozenset({"email", "phone"})
# The domain.yml responses that ask for a contact; the gateway compares the bot's last message with them.
CONTACT_PROMPTS = ("utter_ask_report_contact", "utter_ask_complaint_contact")


@dataclass(frozen=True)
class RemovalNotices:
    """The notice texts, language -> text, and the kinds' names, language -> kind -> name
    (data/handoff_messages.yml, the gateway's message catalogue)."""

    one: Mapping[str, str]
    several: Mapping[str, str]
    names: Mapping[str, Mapping[str, str]]

    @classmethod
    def from_catalogue(cls, texts: Mapping[str, Any]) -> RemovalNotices:
        return cls(
            one=texts["personal_data_removed"],
            several=texts["personal_data_removed_several"],
            names=texts["personal_data_names"],
        )

    def text(self, kinds: Sequence[Kind], language: str) -> str:
        names = [self.names[language][kind] for kind in kinds]
        if len(names) == 1:
            return self.one[language].format(items=names[0])
        return self.several[language].format(items=", ".join(names[:-1]), last=names[-1])


class Redactor:
    def __init__(self, *, notices: RemovalNotices, contact_prompts: Iterable[str] = ()) -> None:
        self._notices = notices
        self._contact_prompts = frozenset(prompt.strip() for prompt in contact_prompts)

    @classmethod
    def load(cls, *, messages_file: Path, domain_file: Path) -> Redactor:
        """The notices from the gateway's catalogue, the contact questions from domain.yml."""
        catalogue = yaml.safe_load(messages_file.read_text(encoding="utf-8"))
        prompts = response_texts(domain_file, CONTACT_PROMPTS)
        return cls(
            notices=RemovalNotices.from_catalogue(catalogue),
            contact_prompts=[text for texts in prompts.values() for text in texts.values()],
        )

    def redact(self, text: str, *, after: str | None = None) -> Redaction:
        """`text` redacted; `after` is the bot's last message before it, where known."""
        answers_contact_prompt = after is not None and after.strip() in self._contact_prompts
        return redact(text, keep=CONTACT_KINDS if answers_contact_prompt else frozenset())

    def may_keep_contact(self, redaction: Redaction) -> bool:
        """Whether the bot's last message could change what is taken out: only e-mail addresses and
        phone numbers are ever kept, so other messages need not look it up."""
        return bool(self._contact_prompts) and not CONTACT_KINDS.isdisjoint(redaction.kinds)

    def notice(self, kinds: Sequence[Kind], language: str) -> str:
        return self._notices.text(kinds, language)


def without_placeholders(text: str) -> str:
    """The text with the placeholders left out: for the language detector, which would take
    "[telefoon]" in an English message for Dutch."""
    return " ".join(PLACEHOLDER_PATTERN.sub(" ", text).split())
