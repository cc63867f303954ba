"""Hands the conversation to a person: opens an escalation and tells the citizen when."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import context
from actions.case_routing import route_case
from actions.dialogue_config import FormConfig, dialogue_config, wording
from actions.language import tracker_language
from actions.phrases import says_any

log = logging.getLogger(__name__)


def format_opening(moment: datetime, language: str) -> str:
    day = wording(language).weekdays[moment.weekday()]
    return f"{day} {moment:%H:%M}" if language == "en" else f"{day} {moment:%H.%M} uur"


def user_texts(tracker: Tracker) -> list[str]:
    """The citizen's messages so far, oldest first."""
    return [event["text"] for event in tracker.events if event.get("event") == "user" and event.get("text")]


def conversation_summary(tracker: Tracker, *, max_messages: int = 3) -> str:
    """The citizen's last few messages: what a moderator reads first."""
    return " | ".join(user_texts(tracker)[-max_messages:])


def paused_form(tracker: Tracker) -> tuple[FormConfig, dict[str, Any]] | None:
    """The form the citizen was filling in, with the answers so far (kept for the person)."""
    from actions.forms import form_values

    for form in dialogue_config().forms.values():
        values = form_values(tracker, form)
        if any(value is not None for value in values.values()):
            return form, values
    return None


def routing_for(summary: str) -> dict[str, Any]:
    """Routing's view of what the citizen asked, for the moderator; never blocks the handoff."""
    if not summary.strip():
        return {}
    try:
        return route_case(summary)
    except Exception:  # noqa: BLE001 - a person must be reachable even if routing fails
        log.exception("routing failed while escalating")
        return {}


def offers_open(*, person: bool = False) -> list[dict[str, Any]]:
    """The offers a turn leaves open for a following "ja": a person when `person`, never a form
    (action_answer_or_start_form offers that after its answer, and sets it itself)."""
    return [SlotSet("human_offered", person), SlotSet("form_offered", None)]


def asks_for_a_person(text: str) -> bool:
    """Whether the message asks for a person in so many words (actions/dialogue.yml `handoff`)."""
    return says_any(text, dialogue_config().handoff_phrases)


def escalate_urgently(tracker: Tracker, *, reason: str, team: str, text_key: str, priority: str = "high") -> bool:
    """A high-priority escalation of what the citizen just wrote (crisis, threat); `priority`
    "normal" for an unsure crisis reading that the documents answered (actions/crisis.py).

    `text_key`: the metadata key in which the gateway passes the original message along with
    the intent it triggered. False (and logged) when the escalation could not be made: the
    caller has already answered the citizen and must not fail because of it.
    """
    language = tracker_language(tracker)
    metadata = (tracker.latest_message or {}).get("metadata") or {}
    summary = str(metadata.get(text_key) or conversation_summary(tracker, max_messages=1))
    try:
        services = context.current()
        services.store.ensure(tracker.sender_id, language=language)
        services.escalations.escalate(
            conversation_id=tracker.sender_id,
            reason=reason,
            priority=priority,
            team=team,
            language=language,
            summary=summary,
        )
    except Exception:  # noqa: BLE001 - what the citizen needs was said first, whatever fails here
        log.exception("%s escalation failed for %s", reason, tracker.sender_id)
        return False
    return True


def hand_over(dispatcher: CollectingDispatcher, tracker: Tracker, *, reason: str) -> list[dict[str, Any]]:
    """Open an escalation for a person and tell the citizen when someone will be there."""
    services = context.current()
    language = tracker_language(tracker)
    services.store.ensure(tracker.sender_id, language=language)
    # Asked mid-form: the person sees the answers so far and the form's team.
    paused = paused_form(tracker)
    team = paused[0].default_team if paused else None
    form_data = {"form": paused[0].reason, "complete": False, **paused[1]} if paused else None
    summary = conversation_summary(tracker)
    routing = routing_for(summary)
    if team is None and routing.get("status") == "routed":
        team = routing.get("team")  # unsure or out of scope: no team, moderator triage
    case = services.escalations.escalate(
        conversation_id=tracker.sender_id,
        reason=reason,
        summary=summary,
        team=team,
        language=language,
        form_data=form_data,
        routing=routing,
    )
    if paused and paused[1].get("contact") and services.contacts is not None:
        # The paused form's contact (encrypted by the api) goes with the case the person handles.
        services.contacts.attach(tracker.sender_id, case.id)
    now = datetime.now(UTC)
    if services.office_hours.is_open(now):
        dispatcher.utter_message(response="utter_handoff_now")
    else:
        opening = services.office_hours.next_opening(now)
        when = format_opening(opening, language) if opening else "?"
        dispatcher.utter_message(response="utter_handoff_later", next_opening=when)
    return offers_open()


class ActionResetOffer(Action):
    """The citizen answered an offer (of a person, or of a form after an answer): it is withdrawn,
    so that a later "yes" does not take it up. A "yes" to the offer of a form starts it with what
    the citizen already told (`taken_up`)."""

    def name(self) -> str:
        return "action_reset_offer"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        offered = tracker.get_slot("form_offered")
        intent = ((tracker.latest_message or {}).get("intent") or {}).get("name")
        taken = taken_up(dispatcher, tracker, offered) if offered and intent == "affirm" else []
        return [*offers_open(), *taken]


def taken_up(dispatcher: CollectingDispatcher, tracker: Tracker, form_name: str) -> list[dict[str, Any]]:
    """The offer to report or complain followed the citizen's own account ("de lantaarnpaal voor
    mijn deur doet het niet"): after their "ja" that account is the form's first answer, said back
    to them, instead of "Wat is het probleem?" as if they had told nothing."""
    texts = user_texts(tracker)
    return told_first(dispatcher, form_name, texts[-2] if len(texts) > 1 else "")  # the message the offer followed


def told_first(dispatcher: CollectingDispatcher, form_name: str, told: str) -> list[dict[str, Any]]:
    """The citizen's account as the first answer of the form `form_name`, said back to them (none
    for an unknown form or an empty account)."""
    form = next((f for f in dialogue_config().forms.values() if f"{f.name}_form" == form_name), None)
    told = told.strip()
    if form is None or not told:
        return []
    dispatcher.utter_message(response=f"utter_{form.name}_taken_up", what=told)
    return [SlotSet(form.slots[0], told)]
