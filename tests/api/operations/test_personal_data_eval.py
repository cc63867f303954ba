"""The gates on the labelled sets: data/eval/pii.jsonl (tuned on, at the targets) and the held-out
data/eval/pii_test.jsonl (at the targets, with the figures it misses recorded); and the
measurement itself on small sets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from api.operations.personal_data_eval import (
    CONTEXTUAL_KINDS,
    DEFAULT_SET,
    MAX_FALSE_REDACTION,
    MIN_RECALL_CONTEXTUAL,
    MIN_RECALL_VALIDATED,
    TEST_SET,
    VALIDATED_KINDS,
    PiiSetError,
    Report,
    evaluate,
    load_messages,
)
from api.services.personal_data import KINDS
from tests.held_figures import held_params, hold


def write_set(path: Path, rows: list[dict]) -> Path:
    path.write_text("\n".join(json.dumps(row, ensure_ascii=False) for row in rows) + "\n", encoding="utf-8")
    return path


def test_the_labelled_set_is_large_enough_and_about_half_clean() -> None:
    messages = load_messages(DEFAULT_SET)
    with_data = [m for m in messages if m.items]
    assert len(messages) >= 200
    assert 0.4 <= len(with_data) / len(messages) <= 0.6
    assert {item.kind for m in with_data for item in m.items} == set(KINDS)
    assert set(VALIDATED_KINDS) | set(CONTEXTUAL_KINDS) == set(KINDS)


def test_recognition_meets_its_targets_on_the_labelled_set() -> None:
    """Recall >= 0.98 on the validated kinds (0.90 on the contextual ones); false redactions
    <= 2 % of the messages without personal data (docs/privacy.md)."""
    report = evaluate(load_messages(DEFAULT_SET), name=DEFAULT_SET.name)
    assert report.meets_targets(), report.format(show_misses=True)
    assert all(report.recall(kind) >= MIN_RECALL_VALIDATED for kind in VALIDATED_KINDS)
    assert report.false_redaction_rate <= MAX_FALSE_REDACTION


# The held-out split's targets: recall per kind, and the share of clean messages falsely redacted.
HELD_OUT_TARGETS: dict[str, float] = {
    **{kind: MIN_RECALL_VALIDATED for kind in VALIDATED_KINDS},
    **{kind: MIN_RECALL_CONTEXTUAL for kind in CONTEXTUAL_KINDS},
    "false_redactions": MAX_FALSE_REDACTION,
}
# metric -> its figure on data/eval/pii_test.jsonl last measured, for the targets it misses
# (`loket eval pii --set data/eval/pii_test.jsonl --show-misses`; docs/privacy.md, "How well").
HELD_OUT_MISSED: dict[str, float] = {
    "birth_date": 0.895,
    "address": 0.783,
}


def test_the_held_out_split_is_large_enough_and_about_half_clean() -> None:
    messages = load_messages(TEST_SET)
    with_data = [m for m in messages if m.items]
    assert len(messages) >= 160
    assert 0.4 <= len(with_data) / len(messages) <= 0.6
    assert {item.kind for m in with_data for item in m.items} == set(KINDS)
    assert set(HELD_OUT_TARGETS) == {*KINDS, "false_redactions"} and set(HELD_OUT_MISSED) <= set(HELD_OUT_TARGETS)


@pytest.fixture(scope="module")
def held_out_report() -> Report:
    return evaluate(load_messages(TEST_SET), name=TEST_SET.name)


@pytest.mark.parametrize(
    "metric",
    [
        *held_params([m for m in HELD_OUT_TARGETS if m != "false_redactions"], HELD_OUT_MISSED),
        *held_params(["false_redactions"], HELD_OUT_MISSED, side="above"),
    ],
)
def test_the_held_out_split_reaches_the_target(held_out_report: Report, metric: str) -> None:
    """A met target passes (an xfail mark left on it fails as XPASS: remove the mark). A missed one
    raises MissesTarget, the only failure its xfail accepts, and only while the figure is the one
    recorded: any change, better or worse, fails the gate until HELD_OUT_MISSED is updated."""
    target = HELD_OUT_TARGETS[metric]
    if metric == "false_redactions":
        figure, met = held_out_report.false_redaction_rate, held_out_report.false_redaction_rate <= target
    else:
        assert held_out_report.total.get(metric, 0) > 0
        figure, met = held_out_report.recall(metric), held_out_report.recall(metric) >= target
    hold(
        metric, figure, target=target, met=met, recorded=HELD_OUT_MISSED.get(metric),
        details=held_out_report.format(show_misses=True),
    )  # fmt: skip


def test_a_miss_a_false_redaction_and_an_extra_finding_are_counted(tmp_path: Path) -> None:
    path = write_set(tmp_path / "set.jsonl", [
        {"id": "hit", "text": "BSN 111222333", "personal_data": [{"kind": "bsn", "value": "111222333"}]},
        {"id": "miss", "text": "Bel Jan, hij weet het", "personal_data": [{"kind": "phone", "value": "Jan"}]},
        {"id": "kind", "text": "mijn nummer 0612345678", "personal_data": [{"kind": "bsn", "value": "0612345678"}]},
        {"id": "extra", "text": "BSN 111222333, a@b.nl", "personal_data": [{"kind": "bsn", "value": "111222333"}]},
        {"id": "clean", "text": "Wat kost een paspoort?", "personal_data": []},
        {"id": "false", "text": "Zie 241474310", "personal_data": []},
    ])  # fmt: skip
    report = evaluate(load_messages(path), name="set")
    assert (report.found, report.total) == ({"bsn": 2}, {"bsn": 3, "phone": 1})
    assert report.misses == [("miss", "phone", "Jan"), ("kind", "bsn", "0612345678")]
    assert report.extra == [("extra", "email", "a@b.nl")]  # a finding of the wrong kind is a miss, not extra
    assert report.clean == 2 and report.falsely_redacted == [("false", "bsn '241474310'")]
    assert report.false_redaction_rate == 0.5 and not report.meets_targets()
    summary = report.summary()
    assert summary["recall"] == {"bsn": 0.6667, "phone": 0.0} and summary["false_redactions"] == 1
    text = report.format(show_misses=True)
    assert "missed phone: 'Jan' (miss)" in text and "targets missed" in text


@pytest.mark.parametrize(
    ("row", "error"),
    [
        ({"text": "hoi", "personal_data": [{"kind": "shoe_size", "value": "hoi"}]}, "unknown kind"),
        ({"text": "hoi", "personal_data": [{"kind": "bsn", "value": "123"}]}, "exactly once"),
        ({"text": "hoi hoi", "personal_data": [{"kind": "bsn", "value": "hoi"}]}, "exactly once"),
        ({"personal_data": []}, "text"),
    ],
)
def test_a_malformed_set_is_refused_with_its_line(tmp_path: Path, row: dict, error: str) -> None:
    path = write_set(tmp_path / "bad.jsonl", [{"text": "ok", "personal_data": []}, row])
    with pytest.raises(PiiSetError, match=rf"bad.jsonl:2: .*{error}"):
        load_messages(path)
