"""Accounts in the running stack on PostgreSQL: users made and changed with the operators' CLI and the
admin API, passwords and teams checked, API tokens that carry a scope and never make tokens, a leaver
whose session and token stop at once, and the audit trail of all of it."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid

import httpx
import pytest

from tests.integration.conftest import RunningLoket

pytestmark = pytest.mark.integration

PASSWORD = "accounts password 2024 tulp"
NEW_PASSWORD = "hooibaal paraplu tijger 7"


def cli(loket: RunningLoket, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LOKET_DATA_DIR": str(loket.settings.data_dir)}
    if loket.settings.database_url:
        env["LOKET_DATABASE_URL"] = loket.settings.database_url
    command = [sys.executable, "-m", "api.operations.cli", "users", *args]
    return subprocess.run(command, input=stdin, text=True, env=env, capture_output=True, timeout=120)


def logged_in(loket: RunningLoket, username: str, password: str = PASSWORD) -> httpx.Client:
    client = httpx.Client(base_url=loket.settings.api_url, timeout=60)
    client.post("/api/auth/login", json={"username": username, "password": password}).raise_for_status()
    return client


def test_a_leavers_access_ends_at_once_and_every_step_is_audited(loket_postgres: RunningLoket) -> None:
    loket = loket_postgres
    suffix = uuid.uuid4().hex[:6]
    staff, admin_name = f"bas-{suffix}", f"root-{suffix}"

    weak = cli(loket, "create", staff, "--role", "staff", "--password-stdin", stdin="aaaaaaaaaaaa\n")
    assert weak.returncode == 2 and "too easy to guess" in weak.stderr
    team = cli(loket, "create", staff, "--role", "staff", "--team", "no_such_team_xyz", "--password-stdin",
               stdin=PASSWORD + "\n")  # fmt: skip
    assert team.returncode == 2 and "the teams are: burgerzaken" in team.stderr
    loket.create_user(staff, PASSWORD, "staff", teams=["burgerzaken"])
    loket.create_user(admin_name, PASSWORD, "admin")

    bas, admin = logged_in(loket, staff), logged_in(loket, admin_name)
    try:
        token = bas.post("/api/staff/tokens", json={"name": "zaaksysteem", "scopes": ["search"]}).json()
        bearer = {"Authorization": f"Bearer {token['token']}"}
        anonymous = httpx.Client(base_url=loket.settings.api_url, timeout=60)
        assert anonymous.get("/api/staff/search", params={"q": "paspoort"}, headers=bearer).status_code == 200
        assert anonymous.post("/api/route", json={"text": "Mijn kliko"}, headers=bearer).status_code == 403
        assert anonymous.post("/api/staff/tokens", json={"name": "kind"}, headers=bearer).status_code == 403
        assert anonymous.get("/api/moderator/escalations", headers=bearer).status_code == 403

        # The leaver: disabled by an admin; their open session and their token stop now.
        assert admin.post(f"/api/admin/users/{admin_name}/disable").status_code == 409
        ended = admin.post(f"/api/admin/users/{staff}/disable")
        assert ended.json() == {"sessions_ended": 1, "tokens_revoked": 1}
        assert bas.get("/api/auth/me").status_code == 401
        assert anonymous.get("/api/staff/search", params={"q": "paspoort"}, headers=bearer).status_code == 401
        wrong = anonymous.post("/api/auth/login", json={"username": staff, "password": PASSWORD})
        assert wrong.status_code == 401

        # Back with the CLI, with a new password.
        assert cli(loket, "enable", staff).returncode == 0
        reset = cli(loket, "reset-password", staff, "--password-stdin", stdin=NEW_PASSWORD + "\n")
        assert reset.returncode == 0, reset.stderr
        logged_in(loket, staff, NEW_PASSWORD).close()
        assert anonymous.get("/api/staff/search", params={"q": "paspoort"}, headers=bearer).status_code == 401

        trail = [
            (e["actor"], e["action"])
            for e in reversed(admin.get("/api/admin/audit", params={"limit": 10_000}).json())
            if (e["target_type"], e["target_id"]) in {("user", staff), ("api_token", str(token["id"]))}
        ]
        operator = next(actor for actor, action in trail if action == "user.created")
        assert operator.startswith("cli:")
        assert trail == [
            (operator, "user.created"), (staff, "user.login"), (staff, "token.created"),
            (admin_name, "token.revoked"), (admin_name, "user.disabled"), (staff, "user.login_failed"),
            (operator, "user.enabled"), (operator, "user.password_reset"), (staff, "user.login"),
        ]  # fmt: skip
        assert token["token"] not in admin.get("/api/admin/audit.csv").text
        anonymous.close()
    finally:
        bas.close()
        admin.close()
