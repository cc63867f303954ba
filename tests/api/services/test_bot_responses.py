"""The bot's response texts read from the domain, per language."""

from __future__ import annotations

from pathlib import Path

import pytest

from api.services.bot_responses import response_texts
from api.settings import Settings

DOMAIN = """
responses:
  utter_help:
    - text: "Help in English"
      condition:
        - type: slot
          name: language
          value: en
    - text: "Hulp in het Nederlands"
  utter_dutch_only:
    - text: "Alleen Nederlands"
"""


def test_each_language_gets_its_variation_and_a_missing_one_the_default(tmp_path: Path) -> None:
    domain = tmp_path / "domain.yml"
    domain.write_text(DOMAIN, encoding="utf-8")
    texts = response_texts(domain, ("utter_help", "utter_dutch_only"))
    assert texts["utter_help"] == {"nl": "Hulp in het Nederlands", "en": "Help in English"}
    assert texts["utter_dutch_only"] == {"nl": "Alleen Nederlands", "en": "Alleen Nederlands"}
    with pytest.raises(KeyError):
        response_texts(domain, ("utter_missing",))


def test_the_shipped_crisis_help_lines_name_113_and_112_in_both_languages() -> None:
    texts = response_texts(Settings().domain_file, ("utter_crisis", "utter_crisis_escalated"))
    for language in ("nl", "en"):
        assert "113" in texts["utter_crisis"][language] and "112" in texts["utter_crisis"][language]
    assert texts["utter_crisis"]["nl"] != texts["utter_crisis"]["en"]
