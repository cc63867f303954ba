"""The dialogue is decided by rules alone (config.yml has no TEDPolicy): an intent without a rule
would get the default fallback on every turn."""

from __future__ import annotations

import yaml

from api.settings import PROJECT_ROOT

DOMAIN = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))


def _rule_intents() -> set[str]:
    found: set[str] = set()
    for path in (PROJECT_ROOT / "data" / "rules").glob("*.yml"):
        for rule in yaml.safe_load(path.read_text(encoding="utf-8")).get("rules") or []:
            found.update(step["intent"] for step in rule.get("steps") or [] if "intent" in step)
    return found


def test_every_intent_of_the_domain_has_a_rule() -> None:
    intents = {intent if isinstance(intent, str) else next(iter(intent)) for intent in DOMAIN["intents"]}
    # nlu_fallback is Rasa's own intent (FallbackClassifier); it needs its rule as well.
    missing = sorted((intents | {"nlu_fallback"}) - _rule_intents())
    assert not missing, f"intents without a rule: {missing}"
