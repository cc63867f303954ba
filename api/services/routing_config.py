"""The routing data: teams (data/routing/teams.yml), out-of-scope examples and parameters."""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import yaml

ROUTING_DIR = Path(__file__).resolve().parents[2] / "data" / "routing"
OUT_OF_SCOPE = "null"  # the label of the out-of-scope class inside the router (decision.team is None)
CRISIS = "crisis"


@dataclass(frozen=True)
class TeamProfile:
    id: str
    kind: str
    names: dict[str, str]
    scope: dict[str, str] = field(default_factory=dict)
    contact: dict[str, Any] = field(default_factory=dict)
    opening_hours: dict[str, str] = field(default_factory=dict)
    response_time: dict[str, Any] = field(default_factory=dict)
    referral: dict[str, Any] | None = None
    keywords: tuple[str, ...] = ()
    weak_keywords: tuple[str, ...] = ()
    examples: tuple[tuple[str, str], ...] = ()  # (language, text)

    def name(self, language: str = "nl") -> str:
        return self.names.get(language) or self.names.get("nl") or self.id


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

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RoutingParams:
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown routing parameters: {', '.join(sorted(unknown))}")
        return replace(cls(), **data)


@dataclass(frozen=True)
class RoutingConfig:
    teams: dict[str, TeamProfile]
    out_of_scope: tuple[tuple[str, str], ...]
    params: RoutingParams

    def examples(self) -> list[tuple[str, str]]:
        """(label, text) for every example; out-of-scope ones carry OUT_OF_SCOPE."""
        rows = [(team.id, text) for team in self.teams.values() for _, text in team.examples]
        rows += [(OUT_OF_SCOPE, text) for _, text in self.out_of_scope]
        return rows


def _by_language(value: Any) -> tuple[tuple[str, str], ...]:
    if isinstance(value, dict):
        return tuple((str(lang), str(text)) for lang, texts in value.items() for text in texts or [])
    return tuple(("nl", str(text)) for text in value or [])


def load_teams(path: Path) -> dict[str, TeamProfile]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    teams: dict[str, TeamProfile] = {}
    for team_id, info in (data.get("teams") or {}).items():
        info = info or {}
        names = info.get("name") or {}
        teams[team_id] = TeamProfile(
            id=team_id,
            kind=str(info.get("kind", "team")),
            names=names if isinstance(names, dict) else {"nl": str(names)},
            scope=dict(info.get("scope") or {}),
            contact=dict(info.get("contact") or {}),
            opening_hours=dict(info.get("opening_hours") or {}),
            response_time=dict(info.get("response_time") or {}),
            referral=info.get("referral"),
            keywords=tuple(str(k) for k in info.get("keywords") or []),
            weak_keywords=tuple(str(k) for k in info.get("weak_keywords") or []),
            examples=_by_language(info.get("examples")),
        )
    return teams


def params_for(embedder_name: str, raw: dict[str, Any]) -> RoutingParams:
    """Parameters for an embedder: its own block (by name or family), else `default`."""
    key = Path(embedder_name.rstrip("/")).name
    family = "hashing" if key.startswith("hashing") else key
    block = raw.get(key) or raw.get(family) or raw.get("default") or {}
    return RoutingParams.from_dict(dict(block))


def load_routing_config(embedder_name: str, directory: Path = ROUTING_DIR) -> RoutingConfig:
    oos = yaml.safe_load((directory / "out_of_scope.yml").read_text(encoding="utf-8")) or {}
    params_file = directory / "routing.yml"
    raw = (
        (yaml.safe_load(params_file.read_text(encoding="utf-8")) or {}).get("params", {})
        if params_file.exists()
        else {}
    )
    return RoutingConfig(
        teams=load_teams(directory / "teams.yml"),
        out_of_scope=_by_language(oos.get("examples")),
        params=params_for(embedder_name, raw),
    )
