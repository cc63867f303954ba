"""Held-out evaluation data must not leak into training or tuning data.

Held out (what the figures are measured on): the user turns of the Rasa test stories in
tests/conversations, and the test splits in data/eval (routing.jsonl, retrieval_nl_en.jsonl,
statutes_test.jsonl, answers_test.jsonl, out_of_scope_nl.txt, nlu_test.yml).
Training/tuning (what the bot and the router learn or are tuned from): the NLU examples in
data/nlu, the user turns of data/stories and data/rules, the examples and keywords in
data/routing/teams.yml, the router's out-of-scope examples (data/routing/out_of_scope.yml), and
the dev splits in data/eval (routing_dev.jsonl, answers_dev.jsonl, statutes_dev.jsonl), and the
example questions of the answer engine and the statute search (data/answers/example_questions,
data/search/statute_examples).

Checks, all on normalised text (lower case, accents and punctuation removed, whitespace
collapsed):
(a) no held-out phrase equals a training/tuning phrase;
(b) every teams.yml keyword that occurs in a held-out message (multi-word keywords and single
    words of 5+ letters, matched as teams.yml describes: whole words on word boundaries, and a
    5+ letter word also at the start or end of a compound; the router's typo tolerance is left
    out, it would let near-misses justify a keyword) also occurs in data/nlu, a teams.yml example or
    routing_dev.jsonl: a keyword is justified by training/dev data, never by the test set alone;
(c) a test split shares no phrase with its dev split;
(d) the personal-data test split (pii_test.jsonl, held out) shares no message with the set the
    recogniser was written and tuned on (pii.jsonl), and no personal-data value either (compared
    by letters and digits only: "241 474 310" is "241474310").
(e) the NLU test split (data/eval/nlu_test.yml) shares no example with the test stories
    either, nor with the set the personal-data recogniser was tuned on (pii.jsonl).
(f) the example questions of the answer engine and of the statute search share no phrase with
    their dev split either (each is tuned on it: a dev question among the examples would find
    itself).
Vocabulary that search and answers read (the glossaries, the synonym lists, the aspect lexicon's
triggers) is held to (b)'s rule: what matches a held-out message must match a page, an NLU example
or a dev-split question too.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from knowledge.aspects import fold
from knowledge.examples import ExampleQuestions, article_examples

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
EVAL = DATA / "eval"
CONVERSATIONS = ROOT / "tests" / "conversations"
TEAMS = DATA / "routing" / "teams.yml"
GLOSSARY = DATA / "search" / "glossary_en_nl.yml"
LEGAL_SYNONYMS = DATA / "search" / "legal_synonyms.yml"
CITIZEN_SYNONYMS = DATA / "search" / "citizen_synonyms_nl.yml"
ASPECTS = DATA / "answers" / "aspects.yml"
TOPICS = DATA / "answers" / "municipal_topics.yml"
DIALOGUE = ROOT / "actions" / "dialogue.yml"
EXAMPLE_QUESTIONS = DATA / "answers" / "example_questions"
STATUTE_EXAMPLES = DATA / "search" / "statute_examples"
REGELRECHT = ROOT.parent / "shared" / "data" / "regelrecht"


# ---------------------------------------------------------------- text


def normalise(text: str) -> str:
    """Lower case, accents stripped, punctuation removed (apostrophes dropped, as the router
    does: "driver's" -> "drivers"), whitespace collapsed."""
    text = unicodedata.normalize("NFKD", text.lower())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.replace("'", "").replace("\u2019", "")
    text = re.sub(r"[\W_]+", " ", text)
    return " ".join(text.split())


# Rasa entity annotations: [text](entity), [text](entity:value), [text]{"entity": ...}
_ANNOTATION = re.compile(r"\[([^\]]*)\](?:\([^)]*\)|\{[^}]*\})")


def strip_annotations(text: str) -> str:
    return _ANNOTATION.sub(r"\1", text)


@dataclass(frozen=True)
class Phrase:
    text: str
    where: str  # file and position, for the failure message

    @property
    def norm(self) -> str:
        return normalise(self.text)


# ---------------------------------------------------------------- loaders


def _rel(path: Path) -> str:
    try:
        return str(path.relative_to(ROOT))
    except ValueError:
        return str(path)


def story_user_turns(path: Path) -> list[Phrase]:
    """The user turns of a Rasa test-story file (stories and rules), annotations stripped."""
    document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    found: list[Phrase] = []
    for kind in ("stories", "rules"):
        for block in document.get(kind) or []:
            name = block.get("story") or block.get("rule") or "?"
            for step in block.get("steps") or []:
                if isinstance(step, dict) and step.get("user") is not None:
                    text = strip_annotations(str(step["user"])).strip()
                    found.append(Phrase(text, f"{_rel(path)} ({name})"))
    return found


def conversation_turns(folder: Path = CONVERSATIONS) -> list[Phrase]:
    return [turn for path in sorted(folder.glob("*.yml")) for turn in story_user_turns(path)]


def nlu_examples(folder: Path = DATA / "nlu") -> list[Phrase]:
    """Every example in data/nlu/**/*.yml (intents, synonyms, lookups), annotations stripped; or in
    one NLU file (data/eval/nlu_test.yml)."""
    found: list[Phrase] = []
    for path in [folder] if folder.is_file() else sorted(folder.rglob("*.yml")):
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for block in document.get("nlu") or []:
            label = next((f"{k} {block[k]}" for k in ("intent", "synonym", "lookup", "regex") if k in block), "?")
            examples = block.get("examples") or []
            if isinstance(examples, str):
                lines = [line.strip()[2:] for line in examples.splitlines() if line.strip().startswith("- ")]
            else:  # the list form with metadata: [{text: ...}, ...]
                lines = [str(item["text"] if isinstance(item, dict) else item) for item in examples]
            found += [Phrase(strip_annotations(line).strip(), f"{_rel(path)} ({label})") for line in lines]
    return found


def team_examples(path: Path = TEAMS) -> list[Phrase]:
    found: list[Phrase] = []
    teams = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("teams") or {}
    for team_id, team in teams.items():
        examples = team.get("examples") or {}
        groups = examples.items() if isinstance(examples, dict) else [("-", examples)]
        for lang, items in groups:
            found += [Phrase(str(item), f"{_rel(path)} ({team_id} examples {lang})") for item in items or []]
    return found


def router_out_of_scope_examples(path: Path) -> list[Phrase]:
    examples = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("examples") or {}
    groups = examples.items() if isinstance(examples, dict) else [("-", examples)]
    return [Phrase(str(item), f"{_rel(path)} (examples {lang})") for lang, items in groups for item in items or []]


def team_keywords(path: Path = TEAMS) -> list[Phrase]:
    found: list[Phrase] = []
    teams = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("teams") or {}
    for team_id, team in teams.items():
        for field in ("keywords", "weak_keywords"):
            found += [Phrase(str(item), f"{_rel(path)} ({team_id} {field})") for item in team.get(field) or []]
    return found


def glossary_keys(path: Path = GLOSSARY, section: str = "glossary") -> list[Phrase]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return [Phrase(str(key), f"{_rel(path)} ({key})") for key in (data.get(section) or {})]


def dutch_pages(folder: Path = DATA / "policies") -> list[Phrase]:
    """The Dutch policy pages, line by line: the municipality's own Dutch wording."""
    return [
        Phrase(line, f"{_rel(path)}:{number}")
        for path in sorted(folder.rglob("*.md"))
        if not path.stem.endswith("-en")
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if line.strip()
    ]


def statute_texts(folder: Path = REGELRECHT) -> list[Phrase]:
    """The statutes' article texts, line by line (none where ../shared is not checked out)."""
    found: list[Phrase] = []
    for path in sorted(folder.glob("*.yaml")) if folder.is_dir() else []:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for article in data.get("articles") or []:
            where = f"{path.name} artikel {article.get('number')}"
            found.extend(Phrase(line, where) for line in str(article.get("text") or "").splitlines() if line.strip())
    return found


def english_pages(folder: Path = DATA / "policies") -> list[Phrase]:
    """The English policy pages, line by line: the municipality's own English wording."""
    return [
        Phrase(line, f"{_rel(path)}:{number}")
        for path in sorted(folder.rglob("*-en.md"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if line.strip()
    ]


def jsonl_questions(path: Path) -> list[Phrase]:
    """The citizen's text in an eval set: "text" (routing), "question", and for follow-up
    items the "question" of every turn in "turns"."""
    found: list[Phrase] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        item = json.loads(line)
        where = f"{_rel(path)}:{number}"
        for field in ("text", "question"):
            if isinstance(item.get(field), str):
                found.append(Phrase(item[field], where))
        for turn in item.get("turns") or []:
            if isinstance(turn, dict) and isinstance(turn.get("question"), str):
                found.append(Phrase(turn["question"], where))
    return found


def example_questions(folder: Path = EXAMPLE_QUESTIONS) -> list[Phrase]:
    return [Phrase(q, _rel(folder)) for q in ExampleQuestions.from_dir(folder).questions()]


def statute_example_questions(folder: Path = STATUTE_EXAMPLES) -> list[Phrase]:
    return [Phrase(q, _rel(folder)) for _, q in article_examples(folder)]


def text_lines(path: Path) -> list[Phrase]:
    return [
        Phrase(line.strip(), f"{_rel(path)}:{number}")
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if line.strip() and not line.lstrip().startswith("#")
    ]


@dataclass(frozen=True)
class Source:
    name: str
    path: Path  # a missing file skips (held-out) or counts as empty (training/tuning)
    load: Callable[[Path], list[Phrase]]

    def phrases(self) -> list[Phrase]:
        return self.load(self.path) if self.path.exists() else []


NLU_TEST_SPLIT = Source("NLU test split", EVAL / "nlu_test.yml", nlu_examples)
HELD_OUT = [
    Source("test stories", CONVERSATIONS, conversation_turns),
    Source("routing test set", EVAL / "routing.jsonl", jsonl_questions),
    Source("retrieval test set", EVAL / "retrieval_nl_en.jsonl", jsonl_questions),
    Source("statutes test split", EVAL / "statutes_test.jsonl", jsonl_questions),
    Source("answers test split", EVAL / "answers_test.jsonl", jsonl_questions),
    Source("out-of-scope test set", EVAL / "out_of_scope_nl.txt", text_lines),
    NLU_TEST_SPLIT,
]
# The held-out sets that search or routing vocabulary (teams.yml keywords, the glossaries) can have
# been tuned towards: the NLU split measures the NLU alone, which reads none of that vocabulary.
VOCABULARY_HELD_OUT = [source for source in HELD_OUT if source is not NLU_TEST_SPLIT]
NLU = Source("NLU training data", DATA / "nlu", nlu_examples)
TEAM_EXAMPLES = Source("teams.yml examples", TEAMS, team_examples)
TEAM_KEYWORDS = Source("teams.yml keywords", TEAMS, team_keywords)
ROUTING_DEV = Source("routing dev set", EVAL / "routing_dev.jsonl", jsonl_questions)
ANSWERS_DEV = Source("answers dev split", EVAL / "answers_dev.jsonl", jsonl_questions)
STATUTES_DEV = Source("statutes dev split", EVAL / "statutes_dev.jsonl", jsonl_questions)
EXAMPLES = Source("the answer engine's example questions", EXAMPLE_QUESTIONS, example_questions)
ARTICLE_EXAMPLES = Source("the statute search's example questions", STATUTE_EXAMPLES, statute_example_questions)
# Keywords are vocabulary, not example messages: check (b) covers them.
TRAINING = [
    NLU,
    Source("training stories", DATA / "stories", conversation_turns),
    Source("training rules", DATA / "rules", conversation_turns),
    TEAM_EXAMPLES,
    Source("router out-of-scope examples", DATA / "routing" / "out_of_scope.yml", router_out_of_scope_examples),
    ROUTING_DEV,
    ANSWERS_DEV,
    EXAMPLES,
    STATUTES_DEV,
    ARTICLE_EXAMPLES,
]
PII_TEST, PII_TUNING = EVAL / "pii_test.jsonl", EVAL / "pii.jsonl"
# (test split, dev split)
SPLITS = [
    (EVAL / "routing.jsonl", EVAL / "routing_dev.jsonl"),
    (EVAL / "answers_test.jsonl", EVAL / "answers_dev.jsonl"),
    (EVAL / "statutes_test.jsonl", EVAL / "statutes_dev.jsonl"),
]


# ---------------------------------------------------------------- checks


def shared_phrases(held_out: Iterable[Phrase], training: Iterable[Phrase]) -> list[str]:
    """Held-out phrases equal (after normalisation) to a training/tuning phrase."""
    index: dict[str, list[Phrase]] = {}
    for phrase in training:
        if phrase.norm:
            index.setdefault(phrase.norm, []).append(phrase)
    leaks = []
    for phrase in held_out:
        if phrase.norm in index:
            also = "; ".join(sorted({p.where for p in index[phrase.norm]}))
            leaks.append(f"{phrase.text!r} ({phrase.where}) is also in {also}")
    return leaks


def pii_values(path: Path) -> list[Phrase]:
    """The labelled personal-data values of a personal-data set, with their kind."""
    found: list[Phrase] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            for item in json.loads(line)["personal_data"]:
                found.append(Phrase(str(item["value"]), f"{_rel(path)}:{number} ({item['kind']})"))
    return found


def shared_values(held_out: Iterable[Phrase], tuning: Iterable[Phrase]) -> list[str]:
    """Held-out values equal to a tuning value in their letters and digits (case, spaces, dots and
    dashes aside: the same BSN or plate written another way is the same value)."""
    index: dict[str, list[Phrase]] = {}
    for value in tuning:
        index.setdefault(re.sub(r"[\W_]+", "", value.text.lower()), []).append(value)
    leaks = []
    for value in held_out:
        key = re.sub(r"[\W_]+", "", value.text.lower())
        if key in index:
            also = "; ".join(sorted({v.where for v in index[key]}))
            leaks.append(f"{value.text!r} ({value.where}) is also in {also}")
    return leaks


def checked_keyword(keyword: str) -> bool:
    """Multi-word keywords and single words of 5+ letters (shorter ones match only whole)."""
    norm = normalise(keyword)
    return " " in norm or len(norm) >= 5


class Corpus:
    """Normalised messages, searched for keywords the way the router matches them (a phrase
    on word boundaries; a 5+ letter word as a whole word or at either end of a compound)."""

    def __init__(self, phrases: Iterable[Phrase]) -> None:
        self.phrases = [p for p in phrases if p.norm]
        self.padded = [f" {p.norm} " for p in self.phrases]
        self.tokens = [set(p.norm.split()) for p in self.phrases]
        self.vocabulary = set().union(*self.tokens) if self.tokens else set()
        self.text = "\n".join(self.padded)

    @staticmethod
    def _word_in(keyword: str, token: str) -> bool:
        return token == keyword or (
            len(token) > len(keyword) and (token.startswith(keyword) or token.endswith(keyword))
        )

    def contains(self, keyword: str) -> bool:
        norm = normalise(keyword)
        if " " in norm:
            return f" {norm} " in self.text
        return any(self._word_in(norm, token) for token in self.vocabulary)

    def messages_with(self, keyword: str) -> list[Phrase]:
        norm = normalise(keyword)
        if " " in norm:
            return [p for p, padded in zip(self.phrases, self.padded, strict=True) if f" {norm} " in padded]
        return [
            p
            for p, tokens in zip(self.phrases, self.tokens, strict=True)
            if any(self._word_in(norm, t) for t in tokens)
        ]


def unjustified_keywords(
    keywords: Iterable[Phrase], held_out: Iterable[Phrase], justifying: Iterable[Phrase]
) -> list[str]:
    """Keywords that occur in held-out messages and in no justifying (training/dev) message."""
    test, train = Corpus(held_out), Corpus(justifying)
    problems = []
    seen: set[tuple[str, str]] = set()
    for keyword in keywords:
        key = (normalise(keyword.text), keyword.where)
        if key in seen or not checked_keyword(keyword.text):
            continue
        seen.add(key)
        if test.contains(keyword.text) and not train.contains(keyword.text):
            examples = test.messages_with(keyword.text)
            shown = "; ".join(f"{p.text!r} ({p.where})" for p in examples[:3])
            more = f" and {len(examples) - 3} more" if len(examples) > 3 else ""
            problems.append(f"{keyword.text!r} ({keyword.where}) occurs only in held-out messages: {shown}{more}")
    return problems


def top_level_alternatives(pattern: str) -> list[str]:
    """A regular expression's alternatives outside any group: "a|b(c|d)" gives "a" and "b(c|d)"."""
    parts, depth, start, i = [], 0, 0, 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            i += 2  # an escaped character, "\\|" or "\\(" included
            continue
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "|" and depth == 0:
            parts.append(pattern[start:i])
            start = i + 1
        i += 1
    return [*parts, pattern[start:]]


def aspect_triggers(path: Path = ASPECTS) -> list[Phrase]:
    """Every alternative of every aspect trigger (data/answers/aspects.yml), as a regular expression."""
    aspects = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("aspects") or {}
    return [
        Phrase(alternative, f"{_rel(path)} ({aspect})")
        for aspect, entry in aspects.items()
        for trigger in (entry or {}).get("triggers") or ()
        for alternative in top_level_alternatives(trigger)
    ]


def topic_terms(path: Path = TOPICS) -> list[Phrase]:
    """Every term of every municipal topic (data/answers/municipal_topics.yml), as the regular
    expression knowledge/topics.py matches: from the start of a word."""
    topics = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("topics") or {}
    return [
        Phrase(r"(?<!\w)" + str(term), f"{_rel(path)} ({topic})")
        for topic, terms in topics.items()
        for term in terms or ()
    ]


def _whole_word_phrases(groups: dict[str, list[str]], where: str) -> list[Phrase]:
    """Phrases per language as actions/phrases.py `says_any` matches them: whole words, anywhere."""
    return [
        Phrase(r"\b" + re.escape(str(phrase)) + r"\b", f"{where}.{language})")
        for language, group in groups.items()
        for phrase in group
    ]


def handoff_phrases(path: Path = DIALOGUE) -> list[Phrase]:
    """The phrases that hand a citizen over whatever the NLU thought (actions/dialogue.yml
    `handoff.phrases`)."""
    dialogue = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return _whole_word_phrases(dialogue["handoff"]["phrases"], f"{_rel(path)} (handoff")


def announcement_openings(path: Path = DIALOGUE) -> list[Phrase]:
    """The openings of a message that only names the subject of the question to come
    (actions/dialogue.yml `announcements.openings`; actions/subjects.py matches them at the start)."""
    dialogue = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return _whole_word_phrases(dialogue["announcements"]["openings"], f"{_rel(path)} (announcements")


def form_requests(path: Path = DIALOGUE) -> list[Phrase]:
    """The phrases that start a report or complaint form before the documents are asked
    (actions/dialogue.yml `form_requests`)."""
    dialogue = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return _whole_word_phrases(dialogue["form_requests"], f"{_rel(path)} (form_requests")


def form_offer_words(path: Path = DIALOGUE) -> list[Phrase]:
    """The words that let a form be offered after an answer (actions/dialogue.yml `form_offer_words`)."""
    dialogue = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return [
        phrase
        for form, groups in dialogue["form_offer_words"].items()
        for phrase in _whole_word_phrases(groups, f"{_rel(path)} (form_offer_words.{form}")
    ]


def variant_starts(path: Path = DIALOGUE) -> list[Phrase]:
    """The openings of a follow-up naming another case (actions/dialogue.yml,
    `follow_up.variant_starts`), as actions/followup.py matches them: at the message's start."""
    starts = (yaml.safe_load(path.read_text(encoding="utf-8")) or {})["follow_up"]["variant_starts"]
    return [
        Phrase("^" + re.escape(str(start)), f"{_rel(path)} (variant_starts.{language})")
        for language, group in starts.items()
        for start in group
    ]


def unjustified_triggers(
    triggers: Iterable[Phrase], held_out: Iterable[Phrase], justifying: Iterable[Phrase]
) -> list[str]:
    """Trigger alternatives that match held-out messages and no justifying one, matched as the
    lexicon matches them (lower case, accents removed). Only counts are reported: the held-out
    messages themselves are not shown, so that fixing the failure does not mean reading them."""
    test = [fold(p.text) for p in held_out]
    train = [fold(p.text) for p in justifying]
    problems = []
    for trigger in triggers:
        pattern = re.compile(trigger.text)
        matched = sum(1 for text in test if pattern.search(text))
        if matched and not any(pattern.search(text) for text in train):
            problems.append(f"{trigger.text!r} ({trigger.where}) matches {matched} held-out message(s) only")
    return problems


def _report(title: str, problems: list[str]) -> str:
    return f"{title} ({len(problems)}):\n  " + "\n  ".join(problems)


# ---------------------------------------------------------------- self-checks


def test_normalise_lowercases_strips_accents_punctuation_and_whitespace() -> None:
    assert normalise("  Wat kost een PASPOORT?!  ") == "wat kost een paspoort"
    assert normalise("Café  één,\tdeux\n") == "cafe een deux"
    assert normalise("driver's licence") == "drivers licence"
    assert normalise("id-kaart / woz_waarde") == "id kaart woz waarde"
    assert normalise("Australië?") == normalise("australie")
    assert strip_annotations('ik woon in [Kerkstraat 12](address) in [Vlietstad]{"entity": "city"}') == (
        "ik woon in Kerkstraat 12 in Vlietstad"
    )


def test_the_loaders_read_the_rasa_formats(tmp_path: Path) -> None:
    stories = tmp_path / "stories.yml"
    stories.write_text(
        'version: "3.1"\nstories:\n- story: s\n  steps:\n  - user: |\n      ik woon op de [Dorpsweg 3](address)\n'
        "    intent: inform\n  - action: utter_ok\n",
        encoding="utf-8",
    )
    assert [t.text for t in story_user_turns(stories)] == ["ik woon op de Dorpsweg 3"]
    nlu = tmp_path / "nlu" / "nl"
    nlu.mkdir(parents=True)
    (nlu / "x.yml").write_text(
        'version: "3.1"\nnlu:\n- intent: inform\n  examples: |\n    - in de [Molenstraat](address)\n    - morgen\n',
        encoding="utf-8",
    )
    assert [e.text for e in nlu_examples(tmp_path / "nlu")] == ["in de Molenstraat", "morgen"]
    split = tmp_path / "nlu_test.yml"  # one file, blocks with metadata, the gateway's placeholders
    split.write_text(
        'version: "3.1"\nnlu:\n- intent: inform\n  metadata:\n    language: en\n  examples: |\n'
        "    - [e-mail] [telefoon]\n    - mail me at [e-mail]\n",
        encoding="utf-8",
    )
    assert [e.text for e in nlu_examples(split)] == ["[e-mail] [telefoon]", "mail me at [e-mail]"]
    answers = tmp_path / "answers.jsonl"
    rows = [
        {"kind": "single", "question": "Wat kost een paspoort?"},
        {"kind": "followup", "turns": [{"question": "Wat kost een paspoort?"}, {"question": "En voor een kind?"}]},
    ]
    answers.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    assert [q.text for q in jsonl_questions(answers)] == ["Wat kost een paspoort?"] * 2 + ["En voor een kind?"]


def test_trigger_alternatives_are_split_outside_groups_only() -> None:
    assert top_level_alternatives(r"\bkost(en|te)?\b|\bprijs\b") == [r"\bkost(en|te)?\b", r"\bprijs\b"]
    assert top_level_alternatives(r"a\|b") == [r"a\|b"]


def test_the_trigger_check_reports_a_trigger_only_held_out_messages_contain() -> None:
    held_out = [
        Phrase("Wat zijn de léges voor een paspoort?", "toy-test:1"),
        Phrase("hoe lang duurt het", "toy-test:2"),
    ]
    justifying = [Phrase("Hoe lang duurt het voordat ik hem heb?", "toy-dev:1")]
    triggers = [Phrase(r"\bleges\b", "toy-aspects (costs)"), Phrase(r"\bhoe ?lang\b", "toy-aspects (duration)")]
    problems = unjustified_triggers(triggers, held_out, justifying)
    assert len(problems) == 1 and "leges" in problems[0] and "1 held-out" in problems[0]
    assert "paspoort" not in problems[0]  # the held-out message itself is not shown


def test_the_checks_report_a_deliberate_leak() -> None:
    held_out = [
        Phrase("Ik heb nergens om te wonen!", "toy-test:1"),
        Phrase("Mijn paspoortfoto is afgekeurd", "toy-test:2"),
        Phrase("can I split my house in two", "toy-test:3"),
    ]
    training = [Phrase("ik heb   NERGENS om te wonen", "toy-train:1"), Phrase("paspoort verlopen", "toy-train:2")]
    leaks = shared_phrases(held_out, training)
    assert len(leaks) == 1 and "nergens om te wonen" in leaks[0] and "toy-train:1" in leaks[0]
    assert shared_phrases(held_out[1:], training) == []

    keywords = [
        Phrase("split my house", "toy-teams (wonen keywords)"),  # only the test set has it: a leak
        Phrase("paspoort", "toy-teams (burgerzaken keywords)"),  # in training too (and a compound in test)
        Phrase("huis", "toy-teams (wonen weak_keywords)"),  # too short to check
        Phrase("nergens", "toy-teams (wonen keywords)"),  # in training too
    ]
    problems = unjustified_keywords(keywords, held_out, training)
    assert len(problems) == 1 and "'split my house'" in problems[0] and "toy-test:3" in problems[0]
    assert unjustified_keywords(keywords, held_out, [*training, Phrase("I want to split my house", "dev:1")]) == []
    # a compound in the test set only is a leak as well; a word inside another word is not a match
    assert Corpus([Phrase("paspoortfoto", "x")]).contains("paspoort")
    assert not Corpus([Phrase("verhuispaspoortje", "x")]).contains("paspoort")
    assert not Corpus([Phrase("i split my houses", "x")]).contains("split my house")

    values = [Phrase("241 474 310", "toy-pii-test:1 (bsn)"), Phrase("gx-123-b", "toy-pii-test:2 (licence_plate)")]
    tuning = [Phrase("241474310", "toy-pii:7 (bsn)"), Phrase("GX-123-K", "toy-pii:9 (licence_plate)")]
    leaks = shared_values(values, tuning)
    assert len(leaks) == 1 and "'241 474 310'" in leaks[0] and "toy-pii:7" in leaks[0]


# ---------------------------------------------------------------- the project's data


@pytest.mark.parametrize("held_out", HELD_OUT, ids=lambda s: s.name)
def test_held_out_phrases_are_not_in_training_or_tuning_data(held_out: Source) -> None:
    if not held_out.path.exists():
        pytest.skip(f"{_rel(held_out.path)} does not exist (yet): nothing held out to check")
    phrases = held_out.phrases()
    assert phrases, f"no phrases read from {_rel(held_out.path)}: the loader does not match its format"
    training = [p for source in TRAINING for p in source.phrases()]
    leaks = shared_phrases(phrases, training)
    assert not leaks, _report(f"{held_out.name} phrases found word for word in training/tuning data", leaks)


def test_teams_keywords_are_justified_by_training_or_dev_data() -> None:
    held_out = [p for source in VOCABULARY_HELD_OUT for p in source.phrases()]
    justifying = [*NLU.phrases(), *TEAM_EXAMPLES.phrases(), *ROUTING_DEV.phrases()]
    assert held_out and justifying and TEAM_KEYWORDS.phrases()
    problems = unjustified_keywords(TEAM_KEYWORDS.phrases(), held_out, justifying)
    assert not problems, _report(
        "teams.yml keywords that only held-out messages contain (add an example of your own wording "
        "to teams.yml or routing_dev.jsonl, or drop the keyword)",
        problems,
    )


def test_glossary_words_are_justified_by_pages_training_or_dev_data() -> None:
    """The search glossary (data/search/glossary_en_nl.yml) is vocabulary like teams.yml's keywords:
    an English word in it that a held-out question contains must also occur in the English pages,
    the NLU data or a dev split."""
    held_out = [p for source in VOCABULARY_HELD_OUT for p in source.phrases()]
    justifying = [
        *english_pages(), *NLU.phrases(), *ROUTING_DEV.phrases(),
        *jsonl_questions(EVAL / "answers_dev.jsonl"), *jsonl_questions(EVAL / "statutes_dev.jsonl"),
    ]  # fmt: skip
    keys = glossary_keys()
    assert held_out and justifying and keys
    problems = unjustified_keywords(keys, held_out, justifying)
    assert not problems, _report(
        "glossary words that only held-out messages contain (drop them, or justify them with an "
        "example of your own wording in a dev split)",
        problems,
    )


# Lexicons of regular expressions: an alternative that matches a held-out question must also match
# a page, an NLU example or a dev-split question. The aspect triggers (data/answers/aspects.yml) pick
# the section; the municipal topics' terms (data/answers/municipal_topics.yml) weigh against
# answering; a follow-up's variant openings (actions/dialogue.yml) may move it to a sibling page;
# the handoff phrases (actions/dialogue.yml) hand the citizen to a person; the form requests
# (actions/dialogue.yml) start a form before the documents are asked, and the form offer words let
# one be offered after an answer; a subject announcement's opening has the citizen asked what they
# want to know instead of answered.
# Either way the held-out figures must measure the lexicon, not the test questions.
PATTERN_LEXICONS = {
    "aspect trigger alternatives": (aspect_triggers, 20),
    "municipal topic terms": (topic_terms, 100),
    "follow-up variant starts": (variant_starts, 20),
    "handoff phrases": (handoff_phrases, 10),
    "form requests": (form_requests, 10),
    "form offer words": (form_offer_words, 5),
    "subject announcements": (announcement_openings, 20),
}


@pytest.mark.parametrize("kind", sorted(PATTERN_LEXICONS))
def test_lexicon_patterns_are_justified_by_pages_training_or_dev_data(kind: str) -> None:
    load, at_least = PATTERN_LEXICONS[kind]
    held_out = [p for source in VOCABULARY_HELD_OUT for p in source.phrases()]
    justifying = [
        *dutch_pages(), *english_pages(), *NLU.phrases(), *ROUTING_DEV.phrases(),
        *jsonl_questions(EVAL / "answers_dev.jsonl"),
    ]  # fmt: skip
    patterns = load()
    assert held_out and justifying and len(patterns) > at_least
    problems = unjustified_triggers(patterns, held_out, justifying)
    assert not problems, _report(
        f"{kind} that only held-out messages match (drop them, or justify them with an example of "
        "your own wording in answers_dev.jsonl)",
        problems,
    )


# Synonym lists are vocabulary too: a word in one that a held-out question contains must also occur in
# what may justify it: the Dutch pages, the NLU data or a dev split (the legal synonyms: the statutes too).
SYNONYM_LISTS = {
    "legal": (LEGAL_SYNONYMS, True, "statutes_dev.jsonl"),
    "citizen": (CITIZEN_SYNONYMS, False, "a dev split or the NLU data"),
}


@pytest.mark.parametrize("kind", sorted(SYNONYM_LISTS))
def test_synonyms_are_justified_by_pages_training_or_dev_data(kind: str) -> None:
    path, with_statutes, where = SYNONYM_LISTS[kind]
    held_out = [p for source in VOCABULARY_HELD_OUT for p in source.phrases()]
    justifying = [
        *(statute_texts() if with_statutes else []), *dutch_pages(), *NLU.phrases(), *ROUTING_DEV.phrases(),
        *jsonl_questions(EVAL / "answers_dev.jsonl"), *jsonl_questions(EVAL / "statutes_dev.jsonl"),
    ]  # fmt: skip
    keys = glossary_keys(path, "synonyms")
    assert held_out and justifying and keys
    problems = unjustified_keywords(keys, held_out, justifying)
    assert not problems, _report(
        f"{kind} synonyms that only held-out messages contain (drop them, or justify them with an "
        f"example of your own wording in {where})",
        problems,
    )


@pytest.mark.parametrize("test_split, dev_split", SPLITS, ids=lambda p: p.name)
def test_test_split_shares_no_phrase_with_its_dev_split(test_split: Path, dev_split: Path) -> None:
    missing = [_rel(p) for p in (test_split, dev_split) if not p.exists()]
    if missing:
        pytest.skip(f"{', '.join(missing)} does not exist (yet)")
    test, dev = jsonl_questions(test_split), jsonl_questions(dev_split)
    assert test and dev, f"no questions read from {_rel(test_split)} or {_rel(dev_split)}"
    leaks = shared_phrases(test, dev)
    assert not leaks, _report(f"{_rel(test_split)} phrases also in {_rel(dev_split)}", leaks)


@pytest.mark.parametrize(
    "examples, dev", [(EXAMPLES, ANSWERS_DEV), (ARTICLE_EXAMPLES, STATUTES_DEV)], ids=["answers", "statutes"]
)
def test_example_questions_share_no_phrase_with_their_dev_split(examples: Source, dev: Source) -> None:
    """The answer engine and the statute search compare a question with their examples, and
    their models are fitted on the dev split: a dev question among the examples would find itself."""
    example_phrases, dev_phrases = examples.phrases(), dev.phrases()
    assert example_phrases and dev_phrases, f"nothing read from {examples.name} or {dev.name}"
    leaks = shared_phrases(dev_phrases, example_phrases)
    assert not leaks, _report(f"{dev.name} questions also among {examples.name}", leaks)


def test_the_pii_test_split_shares_no_message_and_no_value_with_the_tuning_set() -> None:
    test, tuned = jsonl_questions(PII_TEST), jsonl_questions(PII_TUNING)
    assert test and tuned, f"no messages read from {_rel(PII_TEST)} or {_rel(PII_TUNING)}"
    leaks = shared_phrases(test, tuned)
    assert not leaks, _report(f"{_rel(PII_TEST)} messages also in {_rel(PII_TUNING)}", leaks)
    values, tuned_values = pii_values(PII_TEST), pii_values(PII_TUNING)
    assert values and tuned_values
    reused = shared_values(values, tuned_values)
    assert not reused, _report(f"personal-data values of {_rel(PII_TEST)} reused from {_rel(PII_TUNING)}", reused)


def test_the_nlu_test_split_shares_no_example_with_the_test_stories_or_the_pii_tuning_set() -> None:
    """Check (a) covers data/nlu, data/stories, data/rules and the dev splits; the test stories and
    pii.jsonl are not training data for the NLU, but a message in them was seen while writing them."""
    test = NLU_TEST_SPLIT.phrases()
    assert len(test) >= 500, (
        f"{_rel(NLU_TEST_SPLIT.path)}: {len(test)} examples read; the loader does not match its format"
    )
    others = [*conversation_turns(), *(jsonl_questions(PII_TUNING) if PII_TUNING.exists() else [])]
    assert others
    leaks = shared_phrases(test, others)
    assert not leaks, _report(
        f"{_rel(NLU_TEST_SPLIT.path)} examples also in the test stories or {_rel(PII_TUNING)}", leaks
    )
