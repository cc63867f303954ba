"""One BLAS thread per process for a turn's small matrix products (knowledge/blas_threads.py)."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
from threadpoolctl import threadpool_info, threadpool_limits

from knowledge.blas_threads import single_threaded_blas


def blas_threads() -> list[int]:
    return [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]


@pytest.fixture
def restored() -> Iterator[None]:
    """The test process's own limits come back afterwards (the call is meant to last)."""
    before = max(blas_threads(), default=1)
    yield
    threadpool_limits(limits=before, user_api="blas")


def test_every_loaded_blas_gets_one_thread_and_keeps_it(restored: None) -> None:
    threadpool_limits(limits=2, user_api="blas")
    assert np.dot(np.ones(3), np.ones(3)) == 3.0  # NumPy's BLAS is loaded
    assert blas_threads() and set(blas_threads()) == {2}
    assert single_threaded_blas()
    assert set(blas_threads()) == {1}
    np.ones((64, 64)) @ np.ones((64, 64))  # a product afterwards does not reset it
    assert set(blas_threads()) == {1}


def test_outside_the_main_thread_it_says_it_could_not(restored: None) -> None:
    import threading

    threadpool_limits(limits=2, user_api="blas")
    outcome: list[bool] = []
    worker = threading.Thread(target=lambda: outcome.append(single_threaded_blas()))
    worker.start()
    worker.join()
    assert outcome == [False] and set(blas_threads()) == {2}
