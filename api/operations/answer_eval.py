"""`loket eval answers`: the whole chat path scored on a labelled set of citizen questions.

Each case runs through the real stack, exactly as the chat page does it: a new conversation
(`POST /api/chat/conversations`), then the turn(s) (`POST /api/chat/conversations/{id}/messages`)
without a language, so the gateway detects it. After each turn the runner reads Rasa's tracker
(Rasa's HTTP API on loopback, behind a per-run token) to know what the bot did.

A set is JSON Lines, one case a line::

    {"id": "a1", "kind": "answerable", "lang": "nl", "question": "Wat kost een paspoort?",
     "expected": [{"page": "paspoort-aanvragen", "section": "Kosten"},
                  {"page": "paspoort-aanvragen-en", "section": "Costs"}]}
    {"id": "u1", "kind": "uncovered", "lang": "nl", "question": "..."}
    {"id": "o1", "kind": "out_of_scope", "lang": "en", "question": "..."}
    {"id": "e1", "kind": "external", "lang": "nl", "question": "...", "org": "uwv"}
    {"id": "f1", "kind": "followup", "lang": "nl",
     "turns": [{"question": "...", "expected": [...]}, {"question": "...", "expected": [...]}]}
    {"id": "c1", "kind": "after_answer", "lang": "nl",
     "turns": [{"question": "Wat kost een paspoort?"}, {"question": "wat vind jij van ajax"}]}

`expected` lists acceptable (page, section) pairs, any one counts: `page` is a document id,
`section` the last heading of the passage's heading path, "" for text before the first `##`.
All turns of a follow-up run in one conversation; its first turn is scored with the
answerable questions, the later turns on their own. An `after_answer` case is chit-chat or
gibberish after an answered question: its first turn only sets the scene (not scored), its last
is out of scope and must get no passage and no form, as a first message must not.

Everything but the runner (`run_answer_eval`, `ChatDriver`) is pure and tested without a server.
"""

from __future__ import annotations

import json
import os
import re
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from api.operations.ports import free_port
from api.settings import LOAD_TEST_RATE_LIMITS, PROJECT_ROOT, Settings
from knowledge.chunking import SECTION_SEP, heading_of
from knowledge.languages import SUPPORTED_LANGUAGES

DEV_SET = PROJECT_ROOT / "data" / "eval" / "answers_dev.jsonl"
TEST_SET = PROJECT_ROOT / "data" / "eval" / "answers_test.jsonl"

KINDS = ("answerable", "uncovered", "out_of_scope", "external", "followup", "after_answer")
LANGUAGES = SUPPORTED_LANGUAGES
ORGS = ("belastingdienst", "uwv", "svb", "duo", "rdw", "politie")

# What Rasa runs, by name (domain.yml, actions/).
NO_ANSWER = "utter_no_answer"
OUT_OF_SCOPE = "utter_out_of_scope"
HANDOFF_STEPS = frozenset({"action_request_human", "utter_handoff_now", "utter_handoff_later"})
# The help lines told (action_crisis also answers an unsure reading the documents answer, with the
# help lines asked after the answer: utter_crisis_check; that turn is an answer).
CRISIS_STEPS = frozenset({"utter_crisis", "utter_crisis_escalated"})
# A referral to an external organisation is not in the bot yet: an action or response named
# like action_refer_external / utter_referral, or a message with custom JSON `referral`.
_REFERRAL_NAME = re.compile(r"(^|_)refer(ral|_|$)")
_IGNORED_ACTIONS = frozenset({"action_listen", "action_session_start"})


class AnswerSetError(ValueError):
    """A line of an answers set that cannot be used (the message names file and line)."""


# ------------------------------------------------------------------------------ the set


@dataclass(frozen=True)
class Expected:
    page: str
    section: str  # last heading of the section path; "" for text before the first ## heading

    def __str__(self) -> str:
        return f"{self.page}{SECTION_SEP}{self.section}" if self.section else f"{self.page} (opening text)"


@dataclass(frozen=True)
class Turn:
    question: str
    expected: tuple[Expected, ...] = ()


@dataclass(frozen=True)
class Case:
    id: str
    kind: str
    lang: str
    turns: tuple[Turn, ...]
    org: str | None = None
    line: int = 0

    @property
    def question(self) -> str:
        return self.turns[0].question


def _text(row: Mapping[str, Any], key: str, where: str) -> str:
    value = row.get(key)
    if not isinstance(value, str) or not value.strip():
        raise AnswerSetError(f"{where}: {key!r} must be a non-empty string")
    return value.strip()


def _expected(value: Any, where: str) -> tuple[Expected, ...]:
    if not isinstance(value, list) or not value:
        raise AnswerSetError(f"{where}: 'expected' must be a non-empty list of {{page, section}}")
    pairs = []
    for n, item in enumerate(value, 1):
        if not isinstance(item, dict):
            raise AnswerSetError(f"{where}: expected #{n} must be an object {{page, section}}")
        page = item.get("page")
        section = item.get("section")
        if not isinstance(page, str) or not page.strip():
            raise AnswerSetError(f"{where}: expected #{n} needs a 'page' (a document id)")
        if not isinstance(section, str):
            raise AnswerSetError(
                f"{where}: expected #{n} needs a 'section' (the last heading, or \"\" before the first ## heading)"
            )
        pairs.append(Expected(page.strip(), section.strip()))
    return tuple(pairs)


def parse_case(row: Any, *, where: str = "case", line: int = 0) -> Case:
    """One case from its JSON object; AnswerSetError says what is wrong."""
    if not isinstance(row, dict):
        raise AnswerSetError(f"{where}: a case must be a JSON object")
    case_id = _text(row, "id", where)
    where = f"{where} ({case_id})"
    kind = row.get("kind")
    if kind not in KINDS:
        raise AnswerSetError(f"{where}: 'kind' must be one of {', '.join(KINDS)}, not {kind!r}")
    lang = row.get("lang")
    if lang not in LANGUAGES:
        raise AnswerSetError(f"{where}: 'lang' must be one of {', '.join(LANGUAGES)}, not {lang!r}")
    org = None
    if kind == "after_answer":
        raw_turns = row.get("turns")
        if not isinstance(raw_turns, list) or len(raw_turns) < 2 or not all(isinstance(t, dict) for t in raw_turns):
            raise AnswerSetError(f"{where}: an after_answer case needs 'turns', a list of at least 2 {{question}}")
        texts = [_text(raw, "question", f"{where} turn {n}") for n, raw in enumerate(raw_turns, 1)]
        return Case(case_id, kind, lang, tuple(Turn(text) for text in texts), line=line)
    if kind == "followup":
        raw_turns = row.get("turns")
        if not isinstance(raw_turns, list) or len(raw_turns) < 2:
            raise AnswerSetError(f"{where}: a followup needs 'turns', a list of at least 2 {{question, expected}}")
        turns = []
        for n, raw in enumerate(raw_turns, 1):
            if not isinstance(raw, dict):
                raise AnswerSetError(f"{where}: turn {n} must be an object {{question, expected}}")
            turn_where = f"{where} turn {n}"
            turns.append(Turn(_text(raw, "question", turn_where), _expected(raw.get("expected"), turn_where)))
        return Case(case_id, kind, lang, tuple(turns), line=line)
    question = _text(row, "question", where)
    expected: tuple[Expected, ...] = ()
    if kind == "answerable":
        expected = _expected(row.get("expected"), where)
    if kind == "external":
        org = row.get("org")
        if org not in ORGS:
            raise AnswerSetError(f"{where}: 'org' must be one of {', '.join(ORGS)}, not {org!r}")
    return Case(case_id, kind, lang, (Turn(question, expected),), org=org, line=line)


def parse_cases(lines: Iterable[str], *, name: str = "<set>") -> list[Case]:
    """Cases from JSON Lines (blank lines skipped); the first bad line raises AnswerSetError."""
    cases: list[Case] = []
    seen: dict[str, int] = {}
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        where = f"{name}:{number}"
        try:
            row = json.loads(line)
        except json.JSONDecodeError as error:
            raise AnswerSetError(f"{where}: not valid JSON ({error.msg} at column {error.colno})") from None
        case = parse_case(row, where=where, line=number)
        if case.id in seen:
            raise AnswerSetError(f"{where}: duplicate id {case.id!r} (also on line {seen[case.id]})")
        seen[case.id] = number
        cases.append(case)
    if not cases:
        raise AnswerSetError(f"{name}: no cases")
    return cases


def load_cases(path: Path | str) -> list[Case]:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise AnswerSetError(f"{path}: cannot read ({error.strerror or error})") from None
    return parse_cases(text.splitlines(), name=str(path))


def corpus_sections(documents: Iterable[Any]) -> dict[str, set[str]]:
    """Public document id -> the section names a case may expect ("" and every heading)."""
    from knowledge.chunking import iter_sections

    sections: dict[str, set[str]] = {}
    for doc in documents:
        if doc.audience != "public":
            continue
        names = sections.setdefault(doc.id, {""})
        for path, _text in iter_sections(doc.body, doc.title):
            names.add(heading_of(SECTION_SEP.join(path)))
    return sections


def check_against_corpus(cases: Iterable[Case], sections: Mapping[str, set[str]], *, name: str = "<set>") -> list[str]:
    """Expected pages that are no public document, sections that page does not have."""
    problems = []
    for case in cases:
        for turn in case.turns:
            for pair in turn.expected:
                where = f"{name}:{case.line} ({case.id})"
                if pair.page not in sections:
                    problems.append(f"{where}: {pair.page!r} is not a public document")
                elif pair.section not in sections[pair.page]:
                    known = ", ".join(repr(s) for s in sorted(sections[pair.page]))
                    problems.append(f"{where}: {pair.page} has no section {pair.section!r} (it has {known})")
    return problems


# ------------------------------------------------------------------------ classifying a turn


@dataclass(frozen=True)
class TurnOutcome:
    """What the bot did with one citizen message."""

    # answer | no_answer | out_of_scope | form:<name> | handoff | crisis | referral | other | error
    outcome: str
    page: str | None = None  # the shown passage's document, when a knowledge answer was shown
    section: str | None = None  # its last heading ("" before the first ## heading)
    form: str | None = None  # a form (active loop) started or continued in this turn
    referral: bool = False
    referral_org: str | None = None
    language: str | None = None  # what the gateway detected
    steps: tuple[str, ...] = ()  # Rasa's actions and responses after the message, in order
    detail: str = ""  # for an error: what went wrong

    @property
    def answered(self) -> bool:
        return self.page is not None

    def describe(self) -> str:
        text = self.outcome
        if self.page is not None:
            text += f": {Expected(self.page, self.section or '')}"
            if self.outcome != "answer":
                text += " (passage shown)"
        if self.referral_org:
            text += f" (referral to {self.referral_org})"
        if self.detail:
            text += f" ({self.detail})"
        if self.steps:
            text += f" [{', '.join(self.steps)}]"
        return text

    def to_dict(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome, "page": self.page, "section": self.section, "form": self.form,
            "referral": self.referral, "referral_org": self.referral_org, "language": self.language,
            "steps": list(self.steps), "detail": self.detail,
        }  # fmt: skip


def _page_of_url(url: Any) -> str:
    """The document id in a source link ("/documents/<id>#<section>")."""
    if not isinstance(url, str):
        return ""
    return url.split("#", 1)[0].rstrip("/").rsplit("/", 1)[-1]


def events_since_user(events: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The events after the citizen's latest message (everything when there is none)."""
    for index in range(len(events) - 1, -1, -1):
        if events[index].get("event") == "user":
            return list(events[index + 1 :])
    return list(events)


def _referral_org(value: Any) -> str | None:
    if isinstance(value, str):
        return value or None
    if isinstance(value, Mapping):
        for key in ("org", "organisation", "organization", "team", "id"):
            if isinstance(value.get(key), str) and value[key]:
                return str(value[key])
    return None


def classify_turn(
    messages: Sequence[Mapping[str, Any]], tracker: Mapping[str, Any] | None, *, language: str | None = None
) -> TurnOutcome:
    """The outcome of a turn from the api's reply messages and Rasa's tracker after it.

    The shown passage is the first source of the first bot message with sources. What Rasa
    ran (actions, responses, a form) comes from the tracker events after the latest user
    message; without a tracker only an answer can be recognised.
    """
    bot = [m for m in messages if m.get("author", "bot") == "bot"]
    shown = next((m["sources"][0] for m in bot if m.get("sources")), None)
    page = section = None
    if shown is not None:
        page = str(shown.get("doc_id") or _page_of_url(shown.get("url")))
        section = heading_of(str(shown.get("section") or ""))

    events = events_since_user(list((tracker or {}).get("events") or []))
    steps: list[str] = []
    form: str | None = None
    referral = False
    org: str | None = None
    for event in events:
        kind = event.get("event")
        if kind == "action":
            name = str(event.get("name") or "")
            if name and name not in _IGNORED_ACTIONS:
                steps.append(name)
        elif kind == "bot":
            utter = (event.get("metadata") or {}).get("utter_action")
            if utter and (not steps or steps[-1] != utter):
                steps.append(str(utter))
            custom = (event.get("data") or {}).get("custom") or {}
            if isinstance(custom, Mapping) and custom.get("referral"):
                referral = True
                org = org or _referral_org(custom["referral"])
        elif kind == "active_loop" and event.get("name"):
            form = str(event["name"])
    active = ((tracker or {}).get("active_loop") or {}).get("name")
    if form is None and active and active in steps:
        form = str(active)  # a form that was already running asked its next question
    for message in bot:
        custom = message.get("custom") if isinstance(message.get("custom"), Mapping) else {}
        value = message.get("referral") or (custom or {}).get("referral")
        if value:
            referral = True
            org = org or _referral_org(value)
    if any(_REFERRAL_NAME.search(step) for step in steps):
        referral = True

    if CRISIS_STEPS.intersection(steps):
        outcome = "crisis"
    elif HANDOFF_STEPS.intersection(steps):
        outcome = "handoff"
    elif page is not None:
        outcome = "answer"
    elif form is not None:
        outcome = f"form:{form}"
    elif referral:
        outcome = "referral"
    elif OUT_OF_SCOPE in steps:
        outcome = "out_of_scope"
    elif NO_ANSWER in steps:
        outcome = "no_answer"
    else:
        outcome = "other"
    return TurnOutcome(
        outcome=outcome, page=page, section=section, form=form, referral=referral, referral_org=org,
        language=language, steps=tuple(steps),
    )  # fmt: skip


def error_outcome(detail: str) -> TurnOutcome:
    return TurnOutcome(outcome="error", detail=detail)


# ------------------------------------------------------------------------------- scoring


@dataclass
class Figure:
    hits: int = 0
    n: int = 0

    @property
    def rate(self) -> float | None:
        return self.hits / self.n if self.n else None

    def add(self, hit: bool) -> None:
        self.n += 1
        self.hits += int(hit)

    def to_dict(self) -> dict[str, Any]:
        rate = self.rate
        return {"hits": self.hits, "n": self.n, "rate": None if rate is None else round(rate, 4)}


# name, label, which direction is better
METRICS: tuple[tuple[str, str, str], ...] = (
    ("right_page", "right page (answerable + follow-up first turns)", "higher"),
    ("right_section", "right section (same questions)", "higher"),
    ("covered_refused", "covered question with no answer shown", "lower"),
    ("uncovered_declined", "uncovered question declined", "higher"),
    ("out_of_scope_answered", "out of scope answered (passage or form)", "lower"),
    ("external_referred", "external question referred, no municipal passage", "higher"),
    ("followup_right_page", "follow-up turns: right page", "higher"),
    ("followup_right_section", "follow-up turns: right section", "higher"),
    ("out_of_scope_after_answer", "out of scope after an answer: passage or form", "lower"),
)


# What a citizen should get, on the test split (and on sets not in the repository): the gate in
# tests/integration/test_answer_targets.py holds the figures to these.
TARGETS: dict[str, float] = {
    "right_page": 0.90,
    "right_section": 0.80,
    "covered_refused": 0.05,
    "uncovered_declined": 0.90,
    "out_of_scope_answered": 0.03,
    # The same bar for chit-chat after an answer: it is no follow-up on the page shown.
    "out_of_scope_after_answer": 0.03,
}


def meets_target(metric: str, rate: float) -> bool:
    """Whether `rate` reaches the target of `metric` (at least it, or at most it for a "lower" one)."""
    better = next(direction for name, _, direction in METRICS if name == metric)
    target = TARGETS[metric]
    return rate >= target if better == "higher" else rate <= target


@dataclass
class CaseResult:
    case: Case
    outcomes: list[TurnOutcome]
    conversation_id: str | None = None  # the api's (and Rasa's) id, to find it in the logs

    def to_dict(self) -> dict[str, Any]:
        turns = []
        for index, turn in enumerate(self.case.turns):
            outcome = self.outcomes[index] if index < len(self.outcomes) else error_outcome("not run")
            turns.append({"question": turn.question, "expected": [vars(e) for e in turn.expected], **outcome.to_dict()})
        return {
            "id": self.case.id,
            "kind": self.case.kind,
            "lang": self.case.lang,
            "org": self.case.org,
            "conversation_id": self.conversation_id,
            "turns": turns,
        }


@dataclass(frozen=True)
class Miss:
    id: str
    kind: str
    lang: str
    question: str
    expected: str
    got: str


def page_right(turn: Turn, outcome: TurnOutcome) -> bool:
    return outcome.page is not None and any(e.page == outcome.page for e in turn.expected)


def section_right(turn: Turn, outcome: TurnOutcome) -> bool:
    return outcome.page is not None and any(
        e.page == outcome.page and e.section == (outcome.section or "") for e in turn.expected
    )


def declined(outcome: TurnOutcome) -> bool:
    """No passage shown and no form started: an honest "no", a refusal, a person, a referral."""
    return outcome.outcome != "error" and not outcome.answered and outcome.form is None


@dataclass
class AnswerReport:
    name: str
    results: list[CaseResult]
    figures: dict[str, dict[str, Figure]]  # "all" / "nl" / "en" -> metric -> figure
    outcomes_by_kind: dict[str, dict[str, int]]
    misses: list[Miss]
    wall_s: float = 0.0
    start_s: float = 0.0
    turns_s: float = 0.0

    @property
    def turns(self) -> int:
        return sum(len(r.case.turns) for r in self.results)

    @property
    def errors(self) -> int:
        return sum(1 for r in self.results for o in r.outcomes if o.outcome == "error")

    def summary(self) -> dict[str, Any]:
        return {
            "set": self.name,
            "cases": len(self.results),
            "turns": self.turns,
            "errors": self.errors,
            "figures": {
                scope: {metric: figure.to_dict() for metric, figure in metrics.items()}
                for scope, metrics in self.figures.items()
            },
            "better": {name: better for name, _, better in METRICS},
            "outcomes_by_kind": self.outcomes_by_kind,
            "wall_s": round(self.wall_s, 1),
            "start_s": round(self.start_s, 1),
            "turns_s": round(self.turns_s, 1),
            "misses": [vars(m) for m in self.misses],
            "results": [r.to_dict() for r in self.results],
        }

    def format(self, *, show_misses: bool = False) -> str:
        scopes = [s for s in ("all", *LANGUAGES) if s in self.figures]
        counts = Counter(r.case.lang for r in self.results)
        languages = ", ".join(f"{lang} {counts[lang]}" for lang in LANGUAGES if counts[lang])
        lines = [f"Answers on {self.name}: {len(self.results)} cases ({languages}), {self.turns} turns", ""]
        width = max(len(label) for _, label, _ in METRICS) + 4
        lines.append(f"{'':{width}}" + "".join(f"{scope:>18}" for scope in scopes))
        for metric, label, better in METRICS:
            arrow = "↑" if better == "higher" else "↓"
            cells = []
            for scope in scopes:
                figure = self.figures[scope][metric]
                rate = figure.rate
                cells.append(f"{'-' if rate is None else f'{rate:.3f}'} ({figure.hits}/{figure.n})".rjust(18))
            lines.append(f"{label + ' ' + arrow:{width}}" + "".join(cells))
        lines += ["", "outcomes by kind:"]
        for kind, outcomes in self.outcomes_by_kind.items():
            shown = ", ".join(f"{name} {count}" for name, count in sorted(outcomes.items(), key=lambda kv: -kv[1]))
            lines.append(f"  {kind}: {shown}")
        if self.errors:
            lines.append(f"\n{self.errors} turn(s) failed (see the misses).")
        if show_misses:
            lines += ["", f"misses ({len(self.misses)}):"]
            for miss in self.misses:
                lines.append(f"- {miss.id} [{miss.kind}, {miss.lang}] {miss.question}")
                lines.append(f"    expected: {miss.expected}")
                lines.append(f"    got:      {miss.got}")
        per_turn = self.turns_s / self.turns if self.turns else 0.0
        lines += [
            "",
            f"wall time {self.wall_s:.0f} s (model, index and starting Rasa and the api {self.start_s:.0f} s, "
            f"{self.turns} turns {self.turns_s:.0f} s, {per_turn:.2f} s a turn)",
        ]
        return "\n".join(lines)


def score(results: Sequence[CaseResult], *, name: str = "<set>") -> AnswerReport:
    """The figures, overall and per language, and each miss."""
    figures: dict[str, dict[str, Figure]] = {
        scope: {metric: Figure() for metric, _, _ in METRICS} for scope in ("all", *LANGUAGES)
    }
    outcomes_by_kind: dict[str, Counter[str]] = defaultdict(Counter)
    misses: list[Miss] = []

    def add(metric: str, lang: str, hit: bool) -> None:
        figures["all"][metric].add(hit)
        figures[lang][metric].add(hit)

    for result in results:
        case = result.case
        outcomes = list(result.outcomes) + [error_outcome("not run")] * (len(case.turns) - len(result.outcomes))
        for index, (turn, outcome) in enumerate(zip(case.turns, outcomes, strict=False)):
            if case.kind == "after_answer":
                kind = "after_answer" if index == len(case.turns) - 1 else "after_answer (the answered question)"
            else:
                kind = case.kind if index == 0 else "followup (later turns)"
            outcomes_by_kind[kind][outcome.outcome] += 1
            case_id = case.id if len(case.turns) == 1 else f"{case.id}#{index + 1}"
            expected = " | ".join(str(e) for e in turn.expected)
            missed = False
            if case.kind in ("answerable", "followup") and index == 0:
                add("right_page", case.lang, page_right(turn, outcome))
                add("right_section", case.lang, section_right(turn, outcome))
                add("covered_refused", case.lang, not outcome.answered)
                missed = not section_right(turn, outcome)
            elif case.kind == "after_answer":
                if index < len(case.turns) - 1:
                    continue  # the scene: an answered question
                answered = outcome.answered or outcome.form is not None
                add("out_of_scope_after_answer", case.lang, answered)
                missed, expected = answered, "no passage, no form"
            elif case.kind == "followup":
                add("followup_right_page", case.lang, page_right(turn, outcome))
                add("followup_right_section", case.lang, section_right(turn, outcome))
                missed = not section_right(turn, outcome)
            elif case.kind == "uncovered":
                add("uncovered_declined", case.lang, declined(outcome))
                missed, expected = not declined(outcome), "declined (no passage, no form)"
            elif case.kind == "out_of_scope":
                answered = outcome.answered or outcome.form is not None
                add("out_of_scope_answered", case.lang, answered)
                missed, expected = answered, "no passage, no form"
            elif case.kind == "external":
                referred = outcome.referral and not outcome.answered
                add("external_referred", case.lang, referred)
                missed, expected = not referred, f"referral to {case.org}, no municipal passage"
            if missed:
                misses.append(Miss(case_id, case.kind, case.lang, turn.question, expected, outcome.describe()))
    # Languages without cases are left out of the table.
    used = {r.case.lang for r in results}
    figures = {scope: metrics for scope, metrics in figures.items() if scope == "all" or scope in used}
    return AnswerReport(
        name=name, results=list(results), figures=figures, misses=misses,
        outcomes_by_kind={kind: dict(counter) for kind, counter in outcomes_by_kind.items()},
    )  # fmt: skip


# -------------------------------------------------------------------------------- runner


class ChatDriver:
    """Talks to a running Loket as the chat page does, and reads Rasa's tracker after each turn."""

    def __init__(self, *, api_url: str, rasa_url: str, rasa_token: str | None, timeout_s: float = 60.0) -> None:
        self.api_url, self.rasa_url = api_url, rasa_url
        self._api = httpx.Client(base_url=api_url, timeout=timeout_s)
        self._rasa = httpx.Client(base_url=rasa_url, timeout=timeout_s)
        self._token = rasa_token

    def close(self) -> None:
        self._api.close()
        self._rasa.close()

    def open_conversation(self) -> str:
        # The page opens a conversation in its current language (Dutch on a first visit) ...
        response = self._api.post("/api/chat/conversations", json={"language": "nl"})
        response.raise_for_status()
        return str(response.json()["conversation_id"])

    def say(self, conversation_id: str, text: str) -> tuple[dict[str, Any], dict[str, Any]]:
        # ... and sends each message without a language, so the gateway detects it.
        response = self._api.post(
            f"/api/chat/conversations/{quote(conversation_id, safe='')}/messages", json={"text": text, "language": None}
        )
        response.raise_for_status()
        return dict(response.json()), self.tracker(conversation_id)

    def parse(self, text: str, *, language: str) -> tuple[str | None, float | None]:
        """The trained NLU's intent for `text` (Rasa's parse endpoint), without a conversation."""
        params = {"token": self._token} if self._token else {}
        response = self._rasa.post(
            "/model/parse", params=params, json={"text": text, "metadata": {"language": language}}
        )
        response.raise_for_status()
        intent = response.json().get("intent") or {}
        return intent.get("name"), intent.get("confidence")

    def tracker(self, conversation_id: str) -> dict[str, Any]:
        """Rasa's tracker of the conversation (the api's conversation id is Rasa's sender id)."""
        params = {"token": self._token} if self._token else {}
        response = self._rasa.get(f"/conversations/{quote(conversation_id, safe='')}/tracker", params=params)
        response.raise_for_status()
        return dict(response.json())

    def run_case(self, case: Case) -> CaseResult:
        outcomes: list[TurnOutcome] = []
        try:
            conversation = self.open_conversation()
        except httpx.HTTPError as error:
            return CaseResult(case, [error_outcome(f"opening the conversation: {error}")] * len(case.turns))
        for turn in case.turns:
            try:
                reply, tracker = self.say(conversation, turn.question)
            except httpx.HTTPError as error:
                outcomes.append(error_outcome(str(error)))
                break  # the later turns of a follow-up make no sense without this one
            outcomes.append(classify_turn(reply.get("messages") or [], tracker, language=reply.get("language")))
        return CaseResult(case, outcomes, conversation_id=conversation)


def run_cases(
    cases: Sequence[Case], driver: ChatDriver, *, progress: Callable[[int, int], None] | None = None
) -> list[CaseResult]:
    results = []
    for done, case in enumerate(cases, 1):
        results.append(driver.run_case(case))
        if progress:
            progress(done, len(cases))
    return results


@contextmanager
def running_stack(settings: Settings, *, echo: Callable[[str], None]) -> Iterator[ChatDriver]:
    """Rasa and the api on free loopback ports, with the project's model and index (built or
    trained first when stale) and fresh SQLite databases in a temporary directory, like
    bench/stack_helper.py; Rasa's HTTP API is open to this run only (a random token)."""
    from api.operations.rasa_model import ensure_model
    from api.operations.stack import start_stack
    from api.services.knowledge_service import ensure_index

    with stdout_on_stderr():  # Rasa training prints to stdout, which is the report's (--json)
        model = ensure_model(settings, echo=echo)
        if ensure_index(settings, paths=settings.policies_dirs, echo=echo).failed:
            echo("Some documents could not be read; they are left out of the index.")
    with tempfile.TemporaryDirectory(prefix="loket-eval-") as tmp:
        data_dir = Path(tmp) / "var"
        data_dir.mkdir()
        (data_dir / "index").symlink_to(settings.index_dir.resolve(), target_is_directory=True)
        # Every question is a conversation of its own from 127.0.0.1: far past the citizens' rate limits.
        run = settings.model_copy(
            update={
                "data_dir": data_dir, "database_url": None, "api_host": "127.0.0.1",
                "api_port": free_port(), "rasa_port": free_port(), **LOAD_TEST_RATE_LIMITS,
            }
        )  # fmt: skip
        # Never the configured database: a LOKET_DATABASE_URL in the environment would reach the api.
        sqlite = {"LOKET_DATABASE_URL": f"sqlite:///{data_dir / 'loket.db'}"}
        stack = start_stack(run, model=model, echo=echo, extra_env=sqlite, rasa_http_api=True)
        driver = ChatDriver(api_url=run.api_url, rasa_url=run.rasa_url, rasa_token=stack.rasa_api_token)
        try:
            yield driver
        finally:
            driver.close()
            stack.stop()


@contextmanager
def stdout_on_stderr() -> Iterator[None]:
    """Send what this process and its children write to stdout (file descriptor 1) to stderr."""
    sys.stdout.flush()
    try:
        saved = os.dup(1)
        os.dup2(2, 1)
    except OSError:  # no real file descriptors (an embedding host): leave stdout as it is
        yield
        return
    try:
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run_answer_eval(
    cases: Sequence[Case],
    *,
    settings: Settings,
    name: str = "<set>",
    echo: Callable[[str], None] = _stderr,
    progress: Callable[[int, int], None] | None = None,
) -> AnswerReport:
    """Start the stack, run every case through the chat API, stop it, score."""
    started = time.monotonic()
    with running_stack(settings, echo=echo) as driver:
        ready = time.monotonic()
        results = run_cases(cases, driver, progress=progress)
        finished = time.monotonic()
    report = score(results, name=name)
    report.start_s = ready - started
    report.turns_s = finished - ready
    report.wall_s = time.monotonic() - started
    return report


def check_set(cases: Sequence[Case], settings: Settings, *, name: str) -> list[str]:
    """The set's expected pages and sections against the configured policy documents."""
    from knowledge.ingest import load_documents

    return check_against_corpus(cases, corpus_sections(load_documents(settings.policies_dirs).documents), name=name)


@dataclass
class _Progress:
    every: int = 25
    started: float = field(default_factory=time.monotonic)

    def __call__(self, done: int, total: int) -> None:
        if done % self.every == 0 or done == total:
            _stderr(f"  {done}/{total} cases ({time.monotonic() - self.started:.0f} s)")


def progress_printer(every: int = 25) -> Callable[[int, int], None]:
    return _Progress(every=every)
