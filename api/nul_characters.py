"""NUL characters are refused at the boundary (422), in the path, the query and the body.

PostgreSQL's text columns cannot hold U+0000: a message, a search query (kept in the audit log)
or a note with one would fail at the database with a 500, while SQLite stores it. No person
types one; a client that sends one gets a clear error and nothing is stored.
"""

from __future__ import annotations

import re

from fastapi import Request
from fastapi.exceptions import RequestValidationError

# A JSON string escape \u0000 (not an escaped backslash followed by "u0000"), or a raw NUL byte.
_JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")
_URL_NUL = "%00"


async def refuse_nul_characters(request: Request) -> None:
    """An app-wide dependency; the body it reads is the one the route then parses (FastAPI keeps it)."""
    url = request.url
    if _URL_NUL in url.path or "\x00" in url.path:
        raise _refused("path")
    if _URL_NUL in url.query:
        raise _refused("query")
    if request.method in ("POST", "PUT", "PATCH", "DELETE"):
        body = await request.body()
        if b"\x00" in body or (b"\\u0000" in body and _JSON_NUL.search(body)) or b"%00" in body:
            raise _refused("body")


def _refused(where: str) -> RequestValidationError:
    """In the shape of every other 422 (api/validation_errors.py), so clients parse one format."""
    return RequestValidationError(
        [{"type": "nul_character", "loc": (where,), "msg": "Text may not contain NUL characters (U+0000)."}]
    )
