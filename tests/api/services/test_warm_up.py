"""api/services/warm_up.py: start-up tasks in the background, then one gc.freeze per process."""

from __future__ import annotations

import gc
import logging
from collections.abc import Iterator

import pytest

from api.services import warm_up


@pytest.fixture
def unfrozen(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(warm_up, "_frozen", False)
    gc.unfreeze()
    yield
    gc.unfreeze()


def test_tasks_run_in_order_a_failure_is_logged_and_start_up_objects_are_frozen(
    unfrozen: None, caplog: pytest.LogCaptureFixture
) -> None:
    done: list[str] = []

    def broken() -> None:
        raise RuntimeError("no model")

    caplog.set_level(logging.INFO, logger="loket.api")
    warm_up.warm_up_in_background([lambda: done.append("language"), broken, lambda: done.append("router")]).join(30)
    assert done == ["language", "router"]
    assert "Warm-up" in caplog.text and "no model" in caplog.text
    assert gc.get_freeze_count() > 0


def test_a_second_app_in_the_same_process_does_not_freeze_again(unfrozen: None) -> None:
    warm_up.warm_up_in_background([]).join(30)
    gc.unfreeze()
    warm_up.warm_up_in_background([]).join(30)
    assert gc.get_freeze_count() == 0
