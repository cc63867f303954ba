"""Refusals with a code: `{"detail": "<English sentence>", "code": "<stable code>", ...figures}`.

`detail` stays what API clients always got; the staff, moderator and admin pages word `code` (and
its figures, e.g. a password's weaknesses) from their own Dutch/English text tables, so no English
sentence of the api reaches a Dutch page.
"""

from __future__ import annotations

from typing import Any

from fastapi import HTTPException, Request
from fastapi.responses import JSONResponse


class Refusal(HTTPException):
    def __init__(
        self, status_code: int, detail: str, *, code: str, headers: dict[str, str] | None = None, **details: Any
    ) -> None:
        super().__init__(status_code, detail, headers=headers)
        self.code = code
        self.details = details


async def refusal_response(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, Refusal)
    body = {**error.details, "detail": error.detail, "code": error.code}
    return JSONResponse(body, status_code=error.status_code, headers=error.headers)
