"""The contact route sentence: the shipped team directory and catalogue, and how hours are written."""

from __future__ import annotations

from typing import Any

import pytest

from actions.dialogue_config import wording
from api.services.contact_route import ContactRoute
from api.settings import PROJECT_ROOT
from routing.teams import TeamDirectory

WEEKDAYS = {language: wording(language).weekdays for language in ("nl", "en")}
CATALOGUE: dict[str, Any] = {
    "contact_route": {"nl": "Bel {phone} ({hours}), {address}, {website}.", "en": "Call {phone} ({hours})."},
    "opening_hours": {
        "nl": {"days": "{first} t/m {last}", "hours": "{days} {open}-{close} uur", "time": "%H.%M"},
        "en": {"days": "{first} to {last}", "hours": "{days} {open}-{close}", "time": "%H:%M"},
    },
}


def directory(hours: dict[str, str], contact: dict[str, str] | None = None) -> TeamDirectory:
    contact = (
        {"phone": "14 0123", "address": "Stadhuisplein 1", "website": "https://example.nl"}
        if contact is None
        else contact
    )
    return TeamDirectory.parse({"teams": {"klantcontact": {"contact": contact, "opening_hours": hours}}})


def test_the_shipped_route_is_the_general_contact_teams_phone_hours_address_and_site() -> None:
    route = ContactRoute.load(
        TeamDirectory.load(PROJECT_ROOT / "data" / "routing" / "teams.yml"),
        messages_file=PROJECT_ROOT / "data" / "handoff_messages.yml",
        weekdays=WEEKDAYS,
    )
    dutch, english = route.text("nl"), route.text("en")
    assert "14 0123" in dutch and "14 0123" in english
    assert "maandag t/m woensdag 09.00-17.00 uur, donderdag 09.00-20.00 uur, vrijdag 09.00-17.00 uur" in dutch
    assert "Monday to Wednesday 09:00-17:00, Thursday 09:00-20:00, Friday 09:00-17:00" in english
    assert "Stadhuisplein 1" in dutch and "https://www.vlietstad.nl/contact" in english
    assert "{" not in dutch + english


def test_only_days_in_a_row_with_the_same_hours_are_one_stretch() -> None:
    route = ContactRoute.of(
        directory({"fri": "09:00-12:00", "mon": "09:00-17:00", "tue": "09:00-17:00", "thu": "09:00-17:00"}),
        catalogue=CATALOGUE,
        weekdays=WEEKDAYS,
    )
    assert route.hours("nl") == (
        "maandag t/m dinsdag 09.00-17.00 uur, donderdag 09.00-17.00 uur, vrijdag 09.00-12.00 uur"
    )
    assert route.text("de") == route.text("nl"), "a language the catalogue lacks gets its first one"


def test_a_contact_team_without_a_phone_number_is_refused_at_start_up() -> None:
    with pytest.raises(ValueError, match="no contact phone"):
        ContactRoute.of(directory({}, {"address": "x", "website": "y"}), catalogue=CATALOGUE, weekdays=WEEKDAYS)
    with pytest.raises(ValueError, match="no team 'loket'"):
        ContactRoute.of(directory({}), catalogue=CATALOGUE, weekdays=WEEKDAYS, team="loket")
