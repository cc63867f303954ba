"""`loket eval pii`: how well the gateway's redaction finds personal data, on a labelled set.

Each line of the set is a citizen message with the personal data in it, as the kind and the exact
text ({"kind": "bsn", "value": "241474310"}), or none. Measured: recall per kind (a labelled item
counts when a finding of the same kind covers it) and false redactions, the share of messages
without personal data that lose anything.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast, get_args

from api.services.personal_data import Finding, Kind, find_personal_data
from api.settings import PROJECT_ROOT

DEFAULT_SET = PROJECT_ROOT / "data" / "eval" / "pii.jsonl"  # the recogniser was written and tuned on it
TEST_SET = PROJECT_ROOT / "data" / "eval" / "pii_test.jsonl"  # held out: measured, never tuned on
# Checked by a checksum or an unambiguous shape; the others depend on context words.
VALIDATED_KINDS: tuple[Kind, ...] = ("bsn", "iban", "phone", "email")
CONTEXTUAL_KINDS: tuple[Kind, ...] = ("birth_date", "document_number", "licence_plate", "address")
MIN_RECALL_VALIDATED = 0.98  # the privacy targets (docs/privacy.md, "How well")
MIN_RECALL_CONTEXTUAL = 0.90  # ours: these depend on cues, so a lower bar, still a gate
MAX_FALSE_REDACTION = 0.02  # share of the messages without personal data


class PiiSetError(ValueError):
    """The set is malformed: what and where, in one line."""


@dataclass(frozen=True)
class LabelledItem:
    kind: Kind
    start: int
    end: int


@dataclass(frozen=True)
class LabelledMessage:
    id: str
    text: str
    items: tuple[LabelledItem, ...]


@dataclass
class Report:
    name: str
    found: dict[str, int] = field(default_factory=dict)  # kind -> labelled items found
    total: dict[str, int] = field(default_factory=dict)  # kind -> labelled items
    clean: int = 0  # messages without personal data
    falsely_redacted: list[tuple[str, str]] = field(default_factory=list)  # (id, what was taken)
    misses: list[tuple[str, str, str]] = field(default_factory=list)  # (id, kind, value)
    extra: list[tuple[str, str, str]] = field(default_factory=list)  # (id, kind, text) in a message with data

    def recall(self, kind: str) -> float:
        return self.found.get(kind, 0) / self.total[kind] if self.total.get(kind) else 1.0

    @property
    def false_redaction_rate(self) -> float:
        return len(self.falsely_redacted) / self.clean if self.clean else 0.0

    def failures(self) -> list[str]:
        """Each target missed, in words; empty when all are met."""
        failed = [
            f"recall {kind} {self.recall(kind):.3f} < {minimum}"
            for kinds, minimum in ((VALIDATED_KINDS, MIN_RECALL_VALIDATED), (CONTEXTUAL_KINDS, MIN_RECALL_CONTEXTUAL))
            for kind in kinds
            if self.recall(kind) < minimum
        ]
        if self.false_redaction_rate > MAX_FALSE_REDACTION:
            failed.append(f"false redactions {self.false_redaction_rate:.3f} > {MAX_FALSE_REDACTION}")
        return failed

    def meets_targets(self) -> bool:
        return not self.failures()

    def summary(self) -> dict[str, Any]:
        return {
            "set": self.name,
            "recall": {kind: round(self.recall(kind), 4) for kind in self.total},
            "items": dict(self.total),
            "messages_without_personal_data": self.clean,
            "false_redactions": len(self.falsely_redacted),
            "false_redaction_rate": round(self.false_redaction_rate, 4),
            "extra_findings_in_messages_with_data": len(self.extra),
            "meets_targets": self.meets_targets(),
        }

    def format(self, *, show_misses: bool = False) -> str:
        lines = [f"Personal data recognition on {self.name}", f"{'kind':<17}{'recall':>8}{'found':>9}  target"]
        for kinds, minimum in ((VALIDATED_KINDS, MIN_RECALL_VALIDATED), (CONTEXTUAL_KINDS, MIN_RECALL_CONTEXTUAL)):
            for kind in kinds:
                found, total = self.found.get(kind, 0), self.total.get(kind, 0)
                lines.append(f"{kind:<17}{self.recall(kind):>8.3f}{f'{found}/{total}':>9}  >= {minimum}")
        lines.append(
            f"false redactions: {len(self.falsely_redacted)} of {self.clean} messages without personal data "
            f"({self.false_redaction_rate:.1%}; target <= {MAX_FALSE_REDACTION:.0%})"
        )
        lines.append(f"extra findings in messages with personal data: {len(self.extra)}")
        if show_misses:
            lines += [f"  missed {kind}: {value!r} ({id_})" for id_, kind, value in self.misses]
            lines += [f"  falsely redacted: {taken} ({id_})" for id_, taken in self.falsely_redacted]
            lines += [f"  extra {kind}: {text!r} ({id_})" for id_, kind, text in self.extra]
        failures = self.failures()
        lines.append("targets met" if not failures else "targets missed: " + "; ".join(failures))
        return "\n".join(lines)


def load_messages(path: Path) -> list[LabelledMessage]:
    kinds = set(get_args(Kind))
    messages = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            text = str(row["text"])
            items = []
            for item in row["personal_data"]:
                kind, value = item["kind"], str(item["value"])
                if kind not in kinds:
                    raise PiiSetError(f"{path}:{number}: unknown kind {kind!r}")
                if text.count(value) != 1:
                    raise PiiSetError(f"{path}:{number}: {value!r} must occur exactly once in the text")
                start = text.index(value)
                items.append(LabelledItem(cast(Kind, kind), start, start + len(value)))
            messages.append(LabelledMessage(str(row.get("id") or number), text, tuple(items)))
        except (json.JSONDecodeError, KeyError, TypeError) as error:
            raise PiiSetError(f"{path}:{number}: {error}") from None
    return messages


def evaluate(messages: Sequence[LabelledMessage], *, name: str) -> Report:
    report = Report(name=name)
    for message in messages:
        findings = find_personal_data(message.text)
        if not message.items:
            report.clean += 1
            if findings:
                taken = ", ".join(f"{f.kind} {message.text[f.start : f.end]!r}" for f in findings)
                report.falsely_redacted.append((message.id, taken))
            continue
        for item in message.items:
            report.total[item.kind] = report.total.get(item.kind, 0) + 1
            if any(f.kind == item.kind and f.start <= item.start and f.end >= item.end for f in findings):
                report.found[item.kind] = report.found.get(item.kind, 0) + 1
            else:
                report.misses.append((message.id, item.kind, message.text[item.start : item.end]))
        for finding in findings:
            if not any(_overlaps(finding, item) for item in message.items):
                report.extra.append((message.id, finding.kind, message.text[finding.start : finding.end]))
    return report


def _overlaps(finding: Finding, item: LabelledItem) -> bool:
    return finding.start < item.end and item.start < finding.end
