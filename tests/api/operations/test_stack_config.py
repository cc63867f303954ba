"""What `loket run` hands to Rasa: endpoints with the token and the right tracker store."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import SecretStr

from api.operations.rasa_model import model_fingerprint
from api.operations.stack import render_endpoints, tracker_store_config
from api.settings import PROJECT_ROOT, Settings


def test_sqlite_tracker_store_lives_in_the_data_dir(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    assert tracker_store_config(settings) == {
        "type": "SQL", "dialect": "sqlite", "db": str(tmp_path / "rasa_tracker.db"),
    }  # fmt: skip


def test_postgres_url_is_passed_with_rasas_driver(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, database_url="postgresql+psycopg://loket:s3cret@db.internal:5432/loket")
    config = tracker_store_config(settings)
    assert config["dialect"] == "postgresql"
    assert config["url"] == "postgresql://loket:s3cret@db.internal:5432/loket"


def test_endpoints_carry_the_action_url_and_token(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, api_port=8123, action_token=SecretStr("t0ken"))
    path = render_endpoints(settings, action_token="t0ken")
    rendered = yaml.safe_load(path.read_text())
    assert rendered["action_endpoint"] == {"url": "http://127.0.0.1:8123/webhook", "token": "t0ken"}
    assert rendered["tracker_store"]["type"] == "SQL"
    assert path.stat().st_mode & 0o077 == 0


def test_model_fingerprint_changes_with_training_data(tmp_path: Path) -> None:
    for name in ("config.yml", "domain.yml"):
        (tmp_path / name).write_text((PROJECT_ROOT / name).read_text())
    (tmp_path / "data" / "nlu").mkdir(parents=True)
    nlu = tmp_path / "data" / "nlu" / "a.yml"
    nlu.write_text("nlu: []\n")
    before = model_fingerprint(tmp_path)
    assert model_fingerprint(tmp_path) == before
    nlu.write_text("nlu: [{intent: greet, examples: '- hoi'}]\n")
    assert model_fingerprint(tmp_path) != before


def test_model_fingerprint_changes_with_the_custom_nlu_components(tmp_path: Path) -> None:
    (tmp_path / "config.yml").write_text((PROJECT_ROOT / "config.yml").read_text())
    component = tmp_path / "bot" / "nlu" / "featurizer.py"
    component.parent.mkdir(parents=True)
    component.write_text("DIM = 384\n")
    before = model_fingerprint(tmp_path)
    component.write_text("DIM = 768\n")
    assert model_fingerprint(tmp_path) != before


def test_production_refuses_the_placeholder_token() -> None:
    import pytest

    with pytest.raises(ValueError, match="LOKET_ACTION_TOKEN"):
        Settings(environment="production")


def test_model_fingerprint_changes_with_the_shared_embedding_code(tmp_path: Path) -> None:
    """bot/nlu embeds with knowledge/embedding.py: changing it must retrain the model."""
    (tmp_path / "config.yml").write_text((PROJECT_ROOT / "config.yml").read_text())
    embedding = tmp_path / "knowledge" / "embedding.py"
    embedding.parent.mkdir(parents=True)
    embedding.write_text("PREFIX = 'query: '\n")
    before = model_fingerprint(tmp_path)
    embedding.write_text("PREFIX = ''\n")
    assert model_fingerprint(tmp_path) != before
