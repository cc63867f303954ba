"""The chat gateway's language choices: "/en", and a message that only asks for another language.
Which languages exist and how a message's language is detected: knowledge/languages.py."""

from __future__ import annotations

import re

from knowledge.languages import Language

# A citizen may force the language by typing /nl or /en (the page's language
# switch sends the same); the rest of such a message, if any, is the question.
_CHOICE = re.compile(r"^\s*/(nl|en)\b\s*", re.IGNORECASE)

# A message that only asks for another language ("Sorry, can you answer in English please?",
# "kan het in het Nederlands?") switches it, like the page's language switch; it is not a question.
_LANGUAGE_NAMES: dict[str, Language] = {
    "english": "en", "engels": "en", "nederlands": "nl", "dutch": "nl", "hollands": "nl",
}  # fmt: skip
_LANGUAGE_REQUEST = re.compile(
    r"\b(?:in|into|to|naar het|in het|op)\s+(english|engels|nederlands|dutch|hollands)\b"
    r"|\b(english|engels|nederlands|dutch)\s+(?:please|graag|alstublieft|alsjeblieft|a\.u\.b\.?)"
    r"|\b(?:speak|spreek|spreekt|praat|talk)\w*\s+(?:je|jij|u|you)?\s*(english|engels|nederlands|dutch)\b",
    re.IGNORECASE,
)
# What may surround such a request without making the message a question of its own.
_REQUEST_FILLER = re.compile(
    r"\b(?:sorry|excuse me|hello|hi|hoi|hallo|please|pls|plz|graag|alstublieft|alsjeblieft|a\.u\.b|"
    r"do|can|could|would|will|you|u|je|jij|kunt|kun|kan|wil|wilt|zou|zouden|answer|reply|respond|talk|speak|"
    r"write|chat|continue|antwoorden|antwoord|reageren|verder|praten|spreken|spreek|spreekt|schrijven|het|"
    r"in|into|naar|op|de|the|me|mij|to|with|met|this|dit|dat|rest|also|ook|maybe|misschien|even|"
    r"english|engels|nederlands|dutch|hollands|language|taal|instead|liever|"
    # "en in het Nederlands graag", "ok, back to English now"
    r"en|and|nu|now|weer|again|back|terug|ok|oke|okay|thanks|dank|bedankt|actually|eigenlijk)\b",
    re.IGNORECASE,
)


def split_language_choice(text: str) -> tuple[Language | None, str]:
    """('en', 'rest') for '/en rest'; ('en', '') for a message that only asks for English;
    (None, text) when there is no choice."""
    match = _CHOICE.match(text)
    if match:
        return match.group(1).lower(), text[match.end() :]  # type: ignore[return-value]
    request = _LANGUAGE_REQUEST.search(text)
    if request is not None:
        rest = re.sub(r"[^\w]+", " ", _REQUEST_FILLER.sub(" ", text)).strip()
        if not rest:
            name = next(group for group in request.groups() if group)
            return _LANGUAGE_NAMES[name.lower()], ""
    return None, text
