"""Security headers on every response: what the browser may load, frame, sniff and send on.

The pages load scripts and styles from this site only (no inline script), so the policy can
forbid everything else. Which sites may show the chat in a frame is a setting
(`LOKET_FRAME_ANCESTORS`: the municipality's own site when it embeds the chat).
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# FastAPI's interactive API pages load their scripts from a CDN; they get no page policy.
API_DOC_PATHS = ("/docs", "/redoc")


def content_security_policy(frame_ancestors: list[str]) -> str:
    framing = " ".join(["'self'", *frame_ancestors])
    return (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
        f"frame-ancestors {framing}"
    )


class SecurityHeaders:
    def __init__(self, app: ASGIApp, *, frame_ancestors: list[str], hsts: bool) -> None:
        self.app = app
        headers = [
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"same-origin"),
        ]
        if hsts:  # only behind TLS (production): browsers then refuse plain HTTP for a year
            headers.append((b"strict-transport-security", b"max-age=31536000; includeSubDomains"))
        self._headers = headers
        self._csp = (b"content-security-policy", content_security_policy(frame_ancestors).encode())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = list(self._headers)
        if not str(scope.get("path", "")).startswith(API_DOC_PATHS):
            extra.append(self._csp)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)
