"""Cross-site request forgery: a state-changing request from another site's page is refused.

Browsers send `Origin` with every cross-site POST (and `Referer` otherwise), so a form or
script on another site that posts to a moderator's or admin's endpoint with their cookie is
recognised and refused (403) before any handler runs; SameSite=Strict cookies are the second
line. Requests without either header come from programs (Rasa's /webhook, API clients with a
token), which carry no cookie of a user's browser.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def _host(url: str) -> str | None:
    try:
        return urlsplit(url).netloc.lower() or None
    except ValueError:
        return None


class SameOriginWrites:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in SAFE_METHODS:
            await self.app(scope, receive, send)
            return
        headers = {key.decode("latin-1").lower(): value.decode("latin-1") for key, value in scope["headers"]}
        # The host the browser addressed (a TLS proxy in front keeps it); scheme is not compared,
        # since TLS usually ends at the proxy.
        own = headers.get("host", "").lower()
        claimed = headers.get("origin") or headers.get("referer")
        # "null": sandboxed frames and some redirects, no site to trust.
        if claimed is not None and (claimed == "null" or _host(claimed) != own):
            response = JSONResponse({"detail": "Requests from another site are not accepted."}, status_code=403)
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)
