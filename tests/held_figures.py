"""Gates that hold a figure below its target: a met target passes; a missed one is a strict
expected failure that accepts only `MissesTarget`, raised only while the figure is the one last
recorded, so any change, better or worse, turns the gate red until the record is updated."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pytest


class MissesTarget(Exception):
    """A figure misses its target and is still the figure recorded for it."""


def held_params(metrics: Iterable[str], recorded: Mapping[str, float], *, side: str = "below") -> list[Any]:
    """One pytest param per metric; those with a recorded figure carry the strict xfail mark."""
    return [
        pytest.param(
            metric,
            marks=[pytest.mark.xfail(strict=True, raises=MissesTarget, reason=f"{side} target: {last} last measured")]
            if (last := recorded.get(metric)) is not None
            else [],
        )
        for metric in metrics
    ]


def hold(name: str, figure: float, *, target: float, met: bool, recorded: float | None, details: str) -> None:
    """Passes when `met`; else fails unless `figure` is the recorded one, then raises MissesTarget."""
    if met:
        return
    assert recorded is not None and f"{figure:.3f}" == f"{recorded:.3f}", (
        f"{name} {figure:.3f} misses its target {target}; last measured: {recorded}\n{details}"
    )
    raise MissesTarget(f"{name} {figure:.3f} misses its target {target}")
