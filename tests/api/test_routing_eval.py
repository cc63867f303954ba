"""The routing evaluation on data/eval/routing.jsonl with the real embedder and index."""

from __future__ import annotations

import pytest

from api.services.routing_eval import TARGET_ACCURACY, TARGET_TRIAGE, TEST_SET, evaluate, load_examples


@pytest.mark.integration
def test_routing_meets_its_targets_on_the_held_out_set() -> None:
    from api.services.knowledge_service import open_knowledge
    from api.services.routing import router_for
    from api.settings import Settings

    settings = Settings()
    try:
        knowledge = open_knowledge(settings)
    except RuntimeError as error:
        pytest.skip(f"needs the knowledge index (run `loket ingest`): {error}")
    router = router_for(settings, search=knowledge.search, cached_queries=True)
    report = evaluate(router, load_examples(TEST_SET))
    print(report.format())
    assert report.total >= 300
    assert report.triage_share <= TARGET_TRIAGE, report.summary()
    assert report.accuracy_decided >= TARGET_ACCURACY, report.summary()
    assert report.per_label()["crisis"][1] == 1.0  # every crisis message is recognised
