"""The API's own documentation (/openapi.json, /docs, /redoc) behind a login, for production.

In development and test FastAPI serves these openly (api/main.py). In production they list every
endpoint and its parameters to anyone, so only a logged-in user (any role; session cookie or API
token) gets them: /openapi.json answers 401 without one, and the two pages send a browser to the
login page, which brings it back. The pages load Swagger UI and ReDoc from their CDN (FastAPI's
default), as the open pages do.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from api.deps import CurrentUser, UsersDep, current_user
from api.services.users import User

OPENAPI_URL = "/openapi.json"

router = APIRouter(include_in_schema=False)


def _user_or_none(request: Request, users: UsersDep) -> User | None:
    try:
        return current_user(request, users)
    except HTTPException:
        return None


PageUser = Annotated[User | None, Depends(_user_or_none)]


def _to_login(path: str) -> RedirectResponse:
    return RedirectResponse(f"/login?next={quote(path, safe='')}", status_code=303)


@router.get(OPENAPI_URL)
def openapi(request: Request, _user: CurrentUser) -> JSONResponse:
    return JSONResponse(request.app.openapi())


@router.get("/docs")
def swagger_ui(request: Request, user: PageUser) -> Response:
    if user is None:
        return _to_login("/docs")
    html: HTMLResponse = get_swagger_ui_html(openapi_url=OPENAPI_URL, title=f"{request.app.title} – API")
    return html


@router.get("/redoc")
def redoc(request: Request, user: PageUser) -> Response:
    if user is None:
        return _to_login("/redoc")
    html: HTMLResponse = get_redoc_html(openapi_url=OPENAPI_URL, title=f"{request.app.title} – API")
    return html
