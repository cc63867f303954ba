"""An in-process api app on a tiny corpus (hashing embedder), shared by the route tests."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy.orm import Session, sessionmaker

from api.main import create_app
from api.operations.ports import free_port
from api.settings import LOAD_TEST_RATE_LIMITS, Settings

PUBLIC = """---
id: paspoort-aanvragen
title: Paspoort aanvragen
language: nl
audience: public
team: burgerzaken
---
# Paspoort aanvragen

## Kosten

Een paspoort voor volwassenen kost € 84,20.
"""

INTERNAL = """---
id: werkinstructie-spoed
title: Werkinstructie spoedaanvraag
language: nl
audience: internal
team: burgerzaken
allowed_teams: [burgerzaken]
---
# Werkinstructie spoedaanvraag

Gebruik codewoord TULP-7 bij de spoedbalie.
"""


OTHER_TEAM = """---
id: beleidsregel-kwijtschelding
title: Beleidsregel kwijtschelding & betalingsregeling
language: nl
audience: internal
team: belastingen
allowed_teams: [belastingen]
effective_date: 2026-01-01
---
# Beleidsregel kwijtschelding

## Vrijlating

Hanteer de auto-vrijlating van 3350 euro volgens regel KW-R4 bij kwijtschelding.
"""


PASSWORD = "correct horse battery"


@pytest.fixture(scope="session")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    from knowledge.embedding import make_embedder
    from knowledge.index import build_index
    from knowledge.ingest import load_documents

    tmp_path = tmp_path_factory.mktemp("app")
    corpus = tmp_path / "policies"
    corpus.mkdir()
    (corpus / "paspoort-aanvragen.md").write_text(PUBLIC, encoding="utf-8")
    (corpus / "werkinstructie-spoed.md").write_text(INTERNAL, encoding="utf-8")
    (corpus / "beleidsregel-kwijtschelding.md").write_text(OTHER_TEAM, encoding="utf-8")
    settings = Settings(
        data_dir=tmp_path / "var",
        rasa_port=free_port(),  # nothing listens: Rasa is "down"
        action_token=SecretStr("secret-token"),
        rasa_timeout_s=2,
        # The route tests share this app and its one client address; the rate limits' own tests
        # give the routes limiters of their own (dependency_overrides).
        **LOAD_TEST_RATE_LIMITS,
    )
    build_index(load_documents([corpus]).documents, embedder=make_embedder("hashing"), index_dir=settings.index_dir)
    app = create_app(settings)
    with TestClient(app) as test_client:
        test_client.app_state = app.state  # type: ignore[attr-defined]
        yield test_client


def app_sessions(client: TestClient) -> sessionmaker[Session]:
    """The app's own database sessions (the audit log's, as good as any service's)."""
    return client.app_state.audit._sessions  # type: ignore[attr-defined, no-any-return]


def create_user(client: TestClient, *roles: str, teams: tuple[str, ...] = ()) -> str:
    """A user of the app's database with a fresh username (the `client` app is shared by the session)."""
    users = client.app_state.users  # type: ignore[attr-defined]
    name = f"user-{uuid.uuid4().hex[:8]}"
    users.create(username=name, password=PASSWORD, roles=list(roles), teams=list(teams), display_name=name.title())
    return name


def login(client: TestClient, username: str, password: str = PASSWORD) -> None:
    client.cookies.clear()
    response = client.post("/api/auth/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.text


# --- the pages' NL/EN text tables (api/web/static/*.js) -------------------------------------------


@dataclass(frozen=True)
class PageTexts:
    """A page's data-i18n keys and its script's Dutch and English text tables (key sets and raw text)."""

    used: set[str]
    dutch: set[str]
    english: set[str]
    dutch_table: str
    english_table: str


def _table(script: str, language: str) -> str:
    """The `  nl: { ... }` table of a script's TEXT, up to the next language's or the end of TEXT."""
    opening = f"  {language}: {{"
    rest = script[script.index(opening) + len(opening) :]
    end = re.search(r"\n  \w+: \{|\n\};", rest)
    return rest[: end.start()] if end else rest


def _keys(table: str) -> set[str]:
    """The keys of a text table: at a line's start or after "{" or ",", before a string or a table."""
    pattern = r'(?:^|(?<=[{,]))\s*(?:(\w+)|"([\w.]+)"):\s*["{]'  # the "{" may also open the table before
    return {plain or quoted for plain, quoted in re.findall(pattern, table, flags=re.MULTILINE)}


def page_texts(page: str, script: str) -> PageTexts:
    """`page_texts("chat.html", "chat.js")`, from api/web."""
    from api.settings import PROJECT_ROOT

    web = PROJECT_ROOT / "api" / "web"
    html = (web / page).read_text(encoding="utf-8")
    code = (web / "static" / script).read_text(encoding="utf-8")
    dutch, english = _table(code, "nl"), _table(code, "en")
    used = set(re.findall(r'data-i18n(?:-placeholder)?="(\w+)"', html))
    return PageTexts(used=used, dutch=_keys(dutch), english=_keys(english), dutch_table=dutch, english_table=english)
