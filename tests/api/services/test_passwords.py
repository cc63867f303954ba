"""The password rule: at least 12 characters and zxcvbn score 3 or more, the username counting as a guess."""

from __future__ import annotations

import pytest

from api.services.passwords import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, MIN_SCORE, password_problem, weaknesses


@pytest.mark.parametrize(
    "password", ["correct horse battery", "lang en veilig wachtwoord 42", "hooibaal paraplu tijger 7", "Zq8#kW!p2$Lm"]
)
def test_long_uncommon_passwords_pass(password: str) -> None:
    assert password_problem(password, user_inputs=("anna",)) is None


def test_the_length_is_checked_first() -> None:
    short = password_problem("Zq8#kW!", user_inputs=())
    assert short is not None and short.code == "password_too_short"
    assert short.message == f"A password has at least {MIN_PASSWORD_LENGTH} characters."
    assert short.details() == {"min_length": MIN_PASSWORD_LENGTH}
    long = password_problem("Zq8#kW!p2$Lm" * 22)
    assert long is not None and long.code == "password_too_long"
    assert str(long) == "A password has at most 256 characters."
    assert long.details() == {"max_length": MAX_PASSWORD_LENGTH}
    # zxcvbn reads at most 72 characters: a long password is judged by its start, without an error.
    assert password_problem("hooibaal paraplu tijger 7 " * 9) is None


@pytest.mark.parametrize(
    ("password", "reason", "weakness"),
    [("aaaaaaaaaaaa", 'Repeats like "aaa" are easy to guess.', "repeats"),
     ("password1234", "This is a very common password.", "common_password"),
     ("asdfghjkl;'z", "Straight rows of keys are easy to guess.", "keyboard_pattern"),
     ("wachtwoord123", "commonly used password", "common_password"),
     ("p@ssw0rd1234", "", "predictable_substitutions")],
)  # fmt: skip
def test_weak_passwords_are_refused_with_zxcvbns_reason_and_the_patterns_as_codes(
    password: str, reason: str, weakness: str
) -> None:
    problem = password_problem(password)
    assert problem is not None and problem.code == "password_too_weak"
    assert problem.message.startswith("This password is too easy to guess (strength ") and "3 needed" in problem.message
    assert reason.lower() in problem.message.lower()
    assert weakness in problem.weaknesses
    assert problem.details() == {"score": problem.score, "min_score": MIN_SCORE, "weaknesses": list(problem.weaknesses)}
    assert problem.score is not None and problem.score < MIN_SCORE


def test_weaknesses_name_each_kind_of_pattern_once_in_order_and_skip_random_stretches() -> None:
    sequence = [
        {"pattern": "dictionary", "dictionary_name": "user_inputs", "reversed": False, "l33t": False},
        {"pattern": "bruteforce"},
        {"pattern": "regex", "regex_name": "recent_year"},
        {"pattern": "dictionary", "dictionary_name": "female_names", "reversed": True, "l33t": False},
        {"pattern": "dictionary", "dictionary_name": "english_wikipedia", "reversed": False, "l33t": False},
        {"pattern": "date"},
        {"pattern": "sequence"},
    ]
    assert weaknesses(sequence) == ("personal_words", "dates", "names", "reversed_words", "common_words", "sequence")


def test_the_username_and_display_name_count_as_guesses() -> None:
    password = "sannedevries2024"
    assert password_problem(password) is None  # strong enough for a stranger
    guessed = password_problem(password, user_inputs=("sanne.devries", "Sanne de Vries"))
    assert guessed is not None and guessed.weaknesses[0] == "personal_words"
    assert password_problem(password, user_inputs=("bas",)) is None
