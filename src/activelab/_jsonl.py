"""Reading JSON Lines files: one JSON value per non-blank line."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path


def json_lines(path: Path, error: type[Exception]) -> Iterator[tuple[int, object]]:
    """(line number, parsed value) for each non-blank line of `path`; a line that is not JSON
    raises `error` naming the file and the line."""
    with Path(path).open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                yield lineno, json.loads(line)
            except ValueError as exc:
                raise error(f"{Path(path).name} line {lineno} is not JSON: {exc}") from None
