"""Fail when a Python module under assistant/, ingest/ or evals/ is longer than MAX_LINES.

A module that long is doing more than one job: split it (see docs/arkitektur.md). Run from the
repository root: `python tools/check_module_size.py` (exit 1 and a list when any is too long).
"""

from __future__ import annotations

import sys
from pathlib import Path

MAX_LINES = 400
PACKAGES = ("assistant", "ingest", "evals")


def too_long(root: Path, limit: int = MAX_LINES) -> list[tuple[Path, int]]:
    """(path, lines) of every module under the packages longer than `limit`, longest first."""
    found = []
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            lines = len(path.read_text(encoding="utf-8").splitlines())
            if lines > limit:
                found.append((path.relative_to(root), lines))
    return sorted(found, key=lambda item: -item[1])


def main() -> int:
    """Print the modules over the limit; 0 when there are none."""
    found = too_long(Path(__file__).resolve().parents[1])
    for path, lines in found:
        print(f"{path}: {lines} rader (högst {MAX_LINES})")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
