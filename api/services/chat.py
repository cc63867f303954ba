"""The citizen chat gateway: language, persistence, and Rasa or a person.

The citizen never talks to Rasa directly. Personal data is taken out of every
message first (api/services/redaction.py), so the database, Rasa and the logs only
ever see the placeholders, and the citizen is told so. The contact a form asks for
goes into the contact vault instead (api/services/contact_details.py), encrypted and
for the case only: given in the page's contact step, or typed as the answer to the
form's question. Every message is stored
before it is forwarded, so a Rasa outage loses nothing; while a moderator has the
conversation the bot stays silent. Turns of one conversation are handled one at
a time, past capacity a turn is refused as busy (docs/deployment.md), and a
crisis message gets the help lines even when Rasa does not answer.
"""

from __future__ import annotations

import json
import logging
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Literal, Protocol, get_args

from anyio import to_thread

from api.services.admission import Admission
from api.services.chat_switches import ChatSwitchedOff, ChatSwitches
from api.services.contact_details import Contact, ContactVault
from api.services.conversation_locks import ConversationLocks
from api.services.conversations import ConversationStore, Message, UnknownConversation
from api.services.crisis import CRISIS_INTENT, THREAT_INTENT, SafetySignals
from api.services.escalations import EscalationWorkflow
from api.services.language import split_language_choice
from api.services.message_vectors import MessageVectors
from api.services.personal_data import Redaction
from api.services.rasa_client import RasaUnavailable
from api.services.redaction import ContactStep, Redactor, without_placeholders
from knowledge.languages import (
    DEFAULT_LANGUAGE,
    SUPPORTED_LANGUAGES,
    Language,
    detect_language,
    other_language,
    supported,
)

log = logging.getLogger("loket.api")


class CrisisFallback:
    """What the gateway does itself with a crisis message when Rasa cannot: Rasa's own help-line
    text (domain.yml's utter_crisis) and a high-priority crisis escalation."""

    def __init__(
        self, *, escalations: EscalationWorkflow, texts: dict[str, dict[str, str]], rasa_timeout_s: float = 8.0
    ) -> None:
        self._escalations = escalations
        self._texts = texts  # utter_crisis / utter_crisis_escalated -> language -> text
        self.rasa_timeout_s = rasa_timeout_s  # how long Rasa may take before the gateway answers

    def escalate(self, conversation_id: str, question: str, language: str) -> bool:
        try:
            self._escalations.escalate(
                conversation_id=conversation_id, reason="crisis", priority="high", team="crisis",
                language=language, summary=question,
            )  # fmt: skip
        except Exception:  # noqa: BLE001 - the help lines are given whatever fails here
            log.exception("Crisis escalation failed for %s", conversation_id)
            return False
        return True

    def help_lines(self, language: str) -> str:
        return self._texts["utter_crisis"][language]

    def respond(self, conversation_id: str, question: str, language: str) -> list[dict[str, Any]]:
        """Rasa's reply to a crisis message, made here: help lines first, then the escalation."""
        replies = [{"text": self._texts["utter_crisis"][language]}]
        if self.escalate(conversation_id, question, language):
            replies.append({"text": self._texts["utter_crisis_escalated"][language]})
        return replies


# About the form's contact step: the contact was kept for the case, or what was wrong with it.
ContactNotice = Literal[
    "contact_kept", "contact_invalid_email", "contact_invalid_phone", "contact_missing", "contact_not_asked"
]
CONTACT_NOTICES: tuple[ContactNotice, ...] = get_args(ContactNotice)


# The gateway's own messages: for a turn the bot left unanswered, past capacity, Rasa down, for a
# conversation that reached its length cap, for a client past its rate limit, and about the contact step.
Notice = Literal[
    "no_reply", "busy", "unavailable", "conversation_full", "chat_off", "rate_limited", "other_language", ContactNotice
]


class NotAskingForContact(Exception):
    """A contact came through the contact step while the bot was not asking for one: nothing was kept."""


class ConversationFull(Exception):
    """The conversation has as many citizen messages as it may: the message was not stored.
    `notice` asks the citizen, in their language, to start a new conversation."""

    def __init__(self, notice: str) -> None:
        super().__init__(notice)
        self.notice = notice


class BotBackend(Protocol):
    async def send(
        self, *, sender: str, text: str, metadata: dict[str, Any], timeout_s: float | None = None
    ) -> list[dict[str, Any]]: ...


@dataclass(frozen=True)
class BotMessage:
    text: str
    sources: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class ChatTurn:
    conversation_id: str
    language: Language
    citizen_message: Message | None
    replies: list[Message]
    handled_by: str
    # What the bot's last reply asks for, when the page shows a step of its own for it.
    expects: ContactStep | None = None


def merge_rasa_messages(raw: list[dict[str, Any]]) -> list[BotMessage]:
    """Rasa sends text and custom JSON as separate items: attach sources to the text."""
    merged: list[BotMessage] = []
    for item in raw:
        custom = item.get("custom") or {}
        sources = list(custom.get("sources") or [])
        text = item.get("text")
        if text:
            merged.append(BotMessage(text=text, sources=sources))
        elif sources and merged:
            previous = merged.pop()
            merged.append(BotMessage(text=previous.text, sources=previous.sources + sources))
    return merged


def rasa_text(question: str) -> str:
    """What Rasa gets: never a citizen-typed "/intent" shortcut, which would skip NLU.

    A message that only chose the language becomes Rasa's greeting trigger, so
    the citizen gets an answer in the language just chosen.
    """
    cleaned = question.strip().lstrip("/").strip()
    return cleaned or "/greet"


def with_language(text: str, language: Language) -> str:
    """An intent trigger ("/greet") skips Rasa's NLU, so the metadata's language would not
    reach the `language` slot: the trigger carries it as an entity instead."""
    if not text.startswith("/"):
        return text
    return f"{text}{json.dumps({'language': language})}"


class ChatGateway:
    """Async, so that no api worker thread waits on Rasa while Rasa calls the api's /webhook.

    The database and the language detector are blocking: they run in worker threads for
    milliseconds each; the wait for Rasa holds no thread at all.
    """

    def __init__(
        self,
        *,
        store: ConversationStore,
        bot: BotBackend,
        notices: dict[Notice, dict[str, str]],
        admission: Admission,
        locks: ConversationLocks,
        redactor: Redactor,
        signals: SafetySignals | None = None,
        crisis: CrisisFallback | None = None,
        max_citizen_messages: int | None = None,
        switches: ChatSwitches | None = None,
        contacts: ContactVault | None = None,
        vectors: MessageVectors | None = None,
    ) -> None:
        self._store = store
        self._bot = bot
        self._notices = notices  # kind -> language -> text (data/handoff_messages.yml)
        self._admission = admission
        self._locks = locks
        self._redactor = redactor
        self._signals = signals or SafetySignals()
        self._crisis = crisis
        # Past this many citizen messages a conversation takes no more (None: no cap): every turn
        # and every read of it stays bounded (docs/deployment.md, "Long conversations").
        self._max_citizen_messages = max_citizen_messages
        # An admin's kill switches (None: always on): with the chat off only crisis help is given.
        self._switches = switches
        # Where a form's contact goes (None: nowhere, it is redacted like anything else).
        self._contacts = contacts
        # The message's e5 embedding for Rasa's NLU (None: Rasa computes it itself).
        self._vectors = vectors

    def open(self, *, language: Language = "nl") -> str:
        return self._store.start(language=language)

    def exclusive(self, conversation_id: str) -> AbstractAsyncContextManager[None]:
        """The conversation's turn lock, for work that must not overlap a turn: erasure takes it, so no
        turn is halfway (Rasa saving its events, an action opening a case) when the rows go. Raises
        Busy when a turn holds it too long."""
        return self._locks.hold(conversation_id)

    async def handle(
        self,
        *,
        conversation_id: str,
        text: str,
        language: Language | None,
        client_message_id: str | None = None,
        contact: Contact | None = None,
    ) -> ChatTurn:
        """Store the citizen's message, then let the bot (or nobody, if a person has it) reply.

        One turn at a time per conversation, in the order the messages arrived. A message sent
        again under the same `client_message_id` is stored once and answered once: a retry of
        an answered message gets the stored answer back.

        Personal data in `text` is replaced by placeholders before anything else sees it, and a
        notice among the replies says what was left out. The answer to a form's question for a
        contact keeps its e-mail address and phone number in the contact vault instead; `contact`
        is one from the page's contact step (`text` is then its placeholders). NotAskingForContact,
        before anything is stored, for a `contact` while the bot is not asking for one.

        Raises UnknownConversation for an id the api never issued; Busy, before anything is
        stored, past capacity; ConversationFull, before anything is stored, when the conversation
        reached its length cap (a crisis message and a retry of a stored one still get through);
        ChatSwitchedOff, before anything is stored, while an admin has the chat switched off (a crisis
        message gets the help lines and an escalation from the gateway itself);
        RasaUnavailable after the message was stored when Rasa does not answer (a retry with the
        same key answers it then).
        """
        async with self._locks.hold(conversation_id):
            earlier = (
                await to_thread.run_sync(self._store.by_client_id, conversation_id, client_message_id)
                if client_message_id
                else None
            )
            if earlier is not None and earlier.answered:
                replies = await to_thread.run_sync(self._store.replies_to, earlier.id)
                handled_by = await to_thread.run_sync(self._store.handled_by, conversation_id)
                return ChatTurn(
                    conversation_id, supported(earlier.language), earlier, replies, handled_by, self._expects(replies)
                )
            state = await to_thread.run_sync(self._store.state, conversation_id)
            # From here on only the redacted text exists; a retry's stored text was redacted before.
            redaction = await to_thread.run_sync(self._redactor.redact, text)
            kept = await self._contact_given(conversation_id, text, redaction, contact, handled_by=state.handled_by)
            choice, question = split_language_choice(earlier.text if earlier else redaction.text)
            detected: Language = choice or language or await self._detect(question, previous=state.language)
            in_crisis = self._signals.crisis(question) is not None
            if earlier is None and not in_crisis and self._full(state.citizen_messages):
                raise ConversationFull(self._notices["conversation_full"][detected])
            removed_kinds = [kind for kind in redaction.kinds if kept is None or kind not in kept.kinds]
            removed = [self._redactor.notice(removed_kinds, detected)] if removed_kinds else []
            if kept is not None:
                removed.append(self._notices["contact_kept"][detected])
            if state.handled_by != "bot":
                # A person has the conversation: they see the message in the console.
                citizen = earlier or await self._store_citizen(
                    conversation_id, redaction.text, detected, client_message_id
                )
                replies = await to_thread.run_sync(
                    partial(self._store.answer, citizen, [], language=detected, notices=removed)
                )
                if in_crisis and self._crisis is not None:
                    # Flagged in the queue: the escalation becomes a crisis with high priority.
                    await to_thread.run_sync(partial(self._crisis.escalate, conversation_id, question, detected))
                return ChatTurn(conversation_id, detected, citizen, replies, state.handled_by)
            chat_on = await self._chat_on()
            if not chat_on and not in_crisis:
                # Switched off by an admin: nothing of the message is kept, nothing goes to Rasa.
                raise ChatSwitchedOff(self._notices["chat_off"][detected])
            if kept is not None and self._contacts is not None:
                await to_thread.run_sync(partial(self._contacts.keep_pending, conversation_id, kept))
            if not in_crisis and choice is None and await self._in_other_language(question):
                # "Wie beantrage ich einen Reisepass?": the assistant cannot read it, so it says in
                # both its languages which it speaks instead of replying to words it cannot read.
                citizen = earlier or await self._store_citizen(
                    conversation_id, redaction.text, detected, client_message_id
                )
                note: list[tuple[str, list[dict[str, Any]]]] = [
                    (self._notices["other_language"][lang], []) for lang in SUPPORTED_LANGUAGES
                ]
                replies = await to_thread.run_sync(
                    partial(self._store.answer, citizen, note, language=detected, notices=removed)
                )
                return ChatTurn(conversation_id, detected, citizen, replies, state.handled_by)
            if in_crisis:
                # Never refused as busy, and the help lines come even when Rasa does not answer.
                citizen = earlier or await self._store_citizen(
                    conversation_id, redaction.text, detected, client_message_id
                )
                raw = await self._send_in_crisis(conversation_id, question, detected, bot=chat_on)
            else:
                async with self._admission.slot():
                    citizen = earlier or await self._store_citizen(
                        conversation_id, redaction.text, detected, client_message_id
                    )
                    raw = await self._send(conversation_id, question, detected)
            answers = [
                (message.text, message.sources)
                for message in merge_rasa_messages(raw) or [BotMessage(self._notices["no_reply"][detected])]
                if message.text
            ]
            replies = await to_thread.run_sync(
                partial(self._store.answer, citizen, answers, language=detected, notices=removed)
            )
            return ChatTurn(conversation_id, detected, citizen, replies, state.handled_by, self._expects(replies))

    def _full(self, citizen_messages: int) -> bool:
        return self._max_citizen_messages is not None and citizen_messages >= self._max_citizen_messages

    async def _contact_given(
        self, conversation_id: str, text: str, redaction: Redaction, contact: Contact | None, *, handled_by: str
    ) -> Contact | None:
        """The contact to keep when the message answers a form's question for one: `contact` from the
        page's contact step, or what the redaction took out of the typed answer. None when the bot is
        not asking for a contact, or the answer holds none."""
        if contact is None and (self._contacts is None or not self._redactor.may_hold_contact(redaction)):
            return None
        asking = (
            self._contacts is not None
            and handled_by == "bot"
            and self._redactor.contact_step(await to_thread.run_sync(self._store.last_bot_text, conversation_id))
            is not None
        )
        if not asking:
            if contact is not None:
                raise NotAskingForContact(conversation_id)
            return None
        return contact or self._redactor.contact_in(text, redaction)

    def _expects(self, replies: list[Message]) -> ContactStep | None:
        """The contact step when the bot's last reply is a form's question for a contact."""
        bot = [reply.text for reply in replies if reply.author == "bot"]
        return self._redactor.contact_step(bot[-1]) if bot else None

    @staticmethod
    async def _detect(question: str, *, previous: str) -> Language:
        # Without the placeholders, which are Dutch words whatever the message's language.
        text = without_placeholders(question)
        detected: Language = await to_thread.run_sync(partial(detect_language, text, previous=supported(previous)))
        return detected

    @staticmethod
    async def _in_other_language(question: str) -> bool:
        return await to_thread.run_sync(other_language, without_placeholders(question)) is not None

    async def notice(
        self, kind: Notice, *, conversation_id: str, language: Language | None, refused_text: str = ""
    ) -> str:
        """The gateway's own message of this kind, in the page's language or else the conversation's.

        `refused_text`: the message a refusal turns away unprocessed (past a rate limit); when it
        carries a crisis signal, the crisis help lines follow the notice all the same.
        """
        if language is None:
            try:
                state = await to_thread.run_sync(self._store.state, conversation_id)
                language = supported(state.language)
            except UnknownConversation:
                language = DEFAULT_LANGUAGE
        notice = self._notices[kind][language]
        if refused_text and self._crisis is not None and self._signals.crisis(refused_text) is not None:
            notice = f"{notice} {self._crisis.help_lines(language)}"
        return notice

    async def _store_citizen(
        self, conversation_id: str, text: str, language: Language, client_message_id: str | None
    ) -> Message:
        return await to_thread.run_sync(
            partial(
                self._store.add_message,
                conversation_id=conversation_id,
                author="citizen",
                text=text,
                language=language,
                client_message_id=client_message_id,
            )
        )

    async def _chat_on(self) -> bool:
        return self._switches is None or (await to_thread.run_sync(self._switches.state)).chat

    async def _send_in_crisis(
        self, conversation_id: str, question: str, language: Language, *, bot: bool = True
    ) -> list[dict[str, Any]]:
        if self._crisis is None:
            return await self._send(conversation_id, question, language)
        if not bot:
            # The chat is switched off: the gateway gives the help lines and escalates, without Rasa.
            return await to_thread.run_sync(partial(self._crisis.respond, conversation_id, question, language))
        try:
            return await self._send(conversation_id, question, language, timeout_s=self._crisis.rasa_timeout_s)
        except RasaUnavailable:
            log.warning("Rasa did not answer a crisis message; the gateway gave the help lines itself")
            return await to_thread.run_sync(partial(self._crisis.respond, conversation_id, question, language))

    async def _send(
        self, conversation_id: str, question: str, language: Language, *, timeout_s: float | None = None
    ) -> list[dict[str, Any]]:
        metadata: dict[str, Any] = {"language": language}
        bot_text = rasa_text(question)
        if self._signals.crisis(question):
            # Deterministic: the crisis intent wins over whatever the NLU would predict.
            bot_text = CRISIS_INTENT
            metadata["crisis_text"] = question
        elif self._signals.threat(question):
            # Deterministic too: a threat never starts the complaint form.
            bot_text = THREAT_INTENT
            metadata["threat_text"] = question
        elif self._vectors is not None:
            metadata |= await self._vectors.metadata(bot_text)
        return await self._bot.send(
            sender=conversation_id, text=with_language(bot_text, language), metadata=metadata, timeout_s=timeout_s
        )
