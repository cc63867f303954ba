"""Assembles the FastAPI app. Nothing else lives here."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from datetime import timedelta
from functools import partial

import yaml
from fastapi import Depends, FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles
from rasa_sdk.executor import ActionExecutor
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

import actions
from actions import context as action_context
from actions.dialogue_config import wording
from api.nul_characters import refuse_nul_characters
from api.refusals import Refusal, refusal_response
from api.routers import actions_webhook, admin, admin_users, api_docs, auth, citizen, health, moderator, routing, staff
from api.same_origin import SameOriginWrites
from api.security_headers import SecurityHeaders
from api.services.action_runner import ActionRunner
from api.services.admission import Admission
from api.services.audit import AuditLog
from api.services.bot_responses import response_texts
from api.services.chat import CONTACT_NOTICES, ChatGateway, CrisisFallback
from api.services.chat_switches import ChatSwitches, chat_off_notice
from api.services.citizen_answers import CitizenAnswers
from api.services.contact_details import ContactVault, contact_cipher
from api.services.contact_route import ContactRoute
from api.services.conversation_locks import conversation_locks
from api.services.conversations import ConversationStore
from api.services.crisis import SafetySignals
from api.services.database import create_schema, make_engine, make_sessionmaker
from api.services.documents import DocumentLibrary
from api.services.erasure import ConversationErasure
from api.services.escalations import EscalationWorkflow
from api.services.knowledge_service import open_knowledge, open_statutes
from api.services.message_vectors import MessageVectors
from api.services.moderation import ModerationService
from api.services.office_hours import OfficeHours
from api.services.rasa_client import RasaClient
from api.services.rasa_tracker_store import RasaTrackerStore
from api.services.rate_limits import ChatLimits, LoginThrottle
from api.services.redaction import Redactor
from api.services.retention import DataRetention, RetentionPeriods
from api.services.retention_schedule import run_exclusively, run_periodically
from api.services.routing_service import open_router
from api.services.service_health import DependencyHealth
from api.services.shared_state import open_redis
from api.services.staff_answers import StaffAnswers
from api.services.staff_search import StaffSearch
from api.services.subject_access import ConversationExport
from api.services.users import UserStore
from api.services.warm_up import warm_up_in_background
from api.settings import Settings, get_settings
from api.validation_errors import validation_error
from knowledge.blas_threads import single_threaded_blas
from knowledge.languages import SUPPORTED_LANGUAGES, detect_language, other_language
from routing.router import LazyRouter
from routing.teams import TeamDirectory

log = logging.getLogger("loket.api")


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    # A turn's matrix products are small and turns run side by side: one BLAS thread each. Set
    # here, in the process's main thread (uvicorn calls the factory there; see the module).
    single_threaded_blas()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(settings.sqlalchemy_url)
        create_schema(engine)
        sessions = make_sessionmaker(engine)
        store = ConversationStore(sessions=sessions)
        escalations = EscalationWorkflow(sessions=sessions)
        # The contact a form asks for, encrypted (without keys outside production: a generated one).
        contacts = ContactVault(
            sessions=sessions,
            cipher=contact_cipher(
                keys=[key.get_secret_value() for key in settings.contact_keys], key_file=settings.contact_key_file
            ),
        )
        app.state.contacts = contacts
        knowledge = open_knowledge(settings)
        rasa = RasaClient(
            base_url=settings.rasa_url, timeout_s=settings.rasa_timeout_s, keepalive=settings.rasa_concurrency
        )
        redis = open_redis(settings.redis_url) if settings.redis_url else None
        executor = ActionExecutor()
        executor.register_package(actions)
        teams = TeamDirectory.load(settings.routing_dir / "teams.yml")
        lazy_router = LazyRouter(partial(open_router, settings, search=knowledge.search, teams=teams))
        app.state.lazy_router = lazy_router
        # The language detectors load their models on first use (~1 s) and the router builds on
        # first use: both before a citizen's turn needs them.
        answers = CitizenAnswers.open(knowledge.search, answers_dir=settings.answers_dir)
        # GET /ready answers 200 once it is done (api/routers/health.py).
        app.state.warm_up = warm_up_in_background(
            [
                partial(detect_language, "warm up"),
                partial(other_language, "warm up now"),
                lazy_router.get,
                answers.engine.warm_up,
            ]
        )
        # The chat's kill switches, and the contact route the citizen gets instead of what is off.
        chat_switches = ChatSwitches(sessions=sessions, ttl_s=settings.chat_switch_ttl_s)
        contact_route = ContactRoute.load(
            teams,
            messages_file=settings.handoff_messages_file,
            weekdays={language: wording(language).weekdays for language in SUPPORTED_LANGUAGES},
        )
        action_context.install(
            action_context.ActionContext(
                route=lazy_router.route_dict,
                answers=answers,
                store=store,
                escalations=escalations,
                office_hours=OfficeHours.from_teams(teams),
                teams=teams,
                switches=chat_switches.state,
                contact_route=contact_route.text,
                contacts=contacts,
            )
        )
        app.state.chat_switches = chat_switches
        app.state.teams = teams
        app.state.settings = settings
        app.state.store = store
        app.state.users = UserStore(
            sessions=sessions,
            session_ttl=timedelta(hours=settings.session_ttl_hours),
            token_ttl=timedelta(days=settings.api_token_ttl_days),
            teams=teams,
        )
        app.state.audit = AuditLog(sessions=sessions)
        # Counted in Redis when the replicas share one, on the app's own connections.
        app.state.chat_limits = ChatLimits.from_settings(
            settings, connection_pool=redis.connection_pool if redis is not None else None
        )
        app.state.login_throttle = LoginThrottle.from_settings(settings)
        statutes = open_statutes(settings, like=knowledge.search)
        app.state.staff_search = StaffSearch(search=knowledge.search, sessions=sessions, statutes=statutes)
        # Staff questions: the citizens' answer engine, with each staff member's reader.
        app.state.staff_answers = StaffAnswers.open(
            engine=answers.engine, sessions=sessions, statutes=statutes, answers_dir=settings.answers_dir
        )
        app.state.moderation = ModerationService(
            sessions=sessions,
            workflow=escalations,
            teams=teams,
            messages_path=settings.handoff_messages_file,
        )
        handoff_texts = yaml.safe_load(settings.handoff_messages_file.read_text(encoding="utf-8"))
        app.state.gateway = ChatGateway(
            store=store,
            bot=rasa,
            notices={
                kind: handoff_texts[kind]
                for kind in ("no_reply", "busy", "unavailable", "conversation_full", "rate_limited", "other_language")
            }
            | {kind: handoff_texts[kind] for kind in CONTACT_NOTICES}
            | {
                "chat_off": chat_off_notice(
                    handoff_texts["chat_off"],
                    route=contact_route,
                    help_lines=response_texts(settings.domain_file, ("utter_crisis",))["utter_crisis"],
                )
            },
            switches=chat_switches,
            max_citizen_messages=settings.max_citizen_messages,
            contacts=contacts,
            vectors=MessageVectors.for_embedder(knowledge.search.embedder),
            redactor=Redactor.load(messages_file=settings.handoff_messages_file, domain_file=settings.domain_file),
            admission=Admission(
                capacity=settings.rasa_concurrency,
                queue_limit=settings.rasa_queue_limit,
                max_wait_s=settings.rasa_queue_wait_s,
                retry_after_s=settings.busy_retry_after_s,
            ),
            signals=SafetySignals.from_dir(settings.crisis_dir),
            crisis=CrisisFallback(
                escalations=escalations,
                rasa_timeout_s=settings.crisis_rasa_timeout_s,
                texts=response_texts(settings.domain_file, ("utter_crisis", "utter_crisis_escalated")),
            ),
            locks=conversation_locks(
                redis=redis,
                max_wait_s=settings.rasa_queue_wait_s,
                retry_after_s=settings.busy_retry_after_s,
            ),
        )
        app.state.action_runner = ActionRunner(executor, workers=settings.action_workers)
        app.state.documents = DocumentLibrary(knowledge.documents())
        dependency_health = DependencyHealth(
            rasa_url=settings.rasa_url, engine=engine, timeout_s=settings.health_timeout_s,
            cache_s=settings.health_cache_s,
        )  # fmt: skip
        app.state.dependency_health = dependency_health
        # Erasure, export and retention reach Rasa's tracker store too (docs/privacy.md).
        tracker = RasaTrackerStore.open(
            url=settings.tracker_store_url, api_url=settings.sqlalchemy_url, api_engine=engine
        )
        app.state.escalations = escalations
        app.state.erasure = ConversationErasure(sessions=sessions, tracker=tracker)
        app.state.export = ConversationExport(sessions=sessions, tracker=tracker, contacts=contacts)
        retention = DataRetention(
            sessions=sessions, tracker=tracker, periods=RetentionPeriods.from_settings(settings),
            logs_dir=settings.logs_dir,
        )  # fmt: skip
        retention_task = (
            asyncio.create_task(
                run_periodically(
                    partial(run_exclusively, retention, engine, redis_url=settings.redis_url),
                    every=timedelta(hours=settings.retention_interval_hours),
                )
            )
            if settings.retention_interval_hours > 0
            else None
        )
        try:
            yield
        finally:
            if retention_task is not None:
                retention_task.cancel()
                with suppress(asyncio.CancelledError):
                    await retention_task
            tracker.close()
            action_context.install(None)
            await rasa.close()
            await dependency_health.close()
            if redis is not None:
                await redis.aclose()
            engine.dispose()

    # In production the API's documentation is for logged-in users only (api/routers/api_docs.py).
    production = settings.environment == "production"
    app = FastAPI(
        title="Loket", version="0.1.0", lifespan=lifespan, max_body_size=settings.max_request_bytes,
        openapi_url=None if production else "/openapi.json", docs_url=None if production else "/docs",
        redoc_url=None if production else "/redoc", dependencies=[Depends(refuse_nul_characters)],
    )  # fmt: skip
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(Refusal, refusal_response)
    app.add_middleware(SameOriginWrites)
    app.add_middleware(
        SecurityHeaders, frame_ancestors=settings.frame_ancestors, hsts=settings.environment == "production"
    )
    # Outermost: everything inside sees the client a trusted proxy names (uvicorn runs with
    # --no-proxy-headers, so that settings.trusted_proxies alone decides).
    app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxies)
    app.mount("/static", StaticFiles(directory=settings.web_dir / "static"), name="static")
    app.include_router(health.router)
    if production:
        app.include_router(api_docs.router)
    app.include_router(citizen.router)
    app.include_router(actions_webhook.router, max_body_size=settings.max_action_call_bytes)
    app.include_router(routing.router)
    app.include_router(auth.router)
    app.include_router(moderator.router)
    app.include_router(moderator.page_router)
    app.include_router(admin.router)
    app.include_router(admin.page_router)
    app.include_router(admin_users.router)
    app.include_router(staff.router)
    app.include_router(staff.tokens_router)
    app.include_router(staff.page_router)
    return app
