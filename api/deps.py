"""Typed dependency aliases. Tests swap the providers with app.dependency_overrides."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from api.services.chat import ChatGateway
from api.services.conversations import ConversationStore
from api.settings import Settings
from api.services.documents import DocumentLibrary


def get_app_settings(request: Request) -> Settings:
    """The settings the app was created with (tests create apps with their own)."""
    return request.app.state.settings  # type: ignore[no-any-return]


def get_store(request: Request) -> ConversationStore:
    return request.app.state.store  # type: ignore[no-any-return]


def get_gateway(request: Request) -> ChatGateway:
    return request.app.state.gateway  # type: ignore[no-any-return]


def get_documents(request: Request) -> DocumentLibrary:
    return request.app.state.documents  # type: ignore[no-any-return]


SettingsDep = Annotated[Settings, Depends(get_app_settings)]
StoreDep = Annotated[ConversationStore, Depends(get_store)]
GatewayDep = Annotated[ChatGateway, Depends(get_gateway)]
DocumentsDep = Annotated[DocumentLibrary, Depends(get_documents)]
