"""A progress line on a terminal, drawn by rich (imported when the first line is drawn, never otherwise).

Used by the command line (`zhifa evaluate`) and by `engine.scale` (`zhifa impact`, ``--scheduler``); what is
written when standard error is not a terminal stays with them (nothing, or one summary line).
"""

from __future__ import annotations

import time
from typing import Any

__all__ = ["Bar"]


class Bar:
    """A bar (with a known `total`) or a count, with a spinner, the rate and the time taken, on `stream`.

    Refreshed by `update` itself (no refresh thread, so nothing is left running when the work raises).
    """

    def __init__(self, stream: Any, what: str, total: int | None = None, t0: float | None = None):
        """`t0`: when the work started (`time.monotonic`), for the rate; default now."""
        from rich.console import Console
        from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn

        count = "{task.completed:,}/{task.total:,}" if total else "{task.completed:,} cases"
        columns = [SpinnerColumn(), TextColumn(what, markup=False)] + ([BarColumn()] if total else []) + \
            [TextColumn(count + " ({task.fields[rate]:,.0f}/s, {task.fields[secs]:.1f} s)")]
        self.t0 = time.monotonic() if t0 is None else t0
        self._progress = Progress(*columns, console=Console(file=stream), auto_refresh=False,
                                  redirect_stdout=False, redirect_stderr=False)
        self._task = self._progress.add_task(what, total=total, rate=0.0, secs=0.0)
        self._started = False

    def update(self, done: int) -> None:
        """Show `done` units finished."""
        secs = time.monotonic() - self.t0  # since the work began, not since the first line was drawn
        self._progress.update(self._task, completed=done, rate=done / max(secs, 1e-9), secs=secs)
        if not self._started:  # started here, so that the first line drawn already shows `done`
            self._started = True
            self._progress.start()
        else:
            self._progress.refresh()

    def close(self) -> None:
        """Leave the last state on screen and end the line."""
        if self._started:
            self._progress.stop()
