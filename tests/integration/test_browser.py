"""A citizen in a real (headless Chromium) browser: open the page, ask, see the answer."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, expect, sync_playwright

from tests.integration.conftest import RunningLoket

pytestmark = [pytest.mark.integration, pytest.mark.browser]

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Flags for a closed network: without them Chromium keeps trying to reach Google's services.
CHROMIUM_ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def test_citizen_asks_in_the_chat_page_and_sees_the_answer_with_its_source(
    loket: RunningLoket, browser: Browser
) -> None:
    page = browser.new_page()
    page.goto(f"{loket.settings.api_url}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Stel uw vraag aan de gemeente")

    page.get_by_label("Uw bericht").fill("Wat kost een paspoort?")
    page.get_by_role("button", name="Verstuur").click()

    expect(page.locator(".message.citizen .text")).to_have_text("Wat kost een paspoort?")
    answer = page.locator(".message.bot").last
    expect(answer).to_contain_text("€", timeout=30_000)
    link = answer.get_by_role("link", name="Bron: Paspoort aanvragen › Kosten")
    expect(link).to_have_attribute("href", "/documents/paspoort-aanvragen#kosten")

    # The source opens as a readable page, at the section that answered.
    with page.expect_popup() as popup:
        link.click()
    expect(popup.value.get_by_role("heading", level=1)).to_contain_text("Paspoort")
    expect(popup.value.locator("h2#kosten")).to_have_text("Kosten")
    page.close()


def test_language_switch_turns_the_page_and_the_bot_to_english(loket: RunningLoket, browser: Browser) -> None:
    page = browser.new_page()
    page.goto(f"{loket.settings.api_url}/")
    page.get_by_role("button", name="EN", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ask the municipality")
    page.get_by_label("Your message").fill("hoi")
    page.get_by_role("button", name="Send").click()
    expect(page.locator(".message.bot").last).to_contain_text("Hello!", timeout=30_000)
    page.close()


def test_the_page_shows_the_placeholder_and_says_what_was_not_stored(loket: RunningLoket, browser: Browser) -> None:
    page = browser.new_page()
    page.goto(f"{loket.settings.api_url}/")
    page.get_by_label("Uw bericht").fill("Mijn BSN is 111222333, wat kost een paspoort?")
    page.get_by_role("button", name="Verstuur").click()
    expect(page.locator(".message.citizen .text").last).to_have_text("Mijn BSN is [BSN], wat kost een paspoort?")
    notice = page.locator(".message.system").last
    expect(notice.locator(".author")).to_have_text("Melding")
    expect(notice.locator(".text")).to_have_text("Uw BSN is niet opgeslagen; dat is niet nodig voor deze vraag.")
    expect(page.locator(".message.bot").last).to_contain_text("€", timeout=30_000)
    page.close()


def test_citizen_deletes_the_conversation_from_the_page_after_confirming_and_starts_clean(
    loket: RunningLoket, browser: Browser
) -> None:
    page = browser.new_page()
    console: list[str] = []  # a Content-Security-Policy violation would be reported here
    page.on("console", lambda message: console.append(message.text))
    page.goto(f"{loket.settings.api_url}/")
    delete = page.get_by_role("button", name="Gesprek verwijderen")
    expect(delete).to_be_hidden()  # nothing to delete yet

    page.get_by_label("Uw bericht").fill("Wat kost een paspoort?")
    page.get_by_role("button", name="Verstuur").click()
    expect(page.locator(".message.bot").last).to_contain_text("€", timeout=30_000)
    conversation = page.evaluate("sessionStorage.getItem('loket.conversation')")
    shown = page.locator(".message").count()

    # Asked first; cancelling keeps everything.
    delete.click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("Wilt u dit gesprek verwijderen?")
    expect(dialog).to_contain_text("Dit kan niet ongedaan worden gemaakt.")
    dialog.get_by_role("button", name="Annuleren").click()
    expect(dialog).to_be_hidden()
    expect(page.locator(".message")).to_have_count(shown)
    assert loket.client.get(f"/api/chat/conversations/{conversation}/messages").status_code == 200

    delete.click()
    dialog.get_by_role("button", name="Ja, verwijderen").click()
    expect(page.locator("#status")).to_have_text("Uw gesprek is verwijderd.")
    expect(page.locator(".message")).to_have_count(0)
    expect(delete).to_be_hidden()
    assert page.evaluate("sessionStorage.getItem('loket.conversation')") is None
    assert loket.client.get(f"/api/chat/conversations/{conversation}/messages").status_code == 404

    # The next question is a new conversation; a reload shows only that one.
    page.get_by_label("Uw bericht").fill("hoi")
    page.get_by_role("button", name="Verstuur").click()
    expect(page.locator(".message.bot").last).to_be_visible(timeout=30_000)
    assert page.evaluate("sessionStorage.getItem('loket.conversation')") not in (None, conversation)
    page.reload()
    expect(page.locator(".message.citizen .text")).to_have_text(["hoi"])
    page.get_by_role("button", name="EN", exact=True).click()
    expect(page.get_by_role("button", name="Delete conversation")).to_be_visible()
    assert not [line for line in console if "Content Security Policy" in line], console
    page.close()
