"""The admin page in a real browser: the chat's kill switches, accounts and the audit log, in words."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.integration.conftest import RunningLoket
from tests.integration.test_browser import browser  # noqa: F401 - the shared browser fixture

pytestmark = [pytest.mark.integration, pytest.mark.browser]

PASSWORD = "Vlietstad-beheer-2026-kwartel"
STAFF_PASSWORD = "Kwartelkoning-plantsoen-2026"


@pytest.fixture
def admin(loket: RunningLoket) -> Iterator[str]:
    """An admin's username; every switch is on again afterwards, whatever happened (the stack is shared)."""
    name = f"beheer-{uuid.uuid4().hex[:6]}"
    loket.create_user(name, PASSWORD, "admin", name="Beheerder Vlietstad")
    yield name
    with httpx.Client(base_url=loket.settings.api_url, timeout=60) as client:
        client.post("/api/auth/login", json={"username": name, "password": PASSWORD}).raise_for_status()
        client.put("/api/admin/switches", json={"chat": True, "answers": True, "forms": True}).raise_for_status()


def set_answers(page: Page, *, button: str, reason: str) -> None:
    page.locator('#switches tr[data-switch="answers"]').get_by_role("button", name=button).click()
    dialog = page.locator("#switch-dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_label("Reden (komt in de auditlog)").fill(reason)
    dialog.get_by_role("button", name=button).click()
    expect(dialog).to_be_hidden()


def test_an_admin_switches_answers_off_creates_and_disables_an_account_and_reads_the_audit_log(
    loket: RunningLoket,
    browser: Browser,  # noqa: F811
    admin: str,
) -> None:
    page = browser.new_context().new_page()
    loket.log_in_through_page(page, "/admin", admin, PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_have_text("Beheer")

    # The answers from the website off, with a reason: the state, who and why show at once.
    answers = page.locator('#switches tr[data-switch="answers"]')
    expect(answers).to_contain_text("Antwoorden uit de website")
    expect(answers.locator(".state")).to_have_text("Aan")
    set_answers(page, button="Uitzetten", reason="Verouderde tarieven op de website")
    expect(answers.locator(".state")).to_have_text("Uit")
    expect(answers).to_contain_text("Verouderde tarieven op de website")
    expect(answers).to_contain_text(f"door {admin}")
    expect(page.locator("#switch-status")).to_have_text("Antwoorden uit de website staat nu uit.")
    assert loket.client.get("/api/chat/status").json()["answers"] is False
    expect(page.locator('#switches tr[data-switch="chat"] .state')).to_have_text("Aan")

    # A weak password: why, in Dutch from the page's own texts (never the api's English), not JSON.
    staff = f"bas-{uuid.uuid4().hex[:6]}"
    form = page.locator("#create")
    form.get_by_label("Gebruikersnaam").fill(staff)
    form.get_by_label("Naam (zoals collega's en inwoners die zien)").fill("Bas de Vries")
    form.get_by_label("Wachtwoord", exact=True).fill("wachtwoord12")
    form.get_by_label("Wachtwoord nogmaals").fill("wachtwoord12")
    form.locator("#new-roles").get_by_label("Medewerker").check()
    form.locator("#new-teams").get_by_label("Afval").check()
    form.get_by_role("button", name="Account aanmaken").click()
    errors = page.locator("#create-errors")
    expect(errors).to_contain_text("Dit wachtwoord is te makkelijk te raden (sterkte 1 van 4, minstens 3 nodig).")
    expect(errors).to_contain_text("Het lijkt op een veelgebruikt wachtwoord.")
    expect(errors).to_contain_text("Minstens 12 tekens en moeilijk te raden")
    for english in ("too easy", "password", "detail", "common", "password_too_weak"):
        expect(errors).not_to_contain_text(english)

    form.get_by_label("Wachtwoord", exact=True).fill(STAFF_PASSWORD)
    form.get_by_label("Wachtwoord nogmaals").fill(STAFF_PASSWORD)
    form.get_by_role("button", name="Account aanmaken").click()
    expect(page.locator("#users-status")).to_have_text(f"Account {staff} is aangemaakt.")
    expect(page.locator("#create-errors")).to_be_empty()
    # The same username again: taken, said in Dutch.
    form.get_by_label("Gebruikersnaam").fill(staff)
    form.get_by_label("Wachtwoord", exact=True).fill(STAFF_PASSWORD)
    form.get_by_label("Wachtwoord nogmaals").fill(STAFF_PASSWORD)
    form.locator("#new-roles").get_by_label("Medewerker").check()
    form.get_by_role("button", name="Account aanmaken").click()
    expect(errors).to_have_text("Er is al een account met deze gebruikersnaam. Kies een andere.")
    row = page.locator(f'#users tr[data-username="{staff}"]')
    expect(row).to_contain_text("Bas de Vries")
    expect(row).to_contain_text("Medewerker")
    expect(row).to_contain_text("Afval")  # the team's name, not its id
    expect(row.locator("td").nth(4)).to_have_text("actief")

    # Disable, after a confirm step: the row says so and the account can no longer log in.
    row.get_by_role("button", name="Uitschakelen").click()
    confirm = page.locator("#confirm-dialog")
    expect(confirm).to_contain_text(f"Account {staff} uitschakelen?")
    confirm.get_by_role("button", name="Uitschakelen").click()
    expect(row.locator("td").nth(4)).to_have_text("uitgeschakeld")
    expect(row.get_by_role("button", name="Inschakelen")).to_be_visible()
    with httpx.Client(base_url=loket.settings.api_url, timeout=60) as client:
        refused = client.post("/api/auth/login", json={"username": staff, "password": STAFF_PASSWORD})
        assert refused.status_code == 401

    # The audit log in readable Dutch: what happened, to whom, without the codes.
    audit = page.locator("#audit")
    expect(audit).to_contain_text("Account uitgeschakeld")
    expect(audit).to_contain_text("Account aangemaakt")
    expect(audit).to_contain_text("Chatschakelaar omgezet")
    expect(audit).to_contain_text("Uit: Verouderde tarieven op de website")
    page.get_by_label("Actie", exact=True).select_option(label="Account uitgeschakeld")
    expect(audit.locator("tr", has_not_text="Account uitgeschakeld")).to_have_count(0)  # other tests' too
    expect(audit.locator("tr", has_text=f"account {staff}")).to_have_count(1)
    expect(page.get_by_role("link", name="Download als CSV")).to_have_attribute(
        "href", "/api/admin/audit.csv?action=user.disabled"
    )
    text = page.locator("body").inner_text()
    for code in ("user.disabled", "user.created", "chat_switch.set", "user.login", "answers"):
        assert code not in text, code

    # Answers on again, from the page.
    set_answers(page, button="Aanzetten", reason="Tarieven bijgewerkt")
    expect(answers.locator(".state")).to_have_text("Aan")
    expect(page.locator("#switch-status")).to_have_text("Antwoorden uit de website staat nu aan.")
    assert loket.client.get("/api/chat/status").json()["answers"] is True

    # The same page in English.
    page.get_by_role("button", name="EN", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Administration")
    expect(answers).to_contain_text("Answers from the website")
    expect(row.locator("td").nth(4)).to_have_text("disabled")
    page.context.close()


def test_someone_who_is_not_an_admin_gets_no_access(loket: RunningLoket, browser: Browser) -> None:  # noqa: F811
    name = f"mod-{uuid.uuid4().hex[:6]}"
    loket.create_user(name, PASSWORD, "moderator", teams=["afval"])
    page = browser.new_context().new_page()
    loket.log_in_through_page(page, "/admin", name, PASSWORD)
    expect(page.get_by_role("alert")).to_have_text("Geen toegang. Deze pagina is alleen voor beheerders.")
    expect(page.locator("#admin-content")).to_be_hidden()
    page.context.close()


def test_an_admin_lands_on_the_admin_page_and_the_other_pages_link_to_it(
    loket: RunningLoket,
    browser: Browser,  # noqa: F811
    admin: str,
) -> None:
    page = browser.new_context().new_page()
    page.goto(f"{loket.settings.api_url}/login")
    page.get_by_label("Gebruikersnaam").fill(admin)
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    expect(page).to_have_url(f"{loket.settings.api_url}/admin")
    expect(page.get_by_role("heading", level=1)).to_have_text("Beheer")
    for other in ("/staff", "/moderator"):
        page.goto(f"{loket.settings.api_url}{other}")
        page.get_by_role("link", name="Beheer").click()
        expect(page).to_have_url(f"{loket.settings.api_url}/admin")
    page.goto(f"{loket.settings.api_url}/staff")
    page.get_by_role("button", name="EN", exact=True).click()
    expect(page.get_by_role("link", name="Administration")).to_be_visible()
    page.get_by_role("button", name="NL", exact=True).click()  # the language is kept for the next test's pages
    expect(page.get_by_role("link", name="Beheer")).to_be_visible()
    page.context.close()
