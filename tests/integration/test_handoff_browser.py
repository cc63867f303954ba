"""Live handoff in two browsers: a citizen asks for a person, a moderator takes over and hands back."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import Browser, expect

from tests.integration.conftest import RunningLoket
from tests.integration.test_browser import browser  # noqa: F401 - the shared browser fixture

pytestmark = [pytest.mark.integration, pytest.mark.browser]

PASSWORD = "moderator password 1"


def test_moderator_takes_over_replies_live_and_hands_back(loket: RunningLoket, browser: Browser) -> None:  # noqa: F811
    username = f"mod-{uuid.uuid4().hex[:6]}"
    # A moderator of the contact centre: the request below has no subject, so it waits in triage,
    # which every moderator sees besides their own teams' escalations.
    loket.create_user(username, PASSWORD, "moderator", name="Sanne", teams=["klantcontact"])

    citizen = browser.new_context().new_page()
    citizen.goto(f"{loket.settings.api_url}/")
    citizen.get_by_label("Uw bericht").fill("Ik wil een medewerker spreken")
    citizen.get_by_role("button", name="Verstuur").click()
    expect(citizen.locator(".message.bot").last).to_contain_text("medewerker", timeout=30_000)

    moderator = browser.new_context().new_page()
    loket.log_in_through_page(moderator, "/moderator", username, PASSWORD)
    expect(moderator.get_by_role("heading", name="Moderatorconsole")).to_be_visible()

    # By its id: the row's words change with the console's language.
    escalation = moderator.locator("#queue tr", has_text="vraagt om medewerker").last.get_attribute("data-id")
    row = moderator.locator(f'#queue tr[data-id="{escalation}"]')
    row.get_by_role("button", name="Bekijk").click()
    expect(moderator.locator("#transcript")).to_contain_text("Ik wil een medewerker spreken")
    moderator.get_by_role("button", name="Oppakken").click()
    expect(moderator.locator('[data-fact="status"]')).to_have_text("in behandeling bij Sanne")
    expect(row).to_contain_text("nog geen team (triage)")
    expect(moderator.locator('[data-fact="language"]')).to_have_text("Nederlands")
    # Claimed twice: the api's refusal in the console's Dutch, by its code.
    moderator.get_by_role("button", name="Oppakken").click()
    expect(moderator.locator("#packet-status")).to_have_text("Deze escalatie is al opgepakt.")
    shown = moderator.locator("body").inner_text()
    for code in ("claimed", "requested_human", "klantcontact", "citizen:", "bot:", "already", "not open"):
        assert code not in shown, code

    # The citizen sees the person join without reloading.
    expect(citizen.locator(".message.system").last).to_contain_text("Sanne", timeout=15_000)

    moderator.get_by_label("Antwoord aan inwoner").fill("Goedemiddag, u spreekt met Sanne. Waarmee kan ik helpen?")
    moderator.get_by_role("button", name="Stuur antwoord").click()
    expect(citizen.locator(".message.moderator").last).to_contain_text("u spreekt met Sanne", timeout=15_000)

    # A note with the citizen's BSN in it: stored without it, and the console says so in Dutch.
    moderator.get_by_label("Notitie (niet zichtbaar voor inwoner)").fill("Inwoner noemde BSN 111222333")
    moderator.get_by_role("button", name="Notitie toevoegen").click()
    expect(moderator.locator("#packet-status")).to_contain_text("Uit uw notitie weggelaten: BSN.")
    expect(moderator.locator("#notes")).to_contain_text("Inwoner noemde BSN [BSN]")

    # While the person has the conversation, the bot stays silent.
    citizen.get_by_label("Uw bericht").fill("Ik heb een vraag over mijn paspoort")
    citizen.get_by_role("button", name="Verstuur").click()
    expect(moderator.locator("#transcript")).to_contain_text("vraag over mijn paspoort", timeout=15_000)
    assert citizen.locator(".message.bot").count() == 1

    # The same console in English: words, not codes, and no Dutch left in what the page itself says.
    moderator.get_by_role("button", name="EN", exact=True).click()
    expect(moderator.get_by_role("heading", level=1)).to_have_text("Moderator console")
    expect(moderator.locator('[data-fact="status"]')).to_have_text("in progress with Sanne")
    expect(row).to_contain_text("asks for a person")
    expect(moderator.locator("#transcript")).to_contain_text("Resident: Ik heb een vraag over mijn paspoort")
    moderator.get_by_role("button", name="NL", exact=True).click()
    expect(moderator.locator("#transcript")).to_contain_text("Inwoner: Ik heb een vraag over mijn paspoort")

    moderator.get_by_role("button", name="Terug naar bot").click()
    expect(citizen.locator(".message.system").last).to_contain_text("digitale assistent", timeout=15_000)

    citizen.get_by_label("Uw bericht").fill("Wat kost een paspoort?")
    citizen.get_by_role("button", name="Verstuur").click()
    expect(citizen.locator(".message.bot").last).to_contain_text("€", timeout=30_000)
    citizen.context.close()
    moderator.context.close()
