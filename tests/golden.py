"""Golden files: one file per case under tests/golden/<topic>/.

Run with RNNCLI_REGENERATE_GOLDEN=1 to rewrite them, then read the diff
before committing: the numbers in them are proven by the oracle tests.
"""
from __future__ import annotations

import os
from pathlib import Path

REGENERATE = os.environ.get("RNNCLI_REGENERATE_GOLDEN") == "1"


def assert_matches_golden(path: Path, text: str) -> None:
    """Asserts `text` equals the golden file at `path` (rewriting it first when regenerating)."""
    if REGENERATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"missing golden file {path}; run with RNNCLI_REGENERATE_GOLDEN=1"
    assert text == path.read_text(encoding="utf-8")
