"""actions/dialogue.yml: the dialogue's thresholds, word lists and wording, parsed once."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml

from actions import dialogue_config as config_module
from actions.dialogue_config import CONFIG_PATH, dialogue_config, parse, wording
from knowledge.languages import SUPPORTED_LANGUAGES
from routing.teams import MINUTES_PER

SHIPPED: dict[str, Any] = yaml.safe_load(CONFIG_PATH.read_text(encoding="utf-8"))


def shipped_with(**changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(SHIPPED)
    data.update(changes)
    return data


def test_the_shipped_config_parses() -> None:
    config = config_module.dialogue_config()
    assert config.forms["report"].default_team == "openbare_ruimte"
    assert config.forms["complaint"].confirm_slot == "complaint_confirmed"


def test_the_config_is_read_once() -> None:
    assert dialogue_config() is dialogue_config()


def test_form_defaults_never_let_routing_move_a_case() -> None:
    data = shipped_with(forms={"tip": {"reason": "tip", "default_team": "klantcontact", "slots": ["tip_what"]}})
    form = parse(data).forms["tip"]
    assert (form.routable_teams, form.min_routing_confidence) == ((), 1.1)
    assert (form.slots, form.confirm_slot) == (("tip_what",), "tip_confirmed")


def test_words_are_compared_in_lower_case_and_patterns_compiled() -> None:
    words = {"skip": ["N.V.T", 0], "affirm": ["Ja"], "negate": ["NEE"]}
    config = parse(shipped_with(words=words, photo_pattern=r"https?://\S+"))
    assert (config.skip_words, config.yes_words, config.no_words) == ({"n.v.t", "0"}, {"ja"}, {"nee"})
    assert config.photo_pattern.search("zie http://x.nl/f.jpg").group(0) == "http://x.nl/f.jpg"


def test_yes_and_no_are_words_not_booleans() -> None:
    """Unquoted in YAML they are true and false: "no" was the skip word "false" and "yes" the
    confirmation "true", so only the NLU's intent caught them."""
    config = dialogue_config()
    assert "no" in config.skip_words and "no" in config.no_words and "yes" in config.yes_words
    with pytest.raises(ValueError, match="quote"):
        parse(shipped_with(words={"skip": ["nee", False], "affirm": ["ja"], "negate": ["nee"]}))


def test_the_contact_placeholders_are_the_gateways_own() -> None:
    """The actions recognise a given contact by the placeholder the gateway put in its place."""
    from api.services.contact_details import CONTACT_KINDS
    from api.services.personal_data import PLACEHOLDERS

    assert dialogue_config().contact_placeholders == {kind: PLACEHOLDERS[kind] for kind in CONTACT_KINDS}


def test_every_language_names_a_given_contact_by_its_kinds() -> None:
    for language in SUPPORTED_LANGUAGES:
        words = wording(language)
        assert "{kinds}" in words.contact_given and set(words.contact_kinds) == {"email", "phone"}
    assert wording("en").contact_kinds["phone"] == "phone" and wording("nl").contact_given.startswith("opgegeven")


def test_the_referral_threshold_defaults_to_0_8() -> None:
    data = shipped_with()
    del data["referral"]
    assert parse(data).referral_min_confidence == 0.8
    assert parse(shipped_with(referral={"min_confidence": 0.95})).referral_min_confidence == 0.95


def test_every_language_has_its_weekdays_and_every_response_time_unit() -> None:
    for language in SUPPORTED_LANGUAGES:
        words = wording(language)
        assert len(words.weekdays) == 7 and len(set(words.weekdays)) == 7
        assert set(words.units) == set(MINUTES_PER)
        assert all(singular and plural for singular, plural in words.units.values())
    assert wording("nl").weekdays[0] == "maandag" and wording("en").units["days"] == ("working day", "working days")


def test_a_language_without_wording_is_an_error() -> None:
    with pytest.raises(KeyError):
        wording("de")


def test_incomplete_wording_is_refused_when_read() -> None:
    six_days = copy.deepcopy(SHIPPED["wording"])
    six_days["nl"]["weekdays"] = six_days["nl"]["weekdays"][:6]
    with pytest.raises(ValueError, match="7 days"):
        parse(shipped_with(wording=six_days))
    one_name = copy.deepcopy(SHIPPED["wording"])
    one_name["en"]["units"]["hours"] = ["hour"]
    with pytest.raises(ValueError, match=r"singular, plural"):
        parse(shipped_with(wording=one_name))
