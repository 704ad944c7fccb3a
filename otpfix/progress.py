"""The progress bar (rich, on stderr). Imported only when a bar is shown.

The bar is refreshed by hand (no refresh thread): the process may fork workers while it
is visible, and forking a multi-threaded process is unsafe.
"""

from __future__ import annotations

import time

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn


class Bar:
    INTERVAL = 0.1  # seconds between redraws

    def __init__(self, total: int, description: str = "otpfix") -> None:
        self._progress = Progress(
            TextColumn("[progress.description]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            auto_refresh=False,
            transient=True,
        )
        self._task = self._progress.add_task(description, total=total)
        self._progress.start()
        self._last = 0.0
        self._pending = 0

    def advance(self) -> None:
        self._pending += 1
        now = time.monotonic()
        if now - self._last >= self.INTERVAL:
            self._progress.update(self._task, advance=self._pending)
            self._pending = 0
            self._progress.refresh()
            self._last = now

    def grow(self, more: int) -> None:
        task = self._progress.tasks[0]
        self._progress.update(self._task, total=(task.total or 0) + more)

    def close(self) -> None:
        if self._pending:
            self._progress.update(self._task, advance=self._pending)
            self._progress.refresh()
        self._progress.stop()
