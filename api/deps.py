"""Typed dependency aliases. Tests swap the providers with app.dependency_overrides.

The providers on the chat and webhook path are `async def`: FastAPI runs a plain `def`
provider in its thread pool, a hop these requests do not need.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status

from api.services.action_runner import ActionRunner
from api.services.audit import AuditLog
from api.services.chat import ChatGateway
from api.services.conversations import ConversationStore
from api.services.documents import DocumentLibrary
from api.services.erasure import ConversationErasure
from api.services.escalations import EscalationWorkflow
from api.services.moderation import ModerationService
from api.services.staff_search import StaffSearch
from api.services.subject_access import ConversationExport
from api.services.users import User, UserStore
from api.settings import Settings
from routing.router import Router

SESSION_COOKIE = "loket_session"


async def get_app_settings(request: Request) -> Settings:
    """The settings the app was created with (tests create apps with their own)."""
    return request.app.state.settings  # type: ignore[no-any-return]


def get_store(request: Request) -> ConversationStore:
    return request.app.state.store  # type: ignore[no-any-return]


async def get_gateway(request: Request) -> ChatGateway:
    return request.app.state.gateway  # type: ignore[no-any-return]


async def get_action_runner(request: Request) -> ActionRunner:
    """Runs the actions package's actions for Rasa (api/main.py)."""
    return request.app.state.action_runner  # type: ignore[no-any-return]


def get_escalations(request: Request) -> EscalationWorkflow:
    return request.app.state.escalations  # type: ignore[no-any-return]


async def get_erasure(request: Request) -> ConversationErasure:
    return request.app.state.erasure  # type: ignore[no-any-return]


def get_export(request: Request) -> ConversationExport:
    return request.app.state.export  # type: ignore[no-any-return]


def get_documents(request: Request) -> DocumentLibrary:
    return request.app.state.documents  # type: ignore[no-any-return]


def get_users(request: Request) -> UserStore:
    return request.app.state.users  # type: ignore[no-any-return]


def get_moderation(request: Request) -> ModerationService:
    return request.app.state.moderation  # type: ignore[no-any-return]


def get_staff_search(request: Request) -> StaffSearch:
    return request.app.state.staff_search  # type: ignore[no-any-return]


def get_audit(request: Request) -> AuditLog:
    return request.app.state.audit  # type: ignore[no-any-return]


def get_router(request: Request) -> Router:
    """The app's one router (routing.router.LazyRouter, built on first use), shared with the actions."""
    return request.app.state.lazy_router.get()  # type: ignore[no-any-return]


def current_user(request: Request, users: Annotated[UserStore, Depends(get_users)]) -> User:
    """The user of a session cookie or an API token (Authorization: Bearer ...).

    401 when neither is present, unknown, expired or revoked.
    """
    authorization = request.headers.get("authorization", "")
    if authorization.lower().startswith("bearer "):
        user = users.user_for_token(authorization[7:].strip())
    else:
        token = request.cookies.get(SESSION_COOKIE)
        user = users.user_for_session(token) if token else None
    if user is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "Log in first.")
    return user


def require_role(*roles: str) -> Callable[..., User]:
    """Router-level access rule: `APIRouter(dependencies=[Depends(require_role("moderator"))])`."""

    def dependency(user: Annotated[User, Depends(current_user)]) -> User:
        if not user.has_role(*roles):
            raise HTTPException(status.HTTP_403_FORBIDDEN, "Your role does not allow this.")
        return user

    return dependency


SettingsDep = Annotated[Settings, Depends(get_app_settings)]
StoreDep = Annotated[ConversationStore, Depends(get_store)]
GatewayDep = Annotated[ChatGateway, Depends(get_gateway)]
DocumentsDep = Annotated[DocumentLibrary, Depends(get_documents)]
ActionRunnerDep = Annotated[ActionRunner, Depends(get_action_runner)]
UsersDep = Annotated[UserStore, Depends(get_users)]
ModerationDep = Annotated[ModerationService, Depends(get_moderation)]
AuditDep = Annotated[AuditLog, Depends(get_audit)]
CurrentUser = Annotated[User, Depends(current_user)]
StaffSearchDep = Annotated[StaffSearch, Depends(get_staff_search)]
RouterDep = Annotated[Router, Depends(get_router)]
EscalationsDep = Annotated[EscalationWorkflow, Depends(get_escalations)]
ErasureDep = Annotated[ConversationErasure, Depends(get_erasure)]
ExportDep = Annotated[ConversationExport, Depends(get_export)]
