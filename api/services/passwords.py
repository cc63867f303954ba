"""The password rule for staff, moderator and admin accounts: long enough and hard to guess.

zxcvbn (Dropbox's estimator, offline) scores a password 0-4 against common passwords, dictionary
words, names, keyboard patterns, dates and repeats; the username and display name count as words
an attacker would try first.
"""

from __future__ import annotations

from collections.abc import Iterable

from zxcvbn import zxcvbn

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256  # what the login form accepts
# 3: "safely unguessable: moderate protection from offline slow-hash scenario" (zxcvbn's scale).
MIN_SCORE = 3
# zxcvbn refuses longer input (its time grows quickly with the length); a longer password is
# judged by its first 72 characters, where a pattern would show.
_ESTIMATE_CHARS = 72


def password_problem(password: str, *, user_inputs: Iterable[str] = ()) -> str | None:
    """Why the password is refused (English, for the admin or operator who set it), or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"A password has at least {MIN_PASSWORD_LENGTH} characters."
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"A password has at most {MAX_PASSWORD_LENGTH} characters."
    # The value, its words and its words run together: "sanne.devries" is guessed as that, as
    # "sannedevries", and as "sanne" and "devries".
    words = [word for value in user_inputs for word in (value, "".join(_words(value)), *_words(value)) if word]
    result = zxcvbn(password[:_ESTIMATE_CHARS], user_inputs=words)
    if result["score"] >= MIN_SCORE:
        return None
    feedback = result.get("feedback") or {}
    reason = feedback.get("warning") or " ".join(feedback.get("suggestions") or []) or "It is easy to guess."
    return f"This password is too easy to guess (strength {result['score']} of 4, {MIN_SCORE} needed): {reason}"


def _words(value: str) -> list[str]:
    return "".join(char if char.isalnum() else " " for char in value).split()
