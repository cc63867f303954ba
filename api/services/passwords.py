"""The password rule for staff, moderator and admin accounts: long enough and hard to guess.

zxcvbn (Dropbox's estimator, offline) scores a password 0-4 against common passwords, dictionary
words, names, keyboard patterns, dates and repeats; the username and display name count as words
an attacker would try first.

A refusal carries a code and the kinds of pattern zxcvbn found (`weaknesses`), so that a page says
why in its reader's language; the English sentence is for the command line and API clients.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from zxcvbn import zxcvbn

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256  # what the login form accepts
# 3: "safely unguessable: moderate protection from offline slow-hash scenario" (zxcvbn's scale).
MIN_SCORE = 3
# zxcvbn refuses longer input (its time grows quickly with the length); a longer password is
# judged by its first 72 characters, where a pattern would show.
_ESTIMATE_CHARS = 72

PasswordCode = Literal["password_too_short", "password_too_long", "password_too_weak"]
# What made a password easy to guess, from the patterns zxcvbn matched (its `sequence`).
Weakness = Literal[
    "common_password", "personal_words", "names", "common_words", "predictable_substitutions",
    "reversed_words", "keyboard_pattern", "repeats", "sequence", "dates",
]  # fmt: skip
_NAME_LISTS = frozenset({"surnames", "male_names", "female_names"})


@dataclass(frozen=True)
class PasswordProblem:
    """Why a password is refused: `code` and its figures for a page, `message` in English."""

    code: PasswordCode
    message: str
    score: int | None = None
    weaknesses: tuple[Weakness, ...] = ()

    def details(self) -> dict[str, Any]:
        """The figures a page needs to say it in its own words."""
        if self.code == "password_too_short":
            return {"min_length": MIN_PASSWORD_LENGTH}
        if self.code == "password_too_long":
            return {"max_length": MAX_PASSWORD_LENGTH}
        return {"score": self.score, "min_score": MIN_SCORE, "weaknesses": list(self.weaknesses)}

    def __str__(self) -> str:
        return self.message


def password_problem(password: str, *, user_inputs: Iterable[str] = ()) -> PasswordProblem | None:
    """Why the password is refused, or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return PasswordProblem("password_too_short", f"A password has at least {MIN_PASSWORD_LENGTH} characters.")
    if len(password) > MAX_PASSWORD_LENGTH:
        return PasswordProblem("password_too_long", f"A password has at most {MAX_PASSWORD_LENGTH} characters.")
    # The value, its words and its words run together: "sanne.devries" is guessed as that, as
    # "sannedevries", and as "sanne" and "devries".
    words = [word for value in user_inputs for word in (value, "".join(_words(value)), *_words(value)) if word]
    result = zxcvbn(password[:_ESTIMATE_CHARS], user_inputs=words)
    if result["score"] >= MIN_SCORE:
        return None
    feedback = result.get("feedback") or {}
    reason = feedback.get("warning") or " ".join(feedback.get("suggestions") or []) or "It is easy to guess."
    return PasswordProblem(
        "password_too_weak",
        f"This password is too easy to guess (strength {result['score']} of 4, {MIN_SCORE} needed): {reason}",
        score=int(result["score"]),
        weaknesses=weaknesses(result.get("sequence") or []),
    )


def weaknesses(sequence: Iterable[dict[str, Any]]) -> tuple[Weakness, ...]:
    """The kinds of guessable pattern in zxcvbn's match sequence, in order of first appearance
    (random stretches, "bruteforce", are none)."""
    found: dict[Weakness, None] = {}
    for match in sequence:
        for kind in _kinds(match):
            found.setdefault(kind)
    return tuple(found)


def _kinds(match: dict[str, Any]) -> list[Weakness]:
    pattern = match.get("pattern")
    if pattern == "dictionary":
        dictionary = match.get("dictionary_name")
        kinds: list[Weakness] = [
            "common_password" if dictionary == "passwords"
            else "personal_words" if dictionary == "user_inputs"
            else "names" if dictionary in _NAME_LISTS
            else "common_words"
        ]  # fmt: skip
        if match.get("l33t"):
            kinds.append("predictable_substitutions")
        if match.get("reversed"):
            kinds.append("reversed_words")
        return kinds
    simple: dict[str, Weakness] = {
        "spatial": "keyboard_pattern", "repeat": "repeats", "sequence": "sequence", "date": "dates", "regex": "dates",
    }  # fmt: skip
    return [simple[pattern]] if pattern in simple else []


def _words(value: str) -> list[str]:
    return "".join(char if char.isalnum() else " " for char in value).split()
