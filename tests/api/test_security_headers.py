"""Security headers on pages and API responses alike; HSTS only in production."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.security_headers import SecurityHeaders, content_security_policy


@pytest.mark.parametrize("path", ["/", "/login", "/static/chat.js", "/api/chat/conversations/nope/messages", "/health"])
def test_every_response_carries_the_headers(client: TestClient, path: str) -> None:
    headers = client.get(path).headers
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "same-origin"
    policy = headers["content-security-policy"]
    assert "script-src 'self'" in policy and "object-src 'none'" in policy and "frame-ancestors 'self'" in policy
    assert "strict-transport-security" not in headers  # development: no TLS in front


def test_the_pages_have_no_inline_script_or_style_the_policy_would_block(client: TestClient) -> None:
    import re

    pages = sorted(client.app_state.settings.web_dir.glob("*.html"))  # type: ignore[attr-defined]
    assert len(pages) >= 4
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), page.name
        assert "<style" not in html and " style=" not in html and " on" + "click=" not in html, page.name


def test_framing_sites_come_from_the_setting_and_hsts_from_production() -> None:
    app = FastAPI()
    app.get("/x")(lambda: {"ok": True})
    app.add_middleware(SecurityHeaders, frame_ancestors=["https://www.vlietstad.nl"], hsts=True)
    headers = TestClient(app).get("/x").headers
    assert headers["content-security-policy"].endswith("frame-ancestors 'self' https://www.vlietstad.nl")
    assert headers["strict-transport-security"].startswith("max-age=31536000")
    assert content_security_policy([]).endswith("frame-ancestors 'self'")
