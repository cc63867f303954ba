"""The password rule: at least 12 characters and zxcvbn score 3 or more, the username counting as a guess."""

from __future__ import annotations

import pytest

from api.services.passwords import MIN_PASSWORD_LENGTH, password_problem


@pytest.mark.parametrize(
    "password", ["correct horse battery", "lang en veilig wachtwoord 42", "hooibaal paraplu tijger 7", "Zq8#kW!p2$Lm"]
)
def test_long_uncommon_passwords_pass(password: str) -> None:
    assert password_problem(password, user_inputs=("anna",)) is None


def test_the_length_is_checked_first() -> None:
    assert password_problem("Zq8#kW!", user_inputs=()) == f"A password has at least {MIN_PASSWORD_LENGTH} characters."
    assert password_problem("Zq8#kW!p2$Lm" * 22) == "A password has at most 256 characters."
    # zxcvbn reads at most 72 characters: a long password is judged by its start, without an error.
    assert password_problem("hooibaal paraplu tijger 7 " * 9) is None


@pytest.mark.parametrize(
    ("password", "reason"),
    [("aaaaaaaaaaaa", 'Repeats like "aaa" are easy to guess.'),
     ("password1234", "This is a very common password."),
     ("asdfghjkl;'z", "Straight rows of keys are easy to guess."),
     ("wachtwoord123", "commonly used password")],
)  # fmt: skip
def test_weak_passwords_are_refused_with_zxcvbns_reason(password: str, reason: str) -> None:
    problem = password_problem(password)
    assert problem is not None
    assert problem.startswith("This password is too easy to guess (strength ") and "3 needed" in problem
    assert reason.lower() in problem.lower()


def test_the_username_and_display_name_count_as_guesses() -> None:
    password = "sannedevries2024"
    assert password_problem(password) is None  # strong enough for a stranger
    assert password_problem(password, user_inputs=("sanne.devries", "Sanne de Vries")) is not None
    assert password_problem(password, user_inputs=("bas",)) is None
