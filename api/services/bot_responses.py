"""The bot's own response texts (domain.yml), for the few the api must say without Rasa.

The crisis help lines are Rasa's `utter_crisis`; when Rasa is down or slow the gateway says the
same words itself, read from the same place, so there is one text per language to keep right.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from knowledge.languages import DEFAULT_LANGUAGE, SUPPORTED_LANGUAGES


def response_texts(domain_file: Path, names: tuple[str, ...]) -> dict[str, dict[str, str]]:
    """name -> language -> text, from domain.yml's responses and their `language` slot conditions.

    A variation without a condition is the default language's (and any language lacking one).
    KeyError for a name the domain does not define.
    """
    responses: dict[str, Any] = (yaml.safe_load(domain_file.read_text(encoding="utf-8")) or {}).get("responses") or {}
    texts: dict[str, dict[str, str]] = {}
    for name in names:
        by_language: dict[str, str] = {}
        for variation in responses[name]:
            language = next(
                (
                    str(condition.get("value"))
                    for condition in variation.get("condition") or []
                    if condition.get("type") == "slot" and condition.get("name") == "language"
                ),
                DEFAULT_LANGUAGE,
            )
            by_language.setdefault(language, str(variation["text"]))
        fallback = by_language.get(DEFAULT_LANGUAGE) or next(iter(by_language.values()))
        texts[name] = {language: by_language.get(language, fallback) for language in SUPPORTED_LANGUAGES}
    return texts
