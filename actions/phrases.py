"""Words and fixed phrases in a citizen's message, matched the same way by every action."""

from __future__ import annotations

import re
from collections.abc import Iterable

# A word: letters or digits, "zo'n" included.
WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)?")


def says_any(text: str, phrases: Iterable[str]) -> bool:
    """Whether the message holds one of the (lower-case) phrases as whole words, punctuation and
    spacing aside: "Ik wil  een medewerker spreken!" holds "medewerker spreken"."""
    words = " ".join(WORD.findall(text.lower()))
    return any(re.search(rf"\b{re.escape(phrase)}\b", words) for phrase in phrases)
