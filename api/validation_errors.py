"""422 responses that say what was wrong without echoing what was sent.

FastAPI's own handler repeats each invalid input in its reply. That copies a citizen's text
(personal data) into responses and logs, and fails with a 500 when the input cannot be
encoded again (a lone surrogate such as "\\ud800" in a JSON string).
"""

from __future__ import annotations

from fastapi import Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse


async def validation_error(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    detail = [
        {"loc": [str(part) for part in item.get("loc", ())], "msg": str(item.get("msg", "")), "type": item.get("type")}
        for item in error.errors()
    ]
    return JSONResponse({"detail": detail}, status_code=status.HTTP_422_UNPROCESSABLE_CONTENT)
