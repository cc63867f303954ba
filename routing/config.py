"""The routing data: the team directory, out-of-scope examples and parameters (data/routing/)."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

import yaml

from routing.teams import TeamDirectory, by_language

ROUTING_DIR = Path(__file__).resolve().parents[1] / "data" / "routing"
OUT_OF_SCOPE = "null"  # the label of the out-of-scope class inside the router (decision.team is None)
CRISIS = "crisis"


@dataclass(frozen=True)
class RoutingParams:
    temperature: float = 0.02
    top_k: int = 2
    keyword_weight: float = 1.5
    weak_weight: float = 0.4
    keyword_cap: float = 2.0
    knowledge_weight: float = 1.0
    no_document_weight: float = 0.5
    context_weight: float = 0.5
    threshold: float = 0.5
    # The example classifier's log-probability of the label (knowledge/example_classifier.py).
    classifier_weight: float = 0.0

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RoutingParams:
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown routing parameters: {', '.join(sorted(unknown))}")
        return replace(cls(), **data)


@dataclass(frozen=True)
class RoutingConfig:
    teams: TeamDirectory
    out_of_scope: tuple[tuple[str, str], ...]
    params: RoutingParams

    def examples(self) -> list[tuple[str, str]]:
        """(label, text) for every example; out-of-scope ones carry OUT_OF_SCOPE."""
        rows = [(team.id, text) for team in self.teams.values() for _, text in team.examples]
        rows += [(OUT_OF_SCOPE, text) for _, text in self.out_of_scope]
        return rows


def params_for(embedder_name: str, raw: dict[str, Any]) -> RoutingParams:
    """Parameters for an embedder: its own block (by name or family), else `default`."""
    key = Path(embedder_name.rstrip("/")).name
    family = "hashing" if key.startswith("hashing") else key
    block = raw.get(key) or raw.get(family) or raw.get("default") or {}
    return RoutingParams.from_dict(dict(block))


def load_routing_config(
    embedder_name: str, directory: Path = ROUTING_DIR, *, teams: TeamDirectory | None = None
) -> RoutingConfig:
    """The routing data in `directory`; `teams`: a directory already loaded (else its teams.yml)."""
    oos = yaml.safe_load((directory / "out_of_scope.yml").read_text(encoding="utf-8")) or {}
    params_file = directory / "routing.yml"
    raw = (
        (yaml.safe_load(params_file.read_text(encoding="utf-8")) or {}).get("params", {})
        if params_file.exists()
        else {}
    )
    return RoutingConfig(
        teams=teams if teams is not None else TeamDirectory.load(directory / "teams.yml"),
        out_of_scope=by_language(oos.get("examples")),
        params=params_for(embedder_name, raw),
    )
