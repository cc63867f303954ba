"""Assembles the FastAPI app. Nothing else lives here."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from rasa_sdk.executor import ActionExecutor

import actions
from actions import context as action_context
from api.routers import actions_webhook, citizen, health
from api.services.chat import ChatGateway
from api.services.conversations import ConversationStore
from api.services.database import create_schema, make_engine, make_sessionmaker
from api.services.documents import DocumentLibrary
from api.services.knowledge_service import open_knowledge
from api.services.office_hours import OfficeHours
from api.services.rasa_client import RasaClient
from api.settings import PROJECT_ROOT, Settings, get_settings
from api.routers.citizen import WEB_DIR

log = logging.getLogger("loket.api")


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(settings.sqlalchemy_url)
        create_schema(engine)
        store = ConversationStore(sessions=make_sessionmaker(engine))
        knowledge = open_knowledge(settings)
        rasa = RasaClient(base_url=settings.rasa_url, timeout_s=settings.rasa_timeout_s)
        executor = ActionExecutor()
        executor.register_package(actions)
        action_context.install(
            action_context.ActionContext(
                search=knowledge.search,
                store=store,
                office_hours=OfficeHours.from_yaml(PROJECT_ROOT / "data" / "routing" / "teams.yml"),
            )
        )
        app.state.settings = settings
        app.state.store = store
        app.state.gateway = ChatGateway(store=store, bot=rasa)
        app.state.documents = DocumentLibrary(knowledge.documents())
        app.state.executor = executor
        try:
            yield
        finally:
            action_context.install(None)
            rasa.close()
            engine.dispose()

    app = FastAPI(title="Loket", version="0.1.0", lifespan=lifespan)
    app.mount("/static", StaticFiles(directory=WEB_DIR / "static"), name="static")
    app.include_router(health.router)
    app.include_router(citizen.router)
    app.include_router(actions_webhook.router)
    return app
