"""The routing evaluation on data/eval/routing.jsonl with the real embedder and index."""

from __future__ import annotations

from pathlib import Path

import pytest

from api.settings import Settings
from routing.evaluation import TARGET_ACCURACY, TARGET_TRIAGE, TEST_SET, evaluate, load_examples


@pytest.mark.integration
def test_routing_meets_its_targets_on_the_held_out_set(project_settings: Settings, built_index: Path) -> None:
    from api.services.knowledge_service import open_knowledge
    from api.services.routing_service import open_router

    settings = project_settings
    knowledge = open_knowledge(settings)  # the project's index, built by the fixture when missing
    router = open_router(settings, search=knowledge.search, cached_queries=True)
    report = evaluate(router, load_examples(TEST_SET))
    print(report.format())
    assert report.total >= 300
    assert report.triage_share <= TARGET_TRIAGE, report.summary()
    assert report.accuracy_decided >= TARGET_ACCURACY, report.summary()
    assert report.per_label()["crisis"][1] == 1.0  # every crisis message is recognised
