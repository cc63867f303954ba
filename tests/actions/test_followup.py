"""Recognising a follow-up ("en voor mijn kind?") and what is searched for it."""

from __future__ import annotations

import pytest

from actions.dialogue_config import dialogue_config
from actions.followup import asks_about_own_case, is_follow_up, is_variant, refers_back, search_query

CONFIG = dialogue_config()


@pytest.mark.parametrize(
    "text",
    ["en voor mijn kind?", "En?", "  Wat kost dat?", "and for my kid?", "what about children", "Does that apply"],
)
def test_short_continuations_in_either_language_are_follow_ups(text: str) -> None:
    assert is_follow_up(text, config=CONFIG)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "?!",
        "hoe vraag ik een paspoort aan",  # a question of its own
        "endless questions",  # "en" is a start only as a word ("en ")
        "en dan nog een hele lange vraag over iets heel anders dan het vorige antwoord hier",  # too long
    ],
)
def test_other_messages_are_not_follow_ups(text: str) -> None:
    assert not is_follow_up(text, config=CONFIG)


def test_a_condition_after_an_answer_is_a_follow_up_though_longer_than_a_short_message() -> None:
    condition = "en als ik niet zelf rij maar altijd passagier ben"
    assert len(condition.split()) > CONFIG.follow_up_max_words
    assert is_follow_up(condition, config=CONFIG)


def test_the_word_limit_counts_words_not_punctuation() -> None:
    limit = CONFIG.follow_up_opening_max_words
    words = ["en"] + ["x"] * (limit - 1)
    assert is_follow_up(" ".join(words) + " ?!", config=CONFIG)
    assert not is_follow_up(" ".join([*words, "x"]), config=CONFIG)


@pytest.mark.parametrize(
    ("text", "variant"),
    [
        ("en voor mijn kind?", True),
        ("And for visitors?", True),
        ("what about the green bin", True),
        ("en de rioolheffing?", True),
        ("en als ze me geen gelijk geven", False),  # a new condition: a question of its own
        ("what if they skip my house", False),
        ("en hoe lang duurt dat?", False),
        ("en voor mijn kind, en dan nog een hele lange vraag erachteraan over iets anders", False),  # too long
    ],
)
def test_a_variant_names_another_case_of_the_question_before(text: str, variant: bool) -> None:
    assert is_variant(text, config=CONFIG) is variant


@pytest.mark.parametrize(
    ("text", "before", "refers"),
    [
        ("hoe snel wordt die gebracht", None, True),
        ("Is THAT free?", None, True),  # either language, any case
        ("zo'n pas, wat kost die", None, True),  # a word with an apostrophe is one word
        ("kliko kapot, wat nu", None, False),
        ("thatched roof permit", None, False),  # a whole word only
        ("kan ik dat met de grijze pas betalen", 18, True),  # "dat" ahead of "grijze"
        ("grijze bak, kan dat vandaag nog?", 0, False),  # "dat" after it: it points at the bin
        ("betaal ik iets voor zo'n ophaalbeurt", 20, True),  # the word at the offset points back itself
    ],
)
def test_a_word_pointing_back_counts_when_it_comes_before_the_subject(
    text: str, before: int | None, refers: bool
) -> None:
    assert refers_back(text, config=CONFIG, before=before) is refers


@pytest.mark.parametrize(
    ("text", "refers", "strictly"),
    [
        ("is het vandaag zondag", True, False),  # "het" may point back ...
        ("het regent hier al de hele dag", True, False),
        ("kan ik dat per maand betalen", True, True),  # ... "dat" always does
        ("maakt dat nog uit", True, True),
        ("is it raining there", True, False),
        ("can i pay for those online", True, True),
    ],
)
def test_loose_referring_words_do_not_count_when_strictly_asked(text: str, refers: bool, strictly: bool) -> None:
    assert refers_back(text, config=CONFIG) is refers
    assert refers_back(text, config=CONFIG, strictly=True) is strictly


@pytest.mark.parametrize(
    ("text", "own_case"),
    [
        ("kan ik in mei al gaan zagen", True),
        ("mogen we dat zelf doen", True),
        ("can i pay later", True),
        ("is het vandaag zondag", False),  # a question, but not about what the citizen may do
        ("ik verveel me", False),  # the citizen as subject, but no question
        ("wordt het morgen warm", False),
    ],
)
def test_a_question_about_the_citizens_own_case(text: str, own_case: bool) -> None:
    assert asks_about_own_case(text, config=CONFIG) is own_case


def test_a_follow_up_is_searched_with_the_previous_topic() -> None:
    topic = "paspoort aanvragen"
    assert search_query("en voor mijn kind?", last_topic=topic, intent=None, config=CONFIG) == (
        "paspoort aanvragen en voor mijn kind?"
    )
    # The NLU's ask_followup intent counts even when the words do not look like one.
    assert search_query("kinderen?", last_topic=topic, intent="ask_followup", config=CONFIG) == (
        "paspoort aanvragen kinderen?"
    )


def test_without_a_topic_or_a_follow_up_the_message_is_searched_as_it_is() -> None:
    assert search_query("en voor mijn kind?", last_topic=None, intent="ask_followup", config=CONFIG) == (
        "en voor mijn kind?"
    )
    assert search_query("hoe vraag ik een parkeervergunning aan", last_topic="paspoort", intent="ask_question",
                        config=CONFIG) == "hoe vraag ik een parkeervergunning aan"  # fmt: skip
