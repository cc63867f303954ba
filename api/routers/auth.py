"""Login and logout for staff, moderators and admins (session cookie)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, Response, status
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field

from api.deps import SESSION_COOKIE, ClientAddress, CurrentUser, LoginThrottleDep, SettingsDep, UsersDep
from api.services.rate_limits import LoginRefused

router = APIRouter(tags=["auth"])


class Credentials(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class Me(BaseModel):
    username: str
    display_name: str
    roles: list[str]
    teams: list[str]


@router.get("/login", include_in_schema=False)
def login_page(settings: SettingsDep) -> FileResponse:
    return FileResponse(settings.web_dir / "login.html", media_type="text/html")


@router.post(
    "/api/auth/login",
    responses={429: {"description": "Too many attempts for this username or from this client; see Retry-After."}},
)
def login(
    body: Credentials,
    response: Response,
    users: UsersDep,
    settings: SettingsDep,
    throttle: LoginThrottleDep,
    client: ClientAddress,
) -> Me:
    # Before the password check: a refused attempt costs no Argon2 time (api/services/rate_limits.py).
    try:
        throttle.attempt(client=client, username=body.username)
    except LoginRefused as limited:
        if limited.first:  # one audit entry per username, address and window, however many follow
            users.record_refused_login(username=body.username, limit=limited.limit)
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            "Too many login attempts. Try again later.",
            headers={"Retry-After": str(limited.retry_after_s)},
        ) from None
    user = users.authenticate(username=body.username, password=body.password)
    if user is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "Unknown username or wrong password.")
    throttle.succeeded(client=client, username=body.username)
    token = users.open_session(user)
    response.set_cookie(
        SESSION_COOKIE, token, max_age=int(settings.session_ttl_hours * 3600), httponly=True,
        samesite="strict", secure=settings.secure_cookies, path="/",
    )  # fmt: skip
    return Me(
        username=user.username, display_name=user.display_name, roles=sorted(user.roles), teams=sorted(user.teams)
    )


@router.post("/api/auth/logout", status_code=status.HTTP_204_NO_CONTENT)
def logout(request: Request, response: Response, users: UsersDep) -> None:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        users.close_session(token)
    response.delete_cookie(SESSION_COOKIE, path="/")


@router.get("/api/auth/me")
def me(user: CurrentUser) -> Me:
    return Me(
        username=user.username, display_name=user.display_name, roles=sorted(user.roles), teams=sorted(user.teams)
    )
