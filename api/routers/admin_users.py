"""Admin side: accounts. List, create, disable (a leaver), enable, reset a password, revoke all
sessions and API tokens. Every change is audited with the admin as actor (api/services/users.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, Depends, Path, status
from pydantic import BaseModel, Field

from api.deps import CurrentUser, UsersDep, require_role
from api.refusals import Refusal
from api.schemas import Refused, Timestamp, Unprocessable
from api.services.passwords import Weakness
from api.services.users import AccessEnded, UnknownUser, User, UserConflict, UserError

router = APIRouter(prefix="/api/admin/users", tags=["admin"], dependencies=[Depends(require_role("admin"))])

Username = Annotated[str, Path(min_length=1, max_length=64)]
T = TypeVar("T")


class AccountUnprocessable(Unprocessable):
    """A 422 of the accounts API. Its codes: username_invalid, display_name_too_long, unknown_role,
    unknown_team (`teams`), password_too_short (`min_length`), password_too_long (`max_length`),
    password_too_weak (`score` of 4, `min_score` needed, `weaknesses`: the guessable patterns found)."""

    min_length: int | None = None
    max_length: int | None = None
    score: int | None = None
    min_score: int | None = None
    weaknesses: list[Weakness] | None = None
    teams: list[str] | None = None


ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"model": Refused, "description": "No user with this username (code unknown_user)."},
    409: {
        "model": Refused,
        "description": "The username is taken (username_taken), or an admin tries to disable their own account "
        "(own_account_disable) or to take the admin role from it (own_admin_role).",
    },
    422: {
        "model": AccountUnprocessable,
        "description": "Not allowed: a weak password, an unknown role or team (`detail` says why, `code` which).",
    },
}


class UserOut(BaseModel):
    username: str
    display_name: str
    roles: list[str]
    teams: list[str]
    active: bool
    created_at: Timestamp | None

    @classmethod
    def of(cls, user: User) -> UserOut:
        return cls(
            username=user.username, display_name=user.display_name, roles=sorted(user.roles),
            teams=sorted(user.teams), active=user.active, created_at=user.created_at,
        )  # fmt: skip


class UserIn(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)
    roles: list[Literal["moderator", "staff", "admin"]] = Field(min_length=1)
    teams: list[str] = Field(default_factory=list, max_length=50)
    display_name: str | None = Field(default=None, max_length=128)


class AccessIn(BaseModel):
    """What changes; a field left out stays as it is."""

    roles: list[Literal["moderator", "staff", "admin"]] | None = Field(default=None, min_length=1)
    teams: list[str] | None = Field(default=None, max_length=50)


class PasswordIn(BaseModel):
    password: str = Field(min_length=1, max_length=256)


class AccessEndedOut(BaseModel):
    sessions_ended: int
    tokens_revoked: int

    @classmethod
    def of(cls, ended: AccessEnded) -> AccessEndedOut:
        return cls(sessions_ended=ended.sessions, tokens_revoked=ended.tokens)


def _change(action: Callable[[], T]) -> T:
    try:
        return action()
    except UserError as error:
        status_code = (
            status.HTTP_404_NOT_FOUND if isinstance(error, UnknownUser)
            else status.HTTP_409_CONFLICT if isinstance(error, UserConflict)
            else status.HTTP_422_UNPROCESSABLE_CONTENT
        )  # fmt: skip
        raise Refusal(status_code, str(error), code=error.code, **error.details) from None


@router.get("")
def list_users(users: UsersDep) -> list[UserOut]:
    return [UserOut.of(user) for user in users.all()]


@router.post("", status_code=status.HTTP_201_CREATED, responses=ERRORS)
def create_user(body: UserIn, admin: CurrentUser, users: UsersDep) -> UserOut:
    created = _change(
        lambda: users.create(
            username=body.username,
            password=body.password,
            roles=list(body.roles),
            teams=body.teams,
            display_name=body.display_name,
            actor=admin.username,
            actor_id=admin.id,
        )  # fmt: skip
    )
    return UserOut.of(created)


@router.post("/{username}/disable", responses=ERRORS)
def disable_user(username: Username, admin: CurrentUser, users: UsersDep) -> AccessEndedOut:
    """The account can no longer log in; its sessions end and its API tokens are revoked at once."""
    return AccessEndedOut.of(_change(lambda: users.disable(username, actor=admin.username, actor_id=admin.id)))


@router.post("/{username}/enable", responses=ERRORS)
def enable_user(username: Username, admin: CurrentUser, users: UsersDep) -> UserOut:
    """The account can log in again; tokens revoked when it was disabled stay revoked."""
    return UserOut.of(_change(lambda: users.enable(username, actor=admin.username, actor_id=admin.id)))


@router.post("/{username}/reset-password", responses=ERRORS)
def reset_password(username: Username, body: PasswordIn, admin: CurrentUser, users: UsersDep) -> AccessEndedOut:
    """A new password chosen by the admin (the same rule as at creation); the user's sessions end."""
    return AccessEndedOut.of(
        _change(lambda: users.reset_password(username, password=body.password, actor=admin.username, actor_id=admin.id))
    )


@router.post("/{username}/revoke", responses=ERRORS)
def revoke_access(username: Username, admin: CurrentUser, users: UsersDep) -> AccessEndedOut:
    """End all the user's sessions and revoke all their API tokens; the account stays active."""
    return AccessEndedOut.of(_change(lambda: users.revoke_access(username, actor=admin.username, actor_id=admin.id)))


@router.patch("/{username}", responses=ERRORS)
def change_access(username: Username, body: AccessIn, admin: CurrentUser, users: UsersDep) -> UserOut:
    """New roles and/or teams (someone moving to another team); their sessions and tokens follow at once."""
    roles: list[str] | None = list(body.roles) if body.roles is not None else None
    return UserOut.of(
        _change(
            lambda: users.change_access(
                username, roles=roles, teams=body.teams, actor=admin.username, actor_id=admin.id
            )
        )
    )
