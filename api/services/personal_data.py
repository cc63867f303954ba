"""Dutch personal data in a citizen's message, found and replaced by a typed placeholder.

Validated patterns rather than Presidio: Presidio's context handling needs a spaCy pipeline with
lemmas and entities, and no Dutch one exists offline (spacy.blank("nl") only), so it would add a
heavy dependency around the same regular expressions. The checksums (elfproef, mod-97, the RvIG
document number, postcode letters) come from python-stdnum.

What counts, and the decisions behind the hard cases (docs/privacy.md lists them):
* a 9-digit number passing the elfproef is a BSN unless a label calls it another number
  ("zaaknummer 219214852"); one that fails it is a BSN only when the citizen calls it one;
* an IBAN must pass mod-97, unless the citizen calls it their own ("mijn IBAN is ..."); the
  digits of an IBAN-shaped string that fails it are no phone number either;
* phone numbers are Dutch numbers of 10 digits (06, landlines, +31/0031) and foreign +numbers;
  public service numbers (14 0xx, 0800, 090x, 088, 112) are left alone; a label naming another
  number counts unless the citizen asks to be called ("bel me over de melding: 020 ...");
* a date is a date of birth next to a birth cue (also with a two-digit year: "geb. 3-4-67"), or
  as an old full date about a person with no cue saying what else it is ("sinds", "vastgesteld
  op"); appointment dates stay;
* a document number has the RvIG shape (2 letters, 6 letters or digits, 1 digit, no O); a
  lower-case one, or a driving licence number, only next to a cue;
* a licence plate needs the dashes of a sidecode, or a cue word;
* an address only where the citizen says they (or someone they name) live there, before it ("ik woon
  op", "mijn huisadres is") or after it ("... Daar woon ik"): a report's location stays.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal

from stdnum import iban as stdnum_iban
from stdnum.nl import bsn as stdnum_bsn
from stdnum.nl import identiteitskaartnummer, postcode

Kind = Literal["bsn", "iban", "phone", "email", "birth_date", "document_number", "licence_plate", "address"]

# The one table of placeholders; also the order of priority when two findings overlap.
PLACEHOLDERS: dict[Kind, str] = {
    "email": "[e-mail]",
    "iban": "[IBAN]",
    "document_number": "[documentnummer]",
    "phone": "[telefoon]",
    "bsn": "[BSN]",
    "birth_date": "[geboortedatum]",
    "licence_plate": "[kenteken]",
    "address": "[adres]",
}
KINDS: tuple[Kind, ...] = tuple(PLACEHOLDERS)
PLACEHOLDER_PATTERN = re.compile("|".join(re.escape(p) for p in PLACEHOLDERS.values()))


@dataclass(frozen=True)
class Finding:
    kind: Kind
    start: int
    end: int


@dataclass(frozen=True)
class Redaction:
    text: str  # the message with each finding replaced by its placeholder
    kinds: tuple[Kind, ...]  # the kinds found, each once, in the order of the message
    findings: tuple[Finding, ...] = ()


def find_personal_data(text: str, *, keep: frozenset[Kind] = frozenset()) -> list[Finding]:
    """Findings in `text`, without overlaps, in the order of the text; `keep` kinds are not looked for."""
    candidates = [f for finder in _FINDERS for f in finder(text) if f.kind not in keep]
    rank = {kind: i for i, kind in enumerate(KINDS)}
    chosen: list[Finding] = []
    for candidate in sorted(candidates, key=lambda f: (rank[f.kind], f.start - f.end)):
        if all(candidate.end <= f.start or candidate.start >= f.end for f in chosen):
            chosen.append(candidate)
    return sorted(chosen, key=lambda f: f.start)


def redact(text: str, *, keep: frozenset[Kind] = frozenset()) -> Redaction:
    return redact_findings(text, find_personal_data(text, keep=keep))


def redact_findings(text: str, findings: Sequence[Finding]) -> Redaction:
    """`text` with these findings (in text order, without overlaps) replaced by their placeholders."""
    parts: list[str] = []
    position = 0
    for finding in findings:
        parts += [text[position : finding.start], PLACEHOLDERS[finding.kind]]
        position = finding.end
    parts.append(text[position:])
    kinds = tuple(dict.fromkeys(f.kind for f in findings))
    return Redaction(text="".join(parts), kinds=kinds, findings=tuple(findings))


# ---------------------------------------------------------------- labels before a number

# What the citizen calls a number decides what it is: the nearest label among the few words
# before it wins ("zaaknummer 123, mijn BSN 241474310" is a BSN).
Label = Literal["bsn", "iban", "phone", "document", "plate", "other"]
_WORD = re.compile(r"[a-zà-ÿ][a-zà-ÿ-]*", re.IGNORECASE)
# Word stems that name a kind of personal number ("telefoonnummer", "bankrekening", "id-kaart").
_LABEL_STEMS: tuple[tuple[str, Label], ...] = (
    ("bsn", "bsn"), ("burgerservice", "bsn"), ("sofi", "bsn"), ("citizen", "bsn"),
    ("iban", "iban"), ("rekening", "iban"), ("account", "iban"),
    ("telefoon", "phone"), ("mobiel", "phone"), ("phone", "phone"),
    ("paspoort", "document"), ("passport", "document"), ("document", "document"), ("identiteit", "document"),
    ("id-kaart", "document"), ("rijbewijs", "document"),
    ("kenteken", "plate"), ("nummerbord", "plate"), ("nummerplaat", "plate"), ("plate", "plate"),
)  # fmt: skip
_LABEL_WORDS: dict[str, Label] = {
    "tel": "phone", "gsm": "phone", "bel": "phone", "call": "phone", "mobile": "phone", "bank": "iban",
    "licence": "document", "license": "document", "registration": "plate",
    # numbers that are no personal data; any other "...nummer", "...kenmerk" or "...code" too
    "zaak": "other", "case": "other", "dossier": "other", "order": "other", "bestelling": "other",
    "factuur": "other", "invoice": "other", "klant": "other", "customer": "other", "aanslag": "other",
    "referentie": "other", "reference": "other", "ref": "other", "kenmerk": "other", "ticket": "other",
    "melding": "other", "storing": "other", "vergunning": "other", "permit": "other", "kvk": "other",
}  # fmt: skip
_NEUTRAL_WORDS = {"nummer", "number", "nr", "no", "huisnummer"}


def _label(text: str, start: int, *, words: int = 3) -> Label | None:
    """What the nearest label among the `words` words before `start`, in the same sentence, calls
    the number there; None without a label."""
    before = re.split(r"[.!?\n]\s|\)\s*[,;]", text[max(0, start - 60) : start])[-1]
    for word in reversed(_WORD.findall(before)[-words:]):
        lowered = word.lower()
        if lowered in _NEUTRAL_WORDS:
            continue
        if lowered in _LABEL_WORDS:
            return _LABEL_WORDS[lowered]
        for stem, label in _LABEL_STEMS:
            if stem in lowered:
                return label
        if lowered.endswith(("nummer", "kenmerk", "code")):
            return "other"
    return None


def _possessive(text: str, start: int) -> bool:
    return re.search(r"\b(?:mijn|ons|onze|my|our)\b", text[max(0, start - 30) : start], re.IGNORECASE) is not None


# ---------------------------------------------------------------- BSN

# Nine digits as one run, in groups of three, or in the 4-2-3 groups of the old notation ("1234.56.789").
_BSN = re.compile(r"(?<![\w.,€-])(\d{4}([ .-])\d{2}\2\d{3}|\d{3}([ .-])\d{3}\3\d{3}|\d{8,9})(?![\w€]|[.,-]\d)")
_AMOUNT_AROUND = re.compile(r"€\s*$|^\s*(?:euro|eur)\b", re.IGNORECASE)


def _bsns(text: str) -> Iterator[Finding]:
    for match in _BSN.finditer(text):
        digits = re.sub(r"\D", "", match.group(1))
        label = _label(text, match.start())
        if label not in (None, "bsn"):
            continue
        if _AMOUNT_AROUND.search(text[max(0, match.start() - 3) : match.start()]) or _AMOUNT_AROUND.search(
            text[match.end() : match.end() + 6]
        ):
            continue  # "€ 241.474.310" is an amount
        named = label == "bsn"
        # Eight digits are a BSN written without its leading zero: only when called a BSN.
        if (len(digits) == 9 and (named or stdnum_bsn.is_valid(digits))) or (len(digits) == 8 and named):
            yield Finding("bsn", match.start(), match.end())


# ---------------------------------------------------------------- IBAN

# Country and check digits ("NL91", "nl91", "NL 91"; a space only after capitals: "op 06" is no
# country), then the groups as people write them: spaces (one or more), dashes, or none.
_IBAN_HEAD = r"(?<![\w-])(?:[A-Z]{2}[ -]?|[A-Za-z]{2})\d{2}"
_IBAN_START = re.compile(_IBAN_HEAD)
_IBAN = re.compile(rf"{_IBAN_HEAD}(?:[ -]{{0,3}}[A-Za-z0-9]){{11,30}}")
_DUTCH_IBAN_SHAPE = re.compile(r"NL[ -]?\d{2}[ -]{0,3}[A-Z]{4}(?:[ -]{0,3}\d{2,4}){3,4}(?!\w)", re.IGNORECASE)
# The shape of an account number, valid or not: country, check digits, a bank or branch code of four,
# then digits. The digits of one that fails mod-97 are not a phone number either.
_IBAN_LIKE = re.compile(rf"{_IBAN_HEAD}[ -]{{0,3}}[A-Za-z0-9]{{4}}(?:[ -]{{0,3}}\d){{6,26}}(?!\w)")


def _ibans(text: str) -> Iterator[Finding]:
    taken_until = 0
    # From every start: a run that is no IBAN ("OK 12 dagen NL91...") must not swallow one.
    for head in _IBAN_START.finditer(text):
        start = head.start()
        run = _IBAN.match(text, start) if start >= taken_until else None
        if run is None:
            continue
        found = _longest_valid_iban(text, start, run.end())
        if found is None and _label(text, start) == "iban" and _possessive(text, start):
            # A mistyped IBAN the citizen calls their own is theirs all the same.
            shape = _DUTCH_IBAN_SHAPE.match(text, start)
            found = Finding("iban", shape.start(), shape.end()) if shape is not None else None
        if found is not None:
            taken_until = found.end
            yield found


def _longest_valid_iban(text: str, start: int, run_end: int) -> Finding | None:
    # The pattern runs on into the next word ("NL91ABNA0417164300 en"): try shorter prefixes.
    for end in range(run_end, start + 14, -1):
        at_word_end = text[end - 1].isalnum() and (end == len(text) or not text[end].isalnum())
        if at_word_end and stdnum_iban.is_valid(text[start:end]):
            return Finding("iban", start, end)
    return None


# ---------------------------------------------------------------- phone numbers

# Digits with single separators; a number ends where a group ends.
_PHONE = re.compile(r"(?<![\w+/])(?<!\d[-./])(\+|00)?\(?\d(?:\)?(?:\s?[.\-/]\s?|\s)?\(?\d){7,16}")
# Numbers of organisations and public lines, not of a person (free, paid, company-wide).
_SERVICE_PREFIXES = ("0800", "0900", "0906", "0909", "088")
_DATE_INSIDE = re.compile(r"(?<!\d)\d{1,2}([-/.])\d{1,2}\1(?:19|20)\d{2}(?!\d)")  # "01-02-2024"


# Asking to be called back: a number after this in the same sentence is the citizen's phone, even
# where a word in between names another number ("bel me over de melding: 020 ...").
_CONTACT_BEFORE = re.compile(
    r"\b(?:bel|bellen|belt|terugbellen|terugbelt|contact|bereikbaar|bereiken|appen|app|sms|whatsapp|call|reach"
    r"|text)\b[^.!?\n]*$",
    re.IGNORECASE,
)


def _phones(text: str) -> Iterator[Finding]:
    account_numbers = [m.span() for m in _IBAN_LIKE.finditer(text)]
    for match in _PHONE.finditer(text):
        candidate = match.group(0)
        if any(start <= match.start() < end for start, end in account_numbers):
            continue  # the tail of an account number ("NL12 ABCD 0123 4567 89")
        if _label(text, match.start()) == "other" and not _CONTACT_BEFORE.search(
            text, max(0, match.start() - 100), match.start()
        ):
            continue
        end = _phone_end(candidate)
        if end is None:
            continue
        # A date and a time ("01-02-2024 10:30") have as many digits as a phone number.
        if _DATE_INSIDE.search(candidate[:end]) or re.match(r"[:.,]\d", text[match.start() + end :]):
            continue
        yield Finding("phone", match.start(), match.start() + end)


def _phone_end(candidate: str) -> int | None:
    """Where the phone number in `candidate` ends, or None when it holds none."""
    digits_at = [i for i, ch in enumerate(candidate) if ch.isdigit()]
    digits = "".join(candidate[i] for i in digits_at)
    if candidate.startswith(("+31", "0031")):
        national_from = 2 if candidate.startswith("+") else 4
        rest = digits[national_from:]
        # Nine digits after +31, or ten when the zero stays ("+31 (0)6 ...").
        national = rest if rest.startswith("0") else "0" + rest
        needed = national_from + (10 if rest.startswith("0") else 9)
    elif candidate.startswith("+"):
        national, needed = "", min(len(digits), 15)  # a foreign number: as many digits as there are
        if needed < 10:
            return None
    elif digits.startswith("0") and not digits.startswith("00"):
        national, needed = digits, 10
    else:
        return None
    if national.startswith(_SERVICE_PREFIXES) or national.startswith("00"):
        return None
    if len(digits) < needed:
        return None
    end = digits_at[needed - 1] + 1
    # The number must end where a group of digits ends, not in the middle of one.
    if end < len(candidate) and candidate[end].isdigit():
        return None
    if candidate[:end].count("(") != candidate[:end].count(")"):
        return None
    return end


# ---------------------------------------------------------------- e-mail addresses

_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}(?![\w-])")


def _emails(text: str) -> Iterator[Finding]:
    for match in _EMAIL.finditer(text):
        yield Finding("email", match.start(), match.end())


# ---------------------------------------------------------------- dates of birth

_MONTHS = {
    "januari": 1, "jan": 1, "january": 1, "februari": 2, "feb": 2, "february": 2, "maart": 3, "mrt": 3,
    "mar": 3, "march": 3, "april": 4, "apr": 4, "mei": 5, "may": 5, "juni": 6, "jun": 6, "june": 6,
    "juli": 7, "jul": 7, "july": 7, "augustus": 8, "aug": 8, "august": 8, "september": 9, "sep": 9,
    "sept": 9, "oktober": 10, "okt": 10, "october": 10, "oct": 10, "november": 11, "nov": 11,
    "december": 12, "dec": 12,
}  # fmt: skip
_MONTH = "|".join(sorted(_MONTHS, key=len, reverse=True))
_DATES = (
    # (pattern, group order): day-month-year, year-month-day, "3 april 1962", "March 5, 1968"
    (re.compile(r"(?<![\w/.-])(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})(?![\w/-])"), "dmy"),
    (re.compile(r"(?<![\w/.-])(\d{4})-(\d{2})-(\d{2})(?![\w/-])"), "ymd"),
    (re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th|e)?\s+(?:of\s+)?({_MONTH})\.?,?\s+(\d{{4}})\b", re.IGNORECASE), "dMy"),
    (re.compile(rf"\b({_MONTH})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})\b", re.IGNORECASE), "Mdy"),
    # A two-digit year ("3-4-67", "12 maart '85"): only next to a birth cue.
    (re.compile(r"(?<![\w/.-])(\d{1,2})[-/.](\d{1,2})[-/.]['’]?(\d{2})(?![\w/-]|[.,:]\d)"), "dmy"),
    (re.compile(rf"\b(\d{{1,2}})e?\s+({_MONTH})\.?\s+['’]?(\d{{2}})(?![\w:/-]|[.,]\d)", re.IGNORECASE), "dMy"),
)
# "geb. 04-11-2019", "Geb.datum", "d.o.b.": the dots would end the cue's sentence.
_ABBREVIATIONS = ((re.compile(r"\bgeb\.", re.I), "geb "), (re.compile(r"\bd\.o\.b\b\.?", re.I), "dob"))
_BIRTH_BEFORE = re.compile(
    r"(?:\bgeboren|\bgeb|\bgeboortedatum|\bgeb\s?datum|\bborn|\bbirth|\bdob|\bbirthday"
    r"|\b(?:ben|is|zijn)\s+(?P<van>van))\b[^.!?\n\d]{0,20}$",
    re.IGNORECASE,
)
_RANGE_AFTER = re.compile(r"\s*(?:tot|t/m|-|until|to)\b", re.IGNORECASE)
_BIRTH_AFTER = re.compile(r"^\W{0,3}(?:\w+\s+){0,2}(?:geboren|born)\b", re.IGNORECASE)
# What else an old date is: when something started, was decided or dated, or ends.
_EVENT_BEFORE = re.compile(
    r"\b(?:sinds|vanaf|sedert|per|tot|since|from|until|vastgesteld|gedateerd|dated|brief|besluit|beschikking"
    r"|aanslag|factuur|verleend|granted|afgegeven|issued|verloopt|expires|getrouwd|gehuwd|married|overleden"
    r"|died|verhuisd|moved|afspraak|appointment)\b[^.!?\n]{0,15}$",
    re.IGNORECASE,
)
_PERSON_WORDS = re.compile(
    r"\b(?:ik|mijn|mn|m'n|wij|ons|onze|i|my|we|our|zoon|zoontje|dochter|dochtertje|moeder|vader|man|vrouw|kind"
    r"|oma|opa|grootmoeder|grootvader|broer|zus|zuster|tante|oom|partner|schoonmoeder|schoonvader"
    r"|son|daughter|mother|father|husband|wife|child|grandmother|grandfather|grandma|grandpa|brother|sister)\b",
    re.IGNORECASE,
)
_NAME_BEFORE = re.compile(r"\b[A-Z][a-z]+ (?:(?:de|van|der|den) )*[A-Z][a-z]+,\s*$")  # "Jan de Vries, 12-08-1957"
ADULT_YEARS = 16  # a full date at least this old, about a person, is taken for a date of birth


def _birth_dates(text: str) -> Iterator[Finding]:
    this_year = date.today().year
    for pattern, order in _DATES:
        for match in pattern.finditer(text):
            when = _as_date(match, order)
            if when is None or not 1900 <= when.year <= this_year:
                continue
            before, after = text[max(0, match.start() - 40) : match.start()], text[match.end() : match.end() + 25]
            for abbreviation, written_out in _ABBREVIATIONS:
                before = abbreviation.sub(written_out, before)
            cue = _BIRTH_BEFORE.search(before)
            if cue is not None and cue.group("van") and _RANGE_AFTER.match(after):
                cue = None  # "is van 12-07-2025 tot 14-07-2025": a period, not a birth
            person = _PERSON_WORDS.search(text) or _NAME_BEFORE.search(before)
            old_about_person = when.year <= this_year - ADULT_YEARS and not _EVENT_BEFORE.search(before) and person
            if len(match.group(order.index("y") + 1)) == 2:
                old_about_person = False  # "3-4-67" alone could be anything
            if cue or _BIRTH_AFTER.search(after) or old_about_person:
                yield Finding("birth_date", match.start(), match.end())


def _as_date(match: re.Match[str], order: str) -> date | None:
    parts = dict(zip(order, match.groups(), strict=True))
    month = _MONTHS[parts["M"].lower()] if "M" in parts else int(parts["m"])
    year = int(parts["y"])
    if len(parts["y"]) == 2:  # the century that puts the year in the past
        year += 2000 if 2000 + year <= date.today().year else 1900
    try:
        return date(year, month, int(parts["d"]))
    except ValueError:
        return None


# ---------------------------------------------------------------- document numbers

_DOCUMENT = re.compile(r"(?<![\w-])[A-Z]{2}[A-Z0-9]{6}\d(?![\w-])", re.IGNORECASE)
_DRIVING_LICENCE = re.compile(r"(?<![\w-])\d{10}(?![\w-])")


def _document_numbers(text: str) -> Iterator[Finding]:
    for match in _DOCUMENT.finditer(text):
        number = match.group(0)
        label = _label(text, match.start(), words=4)
        if label == "other" or not identiteitskaartnummer.is_valid(number):
            continue
        # Without a cue only as printed on the document: capitals, letters and digits mixed.
        cued = label == "document" or _document_cue(text, match.start())
        mixed = sum(ch.isdigit() for ch in number) >= 2 and sum(ch.isalpha() for ch in number) >= 2
        if cued or (number.isupper() and mixed):
            yield Finding("document_number", match.start(), match.end())
    for match in _DRIVING_LICENCE.finditer(text):
        if _label(text, match.start()) == "document":
            yield Finding("document_number", match.start(), match.end())


def _document_cue(text: str, start: int) -> bool:
    sentence = re.split(r"[.!?\n]\s", text[max(0, start - 50) : start])[-1]
    return re.search(r"paspoort|id-kaart|identiteitskaart|passport|id card|document", sentence, re.I) is not None


# ---------------------------------------------------------------- licence plates

# The Dutch sidecodes (RDW): L a letter, D a digit.
_SIDECODES = (
    "LL-DD-DD", "DD-DD-LL", "DD-LL-DD", "LL-DD-LL", "LL-LL-DD", "DD-LL-LL", "DD-LLL-D",
    "D-LLL-DD", "LL-DDD-L", "L-DDD-LL", "LLL-DD-L", "L-DD-LLL", "D-LL-DDD", "DDD-LL-D",
)  # fmt: skip


def _sidecode_pattern(separator: str) -> re.Pattern[str]:
    def group(code: str) -> str:
        return f"[A-Z]{{{len(code)}}}" if code[0] == "L" else f"\\d{{{len(code)}}}"

    alternatives = (separator.join(group(g) for g in code.split("-")) for code in _SIDECODES)
    return re.compile(rf"(?<![\w-])(?:{'|'.join(alternatives)})(?![\w-])", re.IGNORECASE)


_PLATE_DASHED = _sidecode_pattern("-")
_PLATE_LOOSE = _sidecode_pattern("[ -]?")


def _licence_plates(text: str) -> Iterator[Finding]:
    for match in _PLATE_DASHED.finditer(text):
        yield Finding("licence_plate", match.start(), match.end())
    for match in _PLATE_LOOSE.finditer(text):
        if _label(text, match.start()) == "plate":
            yield Finding("licence_plate", match.start(), match.end())


# ---------------------------------------------------------------- addresses

# A cue that the citizen (or someone they name) lives at the address that follows.
_RESIDENCE = re.compile(
    r"\b(?:woon|woont|wonen|woonachtig|woonadres|ingeschreven|"
    r"(?:mijn|m'n|mn|ons|onze)\s+(?:nieuwe\s+|oude\s+|huidige\s+)?(?:woon|huis|post|thuis)?adres|"
    r"verhuisd\s+naar|verhuizen\s+naar|verhuis\s+naar|(?:i|we|they)\s+live|lives|living\s+at|residing\s+at|"
    r"registered\s+at|(?:my|our)\s+(?:new\s+|old\s+|home\s+|current\s+)?address|moved\s+to|moving\s+to)\b"
    r"|(?:^|(?<=[.!?]\s))(?:adres|address)\s*:",  # "Adres: ..." heading a sentence
    re.IGNORECASE,
)
# A cue that points back at an address just written ("... Dorpsstraat 1? Daar woon ik").
_RESIDENCE_AFTER = re.compile(
    r"(?:\b(?:daar|there)\s+(?:woon|woont|wonen|live|lives)\b|\bwaar\s+(?:ik|wij|we|hij|zij|ze)\s+(?:woon|woont|wonen)\b"
    r"|\bwhere\s+(?:i|we|he|she|they)\s+lives?\b)"
    # "daar woon ik vlakbij", "daar woont niemand": near it, or no one at it
    r"(?![^.!?\n]{0,25}\b(?:vlakbij|dichtbij|naast|tegenover|in\s+de\s+buurt|om\s+de\s+hoek|niemand|near|next\s+to"
    r"|close|opposite|nobody|no\s+one)\b)"
    r"|\b(?:is|dat\s+is|that\s+is|that's)\s+(?:mijn|m'n|ons|onze|my|our)\s+(?:nieuwe\s+|new\s+|home\s+)?"
    r"(?:woon|huis)?(?:adres|address)\b",
    re.IGNORECASE,
)
# A house number with its addition: a letter, "-2", "hs" (ground floor), "bis", a floor in Roman
# numerals ("5-III"), then perhaps the floor in words ("12, 3 hoog", "12 2e verdieping").
_HOUSE_NUMBER = (
    r"\d{1,5}(?:-?(?:III|II|IV|I)\b|[\s-]?(?i:hs|huis|bg|bis|zw|boven|beneden)\b|\s?[a-zA-Z]\b|-\d{1,4}\b)?"
    r"(?:,?\s?\d{1,2}(?:e|de|ste)?[\s-]?(?i:hoog|hg|verdieping|etage)\b)?"
)
# Capitals, or lower case written on ("2611et"): "1998 en" is a year and a word.
_POSTCODE = re.compile(rf"\b([1-9]\d{{3}}(?:\s?[A-Z]{{2}}|[a-z]{{2}}))\b(?:\s+{_HOUSE_NUMBER})?")
# What street names end in; a street in lower case ("ik woon op de vossenlaan 14") needs one.
_STREET_SUFFIX = (
    r"(?:straat|laan|weg|plein|gracht|kade|singel|hof|dijk|dreef|pad|steeg|park|markt|plantsoen|baan|wal|erf"
    r"|ring|haven|burcht|veld|hoek)"
)
_STREET_NAME = rf"(?:[A-Z][\w'’.-]*|[a-z][\w'’-]*{_STREET_SUFFIX})"
_STREET = re.compile(
    rf"(?:(?:[A-Z][\w'’.-]*|van|de|der|den|het|'t|ter|ten)\s+){{0,4}}(?P<name>{_STREET_NAME})\s+{_HOUSE_NUMBER}"
    r"(?![\w,.]\d)"
)
_ENDS_LIKE_STREET = re.compile(rf"{_STREET_SUFFIX}$", re.IGNORECASE)
_SENTENCE_END = re.compile(r"[.!?\n](?:\s|$)")


def _addresses(text: str) -> Iterator[Finding]:
    for cue in _RESIDENCE.finditer(text):
        sentence_end = _SENTENCE_END.search(text, cue.end())
        yield from _address_from(text, cue.end(), sentence_end.start() if sentence_end else len(text), within=25)
    for cue in _RESIDENCE_AFTER.finditer(text):
        # Back to the start of the sentence before the cue's own.
        window = max(0, cue.start() - 200)
        ends = [m.end() for m in _SENTENCE_END.finditer(text, window, cue.start())]
        position = ends[-2] if len(ends) >= 2 else window
        while (start := _street_or_postcode(text, position, cue.start())) is not None:
            parts = list(_address_from(text, start, cue.start(), within=0))
            yield from parts
            position = parts[-1].end if parts else start + 1


def _street_or_postcode(text: str, position: int, limit: int) -> int | None:
    """Where the next unmistakable address part starts: a postcode, or a street whose name ends
    like a street's; None without one."""
    codes = (m.start() for m in _POSTCODE.finditer(text, position, limit) if postcode.is_valid(m.group(1)))
    streets = (m.start() for m in _STREET.finditer(text, position, limit) if _ENDS_LIKE_STREET.search(m["name"]))
    return min((start for start in (next(codes, None), next(streets, None)) if start is not None), default=None)


def _address_from(text: str, position: int, limit: int, *, within: int) -> Iterator[Finding]:
    """The parts of one address from `position`: the first at most `within` characters on, each
    next one straight after a comma or space."""
    while position < limit:
        part = _address_part(text, position, limit, within=within)
        if part is None:
            return
        yield Finding("address", part[0], part[1])
        position, within = part[1], 0


def _address_part(text: str, position: int, limit: int, *, within: int) -> tuple[int, int] | None:
    """The next street + number or postcode (+ number) from `position`, starting at most `within`
    characters on (0: straight after a comma or space: the next part of the same address)."""
    gap = re.compile(r"[\s,:]*" if within == 0 else rf"[^.!?\n]{{0,{within}}}")
    parts = []
    for pattern in (_POSTCODE, _STREET):
        for match in pattern.finditer(text, position, limit):
            if not gap.fullmatch(text[position : match.start()]):
                break
            if pattern is _POSTCODE and not postcode.is_valid(match.group(1)):
                continue
            parts.append((match.start(), match.end()))
            break
    # The earliest part; of two starting together the longer ("1234 AB 56" over "AB 56").
    return min(parts, key=lambda part: (part[0], -part[1])) if parts else None


_FINDERS: tuple[Callable[[str], Iterator[Finding]], ...] = (
    _emails, _ibans, _document_numbers, _phones, _bsns, _birth_dates, _licence_plates, _addresses,
)  # fmt: skip
