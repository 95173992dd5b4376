"""An optional Rich progress bar on stderr, shared by the sentence and image encoders."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator


@contextlib.contextmanager
def progress_bar(total: int, show: bool, description: str) -> Iterator[Callable[[int], None]]:
    """Yields `advance(n)`; draws a bar only when `show` is true and Rich is installed."""
    if not show:
        yield lambda n: None
        return
    try:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TimeRemainingColumn,
        )
    except ImportError:  # pragma: no cover - rich comes with the cli extra
        yield lambda n: None
        return
    with Progress("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
                  TimeRemainingColumn(), console=Console(stderr=True)) as bar:
        task = bar.add_task(description, total=total)
        yield lambda n: bar.advance(task, n)
