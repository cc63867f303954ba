"""Progress bars (tqdm) for long ingest runs, fed by the build's (stage, done, total) callbacks."""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from typing import Any

_LINE = re.compile(r"^\s*(\w+): (\d+)/(\d+)\b")


class TqdmProgress:
    """One tqdm bar per stage (read, embed, analyze, write). Use as ``progress=`` callback, or
    wrap an ``echo`` function whose "  stage: done/total" lines should become bars instead."""

    def __init__(self, *, disable: bool | None = None, file: Any = None) -> None:
        self._bars: dict[str, Any] = {}
        self._file = file or sys.stderr
        # Bars only on a terminal by default; logs and pipes get the plain lines.
        self.disable = (not getattr(self._file, "isatty", lambda: False)()) if disable is None else disable

    def __call__(self, stage: str, done: int, total: int) -> None:
        from tqdm import tqdm

        bar = self._bars.get(stage)
        if bar is None:
            bar = self._bars[stage] = tqdm(
                total=total, desc=stage, unit="chunk" if stage == "embed" else "it", file=self._file,
                disable=self.disable, leave=True, dynamic_ncols=True,
            )  # fmt: skip
        if bar.total != total:
            bar.total = total
            bar.refresh()
        bar.update(max(0, done - bar.n))
        if done >= total:
            bar.close()
            self._bars.pop(stage, None)

    def echo(self, fallback: Callable[[str], None] = print) -> Callable[[str], None]:
        """An echo that turns progress lines into bars and prints everything else above them."""
        if self.disable:
            return fallback

        def echo(message: str) -> None:
            match = _LINE.match(message)
            if match:
                self(match.group(1), int(match.group(2)), int(match.group(3)))
                return
            from tqdm import tqdm

            tqdm.write(message, file=sys.stdout)

        return echo

    def close(self) -> None:
        for bar in self._bars.values():
            bar.close()
        self._bars.clear()
