"""The public-space report and complaint forms: validation, confirmation, submission, cancelling.

Both forms share one shape (free-text answers, optional ones that can be
skipped, a yes/no confirmation, a case for a team), so one abstract base per
concern holds the logic and the concrete classes only name the form.

A form's contact never reaches the actions: the gateway keeps it encrypted
(api/services/contact_details.py) and the answer holds its placeholder ("[e-mail]").
The actions say which case it belongs to (attach) or that it is not wanted (discard).
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import context
from actions.case_routing import choose_team, route_case
from actions.crisis import ask_after_an_unsure_reading, unsure_reading
from actions.dialogue_config import DialogueConfig, FormConfig, dialogue_config, wording
from actions.language import tracker_language
from actions.switches import is_off, refused
from actions.teams_info import response_time, team_name

SKIPPED = "-"  # an optional question the citizen chose not to answer
YES, NO = "yes", "no"
_NONE_SHOWN = {"nl": "(geen)", "en": "(none)"}


def _normalise(text: str) -> str:
    return re.sub(r"[^\w\s@:/.+-]", "", text.strip().lower()).strip(" .")


def _intent(tracker: Tracker) -> str | None:
    return ((tracker.latest_message or {}).get("intent") or {}).get("name")


def is_skip(text: str, tracker: Tracker, config: DialogueConfig) -> bool:
    cleaned = _normalise(text)
    first = cleaned.split(" ", 1)[0] if cleaned else ""
    return cleaned in config.skip_words or first in ("nee", "no", "geen", "none") or _intent(tracker) == "deny"


def yes_or_no(text: str, tracker: Tracker, config: DialogueConfig) -> str | None:
    cleaned = _normalise(text)
    if _intent(tracker) == "affirm" or cleaned in config.yes_words:
        return YES
    if _intent(tracker) == "deny" or cleaned in config.no_words:
        return NO
    return None


def contact_placeholders(text: str, config: DialogueConfig) -> str | None:
    """The contact placeholders in an answer ("[e-mail] [telefoon]"): the citizen gave a contact; None: none."""
    found = [placeholder for placeholder in config.contact_placeholders.values() if placeholder in text]
    return " ".join(found) or None


def contact_shown(value: str, language: str) -> str:
    """A given contact as the confirmation shows it: "opgegeven (e-mail)" / "given (e-mail, phone)"."""
    words = wording(language)
    kinds = [kind for kind, text in dialogue_config().contact_placeholders.items() if text in value]
    if not kinds:
        return value
    return words.contact_given.format(kinds=", ".join(words.contact_kinds.get(kind, kind) for kind in kinds))


def attach_contact(conversation_id: str, case_number: int) -> None:
    """The contact the citizen gave for the form belongs to its case now, and to nothing else."""
    contacts = context.current().contacts
    if contacts is not None:
        contacts.attach(conversation_id, case_number)


def discard_contact(tracker: Tracker) -> None:
    """Nothing is sent: the contact the citizen gave for it is deleted too."""
    contacts = context.current().contacts
    if contacts is not None:
        contacts.discard_pending(tracker.sender_id)


def form_field(slot: str, form: FormConfig) -> str:
    """report_what -> what: the key a team sees in the case's form data."""
    return slot.removeprefix(f"{form.name}_")


def form_values(tracker: Tracker, form: FormConfig) -> dict[str, Any]:
    """The answers so far, skipped ones as None."""
    values: dict[str, Any] = {}
    for slot in form.slots:
        value = tracker.get_slot(slot)
        values[form_field(slot, form)] = None if value in (None, SKIPPED) else value
    return values


def reset_events(form: FormConfig) -> list[dict[str, Any]]:
    return [SlotSet(slot, None) for slot in (*form.slots, form.confirm_slot)] + [SlotSet("requested_slot", None)]


class CaseFormValidation(FormValidationAction, ABC):
    """Checks each answer; returning None for a slot makes the form ask again."""

    form_key: str

    @abstractmethod
    def name(self) -> str: ...

    @property
    def form(self) -> FormConfig:
        return dialogue_config().forms[self.form_key]

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        if is_off("forms"):
            # Switched off by an admin while the form was under way: the form ends here, and the
            # submit action says so instead of sending anything.
            return [SlotSet("requested_slot", None)]
        events = await super().run(dispatcher, tracker, domain)
        if unsure_reading(tracker):
            # "ze was heel onbeleefd" to "Wat is er gebeurd?", read as a crisis (unsure): it is the
            # answer, and the form goes on; the help lines are asked all the same, and nothing in
            # the answer says it was only the question, so a moderator looks with priority.
            ask_after_an_unsure_reading(dispatcher, tracker, priority="high")
        return events

    def _text(self, value: Any, dispatcher: CollectingDispatcher, slot: str) -> dict[str, Any]:
        """A question every case needs answered: too short an answer, or a bare "nee" / "no" (which
        skips only the optional questions), is asked again. "nee" to "Waar is het?" became the place."""
        config = dialogue_config()
        text = str(value or "").strip()
        if len(text) < config.min_answer_chars or _normalise(text) in config.skip_words:
            dispatcher.utter_message(response="utter_answer_too_short")
            return {slot: None}
        return {slot: text}

    def _contact(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, slot: str, *, optional: bool
    ) -> dict[str, Any]:
        """A contact is given when the answer holds its placeholder (the gateway kept the address itself);
        an optional one may be skipped; anything else is asked again."""
        config = dialogue_config()
        text = str(value or "").strip()
        given = contact_placeholders(text, config)
        if given is not None:
            return {slot: given}
        if optional and is_skip(text, tracker, config):
            return {slot: SKIPPED}
        dispatcher.utter_message(response="utter_invalid_contact")
        return {slot: None}

    def _confirmed(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker) -> dict[str, Any]:
        answer = yes_or_no(str(value or ""), tracker, dialogue_config())
        if answer is None:
            dispatcher.utter_message(response="utter_yes_or_no")
        return {self.form.confirm_slot: answer}


class ValidateReportForm(CaseFormValidation):
    form_key = "report"

    def name(self) -> str:
        return "validate_report_form"

    async def validate_report_what(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:  # noqa: E501
        return self._text(value, dispatcher, "report_what")

    async def validate_report_where(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:  # noqa: E501
        return self._text(value, dispatcher, "report_where")

    async def validate_report_photo(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:  # noqa: E501
        config = dialogue_config()
        text = str(value or "").strip()
        if is_skip(text, tracker, config):
            return {"report_photo": SKIPPED}
        link = config.photo_pattern.search(text)
        if link is None:
            dispatcher.utter_message(response="utter_invalid_photo")
            return {"report_photo": None}
        return {"report_photo": link.group(0)}

    async def validate_report_contact(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:  # noqa: E501
        return self._contact(value, dispatcher, tracker, "report_contact", optional=True)

    async def validate_report_confirmed(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:  # noqa: E501
        return self._confirmed(value, dispatcher, tracker)


class ValidateComplaintForm(CaseFormValidation):
    form_key = "complaint"

    def name(self) -> str:
        return "validate_complaint_form"

    async def validate_complaint_what(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:  # noqa: E501
        return self._text(value, dispatcher, "complaint_what")

    async def validate_complaint_when(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:  # noqa: E501
        return self._text(value, dispatcher, "complaint_when")

    async def validate_complaint_desired_outcome(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:  # noqa: E501
        return self._text(value, dispatcher, "complaint_desired_outcome")

    async def validate_complaint_contact(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:  # noqa: E501
        return self._contact(value, dispatcher, tracker, "complaint_contact", optional=False)

    async def validate_complaint_confirmed(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:  # noqa: E501
        return self._confirmed(value, dispatcher, tracker)


class AskConfirmation(Action, ABC):
    """Reads the answers back before anything is sent (`action_ask_<form>_confirmed`)."""

    form_key: str

    @abstractmethod
    def name(self) -> str: ...

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:  # noqa: E501
        form = dialogue_config().forms[self.form_key]
        language = tracker_language(tracker)
        none = _NONE_SHOWN[language]
        values = {key: value or none for key, value in form_values(tracker, form).items()}
        if "contact" in values:
            values["contact"] = contact_shown(str(values["contact"]), language)
        dispatcher.utter_message(response=f"utter_confirm_{form.name}", **values)
        return []


class ActionAskReportConfirmed(AskConfirmation):
    form_key = "report"

    def name(self) -> str:
        return "action_ask_report_confirmed"


class ActionAskComplaintConfirmed(AskConfirmation):
    form_key = "complaint"

    def name(self) -> str:
        return "action_ask_complaint_confirmed"


def case_summary(values: dict[str, Any]) -> str:
    """One line for the team's queue: the answers in the form's order (the escalation's reason says
    which form it was; a code here would reach the console as it is)."""
    return " | ".join(str(value) for value in values.values() if value)


class SubmitCase(Action, ABC):
    """Creates the case for the routed team and says what happens next, or drops it on "no"."""

    form_key: str

    @abstractmethod
    def name(self) -> str: ...

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:  # noqa: E501
        form = dialogue_config().forms[self.form_key]
        if refused("forms", dispatcher, tracker):
            discard_contact(tracker)
            return reset_events(form)  # switched off by an admin: nothing is sent
        if tracker.get_slot(form.confirm_slot) != YES:
            discard_contact(tracker)
            dispatcher.utter_message(response="utter_case_not_sent")
            return reset_events(form)
        language = tracker_language(tracker)
        values = form_values(tracker, form)
        decision = route_case(" ".join(str(v) for v in values.values() if v))
        team = choose_team(form, decision)
        services = context.current()
        services.store.ensure(tracker.sender_id, language=language)
        case = services.escalations.escalate(
            conversation_id=tracker.sender_id,
            reason=form.reason,
            summary=case_summary(values),
            team=team,
            language=language,
            routing=decision,
            form_data={"form": form.reason, **values},
        )
        if values.get("contact"):
            attach_contact(tracker.sender_id, case.id)
        else:  # skipped: a contact given earlier in the conversation does not go with it
            discard_contact(tracker)
        dispatcher.utter_message(
            response="utter_case_created",
            reference=case.id,
            team=team_name(services.teams, team, language),
            response_time=response_time(services.teams, team, language),
        )
        return reset_events(form)


class ActionSubmitReport(SubmitCase):
    form_key = "report"

    def name(self) -> str:
        return "action_submit_report"


class ActionSubmitComplaint(SubmitCase):
    form_key = "complaint"

    def name(self) -> str:
        return "action_submit_complaint"


class ActionCancelForm(Action):
    """The citizen stopped a form: nothing is sent and the answers are forgotten."""

    def name(self) -> str:
        return "action_cancel_form"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:  # noqa: E501
        dispatcher.utter_message(response="utter_form_cancelled")
        discard_contact(tracker)
        events: list[dict[str, Any]] = []
        for form in dialogue_config().forms.values():
            events.extend(reset_events(form)[:-1])
        return [*events, SlotSet("requested_slot", None)]
