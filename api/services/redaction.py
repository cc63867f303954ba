"""The gateway's redaction: personal data out of a citizen's message before it is stored, sent to
Rasa or logged, and the notice that tells the citizen so (api/services/personal_data.py finds it).
The staff's entry points use the same recogniser: a staff search or question and the route API
its `redact` as it is, what a moderator writes (a reply, a note) `StaffTextRedactor`.

No exception: the answer to a form's question for a contact (the bot's last message asked for an
e-mail address or phone number) is redacted like any other message. The gateway takes the address
or number it found there into the contact vault (api/services/contact_details.py), encrypted and
for the case only; this module says which bot messages are those questions (the page then shows
its contact step) and what the contact in such an answer is.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from api.services.bot_responses import response_texts
from api.services.contact_details import CONTACT_KINDS, Contact
from api.services.personal_data import (
    PLACEHOLDER_PATTERN,
    Kind,
    Redaction,
    find_personal_data,
    redact,
    redact_findings,
)
from routing.teams import TeamDirectory

# The domain.yml responses that ask for a contact; the gateway compares the bot's last message with them.
CONTACT_PROMPTS = ("utter_ask_report_contact", "utter_ask_complaint_contact")
# Those whose form may go without one (a report may be anonymous; a complaint needs a contact).
OPTIONAL_CONTACT_PROMPTS = ("utter_ask_report_contact",)


@dataclass(frozen=True)
class ContactStep:
    """The bot asked for a contact: the page shows its contact form instead of the text box."""

    optional: bool  # the citizen may stay anonymous


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
    def __init__(
        self, *, notices: RemovalNotices, contact_prompts: Iterable[str] = (), optional_prompts: Iterable[str] = ()
    ) -> None:
        self._notices = notices
        optional = frozenset(prompt.strip() for prompt in optional_prompts)
        self._contact_prompts = {
            prompt.strip(): ContactStep(optional=prompt.strip() in optional) for prompt in contact_prompts
        }

    @classmethod
    def load(cls, *, messages_file: Path, domain_file: Path) -> Redactor:
        """The notices from the gateway's catalogue, the contact questions from domain.yml."""
        catalogue = yaml.safe_load(messages_file.read_text(encoding="utf-8"))
        prompts = response_texts(domain_file, CONTACT_PROMPTS)
        return cls(
            notices=RemovalNotices.from_catalogue(catalogue),
            contact_prompts=[text for texts in prompts.values() for text in texts.values()],
            optional_prompts=[text for name in OPTIONAL_CONTACT_PROMPTS for text in prompts[name].values()],
        )

    def redact(self, text: str) -> Redaction:
        return redact(text)

    def contact_step(self, bot_text: str | None) -> ContactStep | None:
        """The contact step, when `bot_text` (the bot's last message) is a form's question for a contact."""
        return None if bot_text is None else self._contact_prompts.get(bot_text.strip())

    def may_hold_contact(self, redaction: Redaction) -> bool:
        """Whether the message could be the answer to a contact question: only then is the bot's last
        message looked up."""
        return bool(self._contact_prompts) and not set(CONTACT_KINDS).isdisjoint(redaction.kinds)

    @staticmethod
    def contact_in(text: str, redaction: Redaction) -> Contact | None:
        """The first e-mail address and phone number the redaction took out of `text` (the original)."""
        found: dict[Kind, str] = {}
        for finding in redaction.findings:
            if finding.kind in CONTACT_KINDS:
                found.setdefault(finding.kind, text[finding.start : finding.end])
        return Contact(email=found.get("email"), phone=found.get("phone")) if found else None

    def notice(self, kinds: Sequence[Kind], language: str) -> str:
        return self._notices.text(kinds, language)


def without_placeholders(text: str) -> str:
    """The text with the placeholders left out: for the language detector, which would take
    "[telefoon]" in an English message for Dutch."""
    return " ".join(PLACEHOLDER_PATTERN.sub(" ", text).split())


class StaffTextRedactor:
    """Personal data out of what a moderator writes (a reply to the citizen, an internal note), except
    the municipality's own published phone numbers and e-mail addresses (teams.yml: every team's
    contact and every organisation's referral): a reply that tells the citizen to write to
    klachten@vlietstad.nl must reach them as written. Any other number or address is redacted, the
    citizen's own above all."""

    def __init__(self, public_contacts: Iterable[str] = ()) -> None:
        self._public = frozenset(
            _contact_key(text[f.start : f.end])
            for text in public_contacts
            for f in find_personal_data(text)
            if f.kind in CONTACT_KINDS
        )

    @classmethod
    def of(cls, teams: TeamDirectory) -> StaffTextRedactor:
        return cls(text for team in teams.values() for text in _strings([team.contact, team.referral or {}]))

    def redact(self, text: str) -> Redaction:
        findings = [
            f
            for f in find_personal_data(text)
            if not (f.kind in CONTACT_KINDS and _contact_key(text[f.start : f.end]) in self._public)
        ]
        return redact_findings(text, findings)


def _contact_key(value: str) -> str:
    """A phone number by its digits (and a leading +), an e-mail address in lower case."""
    return re.sub(r"[^0-9a-z@.+]", "", value.lower())


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _strings(item)
