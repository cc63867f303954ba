"""A civil servant in a real browser: finds their team's internal instruction, not another team's."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import Browser, expect

from tests.integration.conftest import RunningLoket
from tests.integration.test_browser import browser  # noqa: F401 - the shared browser fixture

pytestmark = [pytest.mark.integration, pytest.mark.browser]

PASSWORD = "staff password 123"


def test_staff_member_sees_own_team_instruction_with_citation_only(loket: RunningLoket, browser: Browser) -> None:  # noqa: F811
    username = f"bz-{uuid.uuid4().hex[:6]}"
    loket.create_user(username, PASSWORD, "staff", teams=["burgerzaken"], name="Bas")

    page = browser.new_context().new_page()
    loket.log_in_through_page(page, "/staff", username, PASSWORD)
    expect(page.get_by_role("heading", name="Zoeken in beleid en regelgeving")).to_be_visible()

    page.get_by_label("Vraag of zoekwoorden").fill("tot hoe laat kan ik een spoedaanvraag paspoort autoriseren?")
    page.get_by_role("button", name="Zoek").click()
    own = page.locator('li.result[data-doc="werkinstructie-spoedaanvraag-paspoort"]')
    expect(own).to_be_visible(timeout=30_000)
    expect(own.locator(".meta")).to_contain_text("intern")
    # Teams by their names, never by their ids: the result's team, the filter and who is logged in.
    expect(own.locator(".meta")).to_contain_text("Burgerzaken")
    expect(page.locator("#me")).to_have_text("Bas (Burgerzaken)")
    expect(page.locator("#team option", has_text="Zorg en welzijn")).to_have_count(1)
    expect(page.locator("body")).not_to_contain_text("zorg_welzijn")
    expect(own.locator("mark").first).to_be_visible()
    # Why it was found, in Dutch words and numbers from the page's own texts.
    expect(own.locator(".why").first).to_have_text(
        re.compile(r"^Waarom: (zoekwoorden gevonden \(.+\): BM25 \d+,\d\d; )?overeenkomst in betekenis -?\d,\d\d$")
    )
    expect(page.locator("#results")).not_to_contain_text("meaning similarity")
    expect(page.locator("#admin-link")).to_be_hidden()  # not an admin
    page.get_by_role("button", name="EN", exact=True).click()
    expect(own.locator(".why").first).to_have_text(re.compile(r"^Why: .*similarity in meaning -?\d\.\d\d$"))
    expect(page.locator("#team option", has_text="Care and Wellbeing")).to_have_count(1)
    page.get_by_role("button", name="NL", exact=True).click()
    own.locator("a.citation").first.click()
    expect(page.locator("#document-body")).to_contain_text("BZ-SPOED-14")

    page.get_by_label("Vraag of zoekwoorden").fill("KWT-AUTO batch kwijtschelding inlichtingenbureau")
    with page.expect_response(lambda r: "/api/staff/search" in r.url, timeout=30_000) as searched:
        page.get_by_role("button", name="Zoek").click()
    found = [doc["doc_id"] for doc in searched.value.json()]
    assert "beleidsregel-kwijtschelding" not in found
    expect(page.locator("#results li.result")).to_have_count(len(found))
    expect(page.locator('li.result[data-doc="beleidsregel-kwijtschelding"]')).to_have_count(0)
    expect(page.locator("#results")).not_to_contain_text("KWT-AUTO")

    # A citizen's number typed into the query is left out before the search, and the page says so.
    page.get_by_label("Vraag of zoekwoorden").fill("spoedaanvraag paspoort voor BSN 111222333")
    page.get_by_role("button", name="Zoek").click()
    expect(page.locator("#status")).to_contain_text("Weggelaten uit uw vraag voordat er gezocht werd: BSN.")
    page.context.close()


def test_staff_member_asks_a_question_answered_from_their_teams_policy_and_a_follow_up(
    loket: RunningLoket,
    browser: Browser,  # noqa: F811
) -> None:
    username = f"wo-{uuid.uuid4().hex[:6]}"
    loket.create_user(username, PASSWORD, "staff", teams=["wonen"], name="Wim")
    page = browser.new_context().new_page()
    loket.log_in_through_page(page, "/staff", username, PASSWORD)
    page.get_by_role("tab", name="Vraag stellen").click()
    expect(page.get_by_role("tab", name="Vraag stellen")).to_have_attribute("aria-selected", "true")
    expect(page.locator("#search-mode")).to_be_hidden()

    page.get_by_label("Uw vraag").fill("Hoe lang is een urgentieverklaring geldig?")
    page.get_by_role("button", name="Vraag", exact=True).click()
    turn = page.locator("#conversation li.turn").first
    # The first question may wait for the api's start-up warm-up (the embedder is shared): minutes under load.
    expect(turn.locator(".answer.answered")).to_contain_text("6 maanden geldig", timeout=120_000)
    citation = turn.locator(".source a.citation")
    expect(citation).to_have_text("Beleidsregel woonurgentie Vlietstad 2026 › 6. Geldigheid")
    expect(turn.locator(".source")).to_contain_text("intern")
    citation.click()  # opens the internal document in the workspace, at the cited section
    expect(page.locator("#document-body")).to_contain_text("URG-INT")
    expect(page.locator('#document-body h2[id="6-geldigheid"]')).to_be_visible()

    # The follow-up box sends the earlier question along: "en de termijn?" stays on the policy.
    with page.expect_response(lambda r: "/api/staff/ask" in r.url, timeout=30_000) as asked:
        page.get_by_label("Vervolgvraag").fill("en de termijn?")
        page.get_by_role("button", name="Vraag", exact=True).click()
    assert asked.value.request.post_data_json["history"] == ["Hoe lang is een urgentieverklaring geldig?"]
    follow_up = asked.value.json()
    assert follow_up["follow_up"] is True and follow_up["citation"]["doc_id"] == "beleidsregel-woonurgentie"
    expect(page.locator("#conversation li.turn")).to_have_count(2)
    expect(page.locator("#conversation li.turn").nth(1).locator("a.citation").first).to_contain_text(
        "Beleidsregel woonurgentie Vlietstad 2026"
    )

    page.get_by_role("button", name="Nieuwe vraag").click()
    expect(page.locator("#conversation li.turn")).to_have_count(0)
    expect(page.get_by_label("Uw vraag")).to_be_visible()
    page.get_by_role("button", name="EN", exact=True).click()
    expect(page.get_by_role("tab", name="Ask a question")).to_have_attribute("aria-selected", "true")
    expect(page.get_by_label("Your question")).to_be_visible()
    page.context.close()


@pytest.mark.parametrize("target", ["/\\evil.example", "//evil.example", "https://evil.example/staff", "/api/auth/me"])
def test_after_login_only_a_page_of_loket_itself_is_opened(
    loket: RunningLoket,
    browser: Browser,  # noqa: F811
    target: str,
) -> None:
    from urllib.parse import quote

    username = f"next-{uuid.uuid4().hex[:6]}"
    loket.create_user(username, PASSWORD, "staff", teams=["burgerzaken"], name="Bas")
    page = browser.new_context().new_page()
    page.goto(f"{loket.settings.api_url}/login?next={quote(target, safe='')}")
    page.get_by_label("Gebruikersnaam").fill(username)
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    expect(page).to_have_url(f"{loket.settings.api_url}/staff")
