"""One BLAS thread for the small matrix products of a chat turn.

A turn multiplies the query's vector with a few thousand stored vectors (example questions,
headings, sentences): ~0.07 ms on one thread. NumPy's OpenBLAS splits such a product over every
core by default, and on two cores busy with other turns its threads spin-wait for each other: in
a 100-conversation load run the api spent a third of its CPU that way (71 ms a turn against 45
with one thread; docs/deployment.md). Parallelism comes from serving several turns at once, not
from splitting one.

NumPy's OpenBLAS (0.3.31 here) takes the limit only from the process's main thread: set from
another thread it changes nothing, for that thread or any other. OpenMP runtimes keep a limit per
thread; the embedder sets its own per call (knowledge/openmp.py), and faiss's OpenBLAS runs on
OpenMP (faiss uses BLAS for batches of queries, not for one).
"""

from __future__ import annotations

import threading

from threadpoolctl import threadpool_limits


def single_threaded_blas() -> bool:
    """Limit NumPy's BLAS to one thread for the rest of the process's life; False (and nothing
    done) outside the main thread, where the limit would not take."""
    if threading.current_thread() is not threading.main_thread():
        return False
    threadpool_limits(limits=1, user_api="blas")
    return True
