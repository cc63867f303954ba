"""Typed dependency aliases. Tests swap the providers with app.dependency_overrides.

The providers on the chat and webhook path are `async def`: FastAPI runs a plain `def`
provider in its thread pool, a hop these requests do not need.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status

from api.services.action_runner import ActionRunner
from api.services.audit import AuditLog
from api.services.chat import ChatGateway
from api.services.chat_switches import ChatSwitches
from api.services.contact_details import ContactVault
from api.services.conversations import ConversationStore
from api.services.documents import DocumentLibrary
from api.services.erasure import ConversationErasure
from api.services.escalations import EscalationWorkflow
from api.services.moderation import ModerationService
from api.services.rate_limits import ChatLimits, LoginThrottle, client_key
from api.services.service_health import DependencyHealth
from api.services.staff_answers import StaffAnswers
from api.services.staff_search import StaffSearch
from api.services.subject_access import ConversationExport
from api.services.users import ApiToken, User, UserStore
from api.settings import Settings
from routing.router import Router
from routing.teams import TeamDirectory

SESSION_COOKIE = "loket_session"


async def get_app_settings(request: Request) -> Settings:
    """The settings the app was created with (tests create apps with their own)."""
    return request.app.state.settings  # type: ignore[no-any-return]


def get_store(request: Request) -> ConversationStore:
    return request.app.state.store  # type: ignore[no-any-return]


async def get_gateway(request: Request) -> ChatGateway:
    return request.app.state.gateway  # type: ignore[no-any-return]


async def get_chat_switches(request: Request) -> ChatSwitches:
    """The chat's kill switches (api/services/chat_switches.py)."""
    return request.app.state.chat_switches  # type: ignore[no-any-return]


async def get_chat_limits(request: Request) -> ChatLimits:
    """The chat's rate limits (api/services/rate_limits.py)."""
    return request.app.state.chat_limits  # type: ignore[no-any-return]


def get_login_throttle(request: Request) -> LoginThrottle:
    return request.app.state.login_throttle  # type: ignore[no-any-return]


async def client_address(request: Request) -> str:
    """Whom the rate limits count: the peer, or the client a trusted proxy names in X-Forwarded-For
    (api/main.py, settings.trusted_proxies); an IPv6 address by its /64."""
    return client_key(request.client.host if request.client else None)


async def get_action_runner(request: Request) -> ActionRunner:
    """Runs the actions package's actions for Rasa (api/main.py)."""
    return request.app.state.action_runner  # type: ignore[no-any-return]


def get_escalations(request: Request) -> EscalationWorkflow:
    return request.app.state.escalations  # type: ignore[no-any-return]


async def get_erasure(request: Request) -> ConversationErasure:
    return request.app.state.erasure  # type: ignore[no-any-return]


def get_contacts(request: Request) -> ContactVault:
    """The contact details forms asked for, encrypted; revealed to the case's team only."""
    return request.app.state.contacts  # type: ignore[no-any-return]


def get_export(request: Request) -> ConversationExport:
    return request.app.state.export  # type: ignore[no-any-return]


async def get_dependency_health(request: Request) -> DependencyHealth:
    """Rasa's and the database's state for /health (api/main.py)."""
    return request.app.state.dependency_health  # type: ignore[no-any-return]


def get_documents(request: Request) -> DocumentLibrary:
    return request.app.state.documents  # type: ignore[no-any-return]


def get_users(request: Request) -> UserStore:
    return request.app.state.users  # type: ignore[no-any-return]


def get_moderation(request: Request) -> ModerationService:
    return request.app.state.moderation  # type: ignore[no-any-return]


def get_staff_search(request: Request) -> StaffSearch:
    return request.app.state.staff_search  # type: ignore[no-any-return]


def get_staff_answers(request: Request) -> StaffAnswers:
    return request.app.state.staff_answers  # type: ignore[no-any-return]


def get_teams(request: Request) -> TeamDirectory:
    return request.app.state.teams  # type: ignore[no-any-return]


def get_audit(request: Request) -> AuditLog:
    return request.app.state.audit  # type: ignore[no-any-return]


def get_router(request: Request) -> Router:
    """The app's one router (routing.router.LazyRouter, built on first use), shared with the actions."""
    return request.app.state.lazy_router.get()  # type: ignore[no-any-return]


@dataclass(frozen=True)
class Login:
    """Who is asking, and how: a session cookie (`token` None) or an API token with its scope."""

    user: User
    token: ApiToken | None = None


def current_login(request: Request, users: Annotated[UserStore, Depends(get_users)]) -> Login:
    """The user of a session cookie or an API token (Authorization: Bearer ...).

    401 when neither is present, unknown, expired or revoked. Looked up once per request.
    """
    known = getattr(request.state, "login", None)
    if isinstance(known, Login):
        return known
    authorization = request.headers.get("authorization", "")
    login: Login | None = None
    if authorization.lower().startswith("bearer "):
        found = users.token_login(authorization[7:].strip())
        login = Login(*found) if found else None
    else:
        token = request.cookies.get(SESSION_COOKIE)
        user = users.user_for_session(token) if token else None
        login = Login(user) if user else None
    if login is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "Log in first.")
    request.state.login = login
    return login


def current_user(request: Request, users: Annotated[UserStore, Depends(get_users)]) -> User:
    """The user of `current_login`, however they logged in."""
    return current_login(request, users).user


def require_role(*roles: str, token_scope: str | None = None) -> Callable[..., User]:
    """Router-level access rule: `APIRouter(dependencies=[Depends(require_role("moderator"))])`.

    API tokens are refused (403) unless the router names the scope they need (`token_scope`) and
    the token carries it: a router that names none (moderator, admin, token management) is for
    logged-in people only.
    """

    def dependency(login: Annotated[Login, Depends(current_login)]) -> User:
        if not login.user.has_role(*roles):
            raise HTTPException(status.HTTP_403_FORBIDDEN, "Your role does not allow this.")
        if login.token is not None and (token_scope is None or token_scope not in login.token.scopes):
            raise HTTPException(status.HTTP_403_FORBIDDEN, "This API token's scope does not allow this.")
        return login.user

    return dependency


SettingsDep = Annotated[Settings, Depends(get_app_settings)]
StoreDep = Annotated[ConversationStore, Depends(get_store)]
GatewayDep = Annotated[ChatGateway, Depends(get_gateway)]
ChatSwitchesDep = Annotated[ChatSwitches, Depends(get_chat_switches)]
ChatLimitsDep = Annotated[ChatLimits, Depends(get_chat_limits)]
LoginThrottleDep = Annotated[LoginThrottle, Depends(get_login_throttle)]
ClientAddress = Annotated[str, Depends(client_address)]
DocumentsDep = Annotated[DocumentLibrary, Depends(get_documents)]
DependencyHealthDep = Annotated[DependencyHealth, Depends(get_dependency_health)]
ActionRunnerDep = Annotated[ActionRunner, Depends(get_action_runner)]
UsersDep = Annotated[UserStore, Depends(get_users)]
ModerationDep = Annotated[ModerationService, Depends(get_moderation)]
AuditDep = Annotated[AuditLog, Depends(get_audit)]
TeamsDep = Annotated[TeamDirectory, Depends(get_teams)]
CurrentUser = Annotated[User, Depends(current_user)]
CurrentLogin = Annotated[Login, Depends(current_login)]
StaffSearchDep = Annotated[StaffSearch, Depends(get_staff_search)]
StaffAnswersDep = Annotated[StaffAnswers, Depends(get_staff_answers)]
RouterDep = Annotated[Router, Depends(get_router)]
EscalationsDep = Annotated[EscalationWorkflow, Depends(get_escalations)]
ErasureDep = Annotated[ConversationErasure, Depends(get_erasure)]
ExportDep = Annotated[ConversationExport, Depends(get_export)]
ContactsDep = Annotated[ContactVault, Depends(get_contacts)]
