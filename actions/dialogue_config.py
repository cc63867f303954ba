"""The dialogue's thresholds, word lists and defaults, read once from actions/dialogue.yml."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

CONFIG_PATH = Path(__file__).with_name("dialogue.yml")


@dataclass(frozen=True)
class FormConfig:
    name: str
    reason: str
    default_team: str
    routable_teams: tuple[str, ...]
    min_routing_confidence: float
    slots: tuple[str, ...]

    @property
    def confirm_slot(self) -> str:
        return f"{self.name}_confirmed"


@dataclass(frozen=True)
class Wording:
    """Words the actions put into responses in one language."""

    weekdays: tuple[str, ...]  # Monday first, as datetime.weekday() counts
    units: dict[str, tuple[str, str]]  # response-time unit (days, hours, minutes) -> (singular, plural)
    contact_given: str = "{kinds}"  # a form's given contact in its confirmation: "opgegeven ({kinds})"
    contact_kinds: dict[str, str] = field(default_factory=dict)  # email / phone -> its name


@dataclass(frozen=True)
class DialogueConfig:
    follow_up_max_words: int  # a short message after an answer
    follow_up_opening_max_words: int  # a message opening like a continuation
    follow_up_starts: dict[str, tuple[str, ...]]
    follow_up_variant_starts: dict[str, tuple[str, ...]]  # follow-ups that name another case
    follow_up_referring_words: dict[str, frozenset[str]]  # words pointing back at the answer shown
    # Of those, the ones that are as often a dummy subject, a place or a time ("het regent").
    follow_up_loose_referring_words: frozenset[str]
    own_case_subjects: frozenset[str]  # "ik", "we": a question about the citizen's own case
    question_starts: frozenset[str]  # question words and verbs that open a question's clause, all languages
    question_phrases: tuple[str, ...]  # phrases that make a message a question wherever they are
    question_words: frozenset[str]  # "waar", "how": what a question word in a clause is
    question_verbs: frozenset[str]  # "kan", "should": a verb that opens a question
    question_subjects: frozenset[str]  # "ik", "you": a subject after a question word's verb
    handoff_phrases: tuple[str, ...]  # phrases asking for a person, all languages, lower case
    handoff_min_confidence: float  # below it, a request for a person without a phrase is answered if it can be
    not_helpful_phrases: tuple[str, ...]  # a "no" saying the answer did not help, all languages
    form_requests: tuple[str, ...]  # phrases asking for a report or complaint form, all languages
    # Per form: words of which the message or the answering page must say one for the form to be
    # offered after an answer (a form without an entry is always offered).
    form_offer_words: dict[str, tuple[str, ...]]
    max_rephrase: int
    form_min_confidence: float  # the NLU's least confidence in a report or complaint that starts its form unasked
    forms: dict[str, FormConfig]
    skip_words: frozenset[str]
    yes_words: frozenset[str]
    no_words: frozenset[str]
    contact_placeholders: dict[str, str]  # email / phone -> what the gateway passes on instead
    photo_pattern: re.Pattern[str]
    min_answer_chars: int
    wording: dict[str, Wording]
    announcements: Announcements  # "ik heb een vraag over ...": actions/subjects.py
    # A question the router sends to a national organisation at least this confidently gets a
    # referral to it instead of a municipal page.
    referral_min_confidence: float = 0.8


@dataclass(frozen=True)
class Announcements:
    """How a message that only names the subject of a question to come is told (actions/subjects.py)."""

    max_words: int  # of the subject after the opening
    greetings: tuple[str, ...]  # may come first: "hallo, ik heb een vraag over ..."
    openings: tuple[str, ...]  # all languages, lower case, longest first
    closings: frozenset[str]  # words left off the end of the subject ("graag", "please")
    said_back: dict[str, dict[str, str]]  # per language: the citizen's word -> the word said back


def _announcements(data: dict[str, Any]) -> Announcements:
    return Announcements(
        max_words=int(data["max_words"]),
        greetings=tuple(sorted((str(g).lower() for g in data["greetings"]), key=len, reverse=True)),
        openings=tuple(sorted(_phrases(data["openings"]), key=len, reverse=True)),
        closings=_words(data.get("closings") or []),
        said_back={
            str(language): {str(k).lower(): str(v) for k, v in words.items()}
            for language, words in data["said_back"].items()
        },
    )


def _words(values: list[Any]) -> frozenset[str]:
    """Lower-case words. A true or false is refused: YAML reads an unquoted yes/no as one, and "no"
    then silently became the word "false"."""
    if any(isinstance(value, bool) for value in values):
        raise ValueError(f"actions/dialogue.yml: quote yes/no words, YAML read them as true/false: {values}")
    return frozenset(str(value).lower() for value in values)


def _phrases(by_language: dict[str, list[Any]]) -> tuple[str, ...]:
    """Every language's phrases in one tuple, lower case."""
    return tuple(str(phrase).lower() for phrases in by_language.values() for phrase in phrases)


def _wording(language: str, spec: dict[str, Any]) -> Wording:
    weekdays = tuple(str(day) for day in spec["weekdays"])
    if len(weekdays) != 7:
        raise ValueError(f"dialogue.yml: wording.{language}.weekdays needs 7 days, Monday first: {weekdays}")
    units = {}
    for unit, names in spec["units"].items():
        if len(names) != 2:
            raise ValueError(f"dialogue.yml: wording.{language}.units.{unit} needs [singular, plural]: {names}")
        units[str(unit)] = (str(names[0]), str(names[1]))
    return Wording(
        weekdays=weekdays,
        units=units,
        contact_given=str(spec["contact_given"]),
        contact_kinds={str(kind): str(name) for kind, name in spec["contact_kinds"].items()},
    )


def parse(data: dict[str, Any]) -> DialogueConfig:
    forms = {
        name: FormConfig(
            name=name,
            reason=str(spec["reason"]),
            default_team=str(spec["default_team"]),
            routable_teams=tuple(spec.get("routable_teams") or ()),
            min_routing_confidence=float(spec.get("min_routing_confidence", 1.1)),
            slots=tuple(spec["slots"]),
        )
        for name, spec in data["forms"].items()
    }
    words = data["words"]
    referral = data.get("referral") or {}
    return DialogueConfig(
        referral_min_confidence=float(referral.get("min_confidence", 0.8)),
        announcements=_announcements(data["announcements"]),
        follow_up_max_words=int(data["follow_up"]["max_words"]),
        follow_up_opening_max_words=int(data["follow_up"]["opening_max_words"]),
        follow_up_starts={k: tuple(v) for k, v in data["follow_up"]["starts"].items()},
        follow_up_variant_starts={k: tuple(v) for k, v in data["follow_up"]["variant_starts"].items()},
        follow_up_referring_words={k: frozenset(v) for k, v in data["follow_up"]["referring_words"].items()},
        follow_up_loose_referring_words=_words(
            [w for words in data["follow_up"]["loose_referring_words"].values() for w in words]
        ),
        own_case_subjects=_words([w for words in data["follow_up"]["own_case_subjects"].values() for w in words]),
        question_starts=_words(
            [w for key in ("words", "verbs") for words in data["questions"][key].values() for w in words]
        ),
        question_phrases=_phrases(data["questions"]["phrases"]),
        question_words=_words([w for words in data["questions"]["words"].values() for w in words]),
        question_verbs=_words([w for words in data["questions"]["verbs"].values() for w in words]),
        question_subjects=_words([w for words in data["questions"]["subjects"].values() for w in words]),
        handoff_phrases=_phrases(data["handoff"]["phrases"]),
        handoff_min_confidence=float(data["handoff"]["min_confidence"]),
        not_helpful_phrases=_phrases(data["not_helpful"]),
        form_requests=_phrases(data["form_requests"]),
        form_offer_words={str(form): _phrases(words) for form, words in (data.get("form_offer_words") or {}).items()},
        max_rephrase=int(data["fallback"]["max_rephrase"]),
        form_min_confidence=float(data["fallback"]["form_min_confidence"]),
        forms=forms,
        skip_words=_words(words["skip"]),
        yes_words=_words(words["affirm"]),
        no_words=_words(words["negate"]),
        contact_placeholders={str(kind): str(text) for kind, text in data["contact_placeholders"].items()},
        photo_pattern=re.compile(data["photo_pattern"]),
        min_answer_chars=int(data["min_answer_chars"]),
        wording={language: _wording(language, spec) for language, spec in data["wording"].items()},
    )


@lru_cache(maxsize=1)
def dialogue_config() -> DialogueConfig:
    return parse(yaml.safe_load(CONFIG_PATH.read_text(encoding="utf-8")))


def wording(language: str) -> Wording:
    """The day names and units for `language` (KeyError for a language dialogue.yml lacks)."""
    return dialogue_config().wording[language]
