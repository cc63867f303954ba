"""The dialogue's one call into routing: the installed route service, and which team a form's case
goes to."""

from __future__ import annotations

from actions.case_routing import choose_team, route_case
from actions.dialogue_config import dialogue_config
from actions.forms import ActionSubmitReport
from api.services.crisis import crisis_signal
from routing.router import LazyRouter, make_router
from tests.actions.conftest import NOTHING, REPORT, RecordingAnswers, decides, escalations_of, install, run, tracker

REPORT_FORM = dialogue_config().forms["report"]
COMPLAINT_FORM = dialogue_config().forms["complaint"]


def test_route_case_asks_the_installed_service(store, tmp_path) -> None:
    asked: list[str] = []

    def route(text: str) -> dict:
        asked.append(text)
        return {"team": "afval", "status": "routed", "confidence": 0.9}

    install(store, RecordingAnswers(NOTHING), tmp_path, route=route)
    assert route_case("container niet geleegd") == {"team": "afval", "status": "routed", "confidence": 0.9}
    assert asked == ["container niet geleegd"]


def test_a_report_moves_only_to_a_routable_team_when_routing_is_sure_enough() -> None:
    assert REPORT_FORM.min_routing_confidence == 0.8
    assert choose_team(REPORT_FORM, {"team": "afval", "confidence": 0.8}) == "afval"  # the threshold counts
    assert choose_team(REPORT_FORM, {"team": "afval", "confidence": 0.79}) == "openbare_ruimte"
    assert choose_team(REPORT_FORM, {"team": "burgerzaken", "confidence": 1.0}) == "openbare_ruimte"


def test_an_incomplete_decision_keeps_the_forms_own_team() -> None:
    for decision in ({}, {"team": None, "confidence": 1.0}, {"team": "afval"}, {"team": "afval", "confidence": None}):
        assert choose_team(REPORT_FORM, decision) == "openbare_ruimte"


def test_a_complaint_always_goes_to_the_complaints_team() -> None:
    """Its threshold (1.1) is above any confidence."""
    assert choose_team(COMPLAINT_FORM, {"team": "klachten_bezwaar", "confidence": 1.0}) == "klachten_bezwaar"
    assert choose_team(COMPLAINT_FORM, {"team": "burgerzaken", "confidence": 1.0}) == "klachten_bezwaar"


def test_an_installed_routing_service_is_used(store, tmp_path) -> None:
    install(store, RecordingAnswers(NOTHING), tmp_path, route=decides("afval", 0.95))
    conversation = store.start(language="nl")
    run(ActionSubmitReport(), tracker("ja", intent="affirm", sender=conversation, slots=REPORT))
    assert escalations_of(store)[0].team == "afval"


ROUTER_TEAMS = """
teams:
  afval:
    name: {nl: Afval, en: Waste}
    keywords: [container, grofvuil]
    examples: {nl: [de container is niet geleegd, grofvuil laten ophalen]}
  openbare_ruimte:
    name: {nl: Openbare ruimte, en: Public Space}
    keywords: [lantaarnpaal, stoeptegel]
    examples: {nl: [lantaarnpaal kapot, losse stoeptegel]}
"""


def test_a_report_routed_by_the_real_router(store, tmp_path) -> None:
    """What the api installs: a LazyRouter's route_dict (here on a small teams file and the hashing embedder)."""
    config = tmp_path / "routing"
    config.mkdir()
    (config / "teams.yml").write_text(ROUTER_TEAMS, encoding="utf-8")
    (config / "out_of_scope.yml").write_text("examples:\n  nl: [wat voor weer wordt het morgen]\n", encoding="utf-8")
    (config / "routing.yml").write_text("params:\n  default: {temperature: 0.1, top_k: 1}\n", encoding="utf-8")
    router = LazyRouter(lambda: make_router(embedder_name="hashing", crisis=crisis_signal, directory=config))
    install(store, RecordingAnswers(NOTHING), tmp_path, route=router.route_dict)
    conversation = store.start(language="nl")
    slots = {**REPORT, "report_what": "de container is niet geleegd"}
    run(ActionSubmitReport(), tracker("ja", intent="affirm", sender=conversation, slots=slots))
    [case] = escalations_of(store)
    assert (case.routing["team"], case.routing["status"]) == ("afval", "routed")
    assert case.routing["confidence"] >= 0.8 and case.team == "afval"  # sure enough to move a report
