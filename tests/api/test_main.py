"""create_app: the api limits BLAS to one thread when it starts (knowledge/blas_threads.py): a turn's matrix
products are small, and split over busy cores their threads spin-wait for each other."""

from __future__ import annotations

from fastapi.testclient import TestClient
from threadpoolctl import threadpool_info, threadpool_limits

from api.main import create_app


def blas_threads() -> set[int]:
    """Threads of the BLAS libraries with their own thread pool (NumPy's). faiss's copy runs on
    OpenMP, whose limit is per calling thread; faiss uses it for batches, not one query."""
    return {
        lib["num_threads"]
        for lib in threadpool_info()
        if lib["user_api"] == "blas" and lib.get("threading_layer") != "openmp"
    }


def test_a_new_api_sets_one_blas_thread(client: TestClient) -> None:
    state = client.app_state  # type: ignore[attr-defined]
    settings = state.settings
    threadpool_limits(limits=2, user_api="blas")
    try:
        assert blas_threads() == {2}
        create_app(settings)  # as uvicorn calls the factory: in the main thread
        assert blas_threads() == {1}
    finally:
        threadpool_limits(limits=1, user_api="blas")
