"""Progress bars for long ingest runs: one bar per stage, and progress lines turned into bars."""

from __future__ import annotations

import io

import pytest

from knowledge.progress import TqdmProgress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_tqdm_progress_turns_progress_lines_into_bars() -> None:
    printed: list[str] = []
    TqdmProgress(disable=True).echo(printed.append)("  embed: 1/2 (50 %)")  # logs: plain lines
    assert printed == ["  embed: 1/2 (50 %)"]
    printed.clear()
    stream = io.StringIO()
    bars = TqdmProgress(disable=False, file=stream)
    echo = bars.echo(printed.append)
    echo("  embed: 5/10 (50 %)")
    echo("  embed: 10/10 (100 %)")
    bars.close()
    assert printed == [] and "embed" in stream.getvalue() and "10/10" in stream.getvalue()


def test_bars_only_on_a_terminal_by_default() -> None:
    assert TqdmProgress(file=io.StringIO()).disable is True  # a log file or a pipe
    assert TqdmProgress(file=Terminal()).disable is False
    assert TqdmProgress(file=Terminal(), disable=True).disable is True


def test_echo_without_bars_is_the_fallback_itself() -> None:
    lines: list[str] = []
    assert TqdmProgress(disable=True).echo(lines.append) == lines.append


def test_one_bar_per_stage_closed_when_the_stage_is_done() -> None:
    stream = io.StringIO()
    bars = TqdmProgress(disable=False, file=stream)
    bars("read", 1, 4)
    bars("embed", 3, 10)
    assert set(bars._bars) == {"read", "embed"}
    bars("read", 4, 4)
    assert set(bars._bars) == {"embed"}  # done: closed and forgotten
    bars("embed", 2, 10)  # a late, smaller count never moves the bar back
    assert bars._bars["embed"].n == 3
    bars("embed", 5, 12)  # the total can grow while the stage runs
    assert (bars._bars["embed"].n, bars._bars["embed"].total) == (5, 12)
    bars.close()
    assert bars._bars == {}
    assert "read" in stream.getvalue() and "4/4" in stream.getvalue()


def test_other_messages_are_printed_above_the_bars(capsys: pytest.CaptureFixture[str]) -> None:
    bars = TqdmProgress(disable=False, file=io.StringIO())
    echo = bars.echo()
    echo("3 documents, 12 chunks")
    echo("  write: 1/1")  # a progress line: no printed text
    bars.close()
    assert capsys.readouterr().out == "3 documents, 12 chunks\n"
