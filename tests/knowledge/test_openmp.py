"""knowledge/openmp.py: per-call OpenMP limits, with the runtime scan done once."""

from __future__ import annotations

import sys
import types

import pytest

from knowledge import openmp


def test_limit_applies_inside_the_block_and_is_restored() -> None:
    import torch  # noqa: F401  (loads an OpenMP runtime into this process)

    runtimes = openmp._openmp_runtimes()
    assert runtimes, "torch's OpenMP runtime should be found in /proc/self/maps"
    before = [lib.omp_get_max_threads() for lib in runtimes]
    with openmp.openmp_threads(1):
        assert all(lib.omp_get_max_threads() == 1 for lib in runtimes)
    assert [lib.omp_get_max_threads() for lib in runtimes] == before


def test_runtimes_are_scanned_once_and_again_after_new_imports(monkeypatch: pytest.MonkeyPatch) -> None:
    scans: list[int] = []
    monkeypatch.setattr(openmp, "_scanned", None)
    monkeypatch.setattr(openmp, "_loaded_openmp_runtimes", lambda: scans.append(1) or [])
    for _ in range(3):
        with openmp.openmp_threads(2):
            pass
    assert len(scans) == 1
    monkeypatch.setitem(sys.modules, "loket_test_new_extension", types.ModuleType("x"))
    with openmp.openmp_threads(2):
        pass
    assert len(scans) == 2


def test_no_limit_touches_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(openmp, "_scanned", None)
    monkeypatch.setattr(openmp, "_loaded_openmp_runtimes", lambda: pytest.fail("scanned"))
    with openmp.openmp_threads(None):
        pass
